//! What a change on provisions is made of: what happened to each provision
//! ([`ChangeKind`]), one changed provision with its texts, class and topics
//! ([`ProvisionChange`]), and the change of a version ([`ChangeSet`]), as events and commands
//! carry them.

use serde::{Deserialize, Serialize};

use crate::provisions::dates::StatedDates;
use crate::summary::cosmetic::Reason;
use crate::summary::Class;

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

pub(super) fn fold_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…", s[..i].trim_end()),
    }
}
