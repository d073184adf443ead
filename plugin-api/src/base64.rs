//! Standard base64 (RFC 4648, padded) for the body bytes in JSON, by the `base64` crate's strict
//! standard engine: canonical padding required, no trailing bits, no whitespace. An array of
//! numbers would be four times larger.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serializer};

/// Encodes bytes.
pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes canonical base64, refusing anything else (missing or extra padding, trailing bits,
/// characters outside the alphabet).
pub fn decode(s: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(s)
        .map_err(|e| format!("invalid base64: {e}"))
}

pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    decode(&s).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(super::decode(&super::encode(&bytes)), Ok(bytes));
        }
        assert_eq!(super::encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(super::encode(b"fo"), "Zm8=");
    }

    /// Each input is base64 of something, but not the canonical form: refused.
    #[test]
    fn non_canonical_input_is_refused() {
        for (input, why) in [
            ("Zm8", "missing padding"),
            ("Zm8==", "extra padding"),
            ("Zm9=", "non-zero trailing bits"),
            ("Zm9vYmFy\n", "a line break"),
            ("Zm 8=", "a space"),
            ("Zm-_", "the URL-safe alphabet"),
            ("Zm8=Zm8=", "padding inside"),
        ] {
            assert!(
                super::decode(input).is_err(),
                "{why}: {input:?} was accepted"
            );
        }
    }
}
