//! Test plugin `segfault`: dereferences a null pointer in every extraction, unless the page
//! says "be-nice" (then it extracts the `<main>` text), so tests can see a host restarted.

use termtrail_plugin_api::{
    export_plugin, ExtractRequest, ExtractedDocument, Manifest, Plugin, PluginError,
};

/// The plugin.
#[derive(Default)]
pub struct Segfault;

impl Plugin for Segfault {
    fn manifest(&self) -> Manifest {
        Manifest::new("segfault", "0.0.1").document(
            "privacy-policy",
            "http://127.0.0.1/never-fetched",
            "segfault test document",
        )
    }

    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        let text = request.document.text();
        if text.contains("be-nice") {
            let start = text.find("<main>").map_or(0, |i| i + 6);
            let end = text.find("</main>").unwrap_or(text.len());
            return Ok(ExtractedDocument::from_text(text[start..end].trim()));
        }
        // SAFETY: none; writing through a null pointer is the point (a segmentation fault).
        unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
        Err(PluginError::new("unreachable: the write above crashes"))
    }
}

export_plugin!(Segfault);
