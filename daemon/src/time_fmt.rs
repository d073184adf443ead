//! Time formats, in one place: RFC 3339 for commits and events, Unix seconds for the state file,
//! the short dates of the command line, and HTTP dates (RFC 9110, all three forms).

use std::time::{Duration, SystemTime};

/// Unix seconds of `t` (0 before 1970).
pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The time `secs` Unix seconds after 1970 (1970 itself for a negative number).
pub fn from_unix(secs: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64)
}

/// RFC 3339 UTC, to the second: `2026-01-02T03:04:05Z`.
pub fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix(t))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM` (UTC) of Unix seconds, for listings; empty when out of range.
pub fn short_date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// Parses `YYYY-MM-DD` (the end of that day, UTC) or RFC 3339 into Unix seconds.
pub fn parse_date(s: &str) -> Option<i64> {
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(d.with_hms(23, 59, 59).ok()?.assume_utc().unix_timestamp())
}

/// Parses an HTTP date (`Retry-After`, `Last-Modified`) in any of the three forms RFC 9110
/// requires a recipient to accept: IMF-fixdate, RFC 850 and asctime.
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        let t = from_unix(1_766_100_696);
        assert_eq!(rfc3339(t), "2025-12-18T23:31:36Z");
        assert_eq!(unix(t), 1_766_100_696);
        assert_eq!(short_date(1_766_100_696), "2025-12-18 23:31");
        assert_eq!(parse_date("2025-12-18T23:31:36Z"), Some(1_766_100_696));
        assert_eq!(parse_date("2025-12-18"), Some(1_766_102_399));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(from_unix(-5), SystemTime::UNIX_EPOCH);
    }

    /// RFC 9110 section 5.6.7: the same instant in its three forms.
    #[test]
    fn http_dates_in_all_three_forms() {
        let want = Some(from_unix(784_111_777));
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(form), want, "{form}");
        }
        assert_eq!(parse_http_date("soon"), None);
    }
}
