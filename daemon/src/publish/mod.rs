//! Publishing the archive: `[archive] push` lists git remotes that receive `main`, `snapshots`
//! (and the sink cursors with `push_sinks`) after each check that committed something. Each
//! remote has its own background task with exponential backoff, so a failing remote never holds
//! up checks or another remote; `push.rs` is one push with libgit2, `record.rs` how the last
//! attempts went, `settings.rs` the keys. What a remote accepted is recorded in
//! `refs/termtrail/pushed/REMOTE/...` (refs only, like sink cursors: no object is written), which
//! is how `termtrail remotes` tells what is not pushed yet.

pub mod push;
pub mod record;
pub mod settings;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use git2::Repository;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use record::{PushRecords, RemoteRecord};
pub use settings::{PushSettings, Remote};

use crate::backoff::Backoff;

/// First retry after a failed push; doubled after each failure up to [`RETRY_MAX`].
const FIRST_RETRY: Duration = Duration::from_secs(2);

/// The longest wait between two attempts on a failing remote.
const RETRY_MAX: Duration = Duration::from_secs(10 * 60);

/// Why a push failed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The archive cannot be opened.
    #[error(
        "cannot open the archive at {path}: {source}; run `termtrail check` once to create it"
    )]
    Open {
        /// The archive.
        path: PathBuf,
        /// libgit2's error.
        source: git2::Error,
    },
    /// An `env:VAR` address is not set.
    #[error("remote {remote}: {source}")]
    Address {
        /// The remote.
        remote: String,
        /// Why.
        source: crate::sinks::secret::SecretError,
    },
    /// libgit2 failed (the remote cannot be reached, is not a repository, refused the login...).
    #[error("remote {remote}: cannot {op}: {message}; check the address in [archive] push, that the repository exists and that termtrail may write to it")]
    Git {
        /// The remote.
        remote: String,
        /// What was being done.
        op: &'static str,
        /// libgit2's message, secrets removed.
        message: String,
        /// libgit2's error class (network, ssh, http, os, ...).
        class: git2::ErrorClass,
    },
    /// The remote refused a ref (its branch has commits this archive does not have).
    #[error("remote {remote} refused {name}: {reason}; is another archive pushing to the same branch? give each instance its own repository or its own [archive] push_namespace")]
    Rejected {
        /// The remote.
        remote: String,
        /// The remote ref.
        name: String,
        /// The remote's reason.
        reason: String,
    },
    /// A blocking task died (a bug).
    #[error("internal: {0}")]
    Task(String),
}

/// Wakes the push tasks: bumped after each check that committed a version or a snapshot (a
/// `watch`, so a burst of commits during a push is one more push).
#[derive(Debug, Clone)]
pub struct Trigger(watch::Sender<u64>);

impl Default for Trigger {
    fn default() -> Self {
        Self(watch::channel(0).0)
    }
}

impl Trigger {
    /// Something was committed.
    pub fn committed(&self) {
        self.0.send_modify(|n| *n += 1);
    }
}

/// One ref of a remote, for `termtrail remotes --json` and `/metrics`.
#[derive(Debug, Clone, Serialize)]
pub struct RefStatus {
    /// The local ref.
    pub local: String,
    /// Its name on the remote.
    pub remote: String,
    /// Commits the remote has not accepted.
    pub pending: usize,
}

/// One remote's status.
#[derive(Debug, Clone, Serialize)]
pub struct RemoteStatus {
    /// Its name.
    pub name: String,
    /// Its address, printable (no password).
    pub address: String,
    /// Each ref.
    pub refs: Vec<RefStatus>,
    /// How the attempts went.
    #[serde(flatten)]
    pub record: RemoteRecord,
}

impl RemoteStatus {
    /// Commits not pushed, all refs together.
    pub fn pending(&self) -> usize {
        self.refs.iter().map(|r| r.pending).sum()
    }
}

/// The publishing side: the archive, its remotes and the record of attempts.
pub struct Publisher {
    archive: PathBuf,
    settings: PushSettings,
    records: Mutex<()>,
}

fn now() -> i64 {
    crate::time_fmt::unix(std::time::SystemTime::now())
}

impl Publisher {
    /// Publishes the archive at `archive` as `settings` say.
    pub fn new(archive: PathBuf, settings: PushSettings) -> Self {
        set_network_timeouts();
        Self {
            archive,
            settings,
            records: Mutex::new(()),
        }
    }

    /// Whether any remote is configured.
    pub fn is_empty(&self) -> bool {
        self.settings.remotes.is_empty()
    }

