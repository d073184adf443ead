//! British and American spellings of the same word, folded to one form so that `centre` →
//! `center` or `organisation` → `organization` reads as a spelling change, not a new word.
//!
//! Both texts of a change go through the same folding, so a rule can only make two spellings of
//! one word equal; it cannot make a real change disappear unless two different words fold to one.
//! The suffix rules are therefore kept to endings where that does not happen in policy English
//! (`-isation`, `-ise`, `-yse`, doubled `l`), and other words are listed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Words whose variants no suffix rule covers: (British or variant, American).
const PAIRS: &[(&str, &str)] = &[
    ("centre", "center"),
    ("centres", "centers"),
    ("centred", "centered"),
    ("metre", "meter"),
    ("metres", "meters"),
    ("litre", "liter"),
    ("litres", "liters"),
    ("theatre", "theater"),
    ("fibre", "fiber"),
    ("calibre", "caliber"),
    ("licence", "license"),
    ("licences", "licenses"),
    ("licenced", "licensed"),
    ("defence", "defense"),
    ("offence", "offense"),
    ("offences", "offenses"),
    ("pretence", "pretense"),
    ("colour", "color"),
    ("colours", "colors"),
    ("favour", "favor"),
    ("favourite", "favorite"),
    ("favourites", "favorites"),
    ("honour", "honor"),
    ("honours", "honors"),
    ("honoured", "honored"),
    ("behaviour", "behavior"),
    ("behaviours", "behaviors"),
    ("behavioural", "behavioral"),
    ("labour", "labor"),
    ("neighbour", "neighbor"),
    ("harbour", "harbor"),
    ("humour", "humor"),
    ("rumour", "rumor"),
    ("endeavour", "endeavor"),
    ("endeavours", "endeavors"),
    ("flavour", "flavor"),
    ("rigour", "rigor"),
    ("vigour", "vigor"),
    ("programme", "program"),
    ("programmes", "programs"),
    ("catalogue", "catalog"),
    ("catalogues", "catalogs"),
    ("dialogue", "dialog"),
    ("dialogues", "dialogs"),
    ("analogue", "analog"),
    ("judgement", "judgment"),
    ("judgements", "judgments"),
    ("acknowledgement", "acknowledgment"),
    ("acknowledgements", "acknowledgments"),
    ("ageing", "aging"),
    ("cheque", "check"),
    ("cheques", "checks"),
    ("enrol", "enroll"),
    ("enrols", "enrolls"),
    ("enrolment", "enrollment"),
    ("fulfil", "fulfill"),
    ("fulfils", "fulfills"),
    ("fulfilment", "fulfillment"),
    ("instalment", "installment"),
    ("instalments", "installments"),
    ("skilful", "skillful"),
    ("wilful", "willful"),
    ("wilfully", "willfully"),
    ("grey", "gray"),
    ("sceptical", "skeptical"),
    ("paediatric", "pediatric"),
    ("anaesthesia", "anesthesia"),
    ("mould", "mold"),
    ("plough", "plow"),
    ("tyre", "tire"),
    ("tyres", "tires"),
    ("aluminium", "aluminum"),
    ("manoeuvre", "maneuver"),
    ("draught", "draft"),
    ("whilst", "while"),
    ("amongst", "among"),
    ("towards", "toward"),
];

/// Hyphenated or spaced forms folded to one word (`e-mail` is read as `e`, `mail`).
const JOINED: &[(&str, &str, &str)] = &[
    ("e", "mail", "email"),
    ("on", "line", "online"),
    ("web", "site", "website"),
    ("log", "in", "login"),
    ("sign", "in", "signin"),
    ("set", "up", "setup"),
    ("opt", "out", "optout"),
    ("opt", "in", "optin"),
    ("check", "box", "checkbox"),
    ("health", "care", "healthcare"),
    ("sub", "processor", "subprocessor"),
    ("sub", "processors", "subprocessors"),
];

static MAP: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| PAIRS.iter().copied().collect());

