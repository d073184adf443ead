//! Writes the selected part of a parsed page back to HTML for the Markdown converter, keeping only
//! what matters for the text: elements, text, and the link attributes (made absolute).
//!
//! Class names, ids, inline styles and `data-*` attributes are dropped here, so that a page whose
//! only change is a new CSS-module hash or React id gives byte-identical input to the converter.

use std::collections::HashMap;

use ego_tree::{NodeId, NodeRef};
use scraper::{Html, Node, Selector};
use url::Url;

/// Elements whose content is never policy text.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "iframe", "canvas", "link", "meta", "head",
    "object", "embed", "audio", "video", "picture", "source",
];

/// Elements with no closing tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Attributes worth keeping for Markdown: links, images and table structure.
const KEPT_ATTRS: &[&str] = &["href", "src", "alt", "title", "colspan", "rowspan", "start"];

/// The base URL for relative links: the page's `<base href>` if it has one.
pub(crate) fn document_base(doc: &Html, fetched_from: &Url) -> Url {
    let sel = Selector::parse("base[href]").expect("static selector is valid");
    document_base_of(
        doc.select(&sel).next().and_then(|b| b.value().attr("href")),
        fetched_from,
    )
}

/// The base URL of a page fetched from `fetched_from` whose first `<base>` with an `href` has
/// `href`.
pub(crate) fn document_base_of(href: Option<&str>, fetched_from: &Url) -> Url {
    href.and_then(|href| fetched_from.join(href).ok())
        .unwrap_or_else(|| fetched_from.clone())
}

/// The `href` of an `<a>` as the extraction writes it: made absolute by the page's preparation
/// (email-protection tokens dropped there too), then cleaned here.
///
/// The fingerprint asks this of every link of every fetch, so the common case parses the `href`
/// once: the extraction's two steps (the preparation joins it to the page, the writing joins that
/// again and cleans it) give the same as cleaning the first join, since a web URL parsed from
/// its own serialization is itself. [`written_anchor_href_in_two_steps`] is the two steps, kept
/// as the test's reference (`fragment::tests`).
pub(crate) fn written_anchor_href(base: &Url, href: &str) -> String {
    if href.is_empty() || href.starts_with('#') {
        return written_anchor_href_in_two_steps(base, href);
    }
    let Ok(mut joined) = base.join(href) else {
        return written_anchor_href_in_two_steps(base, href);
    };
    if crate::prepare::email_protection_target(joined.as_str()).is_some() {
        return written_anchor_href_in_two_steps(base, href);
    }
    if matches!(joined.scheme(), "http" | "https") {
        crate::links::clean_url(&mut joined);
    }
    joined.into()
}

/// [`written_anchor_href`] as the extraction's two steps do it.
fn written_anchor_href_in_two_steps(base: &Url, href: &str) -> String {
    let prepared = crate::prepare::prepared_href(base, href).unwrap_or_else(|| href.to_owned());
    let prepared = match crate::prepare::email_protection_target(&prepared) {
        Some(kept) => kept.to_owned(),
        None => prepared,
    };
    absolute(base, "href", &prepared)
}

/// An `href` or `src` (of an element other than `<a>`) as the extraction writes it.
pub(crate) fn written_target(base: &Url, attr: &str, value: &str) -> String {
    absolute(base, attr, value)
}

/// Writes the `<body>` (or the whole document when there is none).
#[cfg(test)]
pub(crate) fn write_body(doc: &Html, base: &Url, out: &mut String) {
    let sel = Selector::parse("body").expect("static selector is valid");
    match doc.select(&sel).next() {
        Some(body) => write_node(*body, base, out),
        None => write_node(doc.tree.root(), base, out),
    }
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

fn escape_attr(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            _ => out.push(c),
        }
    }
}

/// The target of a link (`href`) or an embedded resource (`src`) as written in the text: absolute,
/// without per-request noise (see [`crate::links`]). A fragment-only or empty `href` stays as
/// written, as OTA leaves it (less a machine-generated fragment).
fn absolute(base: &Url, attr: &str, value: &str) -> String {
    if attr == "href" && (value.is_empty() || value.starts_with('#')) {
        return crate::links::clean_fragment_link(value);
    }
    let value = value.trim();
    match base.join(value) {
        // Only web links are rewritten: `mailto:`, `tel:` and the like stay as written.
        Ok(mut u) if matches!(u.scheme(), "http" | "https") => {
            if attr == "src" {
                crate::links::clean_embedded_url(&mut u);
            } else {
                crate::links::clean_url(&mut u);
            }
            u.to_string()
        }
        _ => value.to_owned(),
    }
}

