//! The archive: one git repository (bare), two branches.
//!
//! - `snapshots`: the raw bytes as fetched, `PLATFORM/KIND.html`, committed only when they change.
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
mod lock;
mod recovery;
pub mod settings;
mod state;
mod trailers;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use git2::{ErrorCode, ObjectType, Oid, Repository, RepositoryInitOptions, Signature, Time, Tree};
use sha2::{Digest, Sha256};

use crate::document::{one_line, DocumentId};
use crate::failpoint;
use crate::time_fmt::{from_unix, rfc3339, unix};
pub use history::{latest_snapshot, History, SnapshotRecord, VersionEntry};
pub use hold::{judge, suspicion, text_hash, Hold, HoldPolicy, Verdict};
pub use lock::{ArchiveLock, LockError};
pub use settings::ArchiveSettings;
pub use state::{DocState, State};
pub use trailers::{trailer, Trailers};
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
}

/// What recording a snapshot did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotResult {
    /// The snapshot commit holding these bytes (the new one, or the tip when unchanged).
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
}

/// What recording one fetch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The snapshot.
    pub snapshot: SnapshotResult,
    /// The version, when a text was given.
    pub version: Option<VersionResult>,
}

/// A snapshot commit written but not yet on `snapshots`.
#[derive(Debug, Clone)]
struct PendingSnapshot {
    commit: Oid,
    parent: Option<Oid>,
    summary: String,
}

/// Where a fetch's pages go in the tip of `snapshots` (see [`Archive::layout`]).
struct Layout<'r> {
    tip: Option<git2::Commit<'r>>,
    tree: Option<Tree<'r>>,
    platform_tree: Option<Tree<'r>>,
    /// The document's entries in its platform folder now.
    old_entries: Vec<String>,
    /// Its entries after this fetch.
    expected_entries: Vec<String>,
    /// The pages are the bytes already stored.
    unchanged: bool,
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

/// Turns on fsync of objects and refs in libgit2 (process-wide); its refusal is an error, since
/// the user asked for durability.
fn enable_fsync() -> Result<(), ArchiveError> {
    static RESULT: OnceLock<libc::c_int> = OnceLock::new();
    let rc = *RESULT.get_or_init(|| {
        // SAFETY: `git_libgit2_opts` with GIT_OPT_ENABLE_FSYNC_GITDIR takes one int argument;
        // git2::opts has no wrapper for this option. libgit2 is initialised first.
        unsafe {
            libgit2_sys::init();
            libgit2_sys::git_libgit2_opts(
                libgit2_sys::GIT_OPT_ENABLE_FSYNC_GITDIR as libc::c_int,
                1 as libc::c_int,
            )
        }
    });
    if rc < 0 {
        return Err(ArchiveError::Fsync(git2::Error::last_error(rc)));
    }
    Ok(())
}

/// The archive opened for writing. Owned by the single writer task.
pub struct Archive {
    repo: Repository,
    dir: PathBuf,
    author_name: String,
    author_email: String,
    holds: HoldPolicy,
    /// A snapshot whose version is on `main` but whose ref move failed: published before any
    /// other snapshot, or it could never be a fast-forward again.
    unpublished: Option<PendingSnapshot>,
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

impl Archive {
    /// Opens the archive for writing, creating the repository if needed, and takes its lock.
    /// Then repairs what a killed run may have left (see [`recovery`]): a half-created
    /// repository is finished, stale git lock files are removed, and a version whose snapshot
    /// ref did not move yet gets it moved.
    pub fn open(settings: &ArchiveSettings) -> Result<Self, ArchiveError> {
        if settings.fsync {
            enable_fsync()?;
        }
        let path = &settings.path;
        let open_err = |source| ArchiveError::Open {
            path: path.clone(),
            source,
        };
        let mut created = false;
        let repo = match Repository::open_bare(path) {
            Ok(r) => r,
            Err(e) if e.code() == ErrorCode::NotFound => {
                if path.exists()
                    && path
                        .read_dir()
                        .map(|mut d| d.next().is_some())
                        .unwrap_or(true)
                {
                    if !recovery::half_created(path) {
                        return Err(ArchiveError::NotARepository { path: path.clone() });
                    }
                    tracing::warn!(archive = %path.display(), "the archive was left half-created by a stopped run (no HEAD, no history); creating it again in place");
                }
                let mut opts = RepositoryInitOptions::new();
                opts.bare(true).initial_head("main").mkpath(true);
                created = true;
                Repository::init_opts(path, &opts).map_err(open_err)?
            }
            Err(e) => return Err(open_err(e)),
        };
        let lock = ArchiveLock::acquire(repo.path())?;
        if created {
            failpoint::hit("archive.create");
        }
        recovery::finish_setup(&repo, created).map_err(open_err)?;
        recovery::remove_stale_locks(repo.path());
        let archive = Self {
            dir: repo.path().to_path_buf(),
            repo,
            author_name: settings.author_name.clone(),
            author_email: settings.author_email.clone(),
            holds: settings.holds,
            unpublished: None,
            _lock: lock,
        };
        archive.publish_orphaned_snapshot()?;
        Ok(archive)
    }

