//! Snapshots: whether the pages of a fetch are the bytes on record (a probe, no write), the
//! snapshot commit of new bytes (one page at `PLATFORM/KIND.EXT`, several at
//! `PLATFORM/KIND/N.EXT`), and the recording of one fetch: snapshot, then version, then the
//! `snapshots` ref (see the module comment of `archive`).

use git2::{Oid, Tree};
use sha2::{Digest, Sha256};

use super::kept::{short_hash, KeptPages};
use super::settings::Retention;
use super::version::Judged;
use super::{
    git, message, Archive, ArchiveError, Prior, Probe, Recorded, SnapshotMeta, SnapshotPage,
    SnapshotResult, VersionRequest, VersionResult, SNAPSHOTS,
};
use crate::document::DocumentId;
use crate::failpoint;

/// A snapshot commit written but not yet on `snapshots`.
#[derive(Debug, Clone)]
pub(super) struct PendingSnapshot {
    /// The snapshot commit.
    pub(super) commit: Oid,
    /// The tip of `snapshots` it was made on.
    parent: Option<Oid>,
    /// Its subject, for the reflog.
    summary: String,
}

/// Where a fetch's pages go in the tip of `snapshots` (see [`Archive::layout`]).
struct Layout<'r> {
    tip: Option<git2::Commit<'r>>,
    /// The root tree of the tip.
    root: Option<Oid>,
    platform_tree: Option<Tree<'r>>,
    /// The document's entries in its platform folder now.
    old_entries: Vec<String>,
    /// Its entries after this fetch.
    expected_entries: Vec<String>,
    /// The pages are the bytes already stored.
    unchanged: bool,
    /// The blobs now at the pages' places, where there are any.
    kept_blobs: Vec<Oid>,
}

/// What the check knows of the text of a fetch it hands to [`Archive::record`].
#[derive(Debug)]
pub enum FetchText {
    /// Extracted: judged, and committed as a version when new.
    Extracted(Box<VersionRequest>),
    /// Extraction failed: the page is kept all the same (the evidence of what was served).
    Failed,
    /// Not extracted: the fingerprint of the pages vouches that the text is the recorded one.
    Vouched,
}

impl Archive {
    /// Whether `pages` are the bytes of the last snapshot of `doc`, and whether it has a version:
    /// what a check needs to know before extracting. Writes nothing. `kept` is the state's memo
    /// of the kept pages (see [`kept`](super::kept)); the memo of the pages kept now is returned
    /// when `kept` did not know them all.
    pub fn probe(
        &self,
        doc: &DocumentId,
        pages: &[SnapshotPage],
        kept: &KeptPages,
    ) -> Result<(Probe, Option<KeptPages>), ArchiveError> {
        let version = self.version_blob(doc)?;
        let layout = self.layout(doc, pages, Some(kept))?;
        let learned = (!kept.covers(&layout.kept_blobs))
            .then(|| self.learn_kept(&layout.kept_blobs, pages, kept))
            .flatten();
        let probe = Probe {
            unchanged: layout.unchanged,
            has_version: version.is_some(),
            version,
        };
        Ok((probe, learned))
    }

    /// The memo of the kept pages `blobs`: from `known`, from the fetched pages that are those
    /// bytes, or else from the blobs themselves (once per document and kept page). `None` if a
    /// blob cannot be read: the memo is only a saving.
    fn learn_kept(
        &self,
        blobs: &[Oid],
        pages: &[SnapshotPage],
        known: &KeptPages,
    ) -> Option<KeptPages> {
        let hash_of = |blob: Oid| {
            if let Some(h) = known.hash_of(blob) {
                return Some(h);
            }
            if let Some(p) = pages.iter().find(|p| p.blob_id.get() == Some(&blob)) {
                return Some(short_hash(p.sha256()));
            }
            let found = self.repo.find_blob(blob).ok()?;
            Some(short_hash(&Sha256::digest(found.content()).into()))
        };
        let learned = blobs
            .iter()
            .map(|b| hash_of(*b).map(|h| (*b, h)))
            .collect::<Option<Vec<_>>>()?;
        Some(KeptPages::new(learned))
    }

    /// Whether `page` is the bytes of the kept blob `blob`. The memo `kept` answers "no" without
    /// a SHA-1 when it knows `blob` and the page's hash differs; "yes" is always the blob id's.
    fn same_bytes(
        page: &SnapshotPage,
        blob: Oid,
        kept: Option<&KeptPages>,
    ) -> Result<bool, ArchiveError> {
        if kept
            .and_then(|k| k.hash_of(blob))
            .is_some_and(|h| h != short_hash(page.sha256()))
        {
            return Ok(false);
        }
        Ok(page.blob_id().map_err(git("hash snapshot"))? == blob)
    }

