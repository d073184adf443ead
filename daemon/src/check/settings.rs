//! `[extraction]`: the section as written (serde, unknown keys refused), its keys, and its
//! validation into [`ExtractionSettings`].

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::keys::{Key, Shape as S};
use crate::diagnostics::Diagnostics;

/// The default `[extraction] timeout`: a policy page takes milliseconds; this leaves room for a
/// large PDF (whose extractor had this limit before) and stops a pathological page.
pub const DEFAULT_EXTRACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// `[extraction]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractionSettings {
    /// The longest one document's extraction by its rules (or as text, JSON, PDF) may take
    /// before the document fails; plugin calls have `[plugins] timeout`.
    pub timeout: Duration,
}

impl Default for ExtractionSettings {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_EXTRACTION_TIMEOUT,
        }
    }
}

/// `[extraction]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawExtraction {
    pub timeout: Option<Spanned<String>>,
}

/// The keys of `[extraction]`.
pub const KEYS: &[Key] = &[("timeout", S::Duration)];

/// Validates `[extraction]`.
pub fn validate(raw: &RawExtraction, d: &mut Diagnostics<'_>) -> ExtractionSettings {
    let timeout = match d.duration(
        &raw.timeout,
        "extraction.timeout",
        DEFAULT_EXTRACTION_TIMEOUT,
    ) {
        Duration::ZERO => {
            let span = raw.timeout.as_ref().map(|t| t.span());
            d.push(span, "extraction.timeout", "must be more than 0s");
            DEFAULT_EXTRACTION_TIMEOUT
        }
        t => t,
    };
    ExtractionSettings { timeout }
}
