//! Zero-config extraction: find the policy text in a page nobody wrote rules for.
//!
//! Boilerplate goes first: landmarks that are never the document (navigation, banners, footers
//! outside the main content, dialogs, forms), small blocks named like cookie banners, menus or
//! share bars, skip links, and headings that are only a link. Then, starting from the page's
//! `main`/`article` landmark when it holds most of the prose (else from `<body>`), the walk goes down into the child that holds most of
//! the page's prose (text that is not link or button text) for as long as one child holds at least
//! [`DESCEND_SHARE`] of it: the deepest element that still holds nearly all the prose is the
//! document. This follows structure (where the text is), not class names, so it holds on pages
//! never seen before.

use std::collections::HashMap;

use ego_tree::{NodeId, NodeRef};
use scraper::{Html, Node, Selector};

/// A child holding at least this share of its parent's prose is where the document is.
const DESCEND_SHARE: f64 = 0.95;

/// Landmarks that say "the content is here".
const LANDMARKS: &str = "main, [role=main], article, [role=article]";

/// A content landmark holding at least this share of the page's prose is where the walk starts.
const LANDMARK_MIN_SHARE: f64 = 0.5;

/// Landmarks that never hold the document itself.
const BOILERPLATE: &str = "nav, dialog, form, button, select, [role=navigation], [role=banner], \
    [role=contentinfo], [role=complementary], [role=dialog], [role=alertdialog], [role=search], \
    [aria-hidden=true], [hidden], aside";

/// Words that name boilerplate in ids and classes.
const BOILERPLATE_NAMES: &[&str] = &[
    "cookie",
    "consent",
    "gdpr",
    "newsletter",
    "subscribe",
    "breadcrumb",
    "share",
    "social",
    "sidebar",
    "skip-link",
    "skiplink",
    "toast",
    "popup",
    "modal",
    "banner",
    "navbar",
    "menu",
];

/// Elements named like boilerplate are removed only if they hold less than this share of the
/// page's prose: a wrapper called `has-sidebar` around the whole policy must stay.
const NAMED_MAX_SHARE: f64 = 0.2;

fn own_prose(node: NodeRef<'_, Node>) -> usize {
    node.children()
        .filter_map(|c| c.value().as_text().map(|t| t.trim().chars().count()))
        .sum()
}

fn is_link_like(name: &str) -> bool {
    matches!(
        name,
        "a" | "button"
            | "label"
            | "option"
            | "select"
            | "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
    )
}

/// Prose length of every element's subtree (text outside links and controls).
fn prose(doc: &Html) -> HashMap<NodeId, usize> {
    fn walk(node: NodeRef<'_, Node>, out: &mut HashMap<NodeId, usize>) -> usize {
        let mut total = 0;
        if let Node::Element(el) = node.value() {
            if is_link_like(el.name()) {
                out.insert(node.id(), 0);
                return 0;
            }
            total += own_prose(node);
        }
        for child in node.children() {
            if child.value().is_element() || matches!(child.value(), Node::Document) {
                total += walk(child, out);
            }
        }
        out.insert(node.id(), total);
        total
    }
    let mut out = HashMap::new();
    walk(doc.tree.root(), &mut out);
    out
}

fn named_like_boilerplate(node: NodeRef<'_, Node>) -> bool {
    let Node::Element(el) = node.value() else {
        return false;
    };
    let names = el.attr("id").into_iter().chain(el.attr("class"));
    names.flat_map(str::split_whitespace).any(|token| {
        let t = token.to_ascii_lowercase();
        BOILERPLATE_NAMES.iter().any(|b| t.contains(b))
    })
}

/// Landmarks are removed only if they hold less than this share of the page's prose: some sites
/// wrap the whole document in `aria-hidden` (behind a log-in overlay) or in a `dialog`.
const LANDMARK_MAX_SHARE: f64 = 0.5;