/// Writes an opening tag; returns false for elements to skip entirely.
fn open_tag(node: NodeRef<'_, Node>, base: &Url, out: &mut String) -> Option<&'static str> {
    let Node::Element(el) = node.value() else {
        return None;
    };
    let name = el.name();
    if DROPPED.contains(&name) {
        return None;
    }
    out.push('<');
    out.push_str(name);
    for (attr, value) in el.attrs() {
        if !KEPT_ATTRS.contains(&attr) {
            continue;
        }
        out.push(' ');
        out.push_str(attr);
        out.push_str("=\"");
        if attr == "href" || attr == "src" {
            escape_attr(&absolute(base, attr, value), out);
        } else {
            escape_attr(value, out);
        }
        out.push('"');
    }
    out.push('>');
    Some(if VOID.contains(&name) { "" } else { "x" })
}

fn close_tag(node: NodeRef<'_, Node>, out: &mut String) {
    if let Node::Element(el) = node.value() {
        out.push_str("</");
        out.push_str(el.name());
        out.push('>');
    }
}

/// Writes a node and everything under it.
pub(crate) fn write_node(node: NodeRef<'_, Node>, base: &Url, out: &mut String) {
    match node.value() {
        Node::Text(t) => escape_text(t, out),
        Node::Element(_) => {
            let Some(kind) = open_tag(node, base, out) else {
                return;
            };
            if kind.is_empty() {
                return;
            }
            for child in node.children() {
                write_node(child, base, out);
            }
            close_tag(node, out);
        }
        Node::Document | Node::Fragment => {
            for child in node.children() {
                write_node(child, base, out);
            }
        }
        _ => {}
    }
}

/// Writes the part of the document inside the `[start, end)` interval of `pos` positions, as a DOM
/// `Range.cloneContents()` would: partly covered ancestors keep their tags, nodes outside are dropped.
pub(crate) fn write_range(
    doc: &Html,
    base: &Url,
    pos: &HashMap<NodeId, (usize, usize)>,
    (start, end): (usize, usize),
    out: &mut String,
) {
    fn walk(
        node: NodeRef<'_, Node>,
        base: &Url,
        pos: &HashMap<NodeId, (usize, usize)>,
        range: (usize, usize),
        out: &mut String,
    ) {
        let Some(&(open, close)) = pos.get(&node.id()) else {
            return;
        };
        if close < range.0 || open >= range.1 {
            return;
        }
        if open >= range.0 && close < range.1 {
            write_node(node, base, out);
            return;
        }
        let tag = match node.value() {
            Node::Element(_) => match open_tag(node, base, out) {
                Some(kind) => Some(kind),
                None => return,
            },
            Node::Document | Node::Fragment => None,
            _ => return,
        };
        for child in node.children() {
            walk(child, base, pos, range, out);
        }
        if tag.is_some_and(|k| !k.is_empty()) {
            close_tag(node, out);
        }
    }
    walk(doc.tree.root(), base, pos, (start, end), out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of `href`s, ordinary and odd: schemes, hosts, paths with dots, spaces, escapes and
    /// session parameters, tracking queries, fragments, email protection, blanks around.
    const PIECES: &[&str] = &[
        "http://",
        "https://",
        "HTTPS://",
        "mailto:",
        "tel:+1",
        "javascript:",
        "ftp://",
        "//",
        "e.org",
        "E.Org",
        "bücher.example",
        "xn--bcher-kva.example",
        "127.0.0.1",
        "0x7f.1",
        "[::1]",
        "e.org:80",
        "e.org:443",
        "e.org:8080",
        "/",
        "/a/../b",
        "/./c/",
        "..",
        ".",
        "a b",
        "%7e",
        "%zz",
        "/é",
        "\\x",
        ";jsessionid=AbC1",
        ";JSESSIONID=x",
        "/p;q=1",
        "?utm_source=x",
        "?lang=en&fbclid=IwAR0",
        "?a=1&a=2",
        "?",
        "?q=a+b",
        "&t=5f1d4a7e9c55",
        "#",
        "#sec-1",
        "#a=1&utm_x=2",
        "#:~:text=x",
        "#/email-protection",
        "/cdn-cgi/l/email-protection#3f5a",
        " ",
        "\t",
        "\n",
        "x.pdf",
        "?v=3",
    ];

    const BASES: &[&str] = &[
        "https://example.org/dir/page?x=1#f",
        "http://e.org",
        "https://e.org/a/b/",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// One parse of the `href` gives what the extraction's two steps give.
        #[test]
        fn one_parse_writes_links_as_the_two_steps_do(
            base in proptest::sample::select(BASES),
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..6),
        ) {
            let base = Url::parse(base).expect("valid base");
            let href: String = pieces.concat();
            prop_assert_eq!(
                written_anchor_href(&base, &href),
                written_anchor_href_in_two_steps(&base, &href),
                "href {:?}", href
            );
        }
    }

    #[test]
    fn drops_presentation_attributes_and_rewrites_links() {
        let doc = Html::parse_document(
            r#"<p class="x1" id="y" data-r="3"><a class="c" href="../b?x=1">b</a><img src="i.png" alt="I"></p>"#,
        );
        let base = Url::parse("https://e.org/a/c/").expect("valid");
        let mut out = String::new();
        write_body(&doc, &base, &mut out);
        assert_eq!(
            out,
            r#"<body><p><a href="https://e.org/a/b?x=1">b</a><img alt="I" src="https://e.org/a/c/i.png"></p></body>"#
        );
    }

    #[test]
    fn base_href_wins_over_fetch_url() {
        let doc = Html::parse_document(
            r#"<head><base href="https://cdn.e.org/p/"></head><body><a href="x">x</a></body>"#,
        );
        let base = document_base(&doc, &Url::parse("https://e.org/").expect("valid"));
        assert_eq!(base.as_str(), "https://cdn.e.org/p/");
    }
}