    /// Records the raw bytes of a fetch on `snapshots` if they differ from the last ones.
    pub fn record_snapshot(
        &mut self,
        doc: &DocumentId,
        title: &str,
        meta: &SnapshotMeta,
        ext: &str,
        bytes: &[u8],
    ) -> Result<SnapshotResult, ArchiveError> {
        self.record_pages(
            doc,
            title,
            &[SnapshotPage::new(
                meta.clone(),
                ext.to_owned(),
                bytes.to_vec(),
            )],
        )
    }

    /// Where the pages of `doc` go in the tip of `snapshots`, and whether they are already there.
    /// `kept`: the state's memo of the kept pages; without it every page is hashed.
    fn layout(
        &self,
        doc: &DocumentId,
        pages: &[SnapshotPage],
        kept: Option<&KeptPages>,
    ) -> Result<Layout<'_>, ArchiveError> {
        let (tip, root) = self.root_of(SNAPSHOTS)?;
        let single = pages.len() == 1;
        let name_of = |i: usize, ext: &str| {
            if single {
                format!("{}.{ext}", doc.kind())
            } else {
                format!("{}/{}.{ext}", doc.kind(), i + 1)
            }
        };
        // What the platform folder holds for this document now, and what it would hold.
        let platform_tree = root
            .map(|r| self.folder(r, doc.platform()))
            .transpose()?
            .flatten();
        let mine = |name: &str| {
            name == doc.kind()
                || name
                    .strip_prefix(doc.kind())
                    .is_some_and(|r| r.starts_with('.'))
        };
        let old_entries: Vec<String> = platform_tree
            .iter()
            .flat_map(|t| t.iter())
            .filter_map(|e| e.name().map(str::to_owned))
            .filter(|n| mine(n))
            .collect();
        let mut unchanged = true;
        let mut kept_blobs = Vec::with_capacity(pages.len());
        for (i, p) in pages.iter().enumerate() {
            let blob = Self::blob_at(platform_tree.as_ref(), &name_of(i, &p.ext));
            kept_blobs.extend(blob);
            unchanged = unchanged
                && match blob {
                    Some(blob) => Self::same_bytes(p, blob, kept)?,
                    None => false,
                };
        }
        // The same file names as before (a page more or less, or a new extension, is a change).
        let expected_entries: Vec<String> = if single {
            vec![format!("{}.{}", doc.kind(), pages[0].ext)]
        } else {
            vec![doc.kind().to_owned()]
        };
        unchanged &= old_entries == expected_entries;
        if unchanged && !single {
            let count = platform_tree
                .as_ref()
                .and_then(|t| t.get_name(doc.kind()))
                .and_then(|e| e.to_object(&self.repo).ok())
                .and_then(|o| o.into_tree().ok())
                .map_or(0, |t| t.len());
            unchanged &= count == pages.len();
        }
        Ok(Layout {
            tip,
            root,
            platform_tree,
            old_entries,
            expected_entries,
            unchanged,
            kept_blobs,
        })
    }

    /// Writes the snapshot commit of the pages of one fetch of `doc`, if any byte differs from
    /// the last snapshot, without moving `snapshots` (see [`Archive::publish_snapshot`]): one page
    /// at `PLATFORM/KIND.EXT`, several at `PLATFORM/KIND/1.EXT`, `PLATFORM/KIND/2.EXT`, ...
    pub(super) fn prepare_snapshot(
        &mut self,
        doc: &DocumentId,
        title: &str,
        pages: &[SnapshotPage],
    ) -> Result<Option<PendingSnapshot>, ArchiveError> {
        if let Some(pending) = self.unpublished.take() {
            self.publish_snapshot(pending)?;
        }
        let Layout {
            tip,
            root,
            platform_tree,
            old_entries,
            expected_entries,
            unchanged,
            ..
        } = self.layout(doc, pages, None)?;
        if unchanged {
            return Ok(None);
        }
        let single = pages.len() == 1;
        let mut pb = self
            .repo
            .treebuilder(platform_tree.as_ref())
            .map_err(git("build tree"))?;
        for name in &old_entries {
            pb.remove(name).map_err(git("build tree"))?;
        }
        if single {
            let blob = self
                .repo
                .blob(&pages[0].bytes)
                .map_err(git("write snapshot blob"))?;
            pb.insert(&expected_entries[0], blob, 0o100_644)
                .map_err(git("build tree"))?;
        } else {
            let mut kb = self.repo.treebuilder(None).map_err(git("build tree"))?;
            for (i, p) in pages.iter().enumerate() {
                let blob = self
                    .repo
                    .blob(&p.bytes)
                    .map_err(git("write snapshot blob"))?;
                kb.insert(format!("{}.{}", i + 1, p.ext), blob, 0o100_644)
                    .map_err(git("build tree"))?;
            }
            let kid = kb.write().map_err(git("write tree"))?;
            pb.insert(doc.kind(), kid, 0o040_000)
                .map_err(git("build tree"))?;
        }
        let platform_id = pb.write().map_err(git("write tree"))?;
        let tree_id = self.root_with(root, doc.platform(), platform_id)?;

        let first = &pages[0].meta;
        let msg = message::snapshot(doc, title, old_entries.is_empty(), pages);
        let summary = message::subject(&msg).to_owned();
        let commit = self.commit_object(first.fetched_at, &msg, tree_id, tip.as_ref())?;
        failpoint::hit("archive.snapshot-objects");
        Ok(Some(PendingSnapshot {
            commit,
            parent: tip.map(|c| c.id()),
            summary,
        }))
    }

    /// Moves `snapshots` to a prepared snapshot commit. On failure the commit is kept and
    /// published before the next snapshot: its version may already be on `main`.
    pub(super) fn publish_snapshot(
        &mut self,
        pending: PendingSnapshot,
    ) -> Result<(), ArchiveError> {
        match self.move_branch(SNAPSHOTS, pending.parent, pending.commit, &pending.summary) {
            Ok(()) => {
                failpoint::hit("archive.snapshots-moved");
                Ok(())
            }
            Err(e) => {
                self.unpublished = Some(pending);
                Err(e)
            }
        }
    }

    /// The tip of `snapshots`: the snapshot commit holding the current bytes of every document.
    pub(super) fn snapshots_tip(&self) -> Result<Option<Oid>, ArchiveError> {
        Ok(self.tip(SNAPSHOTS)?.map(|c| c.id()))
    }

    /// Records the pages of one fetch of `doc` on `snapshots` (no version), if any byte differs
    /// from the last snapshot.
    pub fn record_pages(
        &mut self,
        doc: &DocumentId,
        title: &str,
        pages: &[SnapshotPage],
    ) -> Result<SnapshotResult, ArchiveError> {
        Ok(self
            .record(
                doc,
                title,
                pages,
                FetchText::Failed,
                Prior::default(),
                |_, _| {},
            )?
            .snapshot)
    }

    /// Records one fetch of `doc`: its snapshot, if any byte changed and the retention keeps it,
    /// and, when `version` is given, its text as a version, if the text changed and is not held
    /// back (`prior`: the hold from the previous fetch and the recorded version's page language).
    /// `version.snapshot` is filled in here. [`FetchText::Vouched`]: the check knows the text is
    /// the recorded version's (its fingerprint, `check/fingerprint.rs`): noise, not a failure.
    ///
    /// Under [`Retention::Versions`] a fetch whose text is the recorded version's writes nothing
    /// (`Recorded::noise` says so when its bytes differ from the kept ones); a version, a held
    /// text and a failed extraction (no `version`) keep their page.
    ///
    /// The version commit is made before `snapshots` moves (see the module comment), and
    /// `on_decided` runs between the two with the version request (its snapshot filled in) and
    /// its result: the writer saves a new hold there, so that a held text is never forgotten once
    /// its bytes are on record.
    pub fn record(
        &mut self,
        doc: &DocumentId,
        title: &str,
        pages: &[SnapshotPage],
        text: FetchText,
        prior: Prior<'_>,
        on_decided: impl FnOnce(&VersionRequest, &VersionResult),
    ) -> Result<Recorded, ArchiveError> {
        let vouched = matches!(text, FetchText::Vouched);
        let version = match text {
            FetchText::Extracted(v) => Some(*v),
            FetchText::Failed | FetchText::Vouched => None,
        };
        let has_version = self.has_version(doc)?;
        // The text is judged first (no write): whether it is new decides whether the page is kept.
        let judged = version
            .as_ref()
            .map(|req| self.judge_version(req, prior))
            .transpose()?;
        let same_text =
            vouched || matches!(judged, Some(Judged::Settled(VersionResult::Unchanged)));
        let (prepared, noise) = if same_text && self.retention == Retention::Versions {
            if let Some(pending) = self.unpublished.take() {
                self.publish_snapshot(pending)?;
            }
            (None, !self.layout(doc, pages, prior.kept)?.unchanged)
        } else {
            (self.prepare_snapshot(doc, title, pages)?, false)
        };
        let snapshot = match &prepared {
            Some(p) => p.commit,
            // Unchanged bytes are on the tip; a noise fetch's text comes from a kept page, and
            // any version implies a tip.
            None => self.snapshots_tip()?.unwrap_or_else(Oid::zero),
        };
        let version = match (version, judged) {
            (Some(mut req), Some(judged)) => {
                req.snapshot = snapshot;
                let result = match judged {
                    Judged::Settled(result) => result,
                    Judged::New {
                        old_text,
                        confirmed,
                    } => self.commit_version(&req, old_text.as_deref(), confirmed.as_ref())?,
                };
                on_decided(&req, &result);
                Some(result)
            }
            _ => None,
        };
        let changed = prepared.is_some();
        if let Some(p) = prepared {
            self.publish_snapshot(p)?;
        }
        Ok(Recorded {
            snapshot: SnapshotResult {
                commit: snapshot,
                changed,
                has_version,
            },
            version,
            noise,
        })
    }
}
