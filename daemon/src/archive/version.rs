//! Versions: the extracted text of a document recorded on `main` when it differs from the last
//! version and is not held back as suspicious (see `hold.rs`).

use git2::{ObjectType, Oid};

use super::{
    git, judge_declared, message, Archive, ArchiveError, Declared, Prior, Verdict, VersionRequest,
    VersionResult, MAIN,
};
use crate::failpoint;

impl Archive {
    /// Records extracted text on `main` if it differs from the last version and is not held back
    /// as suspicious (`prior`: the hold from the previous fetch, and the language the recorded
    /// version's page declared).
    pub fn record_version(
        &mut self,
        req: &VersionRequest,
        prior: Prior<'_>,
    ) -> Result<VersionResult, ArchiveError> {
        let path = req.doc.version_path();
        let tip = self.tip(MAIN)?;
        let tree = tip
            .as_ref()
            .map(|c| c.tree())
            .transpose()
            .map_err(git("read tree"))?;
        let previous = Self::blob_at(tree.as_ref(), &path);
        let blob_id =
            Oid::hash_object(ObjectType::Blob, req.text.as_bytes()).map_err(git("hash version"))?;
        if previous == Some(blob_id) {
            return Ok(VersionResult::Unchanged);
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
                Verdict::Same => return Ok(VersionResult::Unchanged),
                Verdict::Hold(reason) => return Ok(VersionResult::Held(reason)),
                Verdict::Record { confirmed } => confirmed,
            }
        };
        let blob = self
            .repo
            .blob(req.text.as_bytes())
            .map_err(git("write version blob"))?;
        let tree_id = self.tree_with(
            tree.as_ref(),
            req.doc.platform(),
            &format!("{}.md", req.doc.kind()),
            blob,
        )?;
        let old = old_text.as_deref().map(String::from_utf8_lossy);
        let msg = message::version(req, old.as_deref(), confirmed.as_ref());
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
