//! Sink cursors: `refs/termtrail/sinks/NAME` points at the last version commit the sink has
//! delivered (or skipped on purpose). Every update is a compare-and-swap on the value read, so a
//! cursor only moves forward from where its owner saw it.
//!
//! Cursors are refs, not objects: moving one writes no git object, so this module updates them
//! directly (libgit2 takes the ref's lock file) instead of queueing behind fetches in the archive
//! writer. See ARCHITECTURE.md.

use git2::{ErrorCode, Oid, Repository, Sort};

use crate::archive::MAIN;

/// Why a cursor operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CursorError {
    /// A git operation failed.
    #[error("sink cursor {name}: git {op} failed: {source}")]
    Git {
        /// The ref.
        name: String,
        /// What was done.
        op: &'static str,
        /// libgit2's error.
        source: git2::Error,
    },
    /// Someone else moved the cursor.
    #[error("sink cursor {name} moved under us (expected {expected}); is another termtrail delivering from this archive?")]
    Moved {
        /// The ref.
        name: String,
        /// What we read.
        expected: String,
    },
}

/// The ref of sink `name`.
pub fn ref_name(sink: &str) -> String {
    format!("refs/termtrail/sinks/{sink}")
}

fn err<'n>(name: &'n str, op: &'static str) -> impl FnOnce(git2::Error) -> CursorError + 'n {
    move |source| CursorError::Git {
        name: name.to_owned(),
        op,
        source,
    }
}

/// The commit the cursor of `sink` points at, if it exists.
pub fn read(repo: &Repository, sink: &str) -> Result<Option<Oid>, CursorError> {
    let name = ref_name(sink);
    match repo.refname_to_id(&name) {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(err(&name, "read")(e)),
    }
}

/// The tip of `main`, if any version was recorded.
pub fn main_tip(repo: &Repository) -> Result<Option<Oid>, CursorError> {
    match repo.refname_to_id(MAIN) {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(err(MAIN, "read")(e)),
    }
}

/// Moves the cursor of `sink` from `expected` (None: it must not exist yet) to `new`.
pub fn advance(
    repo: &Repository,
    sink: &str,
    expected: Option<Oid>,
    new: Oid,
) -> Result<(), CursorError> {
    let name = ref_name(sink);
    let log = format!("termtrail: delivered {new}");
    let result = match expected {
        Some(old) => repo
            .reference_matching(&name, new, true, old, &log)
            .map(drop),
        None => repo.reference(&name, new, false, &log).map(drop),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Exists) => {
            Err(CursorError::Moved {
                name,
                expected: expected.map_or_else(|| "no cursor".to_owned(), |o| o.to_string()),
            })
        }
        Err(e) => Err(err(&name, "update")(e)),
    }
}

/// The version commits after `cursor` up to the tip of `main`, oldest first (all of `main` when
/// there is no cursor). A cursor that is not an ancestor of `main` (a replaced archive) gives
/// every commit not reachable from it.
pub fn pending(repo: &Repository, cursor: Option<Oid>) -> Result<Vec<Oid>, CursorError> {
    let Some(tip) = main_tip(repo)? else {
        return Ok(Vec::new());
    };
    if Some(tip) == cursor {
        return Ok(Vec::new());
    }
    let mut walk = repo.revwalk().map_err(err(MAIN, "walk"))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(err(MAIN, "walk"))?;
    walk.push(tip).map_err(err(MAIN, "walk"))?;
    if let Some(c) = cursor {
        // A cursor whose commit is gone (should not happen: history is never rewritten) is
        // treated as no cursor rather than losing events.
        if repo.find_commit(c).is_ok() {
            walk.hide(c).map_err(err(MAIN, "walk"))?;
        }
    }
    walk.collect::<Result<Vec<_>, _>>()
        .map_err(err(MAIN, "walk"))
}
