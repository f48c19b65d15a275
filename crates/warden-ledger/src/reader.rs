//! Read-only access to a ledger directory or bundle for `show`, `tail` and proofs.
//! Strict like [`crate::ledger::Ledger::open`], except that a torn tail of the last
//! segment (unacknowledged bytes a writer will truncate) is skipped, not repaired.

use std::path::{Path, PathBuf};

use crate::frame::Tail;
use crate::ledger::SEGMENTS_DIR;
use crate::merkle::{Tree, leaf_hash};
use crate::segment;

/// Why a ledger could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is not a ledger directory or bundle (no segments/ directory)")]
    NotALog(String),
    #[error(
        "the ledger is damaged at {segment}:{offset}: {reason}; run `warden log verify` for a full report"
    )]
    Damaged {
        segment: String,
        offset: usize,
        reason: String,
    },
    #[error("record {index} does not exist (the ledger holds records {first}..{end})")]
    NoSuchRecord { index: u64, first: u64, end: u64 },
}

/// The segment files of a ledger or bundle.
pub struct LogFiles {
    segments: Vec<(u64, PathBuf)>,
}

impl LogFiles {
    /// Lists the segments under `dir`.
    pub fn open(dir: &Path) -> Result<LogFiles, ReadError> {
        let seg_dir = dir.join(SEGMENTS_DIR);
        if !seg_dir.is_dir() {
            return Err(ReadError::NotALog(dir.display().to_string()));
        }
        let segments = segment::list(&seg_dir).map_err(|source| ReadError::Io {
            path: seg_dir.display().to_string(),
            source,
        })?;
        Ok(LogFiles { segments })
    }

    /// Calls `f(index, payload)` for every record from `from` on, in order.
    pub fn for_each(&self, from: u64, mut f: impl FnMut(u64, &[u8])) -> Result<u64, ReadError> {
        let start = self
            .segments
            .partition_point(|(b, _)| *b <= from)
            .saturating_sub(1);
        let mut end = self.segments.first().map_or(0, |(b, _)| *b);
        let n = self.segments.len();
        for (i, (base, path)) in self.segments.iter().enumerate().skip(start) {
            let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
                path: path.display().to_string(),
                source,
            })?;
            let name = segment::file_name(*base);
            let scan = match segment::scan(&bytes, *base) {
                // A segment whose creation a crash interrupted holds no records.
                Err((segment::SegmentError::Header(segment::HeaderError::Incomplete(_)), _))
                    if i + 1 == n =>
                {
                    continue;
                }
                other => other,
            };
            let scan = scan.map_err(|(e, hl)| ReadError::Damaged {
                segment: name.clone(),
                offset: e.offset(hl).unwrap_or(0),
                reason: e.to_string(),
            })?;
            if let Tail::Torn { offset } = scan.tail
                && i + 1 != n
            {
                return Err(ReadError::Damaged {
                    segment: name,
                    offset: scan.header_len + offset,
                    reason: "a sealed segment ends in a damaged frame".into(),
                });
            }
            for fr in &scan.frames {
                if fr.index >= from {
                    f(fr.index, fr.payload);
                }
            }
            end = base + scan.frames.len() as u64;
        }
        Ok(end)
    }

    /// The canonical bytes of record `index`.
    pub fn record(&self, index: u64) -> Result<Vec<u8>, ReadError> {
        let mut found = None;
        let end = self.for_each(index, |i, p| {
            if i == index && found.is_none() {
                found = Some(p.to_vec());
            }
        })?;
        found.ok_or(ReadError::NoSuchRecord {
            index,
            first: self.segments.first().map_or(0, |(b, _)| *b),
            end,
        })
    }

    /// The Merkle tree of every record (the ledger must start at index 0).
    pub fn tree(&self) -> Result<Tree, ReadError> {
        let mut tree = Tree::new();
        self.for_each(0, |_, p| {
            tree.push_hash(leaf_hash(p));
        })?;
        Ok(tree)
    }
}
