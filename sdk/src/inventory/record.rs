//! One record type for a token of any vendor.

use std::borrow::Cow;

use serde::{Serialize, Serializer};

use super::Moment;
#[cfg(feature = "bamboo")]
use crate::bamboo;
#[cfg(feature = "entuity")]
use crate::entuity;
#[cfg(feature = "insight")]
use crate::insight;
#[cfg(feature = "magpie")]
use crate::magpie;

/// The product a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Vendor {
    /// Silect Magpie.
    Magpie,
    /// Agent APIs for Bamboo.
    Bamboo,
    /// Entuity.
    Entuity,
    /// Insight.io.
    Insight,
}

/// `magpie`, `bamboo`, `entuity` or `insight`, as it is serialized.
impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Magpie => "magpie",
            Self::Bamboo => "bamboo",
            Self::Entuity => "entuity",
            Self::Insight => "insight",
        })
    }
}

/// The tokens one source listed, as the vendor sent them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Listing {
    /// The name of the [`Source`](super::Source).
    pub source: String,
    /// Its tokens.
    pub tokens: Tokens,
}

/// A vendor's list of tokens, as decoded.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Tokens {
    /// Magpie tokens: a user's own, or those of the service account `service_account`.
    #[cfg(feature = "magpie")]
    Magpie {
        /// The service account listed, if it was one.
        service_account: Option<String>,
        /// The tokens.
        tokens: Vec<magpie::AccessToken>,
    },
    /// A Bamboo server's tokens.
    #[cfg(feature = "bamboo")]
    Bamboo(Vec<bamboo::Token>),
    /// An Entuity server's tokens.
    #[cfg(feature = "entuity")]
    Entuity(Vec<entuity::AccessToken>),
    /// An Insight.io user's tokens.
    #[cfg(feature = "insight")]
    Insight(Vec<insight::ApiToken>),
}

impl Tokens {
    /// How many there are.
    pub fn len(&self) -> usize {
        match self {
            #[cfg(feature = "magpie")]
            Tokens::Magpie { tokens, .. } => tokens.len(),
            #[cfg(feature = "bamboo")]
            Tokens::Bamboo(tokens) => tokens.len(),
            #[cfg(feature = "entuity")]
            Tokens::Entuity(tokens) => tokens.len(),
            #[cfg(feature = "insight")]
            Tokens::Insight(tokens) => tokens.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Listing {
    /// How many tokens it has.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether it has no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Its tokens as records.
    pub fn records(&self) -> impl ExactSizeIterator<Item = TokenRecord<'_>> {
        (0..self.len()).map(|index| TokenRecord { listing: self, index })
    }
}

/// A token of any vendor: what the inventory and the audit read from the vendor's own record,
/// in one shape for every vendor.
///
/// It borrows the vendor's record from its [`Listing`], and each reading is made when it is
/// asked for: an inventory of many thousands of tokens costs no more than their lists.
/// Serializing one writes every reading and the vendor's record, and no secret: the vendor's
/// secrets are redacted, and [`id`](Self::id) is never one.
#[derive(Debug, Clone, Copy)]
pub struct TokenRecord<'a> {
    listing: &'a Listing,
    /// Always within the listing's tokens.
    index: usize,
}

impl<'a> TokenRecord<'a> {
    /// The product.
    pub fn vendor(&self) -> Vendor {
        match self.vendor_record() {
            #[cfg(feature = "magpie")]
            VendorRecord::Magpie(_) => Vendor::Magpie,
            #[cfg(feature = "bamboo")]
            VendorRecord::Bamboo(_) => Vendor::Bamboo,
            #[cfg(feature = "entuity")]
            VendorRecord::Entuity(_) => Vendor::Entuity,
            #[cfg(feature = "insight")]
            VendorRecord::Insight(_) => Vendor::Insight,
        }
    }

    /// The name of the [`Source`](super::Source) it was listed from.
    pub fn source(&self) -> &'a str {
        &self.listing.source
    }

