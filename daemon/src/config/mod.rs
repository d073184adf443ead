//! Configuration: parse the TOML, check every key and value type against the schema (unknown
//! keys refused), deserialise (serde), then validate into typed values (parsed URLs, compiled
//! selectors, durations). Every problem of a file is reported at once, each naming the file, the
//! line and the key, and saying what to write instead.

mod raw;
mod schema;
mod units;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use termtrail_extract::Extractor;
use toml::Spanned;
use url::Url;

use crate::document::{
    is_slug, plugin_id, rules_id, sources_id, Document, DocumentId, Extraction, FetchMode,
    PendingDocument, Source, OTA_TERMS_TYPES,
};
use crate::plugin::{Isolation, PluginEntry, PluginSettings};
use raw::{RawConfig, RawHost, RawPlugins};
pub use units::{parse_duration, parse_size};

/// The default configuration: the main policy documents of the major AI platforms. Compiled in so
/// that `termtrail run` works from any folder, and written out by `termtrail init`.
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/termtrail.toml");

/// Where the config is looked for when no `--config` is given.
pub const DEFAULT_CONFIG_PATH: &str = "config/termtrail.toml";

/// The name shown for the compiled-in config in messages.
pub const BUILT_IN_NAME: &str = "<built-in default config>";

/// One problem in a config file, at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key in dotted form, e.g. `document[3].url`.
    pub key: String,
    /// What is wrong and what is expected.
    pub message: String,
}

/// Why a config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("{}", render_syntax(.file, .errors))]
    Syntax {
        /// The file.
        file: String,
        /// Every syntax error found, in file order.
        errors: Vec<SyntaxError>,
    },
    /// Unknown keys, values of the wrong type, values that are not valid.
    #[error("{}", render_issues(.file, .issues))]
    Invalid {
        /// The file.
        file: String,
        /// Every problem found, in file order.
        issues: Vec<Issue>,
    },
}

/// One TOML syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The TOML parser's message.
    pub message: String,
}

fn render_syntax(file: &str, errors: &[SyntaxError]) -> String {
    let mut out = format!("{} TOML syntax error(s) in config {file}:", errors.len());
    for e in errors {
        out.push_str(&format!(
            "\n  {file}:{}:{}: {}",
            e.line,
            e.column,
            e.message.replace('\n', " ")
        ));
    }
    out
}

fn render_issues(file: &str, issues: &[Issue]) -> String {
    let mut out = format!("{} error(s) in config {file}:", issues.len());
    for i in issues {
        match i.line {
            Some(line) if i.key.is_empty() => {
                out.push_str(&format!("\n  {file}:{line}: {}", i.message))
            }
            Some(line) => out.push_str(&format!("\n  {file}:{line}: {}: {}", i.key, i.message)),
            None => out.push_str(&format!("\n  {file}: {}: {}", i.key, i.message)),
        }
    }
    out
}

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

/// `[archive]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveSettings {
    /// The git repository (created on first run). Relative paths are from the working directory.
    pub path: PathBuf,
    /// Author and committer name of every commit.
    pub author_name: String,
    /// Author and committer email of every commit.
    pub author_email: String,
    /// Flush every object and ref to disk before going on (survives power loss, not just crashes).
    pub fsync: bool,
    /// When a new text is held back as suspicious (`[holds]`).
    pub holds: crate::archive::HoldPolicy,
}

/// `[schedule]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSettings {
    /// Default interval between two checks of a document.
    pub interval: Duration,
    /// Each interval is stretched or shrunk at random by up to this fraction, so that documents
    /// drift apart instead of being fetched in bursts.
    pub jitter: f64,
}

