//! The config file as written: the top-level serde struct, one field per section, each section's
//! struct owned by its component (unknown keys refused). Values that need checking keep their
//! `Spanned` position so that validation errors can name the line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::archive::settings::{RawArchive, RawHolds};
use crate::browser::settings::RawBrowser;
use crate::check::settings::RawExtraction;
use crate::document::settings::RawDocument;
use crate::events::settings::RawEvents;
use crate::fetch::settings::RawFetch;
use crate::plugin::settings::{RawPluginEntry, RawPlugins};
use crate::scheduler::settings::RawSchedule;
use crate::sinks::settings::RawSink;
use crate::summary::settings::RawTopic;
use crate::web::settings::RawWeb;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub archive: RawArchive,
    #[serde(default)]
    pub schedule: RawSchedule,
    #[serde(default)]
    pub fetch: RawFetch,
    #[serde(default)]
    pub holds: RawHolds,
    #[serde(default)]
    pub browser: RawBrowser,
    #[serde(default)]
    pub extraction: RawExtraction,
    #[serde(default, rename = "document")]
    pub documents: Vec<Spanned<RawDocument>>,
    #[serde(default, rename = "sink")]
    pub sinks: Vec<Spanned<RawSink>>,
    #[serde(default)]
    pub events: RawEvents,
    #[serde(default)]
    pub topics: BTreeMap<String, Spanned<RawTopic>>,
    #[serde(default)]
    pub plugins: RawPlugins,
    #[serde(default, rename = "plugin")]
    pub plugin_entries: BTreeMap<String, Spanned<RawPluginEntry>>,
    #[serde(default)]
    pub web: RawWeb,
}
