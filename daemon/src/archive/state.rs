//! What termtrail remembers between runs that is not evidence: HTTP validators for conditional
//! requests, when each document was last checked, and its run of failures. Kept as JSON beside the
//! repository data (`termtrail-state.json`), never committed. Losing it costs one full fetch per
//! document, nothing else: the archive itself is the record.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::kept::KeptPages;

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
    /// A suspicious text waiting for the next fetch to confirm it. Boxed: rare, and 80 bytes
    /// inline in every document's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<Box<super::Hold>>,
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
    /// The memo of the pages on `snapshots` (their blob ids and hashes): a fetch whose bytes
    /// differ is told so without hashing it as git does (see `archive/kept.rs`).
    #[serde(default, skip_serializing_if = "KeptPages::is_empty")]
    pub kept: KeptPages,
}

/// A fetch whose text was the recorded version's, not kept on `snapshots`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct NoiseFetch {
    /// Unix time of the fetch.
    pub fetched_at: i64,
    /// Each page's SHA-256, hex, and the extension it would be stored under: `SHA256.EXT`.
    /// (Earlier builds noted git blob ids, `BLOB-ID.EXT`: such a note matches no fetch, and the
    /// next noise fetch replaces it.)
    pub pages: Vec<String>,
}

impl NoiseFetch {
    /// Makes this the note of the fetch of `pages` at `fetched_at` (Unix time), reusing its
    /// strings.
    pub fn note(&mut self, fetched_at: i64, pages: &[super::SnapshotPage]) {
        self.fetched_at = fetched_at;
        self.pages.truncate(pages.len());
        self.pages.resize_with(pages.len(), String::new);
        for (noted, p) in self.pages.iter_mut().zip(pages) {
            noted.clear();
            Self::hash_into(noted, p);
        }
    }

    /// Whether `pages` are the bytes of this fetch.
    pub fn matches(&self, pages: &[super::SnapshotPage]) -> bool {
        let mut hash = String::new();
        self.pages.len() == pages.len()
            && self.pages.iter().zip(pages).all(|(noted, p)| {
                hash.clear();
                Self::hash_into(&mut hash, p);
                *noted == hash
            })
    }

