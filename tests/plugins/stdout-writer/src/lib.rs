//! Test plugin `stdout-writer`: prints to stdout, then extracts correctly.

use termtrail_plugin_api::{
    export_plugin, ExtractRequest, ExtractedDocument, Manifest, Plugin, PluginError,
};

/// The plugin.
#[derive(Default)]
pub struct StdoutWriter;

impl Plugin for StdoutWriter {
    fn manifest(&self) -> Manifest {
        println!("manifest requested");
        Manifest::new("stdout-writer", "0.0.1").document(
            "privacy-policy",
            "http://127.0.0.1/never-fetched",
            "stdout-writer test document",
        )
    }

    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        // Printed to the process's stdout: must not corrupt the host protocol.
        println!("\0\0\0\x05hello from the plugin, {{\"ok\": 1}}");
        let text = request.document.text();
        let start = text.find("<main>").map_or(0, |i| i + 6);
        let end = text.find("</main>").unwrap_or(text.len());
        Ok(ExtractedDocument::from_text(text[start..end].trim()))
    }
}

export_plugin!(StdoutWriter);
