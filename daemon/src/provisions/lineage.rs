//! Stable provision ids, derived from the archive alone: a provision's id is given when it first
//! appears (a hash of the document, the commit of that version and its index there), and later
//! versions inherit ids through `matching` against the version before. Replaying a document's
//! versions from the first one therefore always gives the same ids: nothing else is stored.
//!
//! A replay also keeps, for every provision, the version it first appeared in and the last
//! version that changed it substantively, and can describe each step as a `ChangeSet` with ids.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::changes::{self, ChangeSet, Compared};
use super::matching::{self, Key};
use super::split::{self, Provision};
use crate::summary::cosmetic;
use crate::summary::Taxonomy;

/// Hex digits of the hash in an id (40 bits: a collision among the provisions one document ever
/// has is very unlikely, and is resolved anyway, see [`provision_id`]).
const ID_HEX: usize = 10;

/// A version of a document: its commit and time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VersionRef {
    /// The version commit on `main`.
    pub commit: String,
    /// Its time (fetch time), Unix seconds.
    pub time: i64,
}

/// A provision of the current version, with its id and history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// Stable id, `p` and 10 hex digits.
    pub id: String,
    /// The provision as it is now.
    pub provision: Provision,
    /// The version it first appeared in.
    pub first_seen: VersionRef,
    /// The last version that changed its words substantively (its first version if none did).
    pub last_changed: VersionRef,
}

/// The id of the provision at `index` of the version `commit` of `doc`, where it first appeared.
/// `taken` holds the ids in use in that version: a (very unlikely) clash takes the next hash.
pub fn provision_id(doc: &str, commit: &str, index: usize, taken: &HashSet<String>) -> String {
    let mut salt = 0u32;
    loop {
        let mut h = Sha256::new();
        h.update(doc.as_bytes());
        h.update(b"\n");
        h.update(commit.as_bytes());
        h.update(b"\n");
        h.update(index.to_string().as_bytes());
        if salt > 0 {
            h.update(format!("\n{salt}").as_bytes());
        }
        let id = format!("p{}", &hex::encode(h.finalize())[..ID_HEX]);
        if !taken.contains(&id) {
            return id;
        }
        salt += 1;
    }
}

/// One document's provisions, version after version.
#[derive(Debug, Clone)]
pub struct Lineage {
    doc: String,
    current: Vec<Tracked>,
    keys: Vec<Key>,
    version: Option<VersionRef>,
}

impl Lineage {
    /// Before the first version of `doc` (`PLATFORM/KIND`).
    pub fn new(doc: &str) -> Self {
        Self {
            doc: doc.to_owned(),
            current: Vec::new(),
            keys: Vec::new(),
            version: None,
        }
    }

    /// The provisions of the last version given, with ids.
    pub fn provisions(&self) -> &[Tracked] {
        &self.current
    }

    /// The last version given.
    pub fn version(&self) -> Option<&VersionRef> {
        self.version.as_ref()
    }

    /// Moves to the next version (`text` recorded by `commit` at `time`). With a taxonomy,
    /// returns the change from the previous version, provision by provision, with ids (from
    /// nothing, for the first version).
    pub fn advance(
        &mut self,
        commit: &str,
        time: i64,
        text: &str,
        describe: Option<&Taxonomy>,
    ) -> Option<ChangeSet> {
        let here = VersionRef {
            commit: commit.to_owned(),
            time,
        };
        let new: Vec<Provision> = split::split(text);
        let old: Vec<Provision> = self.current.iter().map(|t| t.provision.clone()).collect();
        let new_keys = Key::all(&new, &old, &self.keys);
        let alignment = matching::align(&old, &self.keys, &new, &new_keys);

        let mut taken: HashSet<String> = alignment
            .new_to_old
            .iter()
            .flatten()
            .map(|&o| self.current[o].id.clone())
            .collect();
        let mut next: Vec<Tracked> = Vec::with_capacity(new.len());
        for (n, p) in new.into_iter().enumerate() {
            let tracked = match alignment.new_to_old[n] {
                Some(o) => {
                    let before = &self.current[o];
                    let substantive = before.provision.text != p.text
                        && cosmetic::classify(&before.provision.text, &p.text).is_none();
                    Tracked {
                        id: before.id.clone(),
                        first_seen: before.first_seen.clone(),
                        last_changed: if substantive {
                            here.clone()
                        } else {
                            before.last_changed.clone()
                        },
                        provision: p,
                    }
                }
                None => {
                    let id = provision_id(&self.doc, commit, n, &taken);
                    taken.insert(id.clone());
                    Tracked {
                        id,
                        first_seen: here.clone(),
                        last_changed: here.clone(),
                        provision: p,
                    }
                }
            };
            next.push(tracked);
        }

        let set = describe.map(|taxonomy| {
            let old_ids: Vec<String> = self.current.iter().map(|t| t.id.clone()).collect();
            let new_ids: Vec<String> = next.iter().map(|t| t.id.clone()).collect();
            let new_p: Vec<Provision> = next.iter().map(|t| t.provision.clone()).collect();
            let mut set = changes::describe(
                &Compared {
                    old: &old,
                    old_keys: &self.keys,
                    new: &new_p,
                    new_keys: &new_keys,
                    alignment: &alignment,
                    old_ids: &old_ids,
                    new_ids: &new_ids,
                },
                taxonomy,
                text,
            );
            if self.version.is_none() {
                set.class = crate::summary::Class::Substantive;
                set.cosmetic_reasons.clear();
            }
            set
        });
        self.current = next;
        self.keys = new_keys;
        self.version = Some(here);
        set
    }
}

/// The change from the version `old` is at to the version `new` is at (two replays of one
/// document, any two versions), provision by provision, each side with the ids its history
/// gives; `new_text` is the newer text (for its stated dates). For consecutive versions this is
/// the change [`Lineage::advance`] describes.
pub fn change_between(
    old: &Lineage,
    new: &Lineage,
    new_text: &str,
    taxonomy: &Taxonomy,
) -> ChangeSet {
    let old_p: Vec<Provision> = old.current.iter().map(|t| t.provision.clone()).collect();
    let new_p: Vec<Provision> = new.current.iter().map(|t| t.provision.clone()).collect();
    let old_ids: Vec<String> = old.current.iter().map(|t| t.id.clone()).collect();
    let new_ids: Vec<String> = new.current.iter().map(|t| t.id.clone()).collect();
    let alignment = matching::align(&old_p, &old.keys, &new_p, &new.keys);
    changes::describe(
        &Compared {
            old: &old_p,
            old_keys: &old.keys,
            new: &new_p,
            new_keys: &new.keys,
            alignment: &alignment,
            old_ids: &old_ids,
            new_ids: &new_ids,
        },
        taxonomy,
        new_text,
    )
}

#[cfg(test)]
mod tests;
