//! One call from a fetched policy page to a plugin's result: find the policy text (a given
//! landmark, else the largest text block), drop the usual noise (navigation, cookie banners,
//! dialogs, scripts, images), convert to Markdown, drop tracking parameters from links, split into
//! sections, find the title and the "last updated" line. Platform plugins pass only what differs
//! for their pages.

use std::collections::BTreeMap;

use scraper::{ElementRef, Html, Selector};
use termtrail_plugin_api::ExtractedDocument;
use url::Url;

use crate::{clean_markdown_links, split_sections, ExtractError, Extractor, RuleError, RuleSpec};

/// Noise on nearly every policy page; removed before anything is selected. Deliberately
/// structural (landmarks, roles, ARIA state) rather than class names, which churn.
pub const COMMON_NOISE: &[&str] = &[
    "nav",
    "aside",
    "body > header",
    "footer",
    "form",
    "button",
    "select",
    "dialog",
    "iframe",
    "img",
    "picture",
    "video",
    "svg",
    "script",
    "style",
    "noscript",
    "template",
    "[role=\"navigation\"]",
    "[role=\"banner\"]",
    "[role=\"contentinfo\"]",
    "[role=\"dialog\"]",
    "[role=\"alertdialog\"]",
    "[aria-modal=\"true\"]",
    "[aria-hidden=\"true\"]",
    "[hidden]",
    "[id^=\"onetrust\"]",
    "[id*=\"cookie-banner\"]",
    "[class*=\"cookie-banner\"]",
    "[id*=\"cookie-consent\"]",
    "[class*=\"cookie-consent\"]",
    "[id*=\"consent-banner\"]",
    "[class*=\"consent-banner\"]",
    "[id*=\"CybotCookiebot\"]",
    ".sr-only",
    ".visually-hidden",
];

/// Where a plugin's pages keep their text, and what else to drop.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicyLayout<'a> {
    /// Selectors tried in order; the first that matches an element holding at least
    /// [`MIN_TEXT`] characters of text is the policy. When none does, the largest text block
    /// is used.
    pub main: &'a [&'a str],
    /// Removed in addition to [`COMMON_NOISE`].
    pub remove: &'a [&'a str],
}

/// The least text a landmark must hold to be taken for the policy (a `<main>` holding only a
/// "loading" line is not).
pub const MIN_TEXT: usize = 200;

/// Why a policy page could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A selector of the plugin does not compile (a bug in the plugin).
    #[error("plugin selector: {0}")]
    Rule(#[from] RuleError),
    /// The page has no text where expected.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The text is too short to be a policy: a bot challenge, an error page or a page rendered
    /// by JavaScript.
    #[error("the page holds only {0} characters of text; it is probably a bot challenge, an error page or rendered by JavaScript")]
    TooShort(usize),
}

fn text_len(el: ElementRef<'_>) -> usize {
    el.text().map(|t| t.trim().len()).sum()
}

/// A CSS path (`body > :nth-child(2) > :nth-child(1)`) naming `el` in its document.
fn css_path(el: ElementRef<'_>) -> String {
    let mut parts = Vec::new();
    let mut cur = Some(el);
    while let Some(e) = cur {
        if e.value().name() == "body" {
            parts.push("body".to_owned());
            break;
        }
        let index = e.prev_siblings().filter(|s| s.value().is_element()).count() + 1;
        parts.push(format!(":nth-child({index})"));
        cur = e.parent().and_then(ElementRef::wrap);
    }
    parts.reverse();
    parts.join(" > ")
}

/// The deepest element that still holds most (80%) of its parent's paragraph text: the block the
/// policy lives in when the page has no usable landmark.
fn largest_text_block(doc: &Html) -> Option<String> {
    let body = doc.select(&Selector::parse("body").ok()?).next()?;
    // The paragraph text below an element, and in how many text elements it lies.
    let weight = |e: ElementRef<'_>| -> (usize, usize) {
        e.descendants()
            .filter_map(ElementRef::wrap)
            .filter(|d| {
                matches!(
                    d.value().name(),
                    "p" | "li" | "td" | "h1" | "h2" | "h3" | "h4"
                )
            })
            .fold((0, 0), |(w, n), d| (w + text_len(d), n + 1))
    };
    let mut cur = body;
    loop {
        let (total, _) = weight(cur);
        let best = cur
            .children()
            .filter_map(ElementRef::wrap)
            .map(|c| (weight(c), c))
            .max_by_key(|((w, _), _)| *w);
        // Descend into a child holding most of the text, but never into a single paragraph:
        // the block is the container of the paragraphs (and of their headings).
        match best {
            Some(((w, n), child)) if total > 0 && n >= 2 && w * 10 >= total * 8 => cur = child,
            _ => break,
        }
    }
    Some(css_path(cur))
}

