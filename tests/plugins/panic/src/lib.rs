//! Test plugin `panic`: panics in every extraction.

use termtrail_plugin_api::{
    export_plugin, ExtractRequest, ExtractedDocument, Manifest, Plugin, PluginError,
};

/// The plugin.
#[derive(Default)]
pub struct Panic;

impl Plugin for Panic {
    fn manifest(&self) -> Manifest {
        Manifest::new("panic", "0.0.1").document(
            "privacy-policy",
            "http://127.0.0.1/never-fetched",
            "panic test document",
        )
    }

    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        panic!("test plugin panics on {}", request.document.url)
    }
}

export_plugin!(Panic);