    /// Each remote's refs, what is pending, and how the last attempts went (reads git).
    pub fn status(&self) -> Result<Vec<RemoteStatus>, PushError> {
        let repo = Repository::open_bare(&self.archive).map_err(|source| PushError::Open {
            path: self.archive.clone(),
            source,
        })?;
        let records = PushRecords::load(&self.archive);
        self.settings
            .remotes
            .iter()
            .map(|remote| {
                let refs = push::plan(&repo, remote, &self.settings)?
                    .iter()
                    .map(|p| {
                        let pending =
                            push::commits_pending(&repo, p).map_err(|source| PushError::Git {
                                remote: remote.name.clone(),
                                op: "count the commits not pushed",
                                message: source.message().to_owned(),
                                class: source.class(),
                            })?;
                        Ok(RefStatus {
                            local: p.local.clone(),
                            remote: p.remote.clone(),
                            pending,
                        })
                    })
                    .collect::<Result<_, PushError>>()?;
                Ok(RemoteStatus {
                    name: remote.name.clone(),
                    address: remote.display(),
                    refs,
                    record: records
                        .remotes
                        .get(&remote.name)
                        .cloned()
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// One push to remote `index` on a blocking thread, its outcome noted in the records.
    /// Returns how many refs were pushed.
    pub async fn push_once(self: &Arc<Self>, index: usize) -> Result<usize, PushError> {
        let me = self.clone();
        let done = tokio::task::spawn_blocking(move || {
            let remote = &me.settings.remotes[index];
            let result = push::push(&me.archive, remote, &me.settings);
            // Nothing to push and no earlier failure: no attempt worth noting.
            let quiet = matches!(&result, Ok(p) if p.is_empty());
            let _guard = me.records.lock().unwrap_or_else(|e| e.into_inner());
            let mut records = PushRecords::load(&me.archive);
            let failing = records
                .remotes
                .get(&remote.name)
                .is_some_and(|r| r.failures > 0);
            if !quiet || failing {
                crate::counters::counters().pushed(&remote.name, result.is_ok());
                records.note(
                    &remote.name,
                    now(),
                    result.as_ref().err().map(ToString::to_string),
                );
                if let Err(e) = records.save(&me.archive) {
                    tracing::warn!(error = %e, "cannot write termtrail-push.json; `termtrail remotes` may show an older state");
                }
            }
            result.map(|p| p.len())
        })
        .await
        .map_err(|e| PushError::Task(e.to_string()))?;
        if let Ok(n) = &done {
            if *n > 0 {
                tracing::info!(remote = %self.settings.remotes[index].name, refs = n, "pushed");
            }
        }
        done
    }

    /// One push to every remote at once (for `termtrail check`); failures are logged and left
    /// pending for the next run.
    pub async fn push_all_once(self: &Arc<Self>) {
        let mut tasks = JoinSet::new();
        for i in 0..self.settings.remotes.len() {
            let me = self.clone();
            tasks.spawn(async move {
                if let Err(e) = me.push_once(i).await {
                    tracing::warn!(remote = %me.settings.remotes[i].name, error = %e, "push failed; the commits stay pending for the next run");
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Starts one task per remote that pushes at start, after each commit `trigger` announces,
    /// and with backoff after a failure, until `stop` turns true.
    pub fn spawn(self: &Arc<Self>, trigger: &Trigger, stop: watch::Receiver<bool>) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        for i in 0..self.settings.remotes.len() {
            let me = self.clone();
            let mut commits = trigger.0.subscribe();
            let mut stop = stop.clone();
            tasks.spawn(async move {
                let name = me.settings.remotes[i].name.clone();
                let mut backoff = Backoff::new(FIRST_RETRY, RETRY_MAX);
                loop {
                    commits.mark_unchanged();
                    match me.push_once(i).await {
                        Ok(_) => {
                            backoff.succeeded();
                            tokio::select! {
                                _ = commits.changed() => {}
                                _ = stop.changed() => {}
                            }
                        }
                        Err(e) => {
                            let delay = backoff.failed();
                            tracing::warn!(remote = %name, error = %e, retry_in_s = delay.as_secs(), "push failed; checks and other remotes go on");
                            // A new commit tries again at once: the remote may be back.
                            tokio::select! {
                                _ = tokio::time::sleep(delay) => {}
                                _ = commits.changed() => {}
                                _ = stop.changed() => {}
                            }
                        }
                    }
                    if *stop.borrow() {
                        return;
                    }
                }
            });
        }
        tasks
    }
}

/// Bounds how long a push may wait on a silent server, so a hung remote cannot keep the daemon
/// from stopping (libgit2's default is to wait for ever). Set once per process.
fn set_network_timeouts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: libgit2's global options, set once before any push of this process starts
        // (Publisher::new runs before its tasks are spawned).
        unsafe {
            let _ = git2::opts::set_server_connect_timeout_in_milliseconds(30_000);
            let _ = git2::opts::set_server_timeout_in_milliseconds(120_000);
        }
    });
}
