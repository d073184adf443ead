//! Change summaries scored against changes read by a person: `LABELS.tsv` (one row per change:
//! `change`, `class`, `topics`, `what_changed`). For each change, termtrail's provision summary
//! of the two versions gives a class and topics; the table compares them with the labels.
//!
//! Two sets: the shared corpus (`../shared/corpus/LABELS.tsv`, changes named
//! `SERVICE--DOCTYPE--NNN`, the versions being what termtrail's import recorded for fetches NNN
//! and before, or OTA's Markdown with `--texts ota`), and our own synthetic set
//! (`fidelity/labelled/`: `LABELS.tsv` and `NAME.before.md` / `NAME.after.md`, written by us).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{bail, Context, Result};
use termtrail::provisions::changes;
use termtrail::summary::{Class, Taxonomy};

use crate::archive::Fetch;
use crate::corpus::Corpus;

/// One labelled change.
#[derive(Debug, Clone)]
pub struct Label {
    /// `SERVICE--DOCTYPE--NNN`, or the synthetic case's name.
    pub change: String,
    /// `substantive` or `cosmetic`.
    pub class: Class,
    /// Topics of the changed text.
    pub topics: BTreeSet<String>,
    /// In plain words.
    pub what: String,
}

/// Reads a `LABELS.tsv`.
pub fn read(path: &Path) -> Result<Vec<Label>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 3 {
            bail!(
                "{}:{}: expected change, class, topics, what_changed",
                path.display(),
                i + 1
            );
        }
        let class = match f[1] {
            "substantive" => Class::Substantive,
            "cosmetic" => Class::Cosmetic,
            other => bail!(
                "{}:{}: class {other:?} is neither substantive nor cosmetic",
                path.display(),
                i + 1
            ),
        };
        out.push(Label {
            change: f[0].to_owned(),
            class,
            topics: f[2]
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            what: f.get(3).copied().unwrap_or_default().to_owned(),
        });
    }
    Ok(out)
}

/// What termtrail said about one labelled change.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The label.
    pub label: Label,
    /// Our class (cosmetic when no version was recorded: nothing is announced).
    pub class: Class,
    /// Our topics.
    pub topics: BTreeSet<String>,
    /// Changed provisions: substantive / all.
    pub provisions: (usize, usize),
    /// Whether a version was recorded at all.
    pub recorded: bool,
    /// The provision changes, for `--show`.
    pub set: Option<changes::ChangeSet>,
}

impl Scored {
    fn score(label: Label, old: Option<&str>, new: Option<&str>, taxonomy: &Taxonomy) -> Self {
        match (old, new) {
            (Some(old), Some(new)) if old != new => {
                let set = changes::summarise(Some(old), new, taxonomy);
                let substantive = set
                    .provisions
                    .iter()
                    .filter(|p| p.class == Class::Substantive)
                    .count();
                Self {
                    label,
                    class: set.class,
                    topics: set.topics.iter().cloned().collect(),
                    provisions: (substantive, set.provisions.len()),
                    recorded: true,
                    set: Some(set),
                }
            }
            _ => Self {
                label,
                class: Class::Cosmetic,
                topics: BTreeSet::new(),
                provisions: (0, 0),
                recorded: false,
                set: None,
            },
        }
    }
}

/// Scores the shared corpus's labels on the texts termtrail recorded (`fetches`, from
/// `archive::build`) or, with `ota`, on OTA's Markdown of the same fetches.
pub fn score_corpus(
    corpus: &Corpus,
    labels: Vec<Label>,
    fetches: Option<&HashMap<String, Vec<Fetch>>>,
    taxonomy: &Taxonomy,
) -> Result<Vec<Scored>> {
    let mut out = Vec::new();
    for label in labels {
        let mut parts = label.change.rsplitn(2, "--");
        let index: usize = parts
            .next()
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("{}: expected SERVICE--DOCTYPE--NNN", label.change))?;
        let doc = parts
            .next()
            .with_context(|| format!("{}: expected SERVICE--DOCTYPE--NNN", label.change))?
            .replacen("--", "/", 1);
        if index < 2 {
            bail!("{}: a change is a version after the first", label.change);
        }
        let (old, new) = match fetches {
            Some(f) => {
                let list = f
                    .get(&doc)
                    .with_context(|| format!("{doc} is not in the corpus"))?;
                let at = |i: usize| list.iter().find(|x| x.index == i);
                let this = at(index).with_context(|| format!("{}: no such fetch", label.change))?;
                let before = at(index - 1).and_then(|x| x.text.clone());
                // No version at this fetch: what was announced is nothing.
                let new = this.commit.as_ref().and(this.text.clone());
                (before, new)
            }
            None => {
                let rows = corpus
                    .docs
                    .get(&doc)
                    .with_context(|| format!("{doc} is not in the corpus"))?;
                let md = |i: usize| -> Result<Option<String>> {
                    match rows.get(i - 1) {
                        Some(r) => Ok(Some(std::fs::read_to_string(corpus.root.join(&r.ota_md))?)),
                        None => Ok(None),
                    }
                };
                (md(index - 1)?, md(index)?)
            }
        };
        out.push(Scored::score(
            label,
            old.as_deref(),
            new.as_deref(),
            taxonomy,
        ));
    }
    Ok(out)
}

