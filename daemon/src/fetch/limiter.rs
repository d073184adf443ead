//! Politeness per host: at most N requests in flight, and a minimum delay between the starts of
//! two requests to the same host. Documents on different hosts never wait for each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The gate of one host.
#[derive(Debug)]
struct HostGate {
    /// Caps requests in flight.
    slots: Arc<Semaphore>,
    /// When the next request may start; held across the wait so that waiters go one by one.
    next_start: tokio::sync::Mutex<Instant>,
    delay: Duration,
}

/// Hands out per-host permission to send a request.
#[derive(Debug, Default)]
pub struct HostLimiter {
    gates: Mutex<HashMap<String, Arc<HostGate>>>,
}

/// Held while a request is in flight; dropping it frees the host's slot.
#[derive(Debug)]
pub struct HostPermit {
    _slot: OwnedSemaphorePermit,
}

impl HostLimiter {
    /// Waits until a request to `host` may start.
    pub async fn acquire(&self, host: &str, concurrency: usize, delay: Duration) -> HostPermit {
        let gate = {
            let mut gates = self
                .gates
                .lock()
                .expect("limiter lock is never poisoned: no panics inside");
            gates
                .entry(host.to_owned())
                .or_insert_with(|| {
                    Arc::new(HostGate {
                        slots: Arc::new(Semaphore::new(concurrency.max(1))),
                        next_start: tokio::sync::Mutex::new(Instant::now()),
                        delay,
                    })
                })
                .clone()
        };
        let slot = gate
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let mut next = gate.next_start.lock().await;
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep_until(*next).await;
        }
        *next = Instant::now().max(*next) + gate.delay;
        HostPermit { _slot: slot }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_host_are_spaced_and_capped() {
        let limiter = Arc::new(HostLimiter::default());
        let start = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..4 {
            let _p = limiter
                .acquire("a.org", 2, Duration::from_millis(500))
                .await;
            starts.push(start.elapsed());
        }
        assert_eq!(
            starts,
            [0, 500, 1000, 1500].map(Duration::from_millis).to_vec()
        );
        // Another host is not delayed by the first one.
        let t = Instant::now();
        let _p = limiter
            .acquire("b.org", 2, Duration::from_millis(500))
            .await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_cap_holds() {
        let limiter = Arc::new(HostLimiter::default());
        let a = limiter.acquire("a.org", 2, Duration::ZERO).await;
        let _b = limiter.acquire("a.org", 2, Duration::ZERO).await;
        let l2 = limiter.clone();
        let third = tokio::spawn(async move { l2.acquire("a.org", 2, Duration::ZERO).await });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(
            !third.is_finished(),
            "a third request started while two were in flight"
        );
        drop(a);
        tokio::time::timeout(Duration::from_secs(1), third)
            .await
            .expect("freed slot is taken")
            .expect("task ok");
    }
}
