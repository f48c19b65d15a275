//! Segment files: a header, then frames ([`crate::frame`]).
//!
//! ```text
//! magic "WLEDGER1" | version u32 | header_len u32 | base_index u64 |
//! created_unix_nano u64 | origin_len u32 | origin (UTF-8) | zero pad | crc32c u32
//! ```
//!
//! All integers little-endian. `header_len` is a multiple of 8 so frames stay aligned;
//! the CRC-32C covers every header byte before it. Files are named by their base index,
//! 20 decimal digits, so a directory listing sorts them.

use std::path::{Path, PathBuf};

use crate::frame::{self, Frame, FrameError, Tail, crc32c};

/// The first eight bytes of every segment.
pub const MAGIC: &[u8; 8] = b"WLEDGER1";
/// The segment format version this code writes and reads.
pub const VERSION: u32 = 1;
/// File extension of segments.
pub const EXTENSION: &str = "wseg";
/// Fixed part of the header before the origin.
const FIXED: usize = 8 + 4 + 4 + 8 + 8 + 4;

/// A decoded segment header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub base_index: u64,
    pub created_unix_nano: u64,
    pub origin: String,
}

/// Why a header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Shorter than a header, or all zeros: a segment whose creation did not finish.
    #[error("the header is incomplete ({0} bytes)")]
    Incomplete(usize),
    #[error("bad magic: not a Warden ledger segment")]
    Magic,
    #[error("segment format version {0} is not supported (this Warden reads {VERSION})")]
    Version(u32),
    #[error("header CRC mismatch")]
    Crc,
    #[error("malformed header: {0}")]
    Malformed(&'static str),
}

impl Header {
    /// The encoded header.
    pub fn encode(&self) -> Vec<u8> {
        let len = Header::encoded_len(&self.origin);
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.extend_from_slice(&self.base_index.to_le_bytes());
        out.extend_from_slice(&self.created_unix_nano.to_le_bytes());
        out.extend_from_slice(&(self.origin.len() as u32).to_le_bytes());
        out.extend_from_slice(self.origin.as_bytes());
        out.resize(len - 4, 0);
        let crc = crc32c(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// The header's size for an origin.
    pub fn encoded_len(origin: &str) -> usize {
        (FIXED + origin.len() + 4).div_ceil(8) * 8
    }

    /// Decodes a header at the start of `bytes`; returns it and its length.
    pub fn decode(bytes: &[u8]) -> Result<(Header, usize), HeaderError> {
        if bytes.len() < FIXED || bytes[..FIXED].iter().all(|b| *b == 0) {
            return Err(HeaderError::Incomplete(bytes.len()));
        }
        if &bytes[..8] != MAGIC {
            return Err(HeaderError::Magic);
        }
        let u32_at = |at: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&bytes[at..at + 4]);
            u32::from_le_bytes(b)
        };
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let version = u32_at(8);
        if version != VERSION {
            return Err(HeaderError::Version(version));
        }
        let len = u32_at(12) as usize;
        let origin_len = u32_at(32) as usize;
        if !len.is_multiple_of(8) || len != (FIXED + origin_len + 4).div_ceil(8) * 8 {
            return Err(HeaderError::Malformed(
                "header length disagrees with the origin",
            ));
        }
        if bytes.len() < len {
            return Err(HeaderError::Incomplete(bytes.len()));
        }
        if crc32c(&bytes[..len - 4]) != u32_at(len - 4) {
            return Err(HeaderError::Crc);
        }
        let origin = std::str::from_utf8(&bytes[FIXED..FIXED + origin_len])
            .map_err(|_| HeaderError::Malformed("origin is not UTF-8"))?
            .to_string();
        Ok((
            Header {
                base_index: u64_at(16),
                created_unix_nano: u64_at(24),
                origin,
            },
            len,
        ))
    }
}

/// Whether `bytes` are a segment whose creation a crash interrupted: all zeros, or
/// shorter than the header they start to declare. Such a file never held an
/// acknowledged record (the header is synced before any record goes in); anything with
/// more in it is damage to report, not a stub to remove. The writer's recovery and the
/// readers decide with this one rule.
pub fn is_unfinished(bytes: &[u8]) -> bool {
    if bytes.iter().all(|b| *b == 0) {
        return true;
    }
    let declared = bytes
        .get(12..16)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    matches!(Header::decode(bytes), Err(HeaderError::Incomplete(_)))
        && declared.is_none_or(|len| bytes.len() < len)
}

