//! Platform plugins: finding their libraries, checking them (SHA-256 pin, ABI version), loading
//! them in process or in an isolated host process, and calling them.
//!
//! A plugin's failure (an error, a panic, a crash, a hang, garbage output) is a [`PluginError`]
//! for the one extraction that hit it, never the daemon's failure.

mod host;
mod library;
mod native;
pub mod settings;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use termtrail_plugin_api::{
    method, Envelope, ExtractRequest, ExtractedDocument, Manifest, SummarizeRequest,
    SummarizeResponse, ABI_VERSION,
};

use host::HostClient;
pub use host::{serve, serve_command_line};
use library::Library;
use native::NativePlugin;
pub use settings::{default_dir, library_file_name, Isolation, PluginEntry, PluginSettings};

use crate::document::{
    is_slug, one_line, Document, DocumentId, Extraction, FetchMode, PendingDocument, Source,
};

/// Why a plugin could not be loaded or called.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// No library for the plugin.
    #[error("no plugin {name:?}: {path} does not exist; build the plugins (`cargo build --release --workspace`) or set [plugins] dir or [plugin.{name}] path")]
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

enum Backend {
    /// Behind a mutex: ABI.md promises one call at a time per plugin, so plugins in C need no
    /// locking of their own.
    InProcess(Mutex<NativePlugin>),
    Isolated(Mutex<HostClient>),
}

/// A loaded plugin.
pub struct LoadedPlugin {
    /// Its manifest.
    pub manifest: Manifest,
    /// The library file.
    pub path: PathBuf,
    /// The library's SHA-256 (lowercase hex).
    pub sha256: String,
    /// Where it runs.
    pub isolation: Isolation,
    /// `[plugins] timeout`: an in-process plugin busy for longer is not waited for.
    pub timeout: Duration,
    backend: Backend,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.manifest.name)
            .field("path", &self.path)
            .field("isolation", &self.isolation)
            .finish_non_exhaustive()
    }
}

fn parse_envelope(
    plugin: &str,
    method: &str,
    bytes: &[u8],
) -> Result<serde_json::Value, PluginError> {
    let garbage = |detail: String| PluginError::Garbage {
        plugin: plugin.to_owned(),
        method: method.to_owned(),
        detail,
    };
    let env: Envelope = serde_json::from_slice(bytes).map_err(|e| {
        let preview: String = String::from_utf8_lossy(bytes).chars().take(60).collect();
        garbage(format!("not JSON: {e}; it starts with {preview:?}"))
    })?;
    match env {
        Envelope {
            error: Some(message),
            ..
        } => Err(PluginError::Call {
            plugin: plugin.to_owned(),
            method: method.to_owned(),
            message,
        }),
        Envelope { ok: Some(v), .. } => Ok(v),
        Envelope { .. } => Err(garbage("the envelope has neither ok nor error".to_owned())),
    }
}

/// Checks a manifest, and makes its titles one line: they become commit subjects and event
/// titles, whatever the plugin wrote.
fn check_manifest(name: &str, m: &mut Manifest) -> Result<(), PluginError> {
    let bad = |message: String| PluginError::Manifest {
        name: name.to_owned(),
        message,
    };
    if m.name != name {
        return Err(bad(format!(
            "the library for plugin {name:?} calls itself {:?}; rename the file or fix the manifest",
            m.name
        )));
    }
    // The version goes into every commit's `Extractor` trailer and into `termtrail plugins`.
    if m.version.is_empty() || one_line(&m.version) != m.version {
        return Err(bad(format!(
            "version {:?} must be one line of text without control characters, e.g. \"1.2.0\"",
            m.version
        )));
    }
    for d in &m.documents {
        if !is_slug(&d.kind) {
            return Err(bad(format!("document kind {:?} is not a slug", d.kind)));
        }
        match url::Url::parse(&d.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => {
                return Err(bad(format!(
                    "document {} has no http(s) URL: {:?}",
                    d.kind, d.url
                )))
            }
        }
    }
    for d in &mut m.documents {
        d.title = one_line(&d.title);
    }
    Ok(())
}

