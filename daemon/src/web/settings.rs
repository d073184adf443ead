//! `[web]`: the section as written (serde, unknown keys refused), its keys, and its validation
//! into [`WebSettings`].

use std::net::SocketAddr;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::diagnostics::keys::{Key, Shape as S};
use crate::diagnostics::Diagnostics;
use crate::sinks::Secret;

/// The default address: loopback only, so nothing is exposed until the user says so.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// `[web]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSettings {
    /// Where `termtrail serve` listens.
    pub listen: SocketAddr,
    /// `listen` is written in the config: `termtrail run` serves the web view too.
    pub in_daemon: bool,
    /// The address people reach the view at (printed at start-up; for permalinks later).
    pub public_url: Option<Url>,
    /// When set, every request but `/healthz` must carry it (bearer or `?token=`).
    pub auth_token: Option<Secret>,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.parse().expect("a valid socket address"),
            in_daemon: false,
            public_url: None,
            auth_token: None,
        }
    }
}

/// `[web]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    pub listen: Option<Spanned<String>>,
    pub public_url: Option<Spanned<String>>,
    pub auth_token: Option<Spanned<String>>,
}

/// The keys of `[web]`.
pub const KEYS: &[Key] = &[
    ("listen", S::Text),
    ("public_url", S::Text),
    ("auth_token", S::Text),
];

/// Validates `[web]`.
pub fn validate(raw: &RawWeb, d: &mut Diagnostics<'_>) -> WebSettings {
    let mut web = WebSettings::default();
    if let Some(l) = &raw.listen {
        match l.get_ref().parse::<SocketAddr>() {
            Ok(addr) => {
                web.listen = addr;
                web.in_daemon = true;
            }
            Err(_) => d.push(
                Some(l.span()),
                "web.listen",
                "expected an IP address and port, e.g. \"127.0.0.1:8080\" or \"[::1]:8080\"",
            ),
        }
    }
    if let Some(u) = &raw.public_url {
        web.public_url = d.http_url(u, "web.public_url");
        // Events and alerts carry links under it: a token or password there would travel with
        // every alert.
        if let Some(url) = &web.public_url {
            if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
                d.push(
                    Some(u.span()),
                    "web.public_url",
                    "must not carry a query or credentials (alerts link under it); give the bare address, and the token with [web] auth_token",
                );
                web.public_url = None;
            }
        }
    }
    if let Some(t) = &raw.auth_token {
        if t.get_ref().trim().is_empty() {
            d.push(
                Some(t.span()),
                "web.auth_token",
                "is empty; remove the key or give a token (or env:VAR)",
            );
        } else {
            web.auth_token = Some(Secret::parse(t.get_ref()));
        }
    }
    web
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> (WebSettings, usize) {
        let raw: RawWeb = toml::from_str(src).expect("valid toml");
        let mut d = Diagnostics::new(src);
        let web = validate(&raw, &mut d);
        (web, d.into_issues().len())
    }

    #[test]
    fn defaults_listen_on_loopback_without_a_token() {
        let (web, problems) = parse("");
        assert_eq!(problems, 0);
        assert_eq!(web.listen.to_string(), DEFAULT_LISTEN);
        assert!(web.listen.ip().is_loopback());
        assert!(web.auth_token.is_none() && web.public_url.is_none() && !web.in_daemon);
    }

    #[test]
    fn values_are_checked_and_the_token_never_printed() {
        let (web, problems) = parse(
            "listen = \"0.0.0.0:9000\"\npublic_url = \"https://terms.example.org/\"\nauth_token = \"hunter2\"\n",
        );
        assert_eq!(problems, 0);
        assert_eq!(web.listen.port(), 9000);
        assert!(web.in_daemon, "a written listen serves inside `run` too");
        assert!(!format!("{web:?}").contains("hunter2"), "{web:?}");
        for bad in [
            "listen = \"localhost\"",
            "public_url = \"ftp://x/\"",
            "auth_token = \" \"",
            "public_url = \"https://terms.example.org/?token=abc\"",
            "public_url = \"https://user:pw@terms.example.org/\"",
        ] {
            assert_eq!(parse(bad).1, 1, "{bad}");
        }
    }
}
