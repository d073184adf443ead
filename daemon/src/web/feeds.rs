//! The web view's Atom feeds: the latest versions of the whole archive (`/feed.xml`), of a
//! platform, of a document, or of the versions whose change touched a topic; each entry is a
//! version with its class, topics and stated dates, linking to its archived page (and its diff)
//! on this view: absolute under `[web] public_url` when set, relative to the feed otherwise.

use std::collections::BTreeMap;

use atom_syndication::{Category, Entry, Feed, FixedDateTime, Generator, Link, Person, Text};
use url::Url;

use super::data::{DataError, Reader};
use super::facts::{FactsCache, VersionFacts};
use crate::archive::message::{trailer, SOURCE_URL};
use crate::archive::VersionEntry;
use crate::document::DocumentId;
use crate::summary::Taxonomy;

/// Most entries in a feed.
pub const MAX_ENTRIES: usize = 50;

/// What a feed covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every document.
    All,
    /// The documents of one platform.
    Platform(String),
    /// One document.
    Document(DocumentId),
    /// The versions whose change touched a topic.
    Topic(String),
}

impl Scope {
    fn name(&self) -> String {
        match self {
            Scope::All => "all".to_owned(),
            Scope::Platform(p) => format!("platform:{p}"),
            Scope::Document(d) => format!("document:{}", d.to_string().replace('/', ":")),
            Scope::Topic(t) => format!("topic:{t}"),
        }
    }

    fn title(&self) -> String {
        match self {
            Scope::All => "termtrail: every document".to_owned(),
            Scope::Platform(p) => format!("termtrail: {p}"),
            Scope::Document(d) => format!("termtrail: {d}"),
            Scope::Topic(t) => format!("termtrail: changes touching {t}"),
        }
    }

    fn covers(&self, doc: &DocumentId) -> bool {
        match self {
            Scope::All | Scope::Topic(_) => true,
            Scope::Platform(p) => doc.platform() == p,
            Scope::Document(d) => d == doc,
        }
    }

    /// The path of the feed on the view.
    pub fn path(&self) -> String {
        match self {
            Scope::All => "/feed.xml".to_owned(),
            Scope::Platform(p) => format!("/feed/{p}.xml"),
            Scope::Document(d) => format!("/feed/{d}.xml"),
            Scope::Topic(t) => format!("/feed/topic/{t}.xml"),
        }
    }
}

/// A path on the view: absolute under `base` when given, as is otherwise.
pub fn link(base: Option<&Url>, path: &str) -> String {
    match base {
        // `join` would drop a base path's last segment without its trailing slash.
        Some(b) => format!("{}{path}", b.as_str().trim_end_matches('/')),
        None => path.to_owned(),
    }
}

fn date(secs: i64) -> FixedDateTime {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .fixed_offset()
}

fn entry(doc: &DocumentId, v: &VersionEntry, f: &VersionFacts, base: Option<&Url>) -> Entry {
    let commit = v.commit.to_string();
    let page = link(base, &format!("/d/{doc}/{commit}"));
    let mut title = format!("{doc}: {}", f.class);
    if !f.topics.is_empty() {
        title.push_str(&format!(" ({})", f.topics.join(", ")));
    }
    let mut summary = v.summary.clone();
    if f.class != "first" {
        summary.push_str(&format!(
            ". Provisions: {} added, {} removed, {} modified, {} moved.",
            f.provisions_added, f.provisions_removed, f.provisions_modified, f.provisions_moved
        ));
    }
    if let Some(d) = &f.effective_date {
        summary.push_str(&format!(" Effective {d}."));
    }
    if let Some(d) = &f.updated_date {
        summary.push_str(&format!(" Updated {d}."));
    }
    let mut links = vec![Link {
        href: page,
        rel: "alternate".to_owned(),
        mime_type: Some("text/html".to_owned()),
        ..Link::default()
    }];
    if f.class != "first" {
        links.push(Link {
            href: link(base, &format!("/d/{doc}/diff?to={commit}")),
            rel: "related".to_owned(),
            title: Some("what changed".to_owned()),
            ..Link::default()
        });
    }
    if let Some(src) = trailer(&v.message, SOURCE_URL).filter(|u| u.starts_with("http")) {
        links.push(Link {
            href: src,
            rel: "via".to_owned(),
            title: Some("the live page".to_owned()),
            ..Link::default()
        });
    }
    Entry {
        id: format!("urn:termtrail:version:{commit}"),
        title: Text::plain(title),
        updated: date(v.time),
        summary: Some(Text::plain(summary)),
        links,
        categories: f
            .topics
            .iter()
            .map(|t| Category {
                term: t.clone(),
                ..Category::default()
            })
            .collect(),
        ..Entry::default()
    }
}

impl Reader {
    /// The feed of `scope`: its latest [`MAX_ENTRIES`] versions, newest first.
    pub fn feed(
        &self,
        scope: &Scope,
        cache: &FactsCache,
        taxonomy: &Taxonomy,
        base: Option<&Url>,
    ) -> Result<String, DataError> {
        if let Scope::Topic(t) = scope {
            super::provisions::known_topic(taxonomy, t)?;
        }
        let mut by_doc: BTreeMap<DocumentId, Vec<VersionEntry>> = BTreeMap::new();
        for v in self.history().versions(None)? {
            if let Some(doc) = v.doc.clone().filter(|d| scope.covers(d)) {
                by_doc.entry(doc).or_default().push(v);
            }
        }
        if by_doc.is_empty() && scope != &Scope::All {
            return Err(DataError::NotFound(
                "no version recorded for this feed".to_owned(),
            ));
        }
        // Candidates newest first; facts computed only for what can make the cut, except for
        // a topic, where any version may be the one that touched it.
        let mut candidates: Vec<(i64, &DocumentId, usize)> = by_doc
            .iter()
            .flat_map(|(d, vs)| vs.iter().enumerate().map(move |(i, v)| (v.time, d, i)))
            .collect();
        candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
        let history = self.history();
        let mut entries = Vec::new();
        for (_, doc, i) in candidates {
            if entries.len() == MAX_ENTRIES {
                break;
            }
            let versions = &by_doc[doc];
            let f = cache.of(&history, doc, versions, i, taxonomy)?;
            if let Scope::Topic(t) = scope {
                if !f.topics.contains(t) {
                    continue;
                }
            }
            entries.push(entry(doc, &versions[i], &f, base));
        }
        let feed = Feed {
            id: format!("urn:termtrail:web-feed:{}", scope.name()),
            title: Text::plain(scope.title()),
            updated: entries.iter().map(|e| e.updated).max().unwrap_or_default(),
            links: vec![Link {
                href: link(base, &scope.path()),
                rel: "self".to_owned(),
                ..Link::default()
            }],
            generator: Some(Generator {
                value: "termtrail".to_owned(),
                ..Generator::default()
            }),
            authors: vec![Person {
                name: "termtrail".to_owned(),
                ..Person::default()
            }],
            entries,
            ..Feed::default()
        };
        Ok(feed.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_absolute_under_a_public_url() {
        let base = Url::parse("https://terms.example.org/archive/").expect("url");
        assert_eq!(
            link(Some(&base), "/d/a/b/c"),
            "https://terms.example.org/archive/d/a/b/c"
        );
        assert_eq!(link(None, "/d/a/b/c"), "/d/a/b/c");
        let doc = DocumentId::new("acme", "terms").expect("id");
        assert!(Scope::Platform("acme".into()).covers(&doc));
        assert!(!Scope::Platform("zeta".into()).covers(&doc));
        assert_eq!(Scope::Document(doc).path(), "/feed/acme/terms.xml");
    }
}
