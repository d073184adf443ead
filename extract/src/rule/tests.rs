//! Unit tests of `rule`.

use super::*;
use crate::{Extractor, PROTECTED_EMAIL_TEXT};

fn css(s: &str) -> RuleSpec {
    RuleSpec::Css(s.to_owned())
}

fn range(start: (&str, &str), end: (&str, &str)) -> RuleSpec {
    let mut r = RangeSpec::default();
    match start {
        ("before", s) => r.start_before = Some(s.into()),
        (_, s) => r.start_after = Some(s.into()),
    }
    match end {
        ("before", s) => r.end_before = Some(s.into()),
        (_, s) => r.end_after = Some(s.into()),
    }
    RuleSpec::Range(r)
}

fn extract(page: &str, select: &[RuleSpec], remove: &[RuleSpec]) -> Result<String, ExtractError> {
    let base = Url::parse("https://example.org/legal/terms").expect("valid");
    Extractor::new(select, remove)
        .expect("rules compile")
        .extract(page, &base)
}

#[test]
fn removals_apply_to_the_whole_page_before_selection() {
    // `select = div` also matches the divs inside the footer and the navigation; they are
    // gone before selection, so the footer's year cannot make a new version.
    let page = |year: u32| {
        format!(
            "<body><nav><div>Home | Products</div></nav><main><div>First clause.</div>\
             <div>Second clause.</div></main><footer><div>© {year} Example</div></footer></body>"
        )
    };
    let rules = ([css("div")], [css("footer"), css("nav")]);
    let a = extract(&page(2025), &rules.0, &rules.1);
    assert_eq!(a.as_deref(), Ok("First clause.\n\nSecond clause.\n"));
    assert_eq!(a, extract(&page(2026), &rules.0, &rules.1));
    // Without the removals, the footer's text is selected (so the test can fail).
    let all = extract(&page(2025), &rules.0, &[]).expect("extracts");
    assert!(all.contains("© 2025") && all.contains("Home"), "{all}");
}

#[test]
fn removal_targets_are_resolved_on_the_untouched_page() {
    // The range starts at the element the first rule removes: it still removes what it
    // covered, whatever the order of the rules.
    let page = "<body><main><p>Keep one.</p><div id=\"ad\">Advert</div><p>Sponsored text.</p>\
                <h2 id=\"next\">Data</h2><p>Keep two.</p></main></body>";
    let r = range(("before", "#ad"), ("before", "#next"));
    let want = "Keep one.\n\n## Data\n\nKeep two.\n";
    for remove in [[css("#ad"), r.clone()], [r.clone(), css("#ad")]] {
        assert_eq!(
            extract(page, &[css("main")], &remove).as_deref(),
            Ok(want),
            "{remove:?}"
        );
    }
    // A range deletes only what lies wholly inside it; an element it covers partly keeps
    // its tag and the rest of its text.
    let partial = "<body><main><section><p>Intro.</p><p id=\"a\">Ad one.</p></section>\
                   <section><p id=\"b\">Ad two.</p><p>Body.</p></section></main></body>";
    assert_eq!(
        extract(
            partial,
            &[css("main")],
            &[range(("before", "#a"), ("after", "#b"))]
        )
        .as_deref(),
        Ok("Intro.\n\nBody.\n")
    );
}

#[test]
fn a_range_edge_that_matches_nothing_is_an_error_naming_it() {
    let page = "<body><main><h2 id=\"s1\">One</h2><p>Text.</p></main></body>";
    let missing_end = range(("before", "#s1"), ("after", "#gone"));
    let missing_start = range(("after", "#nowhere"), ("after", "#s1"));
    for (select, remove, list, edge, selector) in [
        (
            vec![css("main")],
            vec![missing_end.clone()],
            "remove",
            "end",
            "#gone",
        ),
        (vec![missing_end.clone()], vec![], "select", "end", "#gone"),
        (
            vec![missing_start.clone()],
            vec![],
            "select",
            "start",
            "#nowhere",
        ),
        (
            vec![css("main")],
            vec![missing_start.clone()],
            "remove",
            "start",
            "#nowhere",
        ),
    ] {
        let err = extract(page, &select, &remove).expect_err("an edge matches nothing");
        assert_eq!(
            err,
            ExtractError::RangeEdge {
                list,
                rule: CompiledRule::compile(if list == "select" {
                    &select[0]
                } else {
                    &remove[0]
                })
                .expect("compiles")
                .to_string(),
                edge,
                selector: selector.to_owned(),
            }
        );
        assert!(err.to_string().contains(&format!("{selector:?}")), "{err}");
    }
    // A range whose end comes before its start covers nothing, as a collapsed DOM range.
    assert!(matches!(
        extract(page, &[range(("after", "p"), ("before", "#s1"))], &[]),
        Err(ExtractError::NoMatch { .. })
    ));
}

