//! Platform plugins: finding their libraries, checking them (SHA-256 pin, ABI version), loading
//! them in process or in an isolated host process, and calling them.
//!
//! A plugin's failure (an error, a panic, a crash, a hang, garbage output) is a [`PluginError`]
//! for the one extraction that hit it, never the daemon's failure.
//!
//! `settings.rs` `[plugins]` and where a library is; `library.rs` the file opened once and
//! pin-checked; `native.rs` the C ABI in process; `host.rs` process isolation, both sides;
//! `loaded.rs` a loaded plugin and its calls; `registry.rs` the plugins of a run and the
//! documents they complete; `error.rs` what can go wrong; `scaffold.rs` new plugin crates
//! (`termtrail plugin new`).

mod error;
mod host;
mod library;
mod loaded;
mod native;
mod registry;
pub mod scaffold;
pub mod settings;

use termtrail_plugin_api::ABI_VERSION;

pub use error::PluginError;
pub use host::{serve, serve_command_line};
pub use loaded::LoadedPlugin;
pub use registry::{attach, Attached, Registry};
pub use settings::{default_dir, library_file_name, Isolation, PluginEntry, PluginSettings};

/// The ABI version this termtrail speaks.
pub const HOST_ABI_VERSION: u32 = ABI_VERSION;
