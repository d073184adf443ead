//! Suspicious versions: a text that shrinks drastically or comes back in another language is
//! more often an error page, a bot wall or a geo-served translation than a real new version. Such a
//! text is held back (its snapshot is kept) until the next fetch gives the same text again; if the
//! previous text comes back instead, the hold is dropped and no version was ever recorded.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// When a new text is suspicious.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldPolicy {
    /// Hold a text shorter than this fraction of the previous version (0 disables).
    pub shrink_below: f64,
    /// Hold a text whose language differs from the previous version's.
    pub language_change: bool,
}

impl Default for HoldPolicy {
    fn default() -> Self {
        Self {
            shrink_below: 0.5,
            language_change: true,
        }
    }
}

/// A text waiting for confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// SHA-256 of the held text.
    pub text_sha256: String,
    /// Why it is held.
    pub reason: String,
    /// Unix time of the fetch that produced it.
    pub since: i64,
    /// The snapshot commit holding the page.
    pub snapshot: String,
}

/// What to do with a new text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Same text as the current version: nothing to record; any hold is dropped.
    Same,
    /// Record it (`confirmed` holds the hold it confirms, if any).
    Record {
        /// The hold this text confirms.
        confirmed: Option<Hold>,
    },
    /// Hold it back for this reason.
    Hold(String),
}

/// SHA-256 of a text, hex.
pub fn text_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Common function words of the languages policies are most often served in by mistake.
const STOPWORDS: &[(whatlang::Lang, &[&str])] = &[
    (
        whatlang::Lang::Eng,
        &[
            "the", "and", "of", "to", "in", "is", "for", "with", "this", "you", "your", "we",
            "from",
        ],
    ),
    (
        whatlang::Lang::Deu,
        &[
            "der", "die", "und", "das", "ist", "für", "mit", "von", "den", "nicht", "sie", "wir",
            "ihre",
        ],
    ),
    (
        whatlang::Lang::Fra,
        &[
            "le", "la", "les", "et", "des", "est", "pour", "dans", "une", "vous", "nous", "vos",
            "du",
        ],
    ),
    (
        whatlang::Lang::Spa,
        &[
            "el", "los", "las", "y", "del", "para", "con", "una", "es", "por", "sus", "usted",
            "que",
        ],
    ),
    (
        whatlang::Lang::Ita,
        &[
            "il", "di", "che", "per", "con", "una", "sono", "del", "della", "gli", "nel", "suoi",
            "non",
        ],
    ),
    (
        whatlang::Lang::Por,
        &[
            "o", "os", "as", "e", "do", "da", "para", "com", "uma", "não", "seus", "você", "nós",
        ],
    ),
    (
        whatlang::Lang::Nld,
        &[
            "de", "het", "een", "en", "van", "voor", "met", "niet", "zijn", "uw", "wij", "ons",
            "dat",
        ],
    ),
];

/// The prose of a Markdown text: link targets, table pipes and markup dropped, since company
/// names in tables and URLs say nothing of the language.
fn prose_words(text: &str) -> Vec<String> {
    let mut out = String::with_capacity(text.len());
    let mut in_target = false;
    let mut prev = ' ';
    for c in text.chars() {
        if in_target {
            in_target = c != ')';
        } else if c == '(' && prev == ']' {
            in_target = true;
        } else {
            out.push(if c.is_alphabetic() { c } else { ' ' });
        }
        prev = c;
    }
    out.split_whitespace().map(str::to_lowercase).collect()
}

