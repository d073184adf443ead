//! The change between two versions, provision by provision: each provision added, removed,
//! modified or moved, with its before and after text, its word diff, its own class (cosmetic with
//! reasons, or substantive) and its own topics; the version is substantive when one provision is.
//!
//! Topics of a changed provision come from its own words, weighted to what changed: an added or
//! removed provision brings every topic its text touches; a modified one brings a topic when
//! (a) the rule matches on inserted or deleted words, in a wording the other side does not have,
//! or (b) the rule matches in a sentence where only a few words changed (`30` → `90` days makes
//! the sentence's retention rule count). A long rewrite of a sentence does not lend its topics
//! to unchanged wording in it. Cosmetic provision changes bring no topics.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use similar::{ChangeTag, TextDiff};

use super::dates;
use super::matching::{self, Alignment, Key};
use super::split::{self, Kind, Provision};
use super::words::Words;
use crate::summary::cosmetic::{self, Reason};
use crate::summary::topics::Taxonomy;
use crate::summary::Class;

/// Longest time for one word diff before a coarser (still valid) answer is taken.
const DIFF_DEADLINE: Duration = Duration::from_millis(500);
/// Longest link text, in words, for a line of links to count as navigation.
const NAVIGATION_LINK_WORDS: usize = 6;

/// The two texts with words marked: `[-deleted-]`, `{+inserted+}`, whitespace folded.
pub fn word_diff(old: &str, new: &str) -> String {
    let (o, n) = (fold_line(old), fold_line(new));
    let diff = TextDiff::configure()
        .deadline(Instant::now() + DIFF_DEADLINE)
        .diff_words(&o, &n);
    let tokens: Vec<(ChangeTag, &str)> = diff
        .iter_all_changes()
        .map(|c| (c.tag(), c.value()))
        .collect();
    let mut out = String::new();
    crate::summary::render_tokens(&tokens, &mut out);
    out
}

/// A provision's text without its heading marks or the emphasis around the whole line, for
/// comparing a heading with a restyled one (`## Title` → `**Title**`).
fn body_for_style(p: &Provision) -> String {
    match p.kind {
        Kind::Heading => match split::atx_heading(&p.text) {
            Some((_, title)) => title,
            None => split::heading_title(p.text.lines().next().unwrap_or_default()),
        },
        _ if !p.text.contains('\n') => split::heading_title(&p.text),
        _ => p.text.clone(),
    }
}

/// Whether a line is links only (or no words at all): breadcrumbs, navigation, an empty link.
fn is_navigation(p: &Provision, key: &Key) -> bool {
    if key.is_empty() {
        return true;
    }
    if matches!(p.kind, Kind::ListItem | Kind::TableRow | Kind::Code) {
        // A list of links may be a list of sub-processors: that is content.
        return false;
    }
    static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"!?\[([^\[\]]*)\]\([^()\s]*(?:\([^()\s]*\))?[^()\s]*\)")
            .expect("static regex")
    });
    let mut links = 0;
    for c in LINK.captures_iter(&p.text) {
        links += 1;
        if Words::new(&c[1]).words.len() > NAVIGATION_LINK_WORDS {
            return false;
        }
    }
    links > 0 && Words::new(&LINK.replace_all(&p.text, " ")).words.is_empty()
}

/// The class of `old` → `new`, one provision (or a group joined) each side.
fn classify(old: &str, new: &str, restyled: bool) -> Option<Vec<Reason>> {
    let mut reasons = cosmetic::classify(old, new)?;
    if restyled {
        reasons.push(Reason::HeadingStyle);
    }
    reasons.sort();
    reasons.dedup();
    Some(reasons)
}

fn word_count(text: &str) -> usize {
    Words::new(text).words.len()
}

/// The provisions of two versions with their keys and alignment, and ids when known.
pub struct Compared<'a> {
    /// The old version's provisions.
    pub old: &'a [Provision],
    /// Their keys.
    pub old_keys: &'a [Key],
    /// The new version's provisions.
    pub new: &'a [Provision],
    /// Their keys.
    pub new_keys: &'a [Key],
    /// How they correspond.
    pub alignment: &'a Alignment,
    /// Ids of the old provisions (empty: no ids).
    pub old_ids: &'a [String],
    /// Ids of the new provisions (empty: no ids).
    pub new_ids: &'a [String],
}