    /// The repository folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn tip(&self, branch: &str) -> Result<Option<git2::Commit<'_>>, ArchiveError> {
        match self.repo.find_reference(branch) {
            Ok(r) => Ok(Some(r.peel_to_commit().map_err(git("read branch tip"))?)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(git("read branch")(e)),
        }
    }

    fn blob_at(tree: Option<&Tree<'_>>, path: &str) -> Option<Oid> {
        let entry = tree?.get_path(Path::new(path)).ok()?;
        (entry.kind() == Some(ObjectType::Blob)).then(|| entry.id())
    }

    /// The tree of `base` with the blob at `dir/file` set to `blob`.
    fn tree_with(
        &self,
        base: Option<&Tree<'_>>,
        dir: &str,
        file: &str,
        blob: Oid,
    ) -> Result<Oid, ArchiveError> {
        let sub = base
            .and_then(|t| t.get_name(dir))
            .and_then(|e| e.to_object(&self.repo).ok())
            .and_then(|o| o.into_tree().ok());
        let mut sb = self
            .repo
            .treebuilder(sub.as_ref())
            .map_err(git("build tree"))?;
        sb.insert(file, blob, 0o100_644)
            .map_err(git("build tree"))?;
        let sub_id = sb.write().map_err(git("write tree"))?;
        let mut rb = self.repo.treebuilder(base).map_err(git("build tree"))?;
        rb.insert(dir, sub_id, 0o040_000)
            .map_err(git("build tree"))?;
        rb.write().map_err(git("write tree"))
    }

    /// Writes a commit object (no ref moves).
    fn commit_object(
        &self,
        at: SystemTime,
        message: &str,
        tree: Oid,
        parent: Option<&git2::Commit<'_>>,
    ) -> Result<Oid, ArchiveError> {
        let sig = Signature::new(
            &self.author_name,
            &self.author_email,
            &Time::new(unix(at), 0),
        )
        .map_err(git("make signature"))?;
        let tree = self.repo.find_tree(tree).map_err(git("read tree"))?;
        let parents: Vec<&git2::Commit<'_>> = parent.into_iter().collect();
        self.repo
            .commit(None, &sig, &sig, message, &tree, &parents)
            .map_err(git("commit"))
    }

    /// Moves `branch` from `from` (None: it must not exist yet) to `to`: a compare-and-swap, so
    /// history can only grow.
    fn move_branch(
        &self,
        branch: &'static str,
        from: Option<Oid>,
        to: Oid,
        summary: &str,
    ) -> Result<(), ArchiveError> {
        let log = format!("commit: {summary}");
        let result = match from {
            Some(old) => self.repo.reference_matching(branch, to, true, old, &log),
            None => self.repo.reference(branch, to, false, &log),
        };
        match result {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Exists) => {
                Err(ArchiveError::Moved { branch })
            }
            Err(e) => Err(git("move branch")(e)),
        }
    }

