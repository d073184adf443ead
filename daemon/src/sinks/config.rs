//! `[[sink]]`, `[events]` and `[topics.NAME]` in the config: the raw serde forms (unknown keys
//! refused) and their validation into typed values, with the line and key of every problem.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::secret::Secret;
use crate::config::{line_of, parse_duration, parse_size, Issue};
use crate::document::is_slug;
use crate::events::EventType;
use crate::summary::{Class, Taxonomy, Topic};

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

/// `[events]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawEvents {
    pub diff_max_bytes: Option<Spanned<String>>,
    pub unavailable_after: Option<Spanned<i64>>,
}

/// `[topics.NAME]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    pub label: Option<String>,
    /// Required; optional here so that a missing one is reported with the other problems.
    pub keywords: Option<Vec<String>>,
    #[serde(default)]
    pub replace: bool,
}

/// `[events]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSettings {
    /// Largest unified diff carried in an event.
    pub diff_max_bytes: usize,
    /// Consecutive failed checks before `document.unavailable`.
    pub unavailable_after: u32,
}

impl Default for EventSettings {
    fn default() -> Self {
        Self {
            diff_max_bytes: 16 * 1024,
            unavailable_after: 3,
        }
    }
}

/// SMTP transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain connection upgraded with STARTTLS (required).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine.
    None,
}

/// Where a sink delivers.
#[derive(Debug, Clone)]
pub enum SinkKind {
    /// Standard output: `text` for people or `json` lines.
    Stdout {
        /// Print JSON lines instead of text.
        json: bool,
    },
    /// One JSON event per line, appended.
    Jsonl {
        /// The file.
        path: PathBuf,
    },
    /// POST of the JSON event, signed.
    Webhook {
        /// The endpoint.
        url: Secret,
        /// HMAC-SHA256 key.
        secret: Option<Secret>,
        /// Extra headers.
        headers: Vec<(String, Secret)>,
    },
    /// Slack incoming webhook.
    Slack {
        /// The webhook URL (a secret).
        url: Secret,
    },
    /// Discord webhook.
    Discord {
        /// The webhook URL (a secret).
        url: Secret,
    },
    /// SMTP.
    Email {
        /// Server.
        host: String,
        /// Port.
        port: u16,
        /// Security.
        tls: Tls,
        /// Login.
        username: Option<String>,
        /// Password.
        password: Option<Secret>,
        /// Sender.
        from: String,
        /// Recipients.
        to: Vec<String>,
        /// A PEM certificate to trust besides the system's roots (a private relay's own CA).
        tls_ca: Option<PathBuf>,
    },
    /// Atom feed file.
    Atom {
        /// The feed file.
        path: PathBuf,
        /// Entries kept.
        max_entries: usize,
        /// Feed title.
        title: String,
    },
    /// A program with the event on stdin.
    Exec {
        /// Program and arguments (no shell).
        command: Vec<String>,
    },
}

impl SinkKind {
    /// The `type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            SinkKind::Stdout { .. } => "stdout",
            SinkKind::Jsonl { .. } => "jsonl",
            SinkKind::Webhook { .. } => "webhook",
            SinkKind::Slack { .. } => "slack",
            SinkKind::Discord { .. } => "discord",
            SinkKind::Email { .. } => "email",
            SinkKind::Atom { .. } => "atom",
            SinkKind::Exec { .. } => "exec",
        }
    }
}

/// What a sink lets through.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Platform slugs; empty = all.
    pub platforms: Vec<String>,
    /// Kind slugs; empty = all.
    pub kinds: Vec<String>,
    /// Topic names; empty = all. Version events only.
    pub topics: Vec<String>,
    /// Lowest class delivered. Version events only.
    pub min_class: Option<Class>,
    /// Event types; empty = all.
    pub events: Vec<EventType>,
}

