//! `[topics.NAME]`: the tables as written (serde, unknown keys refused), their keys, and their
//! validation into the [`Taxonomy`] (the default topics with the config's applied).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Taxonomy, Topic};
use crate::diagnostics::keys::{Key, Shape as S};
use crate::diagnostics::Diagnostics;
use crate::document::is_slug;

/// `[topics.NAME]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    pub label: Option<String>,
    /// Required; optional here so that a missing one is reported with the other problems.
    pub keywords: Option<Vec<String>>,
    /// Rules whose matches cancel the keywords' matches they overlap.
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub replace: bool,
}

/// The keys of a `[topics.NAME]` table.
pub const KEYS: &[Key] = &[
    ("label", S::Text),
    ("keywords", S::Texts),
    ("exclude", S::Texts),
    ("replace", S::Bool),
];

/// Validates the `[topics.NAME]` tables into the taxonomy.
pub fn validate(
    raw_topics: &BTreeMap<String, Spanned<RawTopic>>,
    d: &mut Diagnostics<'_>,
) -> Taxonomy {
    let mut taxonomy = Taxonomy::default();
    for (name, t) in raw_topics {
        let key = format!("topics.{name}");
        if !is_slug(name) {
            d.push(
                Some(t.span()),
                key,
                format!("{name:?} is not a slug; expected e.g. \"biometric-data\""),
            );
            continue;
        }
        let raw = t.get_ref();
        let Some(keywords) = &raw.keywords else {
            d.push(
                Some(t.span()),
                format!("{key}.keywords"),
                "missing; give keywords = [\"biometric*\", \"face scan\"]",
            );
            continue;
        };
        let label = raw.label.as_deref().unwrap_or(name);
        match Topic::with_exclusions(name, label, keywords, &raw.exclude) {
            Ok(topic) => {
                if let Err(e) = taxonomy.add(topic, raw.replace) {
                    d.push(Some(t.span()), key, e);
                }
            }
            Err(e) => d.push(Some(t.span()), format!("{key}.keywords"), e),
        }
    }
    taxonomy
}
