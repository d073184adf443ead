//! Which provision of a new version is which provision of the previous one, by content first and
//! position second, so that a provision is followed through renumbering (`1.` → `A.1.`), heading
//! renames, restyles, moves, rewording, and a paragraph split in two or two merged into one.
//!
//! In order: (1) equal keys in order (a diff of the key sequences), (2) equal keys out of order
//! (moves), (3) similar words (Dice coefficient of word sets, at least 0.5; a candidate between
//! the same matched neighbours is preferred), (4) what is left between two matched neighbours,
//! paired in order when at least a fifth of the words are shared (a heading with a heading of
//! the same level whatever the words: a rename), (5) an unmatched provision
//! whose words lie within a matched neighbour's partner is a split (or merge) of it. A matched
//! pair out of the longest in-order run, or under another parent heading, has moved.
//!
//! A key is the provision's words, lower case, spelling variants folded, without its list
//! marker, its enumerator (`1.`, `A.1.`, `(a)`, `Section 3.`) and its markup.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use regex::Regex;
use similar::{Algorithm, DiffOp};

use super::split::{Kind, Provision};
use crate::summary::spelling;

/// Least Dice similarity for two provisions anywhere in the text to be the same one.
const SIMILAR: f64 = 0.5;
/// Least Dice similarity for two provisions left between the same matched neighbours.
const SIMILAR_IN_PLACE: f64 = 0.2;
/// Least share of a piece's words found in the whole for a split or a merge.
const CONTAINED: f64 = 0.8;
/// How far (in provisions) a split-off piece may lie from the part that kept the id.
const SPLIT_REACH: usize = 3;
/// Words found in more provisions than this are skipped when looking for candidates (they say
/// little about which provision is which, and would make the search quadratic).
const COMMON_WORD: usize = 64;
/// Candidates measured per provision in step 3.
const CANDIDATES: usize = 12;
/// Longest time for the key-sequence diff before a coarser (still valid) answer is taken.
const DIFF_DEADLINE: Duration = Duration::from_secs(1);

/// A list marker or an enumerator at the start of a provision's plain text.
static ENUMERATOR: LazyLock<Regex> = LazyLock::new(|| {
    // Each part of a number ends on a word boundary, so `4.Inputs` loses `4.`, not `4.Inp`.
    Regex::new(
        r"(?x)^\s*(?:[-+*]\s+)?
        (?:
            (?:section|article|clause|part|schedule|annex|appendix|§)\s*[0-9a-z]{1,4}(?:\.[0-9a-z]{1,4})*\b\.?(?:\s*[-–—:.])?\s+
          | \(?[0-9]{1,3}(?:\.[0-9a-z]{1,3}\b)*\.?\)\s*
          | [0-9]{1,3}(?:\.[0-9a-z]{1,3}\b)+\.?\s*
          | [0-9]{1,3}\.\s*
          | [a-z](?:\.[0-9a-z]{1,3}\b)+\.?\s*
          | [a-z][.)]\s+
          | \([a-z]{1,4}\)\s*
          | (?:[ivx]{1,5})[.)]\s+
        )",
    )
    .expect("static regex")
});

/// The words that identify a provision, for matching and for telling renumbering from rewording.
pub fn key_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    each_key_word(text, |w| out.push(w.to_owned()));
    out
}

/// [`key_words`] handed to `each` one by one, without collecting them.
fn each_key_word(text: &str, each: impl FnMut(&str)) {
    let plain = super::words::plain_text(text).to_lowercase();
    let stripped = match ENUMERATOR.find(&plain) {
        Some(m) => &plain[m.end()..],
        None => plain.as_str(),
    };
    // The words as `Words` reads them (its plain text, then runs of letters and digits), without
    // building the spans and sentences a key does not need; the text is lower case already.
    let plain = super::words::plain_text(stripped);
    let texts: Vec<&str> = plain
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    spelling::fold_each(&texts, each);
}

fn hash_word(word: &str) -> u64 {
    // SipHash with fixed keys: the same word gives the same hash in every run.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    word.hash(&mut h);
    h.finish()
}

/// A provision's key: its words as hashes (a 64-bit hash per word; a clash between two words of
/// one document is far less likely than the wording itself repeating).
#[derive(Debug, Clone)]
pub struct Key {
    /// How many key words there are (0: the provision has no words, e.g. an image).
    len: usize,
    /// A hash of the word sequence, for equality.
    pub hash: u64,
    /// The distinct words, sorted, for the set measures.
    set: Vec<u64>,
}

