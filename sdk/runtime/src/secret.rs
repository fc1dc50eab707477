//! Credentials that must never be printed.

use std::borrow::Cow;
use std::fmt;

use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A credential: a password, a session token or an access token's value.
///
/// `Debug` prints `Secret([REDACTED])`, there is no `Display`, and the memory is zeroed when the
/// value is dropped. Read the value with [`Secret::expose_secret`] at the one place that needs
/// it. Every field the vendor documents mark as a credential (`format: password`) has this type,
/// in the hand-written and in the generated layer alike.
///
/// `Serialize` writes the plain value, because request bodies such as a login must carry it.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The credential itself. Keep what you do with it out of logs.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// Compares in time independent of where the values differ, so that equality checks in callers'
/// code do not leak a secret's prefix through timing.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.expose_secret().as_bytes(), other.expose_secret().as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Eq for Secret {}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose_secret())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(feature = "schemars")]
#[cfg_attr(docsrs, doc(cfg(feature = "schemars")))]
impl schemars::JsonSchema for Secret {
    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "password" })
    }
}

/// The raw bytes of a response body, kept so that nothing the server sent is lost.
///
/// A body may hold a credential (a freshly created token the document did not expect, say), so
/// it is treated like one: `Debug` prints only its length and the memory is zeroed on drop.
#[derive(Clone)]
pub struct RawBody {
    bytes: SecretSlice<u8>,
    truncated: bool,
}

impl RawBody {
    pub(crate) fn new(bytes: Vec<u8>, truncated: bool) -> Self {
        Self { bytes: bytes.into(), truncated }
    }

    /// The body as received. Treat it as a secret.
    pub fn expose_bytes(&self) -> &[u8] {
        self.bytes.expose_secret()
    }

    /// The body as text, with invalid UTF-8 replaced. Treat it as a secret.
    pub fn expose_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.expose_bytes())
    }

    /// Whether the body was longer than the SDK keeps, so that this is only its beginning.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The number of bytes kept.
    pub fn len(&self) -> usize {
        self.expose_bytes().len()
    }

    /// Whether the body was empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let more = if self.truncated { "+" } else { "" };
        write!(f, "RawBody(<{}{more} bytes redacted>)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::{RawBody, Secret};

    #[test]
    fn secrets_compare_by_value_and_print_nothing() {
        assert_eq!(Secret::new("abc"), Secret::from("abc"));
        assert_ne!(Secret::new("abc"), Secret::new("abd"));
        assert_ne!(Secret::new("abc"), Secret::new("abcd"));
        assert_eq!(format!("{:?}", Secret::new("abc")), "Secret([REDACTED])");
    }

    #[test]
    fn secrets_serialize_as_their_value_for_request_bodies() {
        let json = serde_json::to_string(&Secret::new("p@ss")).unwrap();
        assert_eq!(json, r#""p@ss""#);
        let back: Secret = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expose_secret(), "p@ss");
    }

    #[test]
    fn raw_bodies_print_only_their_length() {
        let body = RawBody::new(b"{\"token\":\"t0k\"}".to_vec(), true);
        assert_eq!(format!("{body:?}"), "RawBody(<15+ bytes redacted>)");
        assert_eq!(body.expose_text(), "{\"token\":\"t0k\"}");
        assert!(body.is_truncated());
    }
}
