//! termtrail plugin: Meta's policy documents.
//!
//! facebook.com pages have no `<main>` tag and hashed class names (`x1n2onr6`) that change per
//! build: only `[role="main"]` is stable.

use termtrail_extract::policy::{extract_request, PolicyLayout};
use termtrail_plugin_api::{
    export_plugin, ExtractRequest, ExtractedDocument, Manifest, Plugin, PluginError,
};

/// The plugin.
#[derive(Default)]
pub struct Meta;

/// Where the text is, most specific first; the common noise (navigation, cookie banners,
/// dialogs, scripts) is removed by the helper.
const LAYOUT: PolicyLayout<'static> = PolicyLayout {
    main: &["[role=\"main\"]", "main"],
    remove: &[],
};

impl Plugin for Meta {
    /// A change of the policy's date line, the first thing readers look for.
    fn summarize(&self, request: &termtrail_plugin_api::SummarizeRequest) -> Option<String> {
        termtrail_extract::policy::effective_date_change(&request.old, &request.new)
    }

    fn manifest(&self) -> Manifest {
        Manifest::new("meta", env!("CARGO_PKG_VERSION"))
            .document(
                "privacy-policy",
                "https://www.facebook.com/privacy/policy/",
                "Meta privacy policy",
            )
            .document(
                "terms-of-service",
                "https://www.facebook.com/legal/ai-terms",
                "Meta AI terms of service",
            )
            .document(
                "acceptable-use-policy",
                "https://www.llama.com/llama3/use-policy/",
                "Meta Llama acceptable use policy",
            )
    }

    fn extract(&self, request: &ExtractRequest) -> Result<ExtractedDocument, PluginError> {
        extract_request(request, &LAYOUT)
    }
}

export_plugin!(Meta);

#[cfg(test)]
mod tests {
    use super::*;
    use termtrail_extract::policy::request_for;

    /// A synthetic page written for these tests in the layout of Meta's pages, with
    /// the per-fetch noise `n` (build ids, nonces, tokens, tracking ids) and one clause.
    const PAGE: &str = r##"<!DOCTYPE html><html lang="en"><head><title>Meta privacy policy</title><meta name="csrf-token" content="tok@N@"></head><body><div class="x9f619 x@N@"><div role="banner"><a href="/">Facebook</a><a>Products</a></div><div class="x78zum5"><div role="navigation"><a href="/privacy/center">Privacy Center</a></div><div role="main"><div class="x1n2onr6 x@N@"><div class="_9ekr"><h1>Meta privacy policy</h1><p>Last updated: March 3, 2026</p>
<p>This policy explains how Meta handles personal data when you use our services, including our apps, developer platform and websites.</p>
<h2>1. Information we collect</h2><p>@CLAUSE@</p>
<ul><li>Account information, such as your name and email address.</li><li>Content you provide, including prompts, files and feedback.</li></ul>
<h2>2. How we use information</h2><p>We use information to provide, maintain and improve the services. Read our <a href="/policies/cookies?utm_source=policy&amp;utm_medium=web&amp;fbclid=IwAR@N@">cookie notice</a> for details, or <a href="/contact?lang=en&amp;did=8f14e45f-ceea-467f-a9f0-@N12@">contact us</a>.</p>
<h3>2.1 Model training</h3><p>You can opt out of the use of your content for model training in your settings.</p></div></div></div></div></div><div id="onetrust-consent-sdk"><div role="dialog" aria-label="Cookie banner"><p>We use cookies to improve your experience. Accept all?</p><button>Accept all</button><button>Reject</button></div></div><script id="__NEXT_DATA__" type="application/json">{"buildId":"build-@N@","nonce":"n@N@"}</script><script src="/_next/static/chunks/main-@N@.js"></script></body></html>"##;

    fn page(n: u32, clause: &str) -> String {
        PAGE.replace("@N12@", &format!("{n:012x}"))
            .replace("@N@", &n.to_string())
            .replace("@CLAUSE@", clause)
    }

    fn extract(html: &str) -> ExtractedDocument {
        Meta.extract(&request_for(
            "privacy-policy",
            "https://www.facebook.com/privacy/policy/",
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
                .starts_with("# Meta privacy policy\n\nLast updated: March 3, 2026\n"),
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
        assert_eq!(d.title.as_deref(), Some("Meta privacy policy"));
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
        let m = Meta.manifest();
        assert_eq!(m.name, "meta");
        assert!(!m.documents.is_empty());
        for d in &m.documents {
            assert!(d.url.starts_with("https://"), "{}", d.url);
        }
    }
}
