//! One document's check as the scheduler and `check` run it (never fails: errors are in the
//! report, panics included; its run of failures counted in the state), and a cycle over many.

use futures_util::FutureExt;
use tokio::task::JoinSet;

use super::{panic_message, CheckError, CycleReport, DocReport, Engine, Outcome, IN_FLIGHT};
use crate::document::Document;

impl Engine {
    /// Checks one document; never fails: errors are in the report.
    pub async fn check(&self, doc: &Document) -> DocReport {
        // Closed only when the engine is dropped, which cannot happen while `self` is borrowed.
        let _slot = self.in_flight.acquire().await.ok();
        // A panic is one document's failure, counted and reported like any other.
        let result = std::panic::AssertUnwindSafe(self.try_check(doc))
            .catch_unwind()
            .await
            .unwrap_or_else(|p| Err(CheckError::Panicked(panic_message(p.as_ref()))));
        let now = crate::time_fmt::unix(std::time::SystemTime::now());
        let (before, after) = match self.archive.state().lock() {
            Ok(mut s) => {
                let st = s.doc_mut(&doc.id);
                let before = st.failures;
                st.last_checked = Some(now);
                st.failures = if result.is_ok() { 0 } else { st.failures + 1 };
                // What the web view shows: last success, and since when it fails.
                if result.is_ok() {
                    st.last_success = Some(now);
                    st.failing_since = None;
                } else if st.failing_since.is_none() {
                    st.failing_since = Some(now);
                }
                (before, st.failures)
            }
            Err(_) => (0, 0),
        };
        let report = match result {
            Ok((outcome, snapshot_committed)) => {
                match outcome {
                    Outcome::New => tracing::info!(document = %doc.id, "first version recorded"),
                    Outcome::Changed => tracing::info!(document = %doc.id, "new version recorded"),
                    _ => tracing::debug!(document = %doc.id, snapshot_committed, "no new version"),
                }
                DocReport {
                    id: doc.id.clone(),
                    outcome,
                    snapshot_committed,
                    error: None,
                    failures_before: before,
                    failures_after: after,
                }
            }
            Err(e) => {
                tracing::warn!(document = %doc.id, error = %e, "check failed");
                DocReport {
                    id: doc.id.clone(),
                    outcome: Outcome::Error,
                    snapshot_committed: false,
                    error: Some(e),
                    failures_before: before,
                    failures_after: after,
                }
            }
        };
        self.observer.checked(doc, &report);
        report
    }

    /// Checks every document of `docs` concurrently (within the per-host limits) and reports.
    ///
    /// At most [`IN_FLIGHT`] checks are spawned at a time, in the order of `docs`, the next when
    /// one ends: a check waits for its in-flight slot anyway (the semaphore serves them in the
    /// same order), but a spawned task holds its document and its whole future from the start,
    /// a few KB each, which at 10,000 documents was tens of MB waiting for a slot.
    pub async fn cycle<'a>(
        &self,
        docs: impl IntoIterator<Item = &'a Document>,
        mut on_done: impl FnMut(&DocReport),
    ) -> CycleReport {
        let mut docs = docs.into_iter();
        let mut set = JoinSet::new();
        let spawn = |set: &mut JoinSet<DocReport>, doc: &Document| {
            let engine = self.clone();
            let doc = doc.clone();
            set.spawn(async move { engine.check(&doc).await });
        };
        for doc in docs.by_ref().take(IN_FLIGHT) {
            spawn(&mut set, doc);
        }
        let mut report = CycleReport::default();
        while let Some(done) = set.join_next().await {
            if let Some(doc) = docs.next() {
                spawn(&mut set, doc);
            }
            match done {
                Ok(r) => {
                    on_done(&r);
                    report.add(&r);
                }
                Err(e) => tracing::error!(error = %e, "a check task died"),
            }
        }
        report.sort();
        self.archive.save_state().await;
        self.renderer.shutdown().await;
        report
    }
}
