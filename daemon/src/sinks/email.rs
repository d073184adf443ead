//! The `email` sink: SMTP through lettre, STARTTLS required unless told otherwise, a plain text
//! and an HTML part, the Message-ID derived from the event id.

use super::{format, io, SinkConfig, SinkError, SinkKind, Tls};
use crate::events::Event;

pub(super) async fn email(sink: &SinkConfig, event: &Event) -> Result<(), SinkError> {
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
