//! `[fetch]` and `[fetch.hosts."HOST"]`: the section as written (serde, unknown keys refused),
//! its keys, and its validation into [`FetchSettings`] with per-host overrides.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::keys::{join, Key, Shape as S};
use crate::diagnostics::Diagnostics;

/// Settings that may differ per host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostSettings {
    /// The `User-Agent` sent.
    pub user_agent: String,
    /// Total time for one request, body included.
    pub timeout: Duration,
    /// Largest body accepted; a larger one is an error for that document.
    pub max_body: u64,
    /// Requests in flight to one host at most.
    pub per_host_concurrency: usize,
    /// Minimum time between the starts of two requests to one host.
    pub per_host_delay: Duration,
    /// Extra attempts after a timeout, a connection error, a 5xx or a 429.
    pub retries: u32,
}

impl Default for HostSettings {
    fn default() -> Self {
        Self {
            user_agent: format!(
                "termtrail/{} (+https://example.org/termtrail; policy archiver)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout: Duration::from_secs(30),
            max_body: 20_000_000,
            per_host_concurrency: 2,
            per_host_delay: Duration::from_millis(500),
            retries: 2,
        }
    }
}

/// `[fetch]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchSettings {
    /// Defaults for every host.
    pub defaults: HostSettings,
    /// Overrides by host name (as in the URL, without port).
    pub hosts: HashMap<String, HostSettings>,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Documents fetched at once across all hosts.
    pub max_concurrency: usize,
    /// First retry delay; doubled at each attempt, with jitter.
    pub retry_backoff: Duration,
    /// Longest `Retry-After` honoured; a longer one fails the fetch for this cycle.
    pub max_retry_after: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            defaults: HostSettings::default(),
            hosts: HashMap::new(),
            connect_timeout: Duration::from_secs(10),
            max_redirects: 10,
            max_concurrency: 32,
            retry_backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl FetchSettings {
    /// The settings in force for `host`.
    pub fn for_host(&self, host: &str) -> &HostSettings {
        self.hosts.get(host).unwrap_or(&self.defaults)
    }
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

/// `[fetch]` as written.
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
    fn host_keys(&self) -> RawHost {
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

/// The keys a `[fetch.hosts."HOST"]` table may set, and `[fetch]` too.
pub const HOST_KEYS: &[Key] = &[
    ("user_agent", S::Text),
    ("timeout", S::Duration),
    ("max_body", S::Size),
    ("per_host_concurrency", S::Integer),
    ("per_host_delay", S::Duration),
    ("retries", S::Integer),
];

/// The keys of `[fetch]`.
pub const KEYS: &[Key] = &[
    ("user_agent", S::Text),
    ("timeout", S::Duration),
    ("max_body", S::Size),
    ("per_host_concurrency", S::Integer),
    ("per_host_delay", S::Duration),
    ("retries", S::Integer),
    ("connect_timeout", S::Duration),
    ("max_redirects", S::Integer),
    ("max_concurrency", S::Integer),
    ("retry_backoff", S::Duration),
    ("max_retry_after", S::Duration),
    (
        "hosts",
        S::Named(HOST_KEYS, "[fetch.hosts.\"example.org\"]"),
    ),
];

/// Validates `[fetch]` and its host tables (which inherit what they do not set).
pub fn validate(f: &RawFetch, d: &mut Diagnostics<'_>) -> FetchSettings {
    let fetch_defaults = FetchSettings::default();
    let defaults = host(d, &f.host_keys(), "fetch.", &fetch_defaults.defaults);
    let mut hosts = HashMap::new();
    for (name, table) in &f.hosts {
        let host_key = join("fetch.hosts", name);
        if name.is_empty() || name.contains(['/', ':', ' ']) {
            d.push(
                Some(table.span()),
                host_key.clone(),
                "expected a host name such as \"example.org\" (no scheme, port or path)",
            );
        }
        let settings = host(d, table.get_ref(), &format!("{host_key}."), &defaults);
        hosts.insert(name.to_ascii_lowercase(), settings);
    }
    FetchSettings {
        defaults,
        hosts,
        connect_timeout: d.duration(
            &f.connect_timeout,
            "fetch.connect_timeout",
            fetch_defaults.connect_timeout,
        ),
        max_redirects: d.count(
            &f.max_redirects,
            "fetch.max_redirects",
            0,
            50,
            fetch_defaults.max_redirects as u64,
        ) as usize,
        max_concurrency: d.count(
            &f.max_concurrency,
            "fetch.max_concurrency",
            1,
            1024,
            fetch_defaults.max_concurrency as u64,
        ) as usize,
        retry_backoff: d.duration(
            &f.retry_backoff,
            "fetch.retry_backoff",
            fetch_defaults.retry_backoff,
        ),
        max_retry_after: d.duration(
            &f.max_retry_after,
            "fetch.max_retry_after",
            fetch_defaults.max_retry_after,
        ),
    }
}

/// One host's settings (or the defaults'), `base` filling what `raw` does not set.
fn host(d: &mut Diagnostics<'_>, raw: &RawHost, prefix: &str, base: &HostSettings) -> HostSettings {
    let key = |k: &str| format!("{prefix}{k}");
    let user_agent = match &raw.user_agent {
        Some(ua) if ua.get_ref().trim().is_empty() || ua.get_ref().contains(['\r', '\n']) => {
            d.push(
                Some(ua.span()),
                key("user_agent"),
                "must be one non-empty line",
            );
            base.user_agent.clone()
        }
        Some(ua) => ua.get_ref().clone(),
        None => base.user_agent.clone(),
    };
    let timeout = d.duration(&raw.timeout, &key("timeout"), base.timeout);
    if timeout.is_zero() {
        d.push(
            raw.timeout.as_ref().map(|s| s.span()),
            key("timeout"),
            "must be more than 0s",
        );
    }
    HostSettings {
        user_agent,
        timeout,
        max_body: d.size(&raw.max_body, &key("max_body"), base.max_body),
        per_host_concurrency: d.count(
            &raw.per_host_concurrency,
            &key("per_host_concurrency"),
            1,
            256,
            base.per_host_concurrency as u64,
        ) as usize,
        per_host_delay: d.duration(
            &raw.per_host_delay,
            &key("per_host_delay"),
            base.per_host_delay,
        ),
        retries: d.count(
            &raw.retries,
            &key("retries"),
            0,
            10,
            u64::from(base.retries),
        ) as u32,
    }
}
