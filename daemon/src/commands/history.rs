//! `termtrail log`, `show` and `diff`: the recorded versions read back, with holds, summaries and
//! word-level diffs.

use std::io::{IsTerminal, Write};

use anyhow::{bail, Context, Result};

use super::provisions::{heading, line};
use super::{date, parse_date};
use crate::archive::{open_read_only, History, VersionEntry};
use crate::config::Config;
use crate::diff_view::{self, Style};
use crate::document::{DocumentFilter, DocumentId};
use crate::events::provisions::cut;
use crate::events::provisions::overlay;
use crate::provisions::history::{changes as provision_changes, Replayer};
use crate::provisions::lineage::change_between;
use crate::provisions::report::{rfc3339, VersionCite};
use crate::provisions::{ChangeKind, ChangeSet};
use crate::summary::Class;
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
    let mut changes = std::collections::HashMap::new();
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
                let mut s = crate::summary::summarise(old.as_deref(), &new, &config.taxonomy);
                // Class and topics on provisions, as events carry them.
                let key = doc.to_string();
                if !changes.contains_key(&key) {
                    changes.insert(
                        key.clone(),
                        provision_changes(&repo, doc, &config.taxonomy)?,
                    );
                }
                let set = changes.get(&key).and_then(|c| c.get(&v.commit));
                if let Some(set) = set {
                    overlay(&mut s, set);
                }
                let line = match set {
                    _ if old.is_none() => "first record".to_owned(),
                    Some(set) => crate::events::provisions::headline(&s, set),
                    None => s.headline(),
                };
                writeln!(out, "            {}", escape_controls(&line))?;
                if let Some(p) = plugin_line(&v.message) {
                    writeln!(out, "            plugin: {}", escape_controls(&p))?;
                }
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

/// `termtrail diff --json`: the change summary as events carry it.
#[derive(Debug, serde::Serialize)]
struct DiffReport {
    document: String,
    from: VersionCite,
    to: VersionCite,
    lines_added: usize,
    lines_removed: usize,
    #[serde(flatten)]
    change: ChangeSet,
}

pub(super) fn diff(
    config: &Config,
    document: &str,
    from: Option<&str>,
    to: Option<&str>,
    json: bool,
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
    // Each side's provisions with the ids the document's history gives them.
    let replayer = Replayer::new();
    let lineage_at = |commit| {
        replayer
            .at(&repo, &doc, Some(commit), None)
            .map(|l| l.map(|(l, _)| l))
    };
    let (old_l, new_l) = (
        lineage_at(old.commit)?.context("a version of the history")?,
        lineage_at(new.commit)?.context("a version of the history")?,
    );
    let change = change_between(&old_l, &new_l, &new_text, &config.taxonomy);
    let (added, removed) = crate::archive::message::line_counts(&old_text, &new_text);
    let mut out = std::io::stdout().lock();
    if json {
        let report = DiffReport {
            document: doc.to_string(),
            from: VersionCite {
                commit: old.commit.to_string(),
                date: rfc3339(old.time),
            },
            to: VersionCite {
                commit: new.commit.to_string(),
                date: rfc3339(new.time),
            },
            lines_added: added,
            lines_removed: removed,
            change,
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    // Escaped before the diff adds its own colours.
    let (old_text, new_text) = (
        escape_controls(&old_text).into_owned(),
        escape_controls(&new_text).into_owned(),
    );
    let style = if std::io::stdout().is_terminal() {
        Style::Color
    } else {
        Style::Plain
    };
    writeln!(
        out,
        "{doc}: {} ({}) -> {} ({})",
        &old.commit.to_string()[..10],
        date(old.time),
        &new.commit.to_string()[..10],
        date(new.time)
    )?;
    writeln!(out, "{added} line(s) added, {removed} removed")?;
    if let Some(p) = plugin_line(&new.message) {
        writeln!(out, "plugin: {}", escape_controls(&p))?;
    }
    write_change(&mut out, &change)?;
    writeln!(out)?;
    out.write_all(diff_view::render(&old_text, &new_text, style).as_bytes())?;
    Ok(())
}

/// Longest excerpt of a cosmetic provision change in `diff`'s text output, in characters.
const COSMETIC_CHARS: usize = 160;

/// The change summary on provisions, as an analyst reads it: the class and topics, then each
/// changed provision (substantive ones first) with its id, heading path and words.
fn write_change(out: &mut impl Write, change: &ChangeSet) -> std::io::Result<()> {
    let (a, r, m, mv) = change.tally();
    let topics = if change.topics.is_empty() {
        String::new()
    } else {
        format!("; topics: {}", change.topics.join(", "))
    };
    let reasons = if change.cosmetic_reasons.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = change
            .cosmetic_reasons
            .iter()
            .map(|r| r.describe())
            .collect();
        format!(" ({})", names.join(", "))
    };
    writeln!(
        out,
        "{}{reasons}{topics}; provisions: {a} added, {r} removed, {m} modified, {mv} moved",
        change.class.as_str()
    )?;
    if let Some(d) = &change.dates.effective {
        writeln!(out, "states: effective {d}")?;
    }
    if let Some(d) = &change.dates.updated {
        writeln!(out, "states: updated {d}")?;
    }
    for p in change.ranked() {
        let topics = if p.topics.is_empty() {
            String::new()
        } else {
            format!(" [{}]", p.topics.join(", "))
        };
        writeln!(
            out,
            "{} {}{} {}{topics}  {}  ({})",
            match p.change {
                ChangeKind::Added => '+',
                ChangeKind::Removed => '-',
                ChangeKind::Modified => '~',
                ChangeKind::Moved => '>',
            },
            p.change.as_str(),
            if p.moved { " and moved" } else { "" },
            p.class.as_str(),
            line(&heading(&p.heading_path)),
            p.id
        )?;
        let words = match (&p.diff, &p.before, &p.after) {
            (Some(d), _, _) => d.as_str(),
            (None, _, Some(a)) => a.as_str(),
            (None, Some(b), None) => b.as_str(),
            (None, None, None) => "",
        };
        // A cosmetic change is named, not read: its first words are enough.
        let words = if p.class == Class::Cosmetic {
            cut(words, COSMETIC_CHARS)
        } else {
            words.to_owned()
        };
        writeln!(out, "    {}", line(&words))?;
    }
    Ok(())
}

/// The plugin's own line about a version (its `Plugin-Summary` trailer), if it gave one.
fn plugin_line(message: &str) -> Option<String> {
    crate::archive::message::trailer(message, crate::archive::message::PLUGIN_SUMMARY)
}
