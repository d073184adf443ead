//! The document model: what a tracked document is (`id.rs`: its identity, paths and names;
//! `model.rs`: its pages, rules and extraction; `rule_sets.rs`: equal rules compiled once;
//! `settings.rs`: the `[[document]]` tables), plain data with no runtime handles: a plugin
//! document names its plugin, which is found in the plugin registry when it is checked.

mod id;
mod model;
mod rule_sets;
pub mod settings;

pub use id::*;
pub use model::*;
pub use rule_sets::RuleSets;
