//! termtrail plugin: OpenAI's policy documents.
//!
//! Next.js pages: the policy is the `<article>` inside `<main>`; a locale `<select>` and a screen-
//! reader skip link sit beside it (both dropped as common noise).

use termtrail_extract::policy::{extract_request, PolicyLayout};
use termtrail_plugin_api::{
    export_plugin, ExtractRequest, ExtractedDocument, Manifest, Plugin, PluginError,
};

/// The plugin.
#[derive(Default)]
pub struct OpenAi;

/// Where the text is, most specific first; the common noise (navigation, cookie banners,
/// dialogs, scripts) is removed by the helper.
const LAYOUT: PolicyLayout<'static> = PolicyLayout {
    main: &["main article", "main"],
    remove: &[],
};

impl Plugin for OpenAi {
    /// A change of the policy's date line, the first thing readers look for.
    fn summarize(&self, request: &termtrail_plugin_api::SummarizeRequest) -> Option<String> {
        termtrail_extract::policy::effective_date_change(&request.old, &request.new)
    }

    fn manifest(&self) -> Manifest {
        Manifest::new("openai", env!("CARGO_PKG_VERSION"))
            .document(
                "privacy-policy",
                "https://openai.com/policies/row-privacy-policy/",
                "OpenAI privacy policy",
            )
            .document(
                "terms-of-service",
                "https://openai.com/policies/row-terms-of-use/",
                "OpenAI terms of use",
            )
            .document(
                "acceptable-use-policy",
                "https://openai.com/policies/usage-policies/",
                "OpenAI usage policies",
            )
            .document(
                "commercial-terms",
                "https://openai.com/policies/services-agreement/",
                "OpenAI services agreement",
            )
            .document(
                "data-processor-agreement",
                "https://openai.com/policies/data-processing-addendum/",
                "OpenAI data processing addendum",
            )
            .document(
                "trackers-policy",
                "https://openai.com/policies/cookie-policy/",
                "OpenAI cookie policy",
            )
            .document(
                "vulnerability-disclosure-policy",
                "https://openai.com/policies/coordinated-vulnerability-disclosure-policy/",
                "OpenAI coordinated vulnerability disclosure policy",
            )
    }

    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        extract_request(request, &LAYOUT)
    }
}

export_plugin!(OpenAi);

#[cfg(test)]
mod tests {
    use super::*;
    use termtrail_extract::policy::request_for;

    /// A synthetic page written for these tests in the layout of OpenAI's pages, with
    /// the per-fetch noise `n` (build ids, nonces, tokens, tracking ids) and one clause.
    const PAGE: &str = r##"<!DOCTYPE html><html lang="en"><head><title>OpenAI privacy policy</title><meta name="csrf-token" content="tok@N@"></head><body><div id="__next"><a class="sr-only" href="#main">Skip to main content</a><header><nav><a href="/research">Research</a><a href="/products">Products</a></nav></header><main id="main"><div class="container-@N@"><select name="Locale Select"><option>English</option><option>Français</option></select><article><div class="hero"><h1>OpenAI privacy policy</h1><p>Last updated: March 3, 2026</p>
<p>This policy explains how OpenAI handles personal data when you use our services, including our apps, developer platform and websites.</p>
<h2>1. Information we collect</h2><p>@CLAUSE@</p>
<ul><li>Account information, such as your name and email address.</li><li>Content you provide, including prompts, files and feedback.</li></ul>
<h2>2. How we use information</h2><p>We use information to provide, maintain and improve the services. Read our <a href="/policies/cookies?utm_source=policy&amp;utm_medium=web&amp;fbclid=IwAR@N@">cookie notice</a> for details, or <a href="/contact?lang=en&amp;did=8f14e45f-ceea-467f-a9f0-@N12@">contact us</a>.</p>
<h3>2.1 Model training</h3><p>You can opt out of the use of your content for model training in your settings.</p></div></article></div></main><div id="onetrust-consent-sdk"><div role="dialog" aria-label="Cookie banner"><p>We use cookies to improve your experience. Accept all?</p><button>Accept all</button><button>Reject</button></div></div><footer>© 2026 OpenAI</footer></div><script id="__NEXT_DATA__" type="application/json">{"buildId":"build-@N@","nonce":"n@N@"}</script><script src="/_next/static/chunks/main-@N@.js"></script></body></html>"##;

    fn page(n: u32, clause: &str) -> String {
        PAGE.replace("@N12@", &format!("{n:012x}"))
            .replace("@N@", &n.to_string())
            .replace("@CLAUSE@", clause)
    }

    fn extract(html: &str) -> ExtractedDocument {
        OpenAi
            .extract(&request_for(
                "privacy-policy",
                "https://openai.com/policies/row-privacy-policy/",
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
                .starts_with("# OpenAI privacy policy\n\nLast updated: March 3, 2026\n"),
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
        assert_eq!(d.title.as_deref(), Some("OpenAI privacy policy"));
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
        let m = OpenAi.manifest();
        assert_eq!(m.name, "openai");
        assert!(!m.documents.is_empty());
        for d in &m.documents {
            assert!(d.url.starts_with("https://"), "{}", d.url);
        }
    }
}
