//! A server's clock, read from the `Date` header of its answers: audits judge expiries by the
//! server's "now", and say how far this machine's clock is off.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::header::{DATE, HeaderMap};
use serde::{Serialize, Serializer};

/// What a server's clock said (its `Date` header, to the second) when it answered, and what
/// ours said when the answer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerClock {
    date: SystemTime,
    received: SystemTime,
}

impl ServerClock {
    /// The server's `Date`.
    pub fn date(&self) -> SystemTime {
        self.date
    }

    /// Our clock when the answer came.
    pub fn received(&self) -> SystemTime {
        self.received
    }

    /// How far the server's clock is ahead of ours, in milliseconds (negative: behind). `Date`
    /// has whole seconds, so a skew within a second is noise.
    pub fn skew_ms(&self) -> i64 {
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        match self.date.duration_since(self.received) {
            Ok(ahead) => millis(ahead),
            Err(behind) => -millis(behind.duration()),
        }
    }

    /// Now by the server's clock: ours, moved by the skew.
    pub fn now(&self) -> SystemTime {
        let now = SystemTime::now();
        match self.date.duration_since(self.received) {
            Ok(ahead) => now + ahead,
            Err(behind) => now - behind.duration(),
        }
    }
}

/// `{"date_unix_ms": …, "skew_ms": …}`.
impl Serialize for ServerClock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let date = self.date.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        let mut clock = serializer.serialize_struct("ServerClock", 2)?;
        clock.serialize_field(
            "date_unix_ms",
            &u64::try_from(date.as_millis()).unwrap_or(u64::MAX),
        )?;
        clock.serialize_field("skew_ms", &self.skew_ms())?;
        clock.end()
    }
}

/// The last reading of a server's clock, shared by the clients of one connection.
#[derive(Debug, Default)]
pub(crate) struct ClockWatch(Mutex<Option<ServerClock>>);

impl ClockWatch {
    /// Takes the reading in an answer's `Date` header, if it has one that parses.
    pub(crate) fn observe(&self, headers: &HeaderMap) {
        let Some(date) = headers.get(DATE).and_then(|value| value.to_str().ok()) else { return };
        let Ok(date) = httpdate::parse_http_date(date) else { return };
        let reading = ServerClock { date, received: SystemTime::now() };
        // A poisoned lock only means a panic elsewhere mid-assignment of a Copy value.
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(reading);
    }

    /// The last reading.
    pub(crate) fn last(&self) -> Option<ServerClock> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use reqwest::header::{DATE, HeaderMap, HeaderValue};

    use super::ClockWatch;

    #[test]
    fn a_date_header_gives_the_servers_clock_and_its_skew() {
        let watch = ClockWatch::default();
        assert_eq!(watch.last(), None);
        let mut headers = HeaderMap::new();
        headers.insert(DATE, HeaderValue::from_static("not a date"));
        watch.observe(&headers);
        assert_eq!(watch.last(), None);

        let ahead = SystemTime::now() + Duration::from_secs(3600);
        headers.insert(DATE, httpdate::fmt_http_date(ahead).parse().unwrap());
        watch.observe(&headers);
        let clock = watch.last().unwrap();
        assert!((3_598_000..=3_600_000).contains(&clock.skew_ms()), "{}", clock.skew_ms());
        let now = clock.now().duration_since(SystemTime::now() + Duration::from_secs(3598));
        assert!(now.is_ok_and(|over| over <= Duration::from_secs(3)));
        assert_eq!(
            serde_json::to_value(clock).unwrap()["skew_ms"],
            serde_json::json!(clock.skew_ms())
        );
    }
}
