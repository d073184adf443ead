//! What the provisions work says about each version, as the timeline, the home page and the
//! feeds show it: the class and topics of the change a version brought (its provisions against
//! the version before), how many provisions were added, removed, modified and moved, and the
//! dates the text states. Computed from the archive alone and kept per version commit: a commit
//! never changes, so the cache holds nothing the archive does not say.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use git2::Oid;
use serde::Serialize;

use crate::archive::message::{self, trailer};
use crate::archive::{ArchiveError, History, VersionEntry};
use crate::document::DocumentId;
use crate::summary::Taxonomy;

/// What the provisions work says about one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionFacts {
    /// `substantive`, `cosmetic`, `technical` (a re-recording after a rules change) or `first`
    /// (the first record of the document).
    pub class: &'static str,
    /// Topics of the change (its substantive provisions, weighted to the changed words).
    pub topics: Vec<String>,
    /// Provisions added, removed, modified and moved.
    pub provisions_added: usize,
    pub provisions_removed: usize,
    pub provisions_modified: usize,
    pub provisions_moved: usize,
    /// The date the text says it takes effect (`Effective-Date` trailer, else read from the text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<String>,
    /// The date the text says it was last updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_date: Option<String>,
}

/// Facts by version commit, shared by every request of a server.
#[derive(Debug, Default)]
pub struct FactsCache {
    by_commit: Mutex<HashMap<Oid, Arc<VersionFacts>>>,
}

impl FactsCache {
    fn get(&self, commit: Oid) -> Option<Arc<VersionFacts>> {
        self.by_commit.lock().ok()?.get(&commit).cloned()
    }

    fn put(&self, commit: Oid, facts: Arc<VersionFacts>) {
        if let Ok(mut m) = self.by_commit.lock() {
            m.insert(commit, facts);
        }
    }

    /// The facts of `versions[i]` (`versions`: one document's, newest first), computed once.
    pub fn of(
        &self,
        history: &History<'_>,
        doc: &DocumentId,
        versions: &[VersionEntry],
        i: usize,
        taxonomy: &Taxonomy,
    ) -> Result<Arc<VersionFacts>, ArchiveError> {
        let v = &versions[i];
        if let Some(f) = self.get(v.commit) {
            return Ok(f);
        }
        let new = history.text_in(v.commit, doc)?.unwrap_or_default();
        let old = match versions.get(i + 1) {
            Some(prev) => Some(history.text_in(prev.commit, doc)?.unwrap_or_default()),
            None => None,
        };
        let facts = Arc::new(compute(&v.message, old.as_deref(), &new, taxonomy));
        self.put(v.commit, facts.clone());
        Ok(facts)
    }

    /// The facts of every version of `versions` (newest first), in that order.
    pub fn all(
        &self,
        history: &History<'_>,
        doc: &DocumentId,
        versions: &[VersionEntry],
        taxonomy: &Taxonomy,
    ) -> Result<Vec<Arc<VersionFacts>>, ArchiveError> {
        // Oldest first, so that each text read serves as the next version's old text.
        let mut out = vec![None; versions.len()];
        let mut newer_text: Option<String> = None;
        for i in (0..versions.len()).rev() {
            let v = &versions[i];
            if let Some(f) = self.get(v.commit) {
                out[i] = Some(f);
                newer_text = None;
                continue;
            }
            let old = match (newer_text.take(), versions.get(i + 1)) {
                (Some(t), _) => Some(t),
                (None, Some(prev)) => Some(history.text_in(prev.commit, doc)?.unwrap_or_default()),
                (None, None) => None,
            };
            let new = history.text_in(v.commit, doc)?.unwrap_or_default();
            let facts = Arc::new(compute(&v.message, old.as_deref(), &new, taxonomy));
            self.put(v.commit, facts.clone());
            out[i] = Some(facts);
            newer_text = Some(new);
        }
        Ok(out
            .into_iter()
            .map(|f| f.expect("every index was filled"))
            .collect())
    }
}

/// The facts of a version whose commit message is `message`, text `new`, after `old`.
pub fn compute(message: &str, old: Option<&str>, new: &str, taxonomy: &Taxonomy) -> VersionFacts {
    let set = crate::provisions::changes::summarise(old, new, taxonomy);
    let (added, removed, modified, moved) = set.tally();
    let class = if old.is_none() {
        "first"
    } else if message::is_technical(message) {
        "technical"
    } else {
        set.class.as_str()
    };
    VersionFacts {
        class,
        topics: set.topics,
        provisions_added: added,
        provisions_removed: removed,
        provisions_modified: modified,
        provisions_moved: moved,
        effective_date: trailer(message, message::EFFECTIVE_DATE).or(set.dates.effective),
        updated_date: trailer(message, message::UPDATED_DATE).or(set.dates.updated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_topics_and_dates_of_a_change() {
        let tax = Taxonomy::default();
        let old = "# Terms\n\nLast updated: March 1, 2026\n\nWe keep chats for 30 days.\n\nFees are billed monthly.\n";
        let new = "# Terms\n\nLast updated: April 2, 2026\n\nWe keep chats for 90 days.\n\nFees are billed monthly.\n\nNew clause about refunds.\n";
        let f = compute("Update T\n\nDocument: a/b\n", Some(old), new, &tax);
        assert_eq!(f.class, "substantive");
        assert!(f.topics.iter().any(|t| t == "data-retention"), "{f:?}");
        assert_eq!(f.provisions_added, 1);
        assert!(f.provisions_modified >= 1);
        assert_eq!(f.updated_date.as_deref(), Some("2026-04-02"));
        // The trailer wins over the text.
        let f = compute(
            "Update T\n\nDocument: a/b\nEffective-Date: 2026-05-01\n",
            Some(old),
            new,
            &tax,
        );
        assert_eq!(f.effective_date.as_deref(), Some("2026-05-01"));
        assert_eq!(compute("First record\n", None, new, &tax).class, "first");
        let cosmetic = compute("U\n", Some(old), &old.replace("30 days.", "30 days"), &tax);
        assert_eq!(cosmetic.class, "cosmetic");
        assert!(cosmetic.topics.is_empty());
        let technical = compute(
            "Apply extraction upgrade\n\nChange-Class: technical\n",
            Some(old),
            new,
            &tax,
        );
        assert_eq!(technical.class, "technical");
    }
}
