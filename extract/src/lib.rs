//! From a fetched HTML page to the policy text that termtrail records.
//!
//! The pipeline is the one of Open Terms Archive declarations, so that users can bring theirs over:
//! apply the `remove` rules, then the `select` rules, make links absolute, convert to Markdown and
//! normalise whitespace so that markup churn (re-indented HTML, new class names, wrapper `div`s)
//! does not change the recorded text.
//!
//! ```
//! use termtrail_extract::{Extractor, RuleSpec};
//! let extractor = Extractor::new(
//!     &[RuleSpec::Css("main".into())],
//!     &[RuleSpec::Css(".cookie-banner".into())],
//! ).unwrap();
//! let html = r#"<body><div class="cookie-banner">Accept?</div>
//!   <main><h1>Privacy</h1><p>We keep <a href="/data">your data</a>.</p></main></body>"#;
//! let base = url::Url::parse("https://example.org/privacy").unwrap();
//! let text = extractor.extract(html, &base).unwrap();
//! assert_eq!(text, "# Privacy\n\nWe keep [your data](https://example.org/data).\n");
//! ```

mod auto;
mod dom;
mod fingerprint;
mod fragment;
pub mod links;
mod markdown;
mod nesting;
mod normalise;
mod platform;
pub mod plugin_test;
pub mod policy;
mod prepare;
mod rule;
mod sections;
mod selector_error;
mod tracking;

pub use dom::MAX_DEPTH;
/// For the corpus replay: see `fingerprint/token_check.rs`.
#[doc(hidden)]
pub use fingerprint::byte_tokenizer_agrees;
pub use fingerprint::Fingerprint;
pub use markdown::html_to_markdown;
pub use normalise::normalise_text;
pub use prepare::PROTECTED_EMAIL_TEXT;
pub use rule::{CompiledRule, RangeSpec, RuleError, RuleList, RuleSpec};
pub use sections::{split_sections, Section};
/// The plugin API, for [`platform_plugin!`]'s expansion in plugin crates.
#[doc(hidden)]
pub use termtrail_plugin_api as plugin_api;
pub use tracking::{
    clean_markdown_links, is_tracking_param, looks_like_token, strip_tracking_params,
};

use std::time::Instant;

use url::Url;

/// Why a page gave no text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExtractError {
    /// A `select` rule found nothing: the page layout changed, or this is not the page expected
    /// (an error page, a bot challenge). Recording an empty version would be a false change.
    #[error("select rule {rule} matched nothing in the page (after the remove rules were applied); check the selector against the live page (`termtrail extract`)")]
    NoMatch {
        /// The rules as the user wrote them.
        rule: String,
    },
    /// A range's start or end selector matches nothing: OTA fails the extraction then too, in
    /// `select` and in `remove`, rather than guess where the range was meant to be.
    #[error("{list} range {rule}: its {edge} selector {selector:?} matches nothing in the page; check it against the live page (`termtrail extract`)")]
    RangeEdge {
        /// `select` or `remove`.
        list: &'static str,
        /// The range as the user wrote it.
        rule: String,
        /// `start` or `end`.
        edge: &'static str,
        /// The selector that matched nothing.
        selector: String,
    },
    /// The selected region holds no text at all.
    #[error("the selected region holds no text; the page may be rendered by JavaScript or be an error page")]
    Empty,
    /// The extraction ran past its deadline and was stopped.
    #[error("the extraction ran past its time limit and was stopped; the page is unusually large or complex")]
    TimedOut,
}

/// A compiled set of `select` / `remove` rules for one document.
#[derive(Debug, Clone)]
pub struct Extractor {
    select: Vec<CompiledRule>,
    remove: Vec<CompiledRule>,
    /// The rules in the fingerprint's terms, when it can vouch for them.
    fingerprint: Option<fingerprint::FingerprintRules>,
}