/// The `Last updated` / `Effective date` line, if the text has one near the top.
fn dates(text: &str) -> BTreeMap<String, String> {
    let mut meta = BTreeMap::new();
    for line in text.lines().take(40) {
        let plain = line.trim().trim_matches(|c| c == '*' || c == '_').trim();
        let lower = plain.to_ascii_lowercase();
        for (prefix, key) in [
            ("last updated", "last-updated"),
            ("last modified", "last-updated"),
            ("last revised", "last-updated"),
            ("updated", "last-updated"),
            ("effective date", "effective-date"),
            ("effective", "effective-date"),
        ] {
            if lower.starts_with(prefix) && !meta.contains_key(key) && plain.len() < 80 {
                let value = plain[prefix.len()..]
                    .trim_start_matches([':', ' ', '*', '_', 'o', 'n'])
                    .trim();
                if value.chars().any(|c| c.is_ascii_digit()) {
                    meta.insert(key.to_owned(), value.to_owned());
                }
                break;
            }
        }
    }
    meta
}

/// Whether a Markdown line is only a run of links (three or more, with at most separators between
/// them): a footer or menu the landmark held, never policy prose. A list of links keeps one link
/// per line and is not affected.
fn is_link_run(line: &str) -> bool {
    let mut rest = line.trim();
    let mut links = 0;
    while !rest.is_empty() {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || "|·•-–,".contains(c));
        if rest.is_empty() {
            break;
        }
        let Some(after_open) = rest.strip_prefix('[') else {
            return false;
        };
        let Some(close) = after_open.find("](") else {
            return false;
        };
        let target = &after_open[close + 2..];
        let Some(end) = target.find(')') else {
            return false;
        };
        links += 1;
        rest = &target[end + 1..];
    }
    links >= 3
}

/// A Markdown heading line without its permalinks: in a heading, a link to an anchor of the same
/// page (`## [**Who we are**](#who-we-are)`, or an empty `[](#who-we-are)`) only points at the
/// heading itself, so its text stays and the link goes (with bold or italics spanning the whole
/// heading). Other lines come back as they are.
fn unwrap_heading_anchors(line: &str) -> String {
    let Some(text) = line.strip_prefix('#') else {
        return line.to_owned();
    };
    let hashes = 1 + text.len() - text.trim_start_matches('#').len();
    let (marker, text) = line.split_at(hashes);
    if !text.starts_with(' ') {
        return line.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find("](#") else {
            break;
        };
        let target = &after[close + 3..];
        let Some(end) = target.find(')') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&after[..close]);
        rest = &target[end + 1..];
    }
    out.push_str(rest);
    let mut inner = out.trim();
    for mark in ["**", "__", "*", "_"] {
        if inner.len() > 2 * mark.len() && inner.starts_with(mark) && inner.ends_with(mark) {
            let stripped = &inner[mark.len()..inner.len() - mark.len()];
            if !stripped.contains(mark) {
                inner = stripped.trim();
            }
        }
    }
    if inner.is_empty() {
        return String::new();
    }
    format!("{marker} {inner}")
}

/// Words that mark a policy's date line ("Last updated: …", "Effective date: …").
const DATE_LINE_MARKERS: &[&str] = &[
    "last updated",
    "last modified",
    "last revised",
    "effective",
    "updated:",
    "updated on",
    "date of last revision",
];

/// The date line of a policy text: the first line near the top that names its last update or
/// effective date.
fn date_line(text: &str) -> Option<&str> {
    text.lines().take(60).map(str::trim).find(|l| {
        let lower = l.to_lowercase();
        l.len() < 200 && DATE_LINE_MARKERS.iter().any(|m| lower.contains(m))
    })
}

/// A one-line summary of a change of the policy's date line, for `Plugin::summarize`: what most
/// readers want to know first is whether, and from when, the terms officially changed.
pub fn effective_date_change(old: &str, new: &str) -> Option<String> {
    let clean = |l: &str| {
        l.trim_matches(|c: char| c == '*' || c == '_' || c == '#' || c.is_whitespace())
            .to_owned()
    };
    match (date_line(old), date_line(new)) {
        (Some(a), Some(b)) if a != b => Some(format!(
            "Date line changed from \"{}\" to \"{}\"",
            clean(a),
            clean(b)
        )),
        (None, Some(b)) => Some(format!("Date line added: \"{}\"", clean(b))),
        _ => None,
    }
}

