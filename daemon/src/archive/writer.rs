//! The single writer: a dedicated thread that owns the repository and the state file, fed by a
//! channel. Fetch tasks send it requests and await the answers; they never touch git themselves.
//!
//! On shutdown the channel is closed: the thread finishes the request in hand and those already
//! queued, saves the state and ends; [`ArchiveHandle::close`] waits for that.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use git2::Oid;
use tokio::sync::oneshot;

use super::kept::{short_hash, KeptPages};
use super::pack::Packer;
use super::{
    Archive, ArchiveError, FetchText, Hold, NoiseFetch, Prior, Probe, Recorded, SnapshotPage,
    State, VersionResult,
};
use crate::document::DocumentId;
use crate::validators::Validators;

/// A version to record.
#[derive(Debug, Clone)]
pub struct VersionRequest {
    /// The document.
    pub doc: DocumentId,
    /// Its human name.
    pub title: String,
    /// The URL configured.
    pub source_url: String,
    /// When the snapshot it comes from was fetched.
    pub fetched_at: SystemTime,
    /// The snapshot commit it was extracted from.
    pub snapshot: Oid,
    /// Which extractor and rules produced it.
    pub extractor: String,
    /// The normalised text.
    pub text: String,
    /// A re-extraction after a rules change (`Change-Class: technical`), not a document change.
    pub technical: bool,
    /// The plugin's own line about this change (`Plugin-Summary` trailer), if it gave one.
    pub plugin_summary: Option<String>,
    /// The language the (first) page declares (`<html lang>`), for the language hold when the
    /// text alone does not tell (see `hold.rs`).
    pub page_language: Option<String>,
}

/// One fetch to record: its pages and, when extraction succeeded, its text.
#[derive(Debug, Clone)]
pub struct RecordRequest {
    /// The document.
    pub doc: DocumentId,
    /// Its human name.
    pub title: String,
    /// The pages, shared with the check (they can be megabytes).
    pub pages: Arc<[SnapshotPage]>,
    /// The validators of a single-page fetch, stored once its bytes are on record.
    pub validators: Validators,
    /// The text, as a version request whose `snapshot` the writer fills in with the snapshot
    /// commit it makes; `None` when extraction failed (the snapshot is kept all the same) or
    /// was not needed (`vouched`).
    pub version: Option<VersionRequest>,
    /// No extraction: the check knows the text is the recorded version's (the fingerprint of
    /// the fetch vouches for it), so the fetch is noise under the retention.
    pub vouched: bool,
}

struct ProbeRequest {
    doc: DocumentId,
    pages: Arc<[SnapshotPage]>,
    validators: Validators,
}

enum Request {
    Probe(
        Box<ProbeRequest>,
        oneshot::Sender<Result<Probe, ArchiveError>>,
    ),
    Record(
        Box<RecordRequest>,
        oneshot::Sender<Result<Recorded, ArchiveError>>,
    ),
    Version(
        Box<VersionRequest>,
        oneshot::Sender<Result<VersionResult, ArchiveError>>,
    ),
    SaveState(oneshot::Sender<()>),
}

/// The handle through which tasks reach the writer. Cheap to clone.
#[derive(Clone)]
pub struct ArchiveHandle {
    tx: mpsc::Sender<Request>,
    state: Arc<Mutex<State>>,
}

/// Owns the writer thread; closing it waits for queued writes to finish.
pub struct WriterThread {
    thread: JoinHandle<()>,
}

impl ArchiveHandle {
    /// Starts the writer thread for `archive`.
    pub fn start(archive: Archive) -> (Self, WriterThread) {
        let state = Arc::new(Mutex::new(State::load(archive.dir())));
        let (tx, rx) = mpsc::channel();
        let thread_state = state.clone();
        let thread = std::thread::Builder::new()
            .name("archive-writer".into())
            .spawn(move || run(archive, rx, thread_state))
            .expect("the OS can start one thread");
        (Self { tx, state }, WriterThread { thread })
    }

    /// The shared state (validators, check times); the writer saves it.
    pub fn state(&self) -> &Arc<Mutex<State>> {
        &self.state
    }