    /// The vendor's own record, for everything else.
    pub fn vendor_record(&self) -> VendorRecord<'a> {
        match &self.listing.tokens {
            #[cfg(feature = "magpie")]
            Tokens::Magpie { tokens, .. } => VendorRecord::Magpie(&tokens[self.index]),
            #[cfg(feature = "bamboo")]
            Tokens::Bamboo(tokens) => VendorRecord::Bamboo(&tokens[self.index]),
            #[cfg(feature = "entuity")]
            Tokens::Entuity(tokens) => VendorRecord::Entuity(&tokens[self.index]),
            #[cfg(feature = "insight")]
            Tokens::Insight(tokens) => VendorRecord::Insight(&tokens[self.index]),
        }
    }

    /// The account it acts as, where the vendor ties it to one: Magpie's user or service
    /// account, Entuity's user (by name, or `#` and its id), Insight.io's user.
    pub fn account(&self) -> Option<Account<'a>> {
        let (kind, name) = self.account_name()?;
        let name = name.map(|name| match name {
            AccountName::Name(name) => Cow::Borrowed(name),
            AccountName::Id(_) => Cow::Owned(name.to_string()),
        });
        Some(Account { kind, name })
    }

    /// What [`account`](Self::account) says, without making a name from an id: the audit
    /// counts tokens per account over every record.
    pub(crate) fn account_name(&self) -> Option<(AccountKind, Option<AccountName<'a>>)> {
        let user = |name: Option<AccountName<'a>>| Some((AccountKind::User, name));
        match self.vendor_record() {
            #[cfg(feature = "magpie")]
            VendorRecord::Magpie(_) => match &self.listing.tokens {
                Tokens::Magpie { service_account: Some(name), .. } => {
                    Some((AccountKind::ServiceAccount, Some(AccountName::Name(name))))
                }
                _ => user(None),
            },
            #[cfg(feature = "bamboo")]
            VendorRecord::Bamboo(_) => None,
            #[cfg(feature = "entuity")]
            VendorRecord::Entuity(token) => user(match (&token.user_name, token.user_id) {
                (Some(name), _) => Some(AccountName::Name(name)),
                (None, Some(id)) => Some(AccountName::Id(id)),
                (None, None) => None,
            }),
            #[cfg(feature = "insight")]
            VendorRecord::Insight(token) => user(token.uid.as_deref().map(AccountName::Name)),
        }
    }

    /// An identifier that is stable across listings and never the secret: Magpie's and
    /// Entuity's ids, and a [fingerprint](TokenId::Fingerprint) of Bamboo's uuid and
    /// Insight.io's value, which are the secrets themselves.
    pub fn id(&self) -> Option<TokenId> {
        match self.vendor_record() {
            #[cfg(feature = "magpie")]
            VendorRecord::Magpie(token) => token.id.clone().map(TokenId::Vendor),
            #[cfg(feature = "bamboo")]
            VendorRecord::Bamboo(token) => Some(TokenId::fingerprint(Vendor::Bamboo, &token.uuid)),
            #[cfg(feature = "entuity")]
            VendorRecord::Entuity(token) => Some(TokenId::Vendor(token.token_id.to_string())),
            #[cfg(feature = "insight")]
            VendorRecord::Insight(token) => {
                Some(TokenId::fingerprint(Vendor::Insight, &token.api_token))
            }
        }
    }

    /// Its name or description.
    pub fn name(&self) -> Option<&'a str> {
        match self.vendor_record() {
            #[cfg(feature = "magpie")]
            VendorRecord::Magpie(token) => token.description.as_deref(),
            #[cfg(feature = "bamboo")]
            VendorRecord::Bamboo(token) => Some(&token.name),
            #[cfg(feature = "entuity")]
            VendorRecord::Entuity(token) => token.description.as_deref(),
            #[cfg(feature = "insight")]
            VendorRecord::Insight(_) => None,
        }
    }

    /// When it was created. Magpie's times come in a format the vendor does not document:
    /// [`Moment`] reads the plausible ones and keeps the rest raw.
    pub fn created(&self) -> Moment {
        self.readings().created
    }

    /// When it was last used (Entuity: its last login, `0` meaning never).
    pub fn last_used(&self) -> Moment {
        self.readings().last_used
    }

    /// When it expires (Entuity: `0` meaning never).
    pub fn expires(&self) -> Moment {
        self.readings().expires
    }

    /// Whether it is enabled, where the vendor can disable tokens (Magpie).
    pub fn enabled(&self) -> Option<bool> {
        self.readings().enabled
    }

    /// What it may do, where the vendor scopes tokens (Bamboo's read and change).
    pub fn permissions(&self) -> Option<Permissions> {
        self.readings().permissions
    }

    /// How many times it was used, where the vendor counts (Entuity's logins); a negative
    /// count is `None` and an [anomaly](Self::anomalies).
    pub fn use_count(&self) -> Option<u64> {
        self.readings().use_count()
    }

    /// How many sessions opened with it are active, where the vendor says (Entuity); a
    /// negative count is `None` and an [anomaly](Self::anomalies).
    pub fn active_sessions(&self) -> Option<u64> {
        self.readings().active_sessions()
    }

    /// Values that cannot be right, such as an expiry before the creation; the vendor's
    /// record keeps them as sent.
    pub fn anomalies(&self) -> Vec<Anomaly> {
        self.readings().anomalies()
    }

    /// Everything the audit reads, from one look at the vendor's record: the units its times
    /// come in, and which of its values mean never.
    pub(crate) fn readings(&self) -> Readings {
        let mut readings = Readings {
            created: Moment::UNREPORTED,
            last_used: Moment::UNREPORTED,
            expires: Moment::UNREPORTED,
            enabled: None,
            permissions: None,
            uses: None,
            sessions: None,
        };
        match self.vendor_record() {
            #[cfg(feature = "magpie")]
            VendorRecord::Magpie(token) => {
                readings.created = Moment::from_undocumented(token.created.as_ref());
                readings.expires = Moment::from_undocumented(token.expires.as_ref());
                readings.enabled = token.disabled.map(|disabled| !disabled);
            }
            #[cfg(feature = "bamboo")]
            VendorRecord::Bamboo(token) => {
                readings.permissions = Some(Permissions { read: token.read, write: token.change });
            }
            #[cfg(feature = "entuity")]
            VendorRecord::Entuity(token) => {
                let stats = token.stats.as_ref();
                readings.created = Moment::from_seconds(token.creation_time_sec);
                readings.expires = Moment::from_seconds_or_never(token.expiry_time_sec);
                readings.last_used =
                    Moment::from_seconds_or_never(stats.and_then(|s| s.last_login_time_sec));
                readings.uses = stats.and_then(|stats| stats.login_count);
                readings.sessions = token.active_session_count;
            }
            #[cfg(feature = "insight")]
            VendorRecord::Insight(token) => {
                readings.created = Moment::from_millis(token.created);
                readings.last_used = Moment::from_millis(token.last_used);
            }
        }
        readings
    }
}

