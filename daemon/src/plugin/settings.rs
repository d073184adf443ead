//! `[plugins]` and `[plugin.NAME]`: the sections as written (serde, unknown keys refused), their
//! keys, their validation into [`PluginSettings`], and what they decide: where a plugin's library
//! is, whether it is tracked, and where it runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostics::keys::{Key, Shape as S};
use crate::diagnostics::Diagnostics;
use crate::document::is_slug;

/// Where a plugin runs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// In a child process (`termtrail plugin-host`): a crash or hang costs one extraction. The
    /// default.
    Process,
    /// In the daemon's process: faster, but a crash of the plugin is a crash of the daemon, and a
    /// call that hangs cannot be stopped (its document fails after the timeout).
    None,
}

impl std::fmt::Display for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Isolation::Process => "process",
            Isolation::None => "none",
        })
    }
}

/// `[plugin.NAME]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginEntry {
    /// The library file, instead of looking in the plugin directory.
    pub path: Option<PathBuf>,
    /// The SHA-256 the file must have (lowercase hex).
    pub sha256: Option<String>,
    /// Where it runs; default: see [`PluginSettings::isolation_for`].
    pub isolation: Option<Isolation>,
    /// Track every document of its manifest (overrides `[plugins] track_all`).
    pub track: Option<bool>,
}

/// `[plugins]` and the `[plugin.NAME]` tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSettings {
    /// Folders searched before the binary's own ([`default_dir`]): `[plugins] dirs` (and the
    /// older `dir`), resolved from the config file's folder.
    pub dirs: Vec<PathBuf>,
    /// Track every document of every plugin in the directory.
    pub track_all: bool,
    /// Isolation for every plugin without its own.
    pub isolation: Option<Isolation>,
    /// Longest time a call may take: an isolated host is then killed; an in-process call is
    /// abandoned and its document fails.
    pub timeout: Duration,
    /// Per-plugin settings.
    pub entries: BTreeMap<String, PluginEntry>,
}

impl Default for PluginSettings {
    fn default() -> Self {
        Self {
            dirs: Vec::new(),
            track_all: false,
            isolation: None,
            timeout: Duration::from_secs(30),
            entries: BTreeMap::new(),
        }
    }
}

/// The platform's file name of plugin `name`'s library (`libtermtrail_plugin_NAME.so`).
pub fn library_file_name(name: &str) -> String {
    format!(
        "{}termtrail_plugin_{}{}",
        std::env::consts::DLL_PREFIX,
        name.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    )
}

/// Where the workspace build puts the plugins: beside the running binary (`target/<profile>/`,
/// or the folder `cargo install` put it in); from a test binary in `target/<profile>/deps/`, its
/// parent.
pub fn default_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().map(Path::to_path_buf).unwrap_or(dir)
    } else {
        dir
    }
}

impl PluginSettings {
    /// The folders searched, in order: `[plugins] dirs`, then the binary's folder (which holds
    /// the bundled plugins).
    pub fn search_path(&self) -> Vec<PathBuf> {
        let mut dirs = self.dirs.clone();
        let own = default_dir();
        if !dirs.contains(&own) {
            dirs.push(own);
        }
        dirs
    }

    /// The library file of plugin `name`: its `path`, else the first folder of the search path
    /// that has it (else where the binary's folder would have it, for the error message).
    pub fn library(&self, name: &str) -> PathBuf {
        if let Some(p) = self.entries.get(name).and_then(|e| e.path.clone()) {
            return p;
        }
        let file = library_file_name(name);
        let path = self.search_path();
        path.iter()
            .map(|d| d.join(&file))
            .find(|p| p.is_file())
            .unwrap_or_else(|| path[path.len() - 1].join(&file))
    }

    /// The isolation of plugin `name`: its own setting, else `[plugins] isolation`, else
    /// `process`, for every plugin, shipped or not: a plugin meets hostile pages, and only a
    /// separate process keeps its crash or hang from being the daemon's.
    pub fn isolation_for(&self, name: &str) -> Isolation {
        let own = self.entries.get(name).and_then(|e| e.isolation);
        own.or(self.isolation).unwrap_or(Isolation::Process)
    }

    /// Whether every manifest document of `name` is tracked.
    pub fn tracks(&self, name: &str) -> bool {
        self.entries
            .get(name)
            .and_then(|e| e.track)
            .unwrap_or(self.track_all)
    }

    /// The names of the plugins in the directory (from their file names), sorted.
    pub fn discover(&self) -> Vec<String> {
        let prefix = format!("{}termtrail_plugin_", std::env::consts::DLL_PREFIX);
        let mut names: Vec<String> = self
            .search_path()
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| {
                let file = e.file_name().into_string().ok()?;
                let stem = file.strip_suffix(std::env::consts::DLL_SUFFIX)?;
                Some(stem.strip_prefix(&prefix)?.replace('_', "-"))
            })
            .collect();
        names.extend(
            self.entries
                .iter()
                .filter(|(_, e)| e.path.is_some())
                .map(|(n, _)| n.clone()),
        );
        names.sort();
        names.dedup();
        names
    }
}

