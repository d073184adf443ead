//! Exponential backoff, the one implementation behind every retry: fetches (with jitter),
//! plugin host restarts and sink deliveries.

use std::time::Duration;

/// `first × 2^attempt`, saturating (attempt 0 is `first`).
pub fn exponential(first: Duration, attempt: u32) -> Duration {
    first.saturating_mul(1u32 << attempt.min(31))
}

/// `delay` scaled by a random factor in [0.5, 1.5) (`unit` is a uniform sample in [0, 1)), so
/// that many clients that failed together do not retry together.
pub fn jittered(delay: Duration, unit: f64) -> Duration {
    delay.mul_f64(0.5 + unit.clamp(0.0, 1.0))
}

/// Waits after consecutive failures: `first`, then doubling up to `max`; back to `first` after a
/// success.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// Starts at `first`, doubles up to `max`.
    pub fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max,
            failures: 0,
        }
    }

    /// The wait after one more failure.
    pub fn failed(&mut self) -> Duration {
        let wait = match self.failures {
            0 => self.first,
            n => exponential(self.first, n).min(self.max),
        };
        self.failures = self.failures.saturating_add(1);
        wait
    }

    /// A success: the next failure waits `first` again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_ceiling_and_resets() {
        let s = Duration::from_secs;
        assert_eq!(exponential(s(2), 0), s(2));
        assert_eq!(exponential(s(2), 3), s(16));
        assert_eq!(exponential(Duration::MAX, 3), Duration::MAX);
        assert_eq!(jittered(s(2), 0.5), s(2));
        assert_eq!(jittered(s(2), 0.0), s(1));
        let mut b = Backoff::new(s(1), s(5));
        let waits: Vec<_> = (0..5).map(|_| b.failed()).collect();
        assert_eq!(waits, [s(1), s(2), s(4), s(5), s(5)]);
        b.succeeded();
        assert_eq!(b.failed(), s(1));
        // The first wait is `first` even above the ceiling, as the delivery loop always did.
        let mut low = Backoff::new(s(1), Duration::from_millis(100));
        assert_eq!(low.failed(), s(1));
        assert_eq!(low.failed(), Duration::from_millis(100));
    }
}