impl LoadedPlugin {
    /// Finds, checks and loads plugin `name` as `settings` say.
    pub fn load(name: &str, settings: &PluginSettings) -> Result<Self, PluginError> {
        let path = settings.library(name);
        if !path.is_file() {
            return Err(PluginError::NotFound {
                name: name.to_owned(),
                path,
            });
        }
        // Opened once: the pin is checked on the bytes read here, and what is loaded (here or
        // in every start of a host process) is that content, never the path again.
        let pin = settings.entries.get(name).and_then(|e| e.sha256.as_deref());
        let library = Library::open(name, &path, pin)?;
        let sha256 = library.sha256().to_owned();
        let isolation = settings.isolation_for(name);
        let (backend, manifest_bytes) = match isolation {
            Isolation::None => {
                let native = NativePlugin::load(library)?;
                let m = native.call_raw(method::MANIFEST, b"{}");
                (Backend::InProcess(Mutex::new(native)), m)
            }
            Isolation::Process => {
                let (client, m) = HostClient::start(name, library, settings.timeout)?;
                (Backend::Isolated(Mutex::new(client)), m)
            }
        };
        let mut manifest = match parse_envelope(name, method::MANIFEST, &manifest_bytes) {
            Ok(v) => serde_json::from_value::<Manifest>(v).map_err(|e| PluginError::Garbage {
                plugin: name.to_owned(),
                method: method::MANIFEST.to_owned(),
                detail: e.to_string(),
            })?,
            // In the host, load errors (ABI, symbols) come back as the first envelope's error.
            Err(PluginError::Call { message, .. }) => {
                return Err(PluginError::LoadInHost {
                    name: name.to_owned(),
                    message,
                })
            }
            Err(e) => return Err(e),
        };
        check_manifest(name, &mut manifest)?;
        Ok(Self {
            manifest,
            path,
            sha256,
            isolation,
            timeout: settings.timeout,
            backend,
        })
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// `NAME/VERSION`, for commit trailers.
    pub fn id(&self) -> String {
        format!("plugin:{}/{}", self.manifest.name, self.manifest.version)
    }

    fn call<I: serde::Serialize, O: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        input: &I,
    ) -> Result<O, PluginError> {
        let garbage = |detail: String| PluginError::Garbage {
            plugin: self.name().to_owned(),
            method: method.to_owned(),
            detail,
        };
        let input = serde_json::to_vec(input).map_err(|e| garbage(e.to_string()))?;
        let reply = match &self.backend {
            Backend::InProcess(native) => self.lock_in_process(native)?.call_raw(method, &input),
            Backend::Isolated(client) => client
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .call_raw(method, &input)?,
        };
        let value = parse_envelope(self.name(), method, &reply)?;
        serde_json::from_value(value).map_err(|e| garbage(e.to_string()))
    }

    /// The in-process plugin, once no other call is inside it: a call that never returns would
    /// otherwise hold every later caller (and its extraction slot) for ever.
    fn lock_in_process<'a>(
        &self,
        native: &'a Mutex<NativePlugin>,
    ) -> Result<std::sync::MutexGuard<'a, NativePlugin>, PluginError> {
        let start = std::time::Instant::now();
        loop {
            match native.try_lock() {
                Ok(guard) => return Ok(guard),
                Err(std::sync::TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) if start.elapsed() >= self.timeout => {
                    return Err(PluginError::Busy {
                        plugin: self.name().to_owned(),
                        timeout: self.timeout,
                    })
                }
                Err(std::sync::TryLockError::WouldBlock) => {
                    std::thread::sleep(Duration::from_millis(5))
                }
            }
        }
    }

    /// Extracts one document.
    pub fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        let doc: ExtractedDocument = self.call(method::EXTRACT, request)?;
        if !doc.text.chars().any(char::is_alphanumeric) {
            return Err(PluginError::Call {
                plugin: self.name().to_owned(),
                method: method::EXTRACT.to_owned(),
                message: "the plugin returned no text".to_owned(),
            });
        }
        Ok(doc)
    }

    /// The plugin's line for a change summary, if any.
    pub fn summarize(&self, request: &SummarizeRequest) -> Result<Option<String>, PluginError> {
        let r: SummarizeResponse = self.call(method::SUMMARIZE, request)?;
        Ok(r.summary)
    }
}

