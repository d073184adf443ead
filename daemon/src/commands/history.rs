//! `termtrail log`, `show` and `diff`: the recorded versions read back, with holds, summaries and
//! word-level diffs.

use std::io::{IsTerminal, Write};

use anyhow::{bail, Context, Result};

use super::{date, parse_date};
use crate::archive::{open_read_only, History, VersionEntry};
use crate::config::Config;
use crate::diff_view::{self, Style};
use crate::document::{DocumentFilter, DocumentId};
use crate::terminal::escape_controls;

pub(super) fn log(
    config: &Config,
    filter: Option<&str>,
    max: Option<usize>,
    summary: bool,
) -> Result<()> {
    let filter = filter.map(DocumentFilter::parse).transpose()?;
    let repo = open_read_only(&config.archive.path)?;
    let versions = History::new(&repo).versions(filter.as_ref())?;
    let mut out = std::io::stdout().lock();
    // Held texts first: they are what a reader of the log would otherwise miss.
    let state = crate::archive::State::load(&config.archive.path);
    for (id, s) in &state.documents {
        let Some(h) = &s.hold else { continue };
        if filter
            .as_ref()
            .is_some_and(|f| DocumentId::parse(id).map_or(true, |d| !f.matches(&d)))
        {
            continue;
        }
        writeln!(
            out,
            "HELD        {}  {id:<40}  {} (snapshot {}); recorded if the next fetch confirms it",
            date(h.since),
            escape_controls(&h.reason),
            &h.snapshot[..h.snapshot.len().min(10)]
        )?;
    }
    for v in versions.iter().take(max.unwrap_or(usize::MAX)) {
        let id = v.doc.as_ref().map(ToString::to_string).unwrap_or_default();
        writeln!(
            out,
            "{}  {}  {:<40}  {}",
            &v.commit.to_string()[..10],
            date(v.time),
            id,
            escape_controls(&v.summary)
        )?;
        if summary {
            if let Some(doc) = &v.doc {
                let new = History::new(&repo)
                    .text_in(v.commit, doc)?
                    .unwrap_or_default();
                let old = repo
                    .find_commit(v.commit)
                    .ok()
                    .and_then(|c| c.parent(0).ok())
                    .and_then(|p| History::new(&repo).text_in(p.id(), doc).ok().flatten());
                let s = crate::summary::summarise(old.as_deref(), &new, &config.taxonomy);
                let line = if old.is_none() {
                    "first record".to_owned()
                } else {
                    s.headline()
                };
                writeln!(out, "            {}", escape_controls(&line))?;
            }
        }
    }
    if versions.is_empty() {
        eprintln!("no versions recorded yet");
    }
    Ok(())
}

pub(super) fn show(config: &Config, document: &str, at: Option<&str>) -> Result<()> {
    let doc = DocumentId::parse(document)?;
    let at = at
        .map(|s| {
            parse_date(s)
                .with_context(|| format!("--at {s:?}: expected YYYY-MM-DD or an RFC 3339 time"))
        })
        .transpose()?;
    let repo = open_read_only(&config.archive.path)?;
    let Some((v, text)) = History::new(&repo).version_at(&doc, at)? else {
        bail!(
            "no version of {doc} recorded{}",
            if at.is_some() { " at that date" } else { "" }
        );
    };
    eprintln!(
        "{doc} as recorded by {} on {}",
        &v.commit.to_string()[..10],
        date(v.time)
    );
    std::io::stdout()
        .lock()
        .write_all(escape_controls(&text).as_bytes())?;
    Ok(())
}

/// A commit of this document's history chosen by revision or date.
pub(super) fn pick(history: &History<'_>, versions: &[VersionEntry], spec: &str) -> Result<usize> {
    if let Some(t) = parse_date(spec) {
        return versions
            .iter()
            .position(|v| v.time <= t)
            .with_context(|| format!("no version at or before {spec}"));
    }
    let id = history.resolve(spec)?;
    versions
        .iter()
        .position(|v| v.commit == id)
        .with_context(|| format!("{spec} is not a version of this document (see `termtrail log`)"))
}

pub(super) fn diff(
    config: &Config,
    document: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<()> {
    let doc = DocumentId::parse(document)?;
    let repo = open_read_only(&config.archive.path)?;
    let history = History::new(&repo);
    let filter = DocumentFilter::parse(document)?;
    let versions = history.versions(Some(&filter))?;
    if versions.is_empty() {
        bail!("no version of {doc} recorded yet");
    }
    let to_i = match to {
        Some(s) => pick(&history, &versions, s)?,
        None => 0,
    };
    let from_i = match from {
        Some(s) => pick(&history, &versions, s)?,
        None if to_i + 1 < versions.len() => to_i + 1,
        None => bail!("{doc} has a single version; nothing to compare"),
    };
    let (old, new) = (&versions[from_i], &versions[to_i]);
    let old_text = history.text_in(old.commit, &doc)?.unwrap_or_default();
    let new_text = history.text_in(new.commit, &doc)?.unwrap_or_default();
    // Escaped before the diff adds its own colours.
    let (old_text, new_text) = (
        escape_controls(&old_text).into_owned(),
        escape_controls(&new_text).into_owned(),
    );
    let (added, removed) = crate::archive::message::line_counts(&old_text, &new_text);
    let style = if std::io::stdout().is_terminal() {
        Style::Color
    } else {
        Style::Plain
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{doc}: {} ({}) -> {} ({})",
        &old.commit.to_string()[..10],
        date(old.time),
        &new.commit.to_string()[..10],
        date(new.time)
    )?;
    writeln!(out, "{added} line(s) added, {removed} removed")?;
    let summary = crate::summary::summarise(Some(&old_text), &new_text, &config.taxonomy);
    writeln!(out, "{}", summary.render_text())?;
    out.write_all(diff_view::render(&old_text, &new_text, style).as_bytes())?;
    Ok(())
}
