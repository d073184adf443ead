//! `/metrics` in the Prometheus text format (version 0.0.4): what the archive and the state file
//! say about each document, then, inside `termtrail run`, the daemon's live counters (fetch
//! latency, checks, deliveries, plugin restarts, browser starts, pushes: `crate::counters`).
//! `serve` alone has no live counters: it is a separate process that only reads the archive.

use std::fmt::Write;

use super::data::DocumentRow;
use crate::archive::State;
use crate::counters::{family, label};

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics of `docs` (from `main`) and `state` (the last checks); with `live` (inside
/// `termtrail run`), the daemon's counters after them.
pub fn render(docs: &[DocumentRow], state: &State, live: bool) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "termtrail_documents",
        "gauge",
        "Documents with at least one recorded version.",
    );
    let _ = writeln!(out, "termtrail_documents {}", docs.len());
    family(
        &mut out,
        "termtrail_versions",
        "gauge",
        "Versions recorded on main, per document.",
    );
    for d in docs {
        let _ = writeln!(
            out,
            "termtrail_versions{{document=\"{}\"}} {}",
            label(&d.id),
            d.versions
        );
    }
    family(
        &mut out,
        "termtrail_last_version_timestamp_seconds",
        "gauge",
        "Commit time of the latest version, per document (Unix seconds).",
    );
    for d in docs {
        let _ = writeln!(
            out,
            "termtrail_last_version_timestamp_seconds{{document=\"{}\"}} {}",
            label(&d.id),
            d.last_time
        );
    }
    family(
        &mut out,
        "termtrail_last_check_timestamp_seconds",
        "gauge",
        "Time of the last completed check, per document (Unix seconds).",
    );
    for (id, s) in &state.documents {
        if let Some(t) = s.last_checked {
            let _ = writeln!(
                out,
                "termtrail_last_check_timestamp_seconds{{document=\"{}\"}} {t}",
                label(id)
            );
        }
    }
    family(
        &mut out,
        "termtrail_consecutive_failures",
        "gauge",
        "Checks failed in a row, per document (0 after a success).",
    );
    for (id, s) in &state.documents {
        let _ = writeln!(
            out,
            "termtrail_consecutive_failures{{document=\"{}\"}} {}",
            label(id),
            s.failures
        );
    }
    family(
        &mut out,
        "termtrail_held_texts",
        "gauge",
        "Suspicious texts waiting for the next fetch to confirm them.",
    );
    let held = state
        .documents
        .values()
        .filter(|s| s.hold.is_some())
        .count();
    let _ = writeln!(out, "termtrail_held_texts {held}");
    if live {
        out.push_str(&crate::counters::counters().encode());
    }
    out
}
