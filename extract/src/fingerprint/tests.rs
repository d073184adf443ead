//! The fingerprint's promise, shown on synthetic pages (written here): equal fingerprints mean
//! equal extracted texts; noise outside the policy region leaves the fingerprint alone; every
//! edit of the policy moves it; markup the parser would rearrange gets no fingerprint.

use proptest::prelude::*;
use url::Url;

use crate::{Extractor, Fingerprint, RuleSpec};

fn base() -> Url {
    Url::parse("https://example.org/legal/privacy").expect("valid")
}

fn rules(select: &[&str], remove: &[&str]) -> Extractor {
    let css =
        |l: &[&str]| -> Vec<RuleSpec> { l.iter().map(|s| RuleSpec::Css((*s).into())).collect() };
    Extractor::new(&css(select), &css(remove)).expect("rules compile")
}

/// The bench's rules, and a second set with a child combinator, an id and two select rules.
fn rule_sets() -> Vec<Extractor> {
    vec![
        rules(&["main"], &[".ad"]),
        rules(
            &["#terms", "main > article"],
            &["nav", ".ad", "[data-role=promo]"],
        ),
    ]
}

/// What a policy page can differ by, besides its noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    None,
    Word,
    LinkTarget,
    HeadingLevel,
    ListItem,
    ImageAlt,
    AdBecomesText,
    ParagraphMovedOut,
    BaseHref,
    Emphasis,
    Entity,
    TableCell,
    NestedSpanText,
}

const EDITS: [Edit; 12] = [
    Edit::Word,
    Edit::LinkTarget,
    Edit::HeadingLevel,
    Edit::ListItem,
    Edit::ImageAlt,
    Edit::AdBecomesText,
    Edit::ParagraphMovedOut,
    Edit::BaseHref,
    Edit::Emphasis,
    Edit::Entity,
    Edit::TableCell,
    Edit::NestedSpanText,
];

/// A policy page whose bytes change with `noise` everywhere a real page's do (script nonces,
/// build ids, tracking parameters, class hashes, an ad, comments, a footer timestamp), inside
/// and outside the policy region, with the policy changed by `edit`.
fn page(noise: u32, edit: Edit) -> String {
    let e = |on: Edit, then: &'static str, or: &'static str| if edit == on { then } else { or };
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Privacy</title>
<script nonce="n{noise}">window.__BUILD__="b{noise}";</script>
{base}<link rel="stylesheet" href="/static/app.{noise:x}.css"></head>
<body class="page-{noise}"><nav class="nav-{noise}"><a href="/?sid={noise}">Home</a>
<svg class="icon-{noise}" viewBox="0 0 8 8"><title>Menu</title><path d="M0 {noise}h8"/></svg></nav>
<div class="cookie-{noise}" id="cb-{noise}">We use cookies <button>Accept</button></div>
<aside class="ad">Buy now, rendered in {noise} ms</aside>
<main data-build="{noise}"><article id="terms" class="a-{noise}">
<h1>Privacy policy</h1>
<!-- rendered at {noise} -->
<p class="lead-{noise}">We collect the {word} you give us when you use the service.
<a href="../legal/{link}?utm_source=mail{noise}&amp;utm_medium=x">Read more</a>.</p>
<{h}>Sharing</{h}>
<p>We share data with partners <span data-x="{noise}">only <span>{nested}</span></span>.{emph}</p>
<ul><li>Contact details</li><li>Usage data</li>{item}</ul>
<div class="{ad_class}" data-role="promo-{noise}">Sponsored {noise}</div>
<img src="/img/chart.png?v={noise}" alt="{alt}">
<table><tbody><tr><td colspan="2">Retention</td><td>{years} years</td></tr></tbody></table>
<p>Terms {entity} conditions apply.</p>
<script>track({noise})</script>
{inside}</article></main>
{outside}<footer>© 2026, page generated {noise} <a href="/legal?ref={noise}">Legal</a></footer>
</body></html>
"#,
        base = e(
            Edit::BaseHref,
            r#"<base href="https://example.net/other/">"#,
            ""
        ),
        word = e(Edit::Word, "information", "data"),
        link = e(Edit::LinkTarget, "terms", "privacy"),
        h = e(Edit::HeadingLevel, "h3", "h2"),
        nested = e(Edit::NestedSpanText, "when required by law", "when needed"),
        emph = e(Edit::Emphasis, " <b>Never sold.</b>", " Never sold."),
        item = e(Edit::ListItem, "<li>Location</li>", ""),
        ad_class = e(Edit::AdBecomesText, "note", "ad"),
        alt = e(Edit::ImageAlt, "Retention chart", "Chart"),
        years = e(Edit::TableCell, "3", "2"),
        entity = e(Edit::Entity, "&lt;", "&amp;"),
        inside = e(Edit::ParagraphMovedOut, "", "<p>Last updated in May.</p>"),
        outside = e(Edit::ParagraphMovedOut, "<p>Last updated in May.</p>", ""),
    )
}

