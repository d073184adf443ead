//! A minimal termtrail plugin to copy: see README.md beside this crate.

use termtrail_extract::policy::{extract_request, PolicyLayout};
use termtrail_plugin_api::{
    export_plugin, ExtractRequest, ExtractedDocument, Manifest, Plugin, PluginError,
};

/// The plugin. `export_plugin!` needs `Default`; keep it cheap (it is built once per process).
#[derive(Default)]
pub struct Template;

/// Where your pages keep the text: landmarks first, most specific first. When none matches an
/// element with enough text, the largest text block of the page is taken.
const LAYOUT: PolicyLayout<'static> = PolicyLayout {
    main: &["main article", "main", "[role=\"main\"]"],
    // Anything else to drop, beyond the common noise (nav, cookie banners, dialogs, scripts).
    remove: &[".share-buttons"],
};

impl Plugin for Template {
    fn manifest(&self) -> Manifest {
        // The name is the platform slug that configs use: `plugin = "template"`.
        Manifest::new("template", env!("CARGO_PKG_VERSION")).document(
            "privacy-policy",
            "https://example.org/privacy",
            "Example privacy policy",
        )
    }

    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        // `request.kind` tells which document this is, if they need different treatment.
        extract_request(request, &LAYOUT)
    }
}

export_plugin!(Template);

#[cfg(test)]
mod tests {
    use super::*;
    use termtrail_extract::policy::request_for;

    #[test]
    fn extracts_a_synthetic_page() {
        let html = r#"<body><nav>Menu</nav><main><h1>Privacy</h1>
            <p>We keep your account data while your account is open, and delete it within thirty
            days after you close it, except where the law requires us to keep it longer.</p>
            <div class="share-buttons">Share</div></main></body>"#;
        let d = Template
            .extract(&request_for(
                "privacy-policy",
                "https://example.org/privacy",
                html,
            ))
            .expect("extracts");
        assert!(d.text.starts_with("# Privacy\n\nWe keep"), "{}", d.text);
        assert!(
            !d.text.contains("Menu") && !d.text.contains("Share"),
            "{}",
            d.text
        );
    }
}
