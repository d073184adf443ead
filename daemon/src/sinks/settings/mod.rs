//! `[[sink]]`: the validated sink settings ([`SinkConfig`]: where, what passes, how it retries)
//! and their validation (`raw.rs` the table as written, `kinds.rs` each type's own keys).

mod kinds;
mod raw;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use toml::Spanned;

use raw::{allowed, TYPES};
pub use raw::{RawSink, KEYS};

use crate::diagnostics::{parse_duration, Diagnostics};
use crate::document::is_slug;
use crate::events::EventType;
use crate::sinks::secret::Secret;
use crate::summary::{Class, Taxonomy};

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

/// Validates the `[[sink]]` tables; `taxonomy` has the topics their filters may name.
pub fn validate(
    raw_sinks: &[Spanned<RawSink>],
    taxonomy: &Taxonomy,
    d: &mut Diagnostics<'_>,
) -> Vec<SinkConfig> {
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
                    d.push(
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
            d.push(Some(name_field.span()), key("name"), format!("{name:?} is not a slug; expected lowercase letters, digits and single hyphens, e.g. \"team-slack\" (it names the ref refs/termtrail/sinks/NAME)"));
        } else if !names.insert(name.clone()) {
            d.push(
                Some(name_field.span()),
                key("name"),
                format!("a sink named {name:?} is already declared; names must be unique"),
            );
        }
        let kind = kind_field.get_ref().as_str();
        if !TYPES.contains(&kind) {
            d.push(
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
                d.push(
                    Some(span.clone()),
                    key(k),
                    format!("does not apply to {kind} sinks; remove it"),
                );
            }
        }
        let entry = kinds::Entry {
            raw: s,
            kind,
            span: span.clone(),
            number: i + 1,
        };
        let sink_kind = kinds::validate(&entry, kind_field.span(), d);
        let mut filter = Filter {
            platforms: s.platforms.clone(),
            kinds: s.kinds.clone(),
            ..Filter::default()
        };
        for t in &s.topics {
            if taxonomy.get(t.get_ref()).is_none() {
                d.push(
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
                d.push(
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
                None => d.push(Some(e.span()), key("events"), format!("{:?} is not an event type; expected document.added, document.changed, document.unavailable or document.recovered", e.get_ref())),
            }
        }
        let start = match s.start.as_ref().map(|x| x.get_ref().as_str()) {
            None | Some("main") => Start::Main,
            Some("beginning") => Start::Beginning,
            Some(other) => {
                d.push(s.start.as_ref().map(|x| x.span()), key("start"), format!("{other:?} is not a start; expected \"main\" (changes from now on) or \"beginning\" (every recorded change)"));
                Start::Main
            }
        };
        let mut duration = |field: &Option<Spanned<String>>, k: &str, default: Duration| match field
        {
            None => default,
            Some(v) => match parse_duration(v.get_ref()) {
                Ok(x) if !x.is_zero() => x,
                Ok(_) => {
                    d.push(Some(v.span()), key(k), "must be more than 0s");
                    default
                }
                Err(e) => {
                    d.push(Some(v.span()), key(k), e);
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
    sinks
}
