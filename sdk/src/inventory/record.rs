//! One record type for a token of any vendor.

use std::borrow::Cow;

use serde::{Serialize, Serializer};

use super::Moment;
use super::vendor::{Listed, TokenList, VendorToken};

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
impl Vendor {
    /// Its name, as serialized.
    fn name(self) -> &'static str {
        match self {
            Self::Magpie => "magpie",
            Self::Bamboo => "bamboo",
            Self::Entuity => "entuity",
            Self::Insight => "insight",
        }
    }
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The tokens one source listed, as the vendor sent them.
#[derive(Debug)]
#[non_exhaustive]
pub struct Listing {
    /// The name of the [`Source`](super::Source).
    pub source: String,
    /// Its tokens.
    pub tokens: Tokens,
}

/// A vendor's list of tokens, as decoded: each vendor's own token type, which
/// [`of`](Self::of) hands back.
#[derive(Debug)]
pub struct Tokens(Box<dyn TokenList>);

impl Tokens {
    /// `tokens` as listed from a source about `account`, if it is one account's (a Magpie
    /// service account); otherwise each token says whose it is.
    pub(crate) fn new<T: VendorToken>(
        account: Option<(AccountKind, String)>,
        tokens: Vec<T>,
    ) -> Self {
        Self(Box::new(Listed { account, tokens }))
    }

    /// The vendor they are tokens of.
    pub fn vendor(&self) -> Vendor {
        self.0.vendor()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tokens as the vendor's client returned them, if they are of type `T`
    /// (`magpie::AccessToken`, `bamboo::Token`, `entuity::AccessToken`, `insight::ApiToken`).
    pub fn of<T: 'static>(&self) -> Option<&[T]> {
        let listed: &Listed<T> = self.0.as_any().downcast_ref()?;
        Some(&listed.tokens)
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
        self.tokens().vendor()
    }

    /// The name of the [`Source`](super::Source) it was listed from.
    pub fn source(&self) -> &'a str {
        &self.listing.source
    }

    /// The vendor's own record, for everything else, if it is of type `T` (the vendor
    /// module's token type: `magpie::AccessToken`, `bamboo::Token`, `entuity::AccessToken`,
    /// `insight::ApiToken`).
    pub fn vendor_record<T: 'static>(&self) -> Option<&'a T> {
        self.tokens().token(self.index).downcast_ref()
    }

    fn tokens(&self) -> &'a dyn TokenList {
        &*self.listing.tokens.0
    }

    /// The account it acts as, where the vendor or the source ties it to one: Magpie's user
    /// or service account, Entuity's user (by name, or `#` and its id), Insight.io's user.
    pub fn account(&self) -> Option<Account<'a>> {
        self.tokens().account(self.index)
    }

    /// An identifier that is stable across listings and never the secret: Magpie's and
    /// Entuity's ids, and a [fingerprint](TokenId::Fingerprint) of Bamboo's uuid and
    /// Insight.io's value, which are the secrets themselves.
    pub fn id(&self) -> Option<TokenId> {
        self.tokens().id(self.index)
    }

    /// Its name or description.
    pub fn name(&self) -> Option<&'a str> {
        self.tokens().name(self.index)
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

    /// What tells it apart: what [`id`](Self::id) shows, before a secret is fingerprinted.
    #[cfg(feature = "history")]
    pub(crate) fn identity(&self) -> Option<super::Identity<'a>> {
        self.tokens().identity(self.index)
    }

    /// Everything the audit reads, from one look at the vendor's record: the units its times
    /// come in, and which of its values mean never.
    pub(crate) fn readings(&self) -> Readings {
        self.tokens().readings(self.index)
    }
}

/// What a record says about its token, read once; each vendor fills in what it reports.
pub(crate) struct Readings {
    pub(crate) created: Moment,
    pub(crate) last_used: Moment,
    pub(crate) expires: Moment,
    pub(crate) enabled: Option<bool>,
    pub(crate) permissions: Option<Permissions>,
    /// The vendor's counts, as sent.
    pub(crate) uses: Option<i64>,
    pub(crate) sessions: Option<i64>,
}

impl Default for Readings {
    /// Nothing reported.
    fn default() -> Self {
        Self {
            created: Moment::UNREPORTED,
            last_used: Moment::UNREPORTED,
            expires: Moment::UNREPORTED,
            enabled: None,
            permissions: None,
            uses: None,
            sessions: None,
        }
    }
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

/// The vendor's own record and its vendor, serialized as `{"vendor": …, "record": …}`.
#[derive(Serialize)]
struct VendorRecord<'a> {
    vendor: Vendor,
    record: &'a dyn erased_serde::Serialize,
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
            vendor_record: VendorRecord {
                vendor: self.vendor(),
                record: self.tokens().record(self.index),
            },
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
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
        context.update(vendor.name().as_bytes());
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
