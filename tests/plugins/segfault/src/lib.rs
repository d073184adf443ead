//! Test plugin `segfault`: dereferences a null pointer in every extraction.

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
        let _ = request;
        // SAFETY: none; writing through a null pointer is the point (a segmentation fault).
        unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
        Err(PluginError::new("unreachable: the write above crashes"))
    }
}

export_plugin!(Segfault);
