//! The archive: one git repository (bare), two branches.
//!
//! - `snapshots`: the raw bytes as fetched, `PLATFORM/KIND.html`, committed when they change and,
//!   under `archive.snapshots = "versions"` (the default), only when they are evidence: the page
//!   of a version, of a failed extraction or of a held text (see [`Retention`]).
//! - `main`: the extracted text, `PLATFORM/KIND.md`, committed only when it changes.
//!
//! Commits are dated at fetch time and carry trailers (`Source-URL`, `Fetched-At`, `Snapshot`,
//! `Content-SHA256`, `Extractor`). History is only ever appended to: every branch update is a
//! compare-and-swap on the previous tip. Objects are written before the ref that names them, each
//! flushed to disk when `archive.fsync` is on, so a crash at any point leaves at worst
//! unreferenced objects, which `git fsck --strict` accepts.
//!
//! One fetch that gives a new version moves two refs: `main` first (the version commit names its
//! snapshot commit, already written), then `snapshots`. A run killed between the two leaves a
//! version whose snapshot is one fast-forward away, and [`Archive::open`] makes it (see
//! [`recovery`]); the other order would leave a snapshot whose version is never extracted again,
//! since the next fetch finds the same bytes.

mod history;
mod hold;
pub mod kept;
pub mod libgit2;
mod lock;
pub mod message;
pub mod pack;
mod recovery;
mod repo;
mod roots;
pub mod settings;
mod snapshot;
mod state;
mod trailers;
mod version;
mod writer;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use git2::{ErrorCode, Oid, Repository};

pub use history::{latest_snapshot, History, SnapshotRecord, VersionEntry};
pub use hold::{
    declared_language, judge, judge_declared, suspicion, text_hash, Declared, Hold, HoldPolicy,
    Prior, Verdict,
};
pub use lock::{ArchiveLock, LockError};
pub use settings::{ArchiveSettings, Retention};
pub use snapshot::FetchText;
pub use state::{DocState, NoiseFetch, State, TextFingerprint};
pub use writer::{ArchiveHandle, RecordRequest, VersionRequest, WriterThread};

/// The branch of extracted versions.
pub const MAIN: &str = "refs/heads/main";
/// The branch of raw snapshots.
pub const SNAPSHOTS: &str = "refs/heads/snapshots";

/// Why an archive operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Another process writes this archive.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The repository cannot be opened or created.
    #[error("cannot open or create the archive at {path}: {source}")]
    Open {
        /// The repository path.
        path: PathBuf,
        /// libgit2's error.
        source: git2::Error,
    },
    /// The path exists but is not a termtrail archive.
    #[error(
        "{path} exists and is not a git repository; point archive.path at an empty or new folder"
    )]
    NotARepository {
        /// The path.
        path: PathBuf,
    },
    /// A git operation failed.
    #[error("git {op} failed: {source}")]
    Git {
        /// What was being done.
        op: &'static str,
        /// libgit2's error.
        source: git2::Error,
    },
    /// libgit2 refused to turn on fsync.
    #[error("cannot turn on fsync in libgit2: {0}; set archive.fsync = false to run without it")]
    Fsync(git2::Error),
    /// A branch moved under the writer: something else writes this repository.
    #[error("branch {branch} moved while termtrail was writing it; is another program writing to the archive?")]
    Moved {
        /// The branch.
        branch: &'static str,
    },
    /// Writes failed during a `check`: the archive, not the pages, is at fault, so the run is
    /// not a success even though it went through every document.
    #[error("the archive refused {count} write(s) in this run (first: {first}); check the archive folder (free space, permissions, another program writing to it) and run again")]
    Refused {
        /// How many documents or sinks failed on the archive.
        count: usize,
        /// The first failure.
        first: String,
    },
    /// The writer task has stopped (the daemon is shutting down).
    #[error("the archive writer has stopped")]
    Closed,
}

fn git(op: &'static str) -> impl FnOnce(git2::Error) -> ArchiveError {
    move |source| ArchiveError::Git { op, source }
}

/// Metadata of one fetch, for snapshot trailers.
#[derive(Debug, Clone)]
pub struct SnapshotMeta {
    /// The URL configured.
    pub source_url: String,
    /// The URL after redirects.
    pub final_url: String,
    /// When the response arrived.
    pub fetched_at: SystemTime,
    /// `Content-Type` as served.
    pub content_type: Option<String>,
    /// HTTP status.
    pub status: u16,
    /// How it was fetched, when not by a plain HTTP GET (`browser`), for the `Fetcher` trailer.
    pub fetcher: Option<String>,
}

