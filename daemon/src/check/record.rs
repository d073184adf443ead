//! Recording one fetch: its snapshot, then its text, judged and versioned by the archive writer
//! in one request (a failed extraction still records its snapshot). Shared by checks and
//! imports.

use std::sync::Arc;
use std::time::SystemTime;

use super::extract::snapshot_extension;
use super::{outcome_of, CheckError, Engine, Outcome};
use crate::archive::{RecordRequest, SnapshotMeta, SnapshotPage, VersionRequest, VersionResult};
use crate::document::Document;
use crate::fetch::{Fetched, Validators};

/// Pages up to this size (all of a fetch's) are fingerprinted on the task's own thread: about
/// 0.15 ms for a page of 45 KB (from the profile of a no-change check; under a millisecond at
/// this bound), less than handing them to a blocking thread and waking the task again cost (two
/// thread switches, about a tenth of a no-change check's CPU at 10,000 documents).
/// Larger ones go to a blocking thread, so that a page of megabytes never holds up the
/// runtime's other tasks.
const INLINE_FINGERPRINT_BYTES: usize = 256 * 1024;

impl Engine {
    /// Records one fetched body of a single-page document (see [`Engine::record_pages`]).
    pub async fn record(
        &self,
        doc: &Document,
        fetched: Fetched,
        must_extract: bool,
    ) -> Result<(Outcome, bool), CheckError> {
        self.record_pages(doc, vec![fetched], must_extract).await
    }

    /// Records one fetch of a document (one body per source, in order) through the pipeline:
    /// snapshot, extraction, version (with the suspicious-version hold). Shared by `check` and
    /// `import`.
    ///
    /// The text is extracted before anything is written, and the snapshot and its version are
    /// then recorded by one writer request (version first): a run stopped in between can never
    /// leave a new snapshot whose text was not judged.
    pub async fn record_pages(
        &self,
        doc: &Document,
        mut pages: Vec<Fetched>,
        must_extract: bool,
    ) -> Result<(Outcome, bool), CheckError> {
        let fetched_at = pages.first().map_or_else(SystemTime::now, |p| p.fetched_at);
        // The bodies move to the snapshot pages; they are copied back only if extracted.
        let snapshot_pages: Arc<[SnapshotPage]> = pages
            .iter_mut()
            .zip(&doc.sources)
            .map(|(f, s)| {
                SnapshotPage::new(
                    SnapshotMeta {
                        source_url: s.url.to_string(),
                        final_url: f.final_url.to_string(),
                        fetched_at: f.fetched_at,
                        content_type: f.content_type.clone(),
                        status: f.status,
                        fetcher: f.fetcher.clone(),
                    },
                    snapshot_extension(f.content_type.as_deref()).to_owned(),
                    std::mem::take(&mut f.body),
                )
            })
            .collect();
        // Conditional requests are made for single-page documents only.
        let validators = match pages.as_slice() {
            [one] => one.validators.clone(),
            _ => Validators::default(),
        };
        let probe = self
            .archive
            .probe(&doc.id, snapshot_pages.clone(), validators.clone())
            .await?;
        // Same bytes as last time: the text cannot have changed (extraction is deterministic;
        // a rules change is handled by re-extraction, not here), so skip the costly part.
        if probe.unchanged && probe.has_version && !must_extract {
            return Ok((Outcome::Unchanged, false));
        }
        // New bytes: the same fingerprint as the fetch of the recorded text means the same text
        // (see `fingerprint.rs`); only the snapshot is recorded then.
        let fingerprint = {
            // CPU-bound like an extraction, and as many as the cores at once: more would only
            // start more threads (each with its stack and allocator arena) to share them.
            let _slot = self
                .extract_slots
                .acquire()
                .await
                .expect("the semaphore is never closed");
            let bytes: usize = snapshot_pages.iter().map(|p| p.bytes.len()).sum();
            if bytes <= INLINE_FINGERPRINT_BYTES {
                super::fingerprint::fingerprint(doc, &snapshot_pages)
            } else {
                let (d, p) = (doc.clone(), snapshot_pages.clone());
                tokio::task::spawn_blocking(move || super::fingerprint::fingerprint(&d, &p))
                    .await
                    .map_err(|e| CheckError::Crashed(e.to_string()))?
            }
        };
        let vouched = !must_extract
            && fingerprint.as_deref().is_some_and(|f| {
                self.archive
                    .state()
                    .lock()
                    .is_ok_and(|s| super::fingerprint::vouches(&s, doc, f, probe.version))
            });
        if vouched {
            let recorded = self
                .archive
                .record(RecordRequest {
                    doc: doc.id.clone(),
                    title: doc.title.clone(),
                    pages: snapshot_pages,
                    validators,
                    version: None,
                    vouched: true,
                })
                .await?;
            return Ok((Outcome::Unchanged, recorded.snapshot.changed));
        }
        // For the language hold when the text alone does not tell its language.
        for (f, s) in pages.iter_mut().zip(snapshot_pages.iter()) {
            f.body = s.bytes.clone();
        }
        let page_language = pages
            .first()
            .and_then(|p| crate::archive::declared_language(&p.body));
        let extracted = self.extract(doc, pages, false).await;
        crate::failpoint::hit("check.extracted");
        let text_fingerprint = match (&extracted, fingerprint) {
            (Ok((text, _)), Some(f)) => super::fingerprint::recorded(f, text),
            _ => None,
        };
        let (version, extract_error) = match extracted {
            Ok((text, plugin_summary)) => (
                Some(VersionRequest {
                    doc: doc.id.clone(),
                    title: doc.title.clone(),
                    source_url: doc.url.to_string(),
                    fetched_at,
                    // Filled in by the writer with the snapshot commit it makes.
                    snapshot: git2::Oid::zero(),
                    extractor: doc.extractor_id.clone(),
                    text,
                    technical: false,
                    plugin_summary,
                    page_language,
                }),
                None,
            ),
            Err(e) => (None, Some(e)),
        };
        // A failed extraction still keeps its snapshot: it is the evidence of what was served.
        let recorded = self
            .archive
            .record(RecordRequest {
                doc: doc.id.clone(),
                title: doc.title.clone(),
                pages: snapshot_pages,
                validators,
                version,
                vouched: false,
            })
            .await?;
        if let Some(e) = extract_error {
            return Err(e);
        }
        if let (Some(result), Ok(mut s)) = (&recorded.version, self.archive.state().lock()) {
            // A held text is not the recorded one: nothing to vouch for until it is decided.
            s.doc_mut(&doc.id).fingerprint = match result {
                VersionResult::Held(_) => None,
                _ => text_fingerprint,
            };
        }
        let outcome = recorded.version.map_or(Outcome::Unchanged, outcome_of);
        Ok((outcome, recorded.snapshot.changed))
    }
}
