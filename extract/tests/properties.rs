//! Property tests: whatever HTML a page holds (any nesting, any depth, control characters in
//! text, attributes and character references), extraction returns, never panics or overflows its
//! stack, and its text holds no control character but the newline.

use proptest::prelude::*;
use termtrail_extract::policy::{extract_policy, PolicyLayout};
use termtrail_extract::{Extractor, RuleSpec};
use url::Url;

/// Tag names with their parsing quirks: implied end tags, tables, raw text, foreign content,
/// formatting elements, void elements, custom elements.
const TAGS: &[&str] = &[
    "div",
    "p",
    "span",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "tbody",
    "tr",
    "td",
    "th",
    "a",
    "b",
    "i",
    "font",
    "nobr",
    "button",
    "form",
    "select",
    "option",
    "main",
    "article",
    "section",
    "nav",
    "header",
    "footer",
    "h1",
    "h2",
    "pre",
    "code",
    "svg",
    "math",
    "g",
    "template",
    "script",
    "style",
    "textarea",
    "title",
    "noscript",
    "br",
    "img",
    "hr",
    "x-widget",
    "body",
    "html",
    "plaintext",
];

fn text() -> impl Strategy<Value = String> {
    // Mostly words, with control characters (C0, DEL, C1), escape sequences and references to
    // them mixed in.
    prop::collection::vec(
        prop_oneof![
            4 => "[a-zA-Z ]{1,12}",
            1 => prop::char::range('\u{0}', '\u{1f}').prop_map(String::from),
            1 => prop::char::range('\u{7f}', '\u{9f}').prop_map(String::from),
            1 => Just("\u{1b}]52;c;ZXZpbA==\u{7}".to_owned()),
            1 => Just("\u{1b}[2J".to_owned()),
            1 => prop::sample::select(vec!["&#27;", "&#x9b;", "&#7;", "&#0;", "&#x80;", "&amp;", "&lt;"])
                .prop_map(str::to_owned),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn token() -> impl Strategy<Value = String> {
    let tag = prop::sample::select(TAGS);
    prop_oneof![
        3 => (tag.clone(), text()).prop_map(|(t, a)| format!("<{t} title=\"{a}\">")),
        2 => tag.clone().prop_map(|t| format!("</{t}>")),
        1 => tag.prop_map(|t| format!("<{t}/>")),
        4 => text(),
        1 => Just("<!-- <div> -->".to_owned()),
        1 => Just("<".to_owned()),
    ]
}

/// A page: a random run of tokens, with a random element nested to a random depth around it.
fn page() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(token(), 0..80),
        prop::sample::select(TAGS),
        0usize..3_000,
    )
        .prop_map(|(tokens, deep, levels)| {
            let body = tokens.concat();
            format!(
                "<html><body>{}{body}{}</body></html>",
                format!("<{deep}>").repeat(levels),
                format!("</{deep}>").repeat(levels)
            )
        })
}

fn clean(text: &str) -> bool {
    text.chars().all(|c| c == '\n' || !c.is_control())
}

/// Runs `f` on a thread with the 2 MiB stack tokio gives blocking tasks, as the daemon does.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("thread starts")
        .join()
        .expect("extraction does not panic")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_page_extracts_to_clean_text(html in page()) {
        let results = on_small_stack(move || {
            let base = Url::parse("https://example.org/policy").expect("valid");
            let rules = Extractor::new(&[RuleSpec::Css("body".into())], &[]).expect("compiles");
            let auto = Extractor::new(&[], &[]).expect("compiles");
            let layout = PolicyLayout { main: &["main", "article"], remove: &[] };
            vec![
                rules.extract(&html, &base).ok(),
                auto.extract(&html, &base).ok(),
                extract_policy(&html, &base, &layout).ok().map(|d| d.text),
            ]
        });
        for text in results.into_iter().flatten() {
            prop_assert!(clean(&text), "control characters in {text:?}");
        }
    }
}