/// One page of a snapshot.
#[derive(Debug, Clone)]
pub struct SnapshotPage {
    /// Its fetch metadata.
    pub meta: SnapshotMeta,
    /// The file extension it is stored under.
    pub ext: String,
    /// The raw bytes.
    pub bytes: Vec<u8>,
    /// Their git blob id, computed once, when asked for: SHA-1 with collision detection costs
    /// several times the SHA-256 below, which is enough to tell new bytes (see [`kept`]).
    blob_id: std::sync::OnceLock<Oid>,
    /// Their SHA-256, computed once (the probe, the noise note and the record all ask for it).
    sha256: std::sync::OnceLock<[u8; 32]>,
}

impl SnapshotPage {
    /// The page `bytes` fetched as `meta`, stored under extension `ext`.
    pub fn new(meta: SnapshotMeta, ext: String, bytes: Vec<u8>) -> Self {
        Self {
            meta,
            ext,
            bytes,
            blob_id: Default::default(),
            sha256: Default::default(),
        }
    }

    /// The SHA-256 of the bytes.
    pub fn sha256(&self) -> &[u8; 32] {
        use sha2::Digest;
        self.sha256
            .get_or_init(|| sha2::Sha256::digest(&self.bytes).into())
    }

    /// The git blob id of the bytes (`git hash-object`).
    pub fn blob_id(&self) -> Result<Oid, git2::Error> {
        if let Some(id) = self.blob_id.get() {
            return Ok(*id);
        }
        let id = Oid::hash_object(git2::ObjectType::Blob, &self.bytes)?;
        Ok(*self.blob_id.get_or_init(|| id))
    }
}

/// What recording a snapshot did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotResult {
    /// The snapshot commit holding these bytes (the new one, or the tip when unchanged); for a
    /// noise fetch (see [`Recorded::noise`]) the tip, which holds the page of its text.
    pub commit: Oid,
    /// Whether a new commit was made (the bytes differ from the last snapshot).
    pub changed: bool,
    /// Whether `main` already holds a version of the document.
    pub has_version: bool,
}

/// What the archive holds for the pages of a fetch, found before extracting them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The bytes are those of the last snapshot of the document.
    pub unchanged: bool,
    /// `main` already holds a version of the document.
    pub has_version: bool,
    /// The blob of that version's text on `main`.
    pub version: Option<git2::Oid>,
}

/// What recording one fetch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The snapshot.
    pub snapshot: SnapshotResult,
    /// The version, when a text was given.
    pub version: Option<VersionResult>,
    /// A noise fetch: its bytes differ from the kept page but its text is the recorded version's,
    /// and the retention (`archive.snapshots = "versions"`) kept no snapshot of it.
    pub noise: bool,
}

/// What recording a version did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionResult {
    /// The text is the one already recorded.
    Unchanged,
    /// The first version of the document.
    First(Oid),
    /// A new version of a known document.
    Updated(Oid),
    /// The text is suspicious (see [`hold`]): not recorded until a later fetch confirms it.
    Held(String),
}

/// The archive opened for writing. Owned by the single writer task.
pub struct Archive {
    repo: Repository,
    dir: PathBuf,
    author_name: String,
    author_email: String,
    holds: HoldPolicy,
    /// Which fetches keep their page on `snapshots`.
    retention: settings::Retention,
    /// Loose objects that start a background packing (`archive.pack_after`; 0 never).
    pack_after: u64,
    /// A snapshot whose version is on `main` but whose ref move failed: published before any
    /// other snapshot, or it could never be a fast-forward again.
    unpublished: Option<snapshot::PendingSnapshot>,
    /// The root trees' folders, parsed once (see [`roots`]).
    roots: roots::Roots,
    _lock: ArchiveLock,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive").field("dir", &self.dir).finish()
    }
}

/// Opens an existing archive for reading (log, show, diff); no lock is taken.
pub fn open_read_only(path: &Path) -> Result<Repository, ArchiveError> {
    Repository::open_bare(path).map_err(|source| match source.code() {
        ErrorCode::NotFound => ArchiveError::Open {
            path: path.to_path_buf(),
            source: git2::Error::from_str("no archive here yet; run `termtrail check` first"),
        },
        _ => ArchiveError::Open {
            path: path.to_path_buf(),
            source,
        },
    })
}

#[cfg(test)]
mod retention_tests;
#[cfg(test)]
pub mod testing;
#[cfg(test)]
mod tests;
