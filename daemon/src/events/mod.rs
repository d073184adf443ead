//! Events: what sinks deliver. Version events (`document.added`, `document.changed`) are rebuilt
//! from git alone (the commit, its trailers, its blob and the previous version's blob), so that a
//! delivery never depends on what the process happened to have in memory: a restarted daemon
//! rebuilds exactly the event it failed to deliver. See `docs/events.md` for the schema.

pub mod provisions;
pub mod settings;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

use crate::archive::message::{self, trailer, Trailers};
use crate::document::DocumentId;
use crate::provisions::history::Replayer;
use crate::summary::{self, Class, Counts, Reason, SectionChange, Taxonomy};
use provisions::EventProvision;

/// The version of the event schema; bumped on any change that is not purely additive.
pub const SCHEMA_VERSION: u32 = 2;

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
    /// The changed provisions with their ids (schema 2): substantive ones first, at most
    /// [`provisions::MAX_PROVISIONS`].
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub provisions: Vec<EventProvision>,
    /// How many provisions changed in all (version events).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub provisions_total: Option<usize>,
    /// The date the version says it takes effect (`YYYY-MM-DD`, or `YYYY-MM`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub effective_date: Option<String>,
    /// The date the version says it was last updated or released.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub updated_date: Option<String>,
    /// The archived version on the web view, when `[web] public_url` is set (version events);
    /// `url` stays the live page it was fetched from.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version_url: Option<String>,
    /// The archived diff from the previous version on the web view (`document.changed`, when
    /// `[web] public_url` is set).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub diff_url: Option<String>,
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
    /// Replays of document histories, for provision ids; shared so that consecutive events of
    /// one document replay only the new versions.
    pub replayer: Arc<Replayer>,
    /// `[web] public_url`: version events link to the archived version and diff under it. The
    /// web view's token is never put in these links.
    pub public_url: Option<url::Url>,
}

/// A page of the web view under `base` (`/d/PLATFORM/KIND/...`).
fn web_link(base: &url::Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
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
    let mut summary = summary::summarise(old_text.as_deref(), &new_text, &ctx.taxonomy);
    // Class and topics are those of the change on provisions, with ids from the document's
    // history; sections and counts stay as locators. An unreadable history (which `git fsck`
    // would report) leaves the provisions out rather than the event.
    let change = match ctx.replayer.at(repo, &doc, Some(id), Some(&ctx.taxonomy)) {
        Ok(Some((_, Some(set)))) => Some(set),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!("{doc}: provisions of {id} left out of its event: {e}");
            None
        }
    };
    // A first record lists no provisions: every one of them is new.
    let change = change.filter(|_| old_text.is_some());
    let (listed, total) = change.as_ref().map(provisions::listed).unwrap_or_default();
    if let Some(set) = &change {
        provisions::overlay(&mut summary, set);
    }
    let stated = crate::provisions::dates::stated(&new_text);
    let effective_date = trailers
        .get(message::EFFECTIVE_DATE)
        .map(str::to_owned)
        .or(stated.effective);
    let updated_date = trailers
        .get(message::UPDATED_DATE)
        .map(str::to_owned)
        .or(stated.updated);
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
        _ => match &change {
            Some(set) => format!("{title}: {}", provisions::headline(&summary, set)),
            None => format!("{title}: {}", summary.headline()),
        },
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
        provisions: listed,
        provisions_total: change.is_some().then_some(total),
        effective_date,
        updated_date,
        version_url: ctx
            .public_url
            .as_ref()
            .map(|b| web_link(b, &format!("/d/{doc}/{id}"))),
        diff_url: ctx
            .public_url
            .as_ref()
            .filter(|_| event_type == EventType::Changed)
            .map(|b| web_link(b, &format!("/d/{doc}/diff?to={id}"))),
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
        provisions: Vec::new(),
        provisions_total: None,
        effective_date: None,
        updated_date: None,
        version_url: None,
        diff_url: None,
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
mod tests;
