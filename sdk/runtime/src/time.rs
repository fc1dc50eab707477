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

/// Milliseconds since the Unix epoch, negative before it (saturating far from it).
#[doc(hidden)]
pub fn to_unix_millis(at: SystemTime) -> i64 {
    let millis = |distance: Duration| i64::try_from(distance.as_millis()).unwrap_or(i64::MAX);
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => millis(after),
        Err(before) => -millis(before.duration()),
    }
}

/// A time to the minute, in UTC: `2026-12-04 18:30`, as reports and tables show times.
#[doc(hidden)]
pub fn utc_minute(at: SystemTime) -> String {
    let seconds = to_unix_millis(at).div_euclid(1000);
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

/// Seconds since the Unix epoch, for request fields; `None` before the epoch.
#[doc(hidden)]
pub fn to_unix_seconds(time: SystemTime) -> Option<i64> {
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

/// Parses an RFC 3339 timestamp, `YYYY-MM-DDTHH:MM:SS[.fff]` then `Z` or an offset
/// (`+00:00`, `-05:00`), as Java and most servers print them. Years past 9999, which Java prints
/// for `Long.MAX_VALUE` ("no expiry"), are `Never`.
#[doc(hidden)]
pub fn parse_iso8601_expiry(text: &str) -> Option<Expiry> {
    let (local, offset_minutes) = split_offset(text)?;
    let (date, time) = local.split_once(['T', 't'])?;
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
    let seconds = days_from_civil(year, month, day) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset_minutes * 60;
    Some(Expiry::At(from_unix_millis(seconds * 1000 + i64::from(millis))))
}

/// The timestamp without its zone, and the zone's offset from UTC in minutes: `Z`, or `±HH:MM`
/// after the time.
fn split_offset(text: &str) -> Option<(&str, i64)> {
    if let Some(local) = text.strip_suffix(['Z', 'z']) {
        return Some((local, 0));
    }
    let at = text.len().checked_sub(6)?;
    let (local, zone) = (text.get(..at)?, text.get(at..)?);
    let sign = match zone.as_bytes() {
        [b'+', _, _, b':', _, _] => 1,
        [b'-', _, _, b':', _, _] => -1,
        _ => return None,
    };
    let (hours, minutes): (i64, i64) = (zone[1..3].parse().ok()?, zone[4..6].parse().ok()?);
    if hours > 23 || minutes > 59 || !local.contains(['T', 't']) {
        return None;
    }
    Some((local, sign * (hours * 60 + minutes)))
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
    fn times_are_shown_as_utc_minutes_and_millis_on_both_sides_of_the_epoch() {
        assert_eq!(utc_minute(UNIX_EPOCH), "1970-01-01 00:00");
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_723);
        assert_eq!(utc_minute(leap_day), "2000-02-29 01:02");
        assert_eq!(utc_minute(UNIX_EPOCH - Duration::from_secs(60)), "1969-12-31 23:59");
        assert_eq!(to_unix_millis(from_unix_millis(-1500)), -1500);
        assert_eq!(to_unix_millis(from_unix_millis(1500)), 1500);
    }

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
            // Magpie's, with an offset: the same moment in any zone.
            ("2026-07-07T22:47:22+00:00", 1_783_464_442_000),
            ("2026-07-07T17:47:22-05:00", 1_783_464_442_000),
            ("2026-07-08T00:17:22.000+01:30", 1_783_464_442_000),
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
            "2023-04-25T10:24:05+0100",
            "2023-04-25T10:24:05+25:00",
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