#[test]
fn both_tokenizers_give_the_same_fingerprints() {
    for ex in rule_sets() {
        let rules = ex.fingerprint.as_ref().expect("in the subset");
        for noise in [0, 7, 123_456] {
            for edit in std::iter::once(Edit::None).chain(EDITS) {
                let html = page(noise, edit);
                let (theirs, ours) = rules.fingerprint_by_each(&html, &base());
                let ours =
                    ours.unwrap_or_else(|_| panic!("the byte tokenizer gave up on {edit:?}"));
                assert!(theirs.is_some(), "{edit:?} is fingerprinted");
                assert_eq!(ours, theirs, "{edit:?}, noise {noise}");
            }
        }
    }
}

fn fp_and_text(ex: &Extractor, html: &str) -> (Option<Fingerprint>, String) {
    let text = ex.extract(html, &base()).expect("the page extracts");
    (ex.fingerprint(html, &base()), text)
}

#[test]
fn equal_fingerprints_mean_equal_texts_and_every_edit_moves_the_fingerprint() {
    for ex in rule_sets() {
        let mut seen: Vec<(Fingerprint, String, String)> = Vec::new();
        let (plain, plain_text) = fp_and_text(&ex, &page(0, Edit::None));
        let plain = plain.expect("the page is fingerprinted");
        for noise in 0..6 {
            let (fp, text) = fp_and_text(&ex, &page(noise, Edit::None));
            assert_eq!(fp, Some(plain), "noise {noise} moved the fingerprint");
            assert_eq!(text, plain_text);
            seen.push((plain, text, format!("noise {noise}")));
        }
        for edit in EDITS {
            for noise in 0..3 {
                let (fp, text) = fp_and_text(&ex, &page(noise, edit));
                let fp = fp.unwrap_or_else(|| panic!("{edit:?} is fingerprinted"));
                assert_ne!(text, plain_text, "{edit:?} changes the text");
                assert_ne!(fp, plain, "{edit:?} must move the fingerprint");
                seen.push((fp, text, format!("{edit:?}, noise {noise}")));
            }
        }
        for (i, (fa, ta, a)) in seen.iter().enumerate() {
            for (fb, tb, b) in &seen[i + 1..] {
                if fa == fb {
                    assert_eq!(ta, tb, "{a} and {b} share a fingerprint");
                }
            }
        }
    }
}

#[test]
fn other_rules_never_share_a_fingerprint() {
    let html = page(0, Edit::None);
    let a = rules(&["main"], &[".ad"]).fingerprint(&html, &base());
    let b = rules(&["main"], &[".ad", "footer"]).fingerprint(&html, &base());
    let c = rules(&["article"], &[".ad"]).fingerprint(&html, &base());
    assert!(a.is_some() && b.is_some() && c.is_some());
    assert_ne!(a, b);
    assert_ne!(a, c);
}

#[test]
fn rules_outside_the_subset_are_not_fingerprinted() {
    let html = page(0, Edit::None);
    for (select, remove) in [
        (vec![], vec![]),
        (vec!["article h1:first-child"], vec![]),
        (vec!["main"], vec!["h2 + p"]),
        (vec!["body main"], vec![]),
        (vec!["main"], vec!["a[href^='https:']"]),
    ] {
        let ex = rules(&select, &remove);
        assert!(ex.extract(&html, &base()).is_ok(), "{select:?} {remove:?}");
        assert_eq!(
            ex.fingerprint(&html, &base()),
            None,
            "{select:?} {remove:?}"
        );
    }
    let range = RuleSpec::Range(crate::RangeSpec {
        start_before: Some("h1".into()),
        start_after: None,
        end_before: Some("footer".into()),
        end_after: None,
    });
    let ex = Extractor::new(&[range], &[]).expect("compiles");
    assert_eq!(ex.fingerprint(&html, &base()), None);
}

