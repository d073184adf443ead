//! A document's provisions at any of its versions, read from the archive: the document's
//! version commits on `main` (first parents, oldest first) replayed through `Lineage`. A
//! `Replayer` keeps the last replay of each document, so that building the events of
//! consecutive versions costs one step each; the cache holds nothing the archive does not say.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

use super::changes::{ChangeKind, ChangeSet};
use super::lineage::Lineage;
use crate::archive::message;
use crate::document::DocumentId;
use crate::summary::{Class, Taxonomy};

/// Why a document's history cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A git read failed.
    #[error("cannot read {what} from the archive: {source}; run `git fsck` in the archive")]
    Git {
        /// What was read.
        what: &'static str,
        /// libgit2's error.
        source: git2::Error,
    },
    /// The commit does not record this document.
    #[error("commit {commit} is not a version of {doc}; see `termtrail log {doc}`")]
    NotAVersion {
        /// The commit.
        commit: String,
        /// The document.
        doc: String,
    },
}

fn git(what: &'static str) -> impl FnOnce(git2::Error) -> HistoryError {
    move |source| HistoryError::Git { what, source }
}

/// One version of a document: its commit, time and text.
#[derive(Debug, Clone)]
pub struct Version {
    /// The version commit.
    pub commit: Oid,
    /// Commit time (fetch time), Unix seconds.
    pub time: i64,
    /// The recorded text.
    pub text: String,
}

fn text_at(repo: &Repository, commit: &git2::Commit<'_>, path: &str) -> Option<String> {
    let tree = commit.tree().ok()?;
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

/// The versions of `doc` from the first up to `until` (the tip of `main` when `None`), oldest
/// first, stopping early (exclusive) at `stop` when it is met on the way back.
fn versions_back(
    repo: &Repository,
    doc: &DocumentId,
    until: Option<Oid>,
    stop: Option<Oid>,
) -> Result<(Vec<Version>, bool), HistoryError> {
    let start = match until {
        Some(id) => id,
        None => match repo.refname_to_id(crate::archive::MAIN) {
            Ok(id) => id,
            Err(_) => return Ok((Vec::new(), false)),
        },
    };
    let path = doc.version_path();
    let mut out = Vec::new();
    let mut current = Some(repo.find_commit(start).map_err(git("a version commit"))?);
    let mut met_stop = false;
    while let Some(c) = current {
        if Some(c.id()) == stop {
            met_stop = true;
            break;
        }
        if message::document(c.message().unwrap_or_default()).as_ref() == Some(doc) {
            if let Some(text) = text_at(repo, &c, &path) {
                out.push(Version {
                    commit: c.id(),
                    time: c.time().seconds(),
                    text,
                });
            }
        }
        current = c.parent(0).ok();
    }
    out.reverse();
    Ok((out, met_stop))
}

/// Every version of `doc` on `main`, oldest first.
pub fn versions(repo: &Repository, doc: &DocumentId) -> Result<Vec<Version>, HistoryError> {
    Ok(versions_back(repo, doc, None, None)?.0)
}

/// Replays of documents, cached per document at the last version asked for.
#[derive(Debug, Default)]
pub struct Replayer {
    cache: Mutex<HashMap<String, Lineage>>,
}

impl Replayer {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The provisions of `doc` at its version `at` (the latest when `None`), and, with a
    /// taxonomy, the change that version brought (with ids). `None` when `doc` has no version.
    pub fn at(
        &self,
        repo: &Repository,
        doc: &DocumentId,
        at: Option<Oid>,
        describe: Option<&Taxonomy>,
    ) -> Result<Option<(Lineage, Option<ChangeSet>)>, HistoryError> {
        let key = doc.to_string();
        let cached = self
            .cache
            .lock()
            .map(|c| c.get(&key).cloned())
            .unwrap_or_default();
        let cached_at = cached
            .as_ref()
            .and_then(|l| l.version())
            .and_then(|v| Oid::from_str(&v.commit).ok());
        // The cached replay helps when it is at a version before `at` (or at `at` itself, unless
        // the change of `at` is wanted: that needs the step from the version before).
        let (mut lineage, pending) = match (cached, cached_at) {
            (Some(l), Some(c)) if Some(c) == at && describe.is_none() => {
                return Ok(Some((l, None)));
            }
            (Some(l), Some(c)) => {
                let (vs, met) = versions_back(repo, doc, at, Some(c))?;
                if met && !(vs.is_empty() && describe.is_some()) {
                    (l, vs)
                } else {
                    (Lineage::new(&key), versions_back(repo, doc, at, None)?.0)
                }
            }
            _ => (Lineage::new(&key), versions_back(repo, doc, at, None)?.0),
        };
        if pending.is_empty() && lineage.version().is_none() {
            if let Some(id) = at {
                return Err(HistoryError::NotAVersion {
                    commit: id.to_string(),
                    doc: key,
                });
            }
            return Ok(None);
        }
        if let Some(id) = at {
            if pending.last().is_some_and(|v| v.commit != id) {
                return Err(HistoryError::NotAVersion {
                    commit: id.to_string(),
                    doc: key,
                });
            }
        }
        let last = pending.len().saturating_sub(1);
        let mut set = None;
        for (i, v) in pending.iter().enumerate() {
            let taxonomy = if i == last { describe } else { None };
            set = lineage.advance(&v.commit.to_string(), v.time, &v.text, taxonomy);
        }
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, lineage.clone());
        }
        Ok(Some((lineage, set)))
    }
}

