//! The commit-message schema, in one place: how snapshot and version commits are written
//! (subject, body, trailers, every value one line), the trailer keys, what is read back from a
//! message (from its trailer block only, by libgit2's parser: `trailers.rs`), and the line
//! counts a version message states, which change events report too.

use git2::Oid;
use sha2::{Digest, Sha256};

use super::trailers::{self, push};
use super::{Hold, SnapshotPage, VersionRequest};
use crate::document::{one_line, DocumentId};
use crate::time_fmt::{from_unix, rfc3339};
pub use trailers::{trailer, Trailers};

/// `PLATFORM/KIND` of the document a commit records.
pub const DOCUMENT: &str = "Document";
/// The URL configured (one per page of a snapshot).
pub const SOURCE_URL: &str = "Source-URL";
/// The URL after redirects, when it differs from the source URL (snapshots).
pub const FINAL_URL: &str = "Final-URL";
/// When the bytes were fetched, RFC 3339.
pub const FETCHED_AT: &str = "Fetched-At";
/// The HTTP status of each page (snapshots).
pub const HTTP_STATUS: &str = "HTTP-Status";
/// The `Content-Type` of each page, as served (snapshots).
pub const CONTENT_TYPE: &str = "Content-Type";
/// How a page was fetched when not by a plain GET (`browser`) (snapshots).
pub const FETCHER: &str = "Fetcher";
/// SHA-256 of each page's bytes (snapshots) or of the text (versions).
pub const CONTENT_SHA256: &str = "Content-SHA256";
/// The snapshot commit a version was extracted from.
pub const SNAPSHOT: &str = "Snapshot";
/// Which extractor and rules produced a version's text.
pub const EXTRACTOR: &str = "Extractor";
/// The plugin's own one-line summary of the change (versions of plugin documents).
pub const PLUGIN_SUMMARY: &str = "Plugin-Summary";
/// `technical` marks a re-recording (re-extraction after a rules change), not a change of the
/// document: such commits are not announced by default.
pub const CHANGE_CLASS: &str = "Change-Class";

/// The date a version's text says it takes effect (`YYYY-MM-DD`, or `YYYY-MM`), when it says.
pub const EFFECTIVE_DATE: &str = "Effective-Date";
/// The date a version's text says it was last updated or released, when it says.
pub const UPDATED_DATE: &str = "Updated-Date";

/// The longest plugin summary kept, in characters.
const PLUGIN_SUMMARY_MAX_CHARS: usize = 300;

/// The message of the snapshot commit of the pages of one fetch of `doc` (`first`: the document
/// had no snapshot yet). Its first line is the subject.
pub fn snapshot(doc: &DocumentId, title: &str, first: bool, pages: &[SnapshotPage]) -> String {
    let subject = format!(
        "{} snapshot of {}",
        if first { "First" } else { "New" },
        one_line(title)
    );
    let mut msg = format!("{subject}\n\n");
    push(&mut msg, DOCUMENT, &doc.to_string());
    for p in pages {
        push(&mut msg, SOURCE_URL, &p.meta.source_url);
        if p.meta.final_url != p.meta.source_url {
            push(&mut msg, FINAL_URL, &p.meta.final_url);
        }
    }
    if let Some(first) = pages.first() {
        push(&mut msg, FETCHED_AT, &rfc3339(first.meta.fetched_at));
    }
    for p in pages {
        push(&mut msg, HTTP_STATUS, &p.meta.status.to_string());
        if let Some(ct) = &p.meta.content_type {
            push(&mut msg, CONTENT_TYPE, ct);
        }
        if let Some(f) = &p.meta.fetcher {
            push(&mut msg, FETCHER, f);
        }
    }
    for p in pages {
        push(
            &mut msg,
            CONTENT_SHA256,
            &hex::encode(Sha256::digest(&p.bytes)),
        );
    }
    msg
}

