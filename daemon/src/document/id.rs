//! Document identity: `PLATFORM/KIND`, the paths it owns in the archive, and its human name.

use std::fmt;

/// Open Terms Archive's terms types, slugified. Kinds outside this list are accepted (a platform
/// may publish something new) but `validate` warns, so that archives of both tools line up.
pub const OTA_TERMS_TYPES: &[&str] = &[
    "acceptable-use-policy",
    "brand-guidelines",
    "business-mediation-policy",
    "business-privacy-policy",
    "business-terms-of-service",
    "closed-captioning-policy",
    "commercial-communication-policy",
    "commercial-terms",
    "community-guidelines",
    "complaints-policy",
    "conditions-of-carriage",
    "copyright-claims-policy",
    "data-controller-agreement",
    "data-processor-agreement",
    "deceased-users",
    "developer-terms",
    "editorial-policy",
    "frequently-asked-questions",
    "generative-ai-policy",
    "human-rights-policy",
    "imprint",
    "in-app-purchases-policy",
    "law-enforcement-guidelines",
    "live-policy",
    "marketplace-buyer-conditions",
    "parental-controls",
    "privacy-policy",
    "quality-guidelines",
    "ranking-parameters-description",
    "recommender-system-description",
    "restricted-use-policy",
    "review-guidelines",
    "seller-warranty",
    "single-sign-on-policy",
    "terms-of-service",
    "trackers-policy",
    "user-consent-policy",
    "vulnerability-disclosure-policy",
];

/// Display names of platforms whose slug does not capitalise well.
const PLATFORM_NAMES: &[(&str, &str)] = &[
    ("openai", "OpenAI"),
    ("xai", "xAI"),
    ("deepseek", "DeepSeek"),
    ("mistral", "Mistral AI"),
    ("meta", "Meta"),
    ("google", "Google"),
    ("microsoft", "Microsoft"),
    ("anthropic", "Anthropic"),
    ("perplexity", "Perplexity"),
    ("cohere", "Cohere"),
];

/// Whether `s` is a slug: lowercase ASCII letters and digits in groups joined by single hyphens.
/// This alphabet is what guarantees that a document never writes outside its own path in the
/// archive (no `/`, no `.`, no `..`, nothing empty).
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// `s` made one line, for anything that lands in a one-line place (a commit subject, a trailer
/// value, a title from a plugin manifest): control characters and line or paragraph separators
/// become spaces, runs of spaces one space, and the ends are trimmed. Text that is already one
/// clean line comes back unchanged.
pub fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `PLATFORM/KIND`, both slugs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId {
    platform: String,
    kind: String,
}

/// Why a `PLATFORM/KIND` string is not a document id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not PLATFORM/KIND with lowercase slugs [a-z0-9-], e.g. openai/privacy-policy")]
pub struct BadId(pub String);

impl DocumentId {
    /// Builds an id from two slugs; `None` if either is not a slug.
    pub fn new(platform: &str, kind: &str) -> Option<Self> {
        (is_slug(platform) && is_slug(kind)).then(|| Self {
            platform: platform.to_owned(),
            kind: kind.to_owned(),
        })
    }

    /// Parses `PLATFORM/KIND`.
    pub fn parse(s: &str) -> Result<Self, BadId> {
        let (p, k) = s.split_once('/').ok_or_else(|| BadId(s.to_owned()))?;
        Self::new(p, k).ok_or_else(|| BadId(s.to_owned()))
    }

    /// The platform slug.
    pub fn platform(&self) -> &str {
        &self.platform
    }

    /// The kind slug.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Path of the extracted text on `main`.
    pub fn version_path(&self) -> String {
        format!("{}/{}.md", self.platform, self.kind)
    }

    /// Path of the raw bytes on `snapshots`.
    pub fn snapshot_path(&self, extension: &str) -> String {
        format!("{}/{}.{extension}", self.platform, self.kind)
    }

    /// "OpenAI privacy policy".
    pub fn default_title(&self) -> String {
        format!(
            "{} {}",
            platform_name(&self.platform),
            self.kind.replace('-', " ")
        )
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.platform, self.kind)
    }
}

/// The display name of a platform slug.
pub fn platform_name(slug: &str) -> String {
    if let Some((_, name)) = PLATFORM_NAMES.iter().find(|(s, _)| *s == slug) {
        return (*name).to_owned();
    }
    slug.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A `PLATFORM[/KIND]` filter, as `check --only` and `log` take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFilter {
    platform: String,
    kind: Option<String>,
}

impl DocumentFilter {
    /// Parses `PLATFORM` or `PLATFORM/KIND`.
    pub fn parse(s: &str) -> Result<Self, BadId> {
        match s.split_once('/') {
            Some(_) => DocumentId::parse(s).map(|id| Self {
                platform: id.platform,
                kind: Some(id.kind),
            }),
            None if is_slug(s) => Ok(Self {
                platform: s.to_owned(),
                kind: None,
            }),
            None => Err(BadId(s.to_owned())),
        }
    }

    /// Whether `id` passes the filter.
    pub fn matches(&self, id: &DocumentId) -> bool {
        id.platform == self.platform && self.kind.as_ref().is_none_or(|k| *k == id.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_cannot_escape_their_path() {
        for good in ["openai", "privacy-policy", "a1", "x-2-y"] {
            assert!(is_slug(good), "{good}");
        }
        for bad in [
            "", "..", ".", "a/b", "A", "a_b", "-a", "a-", "a--b", "a b", "é", "a.md", "../x",
            "a\\b", "\0",
        ] {
            assert!(!is_slug(bad), "{bad:?}");
        }
        assert!(DocumentId::parse("../etc/passwd").is_err());
        assert!(DocumentId::parse("openai/privacy-policy/x").is_err());
    }

    #[test]
    fn names_and_paths() {
        let id = DocumentId::parse("openai/privacy-policy").expect("valid");
        assert_eq!(id.version_path(), "openai/privacy-policy.md");
        assert_eq!(id.snapshot_path("html"), "openai/privacy-policy.html");
        assert_eq!(id.default_title(), "OpenAI privacy policy");
        assert_eq!(platform_name("le-chat"), "Le Chat");
    }

    #[test]
    fn one_line_keeps_clean_text_and_flattens_the_rest() {
        for (input, want) in [
            ("OpenAI privacy policy", "OpenAI privacy policy"),
            ("https://x.org/p?a=1", "https://x.org/p?a=1"),
            ("A\n\nChange-Class: technical", "A Change-Class: technical"),
            ("a\r\nb\tc\u{2028}d\u{85}e\0f\x1bg", "a b c d e f g"),
            ("  padded  twice  ", "padded twice"),
            ("\n\r\t", ""),
        ] {
            assert_eq!(one_line(input), want, "{input:?}");
        }
    }

    #[test]
    fn filters() {
        let id = DocumentId::parse("openai/privacy-policy").expect("valid");
        assert!(DocumentFilter::parse("openai").expect("ok").matches(&id));
        assert!(DocumentFilter::parse("openai/privacy-policy")
            .expect("ok")
            .matches(&id));
        assert!(!DocumentFilter::parse("openai/terms-of-service")
            .expect("ok")
            .matches(&id));
        assert!(!DocumentFilter::parse("xai").expect("ok").matches(&id));
        assert!(DocumentFilter::parse("Open AI").is_err());
    }
}
