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
        let created = Moment::from_undocumented(token.created.as_ref());
        let expires = Moment::from_undocumented(token.expires.as_ref());
        let (id, name, enabled) = (
            token.id.clone().map(TokenId::Vendor),
            token.description.clone(),
            token.disabled.map(|d| !d),
        );
        let mut record = Self::new(Vendor::Magpie, source, VendorRecord::Magpie(token));
        record.account = Some(account);
        (record.id, record.name, record.enabled) = (id, name, enabled);
        (record.created, record.expires) = (created, expires);
        record.checked()
    }

    /// A Bamboo token: tied to no account, its uuid is its secret, and it reports no times.
    #[cfg(feature = "bamboo")]
    pub(crate) fn bamboo(source: &str, token: bamboo::Token) -> Self {
        let id = TokenId::fingerprint(Vendor::Bamboo, &token.uuid);
        let (name, permissions) =
            (token.name.clone(), Permissions { read: token.read, write: token.change });
        let mut record = Self::new(Vendor::Bamboo, source, VendorRecord::Bamboo(token));
        (record.id, record.name, record.permissions) = (Some(id), Some(name), Some(permissions));
        record
    }

    /// An Entuity token: times in Unix seconds, `0` meaning never for its expiry and its last
    /// login.
    #[cfg(feature = "entuity")]
    pub(crate) fn entuity(source: &str, token: entuity::AccessToken) -> Self {
        let user = token.user_name.clone().or_else(|| token.user_id.map(|id| format!("#{id}")));
        let id = TokenId::Vendor(token.token_id.to_string());
        let name = token.description.clone();
        let created = Moment::from_seconds(token.creation_time_sec);
        let expires = Moment::from_seconds_or_never(token.expiry_time_sec);
        let stats = token.stats.as_ref();
        let last_used = Moment::from_seconds_or_never(stats.and_then(|s| s.last_login_time_sec));
        let (logins, sessions) = (stats.and_then(|s| s.login_count), token.active_session_count);
        let mut record = Self::new(Vendor::Entuity, source, VendorRecord::Entuity(token));
        record.account = Some(Account { kind: AccountKind::User, name: user });
        (record.id, record.name) = (Some(id), name);
        (record.created, record.expires, record.last_used) = (created, expires, last_used);
        let mut count = |count: Option<i64>| {
            let count = count?;
            let converted = u64::try_from(count).ok();
            if converted.is_none() {
                record.anomalies.push(Anomaly::NegativeCount);
            }
            converted
        };
        let (use_count, active_sessions) = (count(logins), count(sessions));
        (record.use_count, record.active_sessions) = (use_count, active_sessions);
        record.checked()
    }

    /// An Insight.io token: times in Unix milliseconds, and its value is its only id.
    #[cfg(feature = "insight")]
    pub(crate) fn insight(source: &str, token: insight::ApiToken) -> Self {
        let id = TokenId::fingerprint(Vendor::Insight, &token.api_token);
        let account = Account { kind: AccountKind::User, name: token.uid.clone() };
        let (created, last_used) =
            (Moment::from_millis(token.created), Moment::from_millis(token.last_used));
        let mut record = Self::new(Vendor::Insight, source, VendorRecord::Insight(token));
        (record.account, record.id) = (Some(account), Some(id));
        (record.created, record.last_used) = (created, last_used);
        record.checked()
    }
}