/// The change each version of `doc` brought, on provisions with ids, by version commit (the
/// first version's: every provision added).
pub fn changes(
    repo: &Repository,
    doc: &DocumentId,
    taxonomy: &Taxonomy,
) -> Result<HashMap<Oid, ChangeSet>, HistoryError> {
    let mut lineage = Lineage::new(&doc.to_string());
    let mut out = HashMap::new();
    for v in versions(repo, doc)? {
        if let Some(set) = lineage.advance(&v.commit.to_string(), v.time, &v.text, Some(taxonomy)) {
            out.insert(v.commit, set);
        }
    }
    Ok(out)
}

/// One step in the life of a provision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The version commit.
    pub commit: String,
    /// Its time, RFC 3339.
    pub date: String,
    /// Added, removed, modified or moved.
    pub change: ChangeKind,
    /// Substantive or cosmetic.
    pub class: Class,
    /// Its topics.
    pub topics: Vec<String>,
    /// Headings above it then.
    pub heading_path: Vec<String>,
    /// Text before.
    pub before: Option<String>,
    /// Text after.
    pub after: Option<String>,
    /// Word diff, for a modification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// Every version of `doc` that changed provision `id` (an id or a unique prefix of one), oldest
/// first; empty when no provision of the document ever had that id.
pub fn timeline(
    repo: &Repository,
    doc: &DocumentId,
    id: &str,
    taxonomy: &Taxonomy,
) -> Result<Vec<TimelineEntry>, HistoryError> {
    Ok(Timelines::of_document(repo, doc, taxonomy)?.of(id))
}

/// Every change of every provision of one document, oldest first: all the clause timelines of
/// its history from one replay, for a server that answers many of them.
#[derive(Debug, Clone, Default)]
pub struct Timelines {
    /// (id, the id it was split from, the change), in history order.
    changes: Vec<(String, Option<String>, TimelineEntry)>,
}

impl Timelines {
    /// Replays the history of `doc`, keeping each provision change.
    pub fn of_document(
        repo: &Repository,
        doc: &DocumentId,
        taxonomy: &Taxonomy,
    ) -> Result<Self, HistoryError> {
        let mut lineage = Lineage::new(&doc.to_string());
        let mut changes = Vec::new();
        for v in versions(repo, doc)? {
            let set = lineage
                .advance(&v.commit.to_string(), v.time, &v.text, Some(taxonomy))
                .expect("a taxonomy was given");
            let date = crate::time_fmt::rfc3339(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(v.time.max(0) as u64),
            );
            for p in set.provisions {
                let entry = TimelineEntry {
                    commit: v.commit.to_string(),
                    date: date.clone(),
                    change: p.change,
                    class: p.class,
                    topics: p.topics,
                    heading_path: p.heading_path,
                    before: p.before,
                    after: p.after,
                    diff: p.diff,
                };
                changes.push((p.id, p.split_from, entry));
            }
        }
        Ok(Self { changes })
    }

    /// The timeline of provision `id` (an id or a unique prefix of one; a piece split from it
    /// counts), oldest first.
    pub fn of(&self, id: &str) -> Vec<TimelineEntry> {
        self.changes
            .iter()
            .filter(|(p, split_from, _)| p.starts_with(id) || split_from.as_deref() == Some(id))
            .map(|(_, _, e)| e.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests;