#[test]
fn selection_is_every_rule_in_order_and_fails_only_when_all_pick_nothing() {
    let page =
        "<body><main><div class=\"a\"><p>Outer.</p><div class=\"a\"><p>Inner.</p></div></div>\
                <aside>Note.</aside></main></body>";
    let cases: Vec<(Vec<RuleSpec>, Result<&str, ()>)> = vec![
        // A rule matching nothing beside one that matches: the selection is the latter's.
        (vec![css("article"), css("aside")], Ok("Note.\n")),
        // Rules in the order written, not in page order.
        (
            vec![css("aside"), css("p")],
            Ok("Note.\n\nOuter.\n\nInner.\n"),
        ),
        // An element matched inside another matched one is written again, as OTA copies it.
        (vec![css(".a")], Ok("Outer.\n\nInner.\n\nInner.\n")),
        // A range whose end comes before its start adds nothing but does not fail the rest.
        (
            vec![range(("after", "aside"), ("before", "main")), css("aside")],
            Ok("Note.\n"),
        ),
        (vec![css("article"), css("table")], Err(())),
    ];
    for (select, want) in cases {
        let got = extract(page, &select, &[]);
        match want {
            Ok(text) => assert_eq!(got.as_deref(), Ok(text), "{select:?}"),
            Err(()) => assert!(
                matches!(&got, Err(ExtractError::NoMatch { rule }) if rule.contains("article") && rule.contains("table")),
                "{select:?}: {got:?}"
            ),
        }
    }
    // Selection sees the page after removal: what `remove` took, `select` cannot find.
    assert!(matches!(
        extract(page, &[css("aside")], &[css("main")]),
        Err(ExtractError::NoMatch { .. })
    ));
}

#[test]
fn rules_see_the_page_as_ota_prepares_it() {
    // Links are absolute before any rule: `[href="/legal"]` matches nothing, as in OTA.
    let page = "<body><main><a href=\"/legal\">Legal</a><p>Text of the terms.</p>\
                <script>var x = 1;</script><p>Second paragraph.</p></main></body>";
    let kept = extract(page, &[css("main")], &[css("[href=\"/legal\"]")]).expect("extracts");
    assert!(
        kept.contains("[Legal](https://example.org/legal)"),
        "{kept}"
    );
    let gone = extract(
        page,
        &[css("main")],
        &[css("[href=\"https://example.org/legal\"]")],
    )
    .expect("extracts");
    assert!(!gone.contains("Legal"), "{gone}");
    // Scripts are gone before any rule: the second paragraph is the third child of main.
    assert_eq!(
        extract(page, &[css("main > :nth-child(3)")], &[]).as_deref(),
        Ok("Second paragraph.\n")
    );
}

#[test]
fn fragment_only_and_empty_links_stay_as_written() {
    let page = "<body><main><p>See <a href=\"#section-3\">section 3</a>, \
                <a href=\"\">this page</a> and <a href=\"/faq#top\">the FAQ</a>.</p></main></body>";
    assert_eq!(
        extract(page, &[css("main")], &[]).as_deref(),
        Ok("See [section 3](#section-3), [this page]() and [the FAQ](https://example.org/faq#top).\n")
    );
}

#[test]
fn cloudflare_email_protection_gives_the_same_text_at_every_fetch() {
    let page = |token: &str| {
        format!(
            "<body><main><p>Write to <a href=\"/cdn-cgi/l/email-protection#{token}\">\
             <span class=\"__cf_email__\" data-cfemail=\"{token}\">[email&#160;protected]</span></a>.</p></main></body>"
        )
    };
    let a = extract(&page("5d2d2f34..."), &[css("main")], &[]);
    let a = a.expect("extracts");
    assert_eq!(
        Ok(a.clone()),
        extract(&page("7f1e0b0a3f1a071e120f131a511006"), &[css("main")], &[])
    );
    let shown = PROTECTED_EMAIL_TEXT.replace('\u{a0}', " ");
    assert_eq!(
        a,
        format!(
            "Write to [\\[{}\\]](https://example.org/cdn-cgi/l/email-protection).\n",
            &shown[1..shown.len() - 1]
        )
    );
}