    /// Whether `main` holds a version of `doc`.
    fn has_version(&self, doc: &DocumentId) -> Result<bool, ArchiveError> {
        let main = self.tip(MAIN)?;
        let tree = main
            .as_ref()
            .map(|c| c.tree())
            .transpose()
            .map_err(git("read tree"))?;
        Ok(Self::blob_at(tree.as_ref(), &doc.version_path()).is_some())
    }

    /// Whether `pages` are the bytes of the last snapshot of `doc`, and whether it has a version:
    /// what a check needs to know before extracting. Writes nothing.
    pub fn probe(&self, doc: &DocumentId, pages: &[SnapshotPage]) -> Result<Probe, ArchiveError> {
        Ok(Probe {
            unchanged: self.layout(doc, pages)?.unchanged,
            has_version: self.has_version(doc)?,
        })
    }

    /// Records the raw bytes of a fetch on `snapshots` if they differ from the last ones.
    pub fn record_snapshot(
        &mut self,
        doc: &DocumentId,
        title: &str,
        meta: &SnapshotMeta,
        ext: &str,
        bytes: &[u8],
    ) -> Result<SnapshotResult, ArchiveError> {
        self.record_pages(
            doc,
            title,
            &[SnapshotPage {
                meta: meta.clone(),
                ext: ext.to_owned(),
                bytes: bytes.to_vec(),
            }],
        )
    }

