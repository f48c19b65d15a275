//! The shared vocabulary of Warden.
//!
//! Every other crate speaks in these types: a [`Finding`] with its [`Severity`],
//! [`Confidence`], [`Category`] and [`Axis`]; the [`Grade`] an axis earns; the
//! [`ToolDef`] that discovery extracts from a server's source; and [`time`], the one
//! calendar every crate formats and reads times with. This crate does no I/O.

#![forbid(unsafe_code)]

mod finding;
mod grade;
pub mod jcs;
pub mod time;
mod tool;
mod vocab;

pub use finding::{EvidenceStep, Finding, Fingerprint, Location, Suppression};
pub use grade::{AxisScore, Grade, GradeReport};
pub use tool::{Annotations, Param, ToolDef, Touches};
pub use vocab::{Axis, Category, Confidence, ParseVocabError, Severity};

/// Lower-case hexadecimal SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_answer() {
        // FIPS 180-2 test vector "abc".
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
