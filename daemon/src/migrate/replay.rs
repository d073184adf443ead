//! Replays a document's OTA captures through termtrail's own pipeline (snapshot commit,
//! extraction, version commit when the text changed, suspicious-text holds), oldest first, each
//! capture extracted with the declaration in force at its date and each commit dated at it.
//!
//! Idempotent: a capture dated at or before the document's latest snapshot in the archive was
//! imported already (or the archive went on from there) and is skipped, so running the migration
//! again adds nothing; a run stopped half-way goes on where it stopped.

use std::path::Path;
use std::time::SystemTime;

use git2::Repository;

use super::snapshots::{plan_fetches, Changes, PlannedFetch};
use super::translate::MigratedDocument;
use super::versions::{mean_similarity, OtaVersion};
use crate::archive::{latest_snapshot, open_read_only, History};
use crate::check::{Engine, Outcome};
use crate::document::Document;
use crate::fetch::Fetched;

/// What importing one document's history did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentReport {
    /// The document.
    pub id: String,
    /// Fetches found in the OTA snapshots repository.
    pub fetches: usize,
    /// Of those, imported by this run.
    pub imported: usize,
    /// Of those, skipped as already in the archive.
    pub already: usize,
    /// Versions recorded by this run.
    pub new_versions: usize,
    /// Texts held back as suspicious by this run.
    pub held: usize,
    /// Failed imports by this run: the capture (date) and why.
    pub errors: Vec<String>,
    /// The document's versions in the archive after the run.
    pub versions: usize,
    /// OTA's versions of the document (with a versions repository).
    pub ota_versions: Option<usize>,
    /// The mean similarity of the archive's versions to OTA's version in force at each date.
    pub similarity: Option<f64>,
}

/// The content type of a snapshot file, from its extension (OTA names files by type).
fn content_type(path: &str) -> String {
    let ext = path.rsplit_once('.').map_or("html", |(_, e)| e);
    crate::import::content_type_for(ext)
        .unwrap_or("text/html")
        .to_owned()
}

/// The latest snapshot time of `doc` in the archive at `archive`, if any.
fn last_snapshot(archive: &Path, doc: &crate::document::DocumentId) -> Option<SystemTime> {
    let repo = open_read_only(archive).ok()?;
    latest_snapshot(&repo, doc).ok()?.map(|s| s.fetched_at)
}

/// The document's versions in the archive, by date.
pub fn archive_texts(
    archive: &Path,
    doc: &crate::document::DocumentId,
) -> Vec<(SystemTime, String)> {
    let Ok(repo) = open_read_only(archive) else {
        return Vec::new();
    };
    let history = History::new(&repo);
    let filter = crate::document::DocumentFilter::parse(&doc.to_string()).ok();
    let mut out: Vec<(SystemTime, String)> = history
        .versions(filter.as_ref())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| {
            let text = history.text_in(v.commit, doc).ok()??;
            let at = SystemTime::UNIX_EPOCH
                + std::time::Duration::from_secs(u64::try_from(v.time).unwrap_or(0));
            Some((at, text))
        })
        .collect();
    out.sort_by_key(|(at, _)| *at);
    out
}

/// Imports the captures of `doc` from the OTA snapshots repository `snapshots` (with its
/// changes) into the archive at `archive` through `engine`, each capture as the document of
/// the declaration then in force (`declared`, one per `doc.tables`, or why it cannot be used). `ota` (OTA's versions of the
/// document, when known) is what the texts are scored against. `on_fetch` is called after each
/// fetch found, imported or not.
pub async fn import_document(
    engine: &Engine,
    archive: &Path,
    (snapshots, changes): &(Repository, Changes),
    doc: &MigratedDocument,
    declared: &[Result<Document, String>],
    ota: Option<&[OtaVersion]>,
    mut on_fetch: impl FnMut(),
) -> DocumentReport {
    let plan: Vec<PlannedFetch> =
        plan_fetches(changes, &doc.service_id, &doc.terms_type, &doc.history);
    let mut report = DocumentReport {
        id: doc.id.to_string(),
        fetches: plan.len(),
        ota_versions: ota.map(<[OtaVersion]>::len),
        ..DocumentReport::default()
    };
    let since = last_snapshot(archive, &doc.id);
    let mut failed_last_time = false;
    for fetch in plan {
        on_fetch();
        if since.is_some_and(|s| fetch.at <= s) {
            report.already += 1;
            continue;
        }
        let when = crate::time_fmt::rfc3339(fetch.at);
        let document = match declared.get(fetch.declaration) {
            Some(Ok(d)) => d,
            None => {
                report.errors.push(format!(
                    "{when}: the declaration then in force cannot be used: no such declaration"
                ));
                continue;
            }
            Some(Err(reason)) => {
                report.errors.push(format!(
                    "{when}: the declaration then in force cannot be used: {reason}"
                ));
                continue;
            }
        };
        let mut pages = Vec::with_capacity(fetch.pages.len());
        for (page, source) in fetch.pages.iter().zip(&document.sources) {
            match snapshots.find_blob(page.blob) {
                Ok(blob) => pages.push(Fetched::stored(
                    source.url.clone(),
                    blob.content().to_vec(),
                    Some(content_type(&page.path)),
                    fetch.at,
                )),
                Err(e) => {
                    report
                        .errors
                        .push(format!("{when}: cannot read {}: {e}", page.path));
                    break;
                }
            }
        }
        if pages.len() != document.sources.len() {
            continue;
        }
        report.imported += 1;
        match engine.record_pages(document, pages, failed_last_time).await {
            Ok((outcome, _)) => {
                failed_last_time = false;
                match outcome {
                    Outcome::New | Outcome::Changed => report.new_versions += 1,
                    Outcome::Held => report.held += 1,
                    Outcome::Unchanged | Outcome::Error => {}
                }
            }
            Err(e) => {
                failed_last_time = true;
                report.errors.push(format!("{when}: {e}"));
            }
        }
    }
    engine.archive.save_state().await;
    let texts = archive_texts(archive, &doc.id);
    report.versions = texts.len();
    report.similarity = ota.and_then(|o| mean_similarity(&texts, o));
    report
}
