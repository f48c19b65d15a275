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

    /// Calls `f(index, payload)` for every record from `from` on, in order; returns one
    /// past the last index read.
    pub fn for_each(&self, from: u64, mut f: impl FnMut(u64, &[u8])) -> Result<u64, ReadError> {
        let first = self.first_segment(from);
        let mut end = self.segments.get(first).map_or(0, |(b, _)| *b);
        for i in first..self.segments.len() {
            self.check_base(i, end)?;
            end = self.segment_records(i, from, &mut f)?;
        }
        Ok(end)
    }

    /// Segment `i` must start where the previous one ended.
    fn check_base(&self, i: usize, expected: u64) -> Result<(), ReadError> {
        let (base, _) = &self.segments[i];
        if *base != expected {
            return Err(ReadError::Damaged {
                segment: segment::file_name(*base),
                offset: 0,
                reason: format!("index gap: the previous segment ends at {expected}"),
            });
        }
        Ok(())
    }

    fn first_segment(&self, from: u64) -> usize {
        self.segments
            .partition_point(|(b, _)| *b <= from)
            .saturating_sub(1)
    }

    /// Reads segment `i` (strictly: only the ledger's last segment may end torn or be an
    /// unfinished stub); returns one past its last index.
    fn segment_records(
        &self,
        i: usize,
        from: u64,
        f: &mut impl FnMut(u64, &[u8]),
    ) -> Result<u64, ReadError> {
        let (base, path) = &self.segments[i];
        let last = i + 1 == self.segments.len();
        let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let name = segment::file_name(*base);
        let scan = match segment::scan(&bytes, *base) {
            // A segment whose creation a crash interrupted holds no records.
            Err((segment::SegmentError::Header(segment::HeaderError::Incomplete(_)), _))
                if last && segment::is_unfinished(&bytes) =>
            {
                return Ok(*base);
            }
            other => other.map_err(|(e, hl)| ReadError::Damaged {
                segment: name.clone(),
                offset: e.offset(hl).unwrap_or(0),
                reason: e.to_string(),
            })?,
        };
        if let Tail::Torn { offset } = scan.tail
            && !last
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
        Ok(base.saturating_add(scan.frames.len() as u64))
    }

    /// The records from index `from` on, in order, as `(index, canonical bytes)`; one
    /// segment is read at a time. Damage ends the iteration with an error.
    pub fn records(&self, from: u64) -> Records<'_> {
        Records {
            files: self,
            next_segment: self.first_segment(from),
            end: None,
            from,
            buffered: std::collections::VecDeque::new(),
            failed: false,
        }
    }

    /// The canonical bytes of record `index`.
    pub fn record(&self, index: u64) -> Result<Vec<u8>, ReadError> {
        match self.records(index).next() {
            Some(Ok((i, payload))) if i == index => Ok(payload),
            Some(Err(e)) => Err(e),
            _ => Err(ReadError::NoSuchRecord {
                index,
                first: self.segments.first().map_or(0, |(b, _)| *b),
                end: self.for_each(u64::MAX, |_, _| {})?,
            }),
        }
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

/// Iterator over a ledger's records ([`LogFiles::records`]).
pub struct Records<'a> {
    files: &'a LogFiles,
    next_segment: usize,
    /// Where the previous segment ended.
    end: Option<u64>,
    from: u64,
    buffered: std::collections::VecDeque<(u64, Vec<u8>)>,
    failed: bool,
}

impl Iterator for Records<'_> {
    type Item = Result<(u64, Vec<u8>), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.buffered.pop_front() {
                return Some(Ok(r));
            }
            if self.failed || self.next_segment >= self.files.segments.len() {
                return None;
            }
            let i = self.next_segment;
            self.next_segment += 1;
            if let Some(end) = self.end
                && let Err(e) = self.files.check_base(i, end)
            {
                self.failed = true;
                return Some(Err(e));
            }
            let buffered = &mut self.buffered;
            let result = self.files.segment_records(i, self.from, &mut |idx, p| {
                buffered.push_back((idx, p.to_vec()))
            });
            match result {
                Ok(end) => self.end = Some(end),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
