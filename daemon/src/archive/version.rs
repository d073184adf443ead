//! Versions: the extracted text of a document recorded on `main` when it differs from the last
//! version and is not held back as suspicious (see `hold.rs`).

use git2::{ObjectType, Oid};

use super::{
    git, judge_declared, message, Archive, ArchiveError, Declared, Hold, Prior, Verdict,
    VersionRequest, VersionResult, MAIN,
};
use crate::failpoint;

/// What a text is, judged against the last version before anything is written.
pub(super) enum Judged {
    /// Nothing to commit: the text is the recorded one, or it is held back.
    Settled(VersionResult),
    /// A new text to commit, with the last version's text and the hold it confirms.
    New {
        old_text: Option<Vec<u8>>,
        confirmed: Option<Hold>,
    },
}

impl Archive {
    /// Records extracted text on `main` if it differs from the last version and is not held back
    /// as suspicious (`prior`: the hold from the previous fetch, and the language the recorded
    /// version's page declared).
    pub fn record_version(
        &mut self,
        req: &VersionRequest,
        prior: Prior<'_>,
    ) -> Result<VersionResult, ArchiveError> {
        match self.judge_version(req, prior)? {
            Judged::Settled(result) => Ok(result),
            Judged::New {
                old_text,
                confirmed,
            } => self.commit_version(req, old_text.as_deref(), confirmed.as_ref()),
        }
    }

    /// Judges `req`'s text against the last version of its document; writes nothing.
    pub(super) fn judge_version(
        &self,
        req: &VersionRequest,
        prior: Prior<'_>,
    ) -> Result<Judged, ArchiveError> {
        let (_, root) = self.root_of(MAIN)?;
        let previous = self.blob_in(root, &req.doc.version_path())?;
        let blob_id =
            Oid::hash_object(ObjectType::Blob, req.text.as_bytes()).map_err(git("hash version"))?;
        if previous == Some(blob_id) {
            return Ok(Judged::Settled(VersionResult::Unchanged));
        }
        let old_text = match previous {
            Some(id) => Some(
                self.repo
                    .find_blob(id)
                    .map_err(git("read previous version"))?
                    .content()
                    .to_vec(),
            ),
            None => None,
        };
        // Re-extractions are deliberate: the rules changed, so a shrink is expected.
        let confirmed = if req.technical {
            None
        } else {
            let old = old_text.as_deref().map(String::from_utf8_lossy);
            let declared = Declared {
                old: prior.page_language,
                new: req.page_language.as_deref(),
            };
            match judge_declared(old.as_deref(), &req.text, prior.hold, &self.holds, declared) {
                Verdict::Same => return Ok(Judged::Settled(VersionResult::Unchanged)),
                Verdict::Hold(reason) => return Ok(Judged::Settled(VersionResult::Held(reason))),
                Verdict::Record { confirmed } => confirmed,
            }
        };
        Ok(Judged::New {
            old_text,
            confirmed,
        })
    }

    /// Commits `req`'s text on `main` (judged new by [`Archive::judge_version`] against
    /// `old_text`, the document's last version), naming snapshot commit `req.snapshot`.
    pub(super) fn commit_version(
        &mut self,
        req: &VersionRequest,
        old_text: Option<&[u8]>,
        confirmed: Option<&Hold>,
    ) -> Result<VersionResult, ArchiveError> {
        let (tip, root) = self.root_of(MAIN)?;
        let blob = self
            .repo
            .blob(req.text.as_bytes())
            .map_err(git("write version blob"))?;
        let tree_id = self.tree_with(
            root,
            req.doc.platform(),
            &format!("{}.md", req.doc.kind()),
            blob,
        )?;
        let old = old_text.map(String::from_utf8_lossy);
        let msg = message::version(req, old.as_deref(), confirmed);
        let commit = self.commit_object(req.fetched_at, &msg, tree_id, tip.as_ref())?;
        failpoint::hit("archive.version-objects");
        let summary = message::subject(&msg);
        self.move_branch(MAIN, tip.as_ref().map(|c| c.id()), commit, summary)?;
        failpoint::hit("archive.main-moved");
        Ok(if old_text.is_none() {
            VersionResult::First(commit)
        } else {
            VersionResult::Updated(commit)
        })
    }
}
