//! One record type for a token of any vendor.

use serde::Serialize;

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

/// A token of any vendor, with what the inventory and the audit read from it. Serializing one
/// writes no secret: the vendor's record is serialized with its secrets redacted.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TokenRecord {
    /// The product.
    pub vendor: Vendor,
    /// The name of the [`Source`](super::Source) it was listed from.
    pub source: String,
    /// The account it acts as, where the vendor ties it to one.
    pub account: Option<Account>,
    /// An identifier that is stable across listings and never the secret.
    pub id: Option<TokenId>,
    /// Its name or description.
    pub name: Option<String>,
    /// When it was created.
    pub created: Moment,
    /// When it was last used.
    pub last_used: Moment,
    /// When it expires.
    pub expires: Moment,
    /// Whether it is enabled, where the vendor can disable tokens.
    pub enabled: Option<bool>,
    /// What it may do, where the vendor scopes tokens (Bamboo's read and change).
    pub permissions: Option<Permissions>,
    /// How many times it was used, where the vendor counts (Entuity's logins).
    pub use_count: Option<u64>,
    /// How many sessions opened with it are active, where the vendor says (Entuity).
    pub active_sessions: Option<u64>,
    /// Values that cannot be right, such as an expiry before the creation.
    pub anomalies: Vec<Anomaly>,
    /// The vendor's own record, for everything else.
    pub vendor_record: VendorRecord,
}

/// Whom a token acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Account {
    /// What kind of account it is.
    pub kind: AccountKind,
    /// Its name, where the vendor or the source says.
    pub name: Option<String>,
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
    pub(crate) fn fingerprint(vendor: Vendor, secret: &crate::Secret) -> Self {
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
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "vendor", content = "record", rename_all = "snake_case")]
#[non_exhaustive]
pub enum VendorRecord {
    /// A Magpie token.
    #[cfg(feature = "magpie")]
    Magpie(magpie::AccessToken),
    /// A Bamboo token.
    #[cfg(feature = "bamboo")]
    Bamboo(bamboo::Token),
    /// An Entuity token.
    #[cfg(feature = "entuity")]
    Entuity(entuity::AccessToken),
    /// An Insight.io token.
    #[cfg(feature = "insight")]
    Insight(insight::ApiToken),
}
