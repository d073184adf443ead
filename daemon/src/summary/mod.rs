//! The change summary: what a busy person reads in ten seconds. Pure functions of two versions of
//! a document (and the taxonomy): counts, the sections added/removed/modified with an excerpt of
//! the changed words, the topics those sections touch, and whether the change is only cosmetic.

pub mod cosmetic;
pub mod sections;
pub mod settings;
pub mod spelling;
pub mod topics;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, DiffTag, TextDiff};

pub use cosmetic::Reason;
pub use topics::{Taxonomy, Topic, TopicError};

/// How long one diff may take before `similar` falls back to a coarser (still correct) answer, so
/// that a pathological pair of texts cannot stall delivery.
const DIFF_DEADLINE: Duration = Duration::from_secs(2);

/// Words of unchanged context on each side of a change in an excerpt.
const EXCERPT_CONTEXT_WORDS: usize = 6;

/// Longest excerpt, in characters.
const EXCERPT_MAX_CHARS: usize = 280;

/// Substantive or only cosmetic. Ordered: `cosmetic < substantive`, so `min_class` filters compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Only whitespace, punctuation, capitalisation, date formats, link targets or sentence order.
    Cosmetic,
    /// Anything else, and every first record.
    Substantive,
}

impl Class {
    /// `cosmetic` or `substantive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Cosmetic => "cosmetic",
            Class::Substantive => "substantive",
        }
    }
}

/// Words and lines added and removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Words inserted.
    pub words_added: usize,
    /// Words deleted.
    pub words_removed: usize,
    /// Lines inserted.
    pub lines_added: usize,
    /// Lines deleted.
    pub lines_removed: usize,
}

/// What happened to a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionChangeKind {
    /// New heading.
    Added,
    /// Heading gone.
    Removed,
    /// Same heading path, other text.
    Modified,
}

/// One changed section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionChange {
    /// Headings from the outermost; empty for the text before the first heading.
    pub path: Vec<String>,
    /// What happened.
    pub change: SectionChangeKind,
    /// The changed words in context: `… keep your data for [-30-]{+90+} days …`; the start of the
    /// text for an added or removed section.
    pub excerpt: String,
    /// Topics this section's change touches.
    pub topics: Vec<String>,
}

impl SectionChange {
    /// The heading path as one string.
    pub fn heading(&self) -> String {
        if self.path.is_empty() {
            "(preamble)".to_owned()
        } else {
            self.path.join(" > ")
        }
    }
}

/// The summary of a change (or of a first record, when there is no old text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Substantive or cosmetic.
    pub class: Class,
    /// Why it is cosmetic; empty when substantive.
    pub cosmetic_reasons: Vec<Reason>,
    /// Words and lines.
    pub counts: Counts,
    /// Changed sections, in document order (removed ones last).
    pub sections: Vec<SectionChange>,
    /// Every topic the changed sections touch, in taxonomy order.
    pub topics: Vec<String>,
}

fn diff_config() -> similar::TextDiffConfig {
    let mut c = TextDiff::configure();
    c.deadline(Instant::now() + DIFF_DEADLINE);
    c
}

/// Counts words and lines added and removed. The line counts are those the version commit's
/// message states (`archive::message::line_counts`), so an event never disagrees with its commit.
pub fn counts(old: &str, new: &str) -> Counts {
    let (lines_added, lines_removed) = crate::archive::message::line_counts(old, new);
    let mut c = Counts {
        lines_added,
        lines_removed,
        ..Counts::default()
    };
    let lines = diff_config().diff_lines(old, new);
    // Words only inside changed lines: the same answer as a whole-text word diff in practice, at
    // a fraction of the cost on long documents.
    for op in lines.ops() {
        if op.tag() == DiffTag::Equal {
            continue;
        }
        let old_block: String = lines.old_slices()[op.old_range()].concat();
        let new_block: String = lines.new_slices()[op.new_range()].concat();
        let words = diff_config().diff_words(&old_block, &new_block);
        for change in words.iter_all_changes() {
            if change.value().trim().is_empty() {
                continue;
            }
            match change.tag() {
                ChangeTag::Insert => c.words_added += 1,
                ChangeTag::Delete => c.words_removed += 1,
                ChangeTag::Equal => {}
            }
        }
    }
    c
}

fn truncate_chars(s: &str, max: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…", s[..i].trim_end()),
    }
}

/// The text of a section without its heading line (the heading is in the path already).
fn body(section_text: &str) -> &str {
    match section_text.split_once('\n') {
        Some((first, rest)) if first.trim_start().starts_with('#') => rest,
        None if section_text.trim_start().starts_with('#') => "",
        _ => section_text,
    }
}