/// The file name of the segment whose first record is `base`.
pub fn file_name(base: u64) -> String {
    format!("{base:020}.{EXTENSION}")
}

/// Segment files in `dir`, sorted by base index, with the base their name declares.
pub fn list(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(&format!(".{EXTENSION}")) else {
            continue;
        };
        if stem.len() == 20
            && stem.bytes().all(|b| b.is_ascii_digit())
            && let Ok(base) = stem.parse::<u64>()
        {
            out.push((base, path));
        }
    }
    out.sort();
    Ok(out)
}

/// A segment read from bytes: its header and frames, or the damage found.
#[derive(Debug)]
pub struct Scanned<'a> {
    pub header: Header,
    pub header_len: usize,
    pub frames: Vec<Frame<'a>>,
    pub tail: Tail,
}

/// What is wrong with a segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    #[error("{0}")]
    Header(#[from] HeaderError),
    #[error("{0}")]
    Frame(FrameError),
    #[error("the header says base index {header} but the file name says {name}")]
    Misnamed { header: u64, name: u64 },
}

impl SegmentError {
    /// The file offset of the damage, where one is known.
    pub fn offset(&self, header_len: usize) -> Option<usize> {
        match self {
            SegmentError::Frame(
                FrameError::Crc { offset, .. }
                | FrameError::IndexGap { offset, .. }
                | FrameError::TooLarge { offset, .. }
                | FrameError::Padding { offset },
            ) => Some(header_len + offset),
            _ => Some(0),
        }
    }
}

/// Decodes a whole segment file whose name declares `named_base`.
pub fn scan(bytes: &[u8], named_base: u64) -> Result<Scanned<'_>, (SegmentError, usize)> {
    let (header, header_len) = Header::decode(bytes).map_err(|e| (e.into(), 0))?;
    if header.base_index != named_base {
        return Err((
            SegmentError::Misnamed {
                header: header.base_index,
                name: named_base,
            },
            header_len,
        ));
    }
    let (frames, tail) = frame::scan(&bytes[header_len..], header.base_index)
        .map_err(|e| (SegmentError::Frame(e), header_len))?;
    Ok(Scanned {
        header,
        header_len,
        frames,
        tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            base_index: 4096,
            created_unix_nano: 1_764_081_278_000_000_000,
            origin: "warden.local/test".into(),
        }
    }

    #[test]
    fn header_round_trips_and_is_aligned() {
        let bytes = header().encode();
        assert_eq!(bytes.len() % 8, 0);
        assert_eq!(Header::decode(&bytes), Ok((header(), bytes.len())));
    }

    #[test]
    fn every_single_bit_flip_in_the_header_is_caught() {
        let bytes = header().encode();
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(Header::decode(&b).is_err(), "bit {i} flipped unnoticed");
        }
    }

    #[test]
    fn short_or_zero_headers_are_incomplete() {
        let bytes = header().encode();
        for cut in 0..bytes.len() {
            assert!(Header::decode(&bytes[..cut]).is_err());
        }
        assert_eq!(Header::decode(&[0u8; 64]), Err(HeaderError::Incomplete(64)));
    }

    #[test]
    fn only_empty_or_cut_headers_are_unfinished() {
        let bytes = header().encode();
        assert!(is_unfinished(&[]));
        assert!(is_unfinished(&[0u8; 4096]));
        for cut in 1..bytes.len() {
            assert!(is_unfinished(&bytes[..cut]), "cut at {cut}");
        }
        assert!(!is_unfinished(&bytes), "a whole header");
        // A zeroed header in front of data is damage.
        let mut damaged = vec![0u8; 40];
        damaged.extend_from_slice(b"records follow");
        assert!(!is_unfinished(&damaged));
    }

    #[test]
    fn names_sort_by_base() {
        assert_eq!(file_name(42), "00000000000000000042.wseg");
    }
}
