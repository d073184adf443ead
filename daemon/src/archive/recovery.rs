//! Repairs at start-up for what a killed run leaves behind, done by [`super::Archive::open`]
//! while it holds the one-writer lock: a repository whose creation stopped half-way, and the lock
//! files git takes around each write. (The third repair, a version whose snapshot ref did not
//! move yet, is [`super::Archive::open`]'s `publish_orphaned_snapshot`.)

use std::path::{Path, PathBuf};

use git2::Repository;

/// The `description` of a termtrail archive; written last when it is created, so a repository
/// without it was not finished.
pub(super) const DESCRIPTION: &str =
    "termtrail archive: branch main holds the extracted versions, branch snapshots the raw pages\n";

/// What `git init` writes at the top of a bare repository.
const SKELETON: &[&str] = &[
    "HEAD",
    "config",
    "description",
    "objects",
    "refs",
    "hooks",
    "info",
    "branches",
    "logs",
    "termtrail.lock",
];

/// The lock files of single git files (`refs/` and `logs/` are searched for the rest).
const TOP_LOCKS: &[&str] = &["HEAD.lock", "config.lock", "index.lock", "packed-refs.lock"];

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Whether `path` holds a repository whose creation stopped before `HEAD` was written: only
/// entries `git init` makes, an `objects` folder, and no ref at all, so no history to lose.
pub(super) fn half_created(path: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(path) else {
        return false;
    };
    let only_skeleton = entries.flatten().all(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        SKELETON.contains(&name.as_ref()) || name.ends_with(".lock")
    });
    let mut refs = Vec::new();
    files_under(&path.join("refs"), &mut refs);
    only_skeleton
        && path.join("objects").is_dir()
        && !path.join("HEAD").exists()
        && !path.join("packed-refs").exists()
        && refs
            .iter()
            .all(|r| r.extension().is_some_and(|x| x == "lock"))
}

/// Writes what termtrail sets in a new archive (reflogs on, no automatic gc, the description),
/// unless the description says it was done; `created` says the repository was just made (else a
/// stopped run left it unfinished, which is logged).
pub(super) fn finish_setup(repo: &Repository, created: bool) -> Result<(), git2::Error> {
    let description = repo.path().join("description");
    if std::fs::read_to_string(&description).is_ok_and(|d| d == DESCRIPTION) {
        return Ok(());
    }
    if !created {
        tracing::warn!(archive = %repo.path().display(), "the archive's set-up was not finished (a stopped run, or a repository made by hand); finishing it");
    }
    let mut config = repo.config()?;
    config.set_str("core.logAllRefUpdates", "true")?;
    config.set_str("gc.auto", "0")?;
    // Last: its presence marks a finished set-up.
    std::fs::write(&description, DESCRIPTION)
        .map_err(|e| git2::Error::from_str(&format!("cannot write {}: {e}", description.display())))
}

/// Removes the lock files that git and libgit2 take around each ref and config write
/// (`refs/**/NAME.lock`, `packed-refs.lock`, `HEAD.lock`, ...) and that a killed writer leaves
/// behind: while one exists, every write of that file fails. Called only while holding
/// `termtrail.lock`: termtrail is the only writer of its archive, so no live writer owns them.
/// Returns the files removed.
pub(super) fn remove_stale_locks(dir: &Path) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = TOP_LOCKS.iter().map(|n| dir.join(n)).collect();
    files_under(&dir.join("refs"), &mut candidates);
    files_under(&dir.join("logs"), &mut candidates);
    let mut removed = Vec::new();
    for p in candidates {
        if p.extension().is_none_or(|x| x != "lock") || !p.is_file() {
            continue;
        }
        match std::fs::remove_file(&p) {
            Ok(()) => {
                tracing::warn!(file = %p.display(), "removed a stale git lock file left by a stopped run");
                removed.push(p);
            }
            Err(e) => {
                tracing::error!(file = %p.display(), error = %e, "cannot remove a stale git lock file; writes to its ref will fail until it is deleted")
            }
        }
    }
    removed
}

