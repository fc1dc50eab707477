//! Credentials that must never be printed.

use std::borrow::Cow;
use std::cell::Cell;
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
/// `Serialize` writes `"[REDACTED]"`, so that serializing what the SDK returns (a token list
/// written to a log or an inventory) writes no credential. Request bodies, which must carry
/// the value, are serialized inside [`Secret::exposed_while`], and so is anything a caller
/// decides to store with its secrets, in code that says so.
#[derive(Clone)]
pub struct Secret(SecretString);

/// What a [`Secret`] serializes as outside [`Secret::exposed_while`].
pub const REDACTED: &str = "[REDACTED]";

thread_local! {
    /// Whether this thread is inside [`Secret::exposed_while`].
    static EXPOSED: Cell<bool> = const { Cell::new(false) };
}

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The credential itself. Keep what you do with it out of logs.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// Runs `f` with every `Secret` serializing as its value, on this thread only; outside it,
    /// secrets serialize as [`REDACTED`]. The SDK builds request bodies this way; use it where
    /// you mean to write secrets, e.g. to a credential store:
    ///
    /// ```
    /// # use access_tokens_runtime as access_tokens;
    /// use access_tokens::Secret;
    ///
    /// let token = Secret::new("t0k3n");
    /// assert_eq!(serde_json::to_string(&token).unwrap(), r#""[REDACTED]""#);
    /// let stored = Secret::exposed_while(|| serde_json::to_string(&token)).unwrap();
    /// assert_eq!(stored, r#""t0k3n""#);
    /// ```
    pub fn exposed_while<T>(f: impl FnOnce() -> T) -> T {
        /// Puts the flag back as it was, also when `f` panics.
        struct Restore(bool);
        impl Drop for Restore {
            fn drop(&mut self) {
                EXPOSED.set(self.0);
            }
        }
        let _restore = Restore(EXPOSED.replace(true));
        f()
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
        if EXPOSED.get() {
            serializer.serialize_str(self.expose_secret())
        } else {
            serializer.serialize_str(REDACTED)
        }
    }
}

/// Refuses [`REDACTED`]: it is what a secret serializes as without its value, so reading it
/// back would give a "secret" whose value is the marker, silently.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        if value == REDACTED {
            return Err(serde::de::Error::custom(
                "a redacted secret: it was serialized without its value (see Secret::exposed_while)",
            ));
        }
        Ok(Self::new(value))
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
    fn secrets_serialize_redacted_unless_exposed_for_a_request_body() {
        let secret = Secret::new("p@ss");
        assert_eq!(serde_json::to_string(&secret).unwrap(), r#""[REDACTED]""#);
        let json = Secret::exposed_while(|| serde_json::to_string(&secret)).unwrap();
        assert_eq!(json, r#""p@ss""#);
        let back: Secret = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expose_secret(), "p@ss");
        // Only inside the closure, and back to redacted after a panic in it.
        assert_eq!(serde_json::to_string(&secret).unwrap(), r#""[REDACTED]""#);
        let panicked = std::panic::catch_unwind(|| Secret::exposed_while(|| panic!("inside")));
        assert!(panicked.is_err());
        assert_eq!(serde_json::to_string(&secret).unwrap(), r#""[REDACTED]""#);
    }

    #[test]
    fn a_redacted_secret_is_not_read_back_as_one() {
        let serialized = serde_json::to_string(&vec![Secret::new("t0k3n")]).unwrap();
        let error = serde_json::from_str::<Vec<Secret>>(&serialized).unwrap_err();
        assert!(error.to_string().starts_with("a redacted secret"), "{error}");
        let exposed = Secret::exposed_while(|| serde_json::to_string(&Secret::new("t0k3n")));
        let back: Secret = serde_json::from_str(&exposed.unwrap()).unwrap();
        assert_eq!(back.expose_secret(), "t0k3n");
    }

    #[test]
    fn raw_bodies_print_only_their_length() {
        let body = RawBody::new(b"{\"token\":\"t0k\"}".to_vec(), true);
        assert_eq!(format!("{body:?}"), "RawBody(<15+ bytes redacted>)");
        assert_eq!(body.expose_text(), "{\"token\":\"t0k\"}");
        assert!(body.is_truncated());
    }
}
