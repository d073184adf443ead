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
    /// Which fetches keep their page on `snapshots` (`snapshots`).
    pub snapshots: Retention,
    /// Pack loose objects once more than this many are loose (`pack_after`); 0 never packs.
    pub pack_after: u64,
}

/// Which fetches keep their page on the `snapshots` branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Retention {
    /// `"versions"`: the evidence only. The page of every version, of every failed extraction
    /// (it may be re-extracted once the rules are fixed) and of every held text; a fetch whose
    /// bytes changed but whose text did not (noise: tokens, ads, build ids) writes no commit and
    /// is noted in the state (time and page hash).
    #[default]
    Versions,
    /// `"all"`: every fetch whose bytes differ from the last snapshot, noise included.
    All,
}

/// Pack once more than this many objects are loose (git's `gc.auto` is 6,700). A version with its
/// page writes about eight objects, so this is a pack every 125 versions or so; each loose object
/// takes at least one file-system block (4 KiB), which packing gives back.
pub const DEFAULT_PACK_AFTER: u64 = 1_000;

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
    pub snapshots: Option<Spanned<String>>,
    pub pack_after: Option<Spanned<i64>>,
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
    ("snapshots", S::Text),
    ("pack_after", S::Integer),
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
        snapshots: match archive
            .snapshots
            .as_ref()
            .map(|s| (s, s.get_ref().as_str()))
        {
            None | Some((_, "versions")) => Retention::Versions,
            Some((_, "all")) => Retention::All,
            Some((s, _)) => {
                d.push(
                    Some(s.span()),
                    "archive.snapshots",
                    "expected \"versions\" (the pages of versions, failed extractions and held texts) or \"all\" (every fetch whose bytes changed)",
                );
                Retention::Versions
            }
        },
        pack_after: match &archive.pack_after {
            None => DEFAULT_PACK_AFTER,
            Some(n) => u64::try_from(*n.get_ref()).unwrap_or_else(|_| {
                d.push(
                    Some(n.span()),
                    "archive.pack_after",
                    "expected a number of loose objects, 0 or more (0 never packs)",
                );
                DEFAULT_PACK_AFTER
            }),
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
