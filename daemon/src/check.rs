//! Checking documents: fetch, snapshot, extract, version. One document's failure is reported and
//! never stops the others.

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use termtrail_extract::{normalise_text, ExtractError};
use tokio::task::JoinSet;

use crate::archive::{
    Archive, ArchiveError, ArchiveHandle, SnapshotMeta, VersionRequest, VersionResult, WriterThread,
};
use crate::config::{Config, Document, Extraction};
use crate::document::DocumentId;
use crate::fetch::{decode, FetchError, FetchOutcome, Fetched, Fetcher};
use crate::plugin::PluginError;
use termtrail_plugin_api::{ExtractRequest, FetchedDocument};

/// Why one document could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The fetch failed.
    #[error("fetch {url}: {source}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        source: FetchError,
    },
    /// The page gave no text.
    #[error("extract: {0}")]
    Extract(#[from] ExtractError),
    /// The content type is not one termtrail can extract text from.
    #[error("content type {0:?} is not supported; expected HTML or plain text")]
    Unsupported(String),
    /// Writing to the archive failed.
    #[error("archive: {0}")]
    Archive(#[from] ArchiveError),
    /// The document's plugin failed (or could not be loaded).
    #[error("{0}")]
    Plugin(#[from] PluginFailure),
    /// The extraction task died (a bug); reported, not propagated.
    #[error("extraction crashed: {0}")]
    Crashed(String),
}

/// What checking one document gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The first version was recorded.
    New,
    /// A new version was recorded.
    Changed,
    /// No new version (304, same bytes, or same text).
    Unchanged,
    /// The check failed.
    Error,
}

/// The result of checking one document.
#[derive(Debug)]
pub struct DocReport {
    /// The document.
    pub id: DocumentId,
    /// What happened.
    pub outcome: Outcome,
    /// Whether a snapshot commit was made.
    pub snapshot_committed: bool,
    /// The error, when `outcome` is `Error`.
    pub error: Option<CheckError>,
}

/// The summary `check --json` prints.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct CycleReport {
    /// Documents checked.
    pub checked: usize,
    /// Documents recorded for the first time.
    pub new: usize,
    /// Documents with a new version.
    pub changed: usize,
    /// Documents without a new version.
    pub unchanged: usize,
    /// Documents whose check failed.
    pub errors: usize,
    /// Ids of the changed documents.
    pub changed_ids: Vec<String>,
    /// Ids of the documents recorded for the first time.
    pub new_ids: Vec<String>,
    /// Ids of the failed documents.
    pub error_ids: Vec<String>,
}

impl CycleReport {
    /// Adds one document's result.
    pub fn add(&mut self, r: &DocReport) {
        self.checked += 1;
        let id = r.id.to_string();
        match r.outcome {
            Outcome::New => {
                self.new += 1;
                self.new_ids.push(id);
            }
            Outcome::Changed => {
                self.changed += 1;
                self.changed_ids.push(id);
            }
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Error => {
                self.errors += 1;
                self.error_ids.push(id);
            }
        }
    }

    fn sort(&mut self) {
        self.changed_ids.sort();
        self.new_ids.sort();
        self.error_ids.sort();
    }
}

/// The file extension a snapshot is stored under, from its content type.
fn snapshot_extension(content_type: Option<&str>) -> &'static str {
    let ct = content_type.unwrap_or("text/html").to_ascii_lowercase();
    if ct.starts_with("text/plain") {
        "txt"
    } else if ct.contains("pdf") {
        "pdf"
    } else if ct.contains("json") {
        "json"
    } else {
        "html"
    }
}

/// A plugin error, shared: one load error is reported for each of the plugin's documents.
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub struct PluginFailure(pub Arc<PluginError>);

