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
}

impl Slot {
    fn matches(&self, word: &str) -> bool {
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
            slots.push(Slot { alternatives });
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
            slots.push(Slot {
                alternatives: vec![(fold(&p.to_lowercase()), prefix && i == last)],
            });
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

/// A default topic: name, label, rules, exclusions.
pub type DefaultTopic = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// The default taxonomy for AI-platform policies, written from how privacy policies and terms
/// commonly word each practice (never from one document's wording).
pub const DEFAULT_TOPICS: &[DefaultTopic] = &[
    (
        "model-training",
        "Model training on user data",
        &[
            "train|trains|trained|training|retrain* NEAR/6 model|ai|algorithm*|llm|systems|technologies|technology|neural",
            "train|trains|trained|training NEAR/5 artificial intelligence",
            "train|trains|trained|training NEAR/5 machine learning",
            "use|uses|used|using NEAR/6 train|training",
            "training data|dataset*",
            "train|trains|trained|training on|with your|user|customer|personal|their",
            "train|trains|trained on",
            "opt|turn|switch|toggle|disable|stop|exclude NEAR/4 training",
            "fine tun*",
            "machine learning",
            "model training|improvement|development",
            "improve|improving|improvement|develop|developing|build|building NEAR/4 model|algorithm*|llm",
            "improve|improving|improvement|develop|developing NEAR/4 ai",
            "distillation",
        ],
        &[
            "training material*|session*|course*|program*",
            "employee|staff|personnel|security|compliance|safety|privacy training",
            "train|training NEAR/2 staff|employees|personnel|workforce|team",
        ],
    ),
    (
        "data-retention",
        "Data retention",
        &[
            "retain|retains|retained|retaining|retention",
            "as long as necessary|needed|required|reasonably|permitted|appropriate",
            "for as long as",
            "storage period*",
            "store|stores|stored|storing|keep|keeps|kept|maintain|maintains|preserve|preserved NEAR/8 day|month|year|period|until|longer|indefinitely",
            "delete|deletes|deleted|deleting|deletion|erase*|purge*|destroy*|destruction NEAR/8 day|month|year|after|within|period|automatically",
            "identif*|deidentif*|anonymi*|pseudonymi* NEAR/8 after|day|month|year",
        ],
        &[
            "retain|retains|retained|retaining NEAR/3 right|title|ownership|interest|discretion|control|counsel|attorney*",
            "you|customer|user retain",
        ],
    ),
    (
        "opt-out",
        "Opt-out and user controls",
        &[
            "opt|opts|opted|opting out|in",
            "optout|optin",
            "unsubscrib*",
            "withdraw*|revoke|revoking|revocation NEAR/4 consent|permission",
            "right to object",
            "object NEAR/4 processing",
            "your|privacy|cookie|ad|advertising choices",
            "choose whether",
            "do not sell my",
            "do not sell or share my",
            "global privacy control",
            "privacy dashboard|settings|controls|preferences",
            "data controls",
            "cookie preferences|settings",
            "consent NEAR/4 marketing|advertising|advertisement*|cookies|personali*|communications|tracking",
            "if|when|once you consent",
            "you NEAR/3 turn|switch|toggle off",
            "you can|may disable|deactivate",
            "turn|switch|toggle off",
            "change|adjust|manage|update|control NEAR/3 settings|preferences",
            "stop|stops receiving|using|sharing|processing|collecting|us",
            "right to object|restrict",
            "manage|adjust|change|update NEAR/3 preferences|consent",
        ],
        &["we|may|might|will NEAR/2 turn|switch|toggle off"],
    ),
    (
        "third-party-sharing",
        "Sharing with third parties",
        &[
            "share|shares|shared|sharing|disclose|discloses|disclosed|disclosing|disclosure|transfer|transfers|transferred|sell|sells|sold|sale|rent|pass|passes|passed|send|sends|sent NEAR/10 third part*",
            "provide|provides|provided|give|gives|given NEAR/8 third part*",
            "provide|provides|provided|give|gives|given|make|makes NEAR/8 partner|vendor|affiliate|advertiser|companies|researchers|broker",
            "merger|mergers|bankruptcy|reorganization",
            "acquisition|acquisitions|acquire|acquires NEAR/6 business|company|assets",
            "share|shares|shared|sharing|disclose|discloses|disclosed|disclosing|disclosure|transfer|transfers|transferred|sell|sells|sold|sale|rent|pass|passes|passed|send|sends|sent NEAR/10 partner|vendor|provider|affiliate|affiliated|advertiser|companies|company|entities|subsidiaries|processor|subprocessor|engine|broker",
            "third part* NEAR/6 receive*|access|obtain*|collect*|process|processes|processing",
            "partner|vendor|advertiser NEAR/6 receive*|access|obtain*|collect*|process|processes|processing",
            "affiliate|entities|group|vendor|partner|processor|subsidiaries NEAR/4 process|processes|processing",
            "use|uses|engage|engages|rely NEAR/3 third part*",
            "use|uses|engage|engages|rely NEAR/3 service providers",
            "use|uses|engage|engages|rely NEAR/3 vendor|processor|subprocessor|contractor",
            "subprocessor*",
            "sub processor*",
            "advertising|ad|marketing partners",
        ],
        &["third part* websites|sites|links|features"],
    ),
    (
        "children",
        "Children",
        &[
            "child|children|childrens|minor|kid|teen|teenager*|adolescent*|juvenile*",
            "parent|parental|guardian",
            "under the age",
            "age NEAR/2 12|13|14|15|16|17|18|19|20|21|majority",
            "under 12|13|14|15|16|17|18|19|20|21",
            "at least 12|13|14|15|16|17|18|19|20|21",
            "12|13|14|15|16|17|18|19|20|21 or older|over|above",
            "age verification|assurance|gate|gating|appropriate|estimation|check|checks|limit|requirement*|restriction*",
            "coppa",
        ],
        &[
            "minor NEAR/2 change|formatting|edit|update|wording|revision|correction|adjustment|amendment|fix|issue|bug|modification|improvement|clarification|difference|detail|role",
            "parent company|companies|entity|entities|organization|corporation",
            "12|13|14|15|16|17|18|19|20|21 day|hour|week|month|business|calendar|working|percent|gb|mb",
        ],
    ),
    (
        "law-enforcement",
        "Law-enforcement access",
        &[
            "law enforcement",
            "legal process",
            "subpoena*",
            "court order*",
            "search warrant*",
            "due process",
            "national security",
            "government|governmental|public|competent|judicial|regulatory|police|tax authorit*|agenc*|bodies|body|official NEAR/8 request|requested|order|demand|require*|investigat*|report|cooperat*|disclos*|access|inquir*",
            "government request|demand|access",
            "government|governments|authorities|regulator|regulators NEAR/6 provide|disclose|share|respond|comply|cooperate",
            "public safety",
            "lawful request|access|interception",
            "police",
        ],
        &["government issued|id|identification|ids"],
    ),
    (
        "liability-arbitration",
        "Liability and arbitration",
        &[
            "liable|liability|liabilities",
            "arbitrat*",
            "class action",
            "collective action",
            "jury trial|waiver",
            "trial by jury",
            "indemn*",
            "harmless",
            "warranty|warranties|disclaim*",
            "represent* and warrant*",
            "as available",
            "dispute|disputes",
            "governing law",
            "governed by NEAR/3 law",
            "jurisdiction",
            "venue",
            "court|courts",
            "limitation|limitations period",
            "statute of limitations",
            "damages",
            "compensat* NEAR/4 loss|losses|damage",
            "responsible|responsibility NEAR/6 loss|losses|damage|consequences|errors|omissions|harm|injury|impacts",
            "waive|waiver|waives NEAR/6 right|claim|jury|class",
            "force majeure",
            "sole|exclusive remedy",
        ],
        &["court order*", "courts NEAR/3 order|warrant"],
    ),
    (
        "content-ownership",
        "Content ownership and licensing",
        &[
            "ownership",
            "intellectual property",
            "copyright*",
            "you|customer|user|we NEAR/2 own|owns",
            "right|rights title and|or interest",
            "licen* NEAR/8 grant*|royalty|worldwide|perpetual|irrevocable|sublicens*|content|input|output|submission|feedback|material",
            "assign|assigns|assigned NEAR/6 right|title|interest",
            "proprietary|moral rights",
            "our|your|exclusive|sole property",
            "belong|belongs to you|us",
            "remain|remains yours|ours",
            "feedback NEAR/10 without compensation|obligation|restriction|payment",
            "reproduce|sublicens*|derivative works",
        ],
        &[
            "owned and|or operated|controlled",
            "licen* NEAR/4 export|release|sanction*",
            "export licen*",
        ],
    ),
    (
        "usage-restrictions",
        "Usage restrictions",
        &[
            "prohibit|prohibits|prohibited|prohibiting|prohibition*",
            "not permitted",
            "acceptable use",
            "usage|use policy|policies",
            "code of conduct",
            "community standards|guidelines",
            "misuse",
            "use|usage restriction*",
            "may|must|shall|will|should|do|does|can not use|access|upload|attempt|generate|create|post|engage|reverse|resell|distribute|scrape|circumvent|exploit|hide|remove|alter|interfere|develop|build|train|misrepresent|impersonate|imply|violate|infringe|try|mislead",
            "cannot|never use|access|upload|attempt|generate|create|post|engage|reverse|resell|distribute|scrape|circumvent|exploit|hide|remove|alter|interfere|misrepresent|impersonate|violate|infringe|try|mislead",
            "don|won|can t use|access|upload|attempt|generate|create|post|engage|reverse|resell|distribute|scrape|circumvent|exploit|hide|remove|alter|interfere|misrepresent|impersonate|violate|infringe|try|mislead",
            "suspend|suspension|terminate|termination|ban|block|disable NEAR/6 account|access",
            "violat* NEAR/6 terms|policy|policies|code|guidelines|rules|standards",
            "may only use",
            "you|user|users|customer|customers|developer|developers|licensee may|must|shall not",
            "not allowed|authorized|authorised",
            "forbidden",
            "agree not to",
            "reverse engineer*",
            "automated access|queries",
            "improper use|uses",
        ],
        &[
            "not use NEAR/4 substitute|replacement",
            "not understand|agree|accept NEAR/15 not use|access",
            "legally|lawfully prohibited|restricted",
            "prohibited|restricted by law|applicable|local",
            "unless|where|except prohibited|restricted",
            "we NEAR/2 not use|sell|share|access|train",
        ],
    ),
    (
        "changes-to-terms",
        "Changes to the terms",
        &[
            "may|will|might|can|reserve|right NEAR/4 modify|change|update|amend|revise NEAR/4 terms|policy|agreement|statement|notice|conditions",
            "modified|updated|amended|revised terms|policy|agreement|version",
            "changes|modifications|updates|amendments|revisions to these|this|the|our terms|policy|agreement|statement|conditions",
            "continued use|access|usage NEAR/12 accept*|agree*|constitute*|consent*",
            "notify|notice|inform|announce* NEAR/8 change|modification|update|amendment|revision",
            "take|takes|taking effect NEAR/8 day|posted|posting|release|notice|published",
            "effective NEAR/6 day|posted|posting",
            "from time to time NEAR/6 modify|change|update|amend|revise",
        ],
        &[
            "we ve|have updated|added|revised|clarified|changed|made|rewritten|reorganized|included",
            "change|changes|update|updates NEAR/3 services|service|features|product|products|law|laws",
        ],
    ),
];

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

#[cfg(test)]
mod tests;
