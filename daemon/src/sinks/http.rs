//! HTTP sinks: one POST of a JSON body (webhook, Slack, Discord), with the webhook's HMAC
//! signature; failures never quote a secret URL.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::secret::{self, Secret};
use super::SinkError;

/// The header carrying the webhook signature.
pub const SIGNATURE_HEADER: &str = "X-Termtrail-Signature";

/// `sha256=HEX` of the HMAC-SHA256 of `body` with `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub(super) async fn post(
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::events::{availability_event, EventType};
    use crate::sinks::{send, Filter, SinkConfig, SinkKind, Start};

    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
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
