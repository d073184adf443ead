//! A version's Markdown as HTML for the version page. Policy text is untrusted: raw HTML in it
//! (blocks and inline) is shown as escaped text, images are shown as their alt text (nothing is loaded),
//! and a link keeps its target only when that is `http`, `https`, `mailto` or a relative or
//! fragment address; any other (`javascript:`, `data:`, `vbscript:`, ...) is dropped and the
//! link's words stay as text.

use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};

/// Whether a link target may stay a link. Browsers ignore ASCII whitespace and control
/// characters inside a scheme (`java\tscript:`), so they are removed before looking.
pub fn safe_link(url: &str) -> bool {
    let folded: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .collect::<String>()
        .to_ascii_lowercase();
    // A scheme is what comes before the first `:` when no `/`, `?` or `#` comes earlier.
    let scheme_end = folded.find(':');
    let path_start = folded.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (Some(c), Some(p)) if p < c => true,
        (Some(c), _) => matches!(&folded[..c], "http" | "https" | "mailto"),
        (None, _) => true,
    }
}

/// The HTML of `markdown`, safe to put inside a page.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // Per open link: whether it was kept (its end tag is dropped along with a dropped start).
    let mut links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(|e| match e {
        // Written escaped (quotes too, like every other archive text of the view).
        Event::Html(s) => Some(Event::Html(super::html::escape(&s).into_owned().into())),
        Event::InlineHtml(s) => Some(Event::InlineHtml(
            super::html::escape(&s).into_owned().into(),
        )),
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let keep = safe_link(&dest_url);
            links.push(keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => links
            .pop()
            .unwrap_or(false)
            .then_some(Event::End(TagEnd::Link)),
        // Footnote and metadata syntax is not enabled; everything else renders as parsed.
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_the_text_stays_text_and_unsafe_links_are_dropped() {
        let md = "# Terms\n\n<script>alert(1)</script>\n\nA <img src=x onerror=alert(1)> and \
<a href=\"javascript:alert(1)\">prize</a>.\n\n[the prize](javascript:alert(1)) \
[tab](java\tscript:alert(1)) [data](DATA:text/html,x) [ok](https://example.org/a) \
[rel](/d/a/b) [mail](mailto:x@example.org)\n\n![pic](https://example.org/p.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
        let html = render(md);
        for absent in [
            "<script",
            "<img",
            "<a href=\"javascript",
            "href=\"java",
            "href=\"DATA",
            "href=\"data",
        ] {
            assert!(!html.contains(absent), "{absent} in {html}");
        }
        for present in [
            "<h1>Terms</h1>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "&lt;img src=x onerror=alert(1)&gt;",
            "&lt;a href=&quot;javascript:alert(1)&quot;&gt;prize&lt;/a&gt;",
            "the prize",
            "<a href=\"https://example.org/a\">ok</a>",
            "<a href=\"/d/a/b\">rel</a>",
            "<a href=\"mailto:x@example.org\">mail</a>",
            "pic",
            "<table>",
        ] {
            assert!(html.contains(present), "{present} missing from {html}");
        }
        for (url, safe) in [
            ("javascript:alert(1)", false),
            (" JavaScript:alert(1)", false),
            ("java\nscript:x", false),
            ("vbscript:x", false),
            ("data:text/html,x", false),
            ("https://x/", true),
            ("#a", true),
            ("a/b:c", true),
            ("?q=a:b", true),
        ] {
            assert_eq!(safe_link(url), safe, "{url}");
        }
    }
}