/// Scores a synthetic set: `dir/LABELS.tsv` with `dir/NAME.before.md` and `dir/NAME.after.md`.
pub fn score_dir(dir: &Path, taxonomy: &Taxonomy) -> Result<Vec<Scored>> {
    let labels = read(&dir.join("LABELS.tsv"))?;
    let mut out = Vec::new();
    for label in labels {
        let read = |side: &str| {
            let p = dir.join(format!("{}.{side}.md", label.change));
            std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))
        };
        let (old, new) = (read("before")?, read("after")?);
        out.push(Scored::score(label, Some(&old), Some(&new), taxonomy));
    }
    Ok(out)
}

/// Totals over a set.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    /// Changes.
    pub changes: usize,
    /// Changes whose class we got right.
    pub class_right: usize,
    /// Topics we gave that the label has.
    pub true_topics: usize,
    /// Topics we gave that the label lacks.
    pub false_topics: usize,
    /// Topics of the label we missed.
    pub missed_topics: usize,
}

impl Totals {
    /// Class accuracy.
    pub fn accuracy(&self) -> f64 {
        self.class_right as f64 / self.changes.max(1) as f64
    }

    /// Topic precision (1 when we gave none).
    pub fn precision(&self) -> f64 {
        let given = self.true_topics + self.false_topics;
        if given == 0 {
            1.0
        } else {
            self.true_topics as f64 / given as f64
        }
    }

    /// Topic recall (1 when the labels have none).
    pub fn recall(&self) -> f64 {
        let wanted = self.true_topics + self.missed_topics;
        if wanted == 0 {
            1.0
        } else {
            self.true_topics as f64 / wanted as f64
        }
    }
}

fn join(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "–".to_owned()
    } else {
        set.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Prints the per-change table and returns the totals.
pub fn print(title: &str, scored: &[Scored]) -> Totals {
    println!("\n### {title}\n");
    println!("| change | class (label) | class (termtrail) | topics (label) | topics (termtrail) | missed | extra | provisions changed (substantive/all) |");
    println!("|---|---|---|---|---|---|---|---:|");
    let mut t = Totals::default();
    for s in scored {
        let right = s.class == s.label.class;
        let missed: BTreeSet<String> = s.label.topics.difference(&s.topics).cloned().collect();
        let extra: BTreeSet<String> = s.topics.difference(&s.label.topics).cloned().collect();
        t.changes += 1;
        t.class_right += usize::from(right);
        t.true_topics += s.topics.intersection(&s.label.topics).count();
        t.false_topics += extra.len();
        t.missed_topics += missed.len();
        let ours = if s.recorded {
            s.class.as_str().to_owned()
        } else {
            "(no version)".to_owned()
        };
        println!(
            "| `{}` | {} | {}{} | {} | {} | {} | {} | {}/{} |",
            s.label.change,
            s.label.class.as_str(),
            ours,
            if right { "" } else { " ✗" },
            join(&s.label.topics),
            join(&s.topics),
            join(&missed),
            join(&extra),
            s.provisions.0,
            s.provisions.1
        );
    }
    println!(
        "\n**{}**: class right {} of {} ({:.1}%); topics: precision {:.2}, recall {:.2} ({} right, {} extra, {} missed)",
        title,
        t.class_right,
        t.changes,
        100.0 * t.accuracy(),
        t.precision(),
        t.recall(),
        t.true_topics,
        t.false_topics,
        t.missed_topics
    );
    t
}

/// Prints each changed provision of the changes whose name contains `filter`.
pub fn show(scored: &[Scored], filter: &str) {
    for s in scored.iter().filter(|s| s.label.change.contains(filter)) {
        println!(
            "\n## {} ({}: {})",
            s.label.change,
            s.label.class.as_str(),
            s.label.what
        );
        let Some(set) = &s.set else { continue };
        for p in &set.provisions {
            let reasons: Vec<&str> = p.cosmetic_reasons.iter().map(|r| r.describe()).collect();
            println!(
                "- {} {} [{}] {} {{{}}} {}",
                p.change.as_str(),
                p.class.as_str(),
                reasons.join(", "),
                p.heading(),
                p.topics.join(", "),
                if p.moved { "(moved)" } else { "" }
            );
            println!("    {}", p.excerpt(300));
        }
    }
}
