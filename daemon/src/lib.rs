//! termtrail: watches platform policy documents and records every version in git.
//!
//! See ARCHITECTURE.md at the repository root for the map of these modules and their invariants.

pub mod archive;
pub mod backoff;
pub mod browser;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod counters;
pub mod diagnostics;
pub mod diff_view;
pub mod document;
pub mod events;
pub mod failpoint;
pub mod fetch;
pub mod import;
pub mod memory;
pub mod migrate;
pub mod pdf;
pub mod plugin;
pub mod provisions;
pub mod publish;
pub mod scheduler;
pub mod self_exe;
pub mod sinks;
pub mod summary;
pub mod telemetry;
pub mod terminal;
pub mod time_fmt;
pub mod validators;
pub mod web;