/// Pages whose tree the parser builds otherwise than the markup nests it: each would let text
/// outside the region as the markup reads it into the extracted text (or the reverse).
#[test]
fn markup_the_parser_rearranges_is_not_fingerprinted() {
    let ex = rules(&["main"], &[".ad"]);
    let cases = [
        // `</main>` inside a table is ignored: the footer text ends up in main.
        "<main><table><tbody><tr><td>Policy</main> footer 12:00",
        // An unclosed formatting element is rebuilt inside main by the parser.
        "<p><a href='/x?sid=1'>nav</p><main><p>Policy</p></main>",
        // Foster parenting: text directly in a table goes before it.
        "<main><table>Policy text<tbody><tr><td>x</td></tr></tbody></table></main>",
        // A div closes the open paragraph.
        "<main><p>Policy<div>more</div></p></main>",
        // A second li closes the first.
        "<main><ul><li>one<li>two</ul></main>",
        // Misnested end tags.
        "<main><b><i>Policy</b></i></main>",
        // Stray end tag inside the region (the parser makes a <p>, or a line break).
        "<main>Policy</br> text</main>",
        // Nested links.
        "<main><a href='/a'>one <a href='/b'>two</a></a></main>",
        // Elements after </body> go into the body.
        "<html><body><main>Policy</main></body></html><main>late</main>",
        // Implied tbody.
        "<main><table><tr><td>Policy</td></tr></table></main>",
        // A template's content is kept apart.
        "<main><template><p>x</p></template>Policy</main>",
        // HTML inside an SVG integration point.
        "<main><svg><foreignObject><p>x</p></foreignObject></svg>Policy</main>",
        // A <p> leaves SVG content.
        "<main><svg><p>Policy</p></svg></main>",
        // A select drops a div.
        "<main><select><div>Policy</div></select></main>",
        // A heading inside a heading closes it.
        "<main><h2>Policy<h3>more</h3></h2></main>",
        // The region class in another case than the rule's: scraper's answer depends on quirks.
        "<main>Policy<div class='AD'>x</div></main>",
    ];
    for html in cases {
        // The extraction may succeed or fail; the fingerprint must not vouch for either.
        assert_eq!(ex.fingerprint(html, &base()), None, "{html}");
    }
}

#[test]
fn well_formed_pages_are_fingerprinted() {
    let ex = rules(&["main"], &[".ad"]);
    let cases = [
        "<main><p>Policy</p></main>",
        "<!DOCTYPE html><html><head><title>t</title></head><body><main>Policy</main></body></html>",
        // Head left open: the body closes it as the parser does.
        "<html><head><meta charset='utf-8'><body><main>Policy</main></body></html>",
        "<main><table><thead><tr><th>a</th></tr></thead><tbody><tr><td>b</td></tr></tbody></table></main>",
        "<nav><svg viewBox='0 0 1 1'><title>i</title><path d='M0 0'/></svg></nav><main>Policy</main>",
        "<nav><select><option>en</option><optgroup><option>fr</option></optgroup></select></nav><main>Policy</main>",
        "<main><ul><li>a<ul><li>b</li></ul></li></ul><pre>x</pre></main>",
        "<main><noscript><p>unclosed</noscript>Policy</main>",
    ];
    for html in cases {
        assert!(ex.extract(html, &base()).is_ok(), "{html}");
        assert!(ex.fingerprint(html, &base()).is_some(), "{html}");
    }
}