/// The request a plugin receives for a fetched document.
pub fn plugin_request(doc: &Document, fetched: &Fetched, text: Option<String>) -> ExtractRequest {
    let mut headers = Vec::new();
    if let Some(ct) = &fetched.content_type {
        headers.push(("content-type".to_owned(), ct.clone()));
    }
    if let Some(e) = &fetched.validators.etag {
        headers.push(("etag".to_owned(), e.clone()));
    }
    if let Some(l) = &fetched.validators.last_modified {
        headers.push(("last-modified".to_owned(), l.clone()));
    }
    ExtractRequest {
        kind: doc.id.kind().to_owned(),
        document: FetchedDocument {
            url: doc.url.to_string(),
            final_url: fetched.final_url.to_string(),
            status: fetched.status,
            headers,
            content_type: fetched.content_type.clone(),
            body: fetched.body.clone(),
            body_text: text,
            fetched_at: crate::archive::rfc3339(fetched.fetched_at),
        },
    }
}

/// Turns a fetched body into normalised text with the document's rules or plugin.
pub fn extract_text(doc: &Document, fetched: &Fetched) -> Result<String, CheckError> {
    let ext = snapshot_extension(fetched.content_type.as_deref());
    let text = decode(&fetched.body, fetched.content_type.as_deref());
    let extractor = match &doc.extraction {
        Extraction::Declarative(e) => e,
        Extraction::Plugin(binding) => {
            let plugin = match &binding.loaded {
                Some(Ok(p)) => p,
                Some(Err(e)) => return Err(PluginFailure(e.clone()).into()),
                None => {
                    return Err(PluginFailure(Arc::new(PluginError::NotAttached {
                        name: binding.name.clone(),
                    }))
                    .into())
                }
            };
            let request = plugin_request(doc, fetched, (ext != "pdf").then_some(text));
            let extracted = plugin
                .extract(&request)
                .map_err(|e| PluginFailure(Arc::new(e)))?;
            return Ok(normalise_text(&extracted.text));
        }
    };
    match ext {
        "html" => Ok(extractor.extract(&text, &fetched.final_url)?),
        "txt" => {
            let t = normalise_text(&text);
            if t.is_empty() {
                Err(ExtractError::Empty.into())
            } else {
                Ok(t)
            }
        }
        _ => Err(CheckError::Unsupported(
            fetched.content_type.clone().unwrap_or_default(),
        )),
    }
}

/// What a check needs: the fetcher and the archive writer. Cheap to clone into tasks.
#[derive(Clone)]
pub struct Engine {
    /// The HTTP side.
    pub fetcher: Arc<Fetcher>,
    /// The git side.
    pub archive: ArchiveHandle,
    /// Extractions are CPU-bound: running more at once than there are cores only multiplies the
    /// parsed pages held in memory.
    extract_slots: Arc<tokio::sync::Semaphore>,
}

/// Why the engine cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The archive cannot be opened.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The HTTP client cannot be built.
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

impl Engine {
    /// Opens the archive (taking its lock) and builds the fetcher.
    pub fn start(config: &Config) -> Result<(Self, WriterThread), StartError> {
        let archive = Archive::open(&config.archive)?;
        let fetcher = Arc::new(Fetcher::new(&config.fetch)?);
        let (archive, writer) = ArchiveHandle::start(archive);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let extract_slots = Arc::new(tokio::sync::Semaphore::new(cores));
        Ok((
            Self {
                fetcher,
                archive,
                extract_slots,
            },
            writer,
        ))
    }

