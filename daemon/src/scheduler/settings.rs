//! `[schedule]`: the section as written (serde, unknown keys refused), its keys, and its
//! validation into [`ScheduleSettings`].

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::keys::{Key, Shape as S};
use crate::diagnostics::Diagnostics;

/// `[schedule]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSettings {
    /// Default interval between two checks of a document.
    pub interval: Duration,
    /// Each interval is stretched or shrunk at random by up to this fraction, so that documents
    /// drift apart instead of being fetched in bursts.
    pub jitter: f64,
}

/// `[schedule]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    pub interval: Option<Spanned<String>>,
    pub jitter: Option<Spanned<f64>>,
}

/// The keys of `[schedule]`.
pub const KEYS: &[Key] = &[("interval", S::Duration), ("jitter", S::Number)];

/// Validates `[schedule]`.
pub fn validate(raw: &RawSchedule, d: &mut Diagnostics<'_>) -> ScheduleSettings {
    let interval = d.duration(
        &raw.interval,
        "schedule.interval",
        Duration::from_secs(12 * 3600),
    );
    if interval < Duration::from_secs(1) {
        d.push(
            raw.interval.as_ref().map(|s| s.span()),
            "schedule.interval",
            "must be at least 1s",
        );
    }
    let jitter = match &raw.jitter {
        None => 0.1,
        Some(j) if (0.0..=0.5).contains(j.get_ref()) => *j.get_ref(),
        Some(j) => {
            d.push(
                Some(j.span()),
                "schedule.jitter",
                "expected a fraction from 0.0 to 0.5",
            );
            0.1
        }
    };
    ScheduleSettings { interval, jitter }
}