/// The default `[extraction] timeout`: a policy page takes milliseconds; this leaves room for a
/// large PDF (whose extractor had this limit before) and stops a pathological page.
pub const DEFAULT_EXTRACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from (a path or [`BUILT_IN_NAME`]).
    pub source: String,
    /// `[archive]`.
    pub archive: ArchiveSettings,
    /// `[schedule]`.
    pub schedule: ScheduleSettings,
    /// `[fetch]`.
    pub fetch: FetchSettings,
    /// `[browser]`.
    pub browser: crate::browser::BrowserSettings,
    /// Retry a plain fetch that met a bot wall or an empty selection in the browser, when one
    /// is available (`[browser] fallback`).
    pub browser_fallback: bool,
    /// `[[document]]`, in file order.
    pub documents: Vec<Document>,
    /// `[plugins]` and `[plugin.NAME]`.
    pub plugins: PluginSettings,
    /// `[extraction] timeout`: the longest one document's extraction by its rules (or as text,
    /// JSON, PDF) may take before the document fails; plugin calls have `[plugins] timeout`.
    pub extraction_timeout: Duration,
    /// Plugin documents waiting for their plugin's manifest (see [`crate::plugin::attach`]).
    pub pending: Vec<PendingDocument>,
    /// Things that work but look wrong (unknown document kinds).
    pub warnings: Vec<String>,
    /// `[[sink]]`, in file order.
    pub sinks: Vec<crate::sinks::SinkConfig>,
    /// The default topics with `[topics.NAME]` applied.
    pub taxonomy: crate::summary::Taxonomy,
    /// `[events]`.
    pub events: crate::sinks::EventSettings,
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

struct Checker<'a> {
    src: &'a str,
    issues: Vec<Issue>,
}

impl Checker<'_> {
    /// Every problem found, in line order.
    fn into_error(mut self, file: &str) -> ConfigError {
        self.issues.sort_by_key(|i| i.line);
        ConfigError::Invalid {
            file: file.to_owned(),
            issues: self.issues,
        }
    }

    fn push(
        &mut self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl fmt::Display,
    ) {
        self.issues.push(Issue {
            line: span.map(|s| line_of(self.src, s.start)),
            key: key.into(),
            message: message.to_string(),
        });
    }

    fn duration(&mut self, v: &Option<Spanned<String>>, key: &str, default: Duration) -> Duration {
        match v {
            None => default,
            Some(s) => parse_duration(s.get_ref()).unwrap_or_else(|e| {
                self.push(Some(s.span()), key, e);
                default
            }),
        }
    }

    fn size(&mut self, v: &Option<Spanned<String>>, key: &str, default: u64) -> u64 {
        match v {
            None => default,
            Some(s) => match parse_size(s.get_ref()) {
                Ok(0) => {
                    self.push(Some(s.span()), key, "must be more than 0 bytes");
                    default
                }
                Ok(n) => n,
                Err(e) => {
                    self.push(Some(s.span()), key, e);
                    default
                }
            },
        }
    }

    fn count(
        &mut self,
        v: &Option<Spanned<i64>>,
        key: &str,
        min: i64,
        max: i64,
        default: u64,
    ) -> u64 {
        match v {
            None => default,
            Some(n) if (min..=max).contains(n.get_ref()) => *n.get_ref() as u64,
            Some(n) => {
                self.push(
                    Some(n.span()),
                    key,
                    format!("{} is out of range; expected {min} to {max}", n.get_ref()),
                );
                default
            }
        }
    }

    fn fetch_mode(
        &mut self,
        v: &Option<Spanned<String>>,
        key: &str,
        default: FetchMode,
    ) -> FetchMode {
        match v.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None => default,
            Some(("http", _)) => FetchMode::Http,
            Some(("browser", _)) => FetchMode::Browser,
            Some((other, span)) => {
                self.push(
                    Some(span),
                    key,
                    format!("{other:?} is not a fetch mode; expected \"http\" or \"browser\""),
                );
                default
            }
        }
    }

    /// Validates one page: its URL and rules. `prefix` is the key prefix (`document[1].`).
    fn source(
        &mut self,
        url: &Spanned<String>,
        select: Option<&Spanned<termtrail_extract::RuleList>>,
        remove: Option<&Spanned<termtrail_extract::RuleList>>,
        fetch: FetchMode,
        prefix: &str,
    ) -> Option<Source> {
        let key = |k: &str| format!("{prefix}{k}");
        let parsed = match Url::parse(url.get_ref()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Some(u),
            Ok(u) => {
                self.push(
                    Some(url.span()),
                    key("url"),
                    format!(
                        "scheme {:?} is not supported; expected an http:// or https:// URL",
                        u.scheme()
                    ),
                );
                None
            }
            Err(e) => {
                self.push(
                    Some(url.span()),
                    key("url"),
                    format!(
                        "{:?} is not a URL ({e}); expected e.g. \"https://example.org/privacy\"",
                        url.get_ref()
                    ),
                );
                None
            }
        };
        let sel = select.map(|s| s.get_ref().0.clone()).unwrap_or_default();
        let rem = remove.map(|s| s.get_ref().0.clone()).unwrap_or_default();
        let extractor = match Extractor::new(&sel, &rem) {
            Ok(e) => Some(e),
            Err(e) => {
                // Name the list in error: try the select rules alone to find which one failed.
                let (name, span) = if Extractor::new(&sel, &[]).is_err() {
                    ("select", select.map(|s| s.span()))
                } else {
                    ("remove", remove.map(|s| s.span()))
                };
                self.push(span, key(name), e);
                None
            }
        };
        Some(Source {
            url: parsed?,
            extractor_id: rules_id(&sel, &rem),
            extractor: Arc::new(extractor?),
            fetch,
        })
    }

    fn host(&mut self, raw: &RawHost, prefix: &str, base: &HostSettings) -> HostSettings {
        let key = |k: &str| format!("{prefix}{k}");
        let user_agent = match &raw.user_agent {
            Some(ua) if ua.get_ref().trim().is_empty() || ua.get_ref().contains(['\r', '\n']) => {
                self.push(
                    Some(ua.span()),
                    key("user_agent"),
                    "must be one non-empty line",
                );
                base.user_agent.clone()
            }
            Some(ua) => ua.get_ref().clone(),
            None => base.user_agent.clone(),
        };
        let timeout = self.duration(&raw.timeout, &key("timeout"), base.timeout);
        if timeout.is_zero() {
            self.push(
                raw.timeout.as_ref().map(|s| s.span()),
                key("timeout"),
                "must be more than 0s",
            );
        }
        HostSettings {
            user_agent,
            timeout,
            max_body: self.size(&raw.max_body, &key("max_body"), base.max_body),
            per_host_concurrency: self.count(
                &raw.per_host_concurrency,
                &key("per_host_concurrency"),
                1,
                256,
                base.per_host_concurrency as u64,
            ) as usize,
            per_host_delay: self.duration(
                &raw.per_host_delay,
                &key("per_host_delay"),
                base.per_host_delay,
            ),
            retries: self.count(
                &raw.retries,
                &key("retries"),
                0,
                10,
                u64::from(base.retries),
            ) as u32,
        }
    }
}

