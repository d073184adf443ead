//! A tracked document as the config describes it, validated: its pages (URL, rules, fetch mode),
//! how its text is extracted, and how often it is checked.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use termtrail_extract::{Extractor, RuleSpec};
use url::Url;

use super::DocumentId;

/// One tracked document, validated.
#[derive(Debug, Clone)]
pub struct Document {
    /// `PLATFORM/KIND`.
    pub id: DocumentId,
    /// Human name used in commit messages.
    pub title: String,
    /// Where it is fetched from.
    pub url: Url,
    /// How its text is extracted.
    pub extraction: Extraction,
    /// Names the extraction rules in commit trailers, so a rules change can be told from a text
    /// change.
    pub extractor_id: String,
    /// Time between checks.
    pub interval: Duration,
    /// The pages the document is made of, in order (one for most documents; `url` above is the
    /// first one's). The version is their texts joined. A plugin document has one page.
    pub sources: Vec<Source>,
}

/// How a page is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchMode {
    /// A plain HTTP GET.
    Http,
    /// Rendered in headless Chromium (pages built by JavaScript).
    Browser,
}

/// One page of a document.
#[derive(Debug, Clone)]
pub struct Source {
    /// Where it is fetched from.
    pub url: Url,
    /// Its `select` / `remove` rules.
    pub extractor: Arc<Extractor>,
    /// Names the rules, as [`Document::extractor_id`].
    pub extractor_id: String,
    /// How it is fetched.
    pub fetch: FetchMode,
}

/// How a document's text is extracted.
#[derive(Debug, Clone)]
pub enum Extraction {
    /// The compiled `select` / `remove` rules.
    Declarative(Arc<Extractor>),
    /// A platform plugin (`plugin = "NAME"`), by name: the check finds it in the plugin
    /// registry (`crate::plugin::Registry`).
    Plugin(String),
}

impl Extraction {
    /// The plugin's name, for a plugin document.
    pub fn plugin(&self) -> Option<&str> {
        match self {
            Extraction::Plugin(name) => Some(name),
            Extraction::Declarative(_) => None,
        }
    }
}

/// A `[[document]]` with `plugin = "NAME"` and no `url`: its URL comes from the plugin's
/// manifest, so it becomes a [`Document`] only once the plugin is loaded.
#[derive(Debug, Clone)]
pub struct PendingDocument {
    /// `PLATFORM/KIND`.
    pub id: DocumentId,
    /// The title, if the config gives one (else the manifest's).
    pub title: Option<String>,
    /// The plugin.
    pub plugin: String,
    /// Time between checks.
    pub interval: Duration,
    /// Where it is declared, for messages.
    pub line: usize,
}

impl Source {
    /// A page without rules: zero-config extraction (or a plugin's, for plugin documents).
    pub fn plain(url: Url, fetch: FetchMode) -> Self {
        // One for every plain page of the process, as `RuleSets` does for equal rules.
        static PLAIN: std::sync::OnceLock<(Arc<Extractor>, String)> = std::sync::OnceLock::new();
        let (extractor, extractor_id) = PLAIN.get_or_init(|| {
            (
                Arc::new(Extractor::new(&[], &[]).expect("no rules always compile")),
                rules_id(&[], &[]),
            )
        });
        Self {
            url,
            extractor: extractor.clone(),
            extractor_id: extractor_id.clone(),
            fetch,
        }
    }
}

/// Hashes the rules so that commits can say which rules produced a text.
pub fn rules_id(select: &[RuleSpec], remove: &[RuleSpec]) -> String {
    let rules = serde_json::json!({ "select": select, "remove": remove });
    let digest = Sha256::digest(rules.to_string().as_bytes());
    format!(
        "termtrail-declarative/{} rules:{}",
        env!("CARGO_PKG_VERSION"),
        &hex::encode(digest)[..12]
    )
}

/// Names the rules of a document of several pages, from its pages' rule ids.
pub fn sources_id(sources: &[Source]) -> String {
    let ids: Vec<&str> = sources.iter().map(|s| s.extractor_id.as_str()).collect();
    format!(
        "termtrail-declarative/{} sources:{}",
        env!("CARGO_PKG_VERSION"),
        &hex::encode(Sha256::digest(ids.join("|").as_bytes()))[..12]
    )
}

/// The extractor id of a plugin document before its plugin is loaded (the loaded plugin's
/// `plugin:NAME/VERSION` replaces it).
pub fn plugin_id(name: &str) -> String {
    format!("plugin:{name}")
}
