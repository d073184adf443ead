//! Reading the archive back: the versions of a document, its text at a date, at a commit.
//! Read-only; used by `log`, `show` and `diff`.

use std::path::Path;

use git2::{Oid, Repository, Sort};

use super::message::{self, Trailers};
use super::{ArchiveError, MAIN, SNAPSHOTS};
use crate::document::{DocumentFilter, DocumentId};

/// One version commit on `main`.
#[derive(Debug, Clone)]
pub struct VersionEntry {
    /// The commit.
    pub commit: Oid,
    /// Commit time (= fetch time), Unix seconds.
    pub time: i64,
    /// The document it records (from its `Document:` trailer).
    pub doc: Option<DocumentId>,
    /// The first line of the message.
    pub summary: String,
    /// The whole message.
    pub message: String,
}

/// Read access to the versions on `main`.
pub struct History<'r> {
    repo: &'r Repository,
}

impl<'r> History<'r> {
    /// Reads `repo`.
    pub fn new(repo: &'r Repository) -> Self {
        Self { repo }
    }

    fn entry(&self, commit: &git2::Commit<'_>) -> VersionEntry {
        let message = commit.message().unwrap_or_default().to_owned();
        VersionEntry {
            commit: commit.id(),
            time: commit.time().seconds(),
            doc: message::document(&message),
            summary: commit.summary().unwrap_or_default().to_owned(),
            message,
        }
    }

