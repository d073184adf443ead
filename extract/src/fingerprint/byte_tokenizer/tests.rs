//! The byte tokenizer against html5ever's, token for token: on markup it reads, the same tokens;
//! on markup it is not sure of, it gives up (and html5ever reads those pages).

use proptest::prelude::*;

use super::super::token_check::{both, Token};

/// Reads `html` with both; panics unless the byte tokenizer read it and its tokens are
/// html5ever's.
fn check_read(html: &str) {
    let (theirs, ours) = both(html);
    let ours = ours.unwrap_or_else(|| panic!("gave up on {html:?}"));
    assert_eq!(ours, theirs, "tokens differ on {html:?}");
}

/// Panics unless the byte tokenizer gives up on `html`.
fn check_gives_up(html: &str) {
    let (_, ours) = both(html);
    assert!(ours.is_none(), "read {html:?} as {ours:?}");
}

#[test]
fn plain_markup_is_read_as_html5ever_reads_it() {
    for html in [
        "<!DOCTYPE html><html lang=en><head><title>Terms &amp; Privacy</title></head>\
         <body><main><h1>Privacy</h1><p>We keep <a href=\"/a?x=1&b=2\">data</a>.</p></main></body></html>",
        "<!doctype HTML ><P CLASS='Lead' Id=intro>Mixed case</P>",
        "<div a b=\"\" c='' d=e f = \"g\">attrs</div>",
        "<div class=a class=b id=x ID=y>duplicates keep the first</div>",
        "<p>a < b and a&b, a & b, &; &1 &#169; &#xA9; &#XA9; &nbsp;&hellip;&NotEqualTilde;</p>",
        "<a href='https://example.org/?q=1&amp;r=2&lang=en&s'>link</a>",
        "<br/><img src=x.png alt=\"\"/><input disabled / ><hr / >",
        "<p>comments <!-- a --> <!----> <!--> <!---> <!-- -- - --> <!-- x --!> end</p>",
        "<script>if (a < b && c > d) { x = \"</scr\" + \"ipt>\"; } </SCRIPTS> x</script><p>after</p>",
        "<style>p > a { content: \"&amp;\" }</style><textarea>a &lt; b &amp; c</textarea>",
        "<title></title><script></script><noscript><p>no</p></noscript>",
        "line one\r\nline two\rline three\n<p title=\"a\r\nb\">x</p>",
        "\u{feff}<p>byte order mark</p>",
        "<svg viewBox=\"0 0 1 1\"><path d=\"M0 0\"/></svg><math><mi>x</mi></math>",
        "<p>unicode: é ü 中文 &eacute; <span lang=\"fr\">déjà</span></p>",
        "<a<b c>strange name</a<b>",
        "text at the end with no tag",
        "",
    ] {
        check_read(html);
    }
}

#[test]
fn markup_it_is_not_sure_of_is_left_to_html5ever() {
    for html in [
        "<p>a\0b</p>",
        "<svg><![CDATA[x]]></svg>",
        "<?xml version=\"1.0\"?><p>x</p>",
        "<p>x</ p>",
        "<p>x</p class=a>",
        "<p>x</p >",
        "<p>&copy2024 legacy</p>",
        "<p>&amp without semicolon</p>",
        "<p>&#0;</p>",
        "<p>&#x80;</p>",
        "<p>&#xD800;</p>",
        "<p>&#65 no semicolon</p>",
        "<p>&#;</p>",
        "<script><!-- document.write('<script>') --></script>",
        "<p class=\"unterminated>",
        "<p class=x",
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" \"x\">",
        "<!DOCTYPEhtml>",
        "<!DOCTYPE>",
        "<p a=b\"c>x</p>",
        "<p =a>x</p>",
        "<p a\"b=c>x</p>",
        "<p a=\"b\"c=\"d\">x</p>",
        "<p a=>x</p>",
        "<!-- unterminated",
        "<!-- nested <!-- comment -->",
        "<!bogus>",
        "<script>never closed",
        "<title>x</title >",
        "a <",
    ] {
        check_gives_up(html);
    }
}

#[test]
fn every_give_up_case_holds_the_markup_it_names() {
    // Each case above gives up because of its odd part: without it, the same page is read.
    for (odd, plain) in [
        ("<p>a\0b</p>", "<p>ab</p>"),
        ("<p>&copy2024 legacy</p>", "<p>&copy; 2024 legacy</p>"),
        ("<p>x</p >", "<p>x</p>"),
        ("<!DOCTYPEhtml>", "<!DOCTYPE html>"),
        ("<script><!-- x --></script>", "<script> x </script>"),
        ("<p a=\"b\"c=\"d\">x</p>", "<p a=\"b\" c=\"d\">x</p>"),
    ] {
        check_gives_up(odd);
        check_read(plain);
    }
}

/// Pieces of markup, plain and odd, that random pages are made of.
const PIECES: &[&str] = &[
    "<p>",
    "</p>",
    "<div class=\"a b\">",
    "</div>",
    "<A HREF='/x?a=1&b=2'>",
    "</a>",
    "<br/>",
    "<img src=x alt=y>",
    "<input value=\"&amp;&lt;\">",
    "<script>",
    "</script>",
    "<style>",
    "</style>",
    "<title>",
    "</title>",
    "<textarea>",
    "</textarea>",
    "<!-- c -->",
    "<!--",
    "-->",
    "--!>",
    "<!DOCTYPE html>",
    "<![CDATA[",
    "]]>",
    "text",
    " ",
    "\n",
    "\r\n",
    "\r",
    "&amp;",
    "&amp",
    "&copy",
    "&nbsp;",
    "&#65;",
    "&#x41;",
    "&#0;",
    "&",
    "<",
    ">",
    "/",
    "=",
    "\"",
    "'",
    "`",
    "é",
    "<svg>",
    "</svg>",
    "<path d='M0'/>",
    "</",
    "<!",
    "<?",
    "</scriptx>",
    "</SCRIPT>",
    "<ul><li>",
    "\0",
];

fn page() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Wherever the byte tokenizer reads a page, its tokens are html5ever's.
    #[test]
    fn read_pages_give_html5evers_tokens(html in page()) {
        let (theirs, ours) = both(&html);
        if let Some(ours) = ours {
            prop_assert_eq!(ours, theirs);
        }
    }
}

#[test]
fn random_pages_are_often_read() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut read, mut total, mut tokens) = (0, 0, 0);
    for _ in 0..2000 {
        let html = page().new_tree(&mut runner).expect("tree").current();
        let (theirs, ours) = both(&html);
        total += 1;
        if ours.is_some() {
            read += 1;
            tokens += theirs.iter().filter(|t| !matches!(t, Token::Eof)).count();
        }
    }
    // The random pieces include many odd ones, so most pages are given up on; the property above
    // is only worth something if a good share is read, with tokens in them.
    assert!(read * 10 >= total, "read {read} of {total}");
    assert!(tokens >= read * 2, "{tokens} tokens in {read} pages");
}