/// The language of a text, when it can be told reliably: the language whose function words are
/// clearly the most frequent, else whatlang's trigram detection when it is confident.
fn language(text: &str) -> Option<whatlang::Lang> {
    // A sample is enough and keeps this cheap on 300 KB policies.
    let words: Vec<String> = prose_words(text).into_iter().take(3000).collect();
    let mut votes: Vec<(whatlang::Lang, usize)> = STOPWORDS
        .iter()
        .map(|(lang, list)| {
            (
                *lang,
                words.iter().filter(|w| list.contains(&w.as_str())).count(),
            )
        })
        .collect();
    votes.sort_by_key(|v| std::cmp::Reverse(v.1));
    if votes[0].1 >= 5 && votes[0].1 >= 2 * votes[1].1.max(1) {
        return Some(votes[0].0);
    }
    let info = whatlang::detect(&words.join(" "))?;
    info.is_reliable().then(|| info.lang())
}

/// The language a page declares on its root element (`<html lang="de-DE">` gives `de`): the
/// primary subtag, lowercased, when it is one (2 or 3 letters). Read from the first `<html` tag in
/// the first 64 KB, without parsing the page.
pub fn declared_language(page: &[u8]) -> Option<String> {
    let head = &page[..page.len().min(64 * 1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let start = lower.windows(5).position(|w| w == b"<html").filter(|&i| {
        lower
            .get(i + 5)
            .is_some_and(|c| c.is_ascii_whitespace() || *c == b'>')
    })?;
    let end = start + lower[start..].iter().position(|&c| c == b'>')?;
    let tag = std::str::from_utf8(&lower[start + 5..end]).ok()?;
    // `lang=` as an attribute of its own (not `xml:lang=` or `data-lang=`).
    let mut rest = tag;
    let value = loop {
        let i = rest.find("lang")?;
        let before = rest[..i].chars().next_back();
        let after = rest[i + 4..].trim_start();
        if before.is_none_or(char::is_whitespace) && after.starts_with('=') {
            let v = after[1..].trim_start();
            break match v.chars().next() {
                Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or_default(),
                _ => v
                    .split(|c: char| c.is_whitespace())
                    .next()
                    .unwrap_or_default(),
            };
        }
        rest = &rest[i + 4..];
    };
    let primary = value.trim().split(['-', '_']).next().unwrap_or_default();
    (matches!(primary.len(), 2 | 3) && primary.bytes().all(|c| c.is_ascii_lowercase()))
        .then(|| primary.to_owned())
}

/// The languages the pages declare ([`declared_language`]): of the page the current version was
/// extracted from, and of the new page. Used when a text alone does not tell its language (a
/// plugin's text of a subprocessor table is mostly company names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Declared<'a> {
    /// The current version's page.
    pub old: Option<&'a str>,
    /// The new page.
    pub new: Option<&'a str>,
}

/// What the writer knows of a document beyond its recorded text, for judging a new text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prior<'a> {
    /// The hold from the previous fetch, if any.
    pub hold: Option<&'a Hold>,
    /// The language declared by the page the recorded version was extracted from.
    pub page_language: Option<&'a str>,
    /// The state's memo of the pages kept on `snapshots` (see [`super::kept`]).
    pub kept: Option<&'a super::kept::KeptPages>,
}

/// Why `new` is suspicious after `old`, if it is.
pub fn suspicion(old: &str, new: &str, policy: &HoldPolicy) -> Option<String> {
    suspicion_declared(old, new, policy, Declared::default())
}

/// [`suspicion`], with the languages the pages declare: when the texts' own languages cannot
/// both be told, pages declaring different languages make the text suspicious.
pub fn suspicion_declared(
    old: &str,
    new: &str,
    policy: &HoldPolicy,
    declared: Declared<'_>,
) -> Option<String> {
    let (o, n) = (old.chars().count(), new.chars().count());
    if policy.shrink_below > 0.0 && (n as f64) < policy.shrink_below * o as f64 {
        return Some(format!("text shrank from {o} to {n} characters"));
    }
    if policy.language_change {
        match (language(old), language(new)) {
            (Some(a), Some(b)) if a != b => {
                return Some(format!(
                    "language changed from {} to {}",
                    a.eng_name(),
                    b.eng_name()
                ));
            }
            (Some(_), Some(_)) => {}
            _ => {
                if let (Some(a), Some(b)) = (declared.old, declared.new) {
                    if a != b {
                        return Some(format!(
                            "language changed from {a} to {b} (as the pages declare it)"
                        ));
                    }
                }
            }
        }
    }
    None
}

