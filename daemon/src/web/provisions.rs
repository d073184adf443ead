//! The provision views of the web view, read from the archive: the provisions of a version
//! (ids, heading paths, topics, first seen and last changed), the timeline of one clause, and the
//! cross-platform comparison of one topic, shaped by `provisions::report` and
//! `provisions::history` as `termtrail provisions`, `log --provision` and `compare` shape them.
//! Replays of a document's history are kept by the server's [`Replayer`] (per document, at the
//! last version asked), so a second request over the same version costs no replay.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::data::{DataError, Reader};
use crate::archive::message::{trailer, SOURCE_URL};
use crate::archive::VersionEntry;
use crate::document::DocumentId;
use crate::provisions::history::{HistoryError, Replayer, TimelineEntry, Timelines};
use crate::provisions::report::{self, Comparison, ProvisionView};
use crate::summary::Taxonomy;
use crate::time_fmt::{from_unix, rfc3339};

impl From<HistoryError> for DataError {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::NotAVersion { .. } => DataError::NotFound(e.to_string()),
            HistoryError::Git { .. } => DataError::History(e),
        }
    }
}

/// The provisions of one version.
#[derive(Debug, Serialize)]
pub struct ProvisionsPage {
    pub document: String,
    pub commit: String,
    pub version_date: String,
    /// The topic filtered on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub provisions: Vec<ProvisionView>,
}

/// The life of one clause.
#[derive(Debug, Serialize)]
pub struct ProvisionTimeline {
    pub document: String,
    pub id: String,
    /// Every version that changed it, oldest first.
    pub changes: Vec<TimelineEntry>,
}

/// Every clause timeline of a document, from one replay of its history, kept by the server per
/// document while its latest version stays the same: a clause's page then costs a lookup.
#[derive(Debug, Default)]
pub struct TimelineCache {
    by_doc: Mutex<HashMap<DocumentId, (git2::Oid, Arc<Timelines>)>>,
}

impl TimelineCache {
    /// The timelines of `doc` whose latest version is `head`, replayed when not known yet.
    fn get(
        &self,
        reader: &Reader,
        doc: &DocumentId,
        head: git2::Oid,
        taxonomy: &Taxonomy,
    ) -> Result<Arc<Timelines>, DataError> {
        let known = self.by_doc.lock().ok().and_then(|m| {
            m.get(doc)
                .filter(|(h, _)| *h == head)
                .map(|(_, t)| t.clone())
        });
        if let Some(t) = known {
            return Ok(t);
        }
        let t = Arc::new(Timelines::of_document(&reader.repo, doc, taxonomy)?);
        if let Ok(mut m) = self.by_doc.lock() {
            m.insert(doc.clone(), (head, t.clone()));
        }
        Ok(t)
    }
}

/// A provision id as written in a path: `p` and hexadecimal digits (a prefix is enough).
fn provision_id(id: &str) -> Result<&str, DataError> {
    let ok = (2..=40).contains(&id.len())
        && id.starts_with('p')
        && id[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(id)
    } else {
        Err(DataError::BadRequest(
            "not a provision id (p and hexadecimal digits, as `termtrail provisions` prints them)"
                .to_owned(),
        ))
    }
}

/// A topic of the taxonomy, or a refusal naming the known ones.
pub fn known_topic<'a>(taxonomy: &Taxonomy, topic: &'a str) -> Result<&'a str, DataError> {
    if taxonomy.get(topic).is_some() {
        Ok(topic)
    } else {
        let names: Vec<&str> = taxonomy.topics.iter().map(|t| t.name.as_str()).collect();
        Err(DataError::NotFound(format!(
            "{topic:?} is not a topic; known topics: {}",
            names.join(", ")
        )))
    }
}

impl Reader {
    /// The provisions of `doc` at version `at` (the latest when none), all or those of `topic`.
    pub fn provisions(
        &self,
        doc: &DocumentId,
        at: Option<&str>,
        topic: Option<&str>,
        replayer: &Replayer,
        taxonomy: &Taxonomy,
    ) -> Result<ProvisionsPage, DataError> {
        if let Some(t) = topic {
            known_topic(taxonomy, t)?;
        }
        let versions = self.entries(doc)?;
        let v = &versions[at.map_or(Ok(0), |a| Self::pick(&versions, a))?];
        let (lineage, _) = replayer
            .at(&self.repo, doc, Some(v.commit), None)?
            .ok_or_else(|| DataError::NotFound(format!("no version of {doc} recorded")))?;
        Ok(ProvisionsPage {
            document: doc.to_string(),
            commit: v.commit.to_string(),
            version_date: rfc3339(from_unix(v.time)),
            topic: topic.map(str::to_owned),
            provisions: report::provisions(&lineage, taxonomy, topic),
        })
    }

    /// Every version of `doc` that changed provision `id`.
    pub fn provision_timeline(
        &self,
        doc: &DocumentId,
        id: &str,
        cache: &TimelineCache,
        taxonomy: &Taxonomy,
    ) -> Result<ProvisionTimeline, DataError> {
        let id = provision_id(id)?;
        let head = self.entries(doc)?[0].commit;
        let changes = cache.get(self, doc, head, taxonomy)?.of(id);
        if changes.is_empty() {
            return Err(DataError::NotFound(format!(
                "no provision {id} in the history of {doc}; see /d/{doc}/provisions"
            )));
        }
        Ok(ProvisionTimeline {
            document: doc.to_string(),
            id: id.to_owned(),
            changes,
        })
    }

    /// Replays every document's history into `cache` and `replayer` at its latest version (see
    /// [`super::warm_up`]); the number of documents.
    pub fn warm_timelines(
        &self,
        cache: &TimelineCache,
        replayer: &Replayer,
        taxonomy: &Taxonomy,
    ) -> Result<usize, DataError> {
        let mut latest: BTreeMap<DocumentId, git2::Oid> = BTreeMap::new();
        for v in self.history().versions(None)? {
            if let Some(doc) = v.doc.clone() {
                latest.entry(doc).or_insert(v.commit);
            }
        }
        for (doc, head) in &latest {
            cache.get(self, doc, *head, taxonomy)?;
            replayer.at(&self.repo, doc, Some(*head), None)?;
        }
        Ok(latest.len())
    }

    /// The latest version's provisions tagged `topic`, per platform and document of the archive.
    pub fn compare(
        &self,
        topic: &str,
        replayer: &Replayer,
        taxonomy: &Taxonomy,
    ) -> Result<Comparison, DataError> {
        let topic = known_topic(taxonomy, topic)?;
        let mut latest: BTreeMap<DocumentId, VersionEntry> = BTreeMap::new();
        // Newest first: the first entry of a document is its latest version.
        for v in self.history().versions(None)? {
            if let Some(doc) = v.doc.clone() {
                latest.entry(doc).or_insert(v);
            }
        }
        let mut comparison = Comparison::new(topic, None);
        for (doc, v) in &latest {
            let Some((lineage, _)) = replayer.at(&self.repo, doc, Some(v.commit), None)? else {
                continue;
            };
            let url = trailer(&v.message, SOURCE_URL).unwrap_or_default();
            comparison.add(doc.platform(), doc.kind(), &url, &lineage, taxonomy);
        }
        Ok(comparison)
    }
}
