//! The contract between termtrail and its platform plugins.
//!
//! This crate is what plugin authors depend on, so it stays small and changes only additively.
//! For now it fixes the shapes both sides agree on: the ABI version, the fetched document a plugin
//! receives and the extracted document it returns. The loading machinery (C ABI carrying JSON,
//! crash-isolated plugin host) builds on these types.
#![deny(missing_docs)]

use serde::{Deserialize, Serialize};

/// The version of the plugin ABI. A plugin built for another version is refused at load time.
pub const ABI_VERSION: u32 = 1;

/// A document as fetched, handed to a plugin for extraction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchedDocument {
    /// The URL configured for the document.
    pub url: String,
    /// The URL after redirects.
    pub final_url: String,
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The raw body bytes.
    pub body: Vec<u8>,
    /// When it was fetched, RFC 3339 UTC.
    pub fetched_at: String,
}

/// One section of an extracted document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The headings above the section, outermost first.
    pub heading_path: Vec<String>,
    /// The section's Markdown text.
    pub text: String,
}

/// What a plugin extracts from a fetched document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractedDocument {
    /// The normalised Markdown text that is recorded as the version.
    pub text: String,
    /// The document's title, if found.
    pub title: Option<String>,
    /// The text split by headings.
    pub sections: Vec<Section>,
}
