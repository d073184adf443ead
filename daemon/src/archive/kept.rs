//! What the state remembers of the pages a document has on `snapshots`: each kept page's blob
//! id with the first 8 bytes of the SHA-256 of its bytes.
//!
//! Why: telling a fetch's page from the kept one took its git blob id, SHA-1 with collision
//! detection, the largest cost left of a no-change check of pages whose bytes change on every
//! request (14% of the CPU at 1,000 documents). SHA-256 is several times faster where the CPU
//! has SHA instructions, and the page's SHA-256 is needed anyway for the noise note. So a page
//! whose hash differs from the memo's is new bytes, with no SHA-1; a page whose hash is the
//! memo's is confirmed by its blob id. The memo can therefore only save time: a stale or damaged
//! one (bound to a blob no longer on the tip, or wrong) costs a SHA-1, never a missed change, as
//! long as it is the hash of its blob (it is only ever learned from the blob's bytes).

use std::fmt::Write as _;

use git2::Oid;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The memo of one document (see the module comment). Empty when nothing is known. In the state
/// file: `BLOB-ID:HASH` per page, space-separated, hex.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeptPages(Box<[KeptPage]>);

/// One kept page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeptPage {
    blob: Oid,
    hash: u64,
}

/// The memo's hash of `bytes`, from their SHA-256 (see [`super::SnapshotPage::sha256`]).
pub fn short_hash(sha256: &[u8; 32]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&sha256[..8]);
    u64::from_be_bytes(first)
}

impl KeptPages {
    /// The memo of the kept pages `(blob id, short hash)`.
    pub fn new(pages: impl IntoIterator<Item = (Oid, u64)>) -> Self {
        Self(
            pages
                .into_iter()
                .map(|(blob, hash)| KeptPage { blob, hash })
                .collect(),
        )
    }

    /// Whether the memo knows nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The short hash of the bytes of `blob`, if the memo knows it.
    pub fn hash_of(&self, blob: Oid) -> Option<u64> {
        self.0.iter().find(|p| p.blob == blob).map(|p| p.hash)
    }

    /// Whether the memo knows every blob of `blobs`.
    pub fn covers(&self, blobs: &[Oid]) -> bool {
        blobs.iter().all(|b| self.hash_of(*b).is_some())
    }

    fn encode(&self) -> String {
        let mut out = String::with_capacity(self.0.len() * 58);
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let _ = write!(out, "{}:{:016x}", p.blob, p.hash);
        }
        out
    }

    /// Reads [`KeptPages::encode`]'s text; anything else is an empty memo, since the memo is a
    /// cache and an unreadable one must not make the whole state unreadable.
    fn decode(text: &str) -> Self {
        let page = |part: &str| {
            let (blob, hash) = part.split_once(':')?;
            if blob.len() != 40 || hash.len() != 16 {
                return None;
            }
            Some((
                Oid::from_str(blob).ok()?,
                u64::from_str_radix(hash, 16).ok()?,
            ))
        };
        text.split(' ')
            .map(page)
            .collect::<Option<Vec<_>>>()
            .map(Self::new)
            .unwrap_or_default()
    }
}

impl Serialize for KeptPages {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for KeptPages {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Self::decode(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(hex: &str) -> Oid {
        Oid::from_str(hex).expect("hex")
    }

    #[test]
    fn encodes_and_decodes() {
        let memo = KeptPages::new([
            (oid("0123456789abcdef0123456789abcdef01234567"), 0xfeed),
            (oid("89abcdef0123456789abcdef0123456789abcdef"), u64::MAX),
        ]);
        let text = memo.encode();
        assert_eq!(
            text,
            "0123456789abcdef0123456789abcdef01234567:000000000000feed \
             89abcdef0123456789abcdef0123456789abcdef:ffffffffffffffff"
        );
        assert_eq!(KeptPages::decode(&text), memo);
        let json = serde_json::to_string(&memo).expect("json");
        assert_eq!(
            serde_json::from_str::<KeptPages>(&json).expect("back"),
            memo
        );
    }

    #[test]
    fn unreadable_text_is_an_empty_memo() {
        for text in [
            "",
            "nonsense",
            "0123456789abcdef0123456789abcdef01234567",
            "0123456789abcdef0123456789abcdef01234567:feed",
            "0123456789abcdef0123456789abcdef0123456z:000000000000feed",
            "0123456789abcdef0123456789abcdef01234567:000000000000feed x",
        ] {
            assert!(KeptPages::decode(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn answers_for_the_blobs_it_knows() {
        let a = oid("0123456789abcdef0123456789abcdef01234567");
        let b = oid("89abcdef0123456789abcdef0123456789abcdef");
        let memo = KeptPages::new([(a, 7)]);
        assert_eq!(memo.hash_of(a), Some(7));
        assert_eq!(memo.hash_of(b), None);
        assert!(memo.covers(&[a]));
        assert!(!memo.covers(&[a, b]));
        assert!(KeptPages::default().covers(&[]));
    }
}