fn check_url(c: &mut Checker<'_>, u: &Spanned<String>, key: &str) -> Option<Url> {
    match Url::parse(u.get_ref()) {
        Ok(parsed)
            if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() =>
        {
            Some(parsed)
        }
        Ok(parsed) => {
            c.push(
                Some(u.span()),
                key,
                format!(
                    "scheme {:?} is not supported; expected an http:// or https:// URL",
                    parsed.scheme()
                ),
            );
            None
        }
        Err(e) => {
            c.push(
                Some(u.span()),
                key,
                format!(
                    "{:?} is not a URL ({e}); expected e.g. \"https://example.org/privacy\"",
                    u.get_ref()
                ),
            );
            None
        }
    }
}

fn check_isolation(
    c: &mut Checker<'_>,
    v: &Option<Spanned<String>>,
    key: &str,
) -> Option<Isolation> {
    let v = v.as_ref()?;
    match v.get_ref().as_str() {
        "process" => Some(Isolation::Process),
        "none" => Some(Isolation::None),
        other => {
            c.push(Some(v.span()), key, format!("{other:?} is not an isolation; expected \"process\" (a crash costs one extraction) or \"none\" (in-process, faster)"));
            None
        }
    }
}

fn check_plugins(
    c: &mut Checker<'_>,
    raw: &RawPlugins,
    entries: &BTreeMap<String, Spanned<raw::RawPluginEntry>>,
) -> PluginSettings {
    let defaults = PluginSettings::default();
    let timeout = c.duration(&raw.timeout, "plugins.timeout", defaults.timeout);
    if timeout.is_zero() {
        c.push(
            raw.timeout.as_ref().map(|s| s.span()),
            "plugins.timeout",
            "must be more than 0s",
        );
    }
    let mut settings = PluginSettings {
        dir: raw.dir.as_ref().map(|d| PathBuf::from(d.get_ref())),
        track_all: raw.track_all.unwrap_or(false),
        isolation: check_isolation(c, &raw.isolation, "plugins.isolation"),
        timeout,
        entries: BTreeMap::new(),
    };
    for (name, e) in entries {
        let key = |k: &str| format!("plugin.{name}.{k}");
        if !is_slug(name) {
            c.push(
                Some(e.span()),
                format!("plugin.{name}"),
                "the plugin name must be a slug such as \"openai\"",
            );
        }
        let e = e.get_ref();
        if let Some(sha) = &e.sha256 {
            if sha.get_ref().len() != 64 || !sha.get_ref().chars().all(|ch| ch.is_ascii_hexdigit())
            {
                c.push(Some(sha.span()), key("sha256"), "expected 64 hexadecimal digits (`sha256sum FILE`; `termtrail plugins` prints it too)");
            }
        }
        settings.entries.insert(
            name.clone(),
            PluginEntry {
                path: e.path.as_ref().map(|p| PathBuf::from(p.get_ref())),
                sha256: e.sha256.as_ref().map(|s| s.get_ref().to_ascii_lowercase()),
                isolation: check_isolation(c, &e.isolation, &key("isolation")),
                track: e.track,
            },
        );
    }
    settings
}

