//! The daemon loop: each document is checked every `interval`, stretched or shrunk at random by
//! up to `jitter`, so that a large set drifts apart instead of being fetched in bursts. A shutdown
//! signal stops new checks, cancels fetches in flight, and lets the archive writer finish the
//! commits it has been handed.

use std::future::Future;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::check::{DocReport, Engine, IN_FLIGHT};
use crate::document::Document;

pub mod settings;
pub use settings::ScheduleSettings;

/// The interval until the next check: `interval × (1 ± jitter)`, `unit` uniform in [0, 1).
pub fn jittered(interval: Duration, jitter: f64, unit: f64) -> Duration {
    interval.mul_f64(1.0 + jitter * (2.0 * unit.clamp(0.0, 1.0) - 1.0))
}

/// How long after start-up a document is first due: the rest of its interval since its last check
/// (none if overdue), or, never checked, a slot spread over a short window so that the first
/// cycle of a large set is not one burst.
pub fn first_delay(
    last_checked: Option<i64>,
    now: i64,
    interval: Duration,
    index: usize,
    count: usize,
) -> Duration {
    match last_checked {
        Some(last) => {
            let elapsed = Duration::from_secs(now.saturating_sub(last).max(0) as u64);
            interval.saturating_sub(elapsed)
        }
        None => {
            let window = (interval / 10).min(Duration::from_secs(30));
            window.mul_f64(index as f64 / count.max(1) as f64)
        }
    }
}

/// Whether no document is due for [`crate::memory::LONG_IDLE`] or more (`None`: in flight).
fn long_idle(due: &[Option<Instant>]) -> bool {
    let now = Instant::now();
    due.iter()
        .flatten()
        .all(|t| t.saturating_duration_since(now) >= crate::memory::LONG_IDLE)
}

/// The documents due at `now` (`due[i]` at or before it), at most `room`, those due longest
/// first: the order the in-flight semaphore served them in when every due check was spawned at
/// once, so that a document checked often cannot starve one waiting since longer. In linear
/// time, as the loop's other scans of `due`.
fn longest_due(due: &[Option<Instant>], now: Instant, room: usize) -> Vec<usize> {
    let mut ready: Vec<(Instant, usize)> = due
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.filter(|t| *t <= now).map(|t| (t, i)))
        .collect();
    if ready.len() > room {
        if room == 0 {
            return Vec::new();
        }
        ready.select_nth_unstable(room - 1);
        ready.truncate(room);
    }
    ready.sort_unstable();
    ready.into_iter().map(|(_, i)| i).collect()
}

/// Resolves at `at`, or never when there is none.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Checks `docs` each at its interval (with `[schedule]` jitter) until `shutdown` completes.
pub async fn run(
    engine: Engine,
    docs: &[Document],
    schedule: &ScheduleSettings,
    shutdown: impl Future<Output = ()>,
) {
    let now_unix = crate::time_fmt::unix(std::time::SystemTime::now());
    let start = Instant::now();
    let mut due: Vec<Option<Instant>> = {
        // Read under the lock rather than from a copy of the whole state (7 MB at 10,000
        // documents).
        let state = engine.archive.state().lock();
        let last_checked = |d: &Document| {
            state
                .as_ref()
                .ok()
                .and_then(|s| s.documents.get(&d.id.to_string()))
                .and_then(|s| s.last_checked)
        };
        docs.iter()
            .enumerate()
            .map(|(i, d)| {
                Some(start + first_delay(last_checked(d), now_unix, d.interval, i, docs.len()))
            })
            .collect()
    };
    tracing::info!(documents = docs.len(), "daemon started");
    let mut running: JoinSet<(usize, Result<DocReport, String>)> = JoinSet::new();
    // When to give freed heap back: once no check has run for a moment (see `memory.rs`).
    let mut trim_at: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        // `None` marks a document in flight. At most IN_FLIGHT checks are spawned at once: a
        // spawned check waits for its in-flight slot holding its document and its whole future
        // (a few KB), so a due document waits here instead, as its due time, until one ends.
        let next = if running.len() < IN_FLIGHT {
            due.iter().flatten().min().copied()
        } else {
            None
        };
        tokio::select! {
            _ = &mut shutdown => break,
            _ = sleep_until(next) => {
                let now = Instant::now();
                for i in longest_due(&due, now, IN_FLIGHT.saturating_sub(running.len())) {
                    due[i] = None;
                    trim_at = None;
                    let engine = engine.clone();
                    let doc = docs[i].clone();
                    running.spawn(async move {
                        // `Engine::check` turns a panic of the check into its failure; this
                        // catches one in its bookkeeping, so the document is never dropped.
                        let report = std::panic::AssertUnwindSafe(engine.check(&doc))
                            .catch_unwind()
                            .await
                            .map_err(|p| crate::check::panic_message(p.as_ref()));
                        (i, report)
                    });
                }
            }
            Some(done) = running.join_next(), if !running.is_empty() => {
                if let Ok((i, report)) = done {
                    if let Err(message) = report {
                        tracing::error!(document = %docs[i].id, panic = %message, "a check panicked; the document is checked again at its next turn");
                    }
                    let wait = jittered(docs[i].interval, schedule.jitter, fastrand::f64());
                    due[i] = Some(Instant::now() + wait);
                    tracing::debug!(document = %docs[i].id, next_in_s = wait.as_secs(), "scheduled");
                }
                if running.is_empty() {
                    engine.archive.save_state().await;
                    // Trimmed now, or, if a trim was too recent, once this idle spell has lasted.
                    if !crate::memory::release_freed_now_and_then() {
                        trim_at = Some(Instant::now() + crate::memory::SETTLE);
                    } else if long_idle(&due) {
                        crate::memory::release_idle_code();
                    }
                }
            }
            _ = sleep_until(trim_at) => {
                trim_at = None;
                crate::memory::release_freed();
                if long_idle(&due) {
                    crate::memory::release_idle_code();
                }
            }
        }
    }
    tracing::info!(
        in_flight = running.len(),
        "shutting down: finishing the commits in hand"
    );
    running.abort_all();
    while running.join_next().await.is_some() {}
    engine.archive.save_state().await;
    engine.renderer.shutdown().await;
}

