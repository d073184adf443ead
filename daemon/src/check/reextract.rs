//! Re-extraction: the documents whose rules changed since their recorded text, and the latest
//! snapshot of one extracted again and recorded as a technical version.

use std::time::SystemTime;

use super::{outcome_of, CheckError, Engine, Outcome};
use crate::archive::{message, VersionRequest};
use crate::document::Document;
use crate::fetch::Fetched;

impl Engine {
    /// Extracts the text of `pages` and hands it to the writer as a technical version of `doc`
    /// (a re-extraction: `Change-Class: technical`, no hold, no plugin line) taken from snapshot
    /// commit `snapshot`.
    async fn extract_and_record_technical(
        &self,
        doc: &Document,
        pages: Vec<Fetched>,
        snapshot: git2::Oid,
        fetched_at: SystemTime,
    ) -> Result<Outcome, CheckError> {
        let page_language = pages
            .first()
            .and_then(|p| crate::archive::declared_language(&p.body));
        let (text, plugin_summary) = self.extract(doc, pages, true).await?;
        let result = self
            .archive
            .version(VersionRequest {
                doc: doc.id.clone(),
                title: doc.title.clone(),
                source_url: doc.url.to_string(),
                fetched_at,
                snapshot,
                extractor: doc.extractor_id.clone(),
                text,
                technical: true,
                plugin_summary,
                page_language,
            })
            .await?;
        Ok(outcome_of(result))
    }

    /// Re-extracts the latest snapshot of `doc` with its current rules and records the text as a
    /// technical version (`Apply extraction upgrade to …`, `Change-Class: technical`) if it differs.
    pub async fn reextract(&self, doc: &Document) -> Result<Outcome, CheckError> {
        let path = self.archive_path.clone();
        let id = doc.id.clone();
        let latest = tokio::task::spawn_blocking(move || {
            let repo = crate::archive::open_read_only(&path)?;
            crate::archive::latest_snapshot(&repo, &id)
        })
        .await
        .map_err(|e| CheckError::Crashed(e.to_string()))??;
        let Some(snap) = latest else {
            return Ok(Outcome::Unchanged);
        };
        let commit = snap.commit;
        let pages: Vec<Fetched> = snap
            .pages
            .into_iter()
            .enumerate()
            .map(|(i, body)| {
                let url = match (i, &snap.final_url) {
                    (0, Some(u)) => {
                        url::Url::parse(u).unwrap_or_else(|_| doc.sources[0].url.clone())
                    }
                    _ => doc
                        .sources
                        .get(i)
                        .map_or_else(|| doc.url.clone(), |s| s.url.clone()),
                };
                Fetched::stored(
                    url,
                    body,
                    snap.content_types.get(i).cloned().flatten(),
                    snap.fetched_at,
                )
            })
            .collect();
        if pages.len() != doc.sources.len() {
            // The document gained or lost a page since its last snapshot: only a fetch can tell.
            return Ok(Outcome::Unchanged);
        }
        self.extract_and_record_technical(doc, pages, commit, SystemTime::now())
            .await
    }

    /// The documents whose extraction rules differ from those that produced their recorded text.
    pub async fn rules_changed<'d>(&self, docs: &'d [Document]) -> Vec<&'d Document> {
        let state = self
            .archive
            .state()
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        let known = |d: &Document| {
            state
                .documents
                .get(&d.id.to_string())
                .and_then(|s| s.extractor.clone())
        };
        // The state normally knows; only documents it does not know (an archive from before the
        // state file, or a lost one) need their latest version's `Extractor` trailer, read from
        // the newest commits until each is found.
        let mut missing: std::collections::HashSet<String> = docs
            .iter()
            .filter(|d| known(d).is_none())
            .map(|d| d.id.to_string())
            .collect();
        let path = self.archive_path.clone();
        let trailers: std::collections::HashMap<String, String> = if missing.is_empty() {
            Default::default()
        } else {
            tokio::task::spawn_blocking(move || {
                let mut found = std::collections::HashMap::new();
                let Ok(repo) = crate::archive::open_read_only(&path) else {
                    return found;
                };
                // `versions` is newest first: the first trailer seen for a document is its latest.
                for v in crate::archive::History::new(&repo)
                    .versions(None)
                    .unwrap_or_default()
                {
                    let Some(id) = v.doc.map(|d| d.to_string()) else {
                        continue;
                    };
                    if missing.remove(&id) {
                        if let Some(t) = message::trailer(&v.message, message::EXTRACTOR) {
                            found.insert(id, t);
                        }
                    }
                    if missing.is_empty() {
                        break;
                    }
                }
                found
            })
            .await
            .unwrap_or_default()
        };
        docs.iter()
            .filter(|d| {
                known(d)
                    .or_else(|| trailers.get(&d.id.to_string()).cloned())
                    .is_some_and(|k| k != d.extractor_id)
            })
            .collect()
    }
}