/// Decides what to do with `new`, given the current version `old` and a pending hold.
pub fn judge(old: Option<&str>, new: &str, pending: Option<&Hold>, policy: &HoldPolicy) -> Verdict {
    judge_declared(old, new, pending, policy, Declared::default())
}

/// [`judge`], with the languages the pages declare (see [`suspicion_declared`]).
pub fn judge_declared(
    old: Option<&str>,
    new: &str,
    pending: Option<&Hold>,
    policy: &HoldPolicy,
    declared: Declared<'_>,
) -> Verdict {
    let Some(old) = old else {
        return Verdict::Record { confirmed: None };
    };
    if old == new {
        return Verdict::Same;
    }
    match suspicion_declared(old, new, policy, declared) {
        None => Verdict::Record { confirmed: None },
        Some(reason) => match pending {
            Some(h) if h.text_sha256 == text_hash(new) => Verdict::Record {
                confirmed: Some(h.clone()),
            },
            _ => Verdict::Hold(reason),
        },
    }
}

/// A subprocessor table, mostly company names, headed in English (`"en"`) or German: the German
/// one alone does not tell its language (for tests of the declared-language hold).
#[cfg(test)]
pub(crate) fn subprocessor_table(lang: &str) -> String {
    let names = [
        "Andale, Inc.",
        "Cassin Networks Aps",
        "Greater Kudu LLC",
        "Goldframe LLC",
        "Morning Hornet LLC",
        "Offprints LLC",
        "Omanyte LLC",
        "Paile LLC",
        "Raven Northbrook LLC",
        "Scout Development LLC",
        "Siculus Inc.",
        "Sidecat LLC",
        "Stadion LLC",
        "Starbelt LLC",
    ];
    let (head, country) = if lang == "en" {
        ("List of sub-processors and subcontractors. Effective from 13 November 2023. Data centre infrastructure.", "United States")
    } else {
        (
            "Liste der Unterauftragsverarbeiter. Gültig ab 13. November 2023.",
            "USA",
        )
    };
    let rows: String = names
        .iter()
        .map(|n| format!("| {n} | {country} |\n"))
        .collect();
    format!("{head}\n\n| Entity | Location |\n| --- | --- |\n{rows}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: &str = "We collect information you provide when you use our services. This policy explains how we use, store and share that information, how long we keep it, and the choices you have about it.";
    const DE: &str = "Wir erheben Informationen, die Sie uns bei der Nutzung unserer Dienste geben. Diese Richtlinie erklärt, wie wir diese Informationen verwenden, speichern und weitergeben und wie lange wir sie aufbewahren.";

    fn hold_for(text: &str) -> Hold {
        Hold {
            text_sha256: text_hash(text),
            reason: "r".into(),
            since: 0,
            snapshot: "s".into(),
        }
    }

    #[test]
    fn verdicts() {
        let p = HoldPolicy::default();
        let longer = format!("{EN} We also keep logs.");
        let error_page = "This page is not available right now.";
        assert_eq!(
            judge(None, EN, None, &p),
            Verdict::Record { confirmed: None }
        );
        assert_eq!(judge(Some(EN), EN, None, &p), Verdict::Same);
        assert_eq!(
            judge(Some(EN), &longer, None, &p),
            Verdict::Record { confirmed: None }
        );
        assert!(
            matches!(judge(Some(EN), error_page, None, &p), Verdict::Hold(r) if r.contains("shrank"))
        );
        assert!(
            matches!(judge(Some(EN), DE, None, &p), Verdict::Hold(r) if r.contains("language changed from English to German"))
        );
        // The same suspicious text twice in a row is confirmed.
        let h = hold_for(DE);
        assert_eq!(
            judge(Some(EN), DE, Some(&h), &p),
            Verdict::Record {
                confirmed: Some(h.clone())
            }
        );
        // A different suspicious text replaces the hold rather than confirming it.
        assert!(matches!(
            judge(Some(EN), error_page, Some(&h), &p),
            Verdict::Hold(_)
        ));
        // The old text coming back drops the hold: nothing is recorded.
        assert_eq!(judge(Some(EN), EN, Some(&h), &p), Verdict::Same);
        // Mostly names in tables, a little prose: still told apart.
        let en_table = "Sub-processors list\n\nThis list shows the companies we use for the service and the countries where they are.\n\n| Meta Platforms Ireland | Ireland |\n| Accenture | India |";
        let de_table = "Liste der Unterauftragsverarbeiter\n\nDiese Liste zeigt die Unternehmen, die wir für den Dienst nutzen, und die Länder, in denen sie sind.\n\n| Meta Platforms Ireland | Irland |\n| Accenture | Indien |";
        assert!(
            matches!(judge(Some(en_table), de_table, None, &p), Verdict::Hold(r) if r.contains("German"))
        );
        // Disabled checks.
        let off = HoldPolicy {
            shrink_below: 0.0,
            language_change: false,
        };
        assert_eq!(
            judge(Some(EN), DE, None, &off),
            Verdict::Record { confirmed: None }
        );
    }

    #[test]
    fn pages_declare_their_language() {
        for (page, want) in [
            (
                &b"<!DOCTYPE html><html lang=\"de-DE\" dir=\"ltr\"><body>x"[..],
                Some("de"),
            ),
            (b"<HTML class='a' LANG='EN'>", Some("en")),
            (b"<html lang=fr><head>", Some("fr")),
            (
                b"<html xml:lang=\"de\" data-lang=\"it\" lang=\"es\">",
                Some("es"),
            ),
            (b"<html data-lang=\"it\">", None),
            (b"<html lang=\"\">", None),
            (b"<htmlx lang=\"de\"><html>", None),
            (b"<p>no html tag</p>", None),
        ] {
            assert_eq!(
                declared_language(page).as_deref(),
                want,
                "{}",
                String::from_utf8_lossy(page)
            );
        }
    }

    #[test]
    fn a_declared_language_change_holds_a_text_whose_language_cannot_be_told() {
        let p = HoldPolicy::default();
        let en = subprocessor_table("en");
        let de = subprocessor_table("de");
        assert_eq!(language(de.as_str()), None);
        let (en, de) = (en.as_str(), de.as_str());
        assert_eq!(
            judge(Some(en), de, None, &p),
            Verdict::Record { confirmed: None }
        );
        let declared = Declared {
            old: Some("en"),
            new: Some("de"),
        };
        assert!(matches!(
            judge_declared(Some(en), de, None, &p, declared),
            Verdict::Hold(r) if r == "language changed from en to de (as the pages declare it)"
        ));
        // Same declared language, or one unknown: nothing to say.
        for d in [
            Declared {
                old: Some("en"),
                new: Some("en"),
            },
            Declared {
                old: None,
                new: Some("de"),
            },
        ] {
            assert_eq!(
                judge_declared(Some(en), de, None, &p, d),
                Verdict::Record { confirmed: None }
            );
        }
        // Texts whose language is clear win over a mislabelled page.
        assert_eq!(
            judge_declared(
                Some(EN),
                &format!("{EN} We also keep logs."),
                None,
                &p,
                declared
            ),
            Verdict::Record { confirmed: None }
        );
        // Off when language holds are off.
        let off = HoldPolicy {
            shrink_below: 0.5,
            language_change: false,
        };
        assert_eq!(
            judge_declared(Some(en), de, None, &off, declared),
            Verdict::Record { confirmed: None }
        );
    }
}