    /// Whether the pages of a fetch of `doc` are the bytes on record, and whether `doc` has a
    /// version; when the bytes are unchanged, `validators` are stored (they vouch for bytes the
    /// archive holds).
    pub async fn probe(
        &self,
        doc: &DocumentId,
        pages: Arc<[SnapshotPage]>,
        validators: Validators,
    ) -> Result<Probe, ArchiveError> {
        let (reply, answer) = oneshot::channel();
        let req = ProbeRequest {
            doc: doc.clone(),
            pages,
            validators,
        };
        self.tx
            .send(Request::Probe(Box::new(req), reply))
            .map_err(|_| ArchiveError::Closed)?;
        answer.await.map_err(|_| ArchiveError::Closed)?
    }

    /// Records one fetch: its snapshot (if the bytes changed), its version (if a text is given,
    /// differs and is not held back), then its validators.
    pub async fn record(&self, req: RecordRequest) -> Result<Recorded, ArchiveError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request::Record(Box::new(req), reply))
            .map_err(|_| ArchiveError::Closed)?;
        answer.await.map_err(|_| ArchiveError::Closed)?
    }

    /// Records a version if its text changed.
    pub async fn version(&self, req: VersionRequest) -> Result<VersionResult, ArchiveError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request::Version(Box::new(req), reply))
            .map_err(|_| ArchiveError::Closed)?;
        answer.await.map_err(|_| ArchiveError::Closed)?
    }

    /// Asks the writer to save the state now and waits until it has.
    pub async fn save_state(&self) {
        let (reply, answer) = oneshot::channel();
        if self.tx.send(Request::SaveState(reply)).is_ok() {
            let _ = answer.await;
        }
    }
}

impl WriterThread {
    /// Waits for the writer to finish its queue; every [`ArchiveHandle`] must be dropped first.
    pub fn close(self) {
        if self.thread.join().is_err() {
            tracing::error!("the archive writer thread panicked");
        }
    }
}

fn save(archive: &Archive, state: &Mutex<State>) {
    save_to(archive.dir(), state);
}

fn save_to(dir: &std::path::Path, state: &Mutex<State>) {
    // Written under the lock, straight into the file: a copy of the state, or its JSON in
    // memory, was 8-12 MB more at the peak of a check of 10,000 documents, and a file written
    // without the lock could mix two moments of the state. The rename waits for no one.
    // A panic elsewhere while holding the lock leaves the state as it was: still worth saving.
    let written = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .write_temp(dir);
    if let Err(e) = written.and_then(|tmp| State::put_in_place(dir, &tmp)) {
        tracing::warn!(error = %e, "cannot save the state file; validators will be re-learned");
    }
}

/// What the state knows of `doc` for recording a fetch (see [`Prior`]), owned.
#[derive(Default)]
struct OwnedPrior {
    hold: Option<Hold>,
    page_language: Option<String>,
    kept: KeptPages,
}

impl OwnedPrior {
    fn of(state: &Mutex<State>, doc: &DocumentId) -> Self {
        state
            .lock()
            .ok()
            .and_then(|s| {
                s.documents.get(&doc.to_string()).map(|d| Self {
                    hold: d.hold.as_deref().cloned(),
                    page_language: d.page_language.clone(),
                    kept: d.kept.clone(),
                })
            })
            .unwrap_or_default()
    }

    fn borrow(&self) -> Prior<'_> {
        Prior {
            hold: self.hold.as_ref(),
            page_language: self.page_language.as_deref(),
            kept: Some(&self.kept),
        }
    }
}

/// The state's memo of the pages `doc` keeps on `snapshots`.
fn kept_of(state: &Mutex<State>, doc: &DocumentId) -> KeptPages {
    state
        .lock()
        .ok()
        .and_then(|s| s.documents.get(&doc.to_string()).map(|d| d.kept.clone()))
        .unwrap_or_default()
}

