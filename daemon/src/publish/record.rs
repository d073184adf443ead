//! `termtrail-push.json` beside the repository data: per remote, when it was last tried and last
//! accepted a push, and the last error, for `termtrail remotes` and `/metrics`. What each remote
//! holds is in the refs `refs/termtrail/pushed/REMOTE/...`; this file only says how it went.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How pushing to one remote went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteRecord {
    /// Last attempt (Unix seconds).
    pub last_attempt: Option<i64>,
    /// Last attempt that ended with everything pushed (Unix seconds).
    pub last_success: Option<i64>,
    /// Attempts failed in a row (0 after a success).
    #[serde(default)]
    pub failures: u32,
    /// The error of the last failed attempt, while failures go on.
    pub last_error: Option<String>,
}

/// Every remote's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecords {
    /// By remote name.
    #[serde(default)]
    pub remotes: BTreeMap<String, RemoteRecord>,
}

impl PushRecords {
    /// The file in `archive`.
    pub fn path(archive: &Path) -> PathBuf {
        archive.join("termtrail-push.json")
    }

    /// Reads the file; none yet (or unreadable: it is only a report) gives empty records.
    pub fn load(archive: &Path) -> Self {
        std::fs::read(Self::path(archive))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes the file whole (temporary file, then rename).
    pub fn save(&self, archive: &Path) -> std::io::Result<()> {
        let path = Self::path(archive);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(self).expect("records serialise");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }

    /// Notes an attempt on `remote` at `now`: a success (`None`) or its error.
    pub fn note(&mut self, remote: &str, now: i64, error: Option<String>) {
        let r = self.remotes.entry(remote.to_owned()).or_default();
        r.last_attempt = Some(now);
        match error {
            None => {
                r.last_success = Some(now);
                r.failures = 0;
                r.last_error = None;
            }
            Some(e) => {
                r.failures = r.failures.saturating_add(1);
                r.last_error = Some(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_count_up_and_a_success_clears_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = PushRecords::load(dir.path());
        assert!(r.remotes.is_empty());
        r.note("terms", 10, Some("no such repository".into()));
        r.note("terms", 20, Some("still not".into()));
        r.save(dir.path()).expect("save");
        let back = PushRecords::load(dir.path());
        let t = &back.remotes["terms"];
        assert_eq!(
            (t.failures, t.last_attempt, t.last_success),
            (2, Some(20), None)
        );
        assert_eq!(t.last_error.as_deref(), Some("still not"));
        let mut back = back;
        back.note("terms", 30, None);
        let t = &back.remotes["terms"];
        assert_eq!(
            (t.failures, t.last_success, t.last_error.clone()),
            (0, Some(30), None)
        );
    }
}