impl Config {
    /// Loads the config: `explicit` if given, else `config/termtrail.toml` if it exists, else the
    /// compiled-in default.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_PATH)).filter(|p| p.is_file()),
        };
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                Self::parse(&text, &path.display().to_string())
            }
            None => Self::parse(DEFAULT_CONFIG, BUILT_IN_NAME),
        }
    }

    /// Parses and validates config text; `file` names it in errors.
    pub fn parse(src: &str, file: &str) -> Result<Self, ConfigError> {
        let (mut table, errors) = toml::de::DeTable::parse_recoverable(src);
        if !errors.is_empty() {
            let mut errors: Vec<SyntaxError> = errors
                .iter()
                .map(|e| {
                    let start = e.span().map_or(0, |s| s.start.min(src.len()));
                    // Back to a character boundary, for the column.
                    let start = (0..=start)
                        .rev()
                        .find(|&i| src.is_char_boundary(i))
                        .unwrap_or(0);
                    let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
                    SyntaxError {
                        line: line_of(src, start),
                        column: src[line_start..start].chars().count() + 1,
                        message: e.message().to_owned(),
                    }
                })
                .collect();
            errors.sort_by_key(|e| (e.line, e.column));
            return Err(ConfigError::Syntax {
                file: file.to_owned(),
                errors,
            });
        }
        // Every unknown key and wrong type at once; the keys in question are taken out, so that
        // serde (which would stop at the first) sees a table it accepts, and validation can
        // report the problems of every other value too.
        let mut problems = Vec::new();
        schema::check(table.get_mut(), schema::ROOT, &mut problems);
        let mut c = Checker {
            src,
            issues: Vec::new(),
        };
        for p in problems {
            c.push(Some(p.span), p.key, p.message);
        }
        let raw = match RawConfig::deserialize(toml::de::Deserializer::from(table)) {
            Ok(raw) => raw,
            // Only if the schema and raw.rs disagree (a test checks they do not).
            Err(e) => {
                c.push(e.span().or(Some(0..0)), String::new(), e.message());
                return Err(c.into_error(file));
            }
        };

        let archive = ArchiveSettings {
            path: match &raw.archive.path {
                Some(p) if p.get_ref().trim().is_empty() => {
                    c.push(Some(p.span()), "archive.path", "must not be empty");
                    PathBuf::from("archive")
                }
                Some(p) => PathBuf::from(p.get_ref()),
                None => PathBuf::from("archive"),
            },
            author_name: raw
                .archive
                .author_name
                .as_ref()
                .map_or_else(|| "termtrail".to_owned(), |s| s.get_ref().clone()),
            author_email: raw
                .archive
                .author_email
                .as_ref()
                .map_or_else(|| "termtrail@localhost".to_owned(), |s| s.get_ref().clone()),
            fsync: raw.archive.fsync.unwrap_or(true),
            holds: crate::archive::HoldPolicy {
                shrink_below: match &raw.holds.shrink_below {
                    None => 0.5,
                    Some(v) if (0.0..1.0).contains(v.get_ref()) => *v.get_ref(),
                    Some(v) => {
                        c.push(
                            Some(v.span()),
                            "holds.shrink_below",
                            "expected a fraction from 0.0 (off) to below 1.0",
                        );
                        0.5
                    }
                },
                language_change: raw.holds.language_change.unwrap_or(true),
            },
        };
        for (key, v) in [
            ("archive.author_name", &raw.archive.author_name),
            ("archive.author_email", &raw.archive.author_email),
        ] {
            if let Some(v) = v {
                if v.get_ref().trim().is_empty()
                    || v.get_ref().contains(['<', '>'])
                    || v.get_ref().chars().any(char::is_control)
                {
                    c.push(
                        Some(v.span()),
                        key,
                        "must be non-empty, on one line, without < or > or control characters",
                    );
                }
            }
        }

        let interval = c.duration(
            &raw.schedule.interval,
            "schedule.interval",
            Duration::from_secs(12 * 3600),
        );
        if interval < Duration::from_secs(1) {
            c.push(
                raw.schedule.interval.as_ref().map(|s| s.span()),
                "schedule.interval",
                "must be at least 1s",
            );
        }
        let jitter = match &raw.schedule.jitter {
            None => 0.1,
            Some(j) if (0.0..=0.5).contains(j.get_ref()) => *j.get_ref(),
            Some(j) => {
                c.push(
                    Some(j.span()),
                    "schedule.jitter",
                    "expected a fraction from 0.0 to 0.5",
                );
                0.1
            }
        };
        let schedule = ScheduleSettings { interval, jitter };

        let f = &raw.fetch;
        let fetch_defaults = FetchSettings::default();
        let defaults = c.host(&f.host_keys(), "fetch.", &fetch_defaults.defaults);
        let mut hosts = HashMap::new();
        for (host, table) in &f.hosts {
            let host_key = schema::join("fetch.hosts", host);
            if host.is_empty() || host.contains(['/', ':', ' ']) {
                c.push(
                    Some(table.span()),
                    host_key.clone(),
                    "expected a host name such as \"example.org\" (no scheme, port or path)",
                );
            }
            let settings = c.host(table.get_ref(), &format!("{host_key}."), &defaults);
            hosts.insert(host.to_ascii_lowercase(), settings);
        }
        let fetch = FetchSettings {
            defaults,
            hosts,
            connect_timeout: c.duration(
                &f.connect_timeout,
                "fetch.connect_timeout",
                fetch_defaults.connect_timeout,
            ),
            max_redirects: c.count(
                &f.max_redirects,
                "fetch.max_redirects",
                0,
                50,
                fetch_defaults.max_redirects as u64,
            ) as usize,
            max_concurrency: c.count(
                &f.max_concurrency,
                "fetch.max_concurrency",
                1,
                1024,
                fetch_defaults.max_concurrency as u64,
            ) as usize,
            retry_backoff: c.duration(
                &f.retry_backoff,
                "fetch.retry_backoff",
                fetch_defaults.retry_backoff,
            ),
            max_retry_after: c.duration(
                &f.max_retry_after,
                "fetch.max_retry_after",
                fetch_defaults.max_retry_after,
            ),
        };

        let bdefaults = crate::browser::BrowserSettings::default();
        let browser = crate::browser::BrowserSettings {
            executable: raw
                .browser
                .executable
                .as_ref()
                .map_or(bdefaults.executable.clone(), |e| PathBuf::from(e.get_ref())),
            idle_shutdown: c.duration(
                &raw.browser.idle_shutdown,
                "browser.idle_shutdown",
                bdefaults.idle_shutdown,
            ),
            render_timeout: c.duration(
                &raw.browser.render_timeout,
                "browser.render_timeout",
                bdefaults.render_timeout,
            ),
        };
        let browser_fallback = raw.browser.fallback.unwrap_or(true);
        let extraction_timeout = match c.duration(
            &raw.extraction.timeout,
            "extraction.timeout",
            DEFAULT_EXTRACTION_TIMEOUT,
        ) {
            Duration::ZERO => {
                let span = raw.extraction.timeout.as_ref().map(|t| t.span());
                c.push(span, "extraction.timeout", "must be more than 0s");
                DEFAULT_EXTRACTION_TIMEOUT
            }
            t => t,
        };

        let plugins = check_plugins(&mut c, &raw.plugins, &raw.plugin_entries);
        let mut documents = Vec::new();
        let mut pending = Vec::new();
        let mut warnings = Vec::new();
        let mut seen: BTreeMap<DocumentId, usize> = BTreeMap::new();
        for (i, d) in raw.documents.iter().enumerate() {
            let key = |k: &str| format!("document[{}].{k}", i + 1);
            let line = line_of(src, d.span().start);
            let span = d.span();
            let d = d.get_ref();
            let mut ok = true;
            for (name, v, example) in [
                ("platform", &d.platform, "openai"),
                ("kind", &d.kind, "privacy-policy"),
            ] {
                match v {
                    None => {
                        c.push(
                            Some(span.clone()),
                            key(name),
                            format!("missing; every [[document]] needs one, e.g. {name} = \"{example}\""),
                        );
                        ok = false;
                    }
                    Some(v) if !is_slug(v.get_ref()) => {
                        c.push(Some(v.span()), key(name), format!("{:?} is not a slug; expected lowercase letters, digits and single hyphens, e.g. \"{example}\"", v.get_ref()));
                        ok = false;
                    }
                    Some(_) => {}
                }
            }
            // The title is a commit subject: a line break would let it write trailers.
            let title = match &d.title {
                Some(t) if t.get_ref().chars().any(char::is_control) => {
                    c.push(
                        Some(t.span()),
                        key("title"),
                        format!(
                            "{:?} has a line break or another control character; a title is one line of text (it is the subject of commit messages)",
                            t.get_ref()
                        ),
                    );
                    None
                }
                Some(t) => Some(t.get_ref().clone()),
                None => None,
            };
            let plugin = match &d.plugin {
                Some(p) if is_slug(p.get_ref()) => Some(p.get_ref().clone()),
                Some(p) => {
                    c.push(
                        Some(p.span()),
                        key("plugin"),
                        format!(
                            "{:?} is not a plugin name; expected a slug such as \"openai\"",
                            p.get_ref()
                        ),
                    );
                    ok = false;
                    None
                }
                None => None,
            };
            if plugin.is_some() {
                for (name, v) in [
                    ("select", d.select.as_ref().map(|s| s.span())),
                    ("remove", d.remove.as_ref().map(|s| s.span())),
                    (
                        "source",
                        d.sources.as_ref().and_then(|l| l.first()).map(|s| s.span()),
                    ),
                ] {
                    if v.is_some() {
                        c.push(v, key(name), "does not apply to a plugin document (the plugin extracts it); remove the key or the `plugin` line");
                        ok = false;
                    }
                }
            }
            let doc_fetch = c.fetch_mode(&d.fetch, &key("fetch"), FetchMode::Http);
            let sources: Option<Vec<Source>> = match (&d.sources, &d.url) {
                _ if d.plugin.is_some() => d
                    .url
                    .as_ref()
                    .and_then(|u| check_url(&mut c, u, &key("url")))
                    .map(|url| vec![Source::plain(url, doc_fetch)]),
                (Some(list), None) => {
                    if d.select.is_some() || d.remove.is_some() {
                        c.push(Some(list[0].span()), key("source"), "with [[document.source]], give select/remove in each source, not in the document");
                    }
                    if list.is_empty() {
                        c.push(
                            Some(span.clone()),
                            key("source"),
                            "give at least one [[document.source]]",
                        );
                    }
                    list.iter()
                        .enumerate()
                        .map(|(j, s)| {
                            let source_span = s.span();
                            let s = s.get_ref();
                            let k = key(&format!("source[{}].", j + 1));
                            let fetch = c.fetch_mode(&s.fetch, &format!("{k}fetch"), doc_fetch);
                            let Some(url) = &s.url else {
                                c.push(
                                    Some(source_span),
                                    format!("{k}url"),
                                    "missing; every [[document.source]] needs url = \"https://...\"",
                                );
                                return None;
                            };
                            c.source(url, s.select.as_ref(), s.remove.as_ref(), fetch, &k)
                        })
                        .collect()
                }
                (None, Some(url)) => c
                    .source(
                        url,
                        d.select.as_ref(),
                        d.remove.as_ref(),
                        doc_fetch,
                        &key(""),
                    )
                    .map(|s| vec![s]),
                (Some(_), Some(url)) => {
                    c.push(Some(url.span()), key("url"), "give either url (one page) or [[document.source]] (several pages), not both");
                    None
                }
                (None, None) => {
                    c.push(Some(span.clone()), key("url"), "missing; give url = \"https://...\", one [[document.source]] per page, or `plugin = \"NAME\"` to take it from a plugin");
                    ok = false;
                    None
                }
            };
            let interval = c.duration(&d.interval, &key("interval"), schedule.interval);
            if interval < Duration::from_secs(1) {
                c.push(
                    d.interval.as_ref().map(|s| s.span()),
                    key("interval"),
                    "must be at least 1s",
                );
            }
            if !ok {
                continue;
            }
            let (Some(platform), Some(kind)) = (&d.platform, &d.kind) else {
                continue;
            };
            let id = DocumentId::new(platform.get_ref(), kind.get_ref())
                .expect("both slugs were checked above");
            if let Some(first) = seen.insert(id.clone(), line) {
                c.push(Some(platform.span()), key("platform"), format!("{id} is already declared at line {first}; each platform/kind pair must be unique"));
                continue;
            }
            if !OTA_TERMS_TYPES.contains(&id.kind()) {
                warnings.push(format!("{file}:{line}: {}: kind {:?} is not one of Open Terms Archive's terms types (e.g. privacy-policy, terms-of-service, acceptable-use-policy); archives of both tools will not line up", key("kind"), id.kind()));
            }
            if let Some(name) = plugin {
                match sources.and_then(|s| s.into_iter().next()) {
                    Some(source) => documents.push(Document {
                        title: title.unwrap_or_else(|| id.default_title()),
                        extractor_id: plugin_id(&name),
                        id,
                        url: source.url.clone(),
                        extraction: Extraction::Plugin(name),
                        sources: vec![source],
                        interval,
                    }),
                    None if d.url.is_none() => pending.push(PendingDocument {
                        id,
                        title,
                        plugin: name,
                        interval,
                        line,
                    }),
                    None => {}
                }
                continue;
            }
            let Some(sources) = sources.filter(|s| !s.is_empty()) else {
                continue;
            };
            let first = sources[0].clone();
            documents.push(Document {
                title: title.unwrap_or_else(|| id.default_title()),
                extractor_id: if sources.len() == 1 {
                    first.extractor_id.clone()
                } else {
                    sources_id(&sources)
                },
                id,
                url: first.url,
                extraction: Extraction::Declarative(first.extractor),
                sources,
                interval,
            });
        }
        let notify = crate::sinks::config::validate(src, &raw.sinks, &raw.events, &raw.topics);
        c.issues.extend(notify.issues);
        if !c.issues.is_empty() {
            return Err(c.into_error(file));
        }
        if documents
            .iter()
            .any(|d: &Document| d.sources.iter().any(|s| s.fetch == FetchMode::Browser))
            && !(cfg!(feature = "browser") && browser.executable.exists())
        {
            warnings.push(format!(
                "{file}: some documents use fetch = \"browser\" but {}; they will fail until it is installed (Debian: apt-get install chromium)",
                if cfg!(feature = "browser") { format!("there is no Chromium at {}", browser.executable.display()) } else { "this build has no `browser` feature".to_owned() }
            ));
        }
        Ok(Config {
            source: file.to_owned(),
            browser,
            browser_fallback,
            archive,
            schedule,
            fetch,
            documents,
            plugins,
            extraction_timeout,
            pending,
            warnings,
            sinks: notify.sinks,
            taxonomy: notify.taxonomy,
            events: notify.events,
        })
    }

    /// The document with this id.
    pub fn document(&self, id: &DocumentId) -> Option<&Document> {
        self.documents.iter().find(|d| d.id == *id)
    }
}

#[cfg(test)]
mod tests;
