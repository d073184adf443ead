//! The repository opened for writing: creating it, taking its lock, repairing what a killed run
//! left, and the git primitives every write goes through (branch tips, trees, commit objects,
//! compare-and-swap ref moves). Objects are written here and nowhere else.

use std::path::Path;
use std::sync::OnceLock;
use std::time::SystemTime;

use git2::{ErrorCode, ObjectType, Oid, Repository, RepositoryInitOptions, Signature, Time, Tree};

use super::{
    git, message, recovery, Archive, ArchiveError, ArchiveLock, ArchiveSettings, MAIN, SNAPSHOTS,
};
use crate::document::DocumentId;
use crate::failpoint;
use crate::time_fmt::unix;

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
        recovery::remove_packing_leftovers(repo.path());
        let archive = Self {
            dir: repo.path().to_path_buf(),
            repo,
            author_name: settings.author_name.clone(),
            author_email: settings.author_email.clone(),
            holds: settings.holds,
            retention: settings.snapshots,
            pack_after: settings.pack_after,
            unpublished: None,
            roots: Default::default(),
            _lock: lock,
        };
        archive.publish_orphaned_snapshot()?;
        Ok(archive)
    }

    /// The repository folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loose objects that start a background packing (0: never).
    pub fn pack_after(&self) -> u64 {
        self.pack_after
    }

    pub(super) fn tip(&self, branch: &str) -> Result<Option<git2::Commit<'_>>, ArchiveError> {
        match self.repo.find_reference(branch) {
            Ok(r) => Ok(Some(r.peel_to_commit().map_err(git("read branch tip"))?)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(git("read branch")(e)),
        }
    }

    pub(super) fn blob_at(tree: Option<&Tree<'_>>, path: &str) -> Option<Oid> {
        let entry = tree?.get_path(Path::new(path)).ok()?;
        (entry.kind() == Some(ObjectType::Blob)).then(|| entry.id())
    }

    /// The tree of root `base` with the blob at `dir/file` set to `blob`.
    pub(super) fn tree_with(
        &self,
        base: Option<Oid>,
        dir: &str,
        file: &str,
        blob: Oid,
    ) -> Result<Oid, ArchiveError> {
        let sub = base.map(|r| self.folder(r, dir)).transpose()?.flatten();
        let mut sb = self
            .repo
            .treebuilder(sub.as_ref())
            .map_err(git("build tree"))?;
        sb.insert(file, blob, 0o100_644)
            .map_err(git("build tree"))?;
        let sub_id = sb.write().map_err(git("write tree"))?;
        self.root_with(base, dir, sub_id)
    }

    /// The tree of root `base` with folder `dir` set to tree `folder`; indexed in
    /// [`Archive::folder`]'s cache as it is written.
    pub(super) fn root_with(
        &self,
        base: Option<Oid>,
        dir: &str,
        folder: Oid,
    ) -> Result<Oid, ArchiveError> {
        let base_tree = base
            .map(|id| self.repo.find_tree(id))
            .transpose()
            .map_err(git("read tree"))?;
        let mut rb = self
            .repo
            .treebuilder(base_tree.as_ref())
            .map_err(git("build tree"))?;
        rb.insert(dir, folder, 0o040_000)
            .map_err(git("build tree"))?;
        let id = rb.write().map_err(git("write tree"))?;
        self.roots.derived(base, id, dir, folder);
        Ok(id)
    }

    /// Writes a commit object (no ref moves).
    pub(super) fn commit_object(
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
    pub(super) fn move_branch(
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
    pub(super) fn has_version(&self, doc: &DocumentId) -> Result<bool, ArchiveError> {
        Ok(self.version_blob(doc)?.is_some())
    }

    /// The blob of the current version of `doc` on `main`, if it has one.
    pub(super) fn version_blob(&self, doc: &DocumentId) -> Result<Option<Oid>, ArchiveError> {
        let (_, root) = self.root_of(MAIN)?;
        self.blob_in(root, &doc.version_path())
    }

    /// If the last version names a snapshot commit that `snapshots` does not reach yet, one
    /// fast-forward past its tip (a run stopped between the two ref moves of a fetch), moves
    /// `snapshots` there.
    fn publish_orphaned_snapshot(&self) -> Result<(), ArchiveError> {
        let Some(main) = self.tip(MAIN)? else {
            return Ok(());
        };
        let Some(named) = message::snapshot_of(main.message().unwrap_or_default()) else {
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
}