/// A random page: a tree of elements (some end tags left out, some misnested), with noise
/// slots (text and attributes) everywhere, rendered with a given noise value.
#[derive(Debug, Clone)]
enum Node {
    Text(String, bool),
    El {
        tag: &'static str,
        class: &'static str,
        close: bool,
        children: Vec<Node>,
    },
    Stray(&'static str),
}

const TAGS: &[&str] = &[
    "div", "p", "span", "main", "b", "a", "li", "ul", "table", "tr", "td", "tbody", "h2", "svg",
    "script", "img", "br", "section", "select", "option",
];

fn el(tag: &'static str, class: &'static str, children: Vec<Node>) -> Node {
    Node::El {
        tag,
        class,
        close: true,
        children,
    }
}

/// Mostly markup as generators write it (containers, paragraphs, lists, tables, icons, voids),
/// with some faults: end tags left out, stray end tags, any tag anywhere.
fn node() -> impl Strategy<Value = Node> {
    let class = || prop::sample::select(&["", "ad", "x"][..]);
    let leaf = prop_oneof![
        4 => ("[a-z ]{0,8}", any::<bool>()).prop_map(|(t, n)| Node::Text(t, n)),
        1 => prop::sample::select(&["img", "br"][..]).prop_map(|t| el(t, "", vec![])),
        1 => Just(el("svg", "", vec![el("path", "", vec![])])),
        1 => ("[a-z]{0,5}").prop_map(|t| el("script", "", vec![Node::Text(t, true)])),
        1 => prop::sample::select(TAGS).prop_map(Node::Stray),
    ];
    leaf.prop_recursive(4, 48, 4, move |inner| {
        prop_oneof![
            5 => (
                prop::sample::select(&["div", "section", "span", "b", "article", "main"][..]),
                class(),
                prop::bool::weighted(0.95),
                prop::collection::vec(inner.clone(), 0..4),
            )
                .prop_map(|(tag, class, close, children)| Node::El {
                    tag,
                    class,
                    close,
                    children,
                }),
            2 => (class(), prop::collection::vec(("[a-z ]{0,8}", any::<bool>()), 1..3))
                .prop_map(|(class, texts)| el(
                    "p",
                    class,
                    texts.into_iter().map(|(t, n)| Node::Text(t, n)).collect()
                )),
            2 => prop::collection::vec(inner.clone(), 1..3).prop_map(|items| el(
                "ul",
                "",
                items.into_iter().map(|c| el("li", "", vec![c])).collect()
            )),
            2 => (class(), prop::collection::vec(inner.clone(), 1..3)).prop_map(|(class, cells)| el(
                "table",
                class,
                vec![el(
                    "tbody",
                    "",
                    vec![el("tr", "", cells.into_iter().map(|c| el("td", "", vec![c])).collect())]
                )]
            )),
            1 => (prop::sample::select(TAGS), prop::bool::ANY, prop::collection::vec(inner, 0..3))
                .prop_map(|(tag, close, children)| Node::El {
                    tag,
                    class: "x",
                    close,
                    children,
                }),
        ]
    })
}

fn render(n: &Node, noise: u32, out: &mut String) {
    match n {
        Node::Text(t, noisy) => {
            out.push_str(t);
            if *noisy {
                out.push_str(&format!(" {noise}"));
            }
        }
        Node::Stray(tag) => out.push_str(&format!("</{tag}>")),
        Node::El {
            tag,
            class,
            close,
            children,
        } => {
            let end = if *tag == "path" { "/" } else { "" };
            out.push_str(&format!(
                "<{tag} class=\"{class}\" data-n=\"{noise}\" href=\"/p?utm_source={noise}\"{end}>"
            ));
            for c in children {
                render(c, noise, out);
            }
            if *close && !matches!(*tag, "img" | "br" | "path") {
                out.push_str(&format!("</{tag}>"));
            }
        }
    }
}

/// Runs of elements to nest: containers, list and table parts in their parents, voids, raw text,
/// and SVG, where a `link` is void to the nesting scan but open to the walk.
const NESTED: &[&[&str]] = &[
    &["div"],
    &["div"],
    &["div"],
    &["section"],
    &["article"],
    &["span"],
    &["span"],
    &["b"],
    &["em"],
    &["strong"],
    &["i"],
    &["div", "span"],
    &["section", "div"],
    &["ul", "li"],
    &["table", "tbody", "tr", "td"],
    &["br"],
    &["img"],
    &["title"],
    &["p"],
    &["a"],
    &["svg", "g", "link"],
];

/// Random nestings of [`NESTED`]'s runs, each element closed or not.
fn nesting() -> impl Strategy<Value = Vec<(&'static str, bool)>> {
    prop::collection::vec(
        (prop::sample::select(NESTED), prop::bool::weighted(0.9)),
        0..crate::MAX_DEPTH / 2,
    )
    .prop_map(|runs| {
        runs.into_iter()
            .flat_map(|(run, close)| run.iter().map(move |t| (*t, close)))
            .collect()
    })
}

/// A page nesting `open` elements (each closed or not), with text and noise at each level.
fn nested_page(open: &[(&str, bool)]) -> String {
    let mut s = String::from("<!DOCTYPE html><html><head></head><body><main>");
    for (i, (tag, _)) in open.iter().enumerate() {
        s.push_str(&format!("<{tag} class=\"l{i}\">t{i} "));
    }
    for (tag, close) in open.iter().rev() {
        if *close {
            s.push_str(&format!("</{tag}>"));
        }
    }
    s.push_str("</main></body></html>");
    s
}

#[test]
fn pages_the_walk_vouches_for_are_never_cut_by_the_nesting_scan() {
    let ex = rules(&["main"], &[".ad"]);
    let deep = |n: usize| nested_page(&vec![("div", true); n]);
    // Just under the walk's bound, fingerprinted and left whole; far over it, neither.
    let under = deep(crate::MAX_DEPTH / 2 - 6);
    assert!(ex.fingerprint(&under, &base()).is_some());
    assert!(matches!(
        crate::nesting::bound_nesting(&under, crate::MAX_DEPTH),
        std::borrow::Cow::Borrowed(_)
    ));
    let over = deep(crate::MAX_DEPTH + 10);
    assert!(ex.fingerprint(&over, &base()).is_none());
    assert!(matches!(
        crate::nesting::bound_nesting(&over, crate::MAX_DEPTH),
        std::borrow::Cow::Owned(_)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Whatever the nesting, a page the walk vouches for is one the nesting scan leaves whole.
    #[test]
    fn vouched_pages_pass_the_nesting_scan_whole(open in nesting()) {
        let ex = rules(&["main"], &[".ad"]);
        let html = nested_page(&open);
        if ex.fingerprint(&html, &base()).is_some() {
            // The scan's stack is never deeper than the elements the page opens (`main` and the
            // chain, less voids and raw text): even a cap just above that leaves the page whole.
            let opened = 1 + open
                .iter()
                .filter(|(t, _)| !matches!(*t, "br" | "img" | "title"))
                .count();
            for cap in [crate::MAX_DEPTH, opened + 3] {
                prop_assert!(
                    matches!(
                        crate::nesting::bound_nesting(&html, cap),
                        std::borrow::Cow::Borrowed(_)
                    ),
                    "cap {}: {}",
                    cap,
                    html
                );
            }
        }
    }
}

/// The property above is not vacuous: many random nestings are vouched for, some of them deep.
#[test]
fn random_nestings_are_often_vouched_for_some_deep() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let ex = rules(&["main"], &[".ad"]);
    let strategy = nesting();
    let (mut vouched, mut deep) = (0, 0);
    for _ in 0..1000 {
        let open = strategy.new_tree(&mut runner).expect("tree").current();
        if ex.fingerprint(&nested_page(&open), &base()).is_some() {
            vouched += 1;
            deep += usize::from(open.len() >= 40);
        }
    }
    assert!(
        vouched >= 50 && deep >= 5,
        "{vouched} vouched, {deep} of them deep"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Whatever the markup, two renderings with different noise either differ in fingerprint or
    /// give the same text (or the same failure).
    #[test]
    fn equal_fingerprints_never_hide_a_text_change(
        outside in prop::collection::vec(node(), 0..4),
        nodes in prop::collection::vec(node(), 1..6),
        a in 0u32..3,
        b in 0u32..3,
    ) {
        let ex = rules(&["main", "section"], &[".ad"]);
        let html = |noise: u32| {
            let mut s = String::from("<nav>");
            for n in &outside {
                render(n, noise, &mut s);
            }
            s.push_str("</nav><main>");
            for n in &nodes {
                render(n, noise, &mut s);
            }
            s
        };
        let (ha, hb) = (html(a), html(b));
        let (fa, fb) = (ex.fingerprint(&ha, &base()), ex.fingerprint(&hb, &base()));
        if fa.is_some() && fa == fb {
            prop_assert_eq!(ex.extract(&ha, &base()), ex.extract(&hb, &base()), "{}\n{}", ha, hb);
        }
    }
}

/// The property above is not vacuous: a fair share of the random pages is fingerprinted, and
/// among those the noise is often outside the region (equal fingerprints) and often inside it.
#[test]
fn random_pages_are_often_fingerprinted() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (
        prop::collection::vec(node(), 0..4),
        prop::collection::vec(node(), 1..6),
    );
    let ex = rules(&["main", "section"], &[".ad"]);
    let (mut fingerprinted, mut equal, mut moved) = (0, 0, 0);
    let total = 400;
    for _ in 0..total {
        let (outside, nodes) = strategy.new_tree(&mut runner).expect("a sample").current();
        let html = |noise: u32| {
            let mut s = String::from("<nav>");
            for n in &outside {
                render(n, noise, &mut s);
            }
            s.push_str("</nav><main>");
            for n in &nodes {
                render(n, noise, &mut s);
            }
            s
        };
        let (a, b) = (
            ex.fingerprint(&html(1), &base()),
            ex.fingerprint(&html(2), &base()),
        );
        if a.is_some() {
            fingerprinted += 1;
            if a == b {
                equal += 1;
            } else {
                moved += 1;
            }
        }
    }
    eprintln!("{fingerprinted} of {total} fingerprinted: {equal} equal, {moved} moved");
    assert!(fingerprinted * 5 >= total, "{fingerprinted} of {total}");
    assert!(
        equal * 20 >= total && moved * 20 >= total,
        "{equal} equal, {moved} moved"
    );
}
