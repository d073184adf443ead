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

/// Why `new` is suspicious after `old`, if it is.
pub fn suspicion(old: &str, new: &str, policy: &HoldPolicy) -> Option<String> {
    let (o, n) = (old.chars().count(), new.chars().count());
    if policy.shrink_below > 0.0 && (n as f64) < policy.shrink_below * o as f64 {
        return Some(format!("text shrank from {o} to {n} characters"));
    }
    if policy.language_change {
        if let (Some(a), Some(b)) = (language(old), language(new)) {
            if a != b {
                return Some(format!(
                    "language changed from {} to {}",
                    a.eng_name(),
                    b.eng_name()
                ));
            }
        }
    }
    None
}

/// Decides what to do with `new`, given the current version `old` and a pending hold.
pub fn judge(old: Option<&str>, new: &str, pending: Option<&Hold>, policy: &HoldPolicy) -> Verdict {
    let Some(old) = old else {
        return Verdict::Record { confirmed: None };
    };
    if old == new {
        return Verdict::Same;
    }
    match suspicion(old, new, policy) {
        None => Verdict::Record { confirmed: None },
        Some(reason) => match pending {
            Some(h) if h.text_sha256 == text_hash(new) => Verdict::Record {
                confirmed: Some(h.clone()),
            },
            _ => Verdict::Hold(reason),
        },
    }
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
}