    /// Where the pages of `doc` go in the tip of `snapshots`, and whether they are already there.
    fn layout(&self, doc: &DocumentId, pages: &[SnapshotPage]) -> Result<Layout<'_>, ArchiveError> {
        let tip = self.tip(SNAPSHOTS)?;
        let tree = tip
            .as_ref()
            .map(|c| c.tree())
            .transpose()
            .map_err(git("read tree"))?;
        let single = pages.len() == 1;
        let path_of = |i: usize, ext: &str| {
            if single {
                doc.snapshot_path(ext)
            } else {
                format!("{}/{}/{}.{ext}", doc.platform(), doc.kind(), i + 1)
            }
        };
        // What the platform folder holds for this document now, and what it would hold.
        let platform_tree = tree
            .as_ref()
            .and_then(|t| t.get_name(doc.platform()))
            .and_then(|e| e.to_object(&self.repo).ok())
            .and_then(|o| o.into_tree().ok());
        let mine = |name: &str| {
            name == doc.kind()
                || name
                    .strip_prefix(doc.kind())
                    .is_some_and(|r| r.starts_with('.'))
        };
        let old_entries: Vec<String> = platform_tree
            .iter()
            .flat_map(|t| t.iter())
            .filter_map(|e| e.name().map(str::to_owned))
            .filter(|n| mine(n))
            .collect();
        let mut unchanged = true;
        for (i, p) in pages.iter().enumerate() {
            let path = path_of(i, &p.ext);
            let id = Oid::hash_object(ObjectType::Blob, &p.bytes).map_err(git("hash snapshot"))?;
            unchanged &= Self::blob_at(tree.as_ref(), &path) == Some(id);
        }
        // The same file names as before (a page more or less, or a new extension, is a change).
        let expected_entries: Vec<String> = if single {
            vec![format!("{}.{}", doc.kind(), pages[0].ext)]
        } else {
            vec![doc.kind().to_owned()]
        };
        unchanged &= old_entries == expected_entries;
        if unchanged && !single {
            let count = platform_tree
                .as_ref()
                .and_then(|t| t.get_name(doc.kind()))
                .and_then(|e| e.to_object(&self.repo).ok())
                .and_then(|o| o.into_tree().ok())
                .map_or(0, |t| t.len());
            unchanged &= count == pages.len();
        }
        Ok(Layout {
            tip,
            tree,
            platform_tree,
            old_entries,
            expected_entries,
            unchanged,
        })
    }

    /// Writes the snapshot commit of the pages of one fetch of `doc`, if any byte differs from
    /// the last snapshot, without moving `snapshots` (see [`Archive::publish_snapshot`]): one page
    /// at `PLATFORM/KIND.EXT`, several at `PLATFORM/KIND/1.EXT`, `PLATFORM/KIND/2.EXT`, ...
    fn prepare_snapshot(
        &mut self,
        doc: &DocumentId,
        title: &str,
        pages: &[SnapshotPage],
    ) -> Result<Option<PendingSnapshot>, ArchiveError> {
        if let Some(pending) = self.unpublished.take() {
            self.publish_snapshot(pending)?;
        }
        let Layout {
            tip,
            tree,
            platform_tree,
            old_entries,
            expected_entries,
            unchanged,
        } = self.layout(doc, pages)?;
        if unchanged {
            return Ok(None);
        }
        let single = pages.len() == 1;
        let mut pb = self
            .repo
            .treebuilder(platform_tree.as_ref())
            .map_err(git("build tree"))?;
        for name in &old_entries {
            pb.remove(name).map_err(git("build tree"))?;
        }
        if single {
            let blob = self
                .repo
                .blob(&pages[0].bytes)
                .map_err(git("write snapshot blob"))?;
            pb.insert(&expected_entries[0], blob, 0o100_644)
                .map_err(git("build tree"))?;
        } else {
            let mut kb = self.repo.treebuilder(None).map_err(git("build tree"))?;
            for (i, p) in pages.iter().enumerate() {
                let blob = self
                    .repo
                    .blob(&p.bytes)
                    .map_err(git("write snapshot blob"))?;
                kb.insert(format!("{}.{}", i + 1, p.ext), blob, 0o100_644)
                    .map_err(git("build tree"))?;
            }
            let kid = kb.write().map_err(git("write tree"))?;
            pb.insert(doc.kind(), kid, 0o040_000)
                .map_err(git("build tree"))?;
        }
        let platform_id = pb.write().map_err(git("write tree"))?;
        let mut rb = self
            .repo
            .treebuilder(tree.as_ref())
            .map_err(git("build tree"))?;
        rb.insert(doc.platform(), platform_id, 0o040_000)
            .map_err(git("build tree"))?;
        let tree_id = rb.write().map_err(git("write tree"))?;

        let first = &pages[0].meta;
        // Every value is made one line (`trailers::push`, `one_line`): none can add a line that
        // would read as a trailer.
        let summary = format!(
            "{} snapshot of {}",
            if old_entries.is_empty() {
                "First"
            } else {
                "New"
            },
            one_line(title)
        );
        let mut msg = format!("{summary}\n\n");
        trailers::push(&mut msg, "Document", &doc.to_string());
        for p in pages {
            trailers::push(&mut msg, "Source-URL", &p.meta.source_url);
            if p.meta.final_url != p.meta.source_url {
                trailers::push(&mut msg, "Final-URL", &p.meta.final_url);
            }
        }
        trailers::push(&mut msg, "Fetched-At", &rfc3339(first.fetched_at));
        for p in pages {
            trailers::push(&mut msg, "HTTP-Status", &p.meta.status.to_string());
            if let Some(ct) = &p.meta.content_type {
                trailers::push(&mut msg, "Content-Type", ct);
            }
            if let Some(f) = &p.meta.fetcher {
                trailers::push(&mut msg, "Fetcher", f);
            }
        }
        for p in pages {
            trailers::push(
                &mut msg,
                "Content-SHA256",
                &hex::encode(Sha256::digest(&p.bytes)),
            );
        }
        let commit = self.commit_object(first.fetched_at, &msg, tree_id, tip.as_ref())?;
        failpoint::hit("archive.snapshot-objects");
        Ok(Some(PendingSnapshot {
            commit,
            parent: tip.map(|c| c.id()),
            summary,
        }))
    }

    /// Moves `snapshots` to a prepared snapshot commit. On failure the commit is kept and
    /// published before the next snapshot: its version may already be on `main`.
    fn publish_snapshot(&mut self, pending: PendingSnapshot) -> Result<(), ArchiveError> {
        match self.move_branch(SNAPSHOTS, pending.parent, pending.commit, &pending.summary) {
            Ok(()) => {
                failpoint::hit("archive.snapshots-moved");
                Ok(())
            }
            Err(e) => {
                self.unpublished = Some(pending);
                Err(e)
            }
        }
    }

    /// The tip of `snapshots`: the snapshot commit holding the current bytes of every document.
    fn snapshots_tip(&self) -> Result<Option<Oid>, ArchiveError> {
        Ok(self.tip(SNAPSHOTS)?.map(|c| c.id()))
    }

    /// Records the pages of one fetch of `doc` on `snapshots` (no version), if any byte differs
    /// from the last snapshot.
    pub fn record_pages(
        &mut self,
        doc: &DocumentId,
        title: &str,
        pages: &[SnapshotPage],
    ) -> Result<SnapshotResult, ArchiveError> {
        Ok(self
            .record(doc, title, pages, None, None, |_, _| {})?
            .snapshot)
    }

    /// Records one fetch of `doc`: its snapshot, if any byte changed, and, when `version` is
    /// given, its text as a version, if the text changed and is not held back (`pending` is the
    /// hold from the previous fetch). `version.snapshot` is filled in here.
    ///
    /// The version commit is made before `snapshots` moves (see the module comment), and
    /// `on_decided` runs between the two with the version request (its snapshot filled in) and
    /// its result: the writer saves a new hold there, so that a held text is never forgotten once
    /// its bytes are on record.
    pub fn record(
        &mut self,
        doc: &DocumentId,
        title: &str,
        pages: &[SnapshotPage],
        version: Option<VersionRequest>,
        pending: Option<&Hold>,
        on_decided: impl FnOnce(&VersionRequest, &VersionResult),
    ) -> Result<Recorded, ArchiveError> {
        let has_version = self.has_version(doc)?;
        let prepared = self.prepare_snapshot(doc, title, pages)?;
        let snapshot = match &prepared {
            Some(p) => p.commit,
            None => self
                .snapshots_tip()?
                .expect("unchanged stored bytes imply a snapshots tip"),
        };
        let version = match version {
            Some(mut req) => {
                req.snapshot = snapshot;
                let result = self.record_version(&req, pending)?;
                on_decided(&req, &result);
                Some(result)
            }
            None => None,
        };
        let changed = prepared.is_some();
        if let Some(p) = prepared {
            self.publish_snapshot(p)?;
        }
        Ok(Recorded {
            snapshot: SnapshotResult {
                commit: snapshot,
                changed,
                has_version,
            },
            version,
        })
    }

    /// If the last version names a snapshot commit that `snapshots` does not reach yet, one
    /// fast-forward past its tip (a run stopped between the two ref moves of a fetch), moves
    /// `snapshots` there.
    fn publish_orphaned_snapshot(&self) -> Result<(), ArchiveError> {
        let Some(main) = self.tip(MAIN)? else {
            return Ok(());
        };
        let Some(named) = trailer(main.message().unwrap_or_default(), "Snapshot")
            .and_then(|s| Oid::from_str(s.trim()).ok())
        else {
            return Ok(());
        };
        let tip = self.snapshots_tip()?;
        if tip == Some(named) {
            return Ok(());
        }
        let Ok(commit) = self.repo.find_commit(named) else {
            tracing::error!(version = %main.id(), snapshot = %named, "the last version names a snapshot commit the archive does not hold");
            return Ok(());
        };
        // Older snapshots (re-extractions, confirmed holds) are in the history, never children
        // of the tip: only a snapshot whose parent is the tip was left unpublished.
        if commit.parent_ids().next() != tip {
            return Ok(());
        }
        self.move_branch(SNAPSHOTS, tip, named, commit.summary().unwrap_or_default())?;
        tracing::warn!(snapshot = %named, version = %main.id(), "a stopped run left the snapshot of the last version off the snapshots branch; moved the branch to it");
        Ok(())
    }

    /// Records extracted text on `main` if it differs from the last version and is not held back
    /// as suspicious (`pending` is the hold from the previous fetch, if any).
    pub fn record_version(
        &mut self,
        req: &VersionRequest,
        pending: Option<&Hold>,
    ) -> Result<VersionResult, ArchiveError> {
        let path = req.doc.version_path();
        let tip = self.tip(MAIN)?;
        let tree = tip
            .as_ref()
            .map(|c| c.tree())
            .transpose()
            .map_err(git("read tree"))?;
        let previous = Self::blob_at(tree.as_ref(), &path);
        let blob_id =
            Oid::hash_object(ObjectType::Blob, req.text.as_bytes()).map_err(git("hash version"))?;
        if previous == Some(blob_id) {
            return Ok(VersionResult::Unchanged);
        }
        let old_text = match previous {
            Some(id) => Some(
                self.repo
                    .find_blob(id)
                    .map_err(git("read previous version"))?
                    .content()
                    .to_vec(),
            ),
            None => None,
        };
        // Re-extractions are deliberate: the rules changed, so a shrink is expected.
        let confirmed = if req.technical {
            None
        } else {
            let old = old_text.as_deref().map(String::from_utf8_lossy);
            match judge(old.as_deref(), &req.text, pending, &self.holds) {
                Verdict::Same => return Ok(VersionResult::Unchanged),
                Verdict::Hold(reason) => return Ok(VersionResult::Held(reason)),
                Verdict::Record { confirmed } => confirmed,
            }
        };
        let blob = self
            .repo
            .blob(req.text.as_bytes())
            .map_err(git("write version blob"))?;
        let tree_id = self.tree_with(
            tree.as_ref(),
            req.doc.platform(),
            &format!("{}.md", req.doc.kind()),
            blob,
        )?;
        // Every value is made one line (`trailers::push`, `one_line`): none can add a line that
        // would read as a trailer.
        let title = one_line(&req.title);
        let mut msg = match &old_text {
            None => format!("First record of {title}\n\n"),
            Some(old) => {
                let (added, removed) = line_counts(&String::from_utf8_lossy(old), &req.text);
                let subject = if req.technical {
                    format!("Apply extraction upgrade to {title}")
                } else {
                    format!("Update {title}")
                };
                format!("{subject}\n\n{added} line(s) added, {removed} removed.\n\n")
            }
        };
        if let Some(h) = &confirmed {
            msg.push_str(&format!(
                "This text was held back at {} ({}) and is recorded now that a second fetch confirms it.\n\n",
                rfc3339(from_unix(h.since)),
                one_line(&h.reason)
            ));
        }
        for (key, value) in [
            ("Document", req.doc.to_string()),
            ("Source-URL", req.source_url.clone()),
            ("Fetched-At", rfc3339(req.fetched_at)),
            ("Snapshot", req.snapshot.to_string()),
            (
                "Content-SHA256",
                hex::encode(Sha256::digest(req.text.as_bytes())),
            ),
            ("Extractor", req.extractor.clone()),
        ] {
            trailers::push(&mut msg, key, &value);
        }
        if let (Some(line), Some(_)) = (&req.plugin_summary, &old_text) {
            let line: String = one_line(line).chars().take(300).collect();
            trailers::push(&mut msg, "Plugin-Summary", &line);
        }
        if req.technical {
            trailers::push(&mut msg, "Change-Class", "technical");
        }
        let commit = self.commit_object(req.fetched_at, &msg, tree_id, tip.as_ref())?;
        failpoint::hit("archive.version-objects");
        let summary = msg.lines().next().unwrap_or_default();
        self.move_branch(MAIN, tip.as_ref().map(|c| c.id()), commit, summary)?;
        failpoint::hit("archive.main-moved");
        Ok(if old_text.is_none() {
            VersionResult::First(commit)
        } else {
            VersionResult::Updated(commit)
        })
    }
}

/// Lines added and removed between two texts.
pub fn line_counts(old: &str, new: &str) -> (usize, usize) {
    let diff = similar::TextDiff::from_lines(old, new);
    let (mut added, mut removed) = (0, 0);
    for op in diff.ops() {
        for change in diff.iter_changes(op) {
            match change.tag() {
                similar::ChangeTag::Insert => added += 1,
                similar::ChangeTag::Delete => removed += 1,
                similar::ChangeTag::Equal => {}
            }
        }
    }
    (added, removed)
}

#[cfg(test)]
mod tests;