    /// Versions on `main`, newest first, optionally only those of documents passing `filter`.
    pub fn versions(
        &self,
        filter: Option<&DocumentFilter>,
    ) -> Result<Vec<VersionEntry>, ArchiveError> {
        let mut walk = self.repo.revwalk().map_err(super::git("walk history"))?;
        if self.repo.find_reference(MAIN).is_err() {
            return Ok(Vec::new());
        }
        walk.push_ref(MAIN).map_err(super::git("walk history"))?;
        walk.set_sorting(Sort::TOPOLOGICAL)
            .map_err(super::git("walk history"))?;
        let mut out = Vec::new();
        for id in walk {
            let id = id.map_err(super::git("walk history"))?;
            let commit = self
                .repo
                .find_commit(id)
                .map_err(super::git("read commit"))?;
            let entry = self.entry(&commit);
            if filter.is_none_or(|f| entry.doc.as_ref().is_some_and(|d| f.matches(d))) {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// The text of `doc` in the tree of `commit`, if it exists there.
    pub fn text_in(&self, commit: Oid, doc: &DocumentId) -> Result<Option<String>, ArchiveError> {
        let commit = self
            .repo
            .find_commit(commit)
            .map_err(super::git("read commit"))?;
        let tree = commit.tree().map_err(super::git("read tree"))?;
        let Ok(entry) = tree.get_path(Path::new(&doc.version_path())) else {
            return Ok(None);
        };
        let blob = self
            .repo
            .find_blob(entry.id())
            .map_err(super::git("read blob"))?;
        Ok(Some(String::from_utf8_lossy(blob.content()).into_owned()))
    }

    /// The version of `doc` in force at Unix time `at` (the latest one when `None`), with its text.
    pub fn version_at(
        &self,
        doc: &DocumentId,
        at: Option<i64>,
    ) -> Result<Option<(VersionEntry, String)>, ArchiveError> {
        let filter =
            DocumentFilter::parse(&doc.to_string()).expect("a document id is a valid filter");
        for v in self.versions(Some(&filter))? {
            if at.is_none_or(|t| v.time <= t) {
                let text = self.text_in(v.commit, doc)?.unwrap_or_default();
                return Ok(Some((v, text)));
            }
        }
        Ok(None)
    }

    /// The text of `doc` on the tip of `main`, if it has a version.
    pub fn current_text(&self, doc: &DocumentId) -> Result<Option<String>, ArchiveError> {
        let Ok(tip) = self
            .repo
            .find_reference(MAIN)
            .and_then(|r| r.peel_to_commit())
        else {
            return Ok(None);
        };
        self.text_in(tip.id(), doc)
    }

    /// The documents of `platform` with a version on the tip of `main` (`PLATFORM/KIND.md`).
    pub fn recorded(&self, platform: &str) -> Vec<DocumentId> {
        let Some(tree) = self
            .repo
            .find_reference(MAIN)
            .and_then(|r| r.peel_to_tree())
            .ok()
            .and_then(|t| t.get_name(platform).map(|e| e.id()))
            .and_then(|id| self.repo.find_tree(id).ok())
        else {
            return Vec::new();
        };
        tree.iter()
            .filter_map(|e| e.name()?.strip_suffix(".md").map(str::to_owned))
            .filter_map(|kind| DocumentId::new(platform, &kind))
            .collect()
    }

    /// Resolves a revision (commit id, prefix, ref) to a commit.
    pub fn resolve(&self, rev: &str) -> Result<Oid, ArchiveError> {
        let obj = self
            .repo
            .revparse_single(rev)
            .map_err(super::git("resolve revision"))?;
        let commit = obj
            .peel_to_commit()
            .map_err(super::git("resolve revision"))?;
        Ok(commit.id())
    }
}

/// The latest snapshot of a document, read back from `snapshots`.
#[derive(Debug, Clone)]
pub struct SnapshotRecord {
    /// The snapshot commit.
    pub commit: Oid,
    /// The raw bytes of each page, in source order.
    pub pages: Vec<Vec<u8>>,
    /// `Content-Type` of each page, from the trailers.
    pub content_types: Vec<Option<String>>,
    /// `Final-URL` from the trailers, when the (first) page's differed from its source URL.
    pub final_url: Option<String>,
    /// The commit time (= fetch time).
    pub fetched_at: std::time::SystemTime,
}

/// The latest snapshot commit of `doc` and its pages.
pub fn latest_snapshot(
    repo: &Repository,
    doc: &DocumentId,
) -> Result<Option<SnapshotRecord>, ArchiveError> {
    let mut walk = repo.revwalk().map_err(super::git("walk history"))?;
    if repo.find_reference(SNAPSHOTS).is_err() {
        return Ok(None);
    }
    walk.push_ref(SNAPSHOTS)
        .map_err(super::git("walk history"))?;
    let want = doc.to_string();
    for id in walk {
        let commit = repo
            .find_commit(id.map_err(super::git("walk history"))?)
            .map_err(super::git("read commit"))?;
        let trailers = Trailers::parse(commit.message().unwrap_or_default());
        if trailers.get(message::DOCUMENT) != Some(want.as_str()) {
            continue;
        }
        let tree = commit.tree().map_err(super::git("read tree"))?;
        let Some(dir) = tree
            .get_name(doc.platform())
            .and_then(|e| e.to_object(repo).ok())
            .and_then(|o| o.into_tree().ok())
        else {
            return Ok(None);
        };
        let blob = |oid| {
            repo.find_blob(oid)
                .map(|b| b.content().to_vec())
                .map_err(super::git("read blob"))
        };
        let prefix = format!("{}.", doc.kind());
        let mut pages = Vec::new();
        if let Some(entry) = dir
            .iter()
            .find(|e| e.name().is_some_and(|n| n.starts_with(&prefix)))
        {
            pages.push(blob(entry.id())?);
        } else if let Some(sub) = dir
            .get_name(doc.kind())
            .and_then(|e| e.to_object(repo).ok())
            .and_then(|o| o.into_tree().ok())
        {
            // Several pages, `1.html`, `2.pdf`, ...: in number order.
            let mut numbered: Vec<(u32, Oid)> = sub
                .iter()
                .filter_map(|e| Some((e.name()?.split('.').next()?.parse().ok()?, e.id())))
                .collect();
            numbered.sort();
            for (_, oid) in numbered {
                pages.push(blob(oid)?);
            }
        }
        if pages.is_empty() {
            return Ok(None);
        }
        let content_types = trailers
            .all(message::CONTENT_TYPE)
            .map(|v| Some(v.to_owned()))
            .collect();
        return Ok(Some(SnapshotRecord {
            commit: commit.id(),
            pages,
            content_types,
            final_url: trailers.get(message::FINAL_URL).map(str::to_owned),
            fetched_at: std::time::SystemTime::UNIX_EPOCH
                + std::time::Duration::from_secs(
                    u64::try_from(commit.time().seconds()).unwrap_or(0),
                ),
        }));
    }
    Ok(None)
}
