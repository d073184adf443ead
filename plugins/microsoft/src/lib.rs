//! termtrail plugin: Microsoft's policy documents.
//!
//! Both sites keep the text in `<main id="mainContent">`; the Copilot terms page adds a marketing
//! brand band inside it.

termtrail_extract::platform_plugin! {
    /// The plugin.
    pub struct Microsoft;
    name = "microsoft";
    /// Where the text is, most specific first; the common noise (navigation, cookie banners,
    /// dialogs, scripts) is removed by the helper.
    layout = { main: ["#mainContent", "main"], remove: [".cdx_mkt_brand"] };
    documents = [
        (
            "privacy-policy",
            "https://privacy.microsoft.com/en-us/privacystatement",
            "Microsoft privacy statement",
        ),
        (
            "terms-of-service",
            "https://www.microsoft.com/en-us/microsoft-copilot/for-individuals/termsofuse",
            "Microsoft Copilot terms of use",
        ),
    ];
}

#[cfg(test)]
mod tests {
    use termtrail_extract::plugin_test::{
        check_manifest, check_noise_only_changes, check_text, LayoutCase,
    };

    use super::*;

    /// A synthetic page written for these tests in the layout of Microsoft's pages, with
    /// the per-fetch noise `n` (build ids, nonces, tokens, tracking ids) and one clause.
    const PAGE: &str = r##"<!DOCTYPE html><html lang="en"><head><title>Microsoft privacy statement</title><meta name="csrf-token" content="tok@N@"></head><body><div id="uhfCookieAlert" class="cookie-banner"><p>We use cookies to improve your experience. Accept all?</p></div><header id="uhf-header"><nav><a href="/microsoft-365">Products</a></nav></header><main id="mainContent"><div class="cdx_mkt_brand"><p>Products: Copilot for everyone, try it free today on all your devices and more.</p></div><nav aria-label="breadcrumb"><a href="/">Products</a></nav><div class="row-@N@"><h1>Microsoft privacy statement</h1><p>Last updated: March 3, 2026</p>
<p>This policy explains how Microsoft handles personal data when you use our services, including our apps, developer platform and websites.</p>
<h2>1. Information we collect</h2><p>@CLAUSE@</p>
<ul><li>Account information, such as your name and email address.</li><li>Content you provide, including prompts, files and feedback.</li></ul>
<h2>2. How we use information</h2><p>We use information to provide, maintain and improve the services. Read our <a href="/policies/cookies?utm_source=policy&amp;utm_medium=web&amp;fbclid=IwAR@N@">cookie notice</a> for details, or <a href="/contact?lang=en&amp;did=8f14e45f-ceea-467f-a9f0-@N12@">contact us</a>.</p>
<h3>2.1 Model training</h3><p>You can opt out of the use of your content for model training in your settings.</p></div></main><footer>© Microsoft 2026</footer><script id="__NEXT_DATA__" type="application/json">{"buildId":"build-@N@","nonce":"n@N@"}</script><script src="/_next/static/chunks/main-@N@.js"></script></body></html>"##;

    /// The noise of this page (each string is in it).
    const NOISE: &[&str] = &[
        "cookies to improve",
        "Accept all",
        "Products",
        "©",
        "build-",
        "tok1",
        "utm_",
        "fbclid",
        "did=",
        "Copilot for everyone",
    ];

    const CASE: LayoutCase<'static> = LayoutCase {
        plugin: &Microsoft,
        kind: "privacy-policy",
        url: "https://privacy.microsoft.com/en-us/privacystatement",
        page: PAGE,
        title: "Microsoft privacy statement",
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
        check_manifest(&Microsoft, "microsoft");
    }
}
