//! Topics: named lists of keywords. A changed section touches a topic when its heading path or
//! its changed text contains one of the topic's keywords.
//!
//! Matching is case-insensitive and on word boundaries: `arbitration` matches "Arbitration" but
//! not "arbitrationally"; a keyword ending in `*` is a prefix (`train*` matches "training");
//! a keyword of several words matches them with any whitespace between.

use regex::Regex;

/// One topic.
#[derive(Debug, Clone)]
pub struct Topic {
    /// Slug used in events and filters (`model-training`).
    pub name: String,
    /// Words for people (`Model training on user data`).
    pub label: String,
    /// The keywords as configured.
    pub keywords: Vec<String>,
    matcher: Regex,
}

/// Why a topic cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum TopicError {
    /// No keywords.
    #[error("topic {0:?} has no keywords; give at least one in `keywords = [...]`")]
    NoKeywords(String),
    /// A keyword is blank.
    #[error("topic {0:?} has an empty keyword; remove it")]
    EmptyKeyword(String),
}

impl Topic {
    /// Builds a topic; keywords are literal text (no regex syntax).
    pub fn new(name: &str, label: &str, keywords: &[String]) -> Result<Self, TopicError> {
        if keywords.is_empty() {
            return Err(TopicError::NoKeywords(name.to_owned()));
        }
        let mut alternatives = Vec::new();
        for k in keywords {
            let (word, prefix) = match k.trim().strip_suffix('*') {
                Some(w) => (w.trim(), true),
                None => (k.trim(), false),
            };
            if word.is_empty() {
                return Err(TopicError::EmptyKeyword(name.to_owned()));
            }
            let body = word
                .split_whitespace()
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join(r"\s+");
            // A trailing `s` is accepted so that plain plurals match; irregular ones ("parties")
            // need a prefix keyword (`third part*`).
            alternatives.push(if prefix {
                format!(r"\b{body}")
            } else {
                format!(r"\b{body}s?\b")
            });
        }
        let matcher = Regex::new(&format!("(?i)(?:{})", alternatives.join("|")))
            .expect("escaped keywords form a valid regex");
        Ok(Self {
            name: name.to_owned(),
            label: label.to_owned(),
            keywords: keywords.to_vec(),
            matcher,
        })
    }

    /// Whether `text` mentions this topic.
    pub fn matches(&self, text: &str) -> bool {
        self.matcher.is_match(text)
    }
}

/// The topics in force: the default taxonomy, extended or overridden by the config.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// In order: defaults first, then the config's new topics.
    pub topics: Vec<Topic>,
}

/// The default taxonomy for AI-platform policies: (name, label, keywords).
pub const DEFAULT_TOPICS: &[(&str, &str, &[&str])] = &[
    (
        "model-training",
        "Model training on user data",
        &[
            "train*",
            "fine-tun*",
            "machine learning",
            "improve our models",
            "improve our services",
            "model improvement",
            "develop new models",
        ],
    ),
    (
        "data-retention",
        "Data retention",
        &[
            "retain*",
            "retention",
            "delete*",
            "deletion",
            "as long as",
            "store",
            "stored",
            "storage period",
            "kept for",
            "keep your",
        ],
    ),
    (
        "opt-out",
        "Opt-out and user controls",
        &[
            "opt out",
            "opt-out",
            "opt in",
            "opt-in",
            "settings",
            "withdraw*",
            "your choices",
            "object to",
            "control*",
        ],
    ),
    (
        "third-party-sharing",
        "Sharing with third parties",
        &[
            "third part*",
            "share",
            "sharing",
            "shared",
            "disclose*",
            "service providers",
            "vendors",
            "affiliates",
            "sell*",
            "partners",
        ],
    ),
    (
        "children",
        "Children",
        &[
            "child*",
            "minor",
            "under 13",
            "under 18",
            "under the age",
            "parental",
            "guardian",
            "age of",
        ],
    ),
    (
        "law-enforcement",
        "Law-enforcement access",
        &[
            "law enforcement",
            "legal process",
            "subpoena",
            "court order",
            "government request",
            "government authorities",
            "public authorities",
            "legal request",
        ],
    ),
    (
        "liability-arbitration",
        "Liability and arbitration",
        &[
            "liabilit*",
            "liable",
            "arbitrat*",
            "class action",
            "indemn*",
            "warrant*",
            "dispute*",
            "governing law",
        ],
    ),
    (
        "content-ownership",
        "Content ownership and licensing",
        &[
            "ownership",
            "you own",
            "we own",
            "owns",
            "licen*",
            "intellectual property",
            "copyright*",
            "your content",
            "output",
            "input",
        ],
    ),
    (
        "usage-restrictions",
        "Usage restrictions",
        &[
            "prohibit*",
            "may not",
            "must not",
            "not permitted",
            "restrict*",
            "acceptable use",
            "misuse",
            "you will not",
        ],
    ),
    (
        "changes-to-terms",
        "Changes to the terms",
        &[
            "changes to",
            "update these",
            "update this",
            "modify",
            "amend*",
            "notify you",
            "effective date",
            "revise*",
            "last updated",
        ],
    ),
];

