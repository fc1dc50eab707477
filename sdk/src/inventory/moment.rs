//! Three-state times: a moment, never, or unknown, never conflated; and how each vendor's
//! timestamps are read into one.

use std::time::SystemTime;

use serde::{Serialize, Serializer};

use crate::Expiry;
use crate::time;

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

    /// Unix seconds, where `0` means never (Entuity).
    pub(crate) fn from_seconds_or_never(seconds: Option<i64>) -> Self {
        match seconds {
            None => Self::UNREPORTED,
            Some(0) => Self::Never,
            Some(seconds) => Self::At(time::from_unix_seconds(seconds)),
        }
    }

    /// Unix seconds, for which `0` is a moment like any other (a creation time).
    pub(crate) fn from_seconds(seconds: Option<i64>) -> Self {
        seconds.map_or(Self::UNREPORTED, |seconds| Self::At(time::from_unix_seconds(seconds)))
    }

    /// Unix milliseconds (Insight.io).
    pub(crate) fn from_millis(millis: Option<i64>) -> Self {
        millis.map_or(Self::UNREPORTED, |millis| Self::At(time::from_unix_millis(millis)))
    }

    /// A timestamp whose format the vendor does not document (Magpie's): an ISO 8601 UTC
    /// string, or Unix seconds or milliseconds as a number or a numeric string. A number of
    /// 10^11 or more is taken as milliseconds: as seconds it would be after the year 5138,
    /// and as milliseconds anything since March 1973 is at least that.
    pub(crate) fn from_undocumented(value: Option<&serde_json::Value>) -> Self {
        use serde_json::Value;
        let unreadable = |value: &Value| Self::Unknown { raw: Some(value.to_string()) };
        let epoch = |number: i64| {
            if number.unsigned_abs() >= 100_000_000_000 {
                Self::At(time::from_unix_millis(number))
            } else {
                Self::At(time::from_unix_seconds(number))
            }
        };
        match value {
            None | Some(Value::Null) => Self::UNREPORTED,
            Some(Value::Number(number)) => {
                number.as_i64().map_or_else(|| unreadable(&Value::Number(number.clone())), epoch)
            }
            Some(Value::String(text)) => match text.trim().parse::<i64>() {
                Ok(number) => epoch(number),
                Err(_) => match time::parse_iso8601_expiry(text.trim()) {
                    Some(Expiry::At(at)) => Self::At(at),
                    Some(Expiry::Never) => Self::Never,
                    None => Self::Unknown { raw: Some(text.clone()) },
                },
            },
            Some(other) => unreadable(other),
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

impl Serialize for Moment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::At(at) => {
                map.serialize_entry("state", "at")?;
                map.serialize_entry("unix_ms", &unix_millis(*at))?;
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

/// Milliseconds since the Unix epoch, negative before it (saturating far from it).
fn unix_millis(at: SystemTime) -> i64 {
    let millis =
        |duration: std::time::Duration| i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
    match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => millis(after),
        Err(before) => -millis(before.duration()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Moment, time};

    #[test]
    fn undocumented_timestamps_are_read_in_the_formats_a_console_sends() {
        let read = |value: serde_json::Value| Moment::from_undocumented(Some(&value));
        let at_seconds = Moment::At(time::from_unix_seconds(1_700_000_000));
        assert_eq!(read(json!(1_700_000_000)), at_seconds);
        assert_eq!(read(json!(1_700_000_000_000_i64)), at_seconds);
        assert_eq!(read(json!("1700000000")), at_seconds);
        assert_eq!(read(json!("1700000000000")), at_seconds);
        assert_eq!(read(json!("2023-11-14T22:13:20Z")), at_seconds);
        assert_eq!(read(json!("292278994-08-17T07:12:55.807Z")), Moment::Never);
        assert_eq!(
            read(json!("next Tuesday")),
            Moment::Unknown { raw: Some("next Tuesday".into()) }
        );
        assert_eq!(read(json!(1.5)), Moment::Unknown { raw: Some("1.5".into()) });
        assert_eq!(read(json!({"at": 1})), Moment::Unknown { raw: Some(r#"{"at":1}"#.into()) });
        assert_eq!(read(json!(null)), Moment::UNREPORTED);
        assert_eq!(Moment::from_undocumented(None), Moment::UNREPORTED);
    }

    #[test]
    fn zero_is_never_only_where_the_vendor_says_so() {
        assert_eq!(Moment::from_seconds_or_never(Some(0)), Moment::Never);
        assert_eq!(Moment::from_seconds(Some(0)), Moment::At(time::from_unix_seconds(0)));
        assert_eq!(Moment::from_seconds_or_never(None), Moment::UNREPORTED);
        assert_eq!(Moment::from_millis(Some(-1)), Moment::At(time::from_unix_millis(-1)));
    }

    #[test]
    fn moments_serialize_with_their_state() {
        let shown = |moment: Moment| serde_json::to_value(moment).unwrap();
        assert_eq!(shown(Moment::from_millis(Some(1500))), json!({"state": "at", "unix_ms": 1500}));
        assert_eq!(
            shown(Moment::from_millis(Some(-1500))),
            json!({"state": "at", "unix_ms": -1500})
        );
        assert_eq!(shown(Moment::Never), json!({"state": "never"}));
        assert_eq!(shown(Moment::UNREPORTED), json!({"state": "unknown", "raw": null}));
    }
}