/// Describes the change, provision by provision.
pub fn describe(c: &Compared<'_>, taxonomy: &Taxonomy, new_text: &str) -> ChangeSet {
    let a = c.alignment;
    let id_old = |o: usize| c.old_ids.get(o).cloned().unwrap_or_default();
    let id_new = |n: usize| c.new_ids.get(n).cloned().unwrap_or_default();

    // Groups: an old provision with the new ones split from it; a new one with the old ones
    // merged into it. A group is judged on its texts joined.
    let mut split_groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (n, from) in a.split_from.iter().enumerate() {
        if let Some(o) = from {
            split_groups.entry(*o).or_default().push(n);
        }
    }
    let mut merge_groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (o, into) in a.merged_into.iter().enumerate() {
        if let Some(n) = into {
            merge_groups.entry(*n).or_default().push(o);
        }
    }
    // Joined with a space: where the paragraph break falls is the reflow itself.
    let join = |ps: &[Provision], idx: &mut Vec<usize>| {
        idx.sort_unstable();
        idx.iter()
            .map(|&i| ps[i].text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut group_class: HashMap<(bool, usize), Option<Vec<Reason>>> = HashMap::new();
    for (&o, pieces) in &split_groups {
        if let Some(n) = a.old_to_new[o] {
            let mut idx = pieces.clone();
            idx.push(n);
            let verdict = classify(&c.old[o].text, &join(c.new, &mut idx), false).map(|mut r| {
                r.push(Reason::Reflow);
                r.sort();
                r.dedup();
                r
            });
            group_class.insert((true, o), verdict);
        }
    }
    for (&n, pieces) in &merge_groups {
        if let Some(o) = a.new_to_old[n] {
            let mut idx = pieces.clone();
            idx.push(o);
            let verdict = classify(&join(c.old, &mut idx), &c.new[n].text, false).map(|mut r| {
                r.push(Reason::Reflow);
                r.sort();
                r.dedup();
                r
            });
            group_class.insert((false, n), verdict);
        }
    }

    // Keys present on both sides: a line added or removed that repeats one of them adds nothing.
    let mut kept: HashMap<u64, usize> = HashMap::new();
    for (n, k) in c.new_keys.iter().enumerate() {
        if a.new_to_old[n].is_some() && !k.is_empty() {
            *kept.entry(k.hash).or_insert(0) += 1;
        }
    }

    let mut out: Vec<(f64, ProvisionChange)> = Vec::new();
    let verdict_to = |v: Option<Vec<Reason>>| match v {
        Some(r) => (Class::Cosmetic, r),
        None => (Class::Substantive, Vec::new()),
    };

    // New provisions: modified, moved, added.
    for n in 0..c.new.len() {
        let p = &c.new[n];
        match a.new_to_old[n] {
            Some(o) => {
                let q = &c.old[o];
                let same_text = q.text == p.text;
                if same_text && !a.moved[n] {
                    continue;
                }
                let group = group_class
                    .get(&(true, o))
                    .or_else(|| group_class.get(&(false, n)))
                    .cloned();
                let (class, mut reasons) = if same_text {
                    if a.moved_section[n] {
                        (Class::Substantive, Vec::new())
                    } else {
                        (Class::Cosmetic, vec![Reason::ParagraphOrder])
                    }
                } else {
                    let restyled = q.kind != p.kind || q.level != p.level;
                    let v = match group {
                        Some(g) => g,
                        None if restyled => classify(&body_for_style(q), &body_for_style(p), true),
                        None => classify(&q.text, &p.text, false),
                    };
                    verdict_to(v)
                };
                if !same_text && a.moved[n] && class == Class::Cosmetic && !a.moved_section[n] {
                    reasons.push(Reason::ParagraphOrder);
                    reasons.sort();
                }
                let (topics, words_changed) = if class == Class::Substantive && !same_text {
                    topics_of_edit(taxonomy, &q.text, &p.text)
                } else if class == Class::Substantive {
                    (topics_of(taxonomy, &p.text), 0)
                } else {
                    (Vec::new(), 0)
                };
                let topics = if class == Class::Substantive {
                    with_heading_topics(taxonomy, p, topics)
                } else {
                    topics
                };
                out.push((
                    n as f64,
                    ProvisionChange {
                        id: id_new(n),
                        change: if same_text {
                            ChangeKind::Moved
                        } else {
                            ChangeKind::Modified
                        },
                        class,
                        cosmetic_reasons: reasons,
                        topics: names(taxonomy, &topics),
                        heading_path: p.heading_path.clone(),
                        before: Some(q.text.clone()),
                        after: Some(p.text.clone()),
                        diff: (!same_text).then(|| word_diff(&q.text, &p.text)),
                        moved: !same_text && a.moved[n],
                        split_from: None,
                        merged_into: None,
                        words_changed,
                        old_index: Some(o),
                        new_index: Some(n),
                    },
                ));
            }
            None => {
                let key = &c.new_keys[n];
                let (class, reasons) = if let Some(o) = a.split_from[n] {
                    verdict_to(group_class.get(&(true, o)).cloned().flatten())
                } else if is_navigation(p, key) {
                    (Class::Cosmetic, vec![Reason::Navigation])
                } else if kept.contains_key(&key.hash) {
                    (Class::Cosmetic, vec![Reason::RepeatedText])
                } else {
                    (Class::Substantive, Vec::new())
                };
                let topics = if class == Class::Substantive {
                    with_heading_topics(taxonomy, p, topics_of(taxonomy, &p.text))
                } else {
                    Vec::new()
                };
                out.push((
                    n as f64,
                    ProvisionChange {
                        id: id_new(n),
                        change: ChangeKind::Added,
                        class,
                        cosmetic_reasons: reasons,
                        topics: names(taxonomy, &topics),
                        heading_path: p.heading_path.clone(),
                        before: None,
                        after: Some(p.text.clone()),
                        diff: None,
                        moved: false,
                        split_from: a.split_from[n].map(id_old),
                        merged_into: None,
                        words_changed: word_count(&p.text),
                        old_index: None,
                        new_index: Some(n),
                    },
                ));
            }
        }
    }

    // Old provisions gone: removed (placed just after the new partner of the old one before).
    let mut anchor = -0.5;
    for o in 0..c.old.len() {
        if let Some(n) = a.old_to_new[o] {
            anchor = n as f64;
            continue;
        }
        let q = &c.old[o];
        let key = &c.old_keys[o];
        let (class, reasons) = if let Some(n) = a.merged_into[o] {
            verdict_to(group_class.get(&(false, n)).cloned().flatten())
        } else if is_navigation(q, key) {
            (Class::Cosmetic, vec![Reason::Navigation])
        } else if kept.contains_key(&key.hash) {
            (Class::Cosmetic, vec![Reason::RepeatedText])
        } else {
            (Class::Substantive, Vec::new())
        };
        let topics = if class == Class::Substantive {
            with_heading_topics(taxonomy, q, topics_of(taxonomy, &q.text))
        } else {
            Vec::new()
        };
        out.push((
            anchor + 0.5,
            ProvisionChange {
                id: id_old(o),
                change: ChangeKind::Removed,
                class,
                cosmetic_reasons: reasons,
                topics: names(taxonomy, &topics),
                heading_path: q.heading_path.clone(),
                before: Some(q.text.clone()),
                after: None,
                diff: None,
                moved: false,
                split_from: None,
                merged_into: a.merged_into[o].map(id_new),
                words_changed: word_count(&q.text),
                old_index: Some(o),
                new_index: None,
            },
        ));
    }
    out.sort_by(|x, y| x.0.total_cmp(&y.0));
    let provisions: Vec<ProvisionChange> = out.into_iter().map(|(_, p)| p).collect();

    let substantive = provisions.iter().any(|p| p.class == Class::Substantive);
    let mut cosmetic_reasons: Vec<Reason> = if substantive {
        Vec::new()
    } else {
        provisions
            .iter()
            .flat_map(|p| p.cosmetic_reasons.iter().copied())
            .collect()
    };
    cosmetic_reasons.sort();
    cosmetic_reasons.dedup();
    let topics = taxonomy
        .topics
        .iter()
        .filter(|t| {
            provisions
                .iter()
                .any(|p| p.class == Class::Substantive && p.topics.contains(&t.name))
        })
        .map(|t| t.name.clone())
        .collect();
    ChangeSet {
        class: if substantive {
            Class::Substantive
        } else {
            Class::Cosmetic
        },
        cosmetic_reasons,
        topics,
        provisions,
        dates: dates::stated(new_text),
    }
}

/// The change from `old` (none for a first record) to `new`, without ids.
pub fn summarise(old: Option<&str>, new: &str, taxonomy: &Taxonomy) -> ChangeSet {
    let old_p = split::split(old.unwrap_or(""));
    let new_p = split::split(new);
    let old_keys: Vec<Key> = old_p.iter().map(Key::of).collect();
    let new_keys = Key::all(&new_p, &old_p, &old_keys);
    let alignment = matching::align(&old_p, &old_keys, &new_p, &new_keys);
    let mut set = describe(
        &Compared {
            old: &old_p,
            old_keys: &old_keys,
            new: &new_p,
            new_keys: &new_keys,
            alignment: &alignment,
            old_ids: &[],
            new_ids: &[],
        },
        taxonomy,
        new,
    );
    if old.is_none() {
        set.class = Class::Substantive;
        set.cosmetic_reasons.clear();
    }
    set
}

mod set;
mod weighting;
use set::fold_line;
pub use set::{ChangeKind, ChangeSet, ProvisionChange};
use weighting::{names, topics_of, topics_of_edit, with_heading_topics};

#[cfg(test)]
mod tests;