impl Key {
    /// The key of `p`.
    pub fn of(p: &Provision) -> Self {
        let mut words: Vec<u64> = Vec::new();
        each_key_word(&p.text, |w| words.push(hash_word(w)));
        let mut h = std::collections::hash_map::DefaultHasher::new();
        words.hash(&mut h);
        let len = words.len();
        words.sort_unstable();
        words.dedup();
        Self {
            len,
            hash: h.finish(),
            set: words,
        }
    }

    /// The keys of `ps`; a provision whose text is one of `known`'s reuses its key (most of a
    /// new version's provisions are the previous version's, word for word).
    pub fn all(ps: &[Provision], known: &[Provision], known_keys: &[Key]) -> Vec<Key> {
        let by_text: HashMap<&str, &Key> = known
            .iter()
            .zip(known_keys)
            .map(|(p, k)| (p.text.as_str(), k))
            .collect();
        ps.iter()
            .map(|p| match by_text.get(p.text.as_str()) {
                Some(k) => (*k).clone(),
                None => Key::of(p),
            })
            .collect()
    }

    /// Whether the provision has no words.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many distinct words it has.
    fn distinct(&self) -> usize {
        self.set.len()
    }

    /// How many distinct words the two keys share (a merge of two sorted lists).
    fn common(&self, other: &Key) -> usize {
        let (mut i, mut j, mut n) = (0, 0, 0);
        while i < self.set.len() && j < other.set.len() {
            match self.set[i].cmp(&other.set[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    n += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        n
    }

    /// Dice coefficient of the two word sets.
    pub fn dice(&self, other: &Key) -> f64 {
        if self.set.is_empty() || other.set.is_empty() {
            return 0.0;
        }
        2.0 * self.common(other) as f64 / (self.set.len() + other.set.len()) as f64
    }

    /// Share of this key's words found in `whole`.
    pub fn within(&self, whole: &Key) -> f64 {
        if self.set.is_empty() {
            return 0.0;
        }
        self.common(whole) as f64 / self.set.len() as f64
    }
}

/// How the provisions of two versions correspond.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alignment {
    /// For each old provision, the new one it became.
    pub old_to_new: Vec<Option<usize>>,
    /// For each new provision, the old one it was.
    pub new_to_old: Vec<Option<usize>>,
    /// For each new provision matched to an old one: whether it moved (out of the order of the
    /// others, or under another heading).
    pub moved: Vec<bool>,
    /// For each new provision matched to an old one: whether it now sits under another heading
    /// (one matched to a different old heading than its old one).
    pub moved_section: Vec<bool>,
    /// For each new provision not matched: the old provision it was split from.
    pub split_from: Vec<Option<usize>>,
    /// For each old provision not matched: the new provision it was merged into.
    pub merged_into: Vec<Option<usize>>,
}

fn pair(a: &mut Alignment, o: usize, n: usize) {
    a.old_to_new[o] = Some(n);
    a.new_to_old[n] = Some(o);
}

/// For each new index, the old partners of the nearest matched provisions before and after it:
/// the old range it most likely comes from.
fn gaps(a: &Alignment, old_len: usize) -> Vec<(usize, usize)> {
    let lo = a.new_to_old.iter().scan(0, |last, m| {
        if let Some(o) = m {
            *last = o + 1;
        }
        Some(*last)
    });
    let mut hi: Vec<usize> = a
        .new_to_old
        .iter()
        .rev()
        .scan(old_len, |next, m| {
            if let Some(o) = m {
                *next = *o;
            }
            Some(*next)
        })
        .collect();
    hi.reverse();
    lo.zip(hi).collect()
}

/// Kinds that may be the same provision restyled (a heading written as a bold paragraph, a
/// numbered paragraph turned into a list item).
fn compatible(a: Kind, b: Kind) -> bool {
    a == b || !matches!(a, Kind::TableRow | Kind::Code) && !matches!(b, Kind::TableRow | Kind::Code)
}

/// Aligns `old` with `new` (their keys precomputed with [`Key::of`]).
pub fn align(
    old: &[Provision],
    old_keys: &[Key],
    new: &[Provision],
    new_keys: &[Key],
) -> Alignment {
    let mut a = Alignment {
        old_to_new: vec![None; old.len()],
        new_to_old: vec![None; new.len()],
        moved: vec![false; new.len()],
        moved_section: vec![false; new.len()],
        split_from: vec![None; new.len()],
        merged_into: vec![None; old.len()],
    };

    // 1. Equal keys, in order; a heading only with a heading here (a title repeated as a line
    // next to its heading must not take the heading's place), restyles are found in step 2.
    let typed = |p: &Provision, k: &Key| k.hash ^ u64::from(p.kind == Kind::Heading);
    let oh: Vec<u64> = old.iter().zip(old_keys).map(|(p, k)| typed(p, k)).collect();
    let nh: Vec<u64> = new.iter().zip(new_keys).map(|(p, k)| typed(p, k)).collect();
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &oh,
        &nh,
        Some(Instant::now() + DIFF_DEADLINE),
    );
    for op in ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            for k in 0..len {
                pair(&mut a, old_index + k, new_index + k);
            }
        }
    }

    // 2. Equal keys out of order: moved provisions.
    let mut free_old: HashMap<u64, Vec<usize>> = HashMap::new();
    for (o, k) in old_keys.iter().enumerate() {
        if a.old_to_new[o].is_none() && !k.is_empty() {
            free_old.entry(k.hash).or_default().push(o);
        }
    }
    for (n, key) in new_keys.iter().enumerate() {
        if a.new_to_old[n].is_some() || key.is_empty() {
            continue;
        }
        if let Some(list) = free_old.get_mut(&key.hash) {
            if !list.is_empty() {
                // The candidate nearest in relative position.
                let rel = n as f64 / new.len().max(1) as f64;
                let best = (0..list.len())
                    .min_by(|&x, &y| {
                        let dx = (list[x] as f64 / old.len().max(1) as f64 - rel).abs();
                        let dy = (list[y] as f64 / old.len().max(1) as f64 - rel).abs();
                        dx.total_cmp(&dy)
                    })
                    .expect("the list is not empty");
                let o = list.remove(best);
                pair(&mut a, o, n);
            }
        }
    }

    // 3. Similar words anywhere, the best pairs first.
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    for (o, k) in old_keys.iter().enumerate() {
        if a.old_to_new[o].is_none() {
            for w in &k.set {
                index.entry(*w).or_default().push(o);
            }
        }
    }
    let bounds = gaps(&a, old.len());
    let mut scored: Vec<(f64, usize, usize)> = Vec::new();
    for n in 0..new.len() {
        if a.new_to_old[n].is_some() || new_keys[n].set.is_empty() {
            continue;
        }
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for w in &new_keys[n].set {
            if let Some(list) = index.get(w) {
                if list.len() <= COMMON_WORD {
                    for &o in list {
                        *counts.entry(o).or_insert(0) += 1;
                    }
                }
            }
        }
        let mut cands: Vec<(usize, usize)> = counts.into_iter().collect();
        cands.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        for (o, _) in cands.into_iter().take(CANDIDATES) {
            if !compatible(old[o].kind, new[n].kind) {
                continue;
            }
            let d = new_keys[n].dice(&old_keys[o]);
            if d >= SIMILAR {
                let (lo, hi) = bounds[n];
                let in_place = (lo..hi).contains(&o);
                scored.push((d + if in_place { 0.1 } else { 0.0 }, o, n));
            }
        }
    }
    scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.2.cmp(&y.2)).then(x.1.cmp(&y.1)));
    for (_, o, n) in scored {
        if a.old_to_new[o].is_none() && a.new_to_old[n].is_none() {
            pair(&mut a, o, n);
        }
    }

    // 4. What is left between the same matched neighbours, in order.
    let bounds = gaps(&a, old.len());
    let mut n = 0;
    while n < new.len() {
        if a.new_to_old[n].is_some() {
            n += 1;
            continue;
        }
        let (lo, hi) = bounds[n];
        let mut next_old = lo;
        // Walk this run of unmatched new provisions (they share the same bounds).
        while n < new.len() && a.new_to_old[n].is_none() && bounds[n] == (lo, hi) {
            // A heading in the place of a heading of the same level is that heading renamed,
            // whatever its words.
            let renamed = |o: usize| {
                new[n].kind == Kind::Heading
                    && old[o].kind == Kind::Heading
                    && old[o].level == new[n].level
            };
            if let Some(o) = (next_old..hi).find(|&o| {
                a.old_to_new[o].is_none()
                    && compatible(old[o].kind, new[n].kind)
                    && (new_keys[n].dice(&old_keys[o]) >= SIMILAR_IN_PLACE || renamed(o))
            }) {
                pair(&mut a, o, n);
                next_old = o + 1;
            }
            n += 1;
        }
    }

    // 5. Splits and merges next to a matched provision.
    for n in 0..new.len() {
        if a.new_to_old[n].is_some() || new_keys[n].distinct() < 3 {
            continue;
        }
        let near = n.saturating_sub(SPLIT_REACH)..(n + SPLIT_REACH + 1).min(new.len());
        // A piece of the old provision that its partner does not already hold (else it is a
        // repeat, not a piece).
        let from = near
            .filter_map(|m| a.new_to_old[m].map(|o| (m, o)))
            .find(|&(m, o)| {
                new_keys[n].within(&old_keys[o]) >= CONTAINED
                    && new_keys[n].within(&new_keys[m]) < CONTAINED
            })
            .map(|(_, o)| o);
        a.split_from[n] = from;
    }
    for o in 0..old.len() {
        if a.old_to_new[o].is_some() || old_keys[o].distinct() < 3 {
            continue;
        }
        let near = o.saturating_sub(SPLIT_REACH)..(o + SPLIT_REACH + 1).min(old.len());
        let into = near
            .filter_map(|m| a.old_to_new[m].map(|n| (m, n)))
            .find(|&(m, n)| {
                old_keys[o].within(&new_keys[n]) >= CONTAINED
                    && old_keys[o].within(&old_keys[m]) < CONTAINED
            })
            .map(|(_, n)| n);
        a.merged_into[o] = into;
    }

    // Moves: pairs outside the longest run in order, or under another parent heading.
    let pairs: Vec<(usize, usize)> = a
        .old_to_new
        .iter()
        .enumerate()
        .filter_map(|(o, n)| n.map(|n| (o, n)))
        .collect();
    // A heading stands for its section: keeping it in place outweighs keeping one paragraph.
    let weights: Vec<u32> = pairs
        .iter()
        .map(|&(_, n)| if new[n].kind == Kind::Heading { 8 } else { 1 })
        .collect();
    let in_order =
        heaviest_increasing(&pairs.iter().map(|&(_, n)| n).collect::<Vec<_>>(), &weights);
    for (i, &(_, n)) in pairs.iter().enumerate() {
        if !in_order[i] {
            a.moved[n] = true;
        }
    }
    let old_parent = parents(old);
    let new_parent = parents(new);
    for &(o, n) in &pairs {
        if let (Some(op), Some(np)) = (old_parent[o], new_parent[n]) {
            let heading_partner = a.old_to_new[op].filter(|&m| new[m].kind == Kind::Heading);
            if heading_partner.is_some_and(|m| m != np) {
                a.moved[n] = true;
                a.moved_section[n] = true;
            }
        }
    }
    a
}

