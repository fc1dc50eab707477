//! What a rotation keeps between runs, beside its sink: ids and times, never a secret.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::inventory::TokenId;

/// A rotation's bookkeeping between runs, which its [`Sink`](super::Sink) keeps (a
/// [`FileSink`](super::FileSink) in `<file>.rotation`, as JSON): what the sink holds as
/// current and pending, what the run in progress replaces, what earlier runs created and left,
/// a create whose answer never came, and what waits out the grace window. Ids only (a
/// [fingerprint](TokenId::Fingerprint) where the vendor's id is the secret) and times: no
/// secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Ledger {
    /// The format, [`Ledger::VERSION`]; a ledger from a newer release is refused.
    #[serde(default)]
    pub version: u32,
    /// The credential the sink holds as current, once a rotation made it current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<TokenId>,
    /// The credential the sink holds as pending, once it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<TokenId>,
    /// What the run in progress replaces: the credential that was current when it began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacing: Option<TokenId>,
    /// Credentials this rotation created that are neither current nor pending: to retire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leftovers: Vec<TokenId>,
    /// A create whose answer never came: what was listed just before it, and when it began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<Attempt>,
    /// Replaced credentials waiting out the grace window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting: Vec<Waiting>,
    /// When a rotation of this sink last finished, in Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotated_unix_ms: Option<i64>,
}

/// A create in progress, or whose answer never came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Attempt {
    /// The target's credentials listed just before the create.
    pub before: Vec<TokenId>,
    /// When the create began, in Unix milliseconds.
    pub started_unix_ms: i64,
}

/// A replaced credential that stays alive until `retire_at`, for applications that reload late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Waiting {
    /// The credential.
    pub id: TokenId,
    /// When it is retired, in Unix milliseconds.
    pub retire_at_unix_ms: i64,
}

impl Waiting {
    /// When it is retired.
    pub fn retire_at(&self) -> SystemTime {
        access_tokens_runtime::time::from_unix_millis(self.retire_at_unix_ms)
    }
}

impl Ledger {
    /// The format this release writes.
    pub const VERSION: u32 = 1;

    /// Reads a ledger as [`to_json`](Self::to_json) wrote it; refuses one from a newer release
    /// (which may hold what this one would drop) and one that does not parse.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let ledger: Self =
            serde_json::from_str(text).map_err(|e| format!("not a rotation ledger: {e}"))?;
        if ledger.version > Self::VERSION {
            return Err(format!(
                "written by a newer release (format {}, this one reads {})",
                ledger.version,
                Self::VERSION
            ));
        }
        Ok(ledger)
    }

    /// The ledger as JSON, in this release's format.
    pub fn to_json(&self) -> String {
        let current = Self { version: Self::VERSION, ..self.clone() };
        serde_json::to_string_pretty(&current).expect("a ledger serializes") + "\n"
    }

    /// When the rotation last finished, if it has.
    pub fn last_rotated(&self) -> Option<SystemTime> {
        self.last_rotated_unix_ms.map(access_tokens_runtime::time::from_unix_millis)
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        *self == Self { version: self.version, ..Self::default() }
    }
}

/// `at` plus `span`, saturating far in the future.
pub(crate) fn later(at: SystemTime, span: Duration) -> SystemTime {
    at.checked_add(span).unwrap_or(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::MAX / 4))
}

#[cfg(test)]
mod tests {
    use super::{Attempt, Ledger, Waiting};
    use crate::inventory::TokenId;

    #[test]
    fn a_ledger_reads_back_as_written_and_a_newer_one_is_refused() {
        let ledger = Ledger {
            current: Some(TokenId::Vendor("17".into())),
            attempt: Some(Attempt {
                before: vec![TokenId::Fingerprint("sha256:0011223344556677".into())],
                started_unix_ms: 1_800_000_000_000,
            }),
            waiting: vec![Waiting { id: TokenId::Vendor("16".into()), retire_at_unix_ms: 5 }],
            ..Ledger::default()
        };
        let json = ledger.to_json();
        assert!(json.contains("\"version\": 1"), "{json}");
        let read = Ledger::from_json(&json).unwrap();
        assert_eq!(read, Ledger { version: 1, ..ledger });
        let newer = json.replace("\"version\": 1", "\"version\": 2");
        assert!(Ledger::from_json(&newer).unwrap_err().contains("newer release"));
        assert!(
            Ledger::from_json("{\"secret\": 1}").unwrap_err().starts_with("not a rotation ledger")
        );
        assert!(Ledger::default().is_empty() && !read.is_empty());
    }
}