/// What a record says about its token, read once.
pub(crate) struct Readings {
    pub(crate) created: Moment,
    pub(crate) last_used: Moment,
    pub(crate) expires: Moment,
    pub(crate) enabled: Option<bool>,
    pub(crate) permissions: Option<Permissions>,
    /// The vendor's counts, as sent.
    uses: Option<i64>,
    sessions: Option<i64>,
}

impl Readings {
    pub(crate) fn use_count(&self) -> Option<u64> {
        self.uses.and_then(|count| u64::try_from(count).ok())
    }

    pub(crate) fn active_sessions(&self) -> Option<u64> {
        self.sessions.and_then(|count| u64::try_from(count).ok())
    }

    /// Whether any value cannot be right, without listing them.
    pub(crate) fn has_anomalies(&self) -> bool {
        let created = self.created.at();
        let before_creation = |moment: &Moment| {
            created.is_some_and(|created| moment.at().is_some_and(|at| at < created))
        };
        before_creation(&self.expires)
            || before_creation(&self.last_used)
            || self.uses.is_some_and(i64::is_negative)
            || self.sessions.is_some_and(i64::is_negative)
    }

    pub(crate) fn anomalies(&self) -> Vec<Anomaly> {
        let mut anomalies = Vec::new();
        if let Some(created) = self.created.at() {
            if self.expires.at().is_some_and(|expires| expires < created) {
                anomalies.push(Anomaly::ExpiresBeforeCreated);
            }
            if self.last_used.at().is_some_and(|used| used < created) {
                anomalies.push(Anomaly::UsedBeforeCreated);
            }
        }
        if self.uses.is_some_and(i64::is_negative) || self.sessions.is_some_and(i64::is_negative) {
            anomalies.push(Anomaly::NegativeCount);
        }
        anomalies
    }
}

/// Every reading, then the vendor's record: the shape of a serialized [`TokenRecord`].
#[derive(Serialize)]
struct Shown<'a> {
    vendor: Vendor,
    source: &'a str,
    account: Option<Account<'a>>,
    id: Option<TokenId>,
    name: Option<&'a str>,
    created: Moment,
    last_used: Moment,
    expires: Moment,
    enabled: Option<bool>,
    permissions: Option<Permissions>,
    use_count: Option<u64>,
    active_sessions: Option<u64>,
    anomalies: Vec<Anomaly>,
    vendor_record: VendorRecord<'a>,
}