/// Removes what a packing killed half-way leaves in `objects/pack` (see `pack.rs`): libgit2's
/// temporary pack (`pack_git2_*`), an index being written (`*.lock`), and a pack or an index
/// without its other half (libgit2 writes the index before renaming the pack into place; an old
/// pack is deleted index first). None of them holds an object the archive needs: a pack counts
/// only once both halves are there, and nothing was deleted before that. Called only while
/// holding `termtrail.lock`, before any packing starts. Returns the files removed.
pub(super) fn remove_packing_leftovers(dir: &Path) -> Vec<PathBuf> {
    let pack_dir = dir.join("objects/pack");
    let Ok(entries) = std::fs::read_dir(&pack_dir) else {
        return Vec::new();
    };
    let names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    let half = |name: &str, ext: &str, other: &str| {
        name.starts_with("pack-")
            && name
                .strip_suffix(ext)
                .is_some_and(|stem| !names.iter().any(|n| *n == format!("{stem}{other}")))
    };
    let mut removed = Vec::new();
    for name in &names {
        let leftover = name.starts_with("pack_git2_")
            || name.ends_with(".lock")
            || half(name, ".pack", ".idx")
            || half(name, ".idx", ".pack");
        if !leftover {
            continue;
        }
        let p = pack_dir.join(name);
        match std::fs::remove_file(&p) {
            Ok(()) => {
                tracing::warn!(file = %p.display(), "removed what a stopped packing left");
                removed.push(p);
            }
            Err(e) => {
                tracing::error!(file = %p.display(), error = %e, "cannot remove what a stopped packing left; delete it by hand")
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, "").expect("write");
    }

    #[test]
    fn stale_locks_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let locks = [
            "refs/heads/main.lock",
            "refs/heads/snapshots.lock",
            "refs/termtrail/sinks/log.lock",
            "logs/refs/heads/main.lock",
            "packed-refs.lock",
            "HEAD.lock",
            "config.lock",
            "index.lock",
        ];
        let kept = [
            "refs/heads/main",
            "termtrail.lock",
            "config",
            "objects/ab/cd.lock",
        ];
        for p in locks.iter().chain(&kept) {
            touch(&d.join(p));
        }
        let mut removed: Vec<String> = remove_stale_locks(d)
            .iter()
            .map(|p| p.strip_prefix(d).expect("inside").display().to_string())
            .collect();
        removed.sort();
        let mut want: Vec<String> = locks.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(removed, want);
        for p in kept {
            assert!(d.join(p).exists(), "{p} was removed");
        }
    }

    #[test]
    fn packing_leftovers_are_removed_and_whole_packs_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let leftovers = [
            "objects/pack/pack_git2_Ab12Cd",
            "objects/pack/pack-1111.idx.lock",
            "objects/pack/pack-2222.idx",
            "objects/pack/pack-3333.pack",
        ];
        let kept = [
            "objects/pack/pack-4444.idx",
            "objects/pack/pack-4444.pack",
            "objects/ab/cdef",
        ];
        for p in leftovers.iter().chain(&kept) {
            touch(&d.join(p));
        }
        let mut removed: Vec<String> = remove_packing_leftovers(d)
            .iter()
            .map(|p| p.strip_prefix(d).expect("inside").display().to_string())
            .collect();
        removed.sort();
        let mut want = leftovers.map(str::to_owned);
        want.sort();
        assert_eq!(removed, want);
        for p in kept {
            assert!(d.join(p).exists(), "{p} was removed");
        }
    }

    #[test]
    fn only_an_unfinished_git_skeleton_counts_as_half_created() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir_all(d.join("objects/pack")).expect("mkdir");
        std::fs::create_dir_all(d.join("refs/heads")).expect("mkdir");
        std::fs::write(d.join("config"), "[core]\n").expect("write");
        assert!(half_created(d));
        // A ref means history: never recreated.
        touch(&d.join("refs/heads/main"));
        assert!(!half_created(d));
        std::fs::remove_file(d.join("refs/heads/main")).expect("rm");
        // A file git does not write: someone else's folder.
        std::fs::write(d.join("notes.txt"), "mine").expect("write");
        assert!(!half_created(d));
        std::fs::remove_file(d.join("notes.txt")).expect("rm");
        // HEAD written: a repository, not a half-created one.
        std::fs::write(d.join("HEAD"), "ref: refs/heads/main\n").expect("write");
        assert!(!half_created(d));
    }
}
