//! `[archive]` and `[holds]`: the sections as written (serde, unknown keys refused), their keys,
//! and their validation into [`ArchiveSettings`] (with the suspicious-version [`HoldPolicy`]).

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::HoldPolicy;
use crate::diagnostics::keys::{Key, Shape as S};
use crate::diagnostics::Diagnostics;

/// `[archive]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveSettings {
    /// The git repository (created on first run). Relative paths are from the working directory.
    pub path: PathBuf,
    /// Author and committer name of every commit.
    pub author_name: String,
    /// Author and committer email of every commit.
    pub author_email: String,
    /// Flush every object and ref to disk before going on (survives power loss, not just crashes).
    pub fsync: bool,
    /// When a new text is held back as suspicious (`[holds]`).
    pub holds: HoldPolicy,
}

/// `[archive]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawArchive {
    pub path: Option<Spanned<String>>,
    pub author_name: Option<Spanned<String>>,
    pub author_email: Option<Spanned<String>>,
    pub fsync: Option<bool>,
    /// Publishing (validated by `publish::settings`).
    pub push: Option<Vec<Spanned<String>>>,
    pub push_sinks: Option<bool>,
    pub push_namespace: Option<Spanned<String>>,
}

/// `[holds]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawHolds {
    pub shrink_below: Option<Spanned<f64>>,
    pub language_change: Option<bool>,
}

/// The keys of `[archive]`.
pub const KEYS: &[Key] = &[
    ("path", S::Text),
    ("author_name", S::Text),
    ("author_email", S::Text),
    ("fsync", S::Bool),
    ("push", S::Texts),
    ("push_sinks", S::Bool),
    ("push_namespace", S::Text),
];

/// The keys of `[holds]`.
pub const HOLDS_KEYS: &[Key] = &[("shrink_below", S::Number), ("language_change", S::Bool)];

/// Validates `[archive]` and `[holds]`.
pub fn validate(
    archive: &RawArchive,
    holds: &RawHolds,
    d: &mut Diagnostics<'_>,
) -> ArchiveSettings {
    let settings = ArchiveSettings {
        path: match &archive.path {
            Some(p) if p.get_ref().trim().is_empty() => {
                d.push(Some(p.span()), "archive.path", "must not be empty");
                PathBuf::from("archive")
            }
            Some(p) => PathBuf::from(p.get_ref()),
            None => PathBuf::from("archive"),
        },
        author_name: archive
            .author_name
            .as_ref()
            .map_or_else(|| "termtrail".to_owned(), |s| s.get_ref().clone()),
        author_email: archive
            .author_email
            .as_ref()
            .map_or_else(|| "termtrail@localhost".to_owned(), |s| s.get_ref().clone()),
        fsync: archive.fsync.unwrap_or(true),
        holds: HoldPolicy {
            shrink_below: match &holds.shrink_below {
                None => 0.5,
                Some(v) if (0.0..1.0).contains(v.get_ref()) => *v.get_ref(),
                Some(v) => {
                    d.push(
                        Some(v.span()),
                        "holds.shrink_below",
                        "expected a fraction from 0.0 (off) to below 1.0",
                    );
                    0.5
                }
            },
            language_change: holds.language_change.unwrap_or(true),
        },
    };
    for (key, v) in [
        ("archive.author_name", &archive.author_name),
        ("archive.author_email", &archive.author_email),
    ] {
        if let Some(v) = v {
            if v.get_ref().trim().is_empty()
                || v.get_ref().contains(['<', '>'])
                || v.get_ref().chars().any(char::is_control)
            {
                d.push(
                    Some(v.span()),
                    key,
                    "must be non-empty, on one line, without < or > or control characters",
                );
            }
        }
    }
    settings
}