impl Filter {
    /// Whether `event` passes.
    pub fn accepts(&self, event: &crate::events::Event) -> bool {
        let is_version = matches!(event.event_type, EventType::Added | EventType::Changed);
        (self.events.is_empty() || self.events.contains(&event.event_type))
            && (self.platforms.is_empty() || self.platforms.contains(&event.platform))
            && (self.kinds.is_empty() || self.kinds.contains(&event.kind))
            && (!is_version
                || self.topics.is_empty()
                || event.topics.iter().any(|t| self.topics.contains(t)))
            && (!is_version
                || self
                    .min_class
                    .is_none_or(|min| event.class.is_some_and(|c| c >= min)))
    }
}

/// Where a new sink starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At the current tip of `main`: only changes from now on.
    Main,
    /// At the first version: every recorded change is delivered.
    Beginning,
}

/// One `[[sink]]`, validated.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// Unique slug; names the cursor ref.
    pub name: String,
    /// Where it delivers.
    pub kind: SinkKind,
    /// What it lets through.
    pub filter: Filter,
    /// Where it starts when it has no cursor yet.
    pub start: Start,
    /// Deliver `Change-Class: technical` commits too.
    pub include_technical: bool,
    /// Longest wait between two retries.
    pub retry_max: Duration,
    /// Time allowed for one delivery.
    pub timeout: Duration,
}

const TYPES: &[&str] = &[
    "stdout", "jsonl", "webhook", "slack", "discord", "email", "atom", "exec",
];

/// Which optional keys each type takes (besides the common ones).
fn allowed(kind: &str) -> &'static [&'static str] {
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

struct V<'a> {
    src: &'a str,
    issues: Vec<Issue>,
}

impl V<'_> {
    fn push(
        &mut self,
        span: Option<std::ops::Range<usize>>,
        key: String,
        message: impl Into<String>,
    ) {
        self.issues.push(Issue {
            line: span.map(|s| line_of(self.src, s.start)),
            key,
            message: message.into(),
        });
    }
}

/// What validation gives.
pub struct Validated {
    /// The sinks, in file order.
    pub sinks: Vec<SinkConfig>,
    /// The taxonomy with the config's topics.
    pub taxonomy: Taxonomy,
    /// `[events]`.
    pub events: EventSettings,
    /// Problems found.
    pub issues: Vec<Issue>,
}

