//! Sinks: where events go. Each `[[sink]]` is delivered by its own task (see [`delivery`]), so a
//! slow or failing sink delays only itself. Sending is one attempt; retries, ordering and the
//! cursor are the delivery loop's business.
//!
//! `settings/` the `[[sink]]` tables; `delivery.rs` the loop and cursors' use; `cursor.rs` the
//! cursor refs; `format.rs` the payloads; `http.rs`, `exec.rs`, `email.rs`, `atom.rs` and
//! `jsonl` below: one send per type; `secret.rs` secrets.

mod atom;
pub mod cursor;
pub mod delivery;
#[cfg(feature = "email")]
mod email;
pub mod excerpts;
mod exec;
pub mod format;
mod http;
pub mod secret;
pub mod settings;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

pub use http::{signature, SIGNATURE_HEADER};
pub use secret::Secret;
pub use settings::{Filter, SinkConfig, SinkKind, Start, Tls};

use crate::events::Event;

/// Why one delivery failed. Messages never contain secrets: URLs of secret endpoints are redacted.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A secret could not be read.
    #[error(transparent)]
    Secret(#[from] secret::SecretError),
    /// The receiver answered with an error status.
    #[error("the receiver answered HTTP {status}; it will be retried with backoff (check the receiver's logs)")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The request failed (connection refused, timeout, TLS).
    #[error("request failed: {0}; it will be retried with backoff")]
    Request(String),
    /// A file could not be written.
    #[error("cannot write {path}: {source}; check the folder exists and is writable")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The email could not be built or sent.
    #[error("email: {0}")]
    Email(String),
    /// The command failed.
    #[error("command {program}: {message}")]
    Exec {
        /// The program.
        program: String,
        /// What happened.
        message: String,
    },
    /// The Atom feed file cannot be read (or written) as Atom.
    #[error("the feed {path} is not a readable Atom feed ({reason}); it is left as it is and the events wait: repair it, or move it away to start a new feed")]
    Feed {
        /// The file.
        path: String,
        /// The parser's message.
        reason: String,
    },
    /// Delivery took longer than the sink's `timeout`.
    #[error("delivery took longer than {0:?}; raise the sink's `timeout` or check the receiver")]
    Timeout(Duration),
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SinkError + '_ {
    move |source| SinkError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Sends one event to one sink, once.
pub async fn send(
    sink: &SinkConfig,
    http: &reqwest::Client,
    event: &Event,
) -> Result<(), SinkError> {
    match tokio::time::timeout(sink.timeout, send_inner(sink, http, event)).await {
        Ok(r) => r,
        Err(_) => Err(SinkError::Timeout(sink.timeout)),
    }
}

async fn send_inner(
    sink: &SinkConfig,
    http: &reqwest::Client,
    event: &Event,
) -> Result<(), SinkError> {
    match &sink.kind {
        SinkKind::Stdout { json } => {
            let out = if *json {
                serde_json::to_string(event).expect("an event serialises") + "\n"
            } else {
                format::text(event) + "\n"
            };
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(io(Path::new("<stdout>")))
        }
        SinkKind::Jsonl { path } => {
            let mut line = serde_json::to_vec(event).expect("an event serialises");
            line.push(b'\n');
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(io(&path))?;
                // One write call per line so that readers never see half a line from us.
                f.write_all(&line).map_err(io(&path))?;
                f.sync_data().map_err(io(&path))
            })
            .await
            .map_err(|e| SinkError::Request(e.to_string()))?
        }
        SinkKind::Webhook {
            url,
            secret,
            headers,
        } => {
            let body = serde_json::to_vec(event).expect("an event serialises");
            let mut h = vec![
                (
                    "X-Termtrail-Event".to_owned(),
                    event.event_type.as_str().to_owned(),
                ),
                ("X-Termtrail-Delivery".to_owned(), event.id.clone()),
            ];
            if let Some(s) = secret {
                h.push((
                    http::SIGNATURE_HEADER.to_owned(),
                    http::signature(s.expose()?.as_bytes(), &body),
                ));
            }
            for (k, v) in headers {
                h.push((k.clone(), v.expose()?));
            }
            let mut secrets: Vec<&Secret> = vec![url];
            secrets.extend(secret.iter());
            http::post(http, url, body, h, &secrets).await
        }
        SinkKind::Slack { url } => {
            let body = serde_json::to_vec(&format::slack(event)).expect("json");
            http::post(http, url, body, Vec::new(), &[url]).await
        }
        SinkKind::Discord { url } => {
            let body = serde_json::to_vec(&format::discord(event)).expect("json");
            http::post(http, url, body, Vec::new(), &[url]).await
        }
        SinkKind::Atom {
            path,
            max_entries,
            title,
        } => {
            let (path, max, title, name) =
                (path.clone(), *max_entries, title.clone(), sink.name.clone());
            let event = event.clone();
            tokio::task::spawn_blocking(move || atom::append(&path, max, &title, &name, &event))
                .await
                .map_err(|e| SinkError::Request(e.to_string()))?
        }
        SinkKind::Exec { command } => exec::exec(command, event).await,
        #[cfg(feature = "email")]
        SinkKind::Email { .. } => email::email(sink, event).await,
        #[cfg(not(feature = "email"))]
        SinkKind::Email { .. } => Err(SinkError::Email(
            "this termtrail was built without the `email` feature".to_owned(),
        )),
    }
}
