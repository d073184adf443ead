//! `/healthz`: 200 while termtrail is healthy, 503 with the reason in JSON otherwise. Under
//! `termtrail serve` healthy means the archive can be read; inside `termtrail run` also that the
//! archive takes writes (no write refused since the last commit, its folders writable) and that
//! a check ended recently (within twice the shortest interval, jitter included), so a wedged
//! daemon shows.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// What the daemon tells the health check: check ends and archive write refusals.
#[derive(Debug)]
pub struct Liveness {
    /// When the daemon started, or the last check ended (Unix milliseconds).
    last_check_ms: AtomicI64,
    /// The last write the archive refused, until a later commit succeeds.
    refused: Mutex<Option<String>>,
    /// Longest quiet time before the daemon counts as stuck.
    max_quiet: Duration,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Liveness {
    /// A daemon that starts now and ends a check at least every `max_quiet`.
    pub fn new(max_quiet: Duration) -> Self {
        Self {
            last_check_ms: AtomicI64::new(now_ms()),
            refused: Mutex::new(None),
            max_quiet,
        }
    }

    /// `max_quiet` for documents checked every `shortest` at most, with `[schedule] jitter`.
    pub fn quiet_limit(shortest: Duration, jitter: f64) -> Duration {
        shortest.mul_f64(2.0 * (1.0 + jitter.clamp(0.0, 1.0)))
    }

    /// A check ended; `refused` is the archive's refusal of its write, `committed` whether it
    /// committed something (which shows the archive takes writes again).
    pub fn checked(&self, refused: Option<String>, committed: bool) {
        self.last_check_ms.store(now_ms(), Ordering::Relaxed);
        let mut r = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        if refused.is_some() {
            *r = refused;
        } else if committed {
            *r = None;
        }
    }

    /// Why the daemon is not healthy, if it is not.
    fn problem(&self, archive: &Path) -> Option<String> {
        if let Some(why) = self
            .refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Some(format!("the archive refused a write: {why}"));
        }
        for dir in [
            archive.to_owned(),
            archive.join("objects"),
            archive.join("refs"),
        ] {
            if !writable(&dir) {
                return Some(format!(
                    "{} is not writable by termtrail's user",
                    dir.display()
                ));
            }
        }
        let quiet = Duration::from_millis(
            now_ms()
                .saturating_sub(self.last_check_ms.load(Ordering::Relaxed))
                .max(0) as u64,
        );
        (quiet > self.max_quiet).then(|| {
            format!(
                "no check has ended for {} s (expected at least every {} s); a fetch or the archive may be stuck",
                quiet.as_secs(),
                self.max_quiet.as_secs_f64().ceil()
            )
        })
    }
}

/// Whether this process may write in `dir` (access(2) with W_OK: the real permissions, ACLs and
/// read-only mounts included).
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access(2) reads a NUL-terminated path and writes nothing.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// The body of `/healthz`.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// Documents with a version, when the archive could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documents: Option<usize>,
    /// Why it is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The health of the archive at `archive` (its documents, or why they cannot be read) and, in
/// the daemon, of the daemon.
pub fn judge(
    archive: &Path,
    documents: Result<usize, String>,
    daemon: Option<&Liveness>,
) -> Health {
    let problem = match &documents {
        Err(e) => Some(format!("cannot read the archive: {e}")),
        Ok(_) => daemon.and_then(|l| l.problem(archive)),
    };
    Health {
        status: if problem.is_some() {
            "unavailable"
        } else {
            "ok"
        },
        documents: documents.ok(),
        reason: problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_write_stays_until_a_commit_and_quiet_time_counts() {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in ["objects", "refs"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        let l = Liveness::new(Duration::from_secs(60));
        assert_eq!(judge(dir.path(), Ok(2), Some(&l)).status, "ok");
        l.checked(Some("cannot lock ref main".into()), false);
        l.checked(None, false);
        let h = judge(dir.path(), Ok(2), Some(&l));
        assert_eq!(h.status, "unavailable");
        assert!(h
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("cannot lock ref main"));
        l.checked(None, true);
        assert_eq!(judge(dir.path(), Ok(2), Some(&l)).status, "ok");
        // Quiet for longer than the limit.
        let stuck = Liveness::new(Duration::ZERO);
        stuck
            .last_check_ms
            .store(now_ms() - 5_000, Ordering::Relaxed);
        let h = judge(dir.path(), Ok(2), Some(&stuck));
        assert!(
            h.reason
                .as_deref()
                .unwrap_or_default()
                .contains("no check has ended for"),
            "{h:?}"
        );
        // `serve`: only the archive matters.
        assert_eq!(judge(dir.path(), Ok(2), None).status, "ok");
        let h = judge(dir.path(), Err("not a repository".into()), None);
        assert_eq!((h.status, h.documents), ("unavailable", None));
        assert_eq!(
            Liveness::quiet_limit(Duration::from_secs(10), 0.1),
            Duration::from_secs(22)
        );
    }
}
