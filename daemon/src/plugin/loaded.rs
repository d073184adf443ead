//! A loaded plugin: its library checked and loaded (in process, or in an isolated host), its
//! manifest checked, and its calls (`extract`, `summarize`) with their JSON envelopes checked.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use termtrail_plugin_api::{
    method, Envelope, ExtractRequest, ExtractedDocument, Manifest, SummarizeRequest,
    SummarizeResponse,
};

use super::host::HostClient;
use super::library::Library;
use super::native::NativePlugin;
use super::{Isolation, PluginError, PluginSettings};
use crate::document::{is_slug, one_line};

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
    /// Set when the plugin answered `summarize` with an error (most often: it has none, and
    /// answers "unknown method" as the ABI asks); it is not asked again in this run, so an
    /// optional method costs one log line, not one per change.
    no_summarize: std::sync::atomic::AtomicBool,
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
    // Semantic versions only, so that versions compare and a commit's extractor is precise.
    if semver::Version::parse(&m.version).is_err() {
        return Err(bad(format!(
            "version {:?} is not a semantic version (MAJOR.MINOR.PATCH, e.g. \"1.2.0\"); set `version` in the plugin's Cargo.toml",
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
            no_summarize: Default::default(),
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

    /// The plugin's line for a change summary, if any. `summarize` is optional: a plugin that
    /// answers it with an error reply (an unknown method, or its own failure) gives no line, is
    /// logged once, and is not asked again in this run. A crash or a timeout stays an error.
    pub fn summarize(&self, request: &SummarizeRequest) -> Result<Option<String>, PluginError> {
        use std::sync::atomic::Ordering;
        if self.no_summarize.load(Ordering::Relaxed) {
            return Ok(None);
        }
        match self.call::<_, SummarizeResponse>(method::SUMMARIZE, request) {
            Ok(r) => Ok(r.summary),
            Err(PluginError::Call { message, .. }) => {
                if !self.no_summarize.swap(true, Ordering::Relaxed) {
                    tracing::info!(plugin = %self.name(), answer = %message, "the plugin gives no summarize line; not asking it again until restart");
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
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
        let mut bad =
            Manifest::new("acme", "1.0.0").document("Privacy Policy", "https://a.org/p", "P");
        assert!(check_manifest("acme", &mut bad).is_err());
        let mut bad =
            Manifest::new("acme", "1.0.0").document("privacy-policy", "ftp://a.org/p", "P");
        assert!(check_manifest("acme", &mut bad).is_err());
        for version in [
            "1.0.0\n\nChange-Class: technical",
            "1.0.0\u{1b}[2J",
            "",
            "banana",
            "1",
            "1.0",
        ] {
            let mut bad =
                Manifest::new("acme", version).document("privacy-policy", "https://a.org/p", "P");
            let e = check_manifest("acme", &mut bad)
                .expect_err(version)
                .to_string();
            assert!(e.contains("is not a semantic version"), "{e}");
        }
    }
}
