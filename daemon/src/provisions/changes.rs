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

use serde::{Deserialize, Serialize};
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff};

use super::dates::{self, StatedDates};
use super::matching::{self, Alignment, Key};
use super::split::{self, Kind, Provision};
use super::words::Words;
use crate::summary::cosmetic::{self, Reason};
use crate::summary::topics::{self, Taxonomy};
use crate::summary::Class;

/// At most this many changed words in a sentence, or this share of its words, make it a small
/// edit whose unchanged wording still tells what the change is about (rule (b) above).
const SMALL_EDIT_WORDS: usize = 5;
const SMALL_EDIT_SHARE: f64 = 0.25;
/// Words whose insertion or deletion alone is grammar, not meaning: an edit of only these does
/// not lend a sentence's topics to the change (it still makes the change substantive).
const FUNCTION_WORDS: &[&str] = &["a", "an", "the", "to", "of", "s"];
/// Longest time for one word diff before a coarser (still valid) answer is taken.
const DIFF_DEADLINE: Duration = Duration::from_millis(500);
/// Longest link text, in words, for a line of links to count as navigation.
const NAVIGATION_LINK_WORDS: usize = 6;

/// What happened to a provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// New in this version.
    Added,
    /// Gone from this version.
    Removed,
    /// Other words (it may also have moved).
    Modified,
    /// Same words, another place.
    Moved,
}

impl ChangeKind {
    /// `added`, `removed`, `modified`, `moved`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Modified => "modified",
            ChangeKind::Moved => "moved",
        }
    }
}

/// One changed provision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionChange {
    /// Its stable id (see `lineage`); empty when the change was computed without a history.
    pub id: String,
    /// Added, removed, modified or moved.
    pub change: ChangeKind,
    /// Its own class.
    pub class: Class,
    /// Why it is cosmetic; empty when substantive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cosmetic_reasons: Vec<Reason>,
    /// Topics of its change (none when cosmetic).
    pub topics: Vec<String>,
    /// Headings above it (in the new version; in the old one when removed).
    pub heading_path: Vec<String>,
    /// Text before (none when added).
    pub before: Option<String>,
    /// Text after (none when removed).
    pub after: Option<String>,
    /// Word diff of a modified provision: unchanged words, `[-deleted-]` and `{+inserted+}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Also moved (a modified provision out of order or under another heading).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub moved: bool,
    /// The provision an added one was split from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_from: Option<String>,
    /// The provision a removed one was merged into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    /// Words inserted plus words deleted: how much changed, for ordering.
    pub words_changed: usize,
    /// Index in the old version's provisions.
    #[serde(skip)]
    pub old_index: Option<usize>,
    /// Index in the new version's provisions.
    #[serde(skip)]
    pub new_index: Option<usize>,
}

impl ProvisionChange {
    /// The heading path as one string.
    pub fn heading(&self) -> String {
        if self.heading_path.is_empty() {
            "(top)".to_owned()
        } else {
            self.heading_path.join(" > ")
        }
    }

    /// A one-line excerpt: the changed words in context for a modified provision, the start of
    /// the text otherwise.
    pub fn excerpt(&self, max_chars: usize) -> String {
        match (&self.before, &self.after) {
            (Some(b), Some(a)) if b != a => crate::summary::excerpt(b, a),
            (_, Some(t)) | (Some(t), None) => truncate(&fold_line(t), max_chars),
            (None, None) => String::new(),
        }
    }
}

/// The change from one version to the next, on provisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// Substantive when one provision's change is; cosmetic otherwise.
    pub class: Class,
    /// Why it is cosmetic (every reason of every provision); empty when substantive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cosmetic_reasons: Vec<Reason>,
    /// Topics of the substantive provision changes, in taxonomy order.
    pub topics: Vec<String>,
    /// The changed provisions, in document order.
    pub provisions: Vec<ProvisionChange>,
    /// The dates the new version states.
    #[serde(default, skip_serializing_if = "StatedDates::is_empty")]
    pub dates: StatedDates,
}

impl ChangeSet {
    /// The substantive provision changes, largest first, then the cosmetic ones.
    pub fn ranked(&self) -> Vec<&ProvisionChange> {
        let mut v: Vec<&ProvisionChange> = self.provisions.iter().collect();
        v.sort_by(|a, b| {
            b.class
                .cmp(&a.class)
                .then((!b.topics.is_empty()).cmp(&!a.topics.is_empty()))
                .then(b.words_changed.cmp(&a.words_changed))
        });
        v
    }

    /// How many provisions changed in each way: (added, removed, modified, moved).
    pub fn tally(&self) -> (usize, usize, usize, usize) {
        let n = |k| self.provisions.iter().filter(|p| p.change == k).count();
        (
            n(ChangeKind::Added),
            n(ChangeKind::Removed),
            n(ChangeKind::Modified),
            n(ChangeKind::Moved),
        )
    }
}