fn store_validators(
    state: &Mutex<State>,
    doc: &DocumentId,
    pages: &[SnapshotPage],
    validators: &Validators,
) {
    // Assigned only when they differ: a string replaced at every fetch is a new allocation among
    // the cycle's page buffers, and those pinned the heap's pages (the peak of a check of
    // 10,000 documents grew through the cycle).
    if let Ok(mut s) = state.lock() {
        let d = s.doc_mut(doc);
        let url = pages.first().map_or("", |p| p.meta.source_url.as_str());
        if d.url != url {
            d.url = url.to_owned();
        }
        if d.etag != validators.etag {
            d.etag = validators.etag.clone();
        }
        if d.last_modified != validators.last_modified {
            d.last_modified = validators.last_modified.clone();
        }
    }
}

/// Notes in the state what a version request gave: its extractor, and the hold it starts or
/// ends. Returns whether it started a hold.
fn note_version(state: &Mutex<State>, req: &VersionRequest, result: &VersionResult) -> bool {
    let Ok(mut s) = state.lock() else {
        return false;
    };
    let d = s.doc_mut(&req.doc);
    d.extractor = Some(req.extractor.clone());
    // A recorded text (or new rules) makes the last noise fetch's text unknown again.
    d.noise = None;
    if !matches!(result, VersionResult::Held(_)) {
        // The recorded text (new or the same) now comes from this page.
        d.page_language = req.page_language.clone();
    }
    d.hold = match result {
        VersionResult::Held(reason) => {
            tracing::warn!(document = %req.doc, reason = %reason, "suspicious text held back until the next fetch confirms it");
            Some(Box::new(Hold {
                text_sha256: super::text_hash(&req.text),
                reason: reason.clone(),
                since: crate::time_fmt::unix(req.fetched_at),
                snapshot: req.snapshot.to_string(),
            }))
        }
        _ => None,
    };
    d.hold.is_some()
}

/// Whether `pages` are the bytes of the last noise fetch of `doc` (see [`NoiseFetch`]), whose text
/// is the recorded version's: then, like bytes on record, they need no extraction.
fn is_last_noise(state: &Mutex<State>, doc: &DocumentId, pages: &[SnapshotPage]) -> bool {
    state.lock().is_ok_and(|s| {
        s.documents
            .get(&doc.to_string())
            .and_then(|d| d.noise.as_ref())
            .is_some_and(|n| n.matches(pages))
    })
}

/// Notes the noise fetch `pages` of `doc` in the state, or forgets the last one when the fetch
/// recorded something.
fn note_noise(state: &Mutex<State>, doc: &DocumentId, pages: &[SnapshotPage], noise: bool) {
    if let Ok(mut s) = state.lock() {
        let d = s.doc_mut(doc);
        match pages.first() {
            // Written over the last note, in its own strings (see `store_validators`).
            Some(first) if noise => d
                .noise
                .get_or_insert_with(NoiseFetch::default)
                .note(crate::time_fmt::unix(first.meta.fetched_at), pages),
            _ => d.noise = None,
        }
    }
}

/// Notes in the state's memo that `pages` are now the kept pages of `doc` (their blob ids were
/// computed to write them): otherwise the next probe learns them by reading the blobs back.
fn note_kept(state: &Mutex<State>, doc: &DocumentId, pages: &[SnapshotPage]) {
    let memo = pages
        .iter()
        .map(|p| Some((p.blob_id().ok()?, short_hash(p.sha256()))))
        .collect::<Option<Vec<_>>>();
    if let Ok(mut s) = state.lock() {
        s.doc_mut(doc).kept = memo.map(KeptPages::new).unwrap_or_default();
    }
}

/// Whether a recording wrote objects (a snapshot or a version commit).
fn wrote_objects(recorded: &Recorded) -> bool {
    recorded.snapshot.changed
        || matches!(
            recorded.version,
            Some(VersionResult::First(_) | VersionResult::Updated(_))
        )
}

/// The least time between two saves of the state file while requests keep coming.
const SAVE_EVERY: Duration = Duration::from_secs(1);