    async fn try_check(&self, doc: &Document) -> Result<(Outcome, bool), CheckError> {
        let (validators, failed_last_time) = self
            .archive
            .state()
            .lock()
            .map(|s| {
                let failed = s
                    .documents
                    .get(&doc.id.to_string())
                    .is_some_and(|d| d.failures > 0);
                (s.validators(&doc.id, doc.url.as_str()), failed)
            })
            .unwrap_or_default();
        // After a failure, ask for the full body: a 304 would hide the failure behind "unchanged".
        let validators = if failed_last_time {
            Default::default()
        } else {
            validators
        };
        let fetched = match self.fetcher.fetch(&doc.url, &validators).await {
            Ok(FetchOutcome::NotModified) => return Ok((Outcome::Unchanged, false)),
            Ok(FetchOutcome::Fetched(f)) => *f,
            Err(source) => {
                return Err(CheckError::Fetch {
                    url: doc.url.to_string(),
                    source,
                })
            }
        };
        let meta = SnapshotMeta {
            source_url: doc.url.to_string(),
            final_url: fetched.final_url.to_string(),
            fetched_at: fetched.fetched_at,
            content_type: fetched.content_type.clone(),
            status: fetched.status,
        };
        let ext = snapshot_extension(fetched.content_type.as_deref());
        let snap = self
            .archive
            .snapshot(
                &doc.id,
                &doc.title,
                meta,
                ext,
                fetched.body.clone(),
                fetched.validators.clone(),
            )
            .await?;
        // Same bytes as last time: the text cannot have changed (extraction is deterministic;
        // a rules change is handled by re-extraction, not here), so skip the costly part. Not
        // after a failure, though: a page whose extraction fails must keep saying so.
        if !snap.changed && snap.has_version && !failed_last_time {
            return Ok((Outcome::Unchanged, false));
        }
        let fetched_at = fetched.fetched_at;
        let _slot = self
            .extract_slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let d = doc.clone();
        let text = tokio::task::spawn_blocking(move || extract_text(&d, &fetched))
            .await
            .map_err(|e| CheckError::Crashed(e.to_string()))??;
        drop(_slot);
        let result = self
            .archive
            .version(VersionRequest {
                doc: doc.id.clone(),
                title: doc.title.clone(),
                source_url: doc.url.to_string(),
                fetched_at,
                snapshot: snap.commit,
                extractor: doc.extractor_id.clone(),
                text,
            })
            .await?;
        Ok((
            match result {
                VersionResult::First(_) => Outcome::New,
                VersionResult::Updated(_) => Outcome::Changed,
                VersionResult::Unchanged => Outcome::Unchanged,
            },
            snap.changed,
        ))
    }

    /// Checks one document; never fails: errors are in the report.
    pub async fn check(&self, doc: &Document) -> DocReport {
        let result = self.try_check(doc).await;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if let Ok(mut s) = self.archive.state().lock() {
            let st = s.doc_mut(&doc.id);
            st.last_checked = Some(now);
            st.failures = if result.is_ok() { 0 } else { st.failures + 1 };
        }
        match result {
            Ok((outcome, snapshot_committed)) => {
                match outcome {
                    Outcome::New => tracing::info!(document = %doc.id, "first version recorded"),
                    Outcome::Changed => tracing::info!(document = %doc.id, "new version recorded"),
                    _ => tracing::debug!(document = %doc.id, snapshot_committed, "no new version"),
                }
                DocReport {
                    id: doc.id.clone(),
                    outcome,
                    snapshot_committed,
                    error: None,
                }
            }
            Err(e) => {
                tracing::warn!(document = %doc.id, error = %e, "check failed");
                DocReport {
                    id: doc.id.clone(),
                    outcome: Outcome::Error,
                    snapshot_committed: false,
                    error: Some(e),
                }
            }
        }
    }

    /// Checks every document of `docs` concurrently (within the per-host limits) and reports.
    pub async fn cycle(
        &self,
        docs: &[Document],
        mut on_done: impl FnMut(&DocReport),
    ) -> CycleReport {
        let mut set = JoinSet::new();
        for doc in docs {
            let engine = self.clone();
            let doc = doc.clone();
            set.spawn(async move { engine.check(&doc).await });
        }
        let mut report = CycleReport::default();
        while let Some(done) = set.join_next().await {
            match done {
                Ok(r) => {
                    on_done(&r);
                    report.add(&r);
                }
                Err(e) => tracing::error!(error = %e, "a check task died"),
            }
        }
        report.sort();
        self.archive.save_state().await;
        report
    }
}
