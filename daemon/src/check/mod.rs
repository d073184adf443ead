//! Checking documents: fetch, snapshot, extract, version. One document's failure is reported and
//! never stops the others.

pub mod settings;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::FutureExt;
use serde::Serialize;
use termtrail_extract::{normalise_text, ExtractError};
use tokio::task::JoinSet;

use crate::archive::{
    Archive, ArchiveError, ArchiveHandle, RecordRequest, SnapshotMeta, SnapshotPage,
    VersionRequest, VersionResult, WriterThread,
};
use crate::browser::Renderer;
use crate::document::DocumentId;
use crate::document::{Document, Extraction, FetchMode, Source};
use crate::fetch::{
    check_text, decode, is_pdf, FetchError, FetchOutcome, Fetched, Fetcher, NotText, Validators,
};
use crate::plugin::{Isolation, LoadedPlugin, PluginError, Registry};
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
    /// A body served as text that is not text (binary, empty).
    #[error("{0}")]
    NotText(#[from] NotText),
    /// The extraction ran past its time limit and was stopped (or abandoned).
    #[error("extraction took longer than {limit:?} and was stopped ({setting}); the page is unusually large or complex")]
    ExtractTimeout {
        /// The limit.
        limit: Duration,
        /// The setting it comes from.
        setting: &'static str,
    },
    /// The content type is not one termtrail can extract text from.
    #[error("content type {0:?} is not supported; expected HTML or plain text")]
    Unsupported(String),
    /// Writing to the archive failed.
    #[error("archive: {0}")]
    Archive(#[from] ArchiveError),
    /// The browser could not render the page.
    #[error("browser {url}: {source}")]
    Browser {
        /// The URL.
        url: String,
        /// Why.
        source: crate::browser::BrowserError,
    },
    /// A PDF gave no text.
    #[error("pdf: {0}")]
    Pdf(#[from] crate::pdf::PdfError),
    /// The document's plugin failed (or could not be loaded).
    #[error("{0}")]
    Plugin(#[from] PluginFailure),
    /// The extraction task died (a bug); reported, not propagated.
    #[error("extraction crashed: {0}")]
    Crashed(String),
    /// The check panicked (a bug); reported as this document's failure, and the document is
    /// checked again at its next turn.
    #[error("the check panicked: {0}; this is a bug in termtrail, please report it")]
    Panicked(String),
}

/// The message of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
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
    /// A suspicious text (drastic shrink, other language) held back until confirmed.
    Held,
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
    /// Ids of the documents whose new text is held back as suspicious (counted as unchanged).
    pub held_ids: Vec<String>,
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
            Outcome::Held => {
                self.unchanged += 1;
                self.held_ids.push(id);
            }
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
        self.held_ids.sort();
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

/// What a version result means for the check's report.
fn outcome_of(result: VersionResult) -> Outcome {
    match result {
        VersionResult::First(_) => Outcome::New,
        VersionResult::Updated(_) => Outcome::Changed,
        VersionResult::Unchanged => Outcome::Unchanged,
        VersionResult::Held(_) => Outcome::Held,
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
            fetched_at: crate::time_fmt::rfc3339(fetched.fetched_at),
        },
    }
}

/// The loaded plugin of a plugin document (or why it is not there); `None` for rules.
fn plugin_of<'r>(
    doc: &Document,
    plugins: &'r Registry,
) -> Option<Result<&'r Arc<LoadedPlugin>, PluginFailure>> {
    doc.extraction
        .plugin()
        .map(|name| plugins.loaded(name).map_err(PluginFailure))
}

