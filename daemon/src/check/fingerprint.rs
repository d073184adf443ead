//! Skipping the extraction of a fetch whose bytes changed but whose text cannot have: the
//! fingerprint of its pages (`termtrail_extract::Extractor::fingerprint`, streamed, no DOM) is
//! the one of the last fetch whose text was recorded, and `main` still holds that text.
//!
//! The state keeps, per document, the fingerprint of the last fetch whose text was recorded or
//! found equal to the recorded one, with that text's blob id. A fetch may skip extraction only
//! when its fingerprint is that one and `main`'s blob of the document is that blob: the
//! extraction would give the text `main` holds, which the writer records as unchanged, whatever
//! the hold rules say. A stale state (a crash after a version commit) names another blob and
//! is not trusted; a lost one has no fingerprint.

use git2::{ObjectType, Oid};
use sha2::{Digest, Sha256};

use crate::archive::{SnapshotPage, State, TextFingerprint};
use crate::document::{Document, Extraction};
use crate::fetch::{check_text, decode, is_pdf};

use super::extract::snapshot_extension;

/// The fingerprint of a fetch of `doc` (its pages in order), or `None` when one of them cannot
/// be fingerprinted (plugin documents, PDFs and other non-HTML pages, rules or markup outside
/// the fingerprint's reach).
pub(super) fn fingerprint(doc: &Document, pages: &[SnapshotPage]) -> Option<String> {
    if !matches!(doc.extraction, Extraction::Declarative(_)) || pages.len() != doc.sources.len() {
        return None;
    }
    let mut h = Sha256::new();
    // The extractor id names the rules and the build: a new one never reuses a fingerprint.
    h.update(doc.extractor_id.as_bytes());
    h.update((pages.len() as u64).to_le_bytes());
    for (source, page) in doc.sources.iter().zip(pages) {
        let ct = page.meta.content_type.as_deref();
        if snapshot_extension(ct) != "html" || is_pdf(&page.bytes) {
            return None;
        }
        let text = decode(&page.bytes, ct);
        // A body that is not text fails its extraction: that must be seen.
        check_text(&page.bytes, &text, ct).ok()?;
        let url = url::Url::parse(&page.meta.final_url).ok()?;
        h.update(source.extractor.fingerprint(&text, &url)?.0);
    }
    Some(hex::encode(h.finalize()))
}

/// Whether the state vouches that a fetch of `doc` with fingerprint `pages` gives the text
/// whose blob `main` holds (`version`).
pub(super) fn vouches(state: &State, doc: &Document, pages: &str, version: Option<Oid>) -> bool {
    let Some(version) = version else {
        return false;
    };
    let Some(d) = state.documents.get(&doc.id.to_string()) else {
        return false;
    };
    // A failure must be seen again, and a held text needs the next fetch extracted (the check
    // asks for extraction then too; this does not rely on it).
    d.failures == 0
        && d.hold.is_none()
        && d.fingerprint
            .as_ref()
            .is_some_and(|f| f.pages == pages && f.text == version.to_string())
}

/// What the state keeps after a fetch with fingerprint `pages` was extracted to `text` and
/// recorded (not held back).
pub(super) fn recorded(pages: String, text: &str) -> Option<TextFingerprint> {
    let blob = Oid::hash_object(ObjectType::Blob, text.as_bytes()).ok()?;
    Some(TextFingerprint {
        pages,
        text: blob.to_string(),
    })
}
