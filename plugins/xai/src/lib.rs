//! termtrail plugin: xAI's policy documents.
//!
//! x.ai legal pages have no landmark around the text, so the largest text block is taken; each
//! heading's text sits inside a link to its own anchor (`a.heading-anchor`, unwrapped by the
//! helper, text kept) and a "Legal" back link sits above the text.

use termtrail_extract::policy::{extract_request, PolicyLayout};
use termtrail_plugin_api::{
    export_plugin, ExtractRequest, ExtractedDocument, Manifest, Plugin, PluginError,
};

/// The plugin.
#[derive(Default)]
pub struct Xai;

/// Where the text is, most specific first; the common noise (navigation, cookie banners,
/// dialogs, scripts) is removed by the helper.
const LAYOUT: PolicyLayout<'static> = PolicyLayout {
    main: &["main", "article"],
    // Links are absolute when rules see them (as in OTA), hence `$=`.
    remove: &["[href$=\"/legal\"]:first-child"],
};

impl Plugin for Xai {
    /// A change of the policy's date line, the first thing readers look for.
    fn summarize(&self, request: &termtrail_plugin_api::SummarizeRequest) -> Option<String> {
        termtrail_extract::policy::effective_date_change(&request.old, &request.new)
    }

    fn manifest(&self) -> Manifest {
        Manifest::new("xai", env!("CARGO_PKG_VERSION"))
            .document(
                "privacy-policy",
                "https://x.ai/legal/privacy-policy",
                "xAI privacy policy",
            )
            .document(
                "terms-of-service",
                "https://x.ai/legal/terms-of-service",
                "xAI consumer terms of service",
            )
            .document(
                "acceptable-use-policy",
                "https://x.ai/legal/acceptable-use-policy",
                "xAI acceptable use policy",
            )
            .document(
                "trackers-policy",
                "https://x.ai/legal/cookie-policy",
                "xAI cookie policy",
            )
    }

    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        extract_request(request, &LAYOUT)
    }
}

export_plugin!(Xai);

#[cfg(test)]
mod tests {
    use super::*;
    use termtrail_extract::policy::request_for;

    /// A synthetic page written for these tests in the layout of xAI's pages, with
    /// the per-fetch noise `n` (build ids, nonces, tokens, tracking ids) and one clause.
    const PAGE: &str = r##"<!DOCTYPE html><html lang="en"><head><title>xAI privacy policy</title><meta name="csrf-token" content="tok@N@"></head><body><div class="page-@N@"><div class="topbar"><a href="/grok">Grok</a><a href="/api">Products</a></div><div class="wrap"><div class="legal-@N@"><a href="/legal">Legal</a><h1>xAI privacy policy</h1><p>Last updated: March 3, 2026</p>
<p>This policy explains how xAI handles personal data when you use our services, including our apps, developer platform and websites.</p>
<h2 id="info"><a class="heading-anchor" href="#info"><strong>1. Information we collect</strong></a></h2><p>@CLAUSE@</p>
<ul><li>Account information, such as your name and email address.</li><li>Content you provide, including prompts, files and feedback.</li></ul>
<h2 id="use"><a class="heading-anchor" href="#use"></a>2. How we use information</h2><p>We use information to provide, maintain and improve the services. Read our <a href="/policies/cookies?utm_source=policy&amp;utm_medium=web&amp;fbclid=IwAR@N@">cookie notice</a> for details, or <a href="/contact?lang=en&amp;did=8f14e45f-ceea-467f-a9f0-@N12@">contact us</a>.</p>
<h3>2.1 Model training</h3><p>You can opt out of the use of your content for model training in your settings.</p></div><div class="aside-links"><p>Contact</p></div></div></div><div id="onetrust-consent-sdk"><div role="dialog" aria-label="Cookie banner"><p>We use cookies to improve your experience. Accept all?</p><button>Accept all</button><button>Reject</button></div></div><footer>© 2026 xAI</footer><script id="__NEXT_DATA__" type="application/json">{"buildId":"build-@N@","nonce":"n@N@"}</script><script src="/_next/static/chunks/main-@N@.js"></script></body></html>"##;

    fn page(n: u32, clause: &str) -> String {
        PAGE.replace("@N12@", &format!("{n:012x}"))
            .replace("@N@", &n.to_string())
            .replace("@CLAUSE@", clause)
    }

    fn extract(html: &str) -> ExtractedDocument {
        Xai.extract(&request_for(
            "privacy-policy",
            "https://x.ai/legal/privacy-policy",
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
                .starts_with("# xAI privacy policy\n\nLast updated: March 3, 2026\n"),
            "{}",
            d.text
        );
        assert!(d.text.contains(CLAUSE), "{}", d.text);
        assert!(
            d.text.contains("### 2.1 Model training\n\nYou can opt out"),
            "{}",
            d.text
        );
        // Heading text inside (or beside) the heading's own anchor link is kept, without the link.
        assert!(
            d.text
                .contains("## 1\\. Information we collect\n\nWe collect"),
            "{}",
            d.text
        );
        assert!(
            d.text.contains("## 2\\. How we use information\n"),
            "{}",
            d.text
        );
        assert!(
            !d.text
                .lines()
                .any(|l| l.trim_end().trim_end_matches('#').is_empty() && l.starts_with('#')),
            "a bare heading in:\n{}",
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
            "Legal",
            "heading-anchor",
            "](#",
        ] {
            assert!(!d.text.contains(noise), "{noise:?} in:\n{}", d.text);
        }
        assert_eq!(d.title.as_deref(), Some("xAI privacy policy"));
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
        let m = Xai.manifest();
        assert_eq!(m.name, "xai");
        assert!(!m.documents.is_empty());
        for d in &m.documents {
            assert!(d.url.starts_with("https://"), "{}", d.url);
        }
    }
}
