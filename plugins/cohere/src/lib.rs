//! termtrail plugin: Cohere's policy documents.
//!
//! Marketing and docs sites with the text in `<main>`; the docs site adds a table of contents in an
//! `<aside>`.

termtrail_extract::platform_plugin! {
    /// The plugin.
    pub struct Cohere;
    name = "cohere";
    /// Where the text is, most specific first; the common noise (navigation, cookie banners,
    /// dialogs, scripts) is removed by the helper.
    layout = { main: ["main article", "main"], remove: [] };
    documents = [
        ("privacy-policy", "https://cohere.com/privacy", "Cohere privacy policy"),
        ("terms-of-service", "https://cohere.com/terms-of-use", "Cohere terms of use"),
        (
            "acceptable-use-policy",
            "https://docs.cohere.com/docs/usage-policy",
            "Cohere usage policy",
        ),
    ];
}

#[cfg(test)]
mod tests {
    use termtrail_extract::plugin_test::{
        check_manifest, check_noise_only_changes, check_text, LayoutCase,
    };

    use super::*;

    /// A synthetic page written for these tests in the layout of Cohere's pages, with
    /// the per-fetch noise `n` (build ids, nonces, tokens, tracking ids) and one clause.
    const PAGE: &str = r##"<!DOCTYPE html><html lang="en"><head><title>Cohere privacy policy</title><meta name="csrf-token" content="tok@N@"></head><body><header><nav><a href="/products">Products</a><a href="/pricing">Pricing</a></nav></header><main><aside class="toc">On this page</aside><div class="content-@N@"><h1>Cohere privacy policy</h1><p>Last updated: March 3, 2026</p>
<p>This policy explains how Cohere handles personal data when you use our services, including our apps, developer platform and websites.</p>
<h2>1. Information we collect</h2><p>@CLAUSE@</p>
<ul><li>Account information, such as your name and email address.</li><li>Content you provide, including prompts, files and feedback.</li></ul>
<h2>2. How we use information</h2><p>We use information to provide, maintain and improve the services. Read our <a href="/policies/cookies?utm_source=policy&amp;utm_medium=web&amp;fbclid=IwAR@N@">cookie notice</a> for details, or <a href="/contact?lang=en&amp;did=8f14e45f-ceea-467f-a9f0-@N12@">contact us</a>.</p>
<h3>2.1 Model training</h3><p>You can opt out of the use of your content for model training in your settings.</p></div></main><form action="/subscribe"><input type="hidden" name="csrf" value="tok@N@"><p>Subscribe to updates</p></form><div id="onetrust-consent-sdk"><div role="dialog" aria-label="Cookie banner"><p>We use cookies to improve your experience. Accept all?</p><button>Accept all</button><button>Reject</button></div></div><footer>© 2026 Cohere Inc.</footer><script id="__NEXT_DATA__" type="application/json">{"buildId":"build-@N@","nonce":"n@N@"}</script><script src="/_next/static/chunks/main-@N@.js"></script></body></html>"##;

    /// The noise of this page (each string is in it).
    const NOISE: &[&str] = &[
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
        "On this page",
        "Pricing",
    ];

    const CASE: LayoutCase<'static> = LayoutCase {
        plugin: &Cohere,
        kind: "privacy-policy",
        url: "https://cohere.com/privacy",
        page: PAGE,
        title: "Cohere privacy policy",
        last_updated: "March 3, 2026",
        kept: &[
            "### 2.1 Model training\n\nYou can opt out",
            "[contact us](https://",
            "/contact?lang=en)",
        ],
        noise: NOISE,
        sections: 4,
    };

    #[test]
    fn extracts_the_policy_text_only() {
        check_text(&CASE);
    }

    #[test]
    fn noise_only_changes_give_the_same_text() {
        check_noise_only_changes(&CASE);
    }

    #[test]
    fn manifest_names_real_documents() {
        check_manifest(&Cohere, "cohere");
    }
}
