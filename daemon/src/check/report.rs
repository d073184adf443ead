//! What checking gives: one document's outcome and error ([`DocReport`], [`CheckError`]), and
//! the summary of a cycle ([`CycleReport`]) that `check --json` prints.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use termtrail_extract::ExtractError;

use crate::archive::{ArchiveError, VersionResult};
use crate::document::DocumentId;
use crate::fetch::{FetchError, NotText};
use crate::plugin::PluginError;

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
    /// The document has no page to fetch (its plugin was loaded after all, yet gave none).
    #[error("no page to fetch: the document's URL was to come from its plugin's manifest")]
    NoPages,
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
    /// Consecutive failed checks of the document before this check.
    pub failures_before: u32,
    /// Consecutive failed checks of the document after it (0 after a success).
    pub failures_after: u32,
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
    /// Why each failed document failed, by id.
    pub error_reasons: std::collections::BTreeMap<String, String>,
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
                if let Some(e) = &r.error {
                    self.error_reasons.insert(id.clone(), e.to_string());
                }
                self.error_ids.push(id);
            }
        }
    }

    pub(super) fn sort(&mut self) {
        self.changed_ids.sort();
        self.new_ids.sort();
        self.error_ids.sort();
        self.held_ids.sort();
    }
}

/// A plugin error, shared: one load error is reported for each of the plugin's documents.
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub struct PluginFailure(pub Arc<PluginError>);

/// What a version result means for the check's report.
pub(super) fn outcome_of(result: VersionResult) -> Outcome {
    match result {
        VersionResult::First(_) => Outcome::New,
        VersionResult::Updated(_) => Outcome::Changed,
        VersionResult::Unchanged => Outcome::Unchanged,
        VersionResult::Held(_) => Outcome::Held,
    }
}
