//! What is done to every page before any rule sees it, as Open Terms Archive's engine does it, so
//! that the same `select` and `remove` rules find the same elements in both tools:
//!
//! 1. every `<a href>` is made absolute against the page's base URL, except fragment-only
//!    (`href="#section-3"`) and empty ones, which stay as written; a selector such as
//!    `[href="/legal"]` therefore matches nothing once the link reads `https://…/legal`, in both;
//! 2. `<script>` and `<style>` elements go (so `:nth-child` and `:empty` count without them);
//! 3. links protected by Cloudflare's email obfuscation (`…/cdn-cgi/l/email-protection#<token>`,
//!    a new token at every request) lose their token and read `[email protected]`, so that
//!    each fetch gives the same text.

use ego_tree::NodeId;
use scraper::node::Text;
use scraper::{Html, Node, Selector};
use url::Url;

use crate::dom::select_in;

/// The text OTA writes in place of an email address hidden by Cloudflare (with a no-break space,
/// which normalisation turns into a space).
pub const PROTECTED_EMAIL_TEXT: &str = "[email\u{a0}protected]";

/// Whether a link is Cloudflare-style email protection: its target names the
/// `/email-protection` endpoint (OTA's test, kept as it is).
fn is_email_protection(href: &str) -> bool {
    href.contains("/email-protection")
}

/// Applies the three steps of the module documentation to `doc`, fetched from `base`.
pub(crate) fn prepare(doc: &mut Html, base: &Url) {
    absolute_links(doc, base);
    drop_scripts(doc);
    clean_email_protection(doc);
}

fn set_attr(doc: &mut Html, id: NodeId, name: &str, value: &str) {
    if let Some(mut node) = doc.tree.get_mut(id) {
        if let Node::Element(el) = node.value() {
            for (key, v) in el.attrs.iter_mut() {
                if &*key.local == name {
                    *v = value.into();
                }
            }
        }
    }
}

fn absolute_links(doc: &mut Html, base: &Url) {
    let links = Selector::parse("a[href]").expect("static selector is valid");
    let rewrites: Vec<(NodeId, String)> = select_in(doc, &links)
        .into_iter()
        .filter_map(|a| Some((a.id(), prepared_href(base, a.value().attr("href")?)?)))
        .collect();
    for (id, href) in rewrites {
        set_attr(doc, id, "href", &href);
    }
}

/// The new `href` of a link made absolute against `base`, or `None` when it stays as written.
pub(crate) fn prepared_href(base: &Url, href: &str) -> Option<String> {
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    // A target that is not a URL even relative to the page stays as written.
    let absolute = base.join(href).ok()?;
    (absolute.as_str() != href).then(|| absolute.to_string())
}

/// The `href` an email-protected link keeps (its token dropped), if `href` is one.
pub(crate) fn email_protection_target(href: &str) -> Option<&str> {
    is_email_protection(href).then(|| href.split('#').next().unwrap_or_default())
}

fn drop_scripts(doc: &mut Html) {
    let scripts = Selector::parse("script, style").expect("static selector is valid");
    let ids: Vec<NodeId> = select_in(doc, &scripts).iter().map(|e| e.id()).collect();
    for id in ids {
        if let Some(mut node) = doc.tree.get_mut(id) {
            node.detach();
        }
    }
}

fn clean_email_protection(doc: &mut Html) {
    let links = Selector::parse("a[href]").expect("static selector is valid");
    let protected: Vec<(NodeId, String)> = select_in(doc, &links)
        .into_iter()
        .filter_map(|a| {
            let kept = email_protection_target(a.value().attr("href")?)?;
            Some((a.id(), kept.to_owned()))
        })
        .collect();
    for (id, href) in protected {
        set_attr(doc, id, "href", &href);
        let Some(mut link) = doc.tree.get_mut(id) else {
            continue;
        };
        while let Some(mut child) = link.first_child() {
            child.detach();
        }
        link.append(Node::Text(Text {
            text: PROTECTED_EMAIL_TEXT.into(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(html: &str) -> String {
        let mut doc = crate::dom::parse(html);
        let base = Url::parse("https://example.org/legal/terms").expect("valid");
        prepare(&mut doc, &base);
        let body = Selector::parse("body").expect("valid");
        select_in(&doc, &body)[0].inner_html()
    }

    #[test]
    fn links_are_made_absolute_except_fragments_and_empty_ones() {
        assert_eq!(
            prepared(
                r##"<a href="/privacy">p</a><a href="#s3">s</a><a href="">e</a><a href="mailto:a@example.org">m</a><a href="../faq?x=1">f</a>"##
            ),
            r##"<a href="https://example.org/privacy">p</a><a href="#s3">s</a><a href="">e</a><a href="mailto:a@example.org">m</a><a href="https://example.org/faq?x=1">f</a>"##
        );
    }

    #[test]
    fn scripts_and_styles_go_before_any_rule() {
        assert_eq!(
            prepared("<p>a</p><script>var x = 1;</script><style>p {}</style><p>b</p>"),
            "<p>a</p><p>b</p>"
        );
    }

    #[test]
    fn email_protection_tokens_go() {
        let page = |token: &str| {
            prepared(&format!(
                r#"<p>Write to <a href="/cdn-cgi/l/email-protection#{token}"><span class="__cf_email__" data-cfemail="{token}">[email&#160;protected]</span></a>.</p>"#
            ))
        };
        let a = page("7f1e0b0a3f1a071e120f131a511006");
        assert_eq!(a, page("0c6d78796c69746d617c60692276"));
        assert_eq!(
            a,
            "<p>Write to <a href=\"https://example.org/cdn-cgi/l/email-protection\">[email&nbsp;protected]</a>.</p>"
        );
    }
}
