//! Each vendor's listed token as a [`TokenRecord`]: the units its times come in, which of its
//! values mean never, and whether its id is its secret.

use super::{
    Account, AccountKind, Anomaly, Moment, Permissions, TokenId, TokenRecord, Vendor, VendorRecord,
};
#[cfg(feature = "bamboo")]
use crate::bamboo;
#[cfg(feature = "entuity")]
use crate::entuity;
#[cfg(feature = "insight")]
use crate::insight;
#[cfg(feature = "magpie")]
use crate::magpie;

impl TokenRecord {
    /// A record with what every vendor has, and the anomalies its times show.
    fn new(vendor: Vendor, source: &str, vendor_record: VendorRecord) -> Self {
        Self {
            vendor,
            source: source.to_owned(),
            account: None,
            id: None,
            name: None,
            created: Moment::UNREPORTED,
            last_used: Moment::UNREPORTED,
            expires: Moment::UNREPORTED,
            enabled: None,
            permissions: None,
            use_count: None,
            active_sessions: None,
            anomalies: Vec::new(),
            vendor_record,
        }
    }

    /// Flags the values that cannot be right.
    fn checked(mut self) -> Self {
        if let Some(created) = self.created.at() {
            if self.expires.at().is_some_and(|expires| expires < created) {
                self.anomalies.push(Anomaly::ExpiresBeforeCreated);
            }
            if self.last_used.at().is_some_and(|used| used < created) {
                self.anomalies.push(Anomaly::UsedBeforeCreated);
            }
        }
        self
    }

    /// A Magpie token of `account`: its created and expires times come in a format the vendor
    /// does not document ([`Moment`] reads the plausible ones and keeps the rest raw).
    #[cfg(feature = "magpie")]
    pub(crate) fn magpie(source: &str, account: Account, token: magpie::AccessToken) -> Self {
        let mut record = Self::new(Vendor::Magpie, source, VendorRecord::Magpie(token.clone()));
        record.account = Some(account);
        record.id = token.id.map(TokenId::Vendor);
        record.name = token.description;
        record.created = Moment::from_undocumented(token.created.as_ref());
        record.expires = Moment::from_undocumented(token.expires.as_ref());
        record.enabled = token.disabled.map(|disabled| !disabled);
        record.checked()
    }

    /// A Bamboo token: tied to no account, its uuid is its secret, and it reports no times.
    #[cfg(feature = "bamboo")]
    pub(crate) fn bamboo(source: &str, token: bamboo::Token) -> Self {
        let mut record = Self::new(Vendor::Bamboo, source, VendorRecord::Bamboo(token.clone()));
        record.id = Some(TokenId::fingerprint(Vendor::Bamboo, &token.uuid));
        record.name = Some(token.name);
        record.permissions = Some(Permissions { read: token.read, write: token.change });
        record
    }

    /// An Entuity token: times in Unix seconds, `0` meaning never for its expiry and its last
    /// login.
    #[cfg(feature = "entuity")]
    pub(crate) fn entuity(source: &str, token: entuity::AccessToken) -> Self {
        let mut record = Self::new(Vendor::Entuity, source, VendorRecord::Entuity(token.clone()));
        let name = token.user_name.or_else(|| token.user_id.map(|id| format!("#{id}")));
        record.account = Some(Account { kind: AccountKind::User, name });
        record.id = Some(TokenId::Vendor(token.token_id.to_string()));
        record.name = token.description;
        record.created = Moment::from_seconds(token.creation_time_sec);
        record.expires = Moment::from_seconds_or_never(token.expiry_time_sec);
        let stats = token.stats.as_ref();
        record.last_used = Moment::from_seconds_or_never(stats.and_then(|s| s.last_login_time_sec));
        let count = |count: Option<i64>, record: &mut Self| {
            let count = count?;
            let converted = u64::try_from(count).ok();
            if converted.is_none() {
                record.anomalies.push(Anomaly::NegativeCount);
            }
            converted
        };
        record.use_count = count(stats.and_then(|s| s.login_count), &mut record);
        record.active_sessions = count(token.active_session_count, &mut record);
        record.checked()
    }

    /// An Insight.io token: times in Unix milliseconds, and its value is its only id.
    #[cfg(feature = "insight")]
    pub(crate) fn insight(source: &str, token: insight::ApiToken) -> Self {
        let mut record = Self::new(Vendor::Insight, source, VendorRecord::Insight(token.clone()));
        record.account = Some(Account { kind: AccountKind::User, name: token.uid });
        record.id = Some(TokenId::fingerprint(Vendor::Insight, &token.api_token));
        record.created = Moment::from_millis(token.created);
        record.last_used = Moment::from_millis(token.last_used);
        record.checked()
    }
}