impl Serialize for TokenRecord<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let readings = self.readings();
        Shown {
            vendor: self.vendor(),
            source: self.source(),
            account: self.account(),
            id: self.id(),
            name: self.name(),
            anomalies: readings.anomalies(),
            use_count: readings.use_count(),
            active_sessions: readings.active_sessions(),
            created: readings.created,
            last_used: readings.last_used,
            expires: readings.expires,
            enabled: readings.enabled,
            permissions: readings.permissions,
            vendor_record: self.vendor_record(),
        }
        .serialize(serializer)
    }
}

/// Whom a token acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Account<'a> {
    /// What kind of account it is.
    pub kind: AccountKind,
    /// Its name, where the vendor or the source says.
    pub name: Option<Cow<'a, str>>,
}

/// An account's name as the vendor gives it: a name, or only a user id (shown as `#17`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum AccountName<'a> {
    Name(&'a str),
    Id(i64),
}

impl AccountName<'_> {
    /// `==`, without a call to `memcmp` for the short names accounts have: the audit compares
    /// every record's account with the one before.
    pub(crate) fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Name(a), Self::Name(b)) => {
                a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(a, b)| a == b)
            }
            (Self::Id(a), Self::Id(b)) => a == b,
            _ => false,
        }
    }
}

impl std::fmt::Display for AccountName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Name(name) => f.write_str(name),
            Self::Id(id) => write!(f, "#{id}"),
        }
    }
}

/// What kind of account a token acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccountKind {
    /// A person's account.
    User,
    /// An account for machines (Magpie's service accounts).
    ServiceAccount,
}

/// A token's identifier that is not its secret.
///
/// Where the vendor's id is the secret itself (Bamboo's `uuid`, Insight.io's token value), it
/// is a fingerprint instead: the first 64 bits of a SHA-256 digest of the vendor and the
/// value, in hex. It names the same token in every listing and report, and is safe to show:
/// a digest cannot be turned back into the value, and these values are random strings far too
/// long to be guessed from it (Bamboo's uuids carry 122 random bits).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum TokenId {
    /// The vendor's own id, which is not a secret.
    Vendor(String),
    /// `sha256:` and 16 hex digits of the token's fingerprint.
    Fingerprint(String),
}

impl TokenId {
    /// The fingerprint of `secret`, a token of `vendor`.
    pub fn fingerprint(vendor: Vendor, secret: &crate::Secret) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        context.update(b"access-tokens fingerprint v1\0");
        context.update(vendor.to_string().as_bytes());
        context.update(b"\0");
        context.update(secret.expose_secret().as_bytes());
        let digest = context.finish();
        let mut text = String::with_capacity(23);
        text.push_str("sha256:");
        for byte in &digest.as_ref()[..8] {
            text.push(char::from(HEX[usize::from(byte >> 4)]));
            text.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        Self::Fingerprint(text)
    }
}

impl std::fmt::Display for TokenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Vendor(id) | Self::Fingerprint(id) => f.write_str(id),
        }
    }
}

/// What a scoped token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Permissions {
    /// Whether it may read.
    pub read: bool,
    /// Whether it may change state.
    pub write: bool,
}

/// A value in a vendor's record that cannot be right; the record keeps it as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Anomaly {
    /// It expires before it was created (as in Entuity's own example).
    ExpiresBeforeCreated,
    /// It was last used before it was created.
    UsedBeforeCreated,
    /// A count is negative.
    NegativeCount,
}

/// The vendor's own record of a token, as listed.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "vendor", content = "record", rename_all = "snake_case")]
#[non_exhaustive]
pub enum VendorRecord<'a> {
    /// A Magpie token.
    #[cfg(feature = "magpie")]
    Magpie(&'a magpie::AccessToken),
    /// A Bamboo token.
    #[cfg(feature = "bamboo")]
    Bamboo(&'a bamboo::Token),
    /// An Entuity token.
    #[cfg(feature = "entuity")]
    Entuity(&'a entuity::AccessToken),
    /// An Insight.io token.
    #[cfg(feature = "insight")]
    Insight(&'a insight::ApiToken),
}
