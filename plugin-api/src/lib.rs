//! The contract between termtrail and its platform plugins.
//!
//! A plugin is a `cdylib` that depends on this crate, implements [`Plugin`] and calls
//! [`export_plugin!`] once. The macro exports a small C ABI (see `ABI.md` beside this crate) that
//! carries JSON, so a plugin built with another rustc (or written in another language) still
//! works, and a panic inside the plugin becomes an error result instead of undefined behaviour.
//!
//! This crate is what plugin authors depend on, so it stays small (serde, serde_json and base64)
//! and changes only
//! additively: new fields are optional (`#[serde(default)]`), and a breaking change bumps
//! [`ABI_VERSION`].
//!
//! # Example
//!
//! ```
//! use termtrail_plugin_api::{
//!     export_plugin, DocumentInfo, ExtractRequest, ExtractedDocument, Manifest, Plugin,
//!     PluginError,
//! };
//!
//! #[derive(Default)]
//! struct Example;
//!
//! impl Plugin for Example {
//!     fn manifest(&self) -> Manifest {
//!         Manifest::new("example", "0.1.0").document(
//!             "privacy-policy",
//!             "https://example.org/privacy",
//!             "Example privacy policy",
//!         )
//!     }
//!
//!     fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
//!         let html = request.document.text();
//!         // A real plugin uses the helpers of `termtrail-extract` here.
//!         let start = html.find("<main>").ok_or_else(|| PluginError::new("no <main> in the page"))?;
//!         let end = html.find("</main>").ok_or_else(|| PluginError::new("no </main>"))?;
//!         Ok(ExtractedDocument::from_text(html[start + 6..end].trim()))
//!     }
//! }
//!
//! export_plugin!(Example);
//!
//! // What the daemon does through the C ABI, shown here through the trait:
//! let plugin = Example;
//! assert_eq!(plugin.manifest().documents[0].kind, "privacy-policy");
//! ```
#![deny(missing_docs)]

mod base64;
#[doc(hidden)]
pub mod ffi;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use ffi::Buffer;

/// The version of the plugin ABI (the C functions, the envelope and the method names). A plugin
/// built for another version is refused at load time with both versions named.
pub const ABI_VERSION: u32 = 1;

/// The method names a host may call through `termtrail_plugin_call`.
pub mod method {
    /// Input: `{}`. Output: a [`crate::Manifest`].
    pub const MANIFEST: &str = "manifest";
    /// Input: an [`crate::ExtractRequest`]. Output: an [`crate::ExtractedDocument`].
    pub const EXTRACT: &str = "extract";
    /// Input: a [`crate::SummarizeRequest`]. Output: a [`crate::SummarizeResponse`].
    pub const SUMMARIZE: &str = "summarize";
}

/// What a plugin says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The plugin's name, a slug (`openai`); documents refer to it with `plugin = "NAME"`. It is
    /// also the platform of the documents it declares.
    pub name: String,
    /// The plugin's own version (semver), recorded in every commit it extracted.
    pub version: String,
    /// The documents the plugin knows.
    #[serde(default)]
    pub documents: Vec<DocumentInfo>,
}

impl Manifest {
    /// A manifest without documents.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            documents: Vec::new(),
        }
    }

    /// Adds a document (builder style).
    pub fn document(
        mut self,
        kind: impl Into<String>,
        url: impl Into<String>,
        title: impl Into<String>,
    ) -> Self {
        self.documents.push(DocumentInfo {
            kind: kind.into(),
            url: url.into(),
            title: title.into(),
        });
        self
    }
}

/// One document a plugin knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentInfo {
    /// The kind, named after Open Terms Archive's terms types (`privacy-policy`).
    pub kind: String,
    /// Where it is published.
    pub url: String,
    /// A human title (`OpenAI privacy policy`).
    pub title: String,
}

/// A document as fetched, handed to a plugin for extraction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchedDocument {
    /// The URL configured for the document.
    pub url: String,
    /// The URL after redirects (the base of relative links).
    pub final_url: String,
    /// The HTTP status.
    pub status: u16,
    /// Response headers, names in lowercase, in the order received.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The raw body bytes (base64 in JSON).
    #[serde(with = "base64")]
    pub body: Vec<u8>,
    /// The body decoded to text by the host (charset from BOM, header or `<meta>`), when it is
    /// text. Plugins should prefer it to decoding `body` themselves.
    #[serde(default)]
    pub body_text: Option<String>,
    /// When it was fetched, RFC 3339 UTC.
    pub fetched_at: String,
}

