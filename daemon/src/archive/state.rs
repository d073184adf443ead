//! What termtrail remembers between runs that is not evidence: HTTP validators for conditional
//! requests, when each document was last checked, and its run of failures. Kept as JSON beside the
//! repository data (`termtrail-state.json`), never committed. Losing it costs one full fetch per
//! document, nothing else: the archive itself is the record.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::document::DocumentId;
use crate::validators::Validators;

/// The state of one document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocState {
    /// The URL the validators belong to; a new URL must not send the old ones.
    #[serde(default)]
    pub url: String,
    /// `ETag` of the stored snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Last-Modified` of the stored snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Unix time of the last completed check (success or not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checked: Option<i64>,
    /// Consecutive failed checks.
    #[serde(default)]
    pub failures: u32,
    /// Unix time of the last successful check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<i64>,
    /// Unix time of the first failure of the current run of failures (none after a success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<i64>,
    /// A plain fetch of this document met an empty selection that the browser filled: fetch it
    /// with the browser from now on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_browser: bool,
    /// A suspicious text waiting for the next fetch to confirm it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<super::Hold>,
    /// The extractor id whose output was last compared with the recorded version; a different
    /// one at start-up means the rules changed and the latest snapshot is re-extracted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extractor: Option<String>,
    /// The language declared by the page of the recorded version (`<html lang>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_language: Option<String>,
    /// The last fetch whose bytes changed but whose text did not, kept out of `snapshots` under
    /// `archive.snapshots = "versions"`; the same bytes fetched again stop before extraction.
    /// Forgotten when a later fetch or a re-extraction is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<NoiseFetch>,
    /// The fingerprint of the last fetch whose text was recorded or found equal to the recorded
    /// one, with that text's blob: see `check/fingerprint.rs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<TextFingerprint>,
}

/// A fetch whose text was the recorded version's, not kept on `snapshots`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NoiseFetch {
    /// Unix time of the fetch.
    pub fetched_at: i64,
    /// Each page's git blob id (`git hash-object`) and the extension it would be stored under.
    pub pages: Vec<String>,
}

impl NoiseFetch {
    /// The page hashes of `pages`, as [`NoiseFetch::pages`] holds them: `BLOB-ID.EXT` (`None`
    /// if libgit2 cannot hash, which then matches nothing).
    pub fn hashes(pages: &[super::SnapshotPage]) -> Option<Vec<String>> {
        pages
            .iter()
            .map(|p| p.blob_id().ok().map(|id| format!("{id}.{}", p.ext)))
            .collect()
    }

    /// Whether `pages` are the bytes of this fetch.
    pub fn matches(&self, pages: &[super::SnapshotPage]) -> bool {
        Self::hashes(pages).is_some_and(|h| h == self.pages)
    }
}

/// A fetch's fingerprint (`extract`'s, of all its pages, with the extractor id) and the blob of
/// the text it was extracted to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TextFingerprint {
    /// The fingerprint, hex.
    pub pages: String,
    /// The git blob id of the text, hex.
    pub text: String,
}

/// All documents' state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct State {
    /// Keyed by `PLATFORM/KIND`.
    #[serde(default)]
    pub documents: BTreeMap<String, DocState>,
}

impl State {
    /// The state file of the repository at `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("termtrail-state.json")
    }

    /// Loads the state; a missing or unreadable file gives an empty state (logged), since it is a
    /// cache.
    pub fn load(dir: &Path) -> Self {
        let path = Self::path(dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), error = %e, "state file unreadable; starting without validators");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    /// The bytes of the state file.
    pub fn file_bytes(&self) -> std::io::Result<Vec<u8>> {
        serde_json::to_vec_pretty(self).map_err(std::io::Error::other)
    }

    /// Replaces the state file in `dir` with `bytes` (see [`State::file_bytes`]): written beside
    /// it, then renamed over it, so a crash leaves the old file or the new one.
    pub fn write_file(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let path = Self::path(dir);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }

    /// The validators to send for `doc` fetched from `url`.
    pub fn validators(&self, doc: &DocumentId, url: &str) -> Validators {
        match self.documents.get(&doc.to_string()) {
            Some(s) if s.url == url => Validators {
                etag: s.etag.clone(),
                last_modified: s.last_modified.clone(),
            },
            _ => Validators::default(),
        }
    }

    /// The mutable state of `doc`.
    pub fn doc_mut(&mut self, doc: &DocumentId) -> &mut DocState {
        self.documents.entry(doc.to_string()).or_default()
    }
}