#[cfg(test)]
mod date_tests {
    use super::effective_date_change;

    #[test]
    fn date_line_changes_are_summarised() {
        let old = "# Privacy policy\n\n*Last updated: March 25, 2026*\n\nWe collect data.\n";
        let new = "# Privacy policy\n\n*Last updated: 25 June 2026*\n\nWe collect more data.\n";
        assert_eq!(
            effective_date_change(old, new).as_deref(),
            Some("Date line changed from \"Last updated: March 25, 2026\" to \"Last updated: 25 June 2026\"")
        );
        assert_eq!(effective_date_change(old, old), None);
        assert_eq!(
            effective_date_change("# P\n\nText.\n", "# P\n\nText, more.\n"),
            None
        );
        assert_eq!(
            effective_date_change("# P\n\nText.\n", "# P\n\nEffective 1 July 2026\n\nText.\n")
                .as_deref(),
            Some("Date line added: \"Effective 1 July 2026\"")
        );
    }
}

/// Extracts a policy page: see the module documentation.
pub fn extract_policy(
    html: &str,
    base: &Url,
    layout: &PolicyLayout<'_>,
) -> Result<ExtractedDocument, PolicyError> {
    let remove: Vec<RuleSpec> = COMMON_NOISE
        .iter()
        .chain(layout.remove)
        .map(|s| RuleSpec::Css((*s).to_owned()))
        .collect();
    // Candidates and the fallback path are found in the page without its noise, as the
    // extractor will see it (the path's `:nth-child` indices depend on it).
    let (doc, _) = Extractor::new(&[], &remove)?.cleaned_page(html, base, None)?;
    let mut select = None;
    for candidate in layout.main {
        let sel = Selector::parse(candidate).map_err(|e| RuleError::InvalidSelector {
            selector: (*candidate).to_owned(),
            reason: e.to_string(),
        })?;
        if crate::dom::select_in(&doc, &sel)
            .into_iter()
            .any(|e| text_len(e) >= MIN_TEXT)
        {
            select = Some((*candidate).to_owned());
            break;
        }
    }
    let select = match select {
        Some(s) => s,
        None => largest_text_block(&doc).unwrap_or_else(|| "body".to_owned()),
    };
    let extractor = Extractor::new(&[RuleSpec::Css(select)], &remove)?;
    let markdown = clean_markdown_links(&extractor.extract(html, base)?);
    let kept: Vec<String> = markdown
        .lines()
        .filter(|l| !is_link_run(l))
        .map(unwrap_heading_anchors)
        .collect();
    let text = crate::normalise_text(&kept.join("\n"));
    let chars = text.chars().filter(|c| c.is_alphanumeric()).count();
    if chars < MIN_TEXT / 2 {
        return Err(PolicyError::TooShort(chars));
    }
    let sections = split_sections(&text);
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(|t| t.trim().to_owned())
        .or_else(|| {
            let sel = Selector::parse("title").ok()?;
            let t: String = doc.select(&sel).next()?.text().collect();
            Some(t.trim().to_owned()).filter(|t| !t.is_empty())
        });
    Ok(ExtractedDocument {
        metadata: dates(&text),
        text,
        title,
        sections,
    })
}

/// [`extract_policy`] on a plugin request: the page text the host decoded, links made absolute
/// against the final URL, errors turned into the plugin's error type. Most plugins' `extract` is
/// this one call.
pub fn extract_request(
    request: &termtrail_plugin_api::ExtractRequest,
    layout: &PolicyLayout<'_>,
) -> Result<ExtractedDocument, termtrail_plugin_api::PluginError> {
    use termtrail_plugin_api::PluginError;
    let doc = &request.document;
    let base = Url::parse(&doc.final_url)
        .or_else(|_| Url::parse(&doc.url))
        .map_err(|e| {
            PluginError::new(format!(
                "the request's URL {:?} is not a URL: {e}",
                doc.final_url
            ))
        })?;
    extract_policy(&doc.text(), &base, layout).map_err(|e| PluginError::new(e.to_string()))
}

