//! Topics: named sets of phrase rules, with exclusions. A text touches a topic where one of its
//! rules matches and no exclusion of the topic overlaps that match.
//!
//! Rules are read on words (`provisions::words`: lower case, letters and digits, link targets
//! and markup left out, British spellings folded to American ones), so `third-party`, `Third
//! Party` and `third party` are the same two words. The rule language:
//!
//! - `word` matches the word and its plural (`word`, `words`); `word*` any word starting so;
//!   `a|b*|c` any of these, at one position;
//! - `two words` a phrase: the words next to each other (`opt out` matches "opt-out", "Opt out");
//! - `A NEAR B` (or `A NEAR/n B`, default n = 6) the phrases A and B in one sentence with at most
//!   n words between them, in either order; `A NEAR B NEAR C` chains (C near the words of A and
//!   B together).
//!
//! A topic's `exclude` rules use the same language: `minor NEAR/2 changes` keeps "minor changes"
//! out of the children topic without losing "minors".

use std::ops::Range;

use crate::provisions::words::Words;

use super::spelling;

/// Default window of `NEAR`, in words between the two phrases.
const DEFAULT_NEAR: usize = 6;

/// One word position of a phrase.
#[derive(Debug, Clone)]
struct Slot {
    /// (text, is a prefix); a literal also matches its plural in `s`.
    alternatives: Vec<(String, bool)>,
    /// The first bytes the alternatives start with (all bytes when one is empty): most words of
    /// a text fail a rule's first slot, and this answers them without comparing strings.
    first_bytes: [bool; 256],
}

impl Slot {
    fn new(alternatives: Vec<(String, bool)>) -> Self {
        let mut first_bytes = [false; 256];
        for (a, _) in &alternatives {
            match a.as_bytes().first() {
                Some(&b) => first_bytes[usize::from(b)] = true,
                None => first_bytes = [true; 256],
            }
        }
        Self {
            alternatives,
            first_bytes,
        }
    }

    fn matches(&self, word: &str) -> bool {
        let first = word.as_bytes().first().map_or(0, |&b| usize::from(b));
        if !self.first_bytes[first] && !word.is_empty() {
            return false;
        }
        self.alternatives.iter().any(|(a, prefix)| {
            if *prefix {
                word.starts_with(a.as_str())
            } else {
                word == a || word.strip_suffix('s') == Some(a.as_str())
            }
        })
    }
}

/// A compiled rule: phrases chained by NEAR windows.
#[derive(Debug, Clone)]
struct Rule {
    /// The first phrase, then (window, phrase) pairs.
    first: Vec<Slot>,
    near: Vec<(usize, Vec<Slot>)>,
}

/// Why a topic cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    /// No keywords.
    #[error("topic {0:?} has no keywords; give at least one in `keywords = [...]`")]
    NoKeywords(String),
    /// A rule is blank or has a blank part.
    #[error("topic {topic:?} has an empty rule or an empty part in {rule:?}; write words, like \"opt out\" or \"train* NEAR model*\"")]
    EmptyRule {
        /// The topic.
        topic: String,
        /// The rule as written.
        rule: String,
    },
    /// `NEAR/n` with something else than a number.
    #[error(
        "topic {topic:?}: {rule:?} has a NEAR window that is not a whole number; write NEAR/5"
    )]
    BadWindow {
        /// The topic.
        topic: String,
        /// The rule as written.
        rule: String,
    },
}

fn fold(word: &str) -> String {
    spelling::canonical(word).into_owned()
}

/// Parses one phrase: words separated by spaces (or hyphens inside a word), `|` alternatives.
fn phrase(text: &str) -> Option<Vec<Slot>> {
    let mut slots = Vec::new();
    for chunk in text.split_whitespace() {
        if chunk.contains('|') {
            let mut alternatives = Vec::new();
            for alt in chunk.split('|') {
                let (w, prefix) = match alt.strip_suffix('*') {
                    Some(w) => (w, true),
                    None => (alt, false),
                };
                let w: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
                if w.is_empty() {
                    return None;
                }
                alternatives.push((fold(&w.to_lowercase()), prefix));
            }
            slots.push(Slot::new(alternatives));
            continue;
        }
        let (body, prefix) = match chunk.strip_suffix('*') {
            Some(w) => (w, true),
            None => (chunk, false),
        };
        // `third-party`, `don't`: several words.
        let parts: Vec<&str> = body
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return None;
        }
        let last = parts.len() - 1;
        for (i, p) in parts.iter().enumerate() {
            slots.push(Slot::new(vec![(
                fold(&p.to_lowercase()),
                prefix && i == last,
            )]));
        }
    }
    (!slots.is_empty()).then_some(slots)
}

