//! HTTP validators (`ETag`, `Last-Modified`) of the bytes on record: what a fetch sends as a
//! conditional request and what the archive state keeps once those bytes are committed. A leaf,
//! so that neither side depends on the other.

/// Validators from the last stored snapshot, sent so that an unchanged document costs a 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` last served.
    pub etag: Option<String>,
    /// The `Last-Modified` last served.
    pub last_modified: Option<String>,
}
