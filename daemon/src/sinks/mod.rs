//! Sinks: where events go. Each `[[sink]]` is delivered by its own task (see [`delivery`]), so a
//! slow or failing sink delays only itself. Sending is one attempt; retries, ordering and the
//! cursor are the delivery loop's business.

pub mod cursor;
pub mod delivery;
pub mod format;
pub mod secret;
pub mod settings;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub use secret::Secret;
pub use settings::{Filter, SinkConfig, SinkKind, Start, Tls};

use crate::events::Event;

/// The header carrying the webhook signature.
pub const SIGNATURE_HEADER: &str = "X-Termtrail-Signature";

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
    /// Delivery took longer than the sink's `timeout`.
    #[error("delivery took longer than {0:?}; raise the sink's `timeout` or check the receiver")]
    Timeout(Duration),
}

/// `sha256=HEX` of the HMAC-SHA256 of `body` with `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SinkError + '_ {
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

async fn post(
    http: &reqwest::Client,
    url: &Secret,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
    secrets: &[&Secret],
) -> Result<(), SinkError> {
    let target = url.expose()?;
    let mut req = http
        .post(&target)
        .header("Content-Type", "application/json")
        .body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.map_err(|e| {
        // reqwest quotes the URL, which may be the secret itself (Slack, Discord).
        SinkError::Request(secret::redact(&format!("{e:#}"), secrets).replace(&target, "***"))
    })?;
    if !resp.status().is_success() {
        return Err(SinkError::Status {
            status: resp.status().as_u16(),
        });
    }
    Ok(())
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
                    SIGNATURE_HEADER.to_owned(),
                    signature(s.expose()?.as_bytes(), &body),
                ));
            }
            for (k, v) in headers {
                h.push((k.clone(), v.expose()?));
            }
            let mut secrets: Vec<&Secret> = vec![url];
            secrets.extend(secret.iter());
            post(http, url, body, h, &secrets).await
        }
        SinkKind::Slack { url } => {
            let body = serde_json::to_vec(&format::slack(event)).expect("json");
            post(http, url, body, Vec::new(), &[url]).await
        }
        SinkKind::Discord { url } => {
            let body = serde_json::to_vec(&format::discord(event)).expect("json");
            post(http, url, body, Vec::new(), &[url]).await
        }
        SinkKind::Atom {
            path,
            max_entries,
            title,
        } => {
            let (path, max, title, name) =
                (path.clone(), *max_entries, title.clone(), sink.name.clone());
            let event = event.clone();
            tokio::task::spawn_blocking(move || atom_append(&path, max, &title, &name, &event))
                .await
                .map_err(|e| SinkError::Request(e.to_string()))?
        }
        SinkKind::Exec { command } => exec(command, event).await,
        #[cfg(feature = "email")]
        SinkKind::Email { .. } => email(sink, event).await,
        #[cfg(not(feature = "email"))]
        SinkKind::Email { .. } => Err(SinkError::Email(
            "this termtrail was built without the `email` feature".to_owned(),
        )),
    }
}

async fn exec(command: &[String], event: &Event) -> Result<(), SinkError> {
    use tokio::io::AsyncWriteExt;
    let program = command[0].clone();
    let fail = |message: String| SinkError::Exec {
        program: program.clone(),
        message,
    };
    let mut child = tokio::process::Command::new(&command[0])
        .args(&command[1..])
        .env("TERMTRAIL_EVENT_TYPE", event.event_type.as_str())
        .env("TERMTRAIL_EVENT_ID", &event.id)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        // A timed-out delivery drops the child: do not leave it running.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            fail(format!(
                "cannot start it: {e}; check the path and that it is executable"
            ))
        })?;
    let body = serde_json::to_vec(event).expect("an event serialises");
    if let Some(mut stdin) = child.stdin.take() {
        // A program that exits without reading its input is its own business; its status decides.
        let _ = stdin.write_all(&body).await;
        drop(stdin);
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(fail(format!(
            "exited with {}: {}",
            out.status,
            stderr.trim().chars().take(500).collect::<String>()
        )))
    }
}

