//! The provisions a version event carries (schema v2): each changed provision with its id, what
//! happened to it, its class and topics, and short before/after excerpts; substantive changes
//! first, at most [`MAX_PROVISIONS`] of them.

use serde::{Deserialize, Serialize};

use crate::provisions::{ChangeKind, ChangeSet, ProvisionChange};
use crate::summary::{Class, Reason, Summary};

/// Most provisions listed in one event; `provisions_total` says how many changed.
pub const MAX_PROVISIONS: usize = 40;
/// Longest before/after excerpt, in characters.
pub const EXCERPT_CHARS: usize = 600;

/// One changed provision in an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventProvision {
    /// Stable id (see `termtrail provisions`, `termtrail log --provision`).
    pub id: String,
    /// `added`, `removed`, `modified` or `moved`.
    pub change: ChangeKind,
    /// Its own class.
    pub class: Class,
    /// Why it is cosmetic.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cosmetic_reasons: Vec<Reason>,
    /// Its topics.
    pub topics: Vec<String>,
    /// Headings above it.
    pub heading_path: Vec<String>,
    /// Its text before, cut to [`EXCERPT_CHARS`] (none when added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Its text after, cut likewise (none when removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// For a modification: the changed words in context, `[-deleted-]{+inserted+}`, cut likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl EventProvision {
    /// The heading path as one string.
    pub fn heading(&self) -> String {
        if self.heading_path.is_empty() {
            "(top)".to_owned()
        } else {
            self.heading_path.join(" > ")
        }
    }
}

/// Cuts `s` (whitespace folded) to `max` characters, with `…`.
pub fn cut(s: &str, max: usize) -> String {
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(max) {
        None => folded,
        Some((i, _)) => format!("{}…", folded[..i].trim_end()),
    }
}

/// Cuts a marked word diff like [`cut`], closing a `[-…` or `{+…` run the cut left open, so that
/// readers of the markers (chat lines, HTML) never see a marker as text.
pub fn cut_marked(s: &str, max: usize) -> String {
    let cut = cut(s, max);
    let Some(body) = cut.strip_suffix('…') else {
        return cut;
    };
    let last = |pat: &str| body.rfind(pat);
    let open = [("[-", "-]"), ("{+", "+}")]
        .into_iter()
        .filter(|(o, c)| last(o).is_some_and(|i| last(c).is_none_or(|j| j < i)))
        .max_by_key(|(o, _)| last(o));
    match open {
        Some((_, close)) => format!("{body}{close}…"),
        None => cut,
    }
}

fn of(p: &ProvisionChange) -> EventProvision {
    EventProvision {
        id: p.id.clone(),
        change: p.change,
        class: p.class,
        cosmetic_reasons: p.cosmetic_reasons.clone(),
        topics: p.topics.clone(),
        heading_path: p.heading_path.clone(),
        before: p.before.as_deref().map(|t| cut(t, EXCERPT_CHARS)),
        after: p.after.as_deref().map(|t| cut(t, EXCERPT_CHARS)),
        diff: (p.change == ChangeKind::Modified)
            .then(|| cut_marked(&p.excerpt(EXCERPT_CHARS), EXCERPT_CHARS)),
    }
}

/// The provisions of a change as an event lists them: substantive ones first (those with
/// topics, then the largest), then cosmetic ones; at most [`MAX_PROVISIONS`]. Returns them with
/// the number that changed in all.
pub fn listed(set: &ChangeSet) -> (Vec<EventProvision>, usize) {
    let ranked = set.ranked();
    let total = ranked.len();
    (
        ranked.into_iter().take(MAX_PROVISIONS).map(of).collect(),
        total,
    )
}

/// The event's one line when the change is known provision by provision: class, provisions
/// changed by kind, topics (`substantive: provision(s) 2 modified, 1 added; topics: …`).
pub fn headline(summary: &Summary, set: &ChangeSet) -> String {
    use crate::provisions::changes::ChangeKind;
    let counts: Vec<(usize, &str)> = [
        ChangeKind::Modified,
        ChangeKind::Added,
        ChangeKind::Removed,
        ChangeKind::Moved,
    ]
    .into_iter()
    .map(|kind| {
        let n = set.provisions.iter().filter(|p| p.change == kind).count();
        (n, kind.as_str())
    })
    .collect();
    summary.headline_counting("provision(s)", &counts)
}

/// Puts the class, cosmetic reasons and topics of the change on provisions into the summary on
/// sections, whose sections and counts stay: what an event and `log --summary` say.
pub fn overlay(summary: &mut Summary, set: &ChangeSet) {
    summary.class = set.class;
    summary.cosmetic_reasons = set.cosmetic_reasons.clone();
    summary.topics = set.topics.clone();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Taxonomy;

    #[test]
    fn substantive_first_and_capped() {
        let mut old = String::from("# Terms\n\n");
        for i in 0..60 {
            old.push_str(&format!(
                "{i}. Clause number {i} says something about item {i}.\n\n"
            ));
        }
        old.push_str("We keep chats for 30 days.\n");
        // Renumber everything (cosmetic) and change the retention period (substantive).
        let mut new = String::from("# Terms\n\n");
        for i in 0..60 {
            new.push_str(&format!(
                "A.{i}. Clause number {i} says something about item {i}.\n\n"
            ));
        }
        new.push_str("We keep chats for 90 days.\n");
        let set = crate::provisions::changes::summarise(Some(&old), &new, &Taxonomy::default());
        let (list, total) = listed(&set);
        assert_eq!(total, 61);
        assert_eq!(list.len(), MAX_PROVISIONS);
        assert_eq!(list[0].class, Class::Substantive);
        assert_eq!(list[0].topics, ["data-retention"]);
        assert_eq!(
            list[0].diff.as_deref(),
            Some("We keep chats for [-30-]{+90+} days.")
        );
        assert!(list[1..].iter().all(|p| p.class == Class::Cosmetic));
        assert_eq!(cut("a  b\nc", 3), "a b…");
        // A run the cut leaves open is closed; a closed one is left alone.
        assert_eq!(cut_marked("a {+bcdef+} g", 6), "a {+bc+}…");
        assert_eq!(cut_marked("a [-bcdef-] g", 6), "a [-bc-]…");
        assert_eq!(cut_marked("[-a-]{+b+} cdef", 12), "[-a-]{+b+} c…");
        assert_eq!(cut_marked("short", 12), "short");
    }

    #[test]
    fn headline_counts_provisions_by_kind() {
        let old = "# Terms\n\nWe keep chats for 30 days.\n\nWe sell nothing.\n\nContact us.\n";
        let new =
            "# Terms\n\nWe keep chats for 90 days.\n\nContact us.\n\nWe train models on chats.\n";
        let taxonomy = Taxonomy::default();
        let set = crate::provisions::changes::summarise(Some(old), new, &taxonomy);
        let mut summary = crate::summary::summarise(Some(old), new, &taxonomy);
        // On sections, the one section counts once, whatever changed inside it.
        assert!(
            summary.headline().contains("section(s) 1 modified"),
            "{}",
            summary.headline()
        );
        overlay(&mut summary, &set);
        let line = headline(&summary, &set);
        assert!(
            line.starts_with("substantive: provision(s) 1 modified, 1 added, 1 removed; topics: "),
            "{line}"
        );
    }
}
