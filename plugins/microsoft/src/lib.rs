//! termtrail plugin: Microsoft's policy documents.
//!
//! Both sites keep the text in `<main id="mainContent">`; the Copilot terms page adds a marketing
//! brand band inside it.

use termtrail_extract::policy::{extract_request, PolicyLayout};
use termtrail_plugin_api::{
    export_plugin, ExtractRequest, ExtractedDocument, Manifest, Plugin, PluginError,
};

/// The plugin.
#[derive(Default)]
pub struct Microsoft;

/// Where the text is, most specific first; the common noise (navigation, cookie banners,
/// dialogs, scripts) is removed by the helper.
const LAYOUT: PolicyLayout<'static> = PolicyLayout {
    main: &["#mainContent", "main"],
    remove: &[".cdx_mkt_brand"],
};

impl Plugin for Microsoft {
    /// A change of the policy's date line, the first thing readers look for.
    fn summarize(&self, request: &termtrail_plugin_api::SummarizeRequest) -> Option<String> {
        termtrail_extract::policy::effective_date_change(&request.old, &request.new)
    }

    fn manifest(&self) -> Manifest {
        Manifest::new("microsoft", env!("CARGO_PKG_VERSION"))
            .document(
                "privacy-policy",
                "https://privacy.microsoft.com/en-us/privacystatement",
                "Microsoft privacy statement",
            )
            .document(
                "terms-of-service",
                "https://www.microsoft.com/en-us/microsoft-copilot/for-individuals/termsofuse",
                "Microsoft Copilot terms of use",
            )
    }

    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        extract_request(request, &LAYOUT)
    }
}

export_plugin!(Microsoft);

#[cfg(test)]
mod tests {
    use super::*;
    use termtrail_extract::policy::request_for;

    /// A synthetic page written for these tests in the layout of Microsoft's pages, with
    /// the per-fetch noise `n` (build ids, nonces, tokens, tracking ids) and one clause.
    const PAGE: &str = r##"<!DOCTYPE html><html lang="en"><head><title>Microsoft privacy statement</title><meta name="csrf-token" content="tok@N@"></head><body><div id="uhfCookieAlert" class="cookie-banner"><p>We use cookies to improve your experience. Accept all?</p></div><header id="uhf-header"><nav><a href="/microsoft-365">Products</a></nav></header><main id="mainContent"><div class="cdx_mkt_brand"><p>Products: Copilot for everyone, try it free today on all your devices and more.</p></div><nav aria-label="breadcrumb"><a href="/">Products</a></nav><div class="row-@N@"><h1>Microsoft privacy statement</h1><p>Last updated: March 3, 2026</p>
<p>This policy explains how Microsoft handles personal data when you use our services, including our apps, developer platform and websites.</p>
<h2>1. Information we collect</h2><p>@CLAUSE@</p>
<ul><li>Account information, such as your name and email address.</li><li>Content you provide, including prompts, files and feedback.</li></ul>
<h2>2. How we use information</h2><p>We use information to provide, maintain and improve the services. Read our <a href="/policies/cookies?utm_source=policy&amp;utm_medium=web&amp;fbclid=IwAR@N@">cookie notice</a> for details, or <a href="/contact?lang=en&amp;did=8f14e45f-ceea-467f-a9f0-@N12@">contact us</a>.</p>
<h3>2.1 Model training</h3><p>You can opt out of the use of your content for model training in your settings.</p></div></main><footer>© Microsoft 2026</footer><script id="__NEXT_DATA__" type="application/json">{"buildId":"build-@N@","nonce":"n@N@"}</script><script src="/_next/static/chunks/main-@N@.js"></script></body></html>"##;

    fn page(n: u32, clause: &str) -> String {
        PAGE.replace("@N12@", &format!("{n:012x}"))
            .replace("@N@", &n.to_string())
            .replace("@CLAUSE@", clause)
    }

    fn extract(html: &str) -> ExtractedDocument {
        Microsoft
            .extract(&request_for(
                "privacy-policy",
                "https://privacy.microsoft.com/en-us/privacystatement",
                html,
            ))
            .expect("the synthetic page extracts")
    }

    const CLAUSE: &str = "We collect the information you give us when you create an account.";

    #[test]
    fn extracts_the_policy_text_only() {
        let d = extract(&page(1, CLAUSE));
        assert!(
            d.text
                .starts_with("# Microsoft privacy statement\n\nLast updated: March 3, 2026\n"),
            "{}",
            d.text
        );
        assert!(d.text.contains(CLAUSE), "{}", d.text);
        assert!(
            d.text.contains("### 2.1 Model training\n\nYou can opt out"),
            "{}",
            d.text
        );
        assert!(d.text.contains("[contact us](https://"), "{}", d.text);
        assert!(d.text.contains("/contact?lang=en)"), "{}", d.text);
        for noise in [
            "cookies to improve",
            "Accept all",
            "Products",
            "©",
            "build-",
            "tok1",
            "Subscribe",
            "utm_",
            "fbclid",
            "did=",
            "Skip to",
            "On this page",
            "Related",
            "Try Claude",
        ] {
            assert!(!d.text.contains(noise), "{noise:?} in:\n{}", d.text);
        }
        assert_eq!(d.title.as_deref(), Some("Microsoft privacy statement"));
        assert_eq!(
            d.metadata.get("last-updated").map(String::as_str),
            Some("March 3, 2026")
        );
        assert_eq!(d.sections.len(), 4, "{:?}", d.sections);
    }

    #[test]
    fn noise_only_changes_give_the_same_text() {
        let a = extract(&page(1, CLAUSE)).text;
        assert_eq!(a, extract(&page(987_654, CLAUSE)).text);
        let changed = extract(&page(1, "We collect less.")).text;
        assert_ne!(a, changed);
    }

    #[test]
    fn manifest_names_real_documents() {
        let m = Microsoft.manifest();
        assert_eq!(m.name, "microsoft");
        assert!(!m.documents.is_empty());
        for d in &m.documents {
            assert!(d.url.starts_with("https://"), "{}", d.url);
        }
    }
}