/// Validates `[[sink]]`, `[events]` and `[topics]`.
pub fn validate(
    src: &str,
    raw_sinks: &[Spanned<RawSink>],
    raw_events: &RawEvents,
    raw_topics: &BTreeMap<String, Spanned<RawTopic>>,
) -> Validated {
    let mut v = V {
        src,
        issues: Vec::new(),
    };
    let mut events = EventSettings::default();
    if let Some(s) = &raw_events.diff_max_bytes {
        match parse_size(s.get_ref()) {
            Ok(n) => events.diff_max_bytes = n as usize,
            Err(e) => v.push(
                Some(s.span()),
                "events.diff_max_bytes".into(),
                e.to_string(),
            ),
        }
    }
    if let Some(n) = &raw_events.unavailable_after {
        if (1..=1000).contains(n.get_ref()) {
            events.unavailable_after = *n.get_ref() as u32;
        } else {
            v.push(
                Some(n.span()),
                "events.unavailable_after".into(),
                format!(
                    "{} is out of range; expected 1 to 1000 failed checks",
                    n.get_ref()
                ),
            );
        }
    }

    let mut taxonomy = Taxonomy::default();
    for (name, t) in raw_topics {
        let key = format!("topics.{name}");
        if !is_slug(name) {
            v.push(
                Some(t.span()),
                key,
                format!("{name:?} is not a slug; expected e.g. \"biometric-data\""),
            );
            continue;
        }
        let raw = t.get_ref();
        let Some(keywords) = &raw.keywords else {
            v.push(
                Some(t.span()),
                format!("{key}.keywords"),
                "missing; give keywords = [\"biometric*\", \"face scan\"]",
            );
            continue;
        };
        match Topic::new(name, raw.label.as_deref().unwrap_or(name), keywords) {
            Ok(topic) => {
                if let Err(e) = taxonomy.add(topic, raw.replace) {
                    v.push(Some(t.span()), key, e.to_string());
                }
            }
            Err(e) => v.push(Some(t.span()), format!("{key}.keywords"), e.to_string()),
        }
    }

    let mut sinks = Vec::new();
    let mut names = HashSet::new();
    for (i, s) in raw_sinks.iter().enumerate() {
        let span = s.span();
        let s = s.get_ref();
        let key = |k: &str| format!("sink[{}].{k}", i + 1);
        let (Some(name_field), Some(kind_field)) = (&s.name, &s.kind) else {
            for (k, field, example) in [
                ("name", s.name.is_none(), "name = \"team-slack\""),
                ("type", s.kind.is_none(), "type = \"webhook\""),
            ] {
                if field {
                    v.push(
                        Some(span.clone()),
                        key(k),
                        format!("missing; every [[sink]] needs one, e.g. {example}"),
                    );
                }
            }
            continue;
        };
        let name = name_field.get_ref().clone();
        if !is_slug(&name) {
            v.push(Some(name_field.span()), key("name"), format!("{name:?} is not a slug; expected lowercase letters, digits and single hyphens, e.g. \"team-slack\" (it names the ref refs/termtrail/sinks/NAME)"));
        } else if !names.insert(name.clone()) {
            v.push(
                Some(name_field.span()),
                key("name"),
                format!("a sink named {name:?} is already declared; names must be unique"),
            );
        }
        let kind = kind_field.get_ref().as_str();
        if !TYPES.contains(&kind) {
            v.push(
                Some(kind_field.span()),
                key("type"),
                format!(
                    "{kind:?} is not a sink type; expected one of {}",
                    TYPES.join(", ")
                ),
            );
            continue;
        }
        // Keys of another type are most likely a mistake: say so instead of ignoring them.
        let present: [(&str, bool); 16] = [
            ("tls_ca", s.tls_ca.is_some()),
            ("format", s.format.is_some()),
            ("path", s.path.is_some()),
            ("max_entries", s.max_entries.is_some()),
            ("title", s.title.is_some()),
            ("url", s.url.is_some()),
            ("secret", s.secret.is_some()),
            ("headers", !s.headers.is_empty()),
            ("smtp_host", s.smtp_host.is_some()),
            ("smtp_port", s.smtp_port.is_some()),
            ("tls", s.tls.is_some()),
            ("username", s.username.is_some()),
            ("password", s.password.is_some()),
            ("from", s.from.is_some()),
            ("to", s.to.is_some()),
            ("command", s.command.is_some()),
        ];
        for (k, is_set) in present {
            if is_set && !allowed(kind).contains(&k) {
                v.push(
                    Some(span.clone()),
                    key(k),
                    format!("does not apply to {kind} sinks; remove it"),
                );
            }
        }
        let required = |v: &mut V<'_>,
                        field: &Option<Spanned<String>>,
                        k: &str,
                        example: &str|
         -> Option<String> {
            match field {
                Some(x) if !x.get_ref().trim().is_empty() => Some(x.get_ref().clone()),
                Some(x) => {
                    v.push(
                        Some(x.span()),
                        key(k),
                        format!("must not be empty; expected e.g. {example}"),
                    );
                    None
                }
                None => {
                    v.push(
                        Some(span.clone()),
                        key(k),
                        format!("is required for {kind} sinks; e.g. {k} = {example}"),
                    );
                    None
                }
            }
        };
        let sink_kind = match kind {
            "stdout" => {
                let json = match s.format.as_ref().map(|f| f.get_ref().as_str()) {
                    None | Some("text") => false,
                    Some("json") => true,
                    Some(other) => {
                        v.push(
                            s.format.as_ref().map(|f| f.span()),
                            key("format"),
                            format!("{other:?} is not a format; expected \"text\" or \"json\""),
                        );
                        false
                    }
                };
                Some(SinkKind::Stdout { json })
            }
            "jsonl" => {
                required(&mut v, &s.path, "path", "\"events.jsonl\"").map(|p| SinkKind::Jsonl {
                    path: PathBuf::from(p),
                })
            }
            "atom" => {
                let max_entries = match &s.max_entries {
                    None => 50,
                    Some(n) if (1..=10_000).contains(n.get_ref()) => *n.get_ref() as usize,
                    Some(n) => {
                        v.push(
                            Some(n.span()),
                            key("max_entries"),
                            "expected 1 to 10000 entries",
                        );
                        50
                    }
                };
                required(&mut v, &s.path, "path", "\"feed.xml\"").map(|p| SinkKind::Atom {
                    path: PathBuf::from(p),
                    max_entries,
                    title: match &s.title {
                        Some(t) if t.get_ref().chars().any(char::is_control) => {
                            v.push(
                                Some(t.span()),
                                key("title"),
                                "a feed title is one line of text, without control characters",
                            );
                            "termtrail: policy changes".to_owned()
                        }
                        Some(t) => t.get_ref().clone(),
                        None => "termtrail: policy changes".to_owned(),
                    },
                })
            }
            "webhook" | "slack" | "discord" => {
                let url = required(&mut v, &s.url, "url", "\"env:WEBHOOK_URL\"")
                    .map(|u| Secret::parse(&u));
                if let (Some(Secret::Literal(u)), Some(span)) =
                    (&url, s.url.as_ref().map(|u| u.span()))
                {
                    if !(u.starts_with("http://") || u.starts_with("https://")) {
                        v.push(
                            Some(span),
                            key("url"),
                            "expected an http:// or https:// URL, or env:VAR",
                        );
                    }
                }
                url.map(|url| match kind {
                    "slack" => SinkKind::Slack { url },
                    "discord" => SinkKind::Discord { url },
                    _ => SinkKind::Webhook {
                        url,
                        secret: s.secret.as_ref().map(|x| Secret::parse(x.get_ref())),
                        headers: s
                            .headers
                            .iter()
                            .map(|(k, val)| (k.clone(), Secret::parse(val)))
                            .collect(),
                    },
                })
            }
            "email" => {
                if !cfg!(feature = "email") {
                    v.push(Some(kind_field.span()), key("type"), "this termtrail was built without the `email` feature; rebuild with default features");
                }
                let host = required(&mut v, &s.smtp_host, "smtp_host", "\"smtp.example.org\"");
                let from = required(
                    &mut v,
                    &s.from,
                    "from",
                    "\"termtrail <alerts@example.org>\"",
                );
                let tls = match s.tls.as_ref().map(|t| t.get_ref().as_str()) {
                    None | Some("starttls") => Tls::StartTls,
                    Some("tls") => Tls::Tls,
                    Some("none") => Tls::None,
                    Some(other) => {
                        v.push(s.tls.as_ref().map(|t| t.span()), key("tls"), format!("{other:?} is not a mode; expected \"starttls\", \"tls\" or \"none\""));
                        Tls::StartTls
                    }
                };
                let port = match &s.smtp_port {
                    None => match tls {
                        Tls::Tls => 465,
                        Tls::StartTls => 587,
                        Tls::None => 25,
                    },
                    Some(p) if (1..=65535).contains(p.get_ref()) => *p.get_ref() as u16,
                    Some(p) => {
                        v.push(
                            Some(p.span()),
                            key("smtp_port"),
                            "expected a port from 1 to 65535",
                        );
                        587
                    }
                };
                let to = match &s.to {
                    Some(t) if !t.get_ref().is_empty() => t.get_ref().clone(),
                    Some(t) => {
                        v.push(Some(t.span()), key("to"), "needs at least one address");
                        Vec::new()
                    }
                    None => {
                        v.push(
                            Some(span.clone()),
                            key("to"),
                            "is required for email sinks; e.g. to = [\"legal@example.org\"]",
                        );
                        Vec::new()
                    }
                };
                match (host, from) {
                    (Some(host), Some(from)) => Some(SinkKind::Email {
                        host,
                        port,
                        tls,
                        username: s.username.clone(),
                        password: s.password.as_ref().map(|p| Secret::parse(p.get_ref())),
                        from,
                        to,
                        tls_ca: s.tls_ca.as_ref().map(|p| PathBuf::from(p.get_ref())),
                    }),
                    _ => None,
                }
            }
            "exec" => {
                match &s.command {
                    Some(c) if !c.get_ref().is_empty() && !c.get_ref()[0].is_empty() => {
                        Some(SinkKind::Exec {
                            command: c.get_ref().clone(),
                        })
                    }
                    Some(c) => {
                        v.push(Some(c.span()), key("command"), "expected a program and its arguments, e.g. [\"/usr/local/bin/notify\", \"--quiet\"]");
                        None
                    }
                    None => {
                        v.push(Some(span.clone()), key("command"), "is required for exec sinks; e.g. command = [\"/usr/local/bin/notify\"]");
                        None
                    }
                }
            }
            _ => unreachable!("checked against TYPES above"),
        };
        let mut filter = Filter {
            platforms: s.platforms.clone(),
            kinds: s.kinds.clone(),
            ..Filter::default()
        };
        for t in &s.topics {
            if taxonomy.get(t.get_ref()).is_none() {
                v.push(
                    Some(t.span()),
                    key("topics"),
                    format!(
                        "{:?} is not a topic; known: {}",
                        t.get_ref(),
                        taxonomy
                            .topics
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            } else {
                filter.topics.push(t.get_ref().clone());
            }
        }
        filter.min_class = match s.min_class.as_ref().map(|c| c.get_ref().as_str()) {
            None => None,
            Some("cosmetic") => Some(Class::Cosmetic),
            Some("substantive") => Some(Class::Substantive),
            Some(other) => {
                v.push(
                    s.min_class.as_ref().map(|c| c.span()),
                    key("min_class"),
                    format!("{other:?} is not a class; expected \"cosmetic\" or \"substantive\""),
                );
                None
            }
        };
        for e in s.events.iter().flatten() {
            match EventType::parse(e.get_ref()) {
                Some(t) => filter.events.push(t),
                None => v.push(Some(e.span()), key("events"), format!("{:?} is not an event type; expected document.added, document.changed, document.unavailable or document.recovered", e.get_ref())),
            }
        }
        let start = match s.start.as_ref().map(|x| x.get_ref().as_str()) {
            None | Some("main") => Start::Main,
            Some("beginning") => Start::Beginning,
            Some(other) => {
                v.push(s.start.as_ref().map(|x| x.span()), key("start"), format!("{other:?} is not a start; expected \"main\" (changes from now on) or \"beginning\" (every recorded change)"));
                Start::Main
            }
        };
        let mut duration = |field: &Option<Spanned<String>>, k: &str, default: Duration| match field
        {
            None => default,
            Some(d) => match parse_duration(d.get_ref()) {
                Ok(x) if !x.is_zero() => x,
                Ok(_) => {
                    v.push(Some(d.span()), key(k), "must be more than 0s");
                    default
                }
                Err(e) => {
                    v.push(Some(d.span()), key(k), e.to_string());
                    default
                }
            },
        };
        let retry_max = duration(&s.retry_max, "retry_max", Duration::from_secs(300));
        let timeout = duration(&s.timeout, "timeout", Duration::from_secs(30));
        if let Some(kind) = sink_kind {
            sinks.push(SinkConfig {
                name,
                kind,
                filter,
                start,
                include_technical: s.include_technical.unwrap_or(false),
                retry_max,
                timeout,
            });
        }
    }
    Validated {
        sinks,
        taxonomy,
        events,
        issues: v.issues,
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::events::{availability_event, EventType};
    use crate::sinks::{Secret, SinkKind, Start, Tls};
    use crate::summary::Class;

    const ALL: &str = r#"
[events]
diff_max_bytes = "4KB"
unavailable_after = 5

[topics.biometrics]
label = "Biometric data"
keywords = ["biometric*"]

[[sink]]
name = "out"
type = "stdout"
format = "json"

[[sink]]
name = "hook"
type = "webhook"
url = "https://hooks.example.org/abc-literal-secret-url"
secret = "env:HOOK_SECRET"
headers = { "Authorization" = "Bearer literal-token-123" }
platforms = ["openai"]
topics = ["biometrics", "children"]
min_class = "substantive"
events = ["document.changed"]
start = "beginning"

[[sink]]
name = "mail"
type = "email"
smtp_host = "smtp.example.org"
tls = "tls"
username = "u"
password = "literal-password-456"
from = "a@example.org"
to = ["b@example.org"]

[[sink]]
name = "feed"
type = "atom"
path = "feed.xml"

[[sink]]
name = "run"
type = "exec"
command = ["/bin/true"]
"#;

    #[test]
    fn every_sink_type_parses_and_secrets_never_print() {
        let c = Config::parse(ALL, "t.toml").expect("valid config");
        assert_eq!(c.events.diff_max_bytes, 4000);
        assert_eq!(c.events.unavailable_after, 5);
        assert!(c.taxonomy.get("biometrics").is_some());
        let names: Vec<_> = c.sinks.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["out", "hook", "mail", "feed", "run"]);
        let hook = &c.sinks[1];
        assert_eq!(hook.start, Start::Beginning);
        assert_eq!(hook.filter.min_class, Some(Class::Substantive));
        match &hook.kind {
            SinkKind::Webhook { secret, .. } => {
                assert_eq!(secret.as_ref(), Some(&Secret::Env("HOOK_SECRET".into())));
            }
            other => panic!("{other:?}"),
        }
        match &c.sinks[2].kind {
            SinkKind::Email { port, tls, .. } => assert_eq!((*port, *tls), (465, Tls::Tls)),
            other => panic!("{other:?}"),
        }
        let debug = format!("{c:?}");
        for secret in [
            "abc-literal-secret-url",
            "literal-token-123",
            "literal-password-456",
        ] {
            assert!(!debug.contains(secret), "{secret} leaked into Debug");
        }
    }

    #[test]
    fn filters_select_events() {
        let c = Config::parse(ALL, "t.toml").expect("valid config");
        let f = &c.sinks[1].filter;
        let doc = crate::document::DocumentId::parse("openai/privacy-policy").expect("id");
        let mut e = availability_event(
            EventType::Changed,
            &doc,
            "t",
            "u",
            0,
            None,
            std::time::UNIX_EPOCH,
        );
        e.class = Some(Class::Substantive);
        e.topics = vec!["children".into()];
        assert!(f.accepts(&e));
        e.class = Some(Class::Cosmetic);
        assert!(!f.accepts(&e), "min_class");
        e.class = Some(Class::Substantive);
        e.topics = vec!["data-retention".into()];
        assert!(!f.accepts(&e), "topics");
        e.topics = vec!["biometrics".into()];
        e.platform = "google".into();
        assert!(!f.accepts(&e), "platforms");
        e.platform = "openai".into();
        e.event_type = EventType::Added;
        assert!(!f.accepts(&e), "events");
    }

    #[test]
    fn sink_names_are_unique_slugs() {
        let src = "[[sink]]\nname = \"a\"\ntype = \"stdout\"\n\n[[sink]]\nname = \"a\"\ntype = \"stdout\"\n";
        let e = Config::parse(src, "t.toml")
            .expect_err("duplicate")
            .to_string();
        assert!(
            e.contains("t.toml:6: sink[2].name: a sink named \"a\" is already declared"),
            "{e}"
        );
    }
}
