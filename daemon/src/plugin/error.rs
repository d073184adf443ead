//! Why a plugin could not be loaded or called: one error per way it can fail, each saying what
//! to do about it.

use std::path::PathBuf;
use std::time::Duration;

/// Why a plugin could not be loaded or called.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// No library for the plugin.
    #[error("no plugin {name:?}: {path} does not exist; build the plugins (`cargo build --release --workspace`) or add its folder to [plugins] dirs, or set [plugin.{name}] path")]
    NotFound {
        /// The plugin.
        name: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The file cannot be read (for its checksum).
    #[error("cannot read plugin {path}: {source}")]
    Read {
        /// The library.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The in-memory copy of a pinned library, which is what gets loaded, cannot be made.
    #[error("cannot make the sealed in-memory copy of plugin {path} that is loaded once its checksum is checked: {source}; this needs Linux's memfd_create (and /proc); remove the sha256 pin to load the file directly")]
    Seal {
        /// The library.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The checksum pinned in the config does not match the file.
    #[error("refusing to load plugin {path}: its SHA-256 is {actual} but the config pins {expected}; if the plugin was updated on purpose, put the new checksum in [plugin.{name}] sha256")]
    Checksum {
        /// The plugin.
        name: String,
        /// The library.
        path: PathBuf,
        /// The pinned checksum.
        expected: String,
        /// The file's checksum.
        actual: String,
    },
    /// The dynamic loader refused the file.
    #[error("cannot load plugin library {path}: {source}")]
    Open {
        /// The library.
        path: PathBuf,
        /// The loader's error.
        source: libloading::Error,
    },
    /// The library lacks one of the ABI's functions: not a termtrail plugin.
    #[error("{path} is not a termtrail plugin: it does not export {symbol} ({source}); plugins call termtrail_plugin_api::export_plugin!")]
    MissingSymbol {
        /// The library.
        path: PathBuf,
        /// The missing symbol.
        symbol: String,
        /// The loader's error.
        source: libloading::Error,
    },
    /// The plugin was built for another ABI version.
    #[error("plugin {path} speaks plugin ABI version {plugin}, but this termtrail speaks ABI version {host}; rebuild the plugin against termtrail-plugin-api with ABI version {host}")]
    AbiMismatch {
        /// The library.
        path: PathBuf,
        /// The plugin's ABI version.
        plugin: u32,
        /// Ours.
        host: u32,
    },
    /// The plugin's buffer struct has another size: built for another layout or platform.
    #[error("plugin {path} declares a {plugin}-byte buffer struct where this termtrail expects {host} bytes (ABI version {abi}); rebuild the plugin for this platform")]
    BufferSize {
        /// The library.
        path: PathBuf,
        /// Its size.
        plugin: u32,
        /// Ours.
        host: u32,
        /// The ABI version both claim.
        abi: u32,
    },
    /// Loading failed inside the isolated host (the message comes from the host).
    #[error("plugin {name}: {message}")]
    LoadInHost {
        /// The plugin.
        name: String,
        /// The host's error.
        message: String,
    },
    /// The manifest is unusable.
    #[error("plugin {name}: bad manifest: {message}")]
    Manifest {
        /// The plugin.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The plugin reported an error (or panicked: the message says so).
    #[error("plugin {plugin} failed in {method}: {message}")]
    Call {
        /// The plugin.
        plugin: String,
        /// The method.
        method: String,
        /// The plugin's message.
        message: String,
    },
    /// The plugin's output is not the JSON the ABI prescribes.
    #[error("plugin {plugin} returned invalid output from {method} ({detail}); the plugin is broken, report it to its author")]
    Garbage {
        /// The plugin.
        plugin: String,
        /// The method.
        method: String,
        /// The parser's message.
        detail: String,
    },
    /// The isolated host died (a crash, an abort).
    #[error("plugin {plugin}'s host process died during {during} ({status}); it is restarted on a later call (backoff {backoff:?})")]
    HostDied {
        /// The plugin.
        plugin: String,
        /// The method (or `load`).
        during: String,
        /// How it ended.
        status: String,
        /// Time before a restart is tried.
        backoff: Duration,
    },
    /// The isolated host did not answer in time and was killed.
    #[error("plugin {plugin} did not answer {during} within {timeout:?}; its host process was killed (raise [plugins] timeout if the plugin is just slow)")]
    Timeout {
        /// The plugin.
        plugin: String,
        /// The method.
        during: String,
        /// The limit.
        timeout: Duration,
    },
    /// The host crashed recently and is not restarted yet.
    #[error("plugin {plugin}'s host process crashed {crashes} time(s) in a row; not restarted for another {wait:?}")]
    Backoff {
        /// The plugin.
        plugin: String,
        /// Consecutive crashes.
        crashes: u32,
        /// Time left.
        wait: Duration,
    },
    /// A plugin document was checked before its plugin was attached (a bug in termtrail).
    #[error("plugin {name} was not loaded before use (a bug in termtrail: plugin::attach was not called)")]
    NotAttached {
        /// The plugin.
        name: String,
    },
    /// The host process cannot be started.
    #[error("cannot start the plugin host process: {0}")]
    Spawn(std::io::Error),
    /// An in-process call did not return in time. It cannot be stopped: it goes on in the
    /// background, and the plugin's next calls wait for it (see [`PluginError::Busy`]).
    #[error("plugin {plugin} did not answer {during} within {timeout:?}; it runs in termtrail's process (isolation = \"none\"), where it cannot be stopped; set isolation = \"process\" for this plugin")]
    InProcessTimeout {
        /// The plugin.
        plugin: String,
        /// The method.
        during: String,
        /// The limit.
        timeout: Duration,
    },
    /// An in-process plugin is still inside an earlier call, past its timeout.
    #[error("plugin {plugin} is still inside an earlier call after {timeout:?} ([plugins] timeout); it runs in termtrail's process (isolation = \"none\"), where it cannot be stopped; set isolation = \"process\" for this plugin")]
    Busy {
        /// The plugin.
        plugin: String,
        /// The limit.
        timeout: Duration,
    },
}
