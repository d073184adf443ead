//! termtrail plugin: DeepSeek's policy documents.
//!
//! Static pages exported from a Markdown editor: the text is `#write`; there is little noise, but
//! exports differ in their inline styles.

termtrail_extract::platform_plugin! {
    /// The plugin.
    pub struct DeepSeek;
    name = "deepseek";
    /// Where the text is, most specific first; the common noise (navigation, cookie banners,
    /// dialogs, scripts) is removed by the helper.
    layout = { main: ["#write", "body"], remove: [] };
    documents = [
        (
            "privacy-policy",
            "https://cdn.deepseek.com/policies/en-US/deepseek-privacy-policy.html",
            "DeepSeek privacy policy",
        ),
        (
            "terms-of-service",
            "https://cdn.deepseek.com/policies/en-US/deepseek-terms-of-use.html",
            "DeepSeek terms of use",
        ),
        (
            "developer-terms",
            "https://cdn.deepseek.com/policies/en-US/deepseek-open-platform-terms-of-service.html",
            "DeepSeek open platform terms of service",
        ),
    ];
}

#[cfg(test)]
mod tests {
    use termtrail_extract::plugin_test::{
        check_manifest, check_noise_only_changes, check_text, LayoutCase,
    };

    use super::*;

    /// A synthetic page written for these tests in the layout of DeepSeek's pages, with
    /// the per-fetch noise `n` (build ids, nonces, tokens, tracking ids) and one clause.
    const PAGE: &str = r##"<!DOCTYPE html><html lang="en"><head><title>DeepSeek privacy policy</title><meta name="csrf-token" content="tok@N@"></head><body><style>#write{max-width:@N@px}</style><div class="typora-export"><div class="typora-export-content"><div id="write" class="is-mac"><h1>DeepSeek privacy policy</h1><p>Last updated: March 3, 2026</p>
<p>This policy explains how DeepSeek handles personal data when you use our services, including our apps, developer platform and websites.</p>
<h2>1. Information we collect</h2><p>@CLAUSE@</p>
<ul><li>Account information, such as your name and email address.</li><li>Content you provide, including prompts, files and feedback.</li></ul>
<h2>2. How we use information</h2><p>We use information to provide, maintain and improve the services. Read our <a href="/policies/cookies?utm_source=policy&amp;utm_medium=web&amp;fbclid=IwAR@N@">cookie notice</a> for details, or <a href="/contact?lang=en&amp;did=8f14e45f-ceea-467f-a9f0-@N12@">contact us</a>.</p>
<h3>2.1 Model training</h3><p>You can opt out of the use of your content for model training in your settings.</p></div></div></div></body></html>"##;

    /// The noise of this page (each string is in it).
    const NOISE: &[&str] = &["tok1", "utm_", "fbclid", "did=", "max-width"];

    const CASE: LayoutCase<'static> = LayoutCase {
        plugin: &DeepSeek,
        kind: "privacy-policy",
        url: "https://cdn.deepseek.com/policies/en-US/deepseek-privacy-policy.html",
        page: PAGE,
        title: "DeepSeek privacy policy",
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
        check_manifest(&DeepSeek, "deepseek");
    }
}
