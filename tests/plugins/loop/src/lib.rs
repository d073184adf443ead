//! Test plugin `loop`: never returns from an extraction.

use termtrail_plugin_api::{
    export_plugin, ExtractRequest, ExtractedDocument, Manifest, Plugin, PluginError,
};

/// The plugin.
#[derive(Default)]
pub struct Looping;

impl Plugin for Looping {
    fn manifest(&self) -> Manifest {
        Manifest::new("loop", "0.0.1").document(
            "privacy-policy",
            "http://127.0.0.1/never-fetched",
            "loop test document",
        )
    }

    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        let _ = request;
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

export_plugin!(Looping);
