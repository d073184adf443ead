//! `termtrail compare --topic T`: the sections of every platform's latest text that touch a topic,
//! side by side on a terminal or as Markdown.

use std::io::{IsTerminal, Write};

use anyhow::{bail, Result};

use crate::archive::{open_read_only, History};
use crate::config::Config;
use crate::document::DocumentFilter;
use crate::summary::sections;

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

/// `termtrail compare --topic T`.
pub fn compare(
    config: &Config,
    topic: &str,
    only: &[String],
    markdown: bool,
    width: Option<usize>,
) -> Result<()> {
    let Some(t) = config.taxonomy.get(topic) else {
        let names: Vec<_> = config
            .taxonomy
            .topics
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        bail!(
            "{topic:?} is not a topic; known topics: {}",
            names.join(", ")
        );
    };
    let filters = only
        .iter()
        .map(|s| DocumentFilter::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let repo = open_read_only(&config.archive.path)?;
    let history = History::new(&repo);
    // platform → Markdown of its matching sections, in config order.
    let mut columns: Vec<(String, String)> = Vec::new();
    for doc in &config.documents {
        if !(filters.is_empty() || filters.iter().any(|f| f.matches(&doc.id))) {
            continue;
        }
        let Some((_, text)) = history.version_at(&doc.id, None)? else {
            continue;
        };
        let text = crate::terminal::escape_controls(&text).into_owned();
        let mut body = String::new();
        for s in sections::split(&text) {
            if t.matches(&s.key()) || t.matches(&s.text) {
                body.push_str(&format!("**{} — {}**\n\n", doc.title, s.key()));
                let content = match s.text.split_once('\n') {
                    Some((first, rest)) if first.trim_start().starts_with('#') => rest,
                    _ => s.text.as_str(),
                };
                body.push_str(content.trim());
                body.push_str("\n\n");
            }
        }
        if body.is_empty() {
            continue;
        }
        let platform = crate::document::platform_name(doc.id.platform());
        match columns.iter_mut().find(|(p, _)| *p == platform) {
            Some((_, b)) => b.push_str(&body),
            None => columns.push((platform, body)),
        }
    }
    let mut out = std::io::stdout().lock();
    if columns.is_empty() {
        eprintln!("no recorded section touches {topic} ({})", t.label);
        return Ok(());
    }
    if markdown || !std::io::stdout().is_terminal() && width.is_none() {
        writeln!(out, "# {}\n", t.label)?;
        for (platform, body) in &columns {
            writeln!(out, "## {platform}\n\n{}", body.trim_end())?;
            writeln!(out)?;
        }
        return Ok(());
    }
    let total = width.unwrap_or_else(|| {
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