impl Extractor {
    /// Compiles the rules. An empty `select` means zero-config extraction: boilerplate is removed
    /// and the element holding the page's prose is found automatically (see [`auto`]).
    pub fn new(select: &[RuleSpec], remove: &[RuleSpec]) -> Result<Self, RuleError> {
        let select: Vec<CompiledRule> = select
            .iter()
            .map(CompiledRule::compile)
            .collect::<Result<_, _>>()?;
        let remove: Vec<CompiledRule> = remove
            .iter()
            .map(CompiledRule::compile)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            fingerprint: fingerprint::FingerprintRules::compile(&select, &remove),
            select,
            remove,
        })
    }

    /// A fingerprint of the text [`Extractor::extract`] would give for `html` fetched from
    /// `base`, taken without parsing the page into a DOM: pages with equal fingerprints give
    /// equal texts. `None` when the rules or the page's markup leave the part of HTML where the
    /// fingerprint can vouch for that (zero-config extraction, ranges, pseudo-classes, markup the
    /// parser would rearrange): extract then. See the `fingerprint` module.
    pub fn fingerprint(&self, html: &str, base: &Url) -> Option<Fingerprint> {
        self.fingerprint.as_ref()?.fingerprint(html, base)
    }

    /// The CSS selectors of the `select` rules (a range's start), for waiting until a page
    /// rendered by JavaScript has filled them. Empty for zero-config extraction.
    pub fn wait_selectors(&self) -> Vec<String> {
        self.select
            .iter()
            .map(|r| r.anchor_css().to_owned())
            .collect()
    }

    /// The page as the `select` rules see it: parsed, prepared as OTA prepares every page (links
    /// made absolute, scripts and styles dropped, email protection undone: see [`prepare`]), with
    /// everything the `remove` rules designate removed; and the base URL of its links.
    pub(crate) fn cleaned_page(
        &self,
        html: &str,
        base: &Url,
        deadline: Option<Instant>,
    ) -> Result<(scraper::Html, Url), ExtractError> {
        let mut doc = dom::parse(html);
        let base = fragment::document_base(&doc, base);
        dom::check_deadline(deadline)?;
        prepare::prepare(&mut doc, &base);
        dom::check_deadline(deadline)?;
        rule::remove_all(&self.remove, &mut doc)?;
        Ok((doc, base))
    }

    /// Extracts the normalised Markdown text of `html`, fetched from `base` (used to make links
    /// absolute unless the page has its own `<base href>`).
    pub fn extract(&self, html: &str, base: &Url) -> Result<String, ExtractError> {
        self.extract_until(html, base, None)
    }

    /// [`Extractor::extract`], stopped with [`ExtractError::TimedOut`] once `deadline` has
    /// passed. Every step costs time linear in the size of the page (see [`MAX_DEPTH`]); the
    /// deadline is looked at between steps and while parsing.
    pub fn extract_until(
        &self,
        html: &str,
        base: &Url,
        deadline: Option<Instant>,
    ) -> Result<String, ExtractError> {
        dom::check_deadline(deadline)?;
        let (mut doc, base) = self.cleaned_page(html, base, deadline)?;
        let mut selected = String::new();
        if self.select.is_empty() {
            dom::check_deadline(deadline)?;
            auto::remove_boilerplate(&mut doc);
            dom::check_deadline(deadline)?;
            let main = auto::main_content(&doc);
            if let Some(node) = doc.tree.get(main) {
                fragment::write_node(node, &base, &mut selected);
            }
        } else {
            dom::check_deadline(deadline)?;
            rule::select_all(&self.select, &doc, &base, &mut selected)?;
        }
        drop(doc);
        dom::check_deadline(deadline)?;
        let markdown = html_to_markdown(&selected);
        dom::check_deadline(deadline)?;
        let text = normalise_text(&markdown);
        if !text.chars().any(char::is_alphanumeric) {
            return Err(ExtractError::Empty);
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn css(s: &str) -> RuleSpec {
        RuleSpec::Css(s.to_owned())
    }

    fn range(sb: Option<&str>, sa: Option<&str>, eb: Option<&str>, ea: Option<&str>) -> RuleSpec {
        RuleSpec::Range(RangeSpec {
            start_before: sb.map(Into::into),
            start_after: sa.map(Into::into),
            end_before: eb.map(Into::into),
            end_after: ea.map(Into::into),
        })
    }

    const PAGE: &str = r#"<html><body>
        <nav>Home | Products</nav>
        <main>
          <h1 id="t">Terms</h1>
          <div class="intro"><p>Intro text.</p></div>
          <h2 id="s1">Section one</h2><p>First clause.</p>
          <hr role="separator">
          <h2 id="s2">Section two</h2><p>Second clause.</p>
          <footer>Footer links</footer>
        </main></body></html>"#;

    fn run(select: &[RuleSpec], remove: &[RuleSpec]) -> Result<String, ExtractError> {
        let base = Url::parse("https://example.org/terms").expect("valid");
        Extractor::new(select, remove)
            .expect("rules compile")
            .extract(PAGE, &base)
    }

    #[test]
    fn selectors_and_ranges_pick_the_expected_text() {
        let cases: Vec<(Vec<RuleSpec>, Vec<RuleSpec>, &str)> = vec![
            (vec![css("h1")], vec![], "# Terms\n"),
            (
                vec![css("main")],
                vec![css("footer"), css(".intro")],
                "# Terms\n\n## Section one\n\nFirst clause.\n\n* * *\n\n## Section two\n\nSecond clause.\n",
            ),
            (
                vec![range(Some("#s1"), None, Some("#s2"), None)],
                vec![],
                "## Section one\n\nFirst clause.\n\n* * *\n",
            ),
            (
                vec![range(None, Some("#s1"), None, Some("[role=\"separator\"]"))],
                vec![],
                "First clause.\n\n* * *\n",
            ),
            (
                vec![range(Some("main"), None, None, Some("[role=\"separator\"]"))],
                vec![css(".intro")],
                "# Terms\n\n## Section one\n\nFirst clause.\n\n* * *\n",
            ),
            (
                vec![css("main")],
                vec![range(Some("hr"), None, Some("footer"), None), css("footer")],
                "# Terms\n\nIntro text.\n\n## Section one\n\nFirst clause.\n",
            ),
            // Two selectors: each contributes, in the order written; nested matches are not doubled.
            (vec![css("#s2"), css("h1, h1")], vec![], "## Section two\n\n# Terms\n"),
            (vec![css("p"), css(".intro p")], vec![], "Intro text.\n\nFirst clause.\n\nSecond clause.\n\nIntro text.\n"),
        ];
        for (select, remove, want) in cases {
            assert_eq!(
                run(&select, &remove).as_deref(),
                Ok(want),
                "select {select:?} remove {remove:?}"
            );
        }
    }

    #[test]
    fn no_match_and_empty_are_errors() {
        assert!(matches!(
            run(&[css("article")], &[]),
            Err(ExtractError::NoMatch { .. })
        ));
        assert!(matches!(
            run(&[range(Some("#s2"), None, Some("#s1"), None)], &[]),
            Err(ExtractError::NoMatch { .. })
        ));
        assert!(matches!(
            run(&[range(Some("#nope"), None, Some("#s1"), None)], &[]),
            Err(ExtractError::RangeEdge { edge: "start", .. })
        ));
        assert_eq!(run(&[css("hr")], &[]), Err(ExtractError::Empty));
    }

    /// A page nested `levels` deep around a policy paragraph.
    fn deep_page(levels: usize) -> String {
        format!(
            "<html><body><main>{}<h1>Deep policy</h1><p>We keep your data for thirty days and then delete it.</p>{}</main></body></html>",
            "<div>".repeat(levels),
            "</div>".repeat(levels)
        )
    }

    #[test]
    fn deep_pages_extract_on_a_small_stack() {
        // 2 MiB is the stack of tokio's blocking threads, where the daemon extracts; without
        // the depth cap a few thousand levels overflow it and abort the process.
        let text = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let base = Url::parse("https://example.org/").expect("valid");
                let page = deep_page(100_000);
                let rules = Extractor::new(&[css("main")], &[]).expect("compiles");
                let auto = Extractor::new(&[], &[]).expect("compiles");
                (
                    rules.extract(&page, &base),
                    auto.extract(&page, &base),
                    crate::policy::extract_policy(
                        &page.replace("thirty days", &"thirty days, ".repeat(20)),
                        &base,
                        &crate::policy::PolicyLayout::default(),
                    )
                    .map(|d| d.text)
                    .map_err(|e| e.to_string()),
                )
            })
            .expect("thread starts")
            .join()
            .expect("no panic");
        let want = "# Deep policy\n\nWe keep your data for thirty days and then delete it.\n";
        assert_eq!(text.0.as_deref(), Ok(want));
        assert_eq!(text.1.as_deref(), Ok(want));
        let policy = text.2.expect("the plugin extractor copes too");
        assert!(
            policy.starts_with("# Deep policy\n\nWe keep your data"),
            "{policy}"
        );
    }

    #[test]
    fn a_passed_deadline_stops_the_extraction() {
        let base = Url::parse("https://example.org/").expect("valid");
        let past = Instant::now() - std::time::Duration::from_millis(1);
        let ex = Extractor::new(&[css("main")], &[]).expect("compiles");
        assert_eq!(
            ex.extract_until(&deep_page(10), &base, Some(past)),
            Err(ExtractError::TimedOut)
        );
        assert!(ex.extract_until(&deep_page(10), &base, None).is_ok());
    }

    #[test]
    fn bad_rules_are_refused() {
        assert!(matches!(
            Extractor::new(&[css("main[")], &[]),
            Err(RuleError::InvalidSelector { .. })
        ));
        assert_eq!(
            Extractor::new(&[range(Some("a"), Some("b"), Some("c"), None)], &[]).err(),
            Some(RuleError::BadRange)
        );
        assert_eq!(
            Extractor::new(&[range(Some("a"), None, None, None)], &[]).err(),
            Some(RuleError::BadRange)
        );
    }

    #[test]
    fn markup_churn_does_not_change_the_text() {
        let base = Url::parse("https://example.org/").expect("valid");
        let ex = Extractor::new(&[css("main")], &[]).expect("compiles");
        let a = r#"<main><div class="a1"><h2>Data</h2><p>We  keep
            data.</p></div></main>"#;
        let b = r#"<main class="q"><section data-id="77"><div class="zz9"><h2 class="h">Data</h2>
              <p>We keep data.</p>
            </div></section><script>var nonce="abc";</script></main>"#;
        assert_eq!(ex.extract(a, &base), ex.extract(b, &base));
    }

    #[test]
    fn ota_declarations_deserialize() {
        let rules: Vec<RuleSpec> = serde_json::from_str(
            r#"["main", {"startBefore": "[role=\"main\"]", "endAfter": "[role=\"separator\"]"}]"#,
        )
        .expect("valid json");
        assert_eq!(rules[0], css("main"));
        assert_eq!(
            rules[1],
            range(
                Some("[role=\"main\"]"),
                None,
                None,
                Some("[role=\"separator\"]")
            )
        );
        let one: RuleList = serde_json::from_str(r#""main""#).expect("valid json");
        assert_eq!(one.0, vec![css("main")]);
        let err = serde_json::from_str::<RuleList>(r#"[{"startBefor": "a", "endAfter": "b"}]"#)
            .expect_err("typo is refused");
        assert!(
            err.to_string().contains("unknown field `startBefor`"),
            "{err}"
        );
    }
}