/// The body of a section, folded onto one line.
fn body_words(section_text: &str) -> String {
    body(section_text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The changed words of a modified section in context, `[-old-]{+new+}` marked, folded onto one line.
pub fn excerpt(old: &str, new: &str) -> String {
    let old_f = old.split_whitespace().collect::<Vec<_>>().join(" ");
    let new_f = new.split_whitespace().collect::<Vec<_>>().join(" ");
    let diff = diff_config().diff_words(&old_f, &new_f);
    // Tokens alternate word / space, so context in tokens is twice the words.
    let groups = diff.grouped_ops(EXCERPT_CONTEXT_WORDS * 2);
    let mut out = String::new();
    for (gi, group) in groups.iter().enumerate() {
        if gi > 0 {
            out.push_str(" … ");
        }
        let first = group.first().is_some_and(|op| op.old_range().start > 0);
        if gi == 0 && first {
            out.push('…');
        }
        let tokens: Vec<(ChangeTag, &str)> = group
            .iter()
            .flat_map(|op| diff.iter_changes(op))
            .map(|c| (c.tag(), c.value()))
            .collect();
        render_tokens(&tokens, &mut out);
        if out.chars().count() > EXCERPT_MAX_CHARS {
            break;
        }
    }
    let more = groups
        .last()
        .and_then(|g| g.last())
        .is_some_and(|op| op.old_range().end < diff.old_slices().len());
    let mut s = out;
    if more {
        s.push('…');
    }
    truncate_chars(&s, EXCERPT_MAX_CHARS)
}

/// Appends word-diff tokens as text with `[-deleted-]{+inserted+}` runs; a space between two
/// changed words joins them into one run, so "do not" → "may" reads `[-do not-]{+may+}`.
pub(crate) fn render_tokens(tokens: &[(ChangeTag, &str)], out: &mut String) {
    let (mut del, mut ins) = (String::new(), String::new());
    let flush = |out: &mut String, del: &mut String, ins: &mut String| {
        let (d, i) = (del.trim(), ins.trim());
        if !d.is_empty() {
            out.push_str(&format!("[-{d}-]"));
        }
        if !i.is_empty() {
            out.push_str(&format!("{{+{i}+}}"));
        }
        // Keep one space where the run had one, so words do not run together.
        if (del.ends_with(' ') || ins.ends_with(' ')) && !out.ends_with(' ') {
            out.push(' ');
        }
        del.clear();
        ins.clear();
    };
    for (i, (tag, v)) in tokens.iter().enumerate() {
        let changed =
            |t: Option<&(ChangeTag, &str)>| t.is_some_and(|(t, _)| *t != ChangeTag::Equal);
        match tag {
            ChangeTag::Delete => del.push_str(v),
            ChangeTag::Insert => ins.push_str(v),
            ChangeTag::Equal
                if v.trim().is_empty()
                    && changed(i.checked_sub(1).and_then(|j| tokens.get(j)))
                    && changed(tokens.get(i + 1)) =>
            {
                del.push_str(v);
                ins.push_str(v);
            }
            ChangeTag::Equal => {
                if !del.is_empty() || !ins.is_empty() {
                    let had_space = v.starts_with(' ');
                    flush(out, &mut del, &mut ins);
                    if had_space && out.ends_with(' ') {
                        out.pop();
                    }
                }
                out.push_str(v);
            }
        }
    }
    flush(out, &mut del, &mut ins);
}

/// The lines that differ between two texts, from both sides, for topic matching.
fn changed_lines(old: &str, new: &str) -> String {
    let diff = diff_config().diff_lines(old, new);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        if change.tag() != ChangeTag::Equal {
            out.push_str(change.value());
            if !change.value().ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

/// Summarises the change from `old` (None for a first record) to `new`.
pub fn summarise(old: Option<&str>, new: &str, taxonomy: &Taxonomy) -> Summary {
    let old_text = old.unwrap_or("");
    let (class, cosmetic_reasons) = match old {
        None => (Class::Substantive, Vec::new()),
        Some(o) => match cosmetic::classify(o, new) {
            Some(reasons) => (Class::Cosmetic, reasons),
            None => (Class::Substantive, Vec::new()),
        },
    };
    let old_sections = sections::keyed(old_text);
    let new_sections = sections::keyed(new);
    let old_by_key: HashMap<&str, &sections::Section> =
        old_sections.iter().map(|(k, s)| (k.as_str(), s)).collect();
    let new_keys: std::collections::HashSet<&str> =
        new_sections.iter().map(|(k, _)| k.as_str()).collect();
    let mut changed = Vec::new();
    for (key, section) in &new_sections {
        let heading = section.path.join(" > ");
        match old_by_key.get(key.as_str()) {
            None => changed.push(SectionChange {
                path: section.path.clone(),
                change: SectionChangeKind::Added,
                excerpt: truncate_chars(&body_words(&section.text), EXCERPT_MAX_CHARS),
                topics: taxonomy.matching(&format!("{heading}\n{}", section.text)),
            }),
            Some(before) if before.text != section.text => changed.push(SectionChange {
                path: section.path.clone(),
                change: SectionChangeKind::Modified,
                excerpt: excerpt(body(&before.text), body(&section.text)),
                topics: taxonomy.matching(&format!(
                    "{heading}\n{}",
                    changed_lines(&before.text, &section.text)
                )),
            }),
            Some(_) => {}
        }
    }
    for (key, section) in &old_sections {
        if !new_keys.contains(key.as_str()) {
            let heading = section.path.join(" > ");
            changed.push(SectionChange {
                path: section.path.clone(),
                change: SectionChangeKind::Removed,
                excerpt: truncate_chars(&body_words(&section.text), EXCERPT_MAX_CHARS),
                topics: taxonomy.matching(&format!("{heading}\n{}", section.text)),
            });
        }
    }
    let topics = taxonomy
        .topics
        .iter()
        .filter(|t| changed.iter().any(|s| s.topics.contains(&t.name)))
        .map(|t| t.name.clone())
        .collect();
    Summary {
        class,
        cosmetic_reasons,
        counts: counts(old_text, new),
        sections: changed,
        topics,
    }
}

impl Summary {
    /// One line: `substantive: 2 sections modified, 1 added; topics: model-training`.
    pub fn headline(&self) -> String {
        let counts: Vec<(usize, &str)> = [
            (SectionChangeKind::Modified, "modified"),
            (SectionChangeKind::Added, "added"),
            (SectionChangeKind::Removed, "removed"),
        ]
        .into_iter()
        .map(|(kind, word)| {
            (
                self.sections.iter().filter(|s| s.change == kind).count(),
                word,
            )
        })
        .collect();
        self.headline_counting("section(s)", &counts)
    }

    /// [`Summary::headline`] with other counts: `unit` (`provision(s)`) and (count, what) pairs;
    /// zero counts are left out.
    pub fn headline_counting(&self, unit: &str, counts: &[(usize, &str)]) -> String {
        let parts: Vec<String> = counts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, word)| format!("{n} {word}"))
            .collect();
        let mut line = self.class.as_str().to_owned();
        if !self.cosmetic_reasons.is_empty() {
            let reasons: Vec<_> = self.cosmetic_reasons.iter().map(|r| r.describe()).collect();
            line.push_str(&format!(" (only {})", reasons.join(", ")));
        }
        if !parts.is_empty() {
            line.push_str(&format!(": {unit} {}", parts.join(", ")));
        }
        if !self.topics.is_empty() {
            line.push_str(&format!("; topics: {}", self.topics.join(", ")));
        }
        line
    }

    /// A few lines for people: the headline, the counts, then one line per changed section.
    pub fn render_text(&self) -> String {
        let c = &self.counts;
        let mut out = format!(
            "{}\n{} word(s) added, {} removed; {} line(s) added, {} removed\n",
            self.headline(),
            c.words_added,
            c.words_removed,
            c.lines_added,
            c.lines_removed
        );
        for s in &self.sections {
            let change = match s.change {
                SectionChangeKind::Added => "added",
                SectionChangeKind::Removed => "removed",
                SectionChangeKind::Modified => "modified",
            };
            out.push_str(&format!("  {change:<8} {}", s.heading()));
            if !s.topics.is_empty() {
                out.push_str(&format!("  [{}]", s.topics.join(", ")));
            }
            out.push('\n');
            if !s.excerpt.is_empty() {
                out.push_str(&format!("           {}\n", s.excerpt));
            }
        }
        out
    }
}

/// A unified diff (`---`/`+++`, 3 lines of context) cut at `max_bytes` on a line end.
pub fn unified_diff(old: &str, new: &str, path: &str, max_bytes: usize) -> (String, bool) {
    let diff = diff_config().diff_lines(old, new);
    let full = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    if full.len() <= max_bytes {
        return (full, false);
    }
    let mut cut = max_bytes;
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    let end = full[..cut].rfind('\n').map_or(0, |i| i + 1);
    (full[..end].to_owned(), true)
}

#[cfg(test)]
mod tests;