impl Rule {
    fn parse(topic: &str, text: &str) -> Result<Self, TopicError> {
        let empty = || TopicError::EmptyRule {
            topic: topic.to_owned(),
            rule: text.to_owned(),
        };
        let mut parts = Vec::new();
        let mut windows = Vec::new();
        let mut current = Vec::new();
        for token in text.split_whitespace() {
            if let Some(rest) = token.strip_prefix("NEAR") {
                let window = if rest.is_empty() {
                    DEFAULT_NEAR
                } else {
                    rest.strip_prefix('/')
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| TopicError::BadWindow {
                            topic: topic.to_owned(),
                            rule: text.to_owned(),
                        })?
                };
                parts.push(current.join(" "));
                current.clear();
                windows.push(window);
            } else {
                current.push(token);
            }
        }
        parts.push(current.join(" "));
        let mut phrases = parts.iter().map(|p| phrase(p).ok_or_else(empty));
        let first = phrases.next().ok_or_else(empty)??;
        let mut near = Vec::new();
        for (w, p) in windows.into_iter().zip(phrases) {
            near.push((w, p?));
        }
        Ok(Self { first, near })
    }

    /// Spans (word index ranges) where the phrase occurs.
    fn phrase_at(slots: &[Slot], words: &[Word]) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        if slots.len() > words.len() {
            return out;
        }
        'start: for i in 0..=words.len() - slots.len() {
            for (k, slot) in slots.iter().enumerate() {
                if !slot.matches(&words[i + k].text) {
                    continue 'start;
                }
            }
            // A phrase does not run across a sentence boundary.
            if words[i].sentence == words[i + slots.len() - 1].sentence {
                out.push(i..i + slots.len());
            }
        }
        out
    }

    fn find(&self, words: &[Word]) -> Vec<Range<usize>> {
        let mut spans = Self::phrase_at(&self.first, words);
        for (window, slots) in &self.near {
            let others = Self::phrase_at(slots, words);
            let mut next = Vec::new();
            for s in &spans {
                for o in &others {
                    let gap = if o.start >= s.end {
                        o.start - s.end
                    } else if s.start >= o.end {
                        s.start - o.end
                    } else {
                        continue;
                    };
                    if gap <= *window && words[s.start].sentence == words[o.start].sentence {
                        next.push(s.start.min(o.start)..s.end.max(o.end));
                    }
                }
            }
            spans = next;
        }
        spans.sort_by_key(|r| (r.start, r.end));
        spans.dedup();
        spans
    }
}

/// A word of a text as topic rules see it.
#[derive(Debug, Clone)]
pub struct Word {
    /// Lower case, spelling folded.
    pub text: String,
    /// Sentence number.
    pub sentence: usize,
}

/// The words of `text` as topic rules read them.
pub fn words_of(text: &str) -> Vec<Word> {
    to_rule_words(&Words::new(text))
}

/// [`Words`] as topic rules read them.
pub fn to_rule_words(words: &Words) -> Vec<Word> {
    words
        .words
        .iter()
        .map(|w| Word {
            text: fold(&w.text),
            sentence: w.sentence,
        })
        .collect()
}

/// One topic.
#[derive(Debug, Clone)]
pub struct Topic {
    /// Slug used in events and filters (`model-training`).
    pub name: String,
    /// Words for people (`Model training on user data`).
    pub label: String,
    /// The rules as configured.
    pub keywords: Vec<String>,
    /// The exclusions as configured.
    pub exclude: Vec<String>,
    rules: Vec<Rule>,
    excludes: Vec<Rule>,
}

