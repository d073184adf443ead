//! Events: what sinks deliver. Version events (`document.added`, `document.changed`) are rebuilt
//! from git alone (the commit, its trailers, its blob and the previous version's blob), so that a
//! delivery never depends on what the process happened to have in memory: a restarted daemon
//! rebuilds exactly the event it failed to deliver. See `docs/events.md` for the schema.

pub mod settings;

use std::collections::HashMap;
use std::path::Path;

use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

use crate::archive::message::{self, trailer, Trailers};
use crate::document::DocumentId;
use crate::summary::{self, Class, Counts, Reason, SectionChange, Taxonomy};

/// The version of the event schema; bumped on any change that is not purely additive.
pub const SCHEMA_VERSION: u32 = 1;

/// The kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// The first version of a document.
    #[serde(rename = "document.added")]
    Added,
    /// A new version of a document.
    #[serde(rename = "document.changed")]
    Changed,
    /// A document failed several checks in a row.
    #[serde(rename = "document.unavailable")]
    Unavailable,
    /// A document that was unavailable was fetched again.
    #[serde(rename = "document.recovered")]
    Recovered,
}

impl EventType {
    /// The wire name, e.g. `document.changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "document.added",
            EventType::Changed => "document.changed",
            EventType::Unavailable => "document.unavailable",
            EventType::Recovered => "document.recovered",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            EventType::Added,
            EventType::Changed,
            EventType::Unavailable,
            EventType::Recovered,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// One event, as delivered (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `document.added`, `document.changed`, `document.unavailable`, `document.recovered`.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Unique and stable across re-deliveries: receivers deduplicate on it.
    pub id: String,
    /// Platform slug.
    pub platform: String,
    /// Document kind slug.
    pub kind: String,
    /// `PLATFORM/KIND`.
    pub document: String,
    /// Human name of the document.
    pub title: String,
    /// Where it is fetched from.
    pub url: String,
    /// RFC 3339: when the version was fetched (version events), or when the alert was raised.
    pub fetched_at: String,
    /// The version commit on `main` (version events).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub commit: Option<String>,
    /// The previous version commit of this document (`document.changed`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub previous_commit: Option<String>,
    /// One line for people.
    pub headline: String,
    /// The plugin's own summary of the change, when its plugin offers one (the version commit's
    /// `Plugin-Summary:` trailer).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub plugin_summary: Option<String>,
    /// Substantive or cosmetic (version events).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub class: Option<Class>,
    /// Why the change is cosmetic.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub cosmetic_reasons: Vec<Reason>,
    /// Words and lines added and removed (version events).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub counts: Option<Counts>,
    /// Changed sections.
    #[serde(default)]
    pub sections: Vec<SectionChange>,
    /// Topics touched.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Unified diff from the previous version, cut at `events.diff_max_bytes`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub diff: Option<String>,
    /// Whether `diff` was cut.
    #[serde(default)]
    pub diff_truncated: bool,
    /// Consecutive failed checks (availability events).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub failures: Option<u32>,
    /// The last error (availability events).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

impl Event {
    /// The document id.
    pub fn doc(&self) -> Option<DocumentId> {
        DocumentId::new(&self.platform, &self.kind)
    }

    /// A commit id shortened for people.
    pub fn short_commit(&self) -> Option<&str> {
        self.commit.as_deref().map(|c| &c[..c.len().min(10)])
    }
}

/// Why an event cannot be rebuilt.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// A git read failed.
    #[error("cannot read {what} from the archive: {source}; run `git fsck` in the archive")]
    Git {
        /// What was read.
        what: &'static str,
        /// libgit2's error.
        source: git2::Error,
    },
}

fn git(what: &'static str) -> impl FnOnce(git2::Error) -> EventError {
    move |source| EventError::Git { what, source }
}

/// What building events needs besides the repository.
#[derive(Debug, Clone)]
pub struct EventContext {
    /// Topics.
    pub taxonomy: Taxonomy,
    /// Titles from the config, by `PLATFORM/KIND`; documents no longer configured fall back to
    /// their default title.
    pub titles: HashMap<String, String>,
    /// Largest unified diff carried in an event.
    pub diff_max_bytes: usize,
}

