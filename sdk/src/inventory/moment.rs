//! Three-state times: a moment, never, or unknown, never conflated.

use std::time::SystemTime;

use serde::{Serialize, Serializer};

use access_tokens_runtime::time;

use crate::Expiry;

/// When something happened or will happen to a token, as the vendor reported it.
///
/// `Never` is a vendor's own "never" (Entuity's `0` for an expiry or a last login, Insight.io's
/// far-future date); `Unknown` is a vendor that did not say, or said it in a form the SDK could
/// not read, which it keeps. Serialized as `{"state": "at", "unix_ms": …}`, `{"state":
/// "never"}` or `{"state": "unknown", "raw": …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moment {
    /// At this moment.
    At(SystemTime),
    /// Never: the vendor says so.
    Never,
    /// Not reported (`raw` is `None`), or reported as `raw`, which could not be read.
    Unknown {
        /// The value as the vendor sent it, when it sent one.
        raw: Option<String>,
    },
}

impl Moment {
    /// Not reported.
    pub const UNREPORTED: Self = Self::Unknown { raw: None };

    /// The moment, when there is one.
    pub fn at(&self) -> Option<SystemTime> {
        match self {
            Self::At(at) => Some(*at),
            Self::Never | Self::Unknown { .. } => None,
        }
    }
}

impl From<Option<Expiry>> for Moment {
    fn from(expiry: Option<Expiry>) -> Self {
        match expiry {
            Some(Expiry::At(at)) => Self::At(at),
            Some(Expiry::Never) => Self::Never,
            None => Self::UNREPORTED,
        }
    }
}

impl From<Option<SystemTime>> for Moment {
    fn from(at: Option<SystemTime>) -> Self {
        at.map_or(Self::UNREPORTED, Self::At)
    }
}

impl Serialize for Moment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::At(at) => {
                map.serialize_entry("state", "at")?;
                map.serialize_entry("unix_ms", &time::to_unix_millis(*at))?;
            }
            Self::Never => map.serialize_entry("state", "never")?,
            Self::Unknown { raw } => {
                map.serialize_entry("state", "unknown")?;
                map.serialize_entry("raw", raw)?;
            }
        }
        map.end()
    }
}

/// A time to the minute in UTC, `2026-12-04 18:30`: how reports, plans and tables show times.
pub fn utc_minute(at: SystemTime) -> String {
    time::utc_minute(at)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Moment;
    use access_tokens_runtime::time;

    #[test]
    fn moments_serialize_with_their_state() {
        let shown = |moment: Moment| serde_json::to_value(moment).unwrap();
        let at = |millis| Moment::At(time::from_unix_millis(millis));
        assert_eq!(shown(at(1500)), json!({"state": "at", "unix_ms": 1500}));
        assert_eq!(shown(at(-1500)), json!({"state": "at", "unix_ms": -1500}));
        assert_eq!(shown(Moment::Never), json!({"state": "never"}));
        assert_eq!(shown(Moment::UNREPORTED), json!({"state": "unknown", "raw": null}));
    }
}
