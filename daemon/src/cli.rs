//! The command line: raw flags (clap), dispatched to the commands in [`crate::commands`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::telemetry::LogFormat;

/// termtrail watches platform policy documents and records every version in a git repository.
#[derive(Debug, Parser)]
#[command(name = "termtrail", version, about, long_about = None)]
pub struct Cli {
    /// Config file [default: config/termtrail.toml if it exists, else the built-in default].
    #[arg(
        long,
        short,
        global = true,
        env = "TERMTRAIL_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Log format on stderr (the level comes from RUST_LOG, e.g. RUST_LOG=termtrail=debug).
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: check each document at its interval until SIGINT/SIGTERM.
    Run,
    /// Check every document once (due or not), then exit.
    Check {
        /// Only these documents: PLATFORM or PLATFORM/KIND (repeatable).
        #[arg(long, value_name = "PLATFORM[/KIND]")]
        only: Vec<String>,
        /// Print one JSON object with the counts instead of a human summary.
        #[arg(long)]
        json: bool,
    },
    /// List recorded versions, newest first.
    Log {
        /// Only this platform or document.
        #[arg(value_name = "PLATFORM[/KIND]")]
        filter: Option<String>,
        /// Show at most this many.
        #[arg(long, short = 'n')]
        max_count: Option<usize>,
        /// Under each version, the change summary (class, sections, topics) that sinks send.
        #[arg(long, short = 's')]
        summary: bool,
        /// The timeline of one provision of the document (an id from `termtrail provisions`, or
        /// a unique prefix of one): every version that changed it, with before and after.
        #[arg(long, value_name = "ID")]
        provision: Option<String>,
        /// With --provision: print the timeline as JSON (see docs/cli.md).
        #[arg(long, requires = "provision")]
        json: bool,
    },
    /// Print a document's recorded text (the latest, or as it was at a date).
    Show {
        /// The document.
        #[arg(value_name = "PLATFORM/KIND")]
        document: String,
        /// A date (YYYY-MM-DD, meaning the end of that day, UTC) or an RFC 3339 time.
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
    },
    /// Show what changed between two versions of a document, word by word.
    Diff {
        /// The document.
        #[arg(value_name = "PLATFORM/KIND")]
        document: String,
        /// The older version: a commit or a date [default: the version before TO].
        from: Option<String>,
        /// The newer version: a commit or a date [default: the latest version].
        to: Option<String>,
        /// Print the change summary as JSON, provision by provision (see docs/cli.md).
        #[arg(long)]
        json: bool,
    },
    /// List the provisions (paragraphs, list items, table rows) of a version with their stable
    /// ids, heading paths, topics, first-seen and last-changed dates.
    Provisions {
        /// The document.
        #[arg(value_name = "PLATFORM/KIND")]
        document: String,
        /// The version in force at this date (YYYY-MM-DD or RFC 3339) [default: the latest].
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        /// Only the provisions tagged with this topic.
        #[arg(long)]
        topic: Option<String>,
        /// Print JSON (see docs/cli.md).
        #[arg(long)]
        json: bool,
    },
    /// Check the config and print what it tracks.
    Validate,
    /// Show each sink's cursor and how many versions it has not delivered yet.
    Sinks,
    /// Show each [archive] push remote: what it has not accepted yet and the last error.
    Remotes {
        /// Print JSON: `{"remotes": [{name, address, refs: [{local, remote, pending}], last_attempt, last_success, failures, last_error}]}`.
        #[arg(long)]
        json: bool,
    },
    /// Serve a read-only web view of the archive (HTML pages and JSON) until SIGINT/SIGTERM.
    Serve {
        /// Listen on this address instead of [web] listen (port 0 picks a free port).
        #[arg(long, value_name = "IP:PORT")]
        listen: Option<std::net::SocketAddr>,
    },
    /// The provisions tagged with a topic, platform by platform and document by document, with
    /// each version's commit, date and source URL.
    Compare {
        /// A topic name (see `[topics]`; e.g. model-training, data-retention, children).
        #[arg(long)]
        topic: String,
        /// The versions in force at this date (YYYY-MM-DD or RFC 3339) [default: the latest].
        #[arg(long, value_name = "DATE")]
        at: Option<String>,
        /// Print JSON (see docs/cli.md).
        #[arg(long, conflicts_with_all = ["markdown", "width"])]
        json: bool,
        /// Only these platforms or documents (repeatable).
        #[arg(long, value_name = "PLATFORM[/KIND]")]
        only: Vec<String>,
        /// Markdown (one heading per platform) instead of side-by-side columns.
        #[arg(long)]
        markdown: bool,
        /// Column width on a terminal [default: the terminal's width, or 160].
        #[arg(long)]
        width: Option<usize>,
    },
    /// Print the Markdown that a saved page gives with a document's rules (for writing selectors),
    /// or with a plugin (`--plugin NAME KIND FILE`).
    Extract {
        /// The document whose rules to use (with --plugin: the document KIND).
        #[arg(value_name = "PLATFORM/KIND")]
        document: String,
        /// The saved page.
        file: PathBuf,
        /// The URL the page came from, for absolute links [default: the document's URL].
        #[arg(long)]
        url: Option<String>,
        /// Extract with this plugin instead of a configured document's rules.
        #[arg(long, value_name = "NAME")]
        plugin: Option<String>,
    },
    /// List the plugins: versions, ABI, documents, checksums, load errors (exit 1 if any is not
    /// loaded).
    Plugins,
    /// Write a new plugin crate, or install a built plugin.
    Plugin {
        /// What to do.
        #[command(subcommand)]
        action: PluginCommand,
    },
    /// Internal: serve one plugin over stdin/stdout for an isolated daemon (see ARCHITECTURE.md).
    #[command(hide = true)]
    PluginHost {
        /// The plugin library (names it in messages when --fd is given).
        library: PathBuf,
        /// The library's content as an inherited descriptor, checked by the parent.
        #[arg(long)]
        fd: Option<i32>,
    },
    /// Import a dated history of saved pages (oldest first, each commit dated at its capture).
    Import {
        /// The document (declared in the config) the pages belong to.
        #[arg(value_name = "PLATFORM/KIND")]
        document: String,
        /// A folder of files named with their capture time, YYYY-MM-DDTHH-MM-SSZ.
        #[arg(required_unless_present = "ota_snapshots")]
        dir: Option<PathBuf>,
        /// Import from an Open Terms Archive snapshots repository instead, with its dates.
        #[arg(long, value_name = "REPO", conflicts_with = "dir")]
        ota_snapshots: Option<PathBuf>,
        /// The document's file in that repository [default: found by SERVICE/TERMS TYPE].
        #[arg(long, value_name = "PATH", requires = "ota_snapshots")]
        ota_file: Option<String>,
        /// Print one JSON object per capture.
        #[arg(long)]
        json: bool,
    },
    /// Move over from Open Terms Archive: write the termtrail config equivalent to a collection's
    /// declarations and, with its snapshots repository, import every document's history with
    /// its original dates (idempotent: running it again adds nothing).
    MigrateOta {
        /// The collection's `declarations` folder (or the collection folder holding it).
        declarations: PathBuf,
        /// The config file to write (never one written by hand).
        #[arg(long, value_name = "CONFIG")]
        output: PathBuf,
        /// OTA's snapshots repository: import every document's history from it.
        #[arg(long, value_name = "SNAPSHOTS_REPO")]
        snapshots: Option<PathBuf>,
        /// OTA's versions repository: score the imported texts against OTA's versions.
        #[arg(long, value_name = "VERSIONS_REPO", requires = "snapshots")]
        versions: Option<PathBuf>,
    },
    /// Re-extract the latest snapshot with the current rules (after a selector or plugin change).
    Reextract {
        /// Only this platform or document [default: every document].
        #[arg(value_name = "PLATFORM[/KIND]")]
        filter: Option<String>,
    },
    /// Internal: read a PDF on stdin, write its text on stdout (run in a child process by the daemon).
    #[command(hide = true)]
    PdfText,
    /// Write the default config to DIR/config/termtrail.toml for editing.
    Init {
        /// The folder to set up.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Overwrite an existing config.
        #[arg(long)]
        force: bool,
    },
}

/// `termtrail plugin ...`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Write a standalone plugin crate (manifest, layout, summarize, tests on a synthetic page,
    /// and the plugin API crates of this termtrail) that builds with `cargo build --release`.
    New {
        /// The platform slug, e.g. `acme` (the crate is DIR/termtrail-plugin-NAME).
        name: String,
        /// Where to write the crate.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Check a built plugin library (ABI, manifest), copy it where termtrail looks, and print the
    /// config lines that pin its SHA-256.
    Install {
        /// The built library, e.g. target/release/libtermtrail_plugin_acme.so.
        library: PathBuf,
        /// The folder to copy it into [default: the first of `[plugins] dirs`, else the folder of
        /// the termtrail binary].
        #[arg(long, value_name = "DIR")]
        into: Option<PathBuf>,
    },
}