/// Resolves at the first SIGINT or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled, so a signal that arrives while the caller is still starting
/// (the daemon's start-up re-extraction, a check's set-up) is not the default action that kills
/// the process, but a clean stop once the caller awaits it. Call it inside the runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut int, mut term) = handlers;
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = int => tracing::info!("SIGINT received"),
                _ = term => tracing::info!("SIGTERM received"),
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            tracing::info!("Ctrl-C received");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code pages are given up only when nothing is due for a minute (in flight: `None`).
    #[test]
    fn a_long_idle_is_a_minute_with_nothing_due() {
        let in_ = |s: u64| Some(Instant::now() + Duration::from_secs(s));
        let cases: [(&[Option<Instant>], bool); 5] = [
            (&[], true),
            (&[None, None], true),
            (&[in_(3600), None, in_(120)], true),
            (&[in_(3600), in_(30)], false),
            (&[Some(Instant::now() - Duration::from_secs(1))], false),
        ];
        for (due, want) in cases {
            assert_eq!(long_idle(due), want, "{due:?}");
        }
    }

    #[test]
    fn the_documents_due_longest_go_first_within_the_room() {
        let now = Instant::now();
        let ago = |s: u64| Some(now - Duration::from_secs(s));
        let later = Some(now + Duration::from_secs(5));
        // Index: 0 due 1 s ago, 1 in flight, 2 due 9 s ago, 3 not yet due, 4 due 5 s ago, 5 due
        // 9 s ago (a tie with 2: the lower index first).
        let due = [ago(1), None, ago(9), later, ago(5), ago(9)];
        let cases: [(usize, &[usize]); 5] = [
            (0, &[]),
            (1, &[2]),
            (2, &[2, 5]),
            (3, &[2, 5, 4]),
            (64, &[2, 5, 4, 0]),
        ];
        for (room, want) in cases {
            assert_eq!(longest_due(&due, now, room), want, "room {room}");
        }
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let h = Duration::from_secs(3600);
        assert_eq!(jittered(h, 0.1, 0.5), h);
        assert_eq!(jittered(h, 0.1, 0.0), Duration::from_secs(3240));
        assert!(jittered(h, 0.1, 0.999_999) < Duration::from_secs(3960));
        assert_eq!(jittered(h, 0.0, 0.9), h);
    }

    #[test]
    fn first_checks_resume_or_spread() {
        let h = Duration::from_secs(3600);
        // Checked 10 minutes ago: due in 50 minutes.
        assert_eq!(
            first_delay(Some(1000), 1600, h, 0, 1),
            Duration::from_secs(3000)
        );
        // Overdue: due now.
        assert_eq!(first_delay(Some(0), 10_000, h, 0, 1), Duration::ZERO);
        // Never checked: spread over a window of at most 30 s.
        let slots: Vec<_> = (0..4).map(|i| first_delay(None, 0, h, i, 4)).collect();
        assert_eq!(
            slots,
            [0, 7500, 15000, 22500].map(Duration::from_millis).to_vec()
        );
        assert_eq!(
            first_delay(None, 0, Duration::from_secs(2), 1, 2),
            Duration::from_millis(100)
        );
    }
}
