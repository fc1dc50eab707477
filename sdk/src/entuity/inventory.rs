//! Entuity in an inventory: every token of a server, and what a record reads from a token.

use std::borrow::Cow;

use super::{AccessToken, Client};
use crate::Secret;
use crate::inventory::{
    Account, AccountKind, Moment, Readings, Source, Tokens, Vendor, VendorToken,
};
use access_tokens_runtime::time;

impl Source {
    /// Every token of an Entuity server.
    pub fn entuity(name: impl Into<String>, client: Client) -> Self {
        Self::new(name, Vendor::Entuity, move || {
            let client = client.clone();
            async move { Ok((Tokens::new(None, client.list_tokens().await?), client.server_clock())) }
        })
    }
}

impl VendorToken for AccessToken {
    const VENDOR: Vendor = Vendor::Entuity;

    fn vendor_id(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.token_id.to_string()))
    }

    fn secret_id(&self) -> Option<&Secret> {
        None
    }

    fn name(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Its user, by name, or by id (shown as `#17`).
    fn account(&self) -> Option<Account<'_>> {
        let name = match (&self.user_name, self.user_id) {
            (Some(name), _) => Some(Cow::Borrowed(name.as_str())),
            (None, Some(id)) => Some(Cow::Owned(format!("#{id}"))),
            (None, None) => None,
        };
        Some(Account { kind: AccountKind::User, name })
    }

    /// Times in Unix seconds; its last use is its last login, `0` meaning never, as for
    /// its expiry.
    fn readings(&self) -> Readings {
        let stats = self.stats.as_ref();
        Readings {
            created: Moment::from(self.created_at()),
            expires: Moment::from(self.expiry()),
            last_used: seconds_or_never(stats.and_then(|stats| stats.last_login_time_sec)),
            uses: stats.and_then(|stats| stats.login_count),
            sessions: self.active_session_count,
            ..Readings::default()
        }
    }
}

/// Unix seconds, where `0` means never.
fn seconds_or_never(seconds: Option<i64>) -> Moment {
    match seconds {
        None => Moment::UNREPORTED,
        Some(0) => Moment::Never,
        Some(seconds) => Moment::At(time::from_unix_seconds(seconds)),
    }
}

#[cfg(test)]
mod tests {
    use super::{Moment, seconds_or_never, time};

    #[test]
    fn zero_is_never_only_where_the_vendor_says_so() {
        assert_eq!(seconds_or_never(Some(0)), Moment::Never);
        assert_eq!(seconds_or_never(Some(1)), Moment::At(time::from_unix_seconds(1)));
        assert_eq!(seconds_or_never(None), Moment::UNREPORTED);
    }
}