/// Turns one fetched page of `doc` into normalised text: with the document's plugin (found in
/// `plugins`), or with the page's own rules. A body served as text must be text (see
/// [`check_text`]); a PDF is one whatever it is served as. Extraction by rules stops at
/// `deadline`.
pub fn extract_page(
    doc: &Document,
    plugins: &Registry,
    source: &Source,
    fetched: &Fetched,
    deadline: Option<Instant>,
) -> Result<String, CheckError> {
    let mut ext = snapshot_extension(fetched.content_type.as_deref());
    if is_pdf(&fetched.body) {
        ext = "pdf";
    }
    let ct = fetched.content_type.as_deref();
    let text = if ext == "pdf" {
        None
    } else {
        let text = decode(&fetched.body, ct);
        check_text(&fetched.body, &text, ct)?;
        Some(text)
    };
    if let Some(plugin) = plugin_of(doc, plugins) {
        let plugin = plugin?;
        let request = plugin_request(doc, fetched, text);
        let extracted = plugin
            .extract(&request)
            .map_err(|e| PluginFailure(Arc::new(e)))?;
        let t = normalise_text(&extracted.text);
        return if t.is_empty() {
            Err(ExtractError::Empty.into())
        } else {
            Ok(t)
        };
    }
    let non_empty = |t: String| {
        if t.is_empty() {
            Err(CheckError::Extract(ExtractError::Empty))
        } else {
            Ok(t)
        }
    };
    match (ext, text) {
        ("html", Some(text)) => {
            Ok(source
                .extractor
                .extract_until(&text, &fetched.final_url, deadline)?)
        }
        ("txt", Some(text)) => non_empty(normalise_text(&text)),
        // JSON documents are recorded as text, pretty-printed so that key order and spacing
        // churn in the served bytes give one stable layout.
        ("json", Some(text)) => {
            let t = match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => serde_json::to_string_pretty(&v).unwrap_or(text),
                Err(_) => text,
            };
            non_empty(normalise_text(&t))
        }
        ("pdf", _) => non_empty(normalise_text(&crate::pdf::to_text(
            &fetched.body,
            deadline,
        )?)),
        _ => Err(CheckError::Unsupported(
            fetched.content_type.clone().unwrap_or_default(),
        )),
    }
}

/// The text of a document: its pages' texts, in order, joined by a blank line.
pub fn extract_document(
    doc: &Document,
    plugins: &Registry,
    pages: &[Fetched],
    deadline: Option<Instant>,
) -> Result<String, CheckError> {
    let mut texts = Vec::with_capacity(pages.len());
    for (source, page) in doc.sources.iter().zip(pages) {
        texts.push(extract_page(doc, plugins, source, page, deadline)?);
    }
    Ok(normalise_text(&texts.join("\n\n")))
}

/// Whether a failed extraction is the kind a browser could fix: the rules (or the document's
/// loaded plugin) found no text in the plain page.
fn empty_in_plain_page(e: &CheckError, doc: &Document, plugins: &Registry) -> bool {
    match e {
        CheckError::Extract(ExtractError::NoMatch { .. } | ExtractError::Empty) => true,
        // Only the plugin's own "no text here" answer; a crash or a timeout would just repeat.
        CheckError::Plugin(PluginFailure(p)) => {
            matches!(plugin_of(doc, plugins), Some(Ok(_)))
                && matches!(p.as_ref(), PluginError::Call { message, .. }
                    if message.contains("matched nothing") || message.contains("holds no text"))
        }
        _ => false,
    }
}

/// The plugin's own line about a change from the recorded text to `new`, for plugin documents
/// whose plugin offers one. A failing `summarize` is logged and costs only that line.
fn plugin_summary(
    doc: &Document,
    plugins: &Registry,
    archive: &std::path::Path,
    new: &str,
) -> Option<String> {
    let Some(Ok(plugin)) = plugin_of(doc, plugins) else {
        return None;
    };
    let repo = crate::archive::open_read_only(archive).ok()?;
    let old = crate::archive::History::new(&repo)
        .current_text(&doc.id)
        .ok()??;
    if old == new {
        return None;
    }
    let request = termtrail_plugin_api::SummarizeRequest {
        kind: doc.id.kind().to_owned(),
        old,
        new: new.to_owned(),
    };
    match plugin.summarize(&request) {
        Ok(line) => line.filter(|l| !l.trim().is_empty()),
        Err(e) => {
            tracing::warn!(document = %doc.id, error = %e, "the plugin's summarize failed; recording without its line");
            None
        }
    }
}

