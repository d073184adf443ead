//! Test plugin `abort`: aborts the process in every extraction.

use termtrail_plugin_api::{
    export_plugin, ExtractRequest, ExtractedDocument, Manifest, Plugin, PluginError,
};

/// The plugin.
#[derive(Default)]
pub struct Abort;

impl Plugin for Abort {
    fn manifest(&self) -> Manifest {
        Manifest::new("abort", "0.0.1").document(
            "privacy-policy",
            "http://127.0.0.1/never-fetched",
            "abort test document",
        )
    }

    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        let _ = request;
        std::process::abort()
    }
}

export_plugin!(Abort);
