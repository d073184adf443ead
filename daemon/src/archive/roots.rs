//! The folders of the branches' root trees, kept parsed between fetches: finding one document's
//! folder must not read and parse a root tree that lists every platform.
//!
//! A root tree holds one folder per platform, so it grows with the archive (about 40 bytes per
//! platform). libgit2 caches no tree of over 4 KiB, and letting it cache large ones makes it hold
//! every root tree a busy cycle writes. So the archive keeps its own index of the few root trees
//! it is using (the tips of `snapshots` and `main`), keyed by tree id: a tree id names its
//! content, so an entry never goes stale. A root tree the archive writes is indexed from the one
//! it was built on, with the folder it changed, without reading it back.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use git2::{ObjectType, Oid, Tree};

use super::{git, Archive, ArchiveError};

/// Root trees indexed at once: the tips of the two branches, and one more while a write moves
/// one of them.
const KEPT: usize = 3;

/// One root tree's folders.
#[derive(Debug)]
struct Root {
    tree: Oid,
    folders: HashMap<Box<str>, Oid>,
}

/// The index of recently used root trees, most recent first.
#[derive(Debug, Default)]
pub(super) struct Roots {
    kept: RefCell<Vec<Root>>,
}

impl Roots {
    /// The tree of folder `name` in root tree `root`, from the index.
    fn lookup(&self, root: Oid, name: &str) -> Option<Option<Oid>> {
        let mut kept = self.kept.borrow_mut();
        let at = kept.iter().position(|r| r.tree == root)?;
        let hit = kept[at].folders.get(name).copied();
        if at > 0 {
            let r = kept.remove(at);
            kept.insert(0, r);
        }
        Some(hit)
    }

    fn keep(&self, root: Root) {
        let mut kept = self.kept.borrow_mut();
        kept.retain(|r| r.tree != root.tree);
        kept.insert(0, root);
        kept.truncate(KEPT);
    }

    /// Root tree `new` is `old` with folder `name` set to `folder`: index it without reading it
    /// (when `old` is indexed; otherwise the next lookup reads it).
    pub(super) fn derived(&self, old: Option<Oid>, new: Oid, name: &str, folder: Oid) {
        let mut kept = self.kept.borrow_mut();
        let base = match old {
            Some(old) => match kept.iter().position(|r| r.tree == old) {
                Some(at) => kept.remove(at),
                None => return,
            },
            None => Root {
                tree: new,
                folders: HashMap::new(),
            },
        };
        drop(kept);
        let mut root = base;
        root.tree = new;
        root.folders.insert(name.into(), folder);
        self.keep(root);
    }
}

impl Archive {
    /// The tree of the folder `name` in root tree `root`.
    pub(super) fn folder(&self, root: Oid, name: &str) -> Result<Option<Tree<'_>>, ArchiveError> {
        let id = match self.roots.lookup(root, name) {
            Some(id) => id,
            None => {
                let tree = self.repo.find_tree(root).map_err(git("read tree"))?;
                let folders: HashMap<Box<str>, Oid> = tree
                    .iter()
                    .filter(|e| e.kind() == Some(ObjectType::Tree))
                    .filter_map(|e| Some((e.name()?.into(), e.id())))
                    .collect();
                let id = folders.get(name).copied();
                self.roots.keep(Root {
                    tree: root,
                    folders,
                });
                id
            }
        };
        id.map(|id| self.repo.find_tree(id))
            .transpose()
            .map_err(git("read tree"))
    }

    /// The blob at `path` (`FOLDER/...`) in root tree `root`, if there is one.
    pub(super) fn blob_in(
        &self,
        root: Option<Oid>,
        path: &str,
    ) -> Result<Option<Oid>, ArchiveError> {
        let (Some(root), Some((dir, rest))) = (root, path.split_once('/')) else {
            return Ok(None);
        };
        let Some(folder) = self.folder(root, dir)? else {
            return Ok(None);
        };
        Ok(folder
            .get_path(Path::new(rest))
            .ok()
            .filter(|e| e.kind() == Some(ObjectType::Blob))
            .map(|e| e.id()))
    }

    /// The root tree of the tip of `branch`, with the tip.
    pub(super) fn root_of(
        &self,
        branch: &str,
    ) -> Result<(Option<git2::Commit<'_>>, Option<Oid>), ArchiveError> {
        let tip = self.tip(branch)?;
        let root = tip.as_ref().map(|c| c.tree_id());
        Ok((tip, root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).expect("20 bytes")
    }

    fn root(tree: u8, folders: &[(&str, u8)]) -> Root {
        Root {
            tree: oid(tree),
            folders: folders
                .iter()
                .map(|(n, f)| ((*n).into(), oid(*f)))
                .collect(),
        }
    }

    /// A derived root answers for the changed folder and the old ones; the root it came from is
    /// no longer indexed, and only the most recent roots are kept.
    #[test]
    fn derived_roots_answer_without_reading() {
        let roots = Roots::default();
        roots.keep(root(1, &[("openai", 10), ("mistral", 11)]));
        roots.derived(Some(oid(1)), oid(2), "openai", oid(20));
        assert_eq!(roots.lookup(oid(2), "openai"), Some(Some(oid(20))));
        assert_eq!(roots.lookup(oid(2), "mistral"), Some(Some(oid(11))));
        assert_eq!(roots.lookup(oid(2), "xai"), Some(None));
        assert_eq!(roots.lookup(oid(1), "openai"), None, "moved on from");
        // A root built on one that is not indexed is not guessed at.
        roots.derived(Some(oid(9)), oid(3), "openai", oid(30));
        assert_eq!(roots.lookup(oid(3), "openai"), None);
        roots.derived(None, oid(4), "xai", oid(40));
        assert_eq!(roots.lookup(oid(4), "xai"), Some(Some(oid(40))));
        for t in 5..5 + KEPT as u8 {
            roots.keep(root(t, &[]));
        }
        assert_eq!(roots.lookup(oid(4), "xai"), None, "the oldest went");
        assert_eq!(roots.kept.borrow().len(), KEPT);
    }
}