/// Words ending in `-ise` that are not `-ize` words in American spelling either; folding them is
/// harmless (both sides fold alike) but listing them keeps the rule honest.
const ISE_KEEP: &[&str] = &[
    "advise",
    "otherwise",
    "exercise",
    "franchise",
    "premise",
    "promise",
    "compromise",
    "surprise",
    "comprise",
    "enterprise",
    "revise",
    "supervise",
    "precise",
    "concise",
    "wise",
    "rise",
    "raise",
    "noise",
    "expertise",
    "merchandise",
    "devise",
    "disguise",
    "televise",
    "improvise",
    "likewise",
    "clockwise",
    "arise",
    "praise",
    "cruise",
    "poise",
    "despise",
    "excise",
    "incise",
    "demise",
    "guise",
    "apprise",
    "chastise",
    "circumcise",
    "treatise",
    "paradise",
    "mortise",
    "bruise",
    "reprise",
];

/// The American form of a lower-case word, or the word itself.
pub fn canonical(word: &str) -> Cow<'_, str> {
    if let Some(us) = MAP.get(word) {
        return Cow::Borrowed(us);
    }
    // -isation/-ization, -ise/-ize and their forms; -yse/-yze.
    for (uk, us) in [
        ("isations", "izations"),
        ("isation", "ization"),
        ("ising", "izing"),
        ("ised", "ized"),
        ("ises", "izes"),
        ("iser", "izer"),
        ("isers", "izers"),
        ("ise", "ize"),
        ("ysing", "yzing"),
        ("ysed", "yzed"),
        ("yses", "yzes"),
        ("yse", "yze"),
    ] {
        if let Some(stem) = word.strip_suffix(uk) {
            let base = format!("{stem}{}", if uk.starts_with('i') { "ise" } else { "yse" });
            let keep = ISE_KEEP.iter().any(|k| base.ends_with(k));
            if stem.len() >= 3 && !keep {
                return Cow::Owned(format!("{stem}{us}"));
            }
        }
    }
    // Doubled `l` before -ed/-ing/-er: cancelled/canceled, travelling/traveling, labelled.
    for suffix in ["lled", "lling", "ller", "llers"] {
        if let Some(stem) = word.strip_suffix(suffix) {
            if stem.len() >= 3 && stem.ends_with(['e', 'a', 'o']) {
                let rest = &suffix[2..];
                return Cow::Owned(format!("{stem}l{rest}"));
            }
        }
    }
    Cow::Borrowed(word)
}

/// Folds a sequence of lower-case words: joined forms (`log in` → `login`) then each word.
pub fn fold(words: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    fold_each(words, |w| out.push(w.to_owned()));
    out
}

/// [`fold`] without collecting: each folded word is handed to `each`, in order.
pub fn fold_each<S: AsRef<str>>(words: &[S], mut each: impl FnMut(&str)) {
    let mut i = 0;
    while i < words.len() {
        let word = words[i].as_ref();
        if let Some(next) = words.get(i + 1) {
            if let Some((_, _, joined)) = JOINED
                .iter()
                .find(|(a, b, _)| *a == word && *b == next.as_ref())
            {
                each(joined);
                i += 2;
                continue;
            }
        }
        each(&canonical(word));
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_fold_to_one_form() {
        for (uk, us) in [
            ("centre", "center"),
            ("organisation", "organization"),
            ("organisations", "organizations"),
            ("personalised", "personalized"),
            ("recognise", "recognize"),
            ("analyse", "analyze"),
            ("cancelled", "canceled"),
            ("travelling", "traveling"),
            ("licence", "license"),
            ("behaviour", "behavior"),
            ("programme", "program"),
        ] {
            assert_eq!(canonical(uk), canonical(us), "{uk} / {us}");
        }
    }

    #[test]
    fn different_words_stay_different() {
        for (a, b) in [
            ("advise", "advice"),
            ("four", "for"),
            ("your", "yor"),
            ("store", "storey"),
            ("rise", "raise"),
            ("call", "cal"),
            ("license", "licensee"),
        ] {
            assert_ne!(canonical(a), canonical(b), "{a} / {b}");
        }
        assert_eq!(canonical("otherwise"), "otherwise");
        assert_eq!(canonical("enterprise"), "enterprise");
    }

    #[test]
    fn joined_forms() {
        let w = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(fold(&w("log in to your e mail")), w("login to your email"));
        assert_eq!(fold(&w("sign in")), fold(&w("signin")));
    }
}