/// The ABI version this termtrail speaks.
pub const HOST_ABI_VERSION: u32 = ABI_VERSION;

/// The plugins loaded for a config, by name; each is loaded once and shared.
#[derive(Debug, Default)]
pub struct Registry {
    loaded: BTreeMap<String, Result<Arc<LoadedPlugin>, Arc<PluginError>>>,
}

impl Registry {
    /// Loads plugin `name` (once).
    pub fn get(
        &mut self,
        name: &str,
        settings: &PluginSettings,
    ) -> Result<Arc<LoadedPlugin>, Arc<PluginError>> {
        self.loaded
            .entry(name.to_owned())
            .or_insert_with(|| {
                LoadedPlugin::load(name, settings)
                    .map(Arc::new)
                    .map_err(Arc::new)
            })
            .clone()
    }
}

/// The documents of a config completed by their plugins, and the plugins loaded for them.
#[derive(Debug)]
pub struct Attached {
    /// Every plugin tried, by name: what a check looks plugin documents up in.
    pub registry: Registry,
    /// The config's documents, then those its plugins add, with the extractor id of plugin
    /// documents naming the plugin's version.
    pub documents: Vec<Document>,
    /// Plugins that could not be loaded and documents that cannot be checked, one line each.
    pub problems: Vec<String>,
}

/// Loads the plugins the documents use, and completes the list: a `plugin = "NAME"` document's
/// extractor id names its plugin's version, pending documents (no `url`) become documents with
/// the manifest's URL, and the manifest documents of tracked plugins (`track_all`,
/// `[plugin.NAME] track`) that the config does not declare itself are added, checked every
/// `default_interval`. A plugin that cannot be loaded costs only its own documents: they fail at
/// each check with the load error (or, without a URL, are listed in the problems).
pub fn attach(
    documents: &[Document],
    pending: &[PendingDocument],
    settings: &PluginSettings,
    default_interval: Duration,
) -> Attached {
    let mut registry = Registry::default();
    let mut problems = Vec::new();
    let mut documents = documents.to_vec();
    for doc in &mut documents {
        if let Extraction::Plugin(name) = &doc.extraction {
            match registry.get(name, settings) {
                Ok(p) => doc.extractor_id = p.id(),
                Err(e) => problems.push(format!("{}: {e}", doc.id)),
            }
        }
    }
    let mut new_docs = Vec::new();
    let plugin_doc = |plugin: &Arc<LoadedPlugin>,
                      id: DocumentId,
                      url: url::Url,
                      title: String,
                      interval: Duration| Document {
        id,
        title,
        sources: vec![Source::plain(url.clone(), FetchMode::Http)],
        url,
        extraction: Extraction::Plugin(plugin.name().to_owned()),
        extractor_id: plugin.id(),
        interval,
    };
    for p in pending {
        let plugin = match registry.get(&p.plugin, settings) {
            Ok(plugin) => plugin,
            Err(e) => {
                problems.push(format!("{} (line {}) is not checked: {e}", p.id, p.line));
                continue;
            }
        };
        let Some(info) = plugin
            .manifest
            .documents
            .iter()
            .find(|d| d.kind == p.id.kind())
        else {
            let kinds: Vec<&str> = plugin
                .manifest
                .documents
                .iter()
                .map(|d| d.kind.as_str())
                .collect();
            problems.push(format!(
                "{} (line {}) is not checked: plugin {} has no document of kind {:?}; it knows {}; give a `url` or use one of those kinds",
                p.id, p.line, p.plugin, p.id.kind(), kinds.join(", ")
            ));
            continue;
        };
        // The manifest's URL was checked when the plugin was loaded.
        let Ok(url) = url::Url::parse(&info.url) else {
            continue;
        };
        let title = p.title.clone().unwrap_or_else(|| info.title.clone());
        new_docs.push(plugin_doc(&plugin, p.id.clone(), url, title, p.interval));
    }
    let mut tracked: Vec<String> = if settings.track_all {
        settings.discover()
    } else {
        Vec::new()
    };
    tracked.extend(
        settings
            .entries
            .iter()
            .filter(|(_, e)| e.track == Some(true))
            .map(|(n, _)| n.clone()),
    );
    tracked.retain(|n| settings.tracks(n));
    tracked.sort();
    tracked.dedup();
    for name in tracked {
        let plugin = match registry.get(&name, settings) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("tracked plugin {name}: {e}"));
                continue;
            }
        };
        for info in &plugin.manifest.documents {
            let (Some(id), Ok(url)) = (
                DocumentId::new(&name, &info.kind),
                url::Url::parse(&info.url),
            ) else {
                continue;
            };
            if documents.iter().chain(&new_docs).any(|d| d.id == id) {
                continue;
            }
            new_docs.push(plugin_doc(
                &plugin,
                id,
                url,
                info.title.clone(),
                default_interval,
            ));
        }
    }
    documents.extend(new_docs);
    Attached {
        registry,
        documents,
        problems,
    }
}

