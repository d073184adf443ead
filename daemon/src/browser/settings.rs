//! `[browser]`: the section as written (serde, unknown keys refused), its keys, and its
//! validation into [`BrowserSettings`].

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::keys::{Key, Shape as S};
use crate::diagnostics::Diagnostics;

/// `[browser]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BrowserSettings {
    /// The Chromium executable.
    pub executable: PathBuf,
    /// Shut the browser down after this long without a page to render.
    pub idle_shutdown: Duration,
    /// Longest wait for a page to load and for its selected region to have text.
    pub render_timeout: Duration,
    /// Retry a plain fetch that met a bot wall or an empty selection in the browser, when one
    /// is available.
    pub fallback: bool,
}

impl Default for BrowserSettings {
    fn default() -> Self {
        Self {
            executable: PathBuf::from("/usr/bin/chromium"),
            idle_shutdown: Duration::from_secs(60),
            render_timeout: Duration::from_secs(30),
            fallback: true,
        }
    }
}

/// `[browser]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawBrowser {
    pub executable: Option<Spanned<String>>,
    pub idle_shutdown: Option<Spanned<String>>,
    pub render_timeout: Option<Spanned<String>>,
    pub fallback: Option<bool>,
}

/// The keys of `[browser]`.
pub const KEYS: &[Key] = &[
    ("executable", S::Text),
    ("idle_shutdown", S::Duration),
    ("render_timeout", S::Duration),
    ("fallback", S::Bool),
];

/// Validates `[browser]`.
pub fn validate(raw: &RawBrowser, d: &mut Diagnostics<'_>) -> BrowserSettings {
    let defaults = BrowserSettings::default();
    BrowserSettings {
        executable: raw
            .executable
            .as_ref()
            .map_or(defaults.executable.clone(), |e| PathBuf::from(e.get_ref())),
        idle_shutdown: d.duration(
            &raw.idle_shutdown,
            "browser.idle_shutdown",
            defaults.idle_shutdown,
        ),
        render_timeout: d.duration(
            &raw.render_timeout,
            "browser.render_timeout",
            defaults.render_timeout,
        ),
        fallback: raw.fallback.unwrap_or(defaults.fallback),
    }
}

/// The warning due when documents need the browser but none can run: this build has no
/// `browser` feature, or there is no Chromium at the configured path.
pub fn missing_warning(settings: &BrowserSettings) -> Option<String> {
    if cfg!(feature = "browser") && settings.executable.exists() {
        return None;
    }
    Some(if cfg!(feature = "browser") {
        format!("there is no Chromium at {}", settings.executable.display())
    } else {
        "this build has no `browser` feature".to_owned()
    })
}