    /// Appends the hash of `page` as [`NoiseFetch::pages`] holds it.
    fn hash_into(out: &mut String, page: &super::SnapshotPage) {
        let mut hex = [0u8; 64];
        if hex::encode_to_slice(page.sha256(), &mut hex).is_ok() {
            out.push_str(std::str::from_utf8(&hex).unwrap_or_default());
        }
        out.push('.');
        out.push_str(&page.ext);
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

/// The buffer between the state's JSON and its file.
const WRITE_BUFFER: usize = 64 * 1024;

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
            Ok(bytes) => match serde_json::from_slice::<Self>(&bytes) {
                Ok(state) => {
                    drop(bytes);
                    state.compacted()
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "state file unreadable; starting without validators");
                    Self::default()
                }
            },
            Err(_) => Self::default(),
        }
    }

    /// The same state in fewer pages: a map deserialized entry by entry leaves its nodes a
    /// little over half full (each split at the end keeps 6 of 11 entries), while one built
    /// from sorted entries fills them (massif at 10,000 documents: 5.7 MB of nodes before).
    fn compacted(self) -> Self {
        Self {
            documents: self.documents.into_iter().collect(),
        }
    }

    /// Writes this state, as pretty JSON, into the temporary file beside the state file of `dir`
    /// and returns its path; [`State::put_in_place`] then renames it over the state file, so a
    /// crash leaves the old file or the new one. Two steps so that a caller holding the state's
    /// lock can release it before the rename. The JSON is streamed into the file rather than
    /// built in memory first: at 10,000 documents it is about 8 MB.
    pub fn write_temp(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let tmp = Self::path(dir).with_extension("json.tmp");
        let file = std::fs::File::create(&tmp)?;
        // Large writes: fewer system calls while the caller holds the state's lock.
        let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        serde_json::to_writer_pretty(&mut out, self).map_err(std::io::Error::other)?;
        out.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        Ok(tmp)
    }

    /// Renames the temporary file `tmp` written by [`State::write_temp`] over the state file of
    /// `dir`.
    pub fn put_in_place(dir: &Path, tmp: &Path) -> std::io::Result<()> {
        std::fs::rename(tmp, Self::path(dir))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> State {
        let mut state = State::default();
        for (key, url) in [
            ("a/terms", "https://a.test/t"),
            ("b/privacy", "https://b.test/p"),
        ] {
            state.documents.insert(
                key.into(),
                DocState {
                    url: url.into(),
                    etag: Some("\"x\"".into()),
                    failures: 2,
                    last_checked: Some(1_700_000_000),
                    extractor: Some("rules-0123456789abcdef".into()),
                    fingerprint: Some(TextFingerprint {
                        pages: "ab".repeat(32),
                        text: "cd".repeat(20),
                    }),
                    ..DocState::default()
                },
            );
        }
        state
    }

    fn save(state: &State, dir: &Path) -> std::io::Result<()> {
        let tmp = state.write_temp(dir)?;
        State::put_in_place(dir, &tmp)
    }

    /// The streamed file is byte for byte the pretty JSON the state file has always been, and it
    /// loads back to the same state.
    #[test]
    fn the_file_is_the_states_pretty_json() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = sample();
        save(&state, dir.path()).expect("save");
        let bytes = std::fs::read(State::path(dir.path())).expect("state file");
        assert_eq!(bytes, serde_json::to_vec_pretty(&state).expect("json"));
        assert_eq!(State::load(dir.path()), state);
        assert!(!State::path(dir.path()).with_extension("json.tmp").exists());
    }

    /// A state file written before the state was streamed, boxed and compacted (a hold, noise,
    /// a fingerprint, a document with nothing but its URL) loads and is written back byte for byte.
    #[test]
    fn an_older_file_loads_and_is_written_back_the_same() {
        let old = r#"{
  "documents": {
    "a/privacy": {
      "url": "https://a.test/p",
      "etag": "\"e1\"",
      "last_modified": "Mon, 01 Jan 2024 00:00:00 GMT",
      "last_checked": 1700000600,
      "failures": 1,
      "last_success": 1700000000,
      "failing_since": 1700000300,
      "needs_browser": true,
      "hold": {
        "text_sha256": "00ff",
        "reason": "text shrank to 10% of the previous version",
        "since": 1700000500,
        "snapshot": "abc"
      },
      "extractor": "termtrail-declarative/0.1.0 rules:3286f7d648b0",
      "page_language": "en",
      "noise": {
        "fetched_at": 1700000600,
        "pages": [
          "167c3daf46c0ac28a4347ff68c5d47e8acd27d4c.html"
        ]
      },
      "fingerprint": {
        "pages": "1979af6d8272faf89b9e822852513d80ee6c9879fe2c3b27661efc5d74071eb9",
        "text": "f9478fdabc33faa2643b70f63f94052ea925a0fb"
      }
    },
    "b/terms": {
      "url": "https://b.test/t",
      "failures": 0
    }
  }
}"#;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(State::path(dir.path()), old).expect("old file");
        let state = State::load(dir.path());
        assert_eq!(state.documents.len(), 2);
        let hold = state.documents["a/privacy"].hold.as_deref().expect("hold");
        assert_eq!(hold.since, 1_700_000_500);
        save(&state, dir.path()).expect("save");
        let new = std::fs::read_to_string(State::path(dir.path())).expect("state file");
        assert_eq!(new, old);
    }

    /// A longer temporary file left by a crash is overwritten whole, not patched (its tail
    /// would make the JSON unreadable).
    #[test]
    fn a_leftover_temporary_file_is_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tmp = State::path(dir.path()).with_extension("json.tmp");
        std::fs::write(&tmp, vec![b'x'; 1 << 20]).expect("leftover");
        let state = sample();
        save(&state, dir.path()).expect("save");
        assert_eq!(State::load(dir.path()), state);
    }

    /// A save that fails before the rename leaves the old file as it was.
    #[test]
    fn a_failed_save_keeps_the_old_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let old = sample();
        save(&old, dir.path()).expect("first save");
        let before = std::fs::read(State::path(dir.path())).expect("state file");
        // A folder where the temporary file goes: it cannot be created.
        std::fs::create_dir(State::path(dir.path()).with_extension("json.tmp")).expect("dir");
        let mut new = sample();
        new.documents.clear();
        assert!(save(&new, dir.path()).is_err());
        assert_eq!(
            std::fs::read(State::path(dir.path())).expect("state file"),
            before
        );
    }
}
