//! Insight.io in an inventory: a user's tokens, and what a record reads from a token.

use std::borrow::Cow;

use futures_util::future::BoxFuture;

use super::{ApiToken, Client};
use crate::inventory::{
    Account, AccountKind, List, Moment, Readings, Source, TokenId, Tokens, Vendor, VendorToken,
};
use crate::{Error, ServerClock};

impl Source {
    /// The Insight.io tokens of the user whose token `client` carries.
    pub fn insight(name: impl Into<String>, client: Client) -> Self {
        Self::new(name, Listed(client))
    }
}

#[derive(Debug)]
struct Listed(Client);

impl List for Listed {
    fn vendor(&self) -> Vendor {
        Vendor::Insight
    }

    fn list(&self) -> BoxFuture<'_, Result<(Tokens, Option<ServerClock>), Error>> {
        Box::pin(async move {
            Ok((Tokens::new(None, self.0.list_tokens().await?), self.0.server_clock()))
        })
    }
}

impl VendorToken for ApiToken {
    const VENDOR: Vendor = Vendor::Insight;

    /// The value is the secret itself: its fingerprint.
    fn id(&self) -> Option<TokenId> {
        Some(TokenId::fingerprint(Vendor::Insight, &self.api_token))
    }

    fn name(&self) -> Option<&str> {
        None
    }

    fn account(&self) -> Option<Account<'_>> {
        Some(Account { kind: AccountKind::User, name: self.uid.as_deref().map(Cow::Borrowed) })
    }

    /// Times in Unix milliseconds.
    fn readings(&self) -> Readings {
        Readings {
            created: Moment::from(self.created_at()),
            last_used: Moment::from(self.last_used_at()),
            ..Readings::default()
        }
    }
}
