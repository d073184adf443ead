//! What the web view shows, read from the archive (read-only): the documents, a document's
//! versions, one version with its trailers, a diff. The same values feed the HTML pages and the
//! JSON API; nothing here escapes or renders.

use std::collections::BTreeMap;
use std::path::Path;

use git2::Repository;
use serde::Serialize;

use super::facts::{FactsCache, VersionFacts};
use crate::archive::message::{self, Trailers};
use crate::archive::{open_read_only, ArchiveError, DocState, History, State, VersionEntry};
use crate::document::{DocumentFilter, DocumentId};
use crate::provisions::ChangeSet;
use crate::summary::Taxonomy;
use crate::time_fmt::{from_unix, rfc3339};

/// Why a request cannot be answered from the archive.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The path names no document, or no version of it.
    #[error("{0}")]
    NotFound(String),
    /// A path segment or parameter is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The archive could not be read.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A document's history could not be replayed.
    #[error(transparent)]
    History(crate::provisions::history::HistoryError),
}

/// A document and its latest version.
#[derive(Debug, Serialize)]
pub struct DocumentRow {
    pub id: String,
    pub platform: String,
    pub kind: String,
    pub versions: usize,
    pub last_commit: String,
    /// RFC 3339.
    pub last_date: String,
    /// Unix seconds.
    pub last_time: i64,
    pub last_subject: String,
}

/// One version in a timeline.
#[derive(Debug, Serialize)]
pub struct VersionRow {
    pub commit: String,
    pub date: String,
    pub subject: String,
    /// The fetch it came from: `Fetched-At` and `Snapshot` trailers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Class, topics, provision counts and stated dates (timeline and feeds).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub facts: Option<VersionFacts>,
}

/// A document's timeline.
#[derive(Debug, Serialize)]
pub struct Timeline {
    pub document: String,
    /// The topic filtered on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The topics some version's change touched (what the filter offers).
    pub topics: Vec<String>,
    pub versions: Vec<VersionRow>,
}

/// A document on the home page: its latest version, what its last change was, and how its
/// checks go.
#[derive(Debug, Serialize)]
pub struct HomeRow {
    #[serde(flatten)]
    pub document: DocumentRow,
    /// The facts of the latest version.
    pub last_change: VersionFacts,
    /// From the state file; none when the document was never checked by this archive's daemon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<CheckStatus>,
}

/// How a document's checks go, from the state file (read-only).
#[derive(Debug, Serialize)]
pub struct CheckStatus {
    /// RFC 3339 times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_checked: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success: Option<String>,
    /// Checks failed in a row.
    pub failures: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    /// A text held back until a second fetch confirms it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<HeldText>,
}

/// A held text.
#[derive(Debug, Serialize)]
pub struct HeldText {
    pub since: String,
    pub reason: String,
    pub snapshot: String,
}

impl CheckStatus {
    fn of(s: &DocState) -> Self {
        let at = |t: Option<i64>| t.map(|t| rfc3339(from_unix(t)));
        Self {
            last_checked: at(s.last_checked),
            last_success: at(s.last_success),
            failures: s.failures,
            // A state file written before `failing_since` existed: the failures are known, not
            // their start.
            failing_since: at(s.failing_since),
            held: s.hold.as_ref().map(|h| HeldText {
                since: rfc3339(from_unix(h.since)),
                reason: h.reason.clone(),
                snapshot: h.snapshot.clone(),
            }),
        }
    }
}

/// One version with its text and trailers.
#[derive(Debug, Serialize)]
pub struct VersionPage {
    pub document: String,
    pub commit: String,
    pub date: String,
    pub subject: String,
    pub trailers: Vec<Trailer>,
    pub text: String,
    /// The file names of the snapshot's pages (raw bytes at `/d/P/K/COMMIT/raw?page=N`).
    pub snapshot_pages: Vec<String>,
}

/// One page of a version's snapshot, as fetched.
#[derive(Debug)]
pub struct RawPage {
    /// Its file name in the snapshot (`terms-of-service.html`, `2.pdf`, ...).
    pub name: String,
    pub bytes: Vec<u8>,
}

/// One trailer of a version's commit message (`Source-URL`, `Fetched-At`, `Snapshot`, ...).
#[derive(Debug, Serialize)]
pub struct Trailer {
    pub key: String,
    pub value: String,
}

