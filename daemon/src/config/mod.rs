//! Configuration: parse the TOML, check every key and value type against the components' key
//! tables (unknown keys refused), deserialise (serde; `read.rs`, a long file in pieces), then hand each section to the component
//! that owns it for validation into typed values. Every problem of a file is collected and
//! reported at once, each naming the file, the line and the key, and saying what to write
//! instead. Only the command layer and the daemon loop use this module.

mod error;
mod raw;
mod read;
mod schema;

use std::path::{Path, PathBuf};

use crate::archive::settings::ArchiveSettings;
use crate::browser::BrowserSettings;
use crate::check::settings::ExtractionSettings;
pub use crate::diagnostics::Issue;
use crate::diagnostics::{line_of, Diagnostics};
use crate::document::{Document, DocumentId, FetchMode, PendingDocument};
use crate::events::settings::EventSettings;
use crate::fetch::settings::FetchSettings;
use crate::plugin::PluginSettings;
use crate::scheduler::ScheduleSettings;
use crate::sinks::SinkConfig;
use crate::summary::Taxonomy;
use crate::web::WebSettings;
pub use error::{ConfigError, SyntaxError};

/// The default configuration: the main policy documents of the major AI platforms. Compiled in so
/// that `termtrail run` works from any folder, and written out by `termtrail init`.
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/termtrail.toml");

/// Where the config is looked for when no `--config` is given.
pub const DEFAULT_CONFIG_PATH: &str = "config/termtrail.toml";

/// The name shown for the compiled-in config in messages.
pub const BUILT_IN_NAME: &str = "<built-in default config>";

/// A validated configuration: each component's settings, and the documents.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from (a path or [`BUILT_IN_NAME`]).
    pub source: String,
    /// `[archive]` and `[holds]`.
    pub archive: ArchiveSettings,
    /// `[schedule]`.
    pub schedule: ScheduleSettings,
    /// `[fetch]`.
    pub fetch: FetchSettings,
    /// `[browser]`.
    pub browser: BrowserSettings,
    /// `[extraction]`.
    pub extraction: ExtractionSettings,
    /// `[[document]]`, in file order.
    pub documents: Vec<Document>,
    /// `[plugins]` and `[plugin.NAME]`.
    pub plugins: PluginSettings,
    /// Plugin documents waiting for their plugin's manifest (see [`crate::plugin::attach`]).
    pub pending: Vec<PendingDocument>,
    /// Things that work but look wrong (unknown document kinds).
    pub warnings: Vec<String>,
    /// `[[sink]]`, in file order.
    pub sinks: Vec<SinkConfig>,
    /// The default topics with `[topics.NAME]` applied.
    pub taxonomy: Taxonomy,
    /// `[events]`.
    pub events: EventSettings,
    /// `[web]`.
    pub web: WebSettings,
    /// `[archive] push`, `push_sinks`, `push_namespace`.
    pub publish: crate::publish::PushSettings,
}

impl Config {
    /// Loads the config: `explicit` if given, else `config/termtrail.toml` if it exists, else the
    /// compiled-in default.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_PATH)).filter(|p| p.is_file()),
        };
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                Self::parse(&text, &path.display().to_string())
            }
            None => Self::parse(DEFAULT_CONFIG, BUILT_IN_NAME),
        }
    }

    /// Parses and validates config text; `file` names it in errors.
    pub fn parse(src: &str, file: &str) -> Result<Self, ConfigError> {
        let read = match read::read(src) {
            Ok(read) => read,
            Err(errors) => {
                let mut errors: Vec<SyntaxError> = errors
                    .iter()
                    .map(|e| {
                        let start = e.span().map_or(0, |s| s.start.min(src.len()));
                        // Back to a character boundary, for the column.
                        let start = (0..=start)
                            .rev()
                            .find(|&i| src.is_char_boundary(i))
                            .unwrap_or(0);
                        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
                        SyntaxError {
                            line: line_of(src, start),
                            column: src[line_start..start].chars().count() + 1,
                            message: e.message().to_owned(),
                        }
                    })
                    .collect();
                errors.sort_by_key(|e| (e.line, e.column));
                return Err(ConfigError::Syntax {
                    file: file.to_owned(),
                    errors,
                });
            }
        };
        // Every unknown key and wrong type at once, so that validation can report the problems
        // of every other value too.
        let mut d = Diagnostics::new(src);
        for p in read.problems {
            d.push(Some(p.span), p.key, p.message);
        }
        let raw = match read.raw {
            Ok(raw) => raw,
            // Only if the key tables and the serde structs disagree (a test checks they do not).
            Err(e) => {
                d.push(e.span().or(Some(0..0)), String::new(), e.message());
                return Err(ConfigError::invalid(file, d));
            }
        };
        // In the order of the file's usual layout, so that problems of one line keep it.
        let archive = crate::archive::settings::validate(&raw.archive, &raw.holds, &mut d);
        let publish = crate::publish::settings::validate(
            &raw.archive.push,
            raw.archive.push_sinks,
            &raw.archive.push_namespace,
            &mut d,
        );
        let schedule = crate::scheduler::settings::validate(&raw.schedule, &mut d);
        let fetch = crate::fetch::settings::validate(&raw.fetch, &mut d);
        let browser = crate::browser::settings::validate(&raw.browser, &mut d);
        let extraction = crate::check::settings::validate(&raw.extraction, &mut d);
        // Relative plugin folders and paths are the config file's, not the working folder's.
        let base = if file == BUILT_IN_NAME {
            Path::new("")
        } else {
            Path::new(file).parent().unwrap_or(Path::new(""))
        };
        let plugins =
            crate::plugin::settings::validate(&raw.plugins, &raw.plugin_entries, base, &mut d);
        let docs =
            crate::document::settings::validate(&raw.documents, schedule.interval, file, &mut d);
        let events = crate::events::settings::validate(&raw.events, &mut d);
        let taxonomy = crate::summary::settings::validate(&raw.topics, &mut d);
        let sinks = crate::sinks::settings::validate(&raw.sinks, &taxonomy, &mut d);
        let web = crate::web::settings::validate(&raw.web, &mut d);
        if !d.is_empty() {
            return Err(ConfigError::invalid(file, d));
        }
        let mut warnings = docs.warnings;
        let needs_browser = docs
            .documents
            .iter()
            .any(|d| d.sources.iter().any(|s| s.fetch == FetchMode::Browser));
        if let Some(why) = needs_browser
            .then(|| crate::browser::settings::missing_warning(&browser))
            .flatten()
        {
            warnings.push(format!(
                "{file}: some documents use fetch = \"browser\" but {why}; they will fail until it is installed (Debian: apt-get install chromium)"
            ));
        }
        Ok(Config {
            source: file.to_owned(),
            archive,
            schedule,
            fetch,
            browser,
            extraction,
            documents: docs.documents,
            plugins,
            pending: docs.pending,
            warnings,
            sinks,
            taxonomy,
            events,
            web,
            publish,
        })
    }

    /// What the check engine is built from.
    pub fn engine_settings(&self) -> crate::check::EngineSettings {
        crate::check::EngineSettings {
            archive: self.archive.clone(),
            fetch: self.fetch.clone(),
            browser: self.browser.clone(),
            extraction: self.extraction,
            plugin_timeout: self.plugins.timeout,
        }
    }

    /// The document with this id.
    pub fn document(&self, id: &DocumentId) -> Option<&Document> {
        self.documents.iter().find(|d| d.id == *id)
    }
}

#[cfg(test)]
mod tests;
