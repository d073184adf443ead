//! `termtrail compare --topic T`: the provisions tagged with a topic in every platform's text (the
//! latest, or the one in force at a date), with each version's commit, date and URL: side by side
//! on a terminal, as Markdown, or as JSON.

use std::io::{IsTerminal, Write};

use anyhow::{bail, Result};

use super::provisions::{at_date, heading};
use crate::archive::message::{trailer, SOURCE_URL};
use crate::archive::{open_read_only, History};
use crate::config::Config;
use crate::document::{platform_name, DocumentFilter};
use crate::provisions::history::Replayer;
use crate::provisions::report::Comparison;
use crate::summary::Topic;
use crate::terminal::escape_controls;

/// Wraps `text` to `width` columns (by words; longer words are cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(head);
            }
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// The topic `topic` of the config's taxonomy, or an error naming the known ones.
pub(super) fn known_topic<'a>(config: &'a Config, topic: &str) -> Result<&'a Topic> {
    match config.taxonomy.get(topic) {
        Some(t) => Ok(t),
        None => {
            let names: Vec<_> = config
                .taxonomy
                .topics
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            bail!(
                "{topic:?} is not a topic; known topics: {}",
                names.join(", ")
            )
        }
    }
}

/// What `compare` prints.
pub struct CompareArgs<'a> {
    /// The topic.
    pub topic: &'a str,
    /// The versions in force at this date [default: the latest].
    pub at: Option<&'a str>,
    /// Only these platforms or documents.
    pub only: &'a [String],
    /// JSON.
    pub json: bool,
    /// Markdown instead of columns.
    pub markdown: bool,
    /// Column width on a terminal.
    pub width: Option<usize>,
}

/// `termtrail compare --topic T`.
pub fn compare(config: &Config, args: &CompareArgs<'_>) -> Result<()> {
    let topic = args.topic;
    let t = known_topic(config, topic)?;
    let at = at_date(args.at)?;
    let filters = args
        .only
        .iter()
        .map(|s| DocumentFilter::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let repo = open_read_only(&config.archive.path)?;
    let history = History::new(&repo);
    let replayer = Replayer::new();
    let mut comparison = Comparison::new(topic, at);
    for doc in &config.documents {
        if !(filters.is_empty() || filters.iter().any(|f| f.matches(&doc.id))) {
            continue;
        }
        let Some((v, _)) = history.version_at(&doc.id, at)? else {
            continue;
        };
        let Some((lineage, _)) = replayer.at(&repo, &doc.id, Some(v.commit), None)? else {
            continue;
        };
        // The URL this version was fetched from, as its commit says.
        let url = trailer(&v.message, SOURCE_URL).unwrap_or_else(|| doc.url.to_string());
        comparison.add(
            doc.id.platform(),
            doc.id.kind(),
            &url,
            &lineage,
            &config.taxonomy,
        );
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &comparison)?;
        writeln!(out)?;
        return Ok(());
    }
    if comparison.platforms.is_empty() {
        eprintln!("no recorded provision touches {topic} ({})", t.label);
        return Ok(());
    }
    // Platform name → Markdown of its tagged provisions, in config order.
    let columns: Vec<(String, String)> = comparison
        .platforms
        .iter()
        .map(|p| {
            let mut body = String::new();
            for d in &p.documents {
                body.push_str(&format!(
                    "### {} — version {} of {} ({})\n\n",
                    d.kind,
                    &d.commit[..10],
                    &d.version_date[..10],
                    d.url
                ));
                for pr in &d.provisions {
                    body.push_str(&format!(
                        "**{}** ({}, last changed {})\n{}\n\n",
                        heading(&pr.heading_path),
                        pr.id,
                        &pr.last_changed[..10],
                        pr.text.trim()
                    ));
                }
            }
            (
                platform_name(&p.platform),
                escape_controls(&body).into_owned(),
            )
        })
        .collect();
    if args.markdown || !std::io::stdout().is_terminal() && args.width.is_none() {
        writeln!(out, "# {}\n", t.label)?;
        for (platform, body) in &columns {
            writeln!(out, "## {platform}\n\n{}", body.trim_end())?;
            writeln!(out)?;
        }
        return Ok(());
    }
    let total = args.width.unwrap_or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(160)
    });
    let col = (total.saturating_sub(3 * (columns.len() - 1)) / columns.len()).max(20);
    let wrapped: Vec<Vec<String>> = columns
        .iter()
        .map(|(p, b)| {
            let mut lines = vec![p.clone(), "-".repeat(col.min(p.chars().count().max(3)))];
            lines.extend(wrap(b, col));
            lines
        })
        .collect();
    let rows = wrapped.iter().map(Vec::len).max().unwrap_or(0);
    for r in 0..rows {
        let cells: Vec<String> = wrapped
            .iter()
            .map(|c| {
                let cell = c.get(r).map(String::as_str).unwrap_or("");
                format!("{cell:<col$}")
            })
            .collect();
        writeln!(out, "{}", cells.join(" │ ").trim_end())?;
    }
    Ok(())
}
