//! The shared checks of a platform plugin's layout on its synthetic test page: the policy text
//! kept, the page's own noise dropped (each noise string must be in the page, so that every
//! assertion can fail), the same text whatever the per-fetch noise, and a manifest of real
//! documents. For plugins' unit tests.

use termtrail_plugin_api::{ExtractedDocument, Plugin};

use crate::policy::request_for;

/// A plugin's synthetic page and what extracting it must give.
#[derive(Clone, Copy)]
pub struct LayoutCase<'a> {
    /// The plugin.
    pub plugin: &'a dyn Plugin,
    /// The kind and URL the page is extracted as.
    pub kind: &'a str,
    /// See `kind`.
    pub url: &'a str,
    /// The page, with placeholders: `@N@` for per-fetch noise (build ids, nonces, tokens),
    /// `@N12@` for the same as 12 hex digits, `@CLAUSE@` for a clause of the policy.
    pub page: &'a str,
    /// The policy's title: the text starts with `# TITLE`, then `Last updated: DATE`.
    pub title: &'a str,
    /// The date of the "last updated" line.
    pub last_updated: &'a str,
    /// Text the policy text must hold, besides the clause.
    pub kept: &'a [&'a str],
    /// Noise of this page: each string is in the page and must not be in the text.
    pub noise: &'a [&'a str],
    /// Sections of the extracted document.
    pub sections: usize,
}

/// The clause put in the page.
pub const CLAUSE: &str = "We collect the information you give us when you create an account.";

impl LayoutCase<'_> {
    /// The page of fetch `n` holding `clause`.
    pub fn page(&self, n: u32, clause: &str) -> String {
        self.page
            .replace("@N12@", &format!("{n:012x}"))
            .replace("@N@", &n.to_string())
            .replace("@CLAUSE@", clause)
    }

    /// What the plugin extracts from `html`.
    pub fn extract(&self, html: &str) -> ExtractedDocument {
        self.plugin
            .extract(&request_for(self.kind, self.url, html))
            .expect("the synthetic page extracts")
    }
}

/// The policy text is kept, from the title on, and the page's noise is dropped.
pub fn check_text(case: &LayoutCase<'_>) {
    let html = case.page(1, CLAUSE);
    for noise in case.noise {
        assert!(
            html.contains(noise),
            "{noise:?} is not in the page: asserting its absence would test nothing"
        );
    }
    let d = case.extract(&html);
    let start = format!("# {}\n\nLast updated: {}\n", case.title, case.last_updated);
    assert!(d.text.starts_with(&start), "{}", d.text);
    assert!(d.text.contains(CLAUSE), "{}", d.text);
    for kept in case.kept {
        assert!(d.text.contains(kept), "{kept:?} not in:\n{}", d.text);
    }
    for noise in case.noise {
        assert!(!d.text.contains(noise), "{noise:?} in:\n{}", d.text);
    }
    assert_eq!(d.title.as_deref(), Some(case.title));
    assert_eq!(
        d.metadata.get("last-updated").map(String::as_str),
        Some(case.last_updated)
    );
    assert_eq!(d.sections.len(), case.sections, "{:?}", d.sections);
}

/// Per-fetch noise gives the same text; a changed clause does not.
pub fn check_noise_only_changes(case: &LayoutCase<'_>) {
    let (one, other) = (case.page(1, CLAUSE), case.page(987_654, CLAUSE));
    assert_ne!(one, other, "the page has no per-fetch noise to vary");
    let a = case.extract(&one).text;
    assert_eq!(a, case.extract(&other).text);
    let changed = case.extract(&case.page(1, "We collect less.")).text;
    assert_ne!(a, changed);
}

/// The manifest is named `name` and lists https documents.
pub fn check_manifest(plugin: &dyn Plugin, name: &str) {
    let m = plugin.manifest();
    assert_eq!(m.name, name);
    assert!(!m.documents.is_empty());
    for d in &m.documents {
        assert!(d.url.starts_with("https://"), "{}", d.url);
    }
}