/// The text of a single page with the document's plugin or first source's rules (for `extract`).
pub fn extract_text(
    doc: &Document,
    plugins: &Registry,
    fetched: &Fetched,
) -> Result<String, CheckError> {
    extract_page(doc, plugins, &doc.sources[0], fetched, None)
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
    /// The repository, for read-only access (re-extraction reads the latest snapshot).
    archive_path: std::path::PathBuf,
    /// Headless Chromium, started on first use.
    pub renderer: Arc<Renderer>,
    /// The plugins of plugin documents, loaded before the first check.
    plugins: Arc<Registry>,
    /// Retry bot walls and empty selections in the browser.
    browser_fallback: bool,
    /// Wakes the sinks after a version commit; carries availability alerts.
    pub signals: crate::sinks::delivery::Signals,
    /// Consecutive failures that make a document unavailable (`events.unavailable_after`).
    unavailable_after: u32,
    /// `[extraction] timeout`: the longest a document's extraction by rules may take.
    extraction_timeout: Duration,
    /// `[plugins] timeout`: the longest one plugin call may take.
    plugin_timeout: Duration,
}

/// What the engine is built from: the settings of the parts it drives.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// `[archive]`: the repository the writer opens.
    pub archive: crate::archive::ArchiveSettings,
    /// `[fetch]`: the HTTP side.
    pub fetch: crate::fetch::FetchSettings,
    /// `[browser]`: the renderer, and whether plain fetches fall back to it.
    pub browser: crate::browser::BrowserSettings,
    /// `[extraction]`: the time limit of extraction by rules.
    pub extraction: settings::ExtractionSettings,
    /// `[plugins] timeout`: the time limit of one plugin call.
    pub plugin_timeout: Duration,
    /// `[events] unavailable_after`: failed checks in a row before an availability alert.
    pub unavailable_after: u32,
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
    /// Opens the archive (taking its lock) and builds the fetcher; plugin documents are
    /// extracted by the plugins of `plugins`.
    pub fn start(
        config: &EngineSettings,
        plugins: Arc<Registry>,
    ) -> Result<(Self, WriterThread), StartError> {
        let archive = Archive::open(&config.archive)?;
        let fetcher = Arc::new(Fetcher::new(&config.fetch)?);
        let (archive, writer) = ArchiveHandle::start(archive);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let extract_slots = Arc::new(tokio::sync::Semaphore::new(cores));
        let archive_path = config.archive.path.clone();
        Ok((
            Self {
                fetcher,
                archive,
                extract_slots,
                archive_path,
                renderer: Renderer::new(config.browser.clone()),
                plugins,
                browser_fallback: config.browser.fallback,
                signals: Default::default(),
                unavailable_after: config.unavailable_after,
                extraction_timeout: config.extraction.timeout,
                plugin_timeout: config.plugin_timeout,
            },
            writer,
        ))
    }

    async fn try_check(&self, doc: &Document) -> Result<(Outcome, bool), CheckError> {
        crate::failpoint::hit("check.start");
        let (validators, must_extract, needs_browser) = self
            .archive
            .state()
            .lock()
            .map(|s| {
                let d = s.documents.get(&doc.id.to_string());
                // A failure must keep being reported, and a held text needs the next fetch
                // extracted to be confirmed or dropped: neither may be cut short. A document the
                // state does not know (a lost state file) may have had a hold: extract it once.
                let must = d.is_none_or(|d| d.failures > 0 || d.hold.is_some());
                (
                    s.validators(&doc.id, doc.url.as_str()),
                    must,
                    d.is_some_and(|d| d.needs_browser),
                )
            })
            .unwrap_or_default();
        // Conditional requests only for single-page documents, and never when the full body is
        // needed: a 304 would hide a failure or leave a hold undecided.
        let validators = if must_extract || doc.sources.len() > 1 {
            Default::default()
        } else {
            validators
        };
        let mut pages = Vec::with_capacity(doc.sources.len());
        let mut plain = false;
        let mut scripted = false;
        for source in &doc.sources {
            match self
                .fetch_source(doc, source, &validators, needs_browser)
                .await?
            {
                FetchOutcome::NotModified => return Ok((Outcome::Unchanged, false)),
                FetchOutcome::Fetched(f) => {
                    plain |= f.fetcher.is_none();
                    scripted |= f
                        .body
                        .windows(7)
                        .any(|w| w.eq_ignore_ascii_case(b"<script"));
                    pages.push(*f);
                }
            }
        }
        match self.record_pages(doc, pages, must_extract).await {
            // A page with scripts whose selected region is empty in the plain HTML is usually
            // built by JavaScript: render it in the browser, and keep doing so if that works.
            // (Without scripts nothing could fill it: the rules or the page are wrong.)
            Err(e)
                if plain
                    && scripted
                    && self.browser_fallback
                    && self.renderer.available()
                    && empty_in_plain_page(&e, doc, &self.plugins) =>
            {
                tracing::info!(document = %doc.id, error = %e, "empty selection in the plain page; retrying in the browser");
                let rendered = async {
                    let mut pages = Vec::with_capacity(doc.sources.len());
                    for source in &doc.sources {
                        pages.push(self.render(source).await?);
                    }
                    self.record_pages(doc, pages, true).await
                }
                .await;
                match rendered {
                    Ok(result) => {
                        if let Ok(mut s) = self.archive.state().lock() {
                            s.doc_mut(&doc.id).needs_browser = true;
                        }
                        Ok(result)
                    }
                    Err(browser_error) => {
                        // The plain page's problem is the one to report; the browser's is context.
                        tracing::warn!(document = %doc.id, error = %browser_error, "the browser did not help either");
                        Err(e)
                    }
                }
            }
            other => other,
        }
    }

    async fn render(&self, source: &Source) -> Result<Fetched, CheckError> {
        self.renderer
            .render(&source.url, &source.extractor.wait_selectors())
            .await
            .map_err(|e| CheckError::Browser {
                url: source.url.to_string(),
                source: e,
            })
    }

    /// Fetches one page of a document: in the browser when the source or the document asks for
    /// it, else plainly, falling back to the browser on a bot wall.
    async fn fetch_source(
        &self,
        doc: &Document,
        source: &Source,
        validators: &Validators,
        needs_browser: bool,
    ) -> Result<FetchOutcome, CheckError> {
        if source.fetch == FetchMode::Browser || (needs_browser && self.renderer.available()) {
            return Ok(FetchOutcome::Fetched(Box::new(self.render(source).await?)));
        }
        let fallback = self.browser_fallback && self.renderer.available();
        match self.fetcher.fetch(&source.url, validators).await {
            Ok(FetchOutcome::Fetched(f))
                if fallback && crate::browser::looks_like_challenge(&f.body) =>
            {
                tracing::info!(document = %doc.id, url = %source.url, "bot challenge in the plain page; retrying in the browser");
                Ok(FetchOutcome::Fetched(Box::new(self.render(source).await?)))
            }
            Err(FetchError::Status { status, .. })
                if fallback && matches!(status.as_u16(), 403 | 406 | 429) =>
            {
                tracing::info!(document = %doc.id, url = %source.url, %status, "blocked by the server; retrying in the browser");
                Ok(FetchOutcome::Fetched(Box::new(self.render(source).await?)))
            }
            Ok(outcome) => Ok(outcome),
            Err(e) => Err(CheckError::Fetch {
                url: source.url.to_string(),
                source: e,
            }),
        }
    }

    /// Records one fetched body of a single-page document (see [`Engine::record_pages`]).
    pub async fn record(
        &self,
        doc: &Document,
        fetched: Fetched,
        must_extract: bool,
    ) -> Result<(Outcome, bool), CheckError> {
        self.record_pages(doc, vec![fetched], must_extract).await
    }

    /// Records one fetch of a document (one body per source, in order) through the pipeline:
    /// snapshot, extraction, version (with the suspicious-version hold). Shared by `check` and
    /// `import`.
    ///
    /// The text is extracted before anything is written, and the snapshot and its version are
    /// then recorded by one writer request (version first): a run stopped in between can never
    /// leave a new snapshot whose text was not judged.
    pub async fn record_pages(
        &self,
        doc: &Document,
        pages: Vec<Fetched>,
        must_extract: bool,
    ) -> Result<(Outcome, bool), CheckError> {
        let fetched_at = pages.first().map_or_else(SystemTime::now, |p| p.fetched_at);
        let snapshot_pages: Arc<[SnapshotPage]> = pages
            .iter()
            .zip(&doc.sources)
            .map(|(f, s)| SnapshotPage {
                meta: SnapshotMeta {
                    source_url: s.url.to_string(),
                    final_url: f.final_url.to_string(),
                    fetched_at: f.fetched_at,
                    content_type: f.content_type.clone(),
                    status: f.status,
                    fetcher: f.fetcher.clone(),
                },
                ext: snapshot_extension(f.content_type.as_deref()).to_owned(),
                bytes: f.body.clone(),
            })
            .collect();
        // Conditional requests are made for single-page documents only.
        let validators = match pages.as_slice() {
            [one] => one.validators.clone(),
            _ => Validators::default(),
        };
        let probe = self
            .archive
            .probe(&doc.id, snapshot_pages.clone(), validators.clone())
            .await?;
        // Same bytes as last time: the text cannot have changed (extraction is deterministic;
        // a rules change is handled by re-extraction, not here), so skip the costly part.
        if probe.unchanged && probe.has_version && !must_extract {
            return Ok((Outcome::Unchanged, false));
        }
        let extracted = self.extract(doc, pages, false).await;
        crate::failpoint::hit("check.extracted");
        let (version, extract_error) = match extracted {
            Ok((text, plugin_summary)) => (
                Some(VersionRequest {
                    doc: doc.id.clone(),
                    title: doc.title.clone(),
                    source_url: doc.url.to_string(),
                    fetched_at,
                    // Filled in by the writer with the snapshot commit it makes.
                    snapshot: git2::Oid::zero(),
                    extractor: doc.extractor_id.clone(),
                    text,
                    technical: false,
                    plugin_summary,
                }),
                None,
            ),
            Err(e) => (None, Some(e)),
        };
        // A failed extraction still keeps its snapshot: it is the evidence of what was served.
        let recorded = self
            .archive
            .record(RecordRequest {
                doc: doc.id.clone(),
                title: doc.title.clone(),
                pages: snapshot_pages,
                validators,
                version,
            })
            .await?;
        if let Some(e) = extract_error {
            return Err(e);
        }
        let outcome = recorded.version.map_or(Outcome::Unchanged, outcome_of);
        Ok((outcome, recorded.snapshot.changed))
    }

    /// Extracts the text of `pages` (one extraction per core at a time, on a blocking thread),
    /// with the plugin's line about the change unless `technical`.
    async fn extract(
        &self,
        doc: &Document,
        pages: Vec<Fetched>,
        technical: bool,
    ) -> Result<(String, Option<String>), CheckError> {
        let _slot = self
            .extract_slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        // A page can take no longer than its limit, a plugin call no longer than its own: past
        // it the document fails and its slot is released, even if the work cannot be stopped (a
        // plugin looping in process); extraction by rules stops by itself at the deadline.
        let in_process = self.in_process_plugin(doc);
        let limit = match (&doc.extraction, &in_process) {
            (_, Some(_)) => self.plugin_timeout,
            // An isolated host is killed at the plugin timeout: its own error says more.
            (Extraction::Plugin(_), None) => self.plugin_timeout + Duration::from_secs(5),
            (Extraction::Declarative(_), None) => self.extraction_timeout,
        };
        let overrun = |during: &str| match &in_process {
            Some(plugin) => {
                CheckError::Plugin(PluginFailure(Arc::new(PluginError::InProcessTimeout {
                    plugin: plugin.clone(),
                    during: during.to_owned(),
                    timeout: limit,
                })))
            }
            None => CheckError::ExtractTimeout {
                limit,
                setting: match doc.extraction {
                    Extraction::Declarative(_) => "[extraction] timeout",
                    Extraction::Plugin(_) => "[plugins] timeout, and 5s for the plugin host",
                },
            },
        };
        let (d, plugins) = (doc.clone(), self.plugins.clone());
        let deadline = Instant::now() + limit;
        let task = tokio::task::spawn_blocking(move || {
            extract_document(&d, &plugins, &pages, Some(deadline))
        });
        let text = match tokio::time::timeout(limit, task).await {
            Ok(Ok(Err(CheckError::Extract(ExtractError::TimedOut)))) | Err(_) => {
                return Err(overrun("extract"))
            }
            Ok(Ok(result)) => result?,
            Ok(Err(e)) => return Err(CheckError::Crashed(e.to_string())),
        };
        let plugin_summary = if technical || !matches!(doc.extraction, Extraction::Plugin(_)) {
            None
        } else {
            let (d, plugins) = (doc.clone(), self.plugins.clone());
            let (archive_path, t) = (self.archive_path.clone(), text.clone());
            let task = tokio::task::spawn_blocking(move || {
                plugin_summary(&d, &plugins, &archive_path, &t)
            });
            match tokio::time::timeout(limit, task).await {
                Ok(Ok(line)) => line,
                Ok(Err(e)) => {
                    tracing::warn!(document = %doc.id, error = %e, "the plugin's summarize crashed; recording without its line");
                    None
                }
                Err(_) => {
                    tracing::warn!(document = %doc.id, error = %overrun("summarize"), "recording without the plugin's line");
                    None
                }
            }
        };
        Ok((text, plugin_summary))
    }

    /// Extracts the text of `pages` and hands it to the writer as a technical version of `doc`
    /// (a re-extraction: `Change-Class: technical`, no hold, no plugin line) taken from snapshot
    /// commit `snapshot`.
    async fn extract_and_record_technical(
        &self,
        doc: &Document,
        pages: Vec<Fetched>,
        snapshot: git2::Oid,
        fetched_at: SystemTime,
    ) -> Result<Outcome, CheckError> {
        let (text, plugin_summary) = self.extract(doc, pages, true).await?;
        let result = self
            .archive
            .version(VersionRequest {
                doc: doc.id.clone(),
                title: doc.title.clone(),
                source_url: doc.url.to_string(),
                fetched_at,
                snapshot,
                extractor: doc.extractor_id.clone(),
                text,
                technical: true,
                plugin_summary,
            })
            .await?;
        Ok(outcome_of(result))
    }

    /// The name of the plugin extracting `doc` in this process, if it is one.
    fn in_process_plugin(&self, doc: &Document) -> Option<String> {
        match plugin_of(doc, &self.plugins) {
            Some(Ok(p)) if p.isolation == Isolation::None => Some(p.name().to_owned()),
            _ => None,
        }
    }

    /// Re-extracts the latest snapshot of `doc` with its current rules and records the text as a
    /// technical version (`Apply extraction upgrade to …`, `Change-Class: technical`) if it differs.
    pub async fn reextract(&self, doc: &Document) -> Result<Outcome, CheckError> {
        let path = self.archive_path.clone();
        let id = doc.id.clone();
        let latest = tokio::task::spawn_blocking(move || {
            let repo = crate::archive::open_read_only(&path)?;
            crate::archive::latest_snapshot(&repo, &id)
        })
        .await
        .map_err(|e| CheckError::Crashed(e.to_string()))??;
        let Some(snap) = latest else {
            return Ok(Outcome::Unchanged);
        };
        let commit = snap.commit;
        let pages: Vec<Fetched> = snap
            .pages
            .into_iter()
            .enumerate()
            .map(|(i, body)| {
                let url = match (i, &snap.final_url) {
                    (0, Some(u)) => {
                        url::Url::parse(u).unwrap_or_else(|_| doc.sources[0].url.clone())
                    }
                    _ => doc
                        .sources
                        .get(i)
                        .map_or_else(|| doc.url.clone(), |s| s.url.clone()),
                };
                Fetched::stored(
                    url,
                    body,
                    snap.content_types.get(i).cloned().flatten(),
                    snap.fetched_at,
                )
            })
            .collect();
        if pages.len() != doc.sources.len() {
            // The document gained or lost a page since its last snapshot: only a fetch can tell.
            return Ok(Outcome::Unchanged);
        }
        self.extract_and_record_technical(doc, pages, commit, SystemTime::now())
            .await
    }

    /// The documents whose extraction rules differ from those that produced their recorded text.
    pub async fn rules_changed<'d>(&self, docs: &'d [Document]) -> Vec<&'d Document> {
        let state = self
            .archive
            .state()
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        let known = |d: &Document| {
            state
                .documents
                .get(&d.id.to_string())
                .and_then(|s| s.extractor.clone())
        };
        // The state normally knows; only documents it does not know (an archive from before the
        // state file, or a lost one) need their latest version's `Extractor` trailer, read from
        // the newest commits until each is found.
        let mut missing: std::collections::HashSet<String> = docs
            .iter()
            .filter(|d| known(d).is_none())
            .map(|d| d.id.to_string())
            .collect();
        let path = self.archive_path.clone();
        let trailers: std::collections::HashMap<String, String> = if missing.is_empty() {
            Default::default()
        } else {
            tokio::task::spawn_blocking(move || {
                let mut found = std::collections::HashMap::new();
                let Ok(repo) = crate::archive::open_read_only(&path) else {
                    return found;
                };
                // `versions` is newest first: the first trailer seen for a document is its latest.
                for v in crate::archive::History::new(&repo)
                    .versions(None)
                    .unwrap_or_default()
                {
                    let Some(id) = v.doc.map(|d| d.to_string()) else {
                        continue;
                    };
                    if missing.remove(&id) {
                        if let Some(t) = crate::archive::trailer(&v.message, "Extractor") {
                            found.insert(id, t);
                        }
                    }
                    if missing.is_empty() {
                        break;
                    }
                }
                found
            })
            .await
            .unwrap_or_default()
        };
        docs.iter()
            .filter(|d| {
                known(d)
                    .or_else(|| trailers.get(&d.id.to_string()).cloned())
                    .is_some_and(|k| k != d.extractor_id)
            })
            .collect()
    }

    /// Checks one document; never fails: errors are in the report.
    pub async fn check(&self, doc: &Document) -> DocReport {
        // A panic is one document's failure, counted and reported like any other.
        let result = std::panic::AssertUnwindSafe(self.try_check(doc))
            .catch_unwind()
            .await
            .unwrap_or_else(|p| Err(CheckError::Panicked(panic_message(p.as_ref()))));
        let now = crate::time_fmt::unix(std::time::SystemTime::now());
        let (before, after) = match self.archive.state().lock() {
            Ok(mut s) => {
                let st = s.doc_mut(&doc.id);
                let before = st.failures;
                st.last_checked = Some(now);
                st.failures = if result.is_ok() { 0 } else { st.failures + 1 };
                (before, st.failures)
            }
            Err(_) => (0, 0),
        };
        if let Some(kind) =
            crate::events::availability_transition(before, after, self.unavailable_after)
        {
            self.signals.alert(crate::events::availability_event(
                kind,
                &doc.id,
                &doc.title,
                doc.url.as_str(),
                before.max(after),
                result.as_ref().err().map(ToString::to_string),
                SystemTime::now(),
            ));
        }
        if matches!(result, Ok((Outcome::New | Outcome::Changed, _))) {
            self.signals.version_committed();
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
        self.renderer.shutdown().await;
        report
    }
}