/// Two versions compared.
#[derive(Debug, Serialize)]
pub struct DiffPage {
    pub document: String,
    pub from: VersionRow,
    pub to: VersionRow,
    pub old_text: String,
    pub new_text: String,
    /// The change summary (class, sections, topics) as `termtrail diff` prints it.
    pub summary: String,
    /// The change on provisions: class, topics, each provision added, removed, modified or moved.
    pub changes: ChangeSet,
}

/// The archive opened for one request; a git repository handle is not shared between threads.
pub struct Reader {
    pub(super) repo: Repository,
}

fn row(v: &VersionEntry) -> VersionRow {
    let trailers = Trailers::parse(&v.message);
    VersionRow {
        commit: v.commit.to_string(),
        date: rfc3339(from_unix(v.time)),
        subject: v.summary.clone(),
        fetched_at: trailers.get(message::FETCHED_AT).map(str::to_owned),
        snapshot: trailers.get(message::SNAPSHOT).map(str::to_owned),
        facts: None,
    }
}

/// Parses the two path segments of a document, refusing anything that is not a pair of slugs
/// (so `..`, `/` and the like never reach a path).
pub fn document_id(platform: &str, kind: &str) -> Result<DocumentId, DataError> {
    DocumentId::new(platform, kind)
        .ok_or_else(|| DataError::BadRequest("not a document id (PLATFORM/KIND slugs)".to_owned()))
}

/// A commit as written in a path or query: 4 to 40 hexadecimal digits, nothing else (no
/// revision expressions, no refs).
fn commit_spec(spec: &str) -> Result<&str, DataError> {
    if (4..=40).contains(&spec.len()) && spec.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(spec)
    } else {
        Err(DataError::BadRequest(
            "not a commit id (4 to 40 hexadecimal digits)".to_owned(),
        ))
    }
}

impl Reader {
    /// Opens the archive at `path` read-only.
    pub fn open(path: &Path) -> Result<Self, DataError> {
        Ok(Self {
            repo: open_read_only(path)?,
        })
    }