/// For each provision, the index of the heading it sits under (for a heading, its parent).
fn parents(ps: &[Provision]) -> Vec<Option<usize>> {
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut out = Vec::with_capacity(ps.len());
    for (i, p) in ps.iter().enumerate() {
        if p.kind == Kind::Heading && p.level > 0 {
            while stack.last().is_some_and(|(l, _)| *l >= p.level) {
                stack.pop();
            }
            out.push(stack.last().map(|&(_, j)| j));
            // A date heading names nothing under it (see `split`).
            let named = !super::dates::is_date_line(&p.text);
            if named {
                stack.push((p.level, i));
            }
        } else {
            out.push(stack.last().map(|&(_, j)| j));
        }
    }
    out
}

/// Marks the elements of one heaviest strictly increasing subsequence of `xs` (`weights[i]` is
/// the weight of `xs[i]`): the pairs that stayed in order. O(n log n) with a Fenwick tree of
/// the best chain ending at or below each value.
fn heaviest_increasing(xs: &[usize], weights: &[u32]) -> Vec<bool> {
    let size = xs.iter().max().map_or(0, |m| m + 1);
    // tree[i]: (best weight, index in xs) over a range of values.
    let mut tree: Vec<(u64, Option<usize>)> = vec![(0, None); size + 1];
    let mut prev: Vec<Option<usize>> = vec![None; xs.len()];
    let mut best: (u64, Option<usize>) = (0, None);
    for (i, &x) in xs.iter().enumerate() {
        // Best chain over values < x.
        let mut q = (0u64, None);
        let mut j = x;
        while j > 0 {
            if tree[j].0 > q.0 {
                q = tree[j];
            }
            j &= j - 1;
        }
        prev[i] = q.1;
        let here = (q.0 + u64::from(weights[i]), Some(i));
        if here.0 > best.0 {
            best = here;
        }
        let mut j = x + 1;
        while j <= size {
            if here.0 > tree[j].0 {
                tree[j] = here;
            }
            j += j & j.wrapping_neg();
        }
    }
    let mut keep = vec![false; xs.len()];
    let mut cur = best.1;
    while let Some(i) = cur {
        keep[i] = true;
        cur = prev[i];
    }
    keep
}

#[cfg(test)]
mod tests;
