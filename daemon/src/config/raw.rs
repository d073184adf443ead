//! The config file as written: serde structs that refuse unknown keys. Values that need checking
//! keep their `Spanned` position so that validation errors can name the line. `schema.rs` lists
//! the same keys with the type of each (a test keeps both in step).

use std::collections::BTreeMap;

use serde::Deserialize;
use termtrail_extract::RuleList;
use toml::Spanned;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub archive: RawArchive,
    #[serde(default)]
    pub schedule: RawSchedule,
    #[serde(default)]
    pub fetch: RawFetch,
    #[serde(default)]
    pub holds: RawHolds,
    #[serde(default)]
    pub browser: RawBrowser,
    #[serde(default)]
    pub extraction: RawExtraction,
    #[serde(default, rename = "document")]
    pub documents: Vec<Spanned<RawDocument>>,
    /// `[[sink]]`, `[events]`, `[topics.NAME]`: validated by `crate::sinks::config`.
    #[serde(default, rename = "sink")]
    pub sinks: Vec<Spanned<crate::sinks::config::RawSink>>,
    #[serde(default)]
    pub events: crate::sinks::config::RawEvents,
    #[serde(default)]
    pub topics: BTreeMap<String, Spanned<crate::sinks::config::RawTopic>>,
    #[serde(default)]
    pub plugins: RawPlugins,
    #[serde(default, rename = "plugin")]
    pub plugin_entries: BTreeMap<String, Spanned<RawPluginEntry>>,
}

/// `[plugins]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawPlugins {
    pub dir: Option<Spanned<String>>,
    pub track_all: Option<bool>,
    pub isolation: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
}

/// `[plugin.NAME]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawPluginEntry {
    pub path: Option<Spanned<String>>,
    pub sha256: Option<Spanned<String>>,
    pub isolation: Option<Spanned<String>>,
    pub track: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawArchive {
    pub path: Option<Spanned<String>>,
    pub author_name: Option<Spanned<String>>,
    pub author_email: Option<Spanned<String>>,
    pub fsync: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawBrowser {
    pub executable: Option<Spanned<String>>,
    pub idle_shutdown: Option<Spanned<String>>,
    pub render_timeout: Option<Spanned<String>>,
    pub fallback: Option<bool>,
}

/// `[extraction]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawExtraction {
    pub timeout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawHolds {
    pub shrink_below: Option<Spanned<f64>>,
    pub language_change: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    pub interval: Option<Spanned<String>>,
    pub jitter: Option<Spanned<f64>>,
}

/// Keys that may be set globally in `[fetch]` and per host in `[fetch.hosts."HOST"]`.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawHost {
    pub user_agent: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub max_body: Option<Spanned<String>>,
    pub per_host_concurrency: Option<Spanned<i64>>,
    pub per_host_delay: Option<Spanned<String>>,
    pub retries: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFetch {
    pub user_agent: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub max_body: Option<Spanned<String>>,
    pub per_host_concurrency: Option<Spanned<i64>>,
    pub per_host_delay: Option<Spanned<String>>,
    pub retries: Option<Spanned<i64>>,
    pub connect_timeout: Option<Spanned<String>>,
    pub max_redirects: Option<Spanned<i64>>,
    pub max_concurrency: Option<Spanned<i64>>,
    pub retry_backoff: Option<Spanned<String>>,
    pub max_retry_after: Option<Spanned<String>>,
    #[serde(default)]
    pub hosts: BTreeMap<String, Spanned<RawHost>>,
}

impl RawFetch {
    /// The keys shared with the per-host tables.
    pub fn host_keys(&self) -> RawHost {
        RawHost {
            user_agent: self.user_agent.clone(),
            timeout: self.timeout.clone(),
            max_body: self.max_body.clone(),
            per_host_concurrency: self.per_host_concurrency.clone(),
            per_host_delay: self.per_host_delay.clone(),
            retries: self.retries.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDocument {
    /// Required; optional here so that a missing one is reported with the other problems.
    pub platform: Option<Spanned<String>>,
    /// Required, as `platform`.
    pub kind: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub fetch: Option<Spanned<String>>,
    #[serde(rename = "source")]
    pub sources: Option<Vec<Spanned<RawSource>>>,
    pub plugin: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub select: Option<Spanned<RuleList>>,
    pub remove: Option<Spanned<RuleList>>,
    pub interval: Option<Spanned<String>>,
}

/// One page of a multi-page document (`[[document.source]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Required; optional here so that a missing one is reported with the other problems.
    pub url: Option<Spanned<String>>,
    pub select: Option<Spanned<RuleList>>,
    pub remove: Option<Spanned<RuleList>>,
    pub fetch: Option<Spanned<String>>,
}