/// The message of the version commit of `req`, whose document's previous text is `old` (none
/// for a first record); `confirmed` is the hold a second fetch has just confirmed.
pub fn version(req: &VersionRequest, old: Option<&str>, confirmed: Option<&Hold>) -> String {
    let title = one_line(&req.title);
    let mut msg = match old {
        None => format!("First record of {title}\n\n"),
        Some(old) => {
            let (added, removed) = line_counts(old, &req.text);
            let subject = if req.technical {
                format!("Apply extraction upgrade to {title}")
            } else {
                format!("Update {title}")
            };
            format!("{subject}\n\n{added} line(s) added, {removed} removed.\n\n")
        }
    };
    if let Some(h) = confirmed {
        msg.push_str(&format!(
            "This text was held back at {} ({}) and is recorded now that a second fetch confirms it.\n\n",
            rfc3339(from_unix(h.since)),
            one_line(&h.reason)
        ));
    }
    for (key, value) in [
        (DOCUMENT, req.doc.to_string()),
        (SOURCE_URL, req.source_url.clone()),
        (FETCHED_AT, rfc3339(req.fetched_at)),
        (SNAPSHOT, req.snapshot.to_string()),
        (
            CONTENT_SHA256,
            hex::encode(Sha256::digest(req.text.as_bytes())),
        ),
        (EXTRACTOR, req.extractor.clone()),
    ] {
        push(&mut msg, key, &value);
    }
    let stated = crate::provisions::dates::stated(&req.text);
    for (key, value) in [
        (EFFECTIVE_DATE, stated.effective),
        (UPDATED_DATE, stated.updated),
    ] {
        if let Some(v) = value {
            push(&mut msg, key, &v);
        }
    }
    if let (Some(line), Some(_)) = (&req.plugin_summary, old) {
        let line: String = one_line(line)
            .chars()
            .take(PLUGIN_SUMMARY_MAX_CHARS)
            .collect();
        push(&mut msg, PLUGIN_SUMMARY, &line);
    }
    if req.technical {
        push(&mut msg, CHANGE_CLASS, "technical");
    }
    msg
}

/// The subject of a message: its first line.
pub fn subject(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

/// Lines added and removed between two texts: what a version message states, and what its
/// change event counts.
pub fn line_counts(old: &str, new: &str) -> (usize, usize) {
    let diff = similar::TextDiff::from_lines(old, new);
    let (mut added, mut removed) = (0, 0);
    for op in diff.ops() {
        for change in diff.iter_changes(op) {
            match change.tag() {
                similar::ChangeTag::Insert => added += 1,
                similar::ChangeTag::Delete => removed += 1,
                similar::ChangeTag::Equal => {}
            }
        }
    }
    (added, removed)
}

/// The document a commit records, from its `Document` trailer.
pub fn document(message: &str) -> Option<DocumentId> {
    trailer(message, DOCUMENT).and_then(|d| DocumentId::parse(&d).ok())
}

/// The snapshot commit a version commit names.
pub fn snapshot_of(message: &str) -> Option<Oid> {
    trailer(message, SNAPSHOT).and_then(|s| Oid::from_str(s.trim()).ok())
}

/// Whether the commit is marked `Change-Class: technical`.
pub fn is_technical(message: &str) -> bool {
    trailer(message, CHANGE_CLASS).is_some_and(|v| v.eq_ignore_ascii_case("technical"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technical_and_document_are_read_from_the_trailer_block() {
        let m = "Update X\n\nDocument: a/b\nSource-URL: http://x/\nChange-Class: technical\n";
        assert_eq!(document(m).map(|d| d.to_string()).as_deref(), Some("a/b"));
        assert!(is_technical(m));
        assert!(!is_technical("Update X\n\nDocument: a/b\n"));
        // A body line is not a trailer.
        assert!(!is_technical(
            "Update X\n\nChange-Class: technical\n\nDocument: a/b\n"
        ));
        assert_eq!(subject(m), "Update X");
    }

    #[test]
    fn line_counts_count_lines() {
        assert_eq!(line_counts("a\nb\nc\n", "a\nB\nc\nd\n"), (2, 1));
        assert_eq!(line_counts("", "a\n"), (1, 0));
        assert_eq!(line_counts("same\n", "same\n"), (0, 0));
    }
}