impl Default for Taxonomy {
    fn default() -> Self {
        let topics = DEFAULT_TOPICS
            .iter()
            .map(|(name, label, kw)| {
                let kw: Vec<String> = kw.iter().map(|s| (*s).to_owned()).collect();
                Topic::new(name, label, &kw).expect("the default topics are valid")
            })
            .collect();
        Self { topics }
    }
}

impl Taxonomy {
    /// Adds `topic`; a topic of the same name is extended: its keywords are added to the default
    /// ones, unless `replace`.
    pub fn add(&mut self, topic: Topic, replace: bool) -> Result<(), TopicError> {
        match self.topics.iter_mut().find(|t| t.name == topic.name) {
            Some(existing) => {
                let mut keywords = if replace {
                    Vec::new()
                } else {
                    existing.keywords.clone()
                };
                keywords.extend(topic.keywords);
                let label = if topic.label.is_empty() || topic.label == topic.name {
                    existing.label.clone()
                } else {
                    topic.label
                };
                *existing = Topic::new(&existing.name.clone(), &label, &keywords)?;
            }
            None => self.topics.push(topic),
        }
        Ok(())
    }

    /// The topic named `name`.
    pub fn get(&self, name: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.name == name)
    }

    /// The names of the topics `text` mentions, in taxonomy order.
    pub fn matching(&self, text: &str) -> Vec<String> {
        self.topics
            .iter()
            .filter(|t| t.matches(text))
            .map(|t| t.name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_taxonomy_has_the_required_topics() {
        let t = Taxonomy::default();
        for name in [
            "model-training",
            "data-retention",
            "opt-out",
            "third-party-sharing",
            "children",
            "law-enforcement",
            "liability-arbitration",
            "content-ownership",
            "usage-restrictions",
            "changes-to-terms",
        ] {
            assert!(t.get(name).is_some(), "{name}");
        }
    }

    #[test]
    fn keywords_match_on_word_boundaries() {
        let t = Taxonomy::default();
        assert_eq!(
            t.matching("We may use your chats for Training our models"),
            ["model-training"]
        );
        assert_eq!(
            t.matching("Disputes go to binding ARBITRATION."),
            ["liability-arbitration"]
        );
        assert!(
            t.matching("a storey building").is_empty(),
            "store must not match storey"
        );
        assert_eq!(
            t.matching("We work with third   parties"),
            ["third-party-sharing"]
        );
        assert_eq!(
            t.matching("Information from children under 13"),
            ["children"]
        );
    }

    #[test]
    fn config_extends_and_adds_topics() {
        let mut t = Taxonomy::default();
        let extra = Topic::new("children", "", &["teen*".to_owned()]).expect("valid");
        t.add(extra, false).expect("valid");
        assert_eq!(t.matching("teenagers"), ["children"]);
        assert_eq!(t.matching("children"), ["children"], "defaults are kept");
        let new = Topic::new(
            "biometrics",
            "Biometric data",
            &["face*".to_owned(), "voice print".to_owned()],
        )
        .expect("valid");
        t.add(new, false).expect("valid");
        assert_eq!(t.matching("your voice  prints"), ["biometrics"]);
        let replaced = Topic::new("children", "", &["kid*".to_owned()]).expect("valid");
        t.add(replaced, true).expect("valid");
        assert!(t.matching("children").is_empty());
        assert!(Topic::new("x", "", &[]).is_err());
    }
}
