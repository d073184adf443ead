//! What the reading commands say about provisions, as data: the provisions of a version with
//! their topics and dates (`termtrail provisions`), and the provisions of many documents tagged
//! with one topic (`termtrail compare`). The JSON shapes are documented in `docs/cli.md`.

use serde::{Deserialize, Serialize};

use super::lineage::{Lineage, Tracked, VersionRef};
use super::split::{Kind, Provision};
use crate::summary::topics::{self, Taxonomy};

/// A version as people cite it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionCite {
    /// The version commit.
    pub commit: String,
    /// Its date, RFC 3339.
    pub date: String,
}

impl From<&VersionRef> for VersionCite {
    fn from(v: &VersionRef) -> Self {
        Self {
            commit: v.commit.clone(),
            date: rfc3339(v.time),
        }
    }
}

/// Unix seconds as RFC 3339 (UTC).
pub fn rfc3339(secs: i64) -> String {
    crate::time_fmt::rfc3339(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64),
    )
}

/// The topics a provision is about: those of its own words; a list item or table row also
/// takes its heading's (an entry is about what its heading says).
pub fn provision_topics(taxonomy: &Taxonomy, p: &Provision) -> Vec<String> {
    let mut words = topics::words_of(&p.text);
    if matches!(p.kind, Kind::ListItem | Kind::TableRow) {
        if let Some(title) = p.heading_path.last() {
            // A sentence break keeps NEAR rules from joining heading and entry words.
            let mut heading = topics::words_of(title);
            let next = words.last().map_or(0, |w| w.sentence + 1);
            for w in &mut heading {
                w.sentence += next;
            }
            words.extend(heading);
        }
    }
    let found = taxonomy.find_all(&words);
    taxonomy
        .topics
        .iter()
        .enumerate()
        .filter(|(i, _)| found.iter().any(|(t, _)| t == i))
        .map(|(_, t)| t.name.clone())
        .collect()
}

/// One provision of a version, for `termtrail provisions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionView {
    /// Stable id.
    pub id: String,
    /// `heading`, `paragraph`, `list_item`, `table_row` or `code`.
    pub kind: Kind,
    /// Headings above it.
    pub heading_path: Vec<String>,
    /// Its Markdown.
    pub text: String,
    /// Its topics.
    pub topics: Vec<String>,
    /// The version it first appeared in.
    pub first_seen: VersionCite,
    /// The last version that changed its words substantively.
    pub last_changed: VersionCite,
}

impl ProvisionView {
    /// The view of a tracked provision.
    pub fn of(t: &Tracked, taxonomy: &Taxonomy) -> Self {
        Self {
            id: t.id.clone(),
            kind: t.provision.kind,
            heading_path: t.provision.heading_path.clone(),
            text: t.provision.text.clone(),
            topics: provision_topics(taxonomy, &t.provision),
            first_seen: (&t.first_seen).into(),
            last_changed: (&t.last_changed).into(),
        }
    }
}

/// The provisions of a version, all or only those tagged `topic`.
pub fn provisions(
    lineage: &Lineage,
    taxonomy: &Taxonomy,
    topic: Option<&str>,
) -> Vec<ProvisionView> {
    lineage
        .provisions()
        .iter()
        .map(|t| ProvisionView::of(t, taxonomy))
        .filter(|v| topic.is_none_or(|t| v.topics.iter().any(|x| x == t)))
        .collect()
}

/// A provision in a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparedProvision {
    /// Stable id.
    pub id: String,
    /// Headings above it.
    pub heading_path: Vec<String>,
    /// Its Markdown.
    pub text: String,
    /// Date (RFC 3339) of the last version that changed it substantively.
    pub last_changed: String,
}

/// One document in a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparedDocument {
    /// Document kind slug.
    pub kind: String,
    /// The version compared.
    pub commit: String,
    /// Its date, RFC 3339.
    pub version_date: String,
    /// Where it was fetched from.
    pub url: String,
    /// Its provisions tagged with the topic (headings left out: they are in the paths).
    pub provisions: Vec<ComparedProvision>,
}

/// One platform in a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparedPlatform {
    /// Platform slug.
    pub platform: String,
    /// Its documents with at least one tagged provision.
    pub documents: Vec<ComparedDocument>,
}