impl Registry {
    /// Plugin `name` as [`attach`] or [`Registry::get`] loaded it: the plugin, or why it could
    /// not be loaded; [`PluginError::NotAttached`] if it was never tried.
    pub fn loaded(&self, name: &str) -> Result<&Arc<LoadedPlugin>, Arc<PluginError>> {
        match self.loaded.get(name) {
            Some(Ok(p)) => Ok(p),
            Some(Err(e)) => Err(e.clone()),
            None => Err(Arc::new(PluginError::NotAttached {
                name: name.to_owned(),
            })),
        }
    }

    /// Every plugin tried so far, by name.
    pub fn all(
        &self,
    ) -> impl Iterator<Item = (&String, &Result<Arc<LoadedPlugin>, Arc<PluginError>>)> {
        self.loaded.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_checked() {
        assert_eq!(
            parse_envelope("p", "extract", br#"{"ok":{"text":"x"}}"#).expect("ok"),
            serde_json::json!({"text": "x"})
        );
        let e = parse_envelope("p", "extract", br#"{"error":"no main"}"#).expect_err("error");
        assert_eq!(e.to_string(), "plugin p failed in extract: no main");
        let e = parse_envelope("p", "extract", b"\xffgarbage").expect_err("garbage");
        assert!(
            e.to_string()
                .starts_with("plugin p returned invalid output from extract (not JSON"),
            "{e}"
        );
        let e = parse_envelope("p", "extract", b"{}").expect_err("empty");
        assert!(e.to_string().contains("neither ok nor error"), "{e}");
    }

    #[test]
    fn manifests_are_checked() {
        let mut good = Manifest::new("acme", "1.0.0").document(
            "privacy-policy",
            "https://a.org/p",
            "P\n\nChange-Class: technical",
        );
        assert!(check_manifest("acme", &mut good).is_ok());
        assert_eq!(good.documents[0].title, "P Change-Class: technical");
        let e = check_manifest("other", &mut good).expect_err("name");
        assert!(e.to_string().contains("calls itself \"acme\""), "{e}");
        let mut bad = Manifest::new("acme", "1").document("Privacy Policy", "https://a.org/p", "P");
        assert!(check_manifest("acme", &mut bad).is_err());
        let mut bad = Manifest::new("acme", "1").document("privacy-policy", "ftp://a.org/p", "P");
        assert!(check_manifest("acme", &mut bad).is_err());
        for version in ["1.0\n\nChange-Class: technical", "1.0\u{1b}[2J", ""] {
            let mut bad =
                Manifest::new("acme", version).document("privacy-policy", "https://a.org/p", "P");
            let e = check_manifest("acme", &mut bad)
                .expect_err(version)
                .to_string();
            assert!(e.contains("must be one line of text"), "{e}");
        }
    }

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
            dir: Some(dir.clone()),
            ..PluginSettings::default()
        };
        assert_eq!(settings.discover(), ["acme-ai"]);
        // Isolated by default, wherever the library is.
        assert_eq!(settings.isolation_for("acme-ai"), Isolation::Process);
        let beside = PluginSettings::default();
        assert_eq!(beside.isolation_for("openai"), Isolation::Process);
        let e = LoadedPlugin::load("nope", &settings).expect_err("missing");
        assert!(e.to_string().contains("build the plugins"), "{e}");
    }
}
