//! When to retry a fetch and how long to wait: exponential backoff with jitter, and the server's
//! own `Retry-After` on 429 and 503.

use std::time::{Duration, SystemTime};

/// The longest wait between two attempts, whatever the attempt number.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The wait before retry number `attempt` (0 for the first retry): `base * 2^attempt`, scaled by
/// a random factor in [0.5, 1.5) (`unit` is a uniform sample in [0, 1)) so that many clients that
/// failed together do not retry together.
pub fn backoff(base: Duration, attempt: u32, unit: f64) -> Duration {
    crate::backoff::jittered(crate::backoff::exponential(base, attempt.min(16)), unit)
        .min(MAX_BACKOFF)
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date (any of its three forms).
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = crate::time_fmt::parse_http_date(v)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let base = Duration::from_secs(2);
        assert_eq!(backoff(base, 0, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(base, 1, 0.5), Duration::from_secs(4));
        assert_eq!(backoff(base, 3, 0.5), Duration::from_secs(16));
        assert_eq!(backoff(base, 0, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(base, 0, 0.999_999).as_millis(), 2999);
        assert_eq!(backoff(base, 30, 0.5), MAX_BACKOFF);
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 06 Nov 1994 08:49:37
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        // The obsolete forms RFC 9110 still requires recipients to accept.
        assert_eq!(
            retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_after("Sun Nov  6 08:50:37 1994", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }
}