/// `termtrail compare --topic T`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// The topic.
    pub topic: String,
    /// The date asked for (`--at`), RFC 3339; none for the latest versions.
    pub at: Option<String>,
    /// Platforms in the order asked.
    pub platforms: Vec<ComparedPlatform>,
}

impl Comparison {
    /// An empty comparison.
    pub fn new(topic: &str, at: Option<i64>) -> Self {
        Self {
            topic: topic.to_owned(),
            at: at.map(rfc3339),
            platforms: Vec::new(),
        }
    }

    /// Adds a document's version: its provisions tagged with the topic. A document with none is
    /// left out.
    pub fn add(
        &mut self,
        platform: &str,
        kind: &str,
        url: &str,
        lineage: &Lineage,
        taxonomy: &Taxonomy,
    ) {
        let Some(version) = lineage.version() else {
            return;
        };
        let provisions: Vec<ComparedProvision> = lineage
            .provisions()
            .iter()
            .filter(|t| t.provision.kind != Kind::Heading)
            .filter(|t| provision_topics(taxonomy, &t.provision).contains(&self.topic))
            .map(|t| ComparedProvision {
                id: t.id.clone(),
                heading_path: t.provision.heading_path.clone(),
                text: t.provision.text.clone(),
                last_changed: rfc3339(t.last_changed.time),
            })
            .collect();
        if provisions.is_empty() {
            return;
        }
        let document = ComparedDocument {
            kind: kind.to_owned(),
            commit: version.commit.clone(),
            version_date: rfc3339(version.time),
            url: url.to_owned(),
            provisions,
        };
        match self.platforms.iter_mut().find(|p| p.platform == platform) {
            Some(p) => p.documents.push(document),
            None => self.platforms.push(ComparedPlatform {
                platform: platform.to_owned(),
                documents: vec![document],
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMS: &str = "# Terms\n\n## Training\n\nWe may use your chats to train our models.\n\nYou can turn off training in Settings.\n\n## Prohibited uses\n\n- Spam\n- Phishing\n\n## Fees\n\nFees are billed monthly.\n";

    #[test]
    fn only_tagged_provisions_are_compared() {
        let tax = Taxonomy::default();
        let mut l = Lineage::new("acme/terms-of-service");
        l.advance("c1", 1_700_000_000, TERMS, None);
        let mut c = Comparison::new("model-training", Some(1_700_000_100));
        c.add(
            "acme",
            "terms-of-service",
            "https://acme.example/terms",
            &l,
            &tax,
        );
        c.add(
            "acme",
            "privacy-policy",
            "https://acme.example/privacy",
            &l,
            &tax,
        );
        assert_eq!(c.platforms.len(), 1);
        assert_eq!(c.platforms[0].documents.len(), 2);
        let d = &c.platforms[0].documents[0];
        let texts: Vec<&str> = d.provisions.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "We may use your chats to train our models.",
                "You can turn off training in Settings."
            ]
        );
        assert_eq!(d.provisions[0].heading_path, ["Terms", "Training"]);
        assert_eq!(d.version_date, "2023-11-14T22:13:20Z");
        assert_eq!(c.at.as_deref(), Some("2023-11-14T22:15:00Z"));
        let json = serde_json::to_value(&c).expect("serialises");
        assert_eq!(
            json["platforms"][0]["documents"][0]["provisions"][0]["last_changed"],
            "2023-11-14T22:13:20Z"
        );
        let mut none = Comparison::new("children", None);
        none.add("acme", "terms-of-service", "u", &l, &tax);
        assert!(none.platforms.is_empty(), "no tagged provision, no entry");
    }

    #[test]
    fn entries_are_tagged_with_their_heading() {
        let tax = Taxonomy::default();
        let mut l = Lineage::new("acme/terms-of-service");
        l.advance("c1", 1, TERMS, None);
        let v = provisions(&l, &tax, Some("usage-restrictions"));
        let texts: Vec<&str> = v.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["## Prohibited uses", "- Spam", "- Phishing"]);
        let all = provisions(&l, &tax, None);
        assert_eq!(all.len(), 9);
        assert!(all
            .iter()
            .find(|p| p.text.starts_with("Fees"))
            .expect("there")
            .topics
            .is_empty());
    }
}