impl FetchedDocument {
    /// The body as text: the host's decoding if given, else the bytes as (lossy) UTF-8.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match &self.body_text {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => String::from_utf8_lossy(&self.body),
        }
    }
}

/// The input of `extract`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractRequest {
    /// The kind of document, as in the manifest (`privacy-policy`); lets one plugin treat its
    /// documents differently.
    pub kind: String,
    /// The fetched page.
    pub document: FetchedDocument,
}

/// One section of an extracted document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The headings above the section, outermost first (empty for text before any heading).
    pub heading_path: Vec<String>,
    /// The section's Markdown text, its heading line excluded.
    pub text: String,
}

/// What a plugin extracts from a fetched document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractedDocument {
    /// The normalised Markdown text that is recorded as the version. Must hold text.
    pub text: String,
    /// The document's title, if found.
    #[serde(default)]
    pub title: Option<String>,
    /// The text split by headings.
    #[serde(default)]
    pub sections: Vec<Section>,
    /// Anything else worth keeping (`last-updated`, `effective-date`).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

impl ExtractedDocument {
    /// A result with only the text.
    pub fn from_text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            title: None,
            sections: Vec::new(),
            metadata: BTreeMap::new(),
        }
    }
}

/// The input of `summarize`: two versions of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummarizeRequest {
    /// The document kind.
    pub kind: String,
    /// The previous text.
    pub old: String,
    /// The new text.
    pub new: String,
}

/// The output of `summarize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummarizeResponse {
    /// One platform-specific line for the change summary, if the plugin has one.
    pub summary: Option<String>,
}

/// A plugin's failure, reported to the user for the document concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginError {
    /// What went wrong and, ideally, what to do.
    pub message: String,
}

impl PluginError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PluginError {}

/// What a platform plugin implements. The host calls it from one thread at a time per plugin,
/// but may call it from different threads over time, hence `Send + Sync`.
pub trait Plugin: Send + Sync + 'static {
    /// The plugin's name, version and documents. Called once at load.
    fn manifest(&self) -> Manifest;

    /// Extracts the policy text of one fetched document.
    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError>;

    /// One platform-specific line for the summary of a change, if any.
    fn summarize(&self, _request: &SummarizeRequest) -> Option<String> {
        None
    }
}

/// The JSON envelope of every call's output: exactly one of `ok` and `error` is present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The method's output, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<serde_json::Value>,
    /// The error message, on failure (a plugin error, a panic, bad input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Exports `$plugin` (a type implementing [`Plugin`] and `Default`) through the C ABI described
