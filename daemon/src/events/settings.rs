//! `[events]`: the section as written (serde, unknown keys refused), its keys, and its validation
//! into [`EventSettings`].

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::keys::{Key, Shape as S};
use crate::diagnostics::{parse_size, Diagnostics};

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

/// `[events]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawEvents {
    pub diff_max_bytes: Option<Spanned<String>>,
    pub unavailable_after: Option<Spanned<i64>>,
}

/// The keys of `[events]`.
pub const KEYS: &[Key] = &[
    ("diff_max_bytes", S::Size),
    ("unavailable_after", S::Integer),
];

/// Validates `[events]`.
pub fn validate(raw: &RawEvents, d: &mut Diagnostics<'_>) -> EventSettings {
    let mut events = EventSettings::default();
    if let Some(s) = &raw.diff_max_bytes {
        match parse_size(s.get_ref()) {
            Ok(n) => events.diff_max_bytes = n as usize,
            Err(e) => d.push(Some(s.span()), "events.diff_max_bytes", e),
        }
    }
    if let Some(n) = &raw.unavailable_after {
        if (1..=1000).contains(n.get_ref()) {
            events.unavailable_after = *n.get_ref() as u32;
        } else {
            d.push(
                Some(n.span()),
                "events.unavailable_after",
                format!(
                    "{} is out of range; expected 1 to 1000 failed checks",
                    n.get_ref()
                ),
            );
        }
    }
    events
}