fn blob_text(repo: &Repository, commit: &git2::Commit<'_>, path: &str) -> Option<String> {
    let tree = commit.tree().ok()?;
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

/// The last commit before `commit` (first parents) that recorded `doc`.
fn previous_version(commit: &git2::Commit<'_>, doc: &str) -> Result<Option<Oid>, EventError> {
    let mut current = match commit.parent(0) {
        Ok(p) => p,
        Err(_) => return Ok(None),
    };
    loop {
        if trailer(current.message().unwrap_or_default(), message::DOCUMENT).as_deref() == Some(doc)
        {
            return Ok(Some(current.id()));
        }
        current = match current.parent(0) {
            Ok(p) => p,
            Err(_) => return Ok(None),
        };
    }
}

/// Rebuilds the event of version commit `id`; `None` when it is not a version commit (no
/// `Document:` trailer).
pub fn version_event(
    repo: &Repository,
    id: Oid,
    ctx: &EventContext,
) -> Result<Option<Event>, EventError> {
    let commit = repo.find_commit(id).map_err(git("a version commit"))?;
    let trailers = Trailers::parse(commit.message().unwrap_or_default());
    let Some(doc) = trailers
        .get(message::DOCUMENT)
        .and_then(|d| DocumentId::parse(d).ok())
    else {
        return Ok(None);
    };
    let path = doc.version_path();
    let new_text = blob_text(repo, &commit, &path).unwrap_or_default();
    // The previous text is the document's blob in the parent tree: every version commit changes
    // one document, so the parent holds its previous version (or nothing, for a first record).
    let old_text = commit
        .parent(0)
        .ok()
        .and_then(|p| blob_text(repo, &p, &path));
    let previous = if old_text.is_some() {
        previous_version(&commit, &doc.to_string())?
    } else {
        None
    };
    let summary = summary::summarise(old_text.as_deref(), &new_text, &ctx.taxonomy);
    let (diff, diff_truncated) = summary::unified_diff(
        old_text.as_deref().unwrap_or(""),
        &new_text,
        &path,
        ctx.diff_max_bytes,
    );
    let fetched_at = trailers
        .get(message::FETCHED_AT)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            crate::time_fmt::rfc3339(crate::time_fmt::from_unix(commit.time().seconds()))
        });
    let event_type = if old_text.is_some() {
        EventType::Changed
    } else {
        EventType::Added
    };
    let title = ctx
        .titles
        .get(&doc.to_string())
        .cloned()
        .unwrap_or_else(|| doc.default_title());
    let headline = match event_type {
        EventType::Added => format!("{title}: first record"),
        _ => format!("{title}: {}", summary.headline()),
    };
    Ok(Some(Event {
        event_type,
        schema_version: SCHEMA_VERSION,
        id: format!("{}:{id}", event_type.as_str()),
        platform: doc.platform().to_owned(),
        kind: doc.kind().to_owned(),
        document: doc.to_string(),
        title,
        url: trailers
            .get(message::SOURCE_URL)
            .unwrap_or_default()
            .to_owned(),
        fetched_at,
        commit: Some(id.to_string()),
        previous_commit: previous.map(|p| p.to_string()),
        headline,
        plugin_summary: trailers.get(message::PLUGIN_SUMMARY).map(str::to_owned),
        class: Some(summary.class),
        cosmetic_reasons: summary.cosmetic_reasons,
        counts: Some(summary.counts),
        sections: summary.sections,
        topics: summary.topics,
        diff: Some(diff),
        diff_truncated,
        failures: None,
        error: None,
    }))
}

/// An availability event (`document.unavailable` / `document.recovered`), built from the state.
pub fn availability_event(
    event_type: EventType,
    doc: &DocumentId,
    title: &str,
    url: &str,
    failures: u32,
    error: Option<String>,
    at: std::time::SystemTime,
) -> Event {
    let when = crate::time_fmt::rfc3339(at);
    let headline = match event_type {
        EventType::Recovered => format!("{title}: available again"),
        _ => format!("{title}: unavailable after {failures} failed checks"),
    };
    Event {
        event_type,
        schema_version: SCHEMA_VERSION,
        id: format!("{}:{doc}:{when}", event_type.as_str()),
        platform: doc.platform().to_owned(),
        kind: doc.kind().to_owned(),
        document: doc.to_string(),
        title: title.to_owned(),
        url: url.to_owned(),
        fetched_at: when,
        commit: None,
        previous_commit: None,
        headline,
        plugin_summary: None,
        class: None,
        cosmetic_reasons: Vec::new(),
        counts: None,
        sections: Vec::new(),
        topics: Vec::new(),
        diff: None,
        diff_truncated: false,
        failures: Some(failures),
        error,
    }
}