/// in `ABI.md`: `termtrail_plugin_abi_version`, `termtrail_plugin_buffer_size`,
/// `termtrail_plugin_call` and `termtrail_plugin_free`. Use it once per `cdylib`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        fn __termtrail_plugin_instance() -> &'static $plugin {
            static INSTANCE: ::std::sync::OnceLock<$plugin> = ::std::sync::OnceLock::new();
            INSTANCE.get_or_init(<$plugin as ::std::default::Default>::default)
        }

        /// The ABI version this plugin was built for.
        #[no_mangle]
        pub extern "C" fn termtrail_plugin_abi_version() -> u32 {
            $crate::ABI_VERSION
        }

        /// The size of the buffer struct, checked by the host before any call.
        #[no_mangle]
        pub extern "C" fn termtrail_plugin_buffer_size() -> u32 {
            $crate::ffi::buffer_size()
        }

        /// Calls a method with JSON input; the output buffer must be freed with
        /// `termtrail_plugin_free`.
        ///
        /// # Safety
        /// See ABI.md: the pointers must be valid for their lengths, `out` writable.
        #[no_mangle]
        pub unsafe extern "C" fn termtrail_plugin_call(
            method: *const u8,
            method_len: usize,
            input: *const u8,
            input_len: usize,
            out: *mut $crate::Buffer,
        ) -> i32 {
            // SAFETY: the caller upholds the contract of ABI.md, forwarded unchanged.
            unsafe {
                $crate::ffi::call(
                    || __termtrail_plugin_instance(),
                    method,
                    method_len,
                    input,
                    input_len,
                    out,
                )
            }
        }

        /// Frees a buffer returned by `termtrail_plugin_call`.
        ///
        /// # Safety
        /// `buffer` must come from `termtrail_plugin_call` of this plugin, freed once.
        #[no_mangle]
        pub unsafe extern "C" fn termtrail_plugin_free(buffer: $crate::Buffer) {
            // SAFETY: forwarded contract.
            unsafe { $crate::ffi::free(buffer) }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Echo;

    impl Plugin for Echo {
        fn manifest(&self) -> Manifest {
            Manifest::new("echo", "1.0.0").document("privacy-policy", "https://e.org/p", "Echo")
        }
        fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
            match request.kind.as_str() {
                "panic" => panic!("boom {}", 42),
                "fail" => Err(PluginError::new("no text")),
                _ => Ok(ExtractedDocument::from_text(request.document.text())),
            }
        }
    }

    export_plugin!(Echo);

    fn call(method: &str, input: &str) -> (i32, Envelope) {
        let mut out = Buffer::empty();
        // SAFETY: valid pointers and lengths from live slices; `out` is a local.
        let rc = unsafe {
            termtrail_plugin_call(
                method.as_ptr(),
                method.len(),
                input.as_ptr(),
                input.len(),
                &mut out,
            )
        };
        // SAFETY: `out` was just filled by the call.
        let bytes = unsafe { out.as_slice() }.to_vec();
        // SAFETY: freed once, by the plugin that allocated it.
        unsafe { termtrail_plugin_free(out) };
        (
            rc,
            serde_json::from_slice(&bytes).expect("envelope is JSON"),
        )
    }

    fn request(kind: &str) -> String {
        serde_json::to_string(&ExtractRequest {
            kind: kind.into(),
            document: FetchedDocument {
                url: "https://e.org/p".into(),
                final_url: "https://e.org/p".into(),
                status: 200,
                headers: vec![("content-type".into(), "text/html".into())],
                content_type: Some("text/html".into()),
                body: b"hello \xff world".to_vec(),
                body_text: None,
                fetched_at: "2026-01-01T00:00:00Z".into(),
            },
        })
        .expect("serialises")
    }

    #[test]
    fn calls_go_through_the_c_abi() {
        assert_eq!(termtrail_plugin_abi_version(), ABI_VERSION);
        assert_eq!(
            termtrail_plugin_buffer_size() as usize,
            std::mem::size_of::<Buffer>()
        );
        let (rc, env) = call("manifest", "{}");
        assert_eq!(rc, 0);
        let m: Manifest = serde_json::from_value(env.ok.expect("ok")).expect("manifest");
        assert_eq!(m.name, "echo");

        let (rc, env) = call("extract", &request("privacy-policy"));
        assert_eq!(rc, 0);
        let d: ExtractedDocument = serde_json::from_value(env.ok.expect("ok")).expect("doc");
        assert_eq!(d.text, "hello \u{fffd} world");

        let (rc, env) = call("extract", &request("fail"));
        assert_eq!((rc, env.error.as_deref()), (1, Some("no text")));
        let (rc, env) = call("extract", &request("panic"));
        assert_eq!(rc, 1);
        assert!(
            env.error
                .as_deref()
                .is_some_and(|e| e.contains("panicked") && e.contains("boom 42")),
            "{env:?}"
        );
        let (rc, env) = call("extract", "{not json");
        assert_eq!(rc, 1);
        assert!(env.error.expect("error").contains("invalid input"));
        let (rc, env) = call("frobnicate", "{}");
        assert_eq!(rc, 1);
        assert!(env.error.expect("error").contains("unknown method"));
        let (rc, env) = call(
            "summarize",
            r#"{"kind":"privacy-policy","old":"a","new":"b"}"#,
        );
        assert_eq!(rc, 0);
        assert_eq!(env.ok, Some(serde_json::json!({"summary": null})));
    }

    #[test]
    fn body_is_base64_in_json() {
        let json = request("x");
        assert!(json.contains("\"body\":\"aGVsbG8g/yB3b3JsZA==\""), "{json}");
        let back: ExtractRequest = serde_json::from_str(&json).expect("round trip");
        assert_eq!(back.document.body, b"hello \xff world");
    }
}
