//! Vendor timestamps as [`SystemTime`]: Unix seconds (Entuity), Unix milliseconds and
//! ISO-8601 strings (Insight.io). The generated types keep the raw values; these helpers back
//! the accessors the facades add to them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When a token stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Expiry {
    /// At this moment.
    At(SystemTime),
    /// Never: the vendor marks the token as not expiring.
    Never,
}

impl Expiry {
    /// Whether the token has expired at `now`.
    pub fn is_expired_at(self, now: SystemTime) -> bool {
        matches!(self, Self::At(at) if at <= now)
    }
}

/// The moment `seconds` after the Unix epoch (before it when negative).
#[doc(hidden)]
pub fn from_unix_seconds(seconds: i64) -> SystemTime {
    offset(Duration::from_secs(seconds.unsigned_abs()), seconds < 0)
}

/// The moment `millis` milliseconds after the Unix epoch (before it when negative).
#[doc(hidden)]
pub fn from_unix_millis(millis: i64) -> SystemTime {
    offset(Duration::from_millis(millis.unsigned_abs()), millis < 0)
}

fn offset(distance: Duration, before: bool) -> SystemTime {
    if before { UNIX_EPOCH - distance } else { UNIX_EPOCH + distance }
}

/// Seconds since the Unix epoch, for request fields; `None` before the epoch.
#[doc(hidden)]
pub fn to_unix_seconds(time: SystemTime) -> Option<i64> {
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

/// Parses an ISO-8601 UTC timestamp as Java prints it: `YYYY-MM-DDTHH:MM:SS[.fff]Z`. Years
/// past 9999, which Java prints for `Long.MAX_VALUE` ("no expiry"), are `Never`.
#[doc(hidden)]
pub fn parse_iso8601_expiry(text: &str) -> Option<Expiry> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let mut date_parts = date.rsplitn(3, '-');
    let (day, month, year) = (date_parts.next()?, date_parts.next()?, date_parts.next()?);
    let year: i64 = year.parse().ok()?;
    let (month, day): (u32, u32) = (month.parse().ok()?, day.parse().ok()?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let mut clock_parts = clock.split(':').map(str::parse::<u32>);
    let (hour, minute, second) =
        (clock_parts.next()?.ok()?, clock_parts.next()?.ok()?, clock_parts.next()?.ok()?);
    if clock_parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let millis: u32 = format!("{fraction:0<3}").get(..3)?.parse().ok()?;
    if year > 9999 {
        return Some(Expiry::Never);
    }
    let seconds =
        days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(Expiry::At(from_unix_millis(seconds * 1000 + i64::from(millis))))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_and_millis_convert_both_ways() {
        // 2023-04-25T10:24:05Z, the expiry in Entuity's example.
        let at = from_unix_seconds(1_682_418_245);
        assert_eq!(to_unix_seconds(at), Some(1_682_418_245));
        assert_eq!(
            from_unix_millis(1_496_357_580_959),
            UNIX_EPOCH + Duration::from_millis(1_496_357_580_959)
        );
        assert_eq!(from_unix_seconds(-1), UNIX_EPOCH - Duration::from_secs(1));
        assert_eq!(to_unix_seconds(from_unix_seconds(-1)), None);
    }

    #[test]
    fn iso8601_expiries_parse_and_javas_far_future_means_never() {
        assert_eq!(parse_iso8601_expiry("292278994-08-17T07:12:55.807Z"), Some(Expiry::Never));
        for (text, unix_millis) in [
            ("2023-04-25T10:24:05Z", 1_682_418_245_000),
            ("2017-06-01T22:53:00.959Z", 1_496_357_580_959),
            ("1970-01-01T00:00:00.5Z", 500),
            ("2024-02-29T00:00:00Z", 1_709_164_800_000),
        ] {
            let expected = Expiry::At(from_unix_millis(unix_millis));
            assert_eq!(parse_iso8601_expiry(text), Some(expected), "{text}");
        }
        for bad in [
            "",
            "2023-04-25",
            "2023-13-01T00:00:00Z",
            "2023-04-25T10:24:05",
            "x-y-zT1:2:3Z",
            "2023-04-25T25:00:00Z",
        ] {
            assert_eq!(parse_iso8601_expiry(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_a_past_moment_has_expired() {
        let now = from_unix_seconds(1_700_000_000);
        assert!(Expiry::At(from_unix_seconds(1_600_000_000)).is_expired_at(now));
        assert!(!Expiry::At(from_unix_seconds(1_800_000_000)).is_expired_at(now));
        assert!(!Expiry::Never.is_expired_at(now));
    }
}
