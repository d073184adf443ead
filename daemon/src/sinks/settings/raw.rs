//! `[[sink]]` as written (serde, unknown keys refused), its keys, and which keys each type takes.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::keys::{Key, Shape as S};

/// `[[sink]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSink {
    /// Required; optional here so that a missing one is reported with the other problems.
    pub name: Option<Spanned<String>>,
    /// Required, as `name`.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    #[serde(default)]
    pub platforms: Vec<String>,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub topics: Vec<Spanned<String>>,
    pub min_class: Option<Spanned<String>>,
    pub events: Option<Vec<Spanned<String>>>,
    pub start: Option<Spanned<String>>,
    pub include_technical: Option<bool>,
    pub retry_max: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    // stdout
    pub format: Option<Spanned<String>>,
    // jsonl, atom
    pub path: Option<Spanned<String>>,
    // atom
    pub max_entries: Option<Spanned<i64>>,
    pub title: Option<Spanned<String>>,
    // webhook, slack, discord
    pub url: Option<Spanned<String>>,
    pub secret: Option<Spanned<String>>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    // email
    pub smtp_host: Option<Spanned<String>>,
    pub smtp_port: Option<Spanned<i64>>,
    pub tls: Option<Spanned<String>>,
    pub username: Option<String>,
    pub password: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<Vec<String>>>,
    pub tls_ca: Option<Spanned<String>>,
    // exec
    pub command: Option<Spanned<Vec<String>>>,
}

/// The keys of a `[[sink]]` table.
pub const KEYS: &[Key] = &[
    ("name", S::Text),
    ("type", S::Text),
    ("platforms", S::Texts),
    ("kinds", S::Texts),
    ("topics", S::Texts),
    ("min_class", S::Text),
    ("events", S::Texts),
    ("start", S::Text),
    ("include_technical", S::Bool),
    ("retry_max", S::Duration),
    ("timeout", S::Duration),
    ("format", S::Text),
    ("path", S::Text),
    ("max_entries", S::Integer),
    ("title", S::Text),
    ("url", S::Text),
    ("secret", S::Text),
    ("headers", S::TextMap),
    ("smtp_host", S::Text),
    ("smtp_port", S::Integer),
    ("tls", S::Text),
    ("username", S::Text),
    ("password", S::Text),
    ("from", S::Text),
    ("to", S::Texts),
    ("tls_ca", S::Text),
    ("command", S::Texts),
];

/// The sink types.
pub const TYPES: &[&str] = &[
    "stdout", "jsonl", "webhook", "slack", "discord", "email", "atom", "exec",
];

/// Which optional keys each type takes (besides the common ones).
pub fn allowed(kind: &str) -> &'static [&'static str] {
    match kind {
        "stdout" => &["format"],
        "jsonl" => &["path"],
        "webhook" => &["url", "secret", "headers"],
        "slack" | "discord" => &["url"],
        "email" => &[
            "smtp_host",
            "smtp_port",
            "tls",
            "username",
            "password",
            "from",
            "to",
            "tls_ca",
        ],
        "atom" => &["path", "max_entries", "title"],
        "exec" => &["command"],
        _ => &[],
    }
}
