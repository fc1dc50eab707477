//! Insight.io in an inventory: a user's tokens, and what a record reads from a token.

use std::borrow::Cow;

use super::{ApiToken, Client};
use crate::Secret;
use crate::inventory::{
    Account, AccountKind, Moment, Readings, Source, Tokens, Vendor, VendorToken,
};

impl Source {
    /// The Insight.io tokens of the user whose token `client` carries.
    pub fn insight(name: impl Into<String>, client: Client) -> Self {
        Self::new(name, Vendor::Insight, move || {
            let client = client.clone();
            async move { Ok((Tokens::new(None, client.list_tokens().await?), client.server_clock())) }
        })
    }
}

impl VendorToken for ApiToken {
    const VENDOR: Vendor = Vendor::Insight;

    fn vendor_id(&self) -> Option<Cow<'_, str>> {
        None
    }

    /// The value is the secret itself.
    fn secret_id(&self) -> Option<&Secret> {
        Some(&self.api_token)
    }

    fn name(&self) -> Option<&str> {
        None
    }

    fn account(&self) -> Option<Account<'_>> {
        Some(Account { kind: AccountKind::User, name: self.uid.as_deref().map(Cow::Borrowed) })
    }

    /// Times in Unix milliseconds; a token works until it is revoked (the vendor's user
    /// guide), so it never expires.
    fn readings(&self) -> Readings {
        Readings {
            created: Moment::from(self.created_at()),
            last_used: Moment::from(self.last_used_at()),
            expires: Moment::Never,
            ..Readings::default()
        }
    }
}