/// The availability alert due when a document's run of failures goes from `before` to `after`:
/// `document.unavailable` once, when the run reaches `threshold`; `document.recovered` once, when a
/// run that had reached it ends. Nothing otherwise, so a long outage is one alert, not one per check.
pub fn availability_transition(before: u32, after: u32, threshold: u32) -> Option<EventType> {
    if before < threshold && after >= threshold {
        Some(EventType::Unavailable)
    } else if before >= threshold && after == 0 {
        Some(EventType::Recovered)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_alert_per_outage() {
        let run = [1, 2, 3, 4, 5, 0, 0, 1, 0];
        let mut before = 0;
        let mut alerts = Vec::new();
        for after in run {
            alerts.extend(availability_transition(before, after, 3));
            before = after;
        }
        assert_eq!(alerts, [EventType::Unavailable, EventType::Recovered]);
    }

    /// Commits `text` as `doc`'s version on `main` of a bare repository, with trailers.
    fn commit(repo: &Repository, doc: &str, text: &str, extra: &str) -> Oid {
        let parent = repo
            .refname_to_id(crate::archive::MAIN)
            .ok()
            .map(|id| repo.find_commit(id).expect("parent"));
        let mut index = git2::Index::new().expect("index");
        if let Some(p) = &parent {
            index
                .read_tree(&p.tree().expect("tree"))
                .expect("read tree");
        }
        let blob = repo.blob(text.as_bytes()).expect("blob");
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: text.len() as u32,
            id: blob,
            flags: 0,
            flags_extended: 0,
            path: format!("{doc}.md").into_bytes(),
        };
        index.add(&entry).expect("add");
        let tree = repo
            .find_tree(index.write_tree_to(repo).expect("tree"))
            .expect("tree");
        let sig = git2::Signature::new("t", "t@localhost", &git2::Time::new(1_700_000_000, 0))
            .expect("sig");
        let msg = format!(
            "Update {doc}\n\nDocument: {doc}\nSource-URL: https://example.org/{doc}\nFetched-At: 2026-01-02T03:04:05Z\n{extra}"
        );
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repo.commit(
            Some(crate::archive::MAIN),
            &sig,
            &sig,
            &msg,
            &tree,
            &parents,
        )
        .expect("commit")
    }

    #[test]
    fn events_are_rebuilt_from_git_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init_bare(dir.path()).expect("init");
        let v1 = "# Policy\n\n## Retention\n\nWe keep chats for 30 days.\n";
        let a1 = commit(&repo, "acme/privacy-policy", v1, "");
        let b1 = commit(&repo, "other/terms-of-service", "# Terms\n\nBe nice.\n", "");
        let a2 = commit(&repo, "acme/privacy-policy", &v1.replace("30", "90"), "");
        let a3 = commit(
            &repo,
            "acme/privacy-policy",
            &v1.replace("30", "91"),
            "Plugin-Summary: Retention extended by one day\nChange-Class: technical\n",
        );
        let ctx = EventContext {
            taxonomy: Taxonomy::default(),
            titles: [("acme/privacy-policy".to_owned(), "ACME privacy".to_owned())].into(),
            diff_max_bytes: 10_000,
        };
        let added = version_event(&repo, a1, &ctx)
            .expect("read")
            .expect("a version");
        assert_eq!(added.event_type, EventType::Added);
        assert_eq!(added.previous_commit, None);
        assert_eq!(added.title, "ACME privacy");
        assert_eq!(added.url, "https://example.org/acme/privacy-policy");
        assert_eq!(added.fetched_at, "2026-01-02T03:04:05Z");
        let other = version_event(&repo, b1, &ctx)
            .expect("read")
            .expect("a version");
        assert_eq!(
            other.title, "Other terms of service",
            "default title for unconfigured documents"
        );
        let changed = version_event(&repo, a2, &ctx)
            .expect("read")
            .expect("a version");
        assert_eq!(changed.event_type, EventType::Changed);
        assert_eq!(
            changed.previous_commit,
            Some(a1.to_string()),
            "skips the other document's commit"
        );
        assert_eq!(changed.commit, Some(a2.to_string()));
        assert_eq!(changed.topics, ["data-retention"]);
        assert_eq!(
            changed.sections[0].excerpt,
            "We keep chats for [-30-]{+90+} days."
        );
        assert!(changed
            .diff
            .as_deref()
            .expect("diff")
            .contains("-We keep chats for 30 days.\n+We keep chats for 90 days.\n"));
        // The same commit gives the same event, every time.
        assert_eq!(version_event(&repo, a2, &ctx).expect("read"), Some(changed));
        assert_eq!(
            version_event(&repo, a3, &ctx)
                .expect("read")
                .expect("a version")
                .plugin_summary
                .as_deref(),
            Some("Retention extended by one day")
        );
        let technical = repo.find_commit(a3).expect("commit");
        assert!(message::is_technical(technical.message().expect("message")));
    }

    #[test]
    fn event_types_round_trip() {
        for t in [
            "document.added",
            "document.changed",
            "document.unavailable",
            "document.recovered",
        ] {
            assert_eq!(EventType::parse(t).map(EventType::as_str), Some(t));
        }
        assert_eq!(EventType::parse("x"), None);
    }
}
