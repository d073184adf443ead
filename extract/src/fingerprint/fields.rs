//! The fingerprint's hash input: length-prefixed fields, gathered in a buffer and handed to
//! SHA-256 in large pieces. A page gives thousands of fields of a few bytes (a tag name, a flag);
//! updating the hasher with each cost more than its compression. The length is a LEB128 varint
//! (one byte below 128): a fixed 8-byte length made most of the bytes hashed.

use sha2::{Digest, Sha256};

/// Buffered bytes are hashed once there are this many.
const FLUSH_AT: usize = 8 * 1024;

pub(super) struct Fields {
    hasher: Sha256,
    buf: Vec<u8>,
}

impl Fields {
    pub(super) fn new() -> Self {
        Self {
            hasher: Sha256::new(),
            buf: Vec::with_capacity(FLUSH_AT + 64),
        }
    }

    /// Writes one field, prefixed with its length, so that no two sequences of fields hash alike.
    pub(super) fn put(&mut self, bytes: &[u8]) {
        put_len(&mut self.buf, bytes.len());
        if bytes.len() >= FLUSH_AT {
            self.flush();
            self.hasher.update(bytes);
            return;
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= FLUSH_AT {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.hasher.update(&self.buf);
        self.buf.clear();
    }

    pub(super) fn finish(mut self) -> [u8; 32] {
        self.flush();
        self.hasher.finalize().into()
    }
}

/// Appends `len` as a LEB128 varint: self-delimiting, so the fields stay unambiguous.
fn put_len(buf: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        buf.push((len as u8) | 0x80);
        len >>= 7;
    }
    buf.push(len as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The buffered fields hash exactly as field-by-field updates would, across flushes and
    /// for fields longer than the buffer.
    #[test]
    fn buffered_fields_hash_like_direct_updates() {
        let fields: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"E".to_vec(),
            vec![b'x'; FLUSH_AT - 3],
            b"main".to_vec(),
            vec![b'y'; FLUSH_AT * 3 + 5],
            b"T".to_vec(),
            vec![b'z'; 100],
        ];
        let mut direct = Sha256::new();
        let mut buffered = Fields::new();
        for f in &fields {
            let mut len = Vec::new();
            put_len(&mut len, f.len());
            direct.update(&len);
            direct.update(f);
            buffered.put(f);
        }
        let want: [u8; 32] = direct.finalize().into();
        assert_eq!(buffered.finish(), want);
    }

    #[test]
    fn lengths_are_leb128() {
        for (len, want) in [
            (0, &[0u8][..]),
            (1, &[1]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (16_384, &[0x80, 0x80, 0x01]),
        ] {
            let mut buf = Vec::new();
            put_len(&mut buf, len);
            assert_eq!(buf, want, "{len}");
        }
    }
}