fn run(mut archive: Archive, rx: mpsc::Receiver<Request>, state: Arc<Mutex<State>>) {
    let mut dirty = false;
    let mut last_save = Instant::now();
    let mut packer = Packer::new(archive.dir(), archive.pack_after());
    loop {
        // Save the state when the queue runs dry, at most once per `SAVE_EVERY`: a cycle of
        // noise-only fetches leaves the queue dry after almost every request, and each save
        // rewrites the whole file (every document), which made the cycle quadratic. The state is
        // a cache: what a crash takes from it is re-learned (a hold is saved at once, above).
        let req = match rx.try_recv() {
            Ok(r) => r,
            Err(mpsc::TryRecvError::Empty) if dirty => {
                let wait = SAVE_EVERY.saturating_sub(last_save.elapsed());
                match rx.recv_timeout(wait) {
                    Ok(r) => r,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        save(&archive, &state);
                        dirty = false;
                        last_save = Instant::now();
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            Err(mpsc::TryRecvError::Empty) => match rx.recv() {
                Ok(r) => r,
                Err(_) => break,
            },
            Err(mpsc::TryRecvError::Disconnected) => break,
        };
        match req {
            Request::Probe(req, reply) => {
                let kept = kept_of(&state, &req.doc);
                let result = archive
                    .probe(&req.doc, &req.pages, &kept)
                    .map(|(mut p, learned)| {
                        if let Some(learned) = learned {
                            if let Ok(mut s) = state.lock() {
                                s.doc_mut(&req.doc).kept = learned;
                                dirty = true;
                            }
                        }
                        p.unchanged = p.unchanged || is_last_noise(&state, &req.doc, &req.pages);
                        p
                    });
                if let Ok(Probe {
                    unchanged: true, ..
                }) = &result
                {
                    store_validators(&state, &req.doc, &req.pages, &req.validators);
                    dirty = true;
                }
                let _ = reply.send(result);
            }
            Request::Record(req, reply) => {
                let owned = OwnedPrior::of(&state, &req.doc);
                let prior = owned.borrow();
                let dir = archive.dir().to_path_buf();
                let RecordRequest {
                    doc,
                    title,
                    pages,
                    validators,
                    version,
                    vouched,
                } = *req;
                let text = match (version, vouched) {
                    (Some(v), _) => FetchText::Extracted(Box::new(v)),
                    (None, true) => FetchText::Vouched,
                    (None, false) => FetchText::Failed,
                };
                let result = archive.record(&doc, &title, &pages, text, prior, |v, result| {
                    if note_version(&state, v, result) {
                        // Saved before `snapshots` moves: once the held page is on record,
                        // the next fetch of the same bytes would not be extracted, so the
                        // hold must already be known.
                        save_to(&dir, &state);
                    }
                });
                if let Ok(recorded) = &result {
                    // Validators are stored only once the bytes they vouch for are committed, or
                    // noted as noise (their text is the recorded version): a 304 must never stand
                    // for a text the archive does not hold.
                    store_validators(&state, &doc, &pages, &validators);
                    note_noise(&state, &doc, &pages, recorded.noise);
                    if recorded.snapshot.changed {
                        note_kept(&state, &doc, &pages);
                    }
                    if wrote_objects(recorded) {
                        packer.wrote();
                    }
                    dirty = true;
                }
                // The asking task may have been cancelled by a shutdown; the write stands anyway.
                let _ = reply.send(result);
            }
            Request::Version(req, reply) => {
                let owned = OwnedPrior::of(&state, &req.doc);
                let prior = owned.borrow();
                let result = archive.record_version(&req, prior);
                if let Ok(r) = &result {
                    note_version(&state, &req, r);
                    if matches!(r, VersionResult::First(_) | VersionResult::Updated(_)) {
                        packer.wrote();
                    }
                    dirty = true;
                }
                let _ = reply.send(result);
            }
            Request::SaveState(reply) => {
                save(&archive, &state);
                dirty = false;
                last_save = Instant::now();
                let _ = reply.send(());
                // A cycle (or a batch of checks) has ended: pack in the background if due.
                packer.maybe_start();
            }
        }
    }
    save(&archive, &state);
    // The packing thread must end while this process still holds the archive lock.
    packer.join();
}