impl Topic {
    /// Builds a topic from rules (see the module documentation), without exclusions.
    pub fn new(name: &str, label: &str, keywords: &[String]) -> Result<Self, TopicError> {
        Self::with_exclusions(name, label, keywords, &[])
    }

    /// Builds a topic from rules and exclusions.
    pub fn with_exclusions(
        name: &str,
        label: &str,
        keywords: &[String],
        exclude: &[String],
    ) -> Result<Self, TopicError> {
        if keywords.is_empty() {
            return Err(TopicError::NoKeywords(name.to_owned()));
        }
        let rules = keywords
            .iter()
            .map(|k| Rule::parse(name, k))
            .collect::<Result<_, _>>()?;
        let excludes = exclude
            .iter()
            .map(|k| Rule::parse(name, k))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            name: name.to_owned(),
            label: label.to_owned(),
            keywords: keywords.to_vec(),
            exclude: exclude.to_vec(),
            rules,
            excludes,
        })
    }

    /// Where the topic's rules match in `words` (word index ranges), exclusions removed.
    pub fn find(&self, words: &[Word]) -> Vec<Range<usize>> {
        let mut hits: Vec<Range<usize>> = self.rules.iter().flat_map(|r| r.find(words)).collect();
        if hits.is_empty() {
            return hits;
        }
        let excluded: Vec<Range<usize>> =
            self.excludes.iter().flat_map(|r| r.find(words)).collect();
        hits.retain(|h| !excluded.iter().any(|e| e.start < h.end && h.start < e.end));
        hits.sort_by_key(|r| (r.start, r.end));
        hits.dedup();
        hits
    }

    /// Whether `text` touches this topic.
    pub fn matches(&self, text: &str) -> bool {
        !self.find(&words_of(text)).is_empty()
    }
}

/// The topics in force: the default taxonomy, extended or overridden by the config.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// In order: defaults first, then the config's new topics.
    pub topics: Vec<Topic>,
}

impl Default for Taxonomy {
    fn default() -> Self {
        let owned = |list: &[&str]| {
            list.iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<String>>()
        };
        let topics = DEFAULT_TOPICS
            .iter()
            .map(|(name, label, rules, exclude)| {
                Topic::with_exclusions(name, label, &owned(rules), &owned(exclude))
                    .expect("the default topics are valid")
            })
            .collect();
        Self { topics }
    }
}

impl Taxonomy {
    /// Adds `topic`; a topic of the same name is extended: its rules and exclusions are added to
    /// the existing ones, unless `replace`.
    pub fn add(&mut self, topic: Topic, replace: bool) -> Result<(), TopicError> {
        match self.topics.iter_mut().find(|t| t.name == topic.name) {
            Some(existing) => {
                let (mut keywords, mut exclude) = if replace {
                    (Vec::new(), Vec::new())
                } else {
                    (existing.keywords.clone(), existing.exclude.clone())
                };
                keywords.extend(topic.keywords);
                exclude.extend(topic.exclude);
                let label = if topic.label.is_empty() || topic.label == topic.name {
                    existing.label.clone()
                } else {
                    topic.label
                };
                *existing =
                    Topic::with_exclusions(&existing.name.clone(), &label, &keywords, &exclude)?;
            }
            None => self.topics.push(topic),
        }
        Ok(())
    }

    /// The topic named `name`.
    pub fn get(&self, name: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.name == name)
    }

    /// The names of the topics `text` touches, in taxonomy order.
    pub fn matching(&self, text: &str) -> Vec<String> {
        let words = words_of(text);
        self.topics
            .iter()
            .filter(|t| !t.find(&words).is_empty())
            .map(|t| t.name.clone())
            .collect()
    }

    /// Every match in `words`: (topic index, word range), in taxonomy order.
    pub fn find_all(&self, words: &[Word]) -> Vec<(usize, Range<usize>)> {
        self.topics
            .iter()
            .enumerate()
            .flat_map(|(i, t)| t.find(words).into_iter().map(move |r| (i, r)))
            .collect()
    }
}

mod defaults;
pub use defaults::{DefaultTopic, DEFAULT_TOPICS};

#[cfg(test)]
mod tests;
