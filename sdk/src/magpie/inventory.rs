//! Magpie in an inventory: a user's own tokens or a service account's, and what a record
//! reads from a token.

use std::borrow::Cow;

use super::{AccessToken, Client};
use crate::inventory::{
    Account, AccountKind, Moment, Readings, Source, Tokens, Vendor, VendorToken,
};
use access_tokens_runtime::time;

use crate::{Expiry, Secret};

impl Source {
    /// The Magpie tokens of the user whose session `client` carries (named in the records
    /// where the client logged in with a user name).
    pub fn magpie(name: impl Into<String>, client: Client) -> Self {
        Self::new(name, Vendor::Magpie, move || {
            let client = client.clone();
            async move {
                let user = client.user().map(|user| (AccountKind::User, user.to_owned()));
                Ok((Tokens::new(user, client.list_tokens().await?), client.server_clock()))
            }
        })
    }

    /// The tokens of Magpie's service account `user_name`, listed by an administrator's
    /// `client`.
    pub fn magpie_service_account(
        name: impl Into<String>,
        client: Client,
        user_name: impl Into<String>,
    ) -> Self {
        let user_name = user_name.into();
        Self::new(name, Vendor::Magpie, move || {
            let (client, user_name) = (client.clone(), user_name.clone());
            async move {
                let tokens = client.service_account(&user_name).list().await?;
                let account = Some((AccountKind::ServiceAccount, user_name));
                Ok((Tokens::new(account, tokens), client.server_clock()))
            }
        })
    }
}

impl VendorToken for AccessToken {
    const VENDOR: Vendor = Vendor::Magpie;

    fn vendor_id(&self) -> Option<Cow<'_, str>> {
        self.id.as_deref().map(Cow::Borrowed)
    }

    fn secret_id(&self) -> Option<&Secret> {
        None
    }

    fn name(&self) -> Option<&str> {
        self.description.as_deref()
    }

    fn account(&self) -> Option<Account<'_>> {
        Some(Account { kind: AccountKind::User, name: None })
    }

    fn readings(&self) -> Readings {
        Readings {
            created: undocumented(self.created.as_ref()),
            expires: undocumented(self.expires.as_ref()),
            enabled: self.disabled.map(|disabled| !disabled),
            ..Readings::default()
        }
    }
}

/// A timestamp whose format Magpie does not document: an ISO 8601 UTC string, or Unix seconds
/// or milliseconds as a number or a numeric string. A number of 10^11 or more is taken as
/// milliseconds: as seconds it would be after the year 5138, and as milliseconds anything
/// since March 1973 is at least that.
pub(super) fn undocumented(value: Option<&serde_json::Value>) -> Moment {
    use serde_json::Value;
    let unreadable = |value: &Value| Moment::Unknown { raw: Some(value.to_string()) };
    let epoch = |number: i64| {
        if number.unsigned_abs() >= 100_000_000_000 {
            Moment::At(time::from_unix_millis(number))
        } else {
            Moment::At(time::from_unix_seconds(number))
        }
    };
    match value {
        None | Some(Value::Null) => Moment::UNREPORTED,
        Some(Value::Number(number)) => {
            number.as_i64().map_or_else(|| unreadable(&Value::Number(number.clone())), epoch)
        }
        Some(Value::String(text)) => match text.trim().parse::<i64>() {
            Ok(number) => epoch(number),
            Err(_) => match time::parse_iso8601_expiry(text.trim()) {
                Some(Expiry::At(at)) => Moment::At(at),
                Some(Expiry::Never) => Moment::Never,
                None => Moment::Unknown { raw: Some(text.clone()) },
            },
        },
        Some(other) => unreadable(other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Moment, time, undocumented};

    #[test]
    fn undocumented_timestamps_are_read_in_the_formats_a_console_sends() {
        let read = |value: serde_json::Value| undocumented(Some(&value));
        let at_seconds = Moment::At(time::from_unix_seconds(1_700_000_000));
        assert_eq!(read(json!(1_700_000_000)), at_seconds);
        assert_eq!(read(json!(1_700_000_000_000_i64)), at_seconds);
        assert_eq!(read(json!("1700000000")), at_seconds);
        assert_eq!(read(json!("1700000000000")), at_seconds);
        assert_eq!(read(json!("2023-11-14T22:13:20Z")), at_seconds);
        assert_eq!(read(json!("2023-11-14T22:13:20+00:00")), at_seconds);
        assert_eq!(read(json!("2023-11-14T17:13:20-05:00")), at_seconds);
        assert_eq!(read(json!("292278994-08-17T07:12:55.807Z")), Moment::Never);
        assert_eq!(
            read(json!("next Tuesday")),
            Moment::Unknown { raw: Some("next Tuesday".into()) }
        );
        assert_eq!(read(json!(1.5)), Moment::Unknown { raw: Some("1.5".into()) });
        assert_eq!(read(json!({"at": 1})), Moment::Unknown { raw: Some(r#"{"at":1}"#.into()) });
        assert_eq!(read(json!(null)), Moment::UNREPORTED);
        assert_eq!(undocumented(None), Moment::UNREPORTED);
    }
}
