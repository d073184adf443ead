//! The settings of each sink type (`url`, `path`, SMTP, ...), validated into its [`SinkKind`].

use std::ops::Range;
use std::path::PathBuf;

use toml::Spanned;

use super::raw::RawSink;
use super::{SinkKind, Tls};
use crate::diagnostics::Diagnostics;
use crate::sinks::secret::Secret;

/// One `[[sink]]` table being validated.
pub(super) struct Entry<'a> {
    /// The table as written.
    pub raw: &'a RawSink,
    /// Its `type`.
    pub kind: &'a str,
    /// Where the table is.
    pub span: Range<usize>,
    /// Its number in the file, from 1.
    pub number: usize,
}

impl Entry<'_> {
    /// `sink[N].k`.
    pub fn key(&self, k: &str) -> String {
        format!("sink[{}].{k}", self.number)
    }

    /// A key this type requires, non-empty; `None` (reported) when missing or empty.
    fn required(
        &self,
        d: &mut Diagnostics<'_>,
        field: &Option<Spanned<String>>,
        k: &str,
        example: &str,
    ) -> Option<String> {
        match field {
            Some(x) if !x.get_ref().trim().is_empty() => Some(x.get_ref().clone()),
            Some(x) => {
                d.push(
                    Some(x.span()),
                    self.key(k),
                    format!("must not be empty; expected e.g. {example}"),
                );
                None
            }
            None => {
                d.push(
                    Some(self.span.clone()),
                    self.key(k),
                    format!("is required for {} sinks; e.g. {k} = {example}", self.kind),
                );
                None
            }
        }
    }
}

/// The sink kind of `e`, whose `type` (at `kind_span`) is one of the known types; `None`
/// (reported) when a key it needs is missing or wrong.
pub(super) fn validate(
    e: &Entry<'_>,
    kind_span: Range<usize>,
    d: &mut Diagnostics<'_>,
) -> Option<SinkKind> {
    let s = e.raw;
    let kind = e.kind;
    match kind {
        "stdout" => {
            let json = match s.format.as_ref().map(|f| f.get_ref().as_str()) {
                None | Some("text") => false,
                Some("json") => true,
                Some(other) => {
                    d.push(
                        s.format.as_ref().map(|f| f.span()),
                        e.key("format"),
                        format!("{other:?} is not a format; expected \"text\" or \"json\""),
                    );
                    false
                }
            };
            Some(SinkKind::Stdout { json })
        }
        "jsonl" => e
            .required(d, &s.path, "path", "\"events.jsonl\"")
            .map(|p| SinkKind::Jsonl {
                path: PathBuf::from(p),
            }),
        "atom" => {
            let max_entries = match &s.max_entries {
                None => 50,
                Some(n) if (1..=10_000).contains(n.get_ref()) => *n.get_ref() as usize,
                Some(n) => {
                    d.push(
                        Some(n.span()),
                        e.key("max_entries"),
                        "expected 1 to 10000 entries",
                    );
                    50
                }
            };
            e.required(d, &s.path, "path", "\"feed.xml\"")
                .map(|p| SinkKind::Atom {
                    path: PathBuf::from(p),
                    max_entries,
                    title: match &s.title {
                        Some(t) if t.get_ref().chars().any(char::is_control) => {
                            d.push(
                                Some(t.span()),
                                e.key("title"),
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
            let url = e
                .required(d, &s.url, "url", "\"env:WEBHOOK_URL\"")
                .map(|u| Secret::parse(&u));
            if let (Some(Secret::Literal(u)), Some(span)) = (&url, s.url.as_ref().map(|u| u.span()))
            {
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    d.push(
                        Some(span),
                        e.key("url"),
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
                d.push(Some(kind_span.clone()), e.key("type"), "this termtrail was built without the `email` feature; rebuild with default features");
            }
            let host = e.required(d, &s.smtp_host, "smtp_host", "\"smtp.example.org\"");
            let from = e.required(d, &s.from, "from", "\"termtrail <alerts@example.org>\"");
            let tls = match s.tls.as_ref().map(|t| t.get_ref().as_str()) {
                None | Some("starttls") => Tls::StartTls,
                Some("tls") => Tls::Tls,
                Some("none") => Tls::None,
                Some(other) => {
                    d.push(
                        s.tls.as_ref().map(|t| t.span()),
                        e.key("tls"),
                        format!(
                            "{other:?} is not a mode; expected \"starttls\", \"tls\" or \"none\""
                        ),
                    );
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
                    d.push(
                        Some(p.span()),
                        e.key("smtp_port"),
                        "expected a port from 1 to 65535",
                    );
                    587
                }
            };
            let to = match &s.to {
                Some(t) if !t.get_ref().is_empty() => t.get_ref().clone(),
                Some(t) => {
                    d.push(Some(t.span()), e.key("to"), "needs at least one address");
                    Vec::new()
                }
                None => {
                    d.push(
                        Some(e.span.clone()),
                        e.key("to"),
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
        "exec" => match &s.command {
            Some(c) if !c.get_ref().is_empty() && !c.get_ref()[0].is_empty() => {
                Some(SinkKind::Exec {
                    command: c.get_ref().clone(),
                })
            }
            Some(c) => {
                d.push(Some(c.span()), e.key("command"), "expected a program and its arguments, e.g. [\"/usr/local/bin/notify\", \"--quiet\"]");
                None
            }
            None => {
                d.push(
                    Some(e.span.clone()),
                    e.key("command"),
                    "is required for exec sinks; e.g. command = [\"/usr/local/bin/notify\"]",
                );
                None
            }
        },
        _ => unreachable!("checked against TYPES before"),
    }
}