fn fold_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…", s[..i].trim_end()),
    }
}

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
    if key.words.is_empty() {
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

/// Words inserted and deleted, by index, between two word lists.
fn changed_words(old: &[topics::Word], new: &[topics::Word]) -> (Vec<bool>, Vec<bool>) {
    let o: Vec<&str> = old.iter().map(|w| w.text.as_str()).collect();
    let n: Vec<&str> = new.iter().map(|w| w.text.as_str()).collect();
    let mut del = vec![false; o.len()];
    let mut ins = vec![false; n.len()];
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &o,
        &n,
        Some(Instant::now() + DIFF_DEADLINE),
    );
    for op in ops {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => del[old_index..old_index + old_len]
                .iter_mut()
                .for_each(|d| *d = true),
            DiffOp::Insert {
                new_index, new_len, ..
            } => ins[new_index..new_index + new_len]
                .iter_mut()
                .for_each(|d| *d = true),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                del[old_index..old_index + old_len]
                    .iter_mut()
                    .for_each(|d| *d = true);
                ins[new_index..new_index + new_len]
                    .iter_mut()
                    .for_each(|d| *d = true);
            }
        }
    }
    (del, ins)
}

/// Topics (indices into the taxonomy) of a whole text.
fn topics_of(taxonomy: &Taxonomy, text: &str) -> Vec<usize> {
    let words = topics::words_of(text);
    let mut t: Vec<usize> = taxonomy
        .find_all(&words)
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    t.sort_unstable();
    t.dedup();
    t
}

/// Topics of a modified provision, weighted to its changed words (see the module documentation).
fn topics_of_edit(taxonomy: &Taxonomy, old: &str, new: &str) -> (Vec<usize>, usize) {
    let ow = topics::words_of(old);
    let nw = topics::words_of(new);
    let (del, ins) = changed_words(&ow, &nw);
    let changed = del.iter().filter(|d| **d).count() + ins.iter().filter(|i| **i).count();
    let om = taxonomy.find_all(&ow);
    let nm = taxonomy.find_all(&nw);
    // How often each topic's matched wording occurs on each side.
    let wording = |words: &[topics::Word], r: &std::ops::Range<usize>| {
        words[r.clone()]
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut count_old: HashMap<(usize, String), usize> = HashMap::new();
    for (t, r) in &om {
        *count_old.entry((*t, wording(&ow, r))).or_insert(0) += 1;
    }
    let mut count_new: HashMap<(usize, String), usize> = HashMap::new();
    for (t, r) in &nm {
        *count_new.entry((*t, wording(&nw, r))).or_insert(0) += 1;
    }
    // Per sentence: (changed words that carry meaning, all words).
    let per_sentence = |words: &[topics::Word], marks: &[bool]| {
        let mut m: HashMap<usize, (usize, usize)> = HashMap::new();
        for (w, &c) in words.iter().zip(marks) {
            let e = m.entry(w.sentence).or_insert((0, 0));
            e.1 += 1;
            if c && !FUNCTION_WORDS.contains(&w.text.as_str()) {
                e.0 += 1;
            }
        }
        m
    };
    let old_edits = per_sentence(&ow, &del);
    let new_edits = per_sentence(&nw, &ins);
    let mut out = Vec::new();
    let side = |matches: &[(usize, std::ops::Range<usize>)],
                words: &[topics::Word],
                marks: &[bool],
                edits: &HashMap<usize, (usize, usize)>,
                mine: &HashMap<(usize, String), usize>,
                theirs: &HashMap<(usize, String), usize>,
                out: &mut Vec<usize>| {
        for (t, r) in matches {
            let key = (*t, wording(words, r));
            let new_wording =
                mine.get(&key).copied().unwrap_or(0) > theirs.get(&key).copied().unwrap_or(0);
            let direct = new_wording && marks[r.clone()].iter().any(|m| *m);
            let (edited, total) = edits
                .get(&words[r.start].sentence)
                .copied()
                .unwrap_or((0, 0));
            let small_edit = edited > 0
                && (edited <= SMALL_EDIT_WORDS || edited as f64 <= SMALL_EDIT_SHARE * total as f64);
            if direct || small_edit {
                out.push(*t);
            }
        }
    };
    side(&nm, &nw, &ins, &new_edits, &count_new, &count_old, &mut out);
    side(&om, &ow, &del, &old_edits, &count_old, &count_new, &mut out);
    out.sort_unstable();
    out.dedup();
    (out, changed)
}

/// Topics of a changed list item or table row: an entry (a sub-processor, a prohibited use) is
/// about what its heading says as well as its own words.
fn with_heading_topics(taxonomy: &Taxonomy, p: &Provision, mut topics: Vec<usize>) -> Vec<usize> {
    if !matches!(p.kind, Kind::ListItem | Kind::TableRow) {
        return topics;
    }
    if let Some(title) = p.heading_path.last() {
        topics.extend(topics_of(taxonomy, title));
        topics.sort_unstable();
        topics.dedup();
    }
    topics
}

fn names(taxonomy: &Taxonomy, idx: &[usize]) -> Vec<String> {
    idx.iter()
        .map(|&i| taxonomy.topics[i].name.clone())
        .collect()
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
        if a.new_to_old[n].is_some() && !k.words.is_empty() {
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
    let new_keys: Vec<Key> = new_p.iter().map(Key::of).collect();
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

#[cfg(test)]
mod tests;
