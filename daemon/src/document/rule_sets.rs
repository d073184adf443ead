//! Rule sets compiled once per config: documents with the same `select` / `remove` rules share
//! one compiled [`Extractor`] and one rules id. A config of 10,000 documents written from a
//! handful of rule sets compiled every one of them again (about 2 KB each with the fingerprint's
//! form of the rules: 22 MB at 10,000 documents); with this they compile a handful.

use std::collections::HashMap;
use std::sync::Arc;

use termtrail_extract::{Extractor, RuleError, RuleSpec};

use super::rules_id;

/// `select` and `remove` as written.
type Rules = (Vec<RuleSpec>, Vec<RuleSpec>);

/// A compiled rule set and its rules id.
type Compiled = (Arc<Extractor>, String);

/// The rule sets compiled so far, keyed by the rules as written.
#[derive(Default)]
pub struct RuleSets {
    compiled: HashMap<Rules, Compiled>,
}

impl RuleSets {
    /// The extractor of `select` and `remove` and their rules id ([`rules_id`]), compiled on
    /// first use. A rule set that does not compile is not kept: each document that uses it gets
    /// its error.
    pub fn get(&mut self, select: &[RuleSpec], remove: &[RuleSpec]) -> Result<Compiled, RuleError> {
        // Looked up by a borrowed key would need a second map type; the rules of one document are
        // a few short strings, cloned once per document.
        let key = (select.to_vec(), remove.to_vec());
        if let Some(found) = self.compiled.get(&key) {
            return Ok(found.clone());
        }
        let extractor = Arc::new(Extractor::new(select, remove)?);
        let entry = (extractor, rules_id(select, remove));
        self.compiled.insert(key, entry.clone());
        Ok(entry)
    }

    /// How many distinct rule sets were compiled.
    pub fn len(&self) -> usize {
        self.compiled.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn css(s: &str) -> RuleSpec {
        RuleSpec::Css(s.to_owned())
    }

    #[test]
    fn equal_rules_share_one_extractor_and_different_rules_do_not() {
        let mut sets = RuleSets::default();
        let (a, id_a) = sets.get(&[css("main")], &[css(".ad")]).expect("compiles");
        let (b, id_b) = sets.get(&[css("main")], &[css(".ad")]).expect("compiles");
        assert!(Arc::ptr_eq(&a, &b), "same rules, one compiled extractor");
        assert_eq!(id_a, id_b);
        assert_eq!(id_a, rules_id(&[css("main")], &[css(".ad")]));
        // The same selector as `remove` instead of `select`, or another selector: compiled apart.
        let (c, id_c) = sets.get(&[css("main")], &[]).expect("compiles");
        let (d, _) = sets.get(&[], &[css("main"), css(".ad")]).expect("compiles");
        let (e, _) = sets
            .get(&[css("article")], &[css(".ad")])
            .expect("compiles");
        assert!(!Arc::ptr_eq(&a, &c) && !Arc::ptr_eq(&a, &d) && !Arc::ptr_eq(&a, &e));
        assert_ne!(id_a, id_c);
        assert_eq!(sets.len(), 4);
    }

    #[test]
    fn a_rule_set_that_does_not_compile_fails_every_time_and_is_not_kept() {
        let mut sets = RuleSets::default();
        for _ in 0..2 {
            let err = sets.get(&[css("main[")], &[]).expect_err("invalid CSS");
            assert!(
                matches!(err, RuleError::InvalidSelector { ref selector, .. } if selector == "main["),
                "{err:?}"
            );
        }
        assert!(sets.is_empty());
    }
}
