//! termtrail plugin: xAI's policy documents.
//!
//! x.ai legal pages have no landmark around the text, so the largest text block is taken; each
//! heading's text sits inside a link to its own anchor (`a.heading-anchor`, unwrapped by the
//! helper, text kept) and a "Legal" back link sits above the text.

termtrail_extract::platform_plugin! {
    /// The plugin.
    pub struct Xai;
    name = "xai";
    /// Where the text is, most specific first; the common noise (navigation, cookie banners,
    /// dialogs, scripts) is removed by the helper.
    layout = {
        main: ["main", "article"],
        // Links are absolute when rules see them (as in OTA), hence `$=`; heading-anchor links
        // are unwrapped by the helper, their text kept.
        remove: ["[href$=\"/legal\"]:first-child"],
    };
    documents = [
        ("privacy-policy", "https://x.ai/legal/privacy-policy", "xAI privacy policy"),
        (
            "terms-of-service",
            "https://x.ai/legal/terms-of-service",
            "xAI consumer terms of service",
        ),
        (
            "acceptable-use-policy",
            "https://x.ai/legal/acceptable-use-policy",
            "xAI acceptable use policy",
        ),
        ("trackers-policy", "https://x.ai/legal/cookie-policy", "xAI cookie policy"),
    ];
}

#[cfg(test)]
mod tests {
    use termtrail_extract::plugin_test::{
        check_manifest, check_noise_only_changes, check_text, LayoutCase, CLAUSE,
    };

    use super::*;

    /// A synthetic page written for these tests in the layout of xAI's pages, with
    /// the per-fetch noise `n` (build ids, nonces, tokens, tracking ids) and one clause.
    const PAGE: &str = r##"<!DOCTYPE html><html lang="en"><head><title>xAI privacy policy</title><meta name="csrf-token" content="tok@N@"></head><body><div class="page-@N@"><div class="topbar"><a href="/grok">Grok</a><a href="/api">Products</a></div><div class="wrap"><div class="legal-@N@"><a href="/legal">Legal</a><h1>xAI privacy policy</h1><p>Last updated: March 3, 2026</p>
<p>This policy explains how xAI handles personal data when you use our services, including our apps, developer platform and websites.</p>
<h2 id="info"><a class="heading-anchor" href="#info"><strong>1. Information we collect</strong></a></h2><p>@CLAUSE@</p>
<ul><li>Account information, such as your name and email address.</li><li>Content you provide, including prompts, files and feedback.</li></ul>
<h2 id="use"><a class="heading-anchor" href="#use"></a>2. How we use information</h2><p>We use information to provide, maintain and improve the services. Read our <a href="/policies/cookies?utm_source=policy&amp;utm_medium=web&amp;fbclid=IwAR@N@">cookie notice</a> for details, or <a href="/contact?lang=en&amp;did=8f14e45f-ceea-467f-a9f0-@N12@">contact us</a>.</p>
<h3>2.1 Model training</h3><p>You can opt out of the use of your content for model training in your settings.</p></div><div class="aside-links"><p>Contact</p></div></div></div><div id="onetrust-consent-sdk"><div role="dialog" aria-label="Cookie banner"><p>We use cookies to improve your experience. Accept all?</p><button>Accept all</button><button>Reject</button></div></div><footer>© 2026 xAI</footer><script id="__NEXT_DATA__" type="application/json">{"buildId":"build-@N@","nonce":"n@N@"}</script><script src="/_next/static/chunks/main-@N@.js"></script></body></html>"##;

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
        "Grok",
        "Legal",
    ];

    const CASE: LayoutCase<'static> = LayoutCase {
        plugin: &Xai,
        kind: "privacy-policy",
        url: "https://x.ai/legal/privacy-policy",
        page: PAGE,
        title: "xAI privacy policy",
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
        let d = CASE.extract(&CASE.page(1, CLAUSE));
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
        assert!(!d.text.contains("heading-anchor"), "{}", d.text);
    }

    #[test]
    fn noise_only_changes_give_the_same_text() {
        check_noise_only_changes(&CASE);
    }

    #[test]
    fn manifest_names_real_documents() {
        check_manifest(&Xai, "xai");
    }
}