/// Removes boilerplate from `doc` (see the module documentation).
pub(crate) fn remove_boilerplate(doc: &mut Html) {
    let lengths = prose(doc);
    let total = lengths
        .get(&doc.tree.root().id())
        .copied()
        .unwrap_or(0)
        .max(1) as f64;
    let share = |id: NodeId| lengths.get(&id).copied().unwrap_or(0) as f64 / total;
    let sel = Selector::parse(BOILERPLATE).expect("static selector is valid");
    let mut ids: Vec<NodeId> = doc
        .select(&sel)
        .map(|e| e.id())
        .filter(|id| share(*id) < LANDMARK_MAX_SHARE)
        .collect();
    // Page headers and footers, but not those inside the content (an article's own header holds
    // its title).
    let hf = Selector::parse("header, footer").expect("static selector is valid");
    ids.extend(
        doc.select(&hf)
            .filter(|e| {
                !e.ancestors().any(|a| {
                    a.value()
                        .as_element()
                        .is_some_and(|el| matches!(el.name(), "main" | "article"))
                })
            })
            .map(|e| e.id())
            .filter(|id| share(*id) < LANDMARK_MAX_SHARE),
    );
    for node in doc.tree.root().descendants() {
        if named_like_boilerplate(node) && share(node.id()) < NAMED_MAX_SHARE {
            ids.push(node.id());
        }
    }
    // "Skip to main content" links, and headings that are nothing but a link (a site logo, a
    // section switcher) outside the content.
    let skip = Selector::parse("a[href^='#']").expect("static selector is valid");
    ids.extend(
        doc.select(&skip)
            .filter(|a| {
                a.text()
                    .collect::<String>()
                    .trim()
                    .to_lowercase()
                    .starts_with("skip")
            })
            .map(|a| a.id()),
    );
    let headings = Selector::parse("h1, h2, h3").expect("static selector is valid");
    let link = Selector::parse("a").expect("static selector is valid");
    ids.extend(
        doc.select(&headings)
            .filter(|h| {
                let text: String = h.text().collect();
                let linked: String = h.select(&link).flat_map(|a| a.text()).collect();
                !text.trim().is_empty()
                    && text.trim() == linked.trim()
                    && !h.ancestors().any(|a| {
                        a.value()
                            .as_element()
                            .is_some_and(|el| matches!(el.name(), "main" | "article"))
                    })
            })
            .map(|h| h.id()),
    );
    for id in ids {
        if let Some(mut n) = doc.tree.get_mut(id) {
            n.detach();
        }
    }
}

/// The element that holds the document: see the module documentation.
pub(crate) fn main_content(doc: &Html) -> NodeId {
    let lengths = prose(doc);
    let total = lengths.get(&doc.tree.root().id()).copied().unwrap_or(0) as f64;
    let of = |id: NodeId| lengths.get(&id).copied().unwrap_or(0);
    // A page that marks its main content, and puts most of its prose there, has said where the
    // document is: start from that landmark.
    let landmarks = Selector::parse(LANDMARKS).expect("static selector is valid");
    let body = Selector::parse("body").expect("static selector is valid");
    let landmark = doc
        .select(&landmarks)
        .max_by_key(|e| of(e.id()))
        .filter(|e| of(e.id()) as f64 >= LANDMARK_MIN_SHARE * total);
    let mut node = match landmark {
        Some(l) => *l,
        None => doc.select(&body).next().map_or(doc.tree.root(), |b| *b),
    };
    loop {
        let here = lengths.get(&node.id()).copied().unwrap_or(0);
        if here == 0 {
            break;
        }
        let best = node
            .children()
            .filter(|c| c.value().is_element())
            .max_by_key(|c| lengths.get(&c.id()).copied().unwrap_or(0));
        match best {
            Some(child)
                if lengths.get(&child.id()).copied().unwrap_or(0) as f64
                    >= DESCEND_SHARE * here as f64 =>
            {
                node = child;
            }
            _ => break,
        }
    }
    node.id()
}

#[cfg(test)]
mod tests {
    use crate::Extractor;

    fn auto(html: &str) -> String {
        let base = url::Url::parse("https://example.org/").expect("valid");
        Extractor::new(&[], &[])
            .expect("no rules")
            .extract(html, &base)
            .expect("text found")
    }

    #[test]
    fn finds_the_policy_in_unseen_layouts() {
        let prose = "<p>We collect the information you give us when you use the service, and we explain here how we use it, for how long we keep it, and with whom we share it.</p>";
        let pages = [
            // Landmarks.
            format!("<body><header><a href='/'>Home</a><a href='/x'>Products</a></header><nav>Menu</nav><main><h1>Privacy</h1>{prose}{prose}</main><footer>© 2026 Example · Imprint · Contact us for anything</footer></body>"),
            // No landmarks: div soup with a cookie banner and a sidebar of links.
            format!("<body><div class='top'><div class='CookieConsent_x1'>We use cookies to improve your experience. Accept all?</div><div><a href='/a'>About</a> <a href='/b'>Blog</a></div></div><div class='wrap'><div class='col-left'><ul><li><a href='/1'>Privacy</a></li><li><a href='/2'>Terms</a></li></ul></div><div class='col-main'><h1>Privacy</h1>{prose}{prose}</div></div></body>"),
            // Nested sections with the text spread over them.
            format!("<body><div id='app'><div class='shell'><section><h1>Privacy</h1>{prose}</section><section>{prose}</section></div></div><aside>Related: read our blog and other interesting things at length here</aside></body>"),
        ];
        for page in pages {
            let text = auto(&page);
            assert!(
                text.starts_with("# Privacy\n\nWe collect the information"),
                "{text}"
            );
            for noise in ["Menu", "cookies", "Products", "About", "Related", "Imprint"] {
                assert!(!text.contains(noise), "{noise:?} leaked into:\n{text}");
            }
        }
    }

    #[test]
    fn a_wrapper_named_like_boilerplate_is_kept_when_it_holds_the_text() {
        let text = auto("<body><div class='page has-sidebar'><h1>Terms</h1><p>These terms govern your use of the service and explain your rights and our obligations in detail.</p></div></body>");
        assert!(text.contains("These terms govern"), "{text}");
    }
}