/// One entry of an Atom feed, kept in the sidecar file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AtomEntry {
    id: String,
    title: String,
    updated: String,
    link: String,
    summary: String,
    html: String,
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SinkError> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Adds `event` to the feed at `path`, keeping the last `max` entries. The entries live in a
/// sidecar file (`PATH.entries.json`) so the feed is rewritten whole each time; an event already
/// in the feed (a re-delivery after a crash) replaces its entry instead of doubling it.
fn atom_append(
    path: &Path,
    max: usize,
    title: &str,
    name: &str,
    event: &Event,
) -> Result<(), SinkError> {
    // A version event and an availability alert may reach the same feed at once; the rewrite is a
    // read-modify-write, so one at a time.
    static FEEDS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = FEEDS.lock().unwrap_or_else(|e| e.into_inner());
    let sidecar = path.with_extension("entries.json");
    let mut entries: Vec<AtomEntry> = match std::fs::read(&sidecar) {
        Ok(b) => serde_json::from_slice(&b).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let id = format!("urn:termtrail:{}", event.id.replace(['/', ' '], ":"));
    entries.retain(|e| e.id != id);
    entries.insert(
        0,
        AtomEntry {
            id,
            title: event.headline.clone(),
            updated: event.fetched_at.clone(),
            link: event.url.clone(),
            summary: format::text(event),
            html: format::html(event),
        },
    );
    entries.truncate(max);
    write_atomically(
        &sidecar,
        &serde_json::to_vec_pretty(&entries).expect("json"),
    )?;
    let updated = entries
        .iter()
        .map(|e| e.updated.as_str())
        .max()
        .unwrap_or("1970-01-01T00:00:00Z")
        .to_owned();
    let x = format::xml_escape;
    let mut feed = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    feed.push_str(&format!("  <title>{}</title>\n  <id>urn:termtrail:feed:{}</id>\n  <updated>{}</updated>\n  <generator>termtrail</generator>\n  <author><name>termtrail</name></author>\n", x(title), x(name), x(&updated)));
    for e in &entries {
        feed.push_str(&format!(
            "  <entry>\n    <title>{}</title>\n    <id>{}</id>\n    <updated>{}</updated>\n",
            x(&e.title),
            x(&e.id),
            x(&e.updated)
        ));
        if e.link.starts_with("http") {
            feed.push_str(&format!(
                "    <link rel=\"alternate\" href=\"{}\"/>\n",
                x(&e.link)
            ));
        }
        feed.push_str(&format!(
            "    <summary type=\"text\">{}</summary>\n    <content type=\"html\">{}</content>\n  </entry>\n",
            x(&e.summary),
            x(&e.html)
        ));
    }
    feed.push_str("</feed>\n");
    write_atomically(path, feed.as_bytes())
}

#[cfg(feature = "email")]
async fn email(sink: &SinkConfig, event: &Event) -> Result<(), SinkError> {
    use lettre::message::{Mailbox, MultiPart};
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Certificate, Tls as SmtpTls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let SinkKind::Email {
        host,
        port,
        tls,
        username,
        password,
        from,
        to,
        tls_ca,
    } = &sink.kind
    else {
        unreachable!("called for email sinks only")
    };
    let e = |what: &str, err: &dyn std::fmt::Display| SinkError::Email(format!("{what}: {err}"));
    let params = || -> Result<TlsParameters, SinkError> {
        let mut b = TlsParameters::builder(host.clone());
        if let Some(ca) = tls_ca {
            let pem = std::fs::read(ca).map_err(io(ca))?;
            let cert = Certificate::from_pem(&pem).map_err(|x| {
                e(
                    &format!("tls_ca {} is not a PEM certificate", ca.display()),
                    &x,
                )
            })?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls().map_err(|x| e("TLS setup", &x))
    };
    // STARTTLS is required, never opportunistic: a relay that does not offer it is an error, not
    // a reason to send credentials in clear.
    let smtp_tls = match tls {
        Tls::StartTls => SmtpTls::Required(params()?),
        Tls::Tls => SmtpTls::Wrapper(params()?),
        Tls::None => SmtpTls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).tls(smtp_tls);
    builder = builder.port(*port).timeout(Some(sink.timeout));
    if let Some(user) = username {
        let pw = match password {
            Some(p) => p.expose()?,
            None => String::new(),
        };
        builder = builder.credentials(Credentials::new(user.clone(), pw));
    }
    let mailer = builder.build();
    let from: Mailbox = from
        .parse()
        .map_err(|x| e("`from` is not an address (expected \"Name <a@b.org>\")", &x))?;
    let mut m = Message::builder()
        .from(from)
        .subject(format!(
            "[termtrail] {}",
            event.headline.chars().take(200).collect::<String>()
        ))
        // The event id makes a re-delivered email recognisable as the same message.
        .message_id(Some(format!(
            "<{}@termtrail>",
            event
                .id
                .replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', "-")
        )));
    for t in to {
        m = m.to(t
            .parse()
            .map_err(|x| e(&format!("`to` entry {t:?} is not an address"), &x))?);
    }
    let msg = m
        .multipart(MultiPart::alternative_plain_html(
            format::text(event),
            format!(
                "<!doctype html><html><body>{}</body></html>",
                format::html(event)
            ),
        ))
        .map_err(|x| e("cannot build the message", &x))?;
    mailer
        .send(msg)
        .await
        .map_err(|x| e(&format!("sending through {host}:{port}"), &x))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

#[cfg(test)]
mod send_tests {
    use super::*;
    use crate::events::{availability_event, EventType};

    #[test]
    fn atom_keeps_the_last_entries_and_replaces_a_redelivered_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let feed = dir.path().join("feed.xml");
        let doc = crate::document::DocumentId::parse("a/b").expect("id");
        let at = |s: u64| std::time::UNIX_EPOCH + Duration::from_secs(s);
        let events: Vec<Event> = (0..4)
            .map(|i| {
                availability_event(
                    EventType::Unavailable,
                    &doc,
                    "t",
                    "https://x/",
                    3,
                    None,
                    at(i * 10),
                )
            })
            .collect();
        for e in &events {
            atom_append(&feed, 3, "T", "n", e).expect("append");
        }
        // Delivered again after a crash: same entry, not a new one.
        atom_append(&feed, 3, "T", "n", &events[3]).expect("append");
        let xml = std::fs::read_to_string(&feed).expect("feed");
        assert_eq!(xml.matches("<entry>").count(), 3, "{xml}");
        assert_eq!(
            xml.matches(&format!(
                "<id>urn:termtrail:{}</id>",
                events[3].id.replace(['/', ' '], ":")
            ))
            .count(),
            1
        );
        assert!(
            !xml.contains(&events[0].id.replace(['/', ' '], ":")),
            "the oldest entry is gone"
        );
    }

    #[tokio::test]
    async fn a_failed_post_does_not_quote_the_secret_url() {
        // Port 1 on loopback refuses connections.
        let url = Secret::parse("http://127.0.0.1:1/services/T000/B000/very-secret-token");
        let sink = SinkConfig {
            name: "s".into(),
            kind: SinkKind::Slack { url },
            filter: Filter::default(),
            start: Start::Main,
            include_technical: false,
            retry_max: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
        };
        let doc = crate::document::DocumentId::parse("a/b").expect("id");
        let e = availability_event(
            EventType::Unavailable,
            &doc,
            "t",
            "u",
            3,
            None,
            std::time::UNIX_EPOCH,
        );
        let err = send(&sink, &reqwest::Client::new(), &e)
            .await
            .expect_err("refused");
        let msg = err.to_string();
        assert!(!msg.contains("very-secret-token"), "{msg}");
        assert!(msg.contains("request failed"), "{msg}");
    }
}