/// `[plugins]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawPlugins {
    pub dirs: Option<Vec<Spanned<String>>>,
    pub dir: Option<Spanned<String>>,
    pub track_all: Option<bool>,
    pub isolation: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
}

/// `[plugin.NAME]` as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawPluginEntry {
    pub path: Option<Spanned<String>>,
    pub sha256: Option<Spanned<String>>,
    pub isolation: Option<Spanned<String>>,
    pub track: Option<bool>,
}

/// The keys of `[plugins]`.
pub const KEYS: &[Key] = &[
    ("dirs", S::Texts),
    ("dir", S::Text),
    ("track_all", S::Bool),
    ("isolation", S::Text),
    ("timeout", S::Duration),
];

/// The keys of a `[plugin.NAME]` table.
pub const ENTRY_KEYS: &[Key] = &[
    ("path", S::Text),
    ("sha256", S::Text),
    ("isolation", S::Text),
    ("track", S::Bool),
];

fn check_isolation(
    d: &mut Diagnostics<'_>,
    v: &Option<Spanned<String>>,
    key: &str,
) -> Option<Isolation> {
    let v = v.as_ref()?;
    match v.get_ref().as_str() {
        "process" => Some(Isolation::Process),
        "none" => Some(Isolation::None),
        other => {
            d.push(Some(v.span()), key, format!("{other:?} is not an isolation; expected \"process\" (a crash costs one extraction) or \"none\" (in-process, faster)"));
            None
        }
    }
}

/// Validates `[plugins]` and the `[plugin.NAME]` tables; relative folders and paths are taken
/// from `base` (the config file's folder), and a folder that does not exist is an error.
pub fn validate(
    raw: &RawPlugins,
    entries: &BTreeMap<String, Spanned<RawPluginEntry>>,
    base: &Path,
    d: &mut Diagnostics<'_>,
) -> PluginSettings {
    let defaults = PluginSettings::default();
    let timeout = d.duration(&raw.timeout, "plugins.timeout", defaults.timeout);
    if timeout.is_zero() {
        d.push(
            raw.timeout.as_ref().map(|s| s.span()),
            "plugins.timeout",
            "must be more than 0s",
        );
    }
    let mut dirs = Vec::new();
    for dir in raw.dirs.iter().flatten().chain(&raw.dir) {
        let path = base.join(dir.get_ref());
        if path.is_dir() {
            dirs.push(path);
        } else {
            let key = if raw.dir.as_ref() == Some(dir) {
                "plugins.dir"
            } else {
                "plugins.dirs"
            };
            d.push(
                Some(dir.span()),
                key,
                format!(
                    "{} is not a folder; create it, or fix the path (relative paths are taken from the config file's folder)",
                    path.display()
                ),
            );
        }
    }
    let mut settings = PluginSettings {
        dirs,
        track_all: raw.track_all.unwrap_or(false),
        isolation: check_isolation(d, &raw.isolation, "plugins.isolation"),
        timeout,
        entries: BTreeMap::new(),
    };
    for (name, e) in entries {
        let key = |k: &str| format!("plugin.{name}.{k}");
        if !is_slug(name) {
            d.push(
                Some(e.span()),
                format!("plugin.{name}"),
                "the plugin name must be a slug such as \"openai\"",
            );
        }
        let e = e.get_ref();
        if let Some(sha) = &e.sha256 {
            if sha.get_ref().len() != 64 || !sha.get_ref().chars().all(|ch| ch.is_ascii_hexdigit())
            {
                d.push(Some(sha.span()), key("sha256"), "expected 64 hexadecimal digits (`sha256sum FILE`; `termtrail plugins` prints it too)");
            }
        }
        settings.entries.insert(
            name.clone(),
            PluginEntry {
                path: e.path.as_ref().map(|p| base.join(p.get_ref())),
                sha256: e.sha256.as_ref().map(|s| s.get_ref().to_ascii_lowercase()),
                isolation: check_isolation(d, &e.isolation, &key("isolation")),
                track: e.track,
            },
        );
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::LoadedPlugin;

    #[test]
    fn library_names_follow_the_platform() {
        let name = library_file_name("acme-ai");
        assert!(name.contains("termtrail_plugin_acme_ai"), "{name}");
        assert!(name.ends_with(std::env::consts::DLL_SUFFIX));
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        std::fs::write(dir.join(library_file_name("acme-ai")), b"").expect("write");
        std::fs::write(dir.join("libother.so"), b"").expect("write");
        let settings = PluginSettings {
            dirs: vec![dir.clone()],
            ..PluginSettings::default()
        };
        // The configured folder adds to the binary's own.
        let found = settings.discover();
        assert!(found.contains(&"acme-ai".to_owned()), "{found:?}");
        assert!(!found.contains(&"other".to_owned()), "{found:?}");
        assert_eq!(
            settings.library("acme-ai"),
            dir.join(library_file_name("acme-ai"))
        );
        // Isolated by default, wherever the library is.
        assert_eq!(settings.isolation_for("acme-ai"), Isolation::Process);
        let beside = PluginSettings::default();
        assert_eq!(beside.isolation_for("openai"), Isolation::Process);
        let e = LoadedPlugin::load("nope", &settings).expect_err("missing");
        assert!(e.to_string().contains("build the plugins"), "{e}");
    }
}