/// A request as the host would send it for `html` fetched from `url`: for plugin tests.
pub fn request_for(kind: &str, url: &str, html: &str) -> termtrail_plugin_api::ExtractRequest {
    termtrail_plugin_api::ExtractRequest {
        kind: kind.to_owned(),
        document: termtrail_plugin_api::FetchedDocument {
            url: url.to_owned(),
            final_url: url.to_owned(),
            status: 200,
            headers: vec![(
                "content-type".to_owned(),
                "text/html; charset=utf-8".to_owned(),
            )],
            content_type: Some("text/html; charset=utf-8".to_owned()),
            body: html.as_bytes().to_vec(),
            body_text: Some(html.to_owned()),
            fetched_at: "2026-01-01T00:00:00Z".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://ex.org/legal/privacy").expect("valid")
    }

    const CLAUSES: &str = "<p>We collect the information you give us when you use the services, \
        including your account details and the content of your conversations.</p>\
        <p>We use it to provide, improve and secure the services, and we keep it only as long as \
        needed for these purposes.</p>";

    #[test]
    fn landmark_wins_and_noise_goes() {
        let html = format!(
            r#"<html><head><title>Privacy | Ex</title></head><body>
            <header><a href="/">Ex</a><nav><a href="/a">Products</a></nav></header>
            <div id="onetrust-consent-sdk"><p>We use cookies. Accept all?</p></div>
            <main><article><h1>Privacy Policy</h1><p>Last updated: May 1, 2026</p>
            <nav>On this page: Data</nav>{CLAUSES}
            <h2>Contact</h2><p>Write to <a href="https://ex.org/contact?utm_source=policy&amp;fbclid=1">us</a>.</p>
            <button>Copy link</button></article></main>
            <footer>© Ex</footer></body></html>"#
        );
        let layout = PolicyLayout {
            main: &["main article"],
            remove: &[],
        };
        let got = extract_policy(&html, &base(), &layout).expect("extracts");
        assert!(
            got.text
                .starts_with("# Privacy Policy\n\nLast updated: May 1, 2026\n\nWe collect"),
            "{}",
            got.text
        );
        assert!(
            got.text
                .ends_with("## Contact\n\nWrite to [us](https://ex.org/contact).\n"),
            "{}",
            got.text
        );
        for noise in ["cookies", "Products", "On this page", "Copy link", "©"] {
            assert!(!got.text.contains(noise), "{noise} in {}", got.text);
        }
        assert_eq!(got.title.as_deref(), Some("Privacy Policy"));
        assert_eq!(got.sections.len(), 2);
        assert_eq!(
            got.sections[1].heading_path,
            vec!["Privacy Policy", "Contact"]
        );
        assert_eq!(
            got.metadata.get("last-updated").map(String::as_str),
            Some("May 1, 2026")
        );
    }

    #[test]
    fn without_a_landmark_the_largest_block_is_taken() {
        let html = format!(
            r#"<body><div class="x1"><div class="menu"><p>Home</p><p>About</p></div>
            <div class="c9"><div class="c10"><h1>Terms</h1>{CLAUSES}{CLAUSES}</div>
            <div class="related"><p>Related: blog</p></div></div></div></body>"#
        );
        let layout = PolicyLayout {
            main: &["main", "[role=\"main\"]"],
            remove: &[],
        };
        let got = extract_policy(&html, &base(), &layout).expect("extracts");
        assert!(
            got.text.starts_with("# Terms\n\nWe collect"),
            "{}",
            got.text
        );
        assert!(!got.text.contains("Home"), "{}", got.text);
        assert!(!got.text.contains("Related"), "{}", got.text);
    }

    #[test]
    fn runs_of_links_are_menus() {
        assert!(is_link_run(
            "[Sign up](https://a/)[Log in](https://b/) · [Help](https://c/)"
        ));
        assert!(!is_link_run("[Sign up](https://a/)[Log in](https://b/)"));
        assert!(!is_link_run(
            "See [a](https://a/), [b](https://b/) and [c](https://c/)."
        ));
        assert!(!is_link_run("- [Cookies](https://a/)"));
    }

    #[test]
    fn a_challenge_page_is_an_error() {
        let html =
            "<body><main><p>Checking your browser before accessing the site.</p></main></body>";
        let err = extract_policy(html, &base(), &PolicyLayout::default()).expect_err("too short");
        assert!(matches!(err, PolicyError::TooShort(_)), "{err}");
    }

    #[test]
    fn heading_permalinks_keep_their_text() {
        for (line, want) in [
            ("## [**Who We Are**](#who-we-are)", "## Who We Are"),
            (
                "### [](#info)1. Information we collect",
                "### 1. Information we collect",
            ),
            (
                "# [Terms](#terms) of [use](https://ex.org/use)",
                "# Terms of [use](https://ex.org/use)",
            ),
            ("## [](#empty)", ""),
            ("Text with [a link](#x).", "Text with [a link](#x)."),
            ("#hashtag", "#hashtag"),
        ] {
            assert_eq!(unwrap_heading_anchors(line), want, "{line}");
        }
    }
}