    pub(super) fn history(&self) -> History<'_> {
        History::new(&self.repo)
    }

    /// Every document with a version, by platform then kind.
    pub fn documents(&self) -> Result<Vec<DocumentRow>, DataError> {
        let mut docs: BTreeMap<DocumentId, DocumentRow> = BTreeMap::new();
        // Newest first: the first entry seen of a document is its latest version.
        for v in self.history().versions(None)? {
            let Some(doc) = &v.doc else { continue };
            docs.entry(doc.clone())
                .or_insert_with(|| DocumentRow {
                    id: doc.to_string(),
                    platform: doc.platform().to_owned(),
                    kind: doc.kind().to_owned(),
                    versions: 0,
                    last_commit: v.commit.to_string(),
                    last_date: rfc3339(from_unix(v.time)),
                    last_time: v.time,
                    last_subject: v.summary.clone(),
                })
                .versions += 1;
        }
        Ok(docs.into_values().collect())
    }

    /// `/`: every document with the facts of its last change and its check status.
    pub fn home(
        &self,
        state: &State,
        cache: &FactsCache,
        taxonomy: &Taxonomy,
    ) -> Result<Vec<HomeRow>, DataError> {
        // One walk of `main`, grouped by document (newest first in each).
        let mut by_doc: BTreeMap<DocumentId, Vec<VersionEntry>> = BTreeMap::new();
        for v in self.history().versions(None)? {
            if let Some(doc) = v.doc.clone() {
                by_doc.entry(doc).or_default().push(v);
            }
        }
        let history = self.history();
        let mut out = Vec::new();
        for (doc, versions) in by_doc {
            let last = &versions[0];
            let last_change = (*cache.of(&history, &doc, &versions, 0, taxonomy)?).clone();
            let id = doc.to_string();
            out.push(HomeRow {
                status: state.documents.get(&id).map(CheckStatus::of),
                document: DocumentRow {
                    platform: doc.platform().to_owned(),
                    kind: doc.kind().to_owned(),
                    versions: versions.len(),
                    last_commit: last.commit.to_string(),
                    last_date: rfc3339(from_unix(last.time)),
                    last_time: last.time,
                    last_subject: last.summary.clone(),
                    id,
                },
                last_change,
            });
        }
        Ok(out)
    }

    /// Computes the facts of every version of every document; returns how many versions.
    pub fn warm_up(&self, cache: &FactsCache, taxonomy: &Taxonomy) -> Result<usize, DataError> {
        let mut by_doc: BTreeMap<DocumentId, Vec<VersionEntry>> = BTreeMap::new();
        for v in self.history().versions(None)? {
            if let Some(doc) = v.doc.clone() {
                by_doc.entry(doc).or_default().push(v);
            }
        }
        let history = self.history();
        let mut n = 0;
        for (doc, versions) in &by_doc {
            n += cache.all(&history, doc, versions, taxonomy)?.len();
        }
        Ok(n)
    }

    /// The timeline of `doc`, newest first, with each version's facts; only the versions whose
    /// change touched `topic` when one is given.
    pub fn timeline(
        &self,
        doc: &DocumentId,
        cache: &FactsCache,
        taxonomy: &Taxonomy,
        topic: Option<&str>,
    ) -> Result<Timeline, DataError> {
        let versions = self.entries(doc)?;
        let facts = cache.all(&self.history(), doc, &versions, taxonomy)?;
        // The filter offers the topics some version touched, in taxonomy order.
        let topics = taxonomy
            .topics
            .iter()
            .map(|t| &t.name)
            .filter(|t| facts.iter().any(|f| f.topics.contains(t)))
            .cloned()
            .collect();
        let versions = versions
            .iter()
            .zip(facts)
            .filter(|(_, f)| topic.is_none_or(|t| f.topics.iter().any(|x| x == t)))
            .map(|(v, f)| VersionRow {
                facts: Some((*f).clone()),
                ..row(v)
            })
            .collect();
        Ok(Timeline {
            document: doc.to_string(),
            topic: topic.map(str::to_owned),
            topics,
            versions,
        })
    }

    pub(super) fn entries(&self, doc: &DocumentId) -> Result<Vec<VersionEntry>, DataError> {
        let filter =
            DocumentFilter::parse(&doc.to_string()).expect("a document id is a valid filter");
        let versions = self.history().versions(Some(&filter))?;
        if versions.is_empty() {
            return Err(DataError::NotFound(format!("no version of {doc} recorded")));
        }
        Ok(versions)
    }

    /// The versions of `doc`, newest first.
    pub fn versions(&self, doc: &DocumentId) -> Result<Vec<VersionRow>, DataError> {
        Ok(self.entries(doc)?.iter().map(row).collect())
    }

    /// The position of `spec` among `versions`: only a version of this document is accepted, so
    /// a request never reaches another object of the repository.
    pub(super) fn pick(versions: &[VersionEntry], spec: &str) -> Result<usize, DataError> {
        let spec = commit_spec(spec)?.to_ascii_lowercase();
        let found: Vec<usize> = versions
            .iter()
            .enumerate()
            .filter(|(_, v)| v.commit.to_string().starts_with(&spec))
            .map(|(i, _)| i)
            .collect();
        match found.as_slice() {
            [i] => Ok(*i),
            [] => Err(DataError::NotFound(format!(
                "{spec} is not a version of this document"
            ))),
            _ => Err(DataError::BadRequest(format!(
                "{spec} is ambiguous; give more digits"
            ))),
        }
    }

    /// One version of `doc`: its text and trailers.
    pub fn version(&self, doc: &DocumentId, spec: &str) -> Result<VersionPage, DataError> {
        let versions = self.entries(doc)?;
        let v = &versions[Self::pick(&versions, spec)?];
        let text = self.history().text_in(v.commit, doc)?.unwrap_or_default();
        Ok(VersionPage {
            document: doc.to_string(),
            commit: v.commit.to_string(),
            date: rfc3339(from_unix(v.time)),
            subject: v.summary.clone(),
            trailers: Trailers::parse(&v.message)
                .iter()
                .map(|(key, value)| Trailer {
                    key: key.to_owned(),
                    value: value.to_owned(),
                })
                .collect(),
            snapshot_pages: self
                .snapshot_blobs(doc, &v.message)?
                .into_iter()
                .map(|(n, _)| n)
                .collect(),
            text,
        })
    }

    /// The pages of the snapshot a version names (`Snapshot:` trailer), in order, as (name,
    /// blob); only the files of `doc` in that commit's tree are reachable.
    fn snapshot_blobs(
        &self,
        doc: &DocumentId,
        message: &str,
    ) -> Result<Vec<(String, git2::Oid)>, DataError> {
        let Some(snapshot) = message::snapshot_of(message) else {
            return Ok(Vec::new());
        };
        let Ok(tree) = self.repo.find_commit(snapshot).and_then(|c| c.tree()) else {
            return Ok(Vec::new());
        };
        let Some(dir) = tree
            .get_name(doc.platform())
            .and_then(|e| e.to_object(&self.repo).ok())
            .and_then(|o| o.into_tree().ok())
        else {
            return Ok(Vec::new());
        };
        let prefix = format!("{}.", doc.kind());
        if let Some(e) = dir
            .iter()
            .find(|e| e.name().is_some_and(|n| n.starts_with(&prefix)))
        {
            return Ok(vec![(e.name().unwrap_or_default().to_owned(), e.id())]);
        }
        let Some(sub) = dir
            .get_name(doc.kind())
            .and_then(|e| e.to_object(&self.repo).ok())
            .and_then(|o| o.into_tree().ok())
        else {
            return Ok(Vec::new());
        };
        // Several pages, `1.html`, `2.pdf`, ...: in number order.
        let mut numbered: Vec<(u32, String, git2::Oid)> = sub
            .iter()
            .filter_map(|e| {
                let name = e.name()?.to_owned();
                Some((name.split('.').next()?.parse().ok()?, name, e.id()))
            })
            .collect();
        numbered.sort();
        Ok(numbered.into_iter().map(|(_, n, id)| (n, id)).collect())
    }

    /// Page `page` (from 1) of the snapshot of version `spec` of `doc`.
    pub fn raw(&self, doc: &DocumentId, spec: &str, page: usize) -> Result<RawPage, DataError> {
        let versions = self.entries(doc)?;
        let v = &versions[Self::pick(&versions, spec)?];
        let blobs = self.snapshot_blobs(doc, &v.message)?;
        let Some((name, id)) = page.checked_sub(1).and_then(|i| blobs.get(i)) else {
            return Err(DataError::NotFound(format!(
                "the snapshot of this version has no page {page} ({} page(s))",
                blobs.len()
            )));
        };
        let blob = self
            .repo
            .find_blob(*id)
            .map_err(|source| ArchiveError::Git {
                op: "read blob",
                source,
            })?;
        Ok(RawPage {
            name: name.clone(),
            bytes: blob.content().to_vec(),
        })
    }

    /// `from` → `to` of `doc` (default: the last change).
    pub fn diff(
        &self,
        doc: &DocumentId,
        from: Option<&str>,
        to: Option<&str>,
        taxonomy: &Taxonomy,
    ) -> Result<DiffPage, DataError> {
        let versions = self.entries(doc)?;
        let to_i = to.map_or(Ok(0), |s| Self::pick(&versions, s))?;
        let from_i = match from {
            Some(s) => Self::pick(&versions, s)?,
            None if to_i + 1 < versions.len() => to_i + 1,
            None => {
                return Err(DataError::NotFound(format!(
                    "{doc} has no earlier version to compare with"
                )))
            }
        };
        let (old, new) = (&versions[from_i], &versions[to_i]);
        let history = self.history();
        let old_text = history.text_in(old.commit, doc)?.unwrap_or_default();
        let new_text = history.text_in(new.commit, doc)?.unwrap_or_default();
        let changes = crate::provisions::changes::summarise(Some(&old_text), &new_text, taxonomy);
        let mut summary = crate::summary::summarise(Some(&old_text), &new_text, taxonomy);
        // The class and topics of the provisions, as events and `termtrail diff` say them.
        crate::events::provisions::overlay(&mut summary, &changes);
        let summary = summary.render_text();
        Ok(DiffPage {
            document: doc.to_string(),
            from: row(old),
            to: row(new),
            old_text,
            new_text,
            summary,
            changes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Hold;

    #[test]
    fn check_status_reads_success_failures_and_a_held_text() {
        let failing = DocState {
            last_checked: Some(1_700_000_600),
            last_success: Some(1_700_000_000),
            failures: 3,
            failing_since: Some(1_700_000_300),
            hold: Some(Box::new(Hold {
                text_sha256: "00".into(),
                reason: "text shrank to 10% of the previous version".into(),
                since: 1_700_000_500,
                snapshot: "abc".into(),
            })),
            ..DocState::default()
        };
        let s = CheckStatus::of(&failing);
        assert_eq!(s.failures, 3);
        assert_eq!(s.last_success.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(s.failing_since.as_deref(), Some("2023-11-14T22:18:20Z"));
        let held = s.held.expect("held");
        assert_eq!(held.since, "2023-11-14T22:21:40Z");
        assert!(held.reason.starts_with("text shrank"));
        let ok = CheckStatus::of(&DocState::default());
        assert!(ok.held.is_none() && ok.failing_since.is_none() && ok.failures == 0);
    }
}
