//! At-least-once delivery. For each sink: read its cursor, rebuild the events of the version
//! commits between the cursor and `main` from git, oldest first, send each, and move the cursor
//! past it only after the send succeeded. A failure stops that sink's round; the next round (after
//! a backoff, or at the next start-up) starts again from the cursor, so nothing is lost and, in
//! normal operation, nothing is sent twice.
//!
//! Each sink runs in its own task, woken by [`Signals`] when a version is committed: fetching
//! never waits for a sink, and a failing sink never delays another.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use git2::{Oid, Repository};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

use super::cursor::{self, CursorError};
use super::{send, SinkConfig, SinkError, Start};
use crate::backoff::{exponential, Backoff};
use crate::events::{self, Event, EventContext, EventError};

/// Events rebuilt per trip to git; bounds memory during a long catch-up.
const BATCH: usize = 32;

/// First retry delay; doubled after each failure up to the sink's `retry_max`.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// How long availability alerts are retried before being dropped (they are not in git).
const ALERT_ATTEMPTS: u32 = 5;

/// Why a delivery round stopped.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The archive cannot be read.
    #[error(
        "cannot open the archive at {path}: {source}; run `termtrail check` once to create it"
    )]
    Open {
        /// The path.
        path: PathBuf,
        /// libgit2's error.
        source: git2::Error,
    },
    /// A cursor could not be read or moved.
    #[error(transparent)]
    Cursor(#[from] CursorError),
    /// An event could not be rebuilt.
    #[error(transparent)]
    Event(#[from] EventError),
    /// The sink refused or failed.
    #[error("sink {sink}: {source}")]
    Sink {
        /// The sink.
        sink: String,
        /// Why.
        source: SinkError,
    },
    /// The sink registry cannot be written.
    #[error("cannot write {path}: {source}; check that the archive folder is writable")]
    Registry {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A blocking task died (a bug).
    #[error("internal: {0}")]
    Task(String),
}

impl DeliveryError {
    /// Whether the archive, not the sink, failed: the cursor or the registry cannot be read or
    /// written, or an event cannot be rebuilt from git. A sink that is down is not one.
    pub fn is_archive(&self) -> bool {
        match self {
            Self::Open { .. } | Self::Cursor(_) | Self::Event(_) | Self::Registry { .. } => true,
            Self::Sink { .. } | Self::Task(_) => false,
        }
    }
}

/// How checks tell sinks that something happened: a counter of version commits (a `watch`, so
/// every sink sees the latest value and a burst of commits is one wake-up) and a broadcast of
/// availability alerts.
#[derive(Clone)]
pub struct Signals {
    versions: watch::Sender<u64>,
    alerts: broadcast::Sender<Event>,
}

impl Default for Signals {
    fn default() -> Self {
        Self::new()
    }
}

impl Signals {
    /// New signals with nobody listening.
    pub fn new() -> Self {
        Self {
            versions: watch::channel(0).0,
            alerts: broadcast::channel(256).0,
        }
    }

    /// A version commit was made.
    pub fn version_committed(&self) {
        self.versions.send_modify(|n| *n += 1);
    }

    /// An availability alert to deliver.
    pub fn alert(&self, event: Event) {
        // No receiver (no sinks) is fine.
        let _ = self.alerts.send(event);
    }

    /// Listens for alerts.
    pub fn subscribe_alerts(&self) -> broadcast::Receiver<Event> {
        self.alerts.subscribe()
    }
}

/// A cursor and how much is pending, for `termtrail sinks`.
#[derive(Debug, Clone)]
pub struct SinkStatus {
    /// The sink.
    pub name: String,
    /// Its type.
    pub kind: &'static str,
    /// The cursor, if set.
    pub cursor: Option<Oid>,
    /// Version commits after the cursor (before filters: a filtered one counts until passed).
    pub pending: usize,
}

/// Sinks that start at the first version and have not delivered yet (`termtrail-sinks.json`
/// beside the repository data).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Registry {
    #[serde(default)]
    from_beginning: std::collections::BTreeSet<String>,
}

impl Registry {
    fn path(dir: &std::path::Path) -> PathBuf {
        dir.join("termtrail-sinks.json")
    }

    fn load(dir: &std::path::Path) -> Self {
        std::fs::read(Self::path(dir))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn save(&self, dir: &std::path::Path) -> Result<(), DeliveryError> {
        let path = Self::path(dir);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(self).expect("a registry serialises");
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| DeliveryError::Registry { path, source })
    }
}

/// The delivery side: the sinks, how to rebuild events, and an HTTP client.
pub struct Delivery {
    archive: PathBuf,
    sinks: Vec<Arc<SinkConfig>>,
    ctx: Arc<EventContext>,
    http: reqwest::Client,
}

fn open(path: &std::path::Path) -> Result<Repository, DeliveryError> {
    Repository::open_bare(path).map_err(|source| DeliveryError::Open {
        path: path.to_owned(),
        source,
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DeliveryError> + Send + 'static,
) -> Result<T, DeliveryError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| DeliveryError::Task(e.to_string()))?
}

impl Delivery {
    /// Delivery to `sinks` of the versions in the archive at `archive`, their events built with
    /// `ctx`.
    pub fn new(archive: PathBuf, sinks: &[SinkConfig], ctx: EventContext) -> Self {
        Self {
            archive,
            sinks: sinks.iter().cloned().map(Arc::new).collect(),
            ctx: Arc::new(ctx),
            http: reqwest::Client::builder()
                .user_agent(concat!("termtrail/", env!("CARGO_PKG_VERSION")))
                // Webhook receivers are named by the user; following a redirect could resend a
                // signed body elsewhere.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a default HTTP client builds"),
        }
    }

    /// Whether any sink is configured.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    /// Gives each new sink its starting point. A sink seen for the first time while `main` is
    /// empty, or with `start = "beginning"`, is registered in `termtrail-sinks.json` and gets no
    /// cursor: every version is pending for it. Any other new sink gets a cursor at the tip of
    /// `main` (only changes from now on). Call at start-up, before any check.
    ///
    /// The registry is what tells "never delivered anything yet" from "added to the config
    /// today" after a crash before a sink's first delivery; refs cannot say it without writing an
    /// object, which only the archive writer does.
    pub fn init_cursors(&self) -> Result<(), DeliveryError> {
        let repo = open(&self.archive)?;
        let tip = cursor::main_tip(&repo)?;
        let mut registry = Registry::load(&self.archive);
        let before = registry.clone();
        for s in &self.sinks {
            if cursor::read(&repo, &s.name)?.is_some() || registry.from_beginning.contains(&s.name)
            {
                continue;
            }
            match (tip, s.start) {
                (Some(tip), Start::Main) => {
                    cursor::advance(&repo, &s.name, None, tip)?;
                    tracing::info!(sink = %s.name, cursor = %tip, "new sink starts at the current main");
                }
                _ => {
                    registry.from_beginning.insert(s.name.clone());
                    tracing::info!(sink = %s.name, "new sink starts at the first version");
                }
            }
        }
        if registry != before {
            registry.save(&self.archive)?;
        }
        Ok(())
    }

    /// Each sink's cursor and pending count.
    pub fn status(&self) -> Result<Vec<SinkStatus>, DeliveryError> {
        let repo = open(&self.archive)?;
        self.sinks
            .iter()
            .map(|s| {
                let c = cursor::read(&repo, &s.name)?;
                let registered = Registry::load(&self.archive)
                    .from_beginning
                    .contains(&s.name);
                let pending = if c.is_none() && s.start == Start::Main && !registered {
                    // Not started yet: it will start at main.
                    0
                } else {
                    cursor::pending(&repo, c)?.len()
                };
                Ok(SinkStatus {
                    name: s.name.clone(),
                    kind: s.kind.type_name(),
                    cursor: c,
                    pending,
                })
            })
            .collect()
    }

    /// Delivers everything pending for sink `index`, oldest first; stops at the first failure.
    /// Returns how many events were sent. `stop` ends the round between two events.
    pub async fn deliver_pending(
        &self,
        index: usize,
        stop: Option<&watch::Receiver<bool>>,
    ) -> Result<usize, DeliveryError> {
        let sink = self.sinks[index].clone();
        let mut sent = 0;
        loop {
            let (path, ctx, s) = (self.archive.clone(), self.ctx.clone(), sink.clone());
            let (mut at, batch) = blocking(move || {
                let repo = open(&path)?;
                let at = cursor::read(&repo, &s.name)?;
                let mut batch = Vec::new();
                for id in cursor::pending(&repo, at)?.into_iter().take(BATCH) {
                    let commit = repo.find_commit(id).map_err(|source| EventError::Git {
                        what: "a version commit",
                        source,
                    })?;
                    let skip = !s.include_technical
                        && crate::archive::message::is_technical(
                            commit.message().unwrap_or_default(),
                        );
                    let event = if skip {
                        None
                    } else {
                        events::version_event(&repo, id, &ctx)?
                    };
                    batch.push((id, event));
                }
                Ok((at, batch))
            })
            .await?;
            if batch.is_empty() {
                return Ok(sent);
            }
            for (id, event) in batch {
                if stop.is_some_and(|s| *s.borrow()) {
                    return Ok(sent);
                }
                if let Some(event) = event.filter(|e| sink.filter.accepts(e)) {
                    send(&sink, &self.http, &event).await.map_err(|source| {
                        DeliveryError::Sink {
                            sink: sink.name.clone(),
                            source,
                        }
                    })?;
                    sent += 1;
                    crate::counters::counters().delivered(&sink.name, true);
                    tracing::info!(sink = %sink.name, event = %event.id, "delivered");
                    crate::failpoint::hit("delivery.sent");
                }
                // Only now, after success, does the cursor pass this commit.
                let (path, name) = (self.archive.clone(), sink.name.clone());
                blocking(move || {
                    let repo = open(&path)?;
                    Ok(cursor::advance(&repo, &name, at, id)?)
                })
                .await?;
                crate::failpoint::hit("delivery.cursor-moved");
                at = Some(id);
            }
        }
    }

    /// Sends an availability alert to every sink that accepts it, retrying a few times.
    pub async fn deliver_alert(&self, event: &Event) {
        let mut tasks = JoinSet::new();
        for sink in self
            .sinks
            .iter()
            .filter(|s| s.filter.accepts(event))
            .cloned()
        {
            let (http, event) = (self.http.clone(), event.clone());
            tasks.spawn(async move {
                for attempt in 1..=ALERT_ATTEMPTS {
                    match send(&sink, &http, &event).await {
                        Ok(()) => {
                            tracing::info!(sink = %sink.name, event = %event.id, "alert delivered");
                            return;
                        }
                        Err(e) if attempt == ALERT_ATTEMPTS => {
                            tracing::error!(sink = %sink.name, event = %event.id, error = %e, "alert dropped after {ALERT_ATTEMPTS} attempts");
                        }
                        Err(e) => {
                            tracing::warn!(sink = %sink.name, error = %e, "alert delivery failed; retrying");
                            tokio::time::sleep(exponential(FIRST_RETRY, attempt - 1)).await;
                        }
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// One round for every sink at once (for `termtrail check`): failures are logged and left
    /// pending for the next run. Returns the failures that lie with the archive (see
    /// [`DeliveryError::is_archive`]), one line per sink.
    pub async fn deliver_all_once(self: &Arc<Self>) -> Vec<String> {
        let mut tasks = JoinSet::new();
        for i in 0..self.sinks.len() {
            let me = self.clone();
            tasks.spawn(async move {
                match me.deliver_pending(i, None).await {
                    Ok(_) => None,
                    Err(e) => {
                        tracing::warn!(sink = %me.sinks[i].name, error = %e, "delivery failed; the events stay pending for the next run");
                        e.is_archive()
                            .then(|| format!("sink {}: {e}", me.sinks[i].name))
                    }
                }
            });
        }
        let mut refused = Vec::new();
        while let Some(r) = tasks.join_next().await {
            refused.extend(r.ok().flatten());
        }
        refused
    }

    /// Starts one task per sink (plus one for alerts) that delivers at start, after each version
    /// commit, and with backoff after a failure, until `stop` turns true.
    pub fn spawn(self: &Arc<Self>, signals: &Signals, stop: watch::Receiver<bool>) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        for i in 0..self.sinks.len() {
            let me = self.clone();
            let mut versions = signals.versions.subscribe();
            let mut stop = stop.clone();
            tasks.spawn(async move {
                let sink = me.sinks[i].clone();
                let mut backoff = Backoff::new(FIRST_RETRY, sink.retry_max);
                loop {
                    versions.mark_unchanged();
                    match me.deliver_pending(i, Some(&stop)).await {
                        Ok(_) => {
                            backoff.succeeded();
                            tokio::select! {
                                _ = versions.changed() => {}
                                _ = stop.changed() => {}
                            }
                        }
                        Err(e) => {
                            crate::counters::counters().delivered(&sink.name, false);
                            let delay = backoff.failed();
                            tracing::warn!(sink = %sink.name, error = %e, retry_in_s = delay.as_secs(), "delivery failed; other sinks and fetching go on");
                            tokio::select! {
                                _ = tokio::time::sleep(delay) => {}
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
        if !self.sinks.is_empty() {
            let me = self.clone();
            let mut alerts = signals.subscribe_alerts();
            let mut stop = stop.clone();
            tasks.spawn(async move {
                loop {
                    tokio::select! {
                        a = alerts.recv() => match a {
                            Ok(event) => me.deliver_alert(&event).await,
                            Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "availability alerts dropped: too many at once"),
                            Err(broadcast::error::RecvError::Closed) => return,
                        },
                        _ = stop.changed() => return,
                    }
                }
            });
        }
        tasks
    }
}
