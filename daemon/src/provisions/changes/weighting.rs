//! Topics of a changed provision weighted to its changed words (the rules in `changes.rs`'s
//! documentation): which words an edit inserted and deleted, and which topic rules they touch.

use std::collections::HashMap;
use std::time::Instant;

use similar::{Algorithm, DiffOp};

use super::DIFF_DEADLINE;
use crate::provisions::split::{Kind, Provision};
use crate::summary::topics::{self, Taxonomy};

/// At most this many changed words in a sentence, or this share of its words, make it a small
/// edit whose unchanged wording still tells what the change is about (rule (b) above).
const SMALL_EDIT_WORDS: usize = 5;
const SMALL_EDIT_SHARE: f64 = 0.25;
/// Words whose insertion or deletion alone is grammar, not meaning: an edit of only these does
/// not lend a sentence's topics to the change (it still makes the change substantive).
const FUNCTION_WORDS: &[&str] = &["a", "an", "the", "to", "of", "s"];
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
pub(super) fn topics_of(taxonomy: &Taxonomy, text: &str) -> Vec<usize> {
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
pub(super) fn topics_of_edit(taxonomy: &Taxonomy, old: &str, new: &str) -> (Vec<usize>, usize) {
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
pub(super) fn with_heading_topics(
    taxonomy: &Taxonomy,
    p: &Provision,
    mut topics: Vec<usize>,
) -> Vec<usize> {
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

pub(super) fn names(taxonomy: &Taxonomy, idx: &[usize]) -> Vec<String> {
    idx.iter()
        .map(|&i| taxonomy.topics[i].name.clone())
        .collect()
}
