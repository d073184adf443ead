//! Checking documents: fetch, snapshot, extract, version. One document's failure is reported and
//! never stops the others. The stage reports outcomes to an [`Observer`]; what they mean for
//! people (availability alerts, sink wake-ups) is decided above it.
//!
//! `cycle.rs` one check and a cycle; `fetch.rs` fetching with the browser fallback;
//! `extract.rs` text from pages; `fingerprint.rs` skipping the extraction of noise-only fetches; `record.rs` handing a fetch to the archive writer;
//! `reextract.rs` rules changes; `report.rs` outcomes and errors; `settings.rs` `[extraction]`.

mod cycle;
mod extract;
mod fetch;
mod fingerprint;
mod record;
mod reextract;
mod report;
pub mod settings;

use std::sync::Arc;
use std::time::Duration;

use crate::archive::{Archive, ArchiveError, ArchiveHandle, WriterThread};
use crate::browser::Renderer;
use crate::document::Document;
use crate::fetch::{FetchError, Fetcher};
use crate::plugin::Registry;
pub use extract::{extract_document, extract_page, extract_text, plugin_request};
use report::outcome_of;
pub use report::{panic_message, CheckError, CycleReport, DocReport, Outcome, PluginFailure};

/// Who hears of each document's check, as it ends (after its run of failures is counted).
pub trait Observer: Send + Sync {
    /// `doc` was checked; `report` says how it went.
    fn checked(&self, doc: &Document, report: &DocReport);
}

/// Nobody listens.
struct Unobserved;

impl Observer for Unobserved {
    fn checked(&self, _: &Document, _: &DocReport) {}
}

/// What a check needs: the fetcher and the archive writer. Cheap to clone into tasks.
#[derive(Clone)]
pub struct Engine {
    /// The HTTP side.
    pub fetcher: Arc<Fetcher>,
    /// The git side.
    pub archive: ArchiveHandle,
    /// Extractions and fingerprints are CPU-bound: running more at once than there are cores
    /// only multiplies the threads and the parsed pages held in memory.
    extract_slots: Arc<tokio::sync::Semaphore>,
    /// Documents between their fetch and their record: a cycle fetches faster than the writer
    /// records, and every page waiting for it is held in memory, so the cycle's memory would
    /// grow with the number of documents without this bound.
    in_flight: Arc<tokio::sync::Semaphore>,
    /// The repository, for read-only access (re-extraction reads the latest snapshot).
    archive_path: std::path::PathBuf,
    /// Headless Chromium, started on first use.
    pub renderer: Arc<Renderer>,
    /// The plugins of plugin documents, loaded before the first check.
    plugins: Arc<Registry>,
    /// Retry bot walls and empty selections in the browser.
    browser_fallback: bool,
    /// Hears of every check (the command layer turns outcomes into alerts and wake-ups).
    observer: Arc<dyn Observer>,
    /// `[extraction] timeout`: the longest a document's extraction by rules may take.
    extraction_timeout: Duration,
    /// `[plugins] timeout`: the longest one plugin call may take.
    plugin_timeout: Duration,
}

/// How many documents at most are checked at once, fetched pages included (their pages are in
/// memory until recorded); the per-host limits apply within it. Each time the fingerprint got
/// faster, more pages waited for the writer at once: 64 became 48 when links were parsed once,
/// and 32 when small pages were fingerprinted on the task's own thread, each giving back 2-3 MB
/// at 10,000 documents with no loss of speed on loopback (fifth and sixth passes,
/// `docs/benchmarks.md`).
pub const IN_FLIGHT: usize = 32;

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
                in_flight: Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
                archive_path,
                renderer: Renderer::new(config.browser.clone()),
                plugins,
                browser_fallback: config.browser.fallback,
                observer: Arc::new(Unobserved),
                extraction_timeout: config.extraction.timeout,
                plugin_timeout: config.plugin_timeout,
            },
            writer,
        ))
    }

    /// Tells `observer` of every check from now on.
    pub fn set_observer(&mut self, observer: Arc<dyn Observer>) {
        self.observer = observer;
    }
}
