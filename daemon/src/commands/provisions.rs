//! `termtrail provisions` and `termtrail log --provision`: the provisions of a version with their
//! ids, topics and dates, and the timeline of one provision across the versions that changed it.

use std::io::Write;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::{compare::known_topic, date, parse_date};
use crate::archive::{open_read_only, History};
use crate::config::Config;
use crate::document::DocumentId;
use crate::provisions::history::{timeline, Replayer, TimelineEntry};
use crate::provisions::report::{self, ProvisionView, VersionCite};
use crate::terminal::escape_controls;

/// `termtrail provisions --json`.
#[derive(Debug, Serialize)]
struct ProvisionsReport {
    document: String,
    commit: String,
    version_date: String,
    topic: Option<String>,
    provisions: Vec<ProvisionView>,
}

/// `termtrail log --provision --json`.
#[derive(Debug, Serialize)]
struct ProvisionTimeline<'a> {
    document: String,
    provision: &'a str,
    changes: Vec<TimelineEntry>,
}

/// Parses `--at`.
pub(super) fn at_date(at: Option<&str>) -> Result<Option<i64>> {
    at.map(|s| {
        parse_date(s)
            .with_context(|| format!("--at {s:?}: expected YYYY-MM-DD or an RFC 3339 time"))
    })
    .transpose()
}

/// Headings above a provision, as one line.
pub(super) fn heading(path: &[String]) -> String {
    if path.is_empty() {
        "(top)".to_owned()
    } else {
        path.join(" > ")
    }
}

/// Whitespace folded to single spaces, controls escaped: one printable line.
pub(super) fn line(text: &str) -> String {
    escape_controls(&text.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned()
}

/// `termtrail provisions PLATFORM/KIND [--at DATE] [--topic T] [--json]`.
pub(super) fn provisions(
    config: &Config,
    document: &str,
    at: Option<&str>,
    topic: Option<&str>,
    json: bool,
) -> Result<()> {
    let doc = DocumentId::parse(document)?;
    let at = at_date(at)?;
    if let Some(t) = topic {
        known_topic(config, t)?;
    }
    let repo = open_read_only(&config.archive.path)?;
    let Some((v, _)) = History::new(&repo).version_at(&doc, at)? else {
        bail!(
            "no version of {doc} recorded{}",
            if at.is_some() { " at that date" } else { "" }
        );
    };
    let (lineage, _) = Replayer::new()
        .at(&repo, &doc, Some(v.commit), None)?
        .context("the version was just found in the history")?;
    let views = report::provisions(&lineage, &config.taxonomy, topic);
    let mut out = std::io::stdout().lock();
    if json {
        let cite = VersionCite {
            commit: v.commit.to_string(),
            date: report::rfc3339(v.time),
        };
        let r = ProvisionsReport {
            document: doc.to_string(),
            commit: cite.commit,
            version_date: cite.date,
            topic: topic.map(str::to_owned),
            provisions: views,
        };
        serde_json::to_writer_pretty(&mut out, &r)?;
        writeln!(out)?;
        return Ok(());
    }
    eprintln!(
        "{doc} as recorded by {} on {}: {} provision(s){}",
        &v.commit.to_string()[..10],
        date(v.time),
        views.len(),
        topic.map(|t| format!(" tagged {t}")).unwrap_or_default()
    );
    for p in &views {
        let topics = if p.topics.is_empty() {
            String::new()
        } else {
            format!("  [{}]", p.topics.join(", "))
        };
        writeln!(
            out,
            "{}  {}{topics}  (first seen {}, last changed {})",
            p.id,
            line(&heading(&p.heading_path)),
            &p.first_seen.date[..10],
            &p.last_changed.date[..10],
        )?;
        writeln!(out, "    {}", line(&p.text))?;
    }
    Ok(())
}

/// `termtrail log PLATFORM/KIND --provision ID [--json]`.
pub(super) fn provision_log(config: &Config, document: &str, id: &str, json: bool) -> Result<()> {
    let doc = DocumentId::parse(document)?;
    let repo = open_read_only(&config.archive.path)?;
    let changes = timeline(&repo, &doc, id, &config.taxonomy)?;
    if changes.is_empty() {
        bail!("no provision {id:?} in the history of {doc}; `termtrail provisions {doc}` lists the ids");
    }
    let mut out = std::io::stdout().lock();
    if json {
        let t = ProvisionTimeline {
            document: doc.to_string(),
            provision: id,
            changes,
        };
        serde_json::to_writer_pretty(&mut out, &t)?;
        writeln!(out)?;
        return Ok(());
    }
    for c in &changes {
        let topics = if c.topics.is_empty() {
            String::new()
        } else {
            format!(" [{}]", c.topics.join(", "))
        };
        writeln!(
            out,
            "{}  {}  {} {}{topics}  {}",
            &c.date[..10],
            &c.commit[..10],
            c.change.as_str(),
            c.class.as_str(),
            line(&heading(&c.heading_path))
        )?;
        match (&c.diff, &c.before, &c.after) {
            (Some(d), _, _) => writeln!(out, "    {}", line(d))?,
            (None, before, after) => {
                if let Some(b) = before.as_deref().filter(|_| after.is_none()) {
                    writeln!(out, "    - {}", line(b))?;
                }
                if let Some(a) = after {
                    writeln!(out, "    + {}", line(a))?;
                }
            }
        }
    }
    Ok(())
}
