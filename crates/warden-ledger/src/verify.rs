//! Offline verification of a ledger directory or an exported bundle, CloudTrail
//! `validate-logs` style but stricter: every frame's CRC, index continuity across
//! segments, every checkpoint's signature by a trusted key, every signed root against
//! the records, forks between checkpoints, truncation below a checkpoint, the unsigned
//! tail, and, for bundles, every file against the manifest.
//!
//! Verification never writes and never repairs. It streams the records through a
//! [`CompactRange`], so memory stays O(log n) whatever the log's size.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::frame::{FrameError, Tail};
use crate::hmac::hex;
use crate::ledger::{CHECKPOINT_FILE, CHECKPOINT_LOG, SEGMENTS_DIR};
use crate::merkle::{CompactRange, Hash, leaf_hash};
use crate::note::{Checkpoint, Note, NoteError, NoteVerifier};
use crate::segment::{self, SegmentError};

/// The manifest of an exported bundle (see [`crate::export`]).
pub const SUMS_FILE: &str = "SHA256SUMS";
/// The bundle's description (range, prefix, chain to the previous export).
pub const MANIFEST_FILE: &str = "manifest.json";

/// The verdict on one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum Status {
    Valid,
    Invalid(String),
    Warning(String),
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// `segment <file>`, `checkpoint #<n> (checkpoints.log) size <s>`, `file <name>`,
    /// `manifest manifest.json`, `log`.
    pub object: String,
    #[serde(flatten)]
    pub status: Status,
}

/// Totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// First record index present.
    pub first_index: u64,
    /// One past the last record index verified.
    pub end_index: u64,
    pub records_verified: u64,
    pub segments_valid: usize,
    pub segments_total: usize,
    pub checkpoints_valid: usize,
    pub checkpoints_total: usize,
    /// Records after the newest valid checkpoint.
    pub unsigned_tail: u64,
    /// The newest valid checkpoint's size.
    pub signed_size: Option<u64>,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub lines: Vec<Line>,
    pub summary: Summary,
}

impl Report {
    /// 0 all valid, 1 anything invalid, 3 valid with warnings.
    pub fn exit_code(&self) -> i32 {
        if self
            .lines
            .iter()
            .any(|l| matches!(l.status, Status::Invalid(_)))
        {
            1
        } else if self
            .lines
            .iter()
            .any(|l| matches!(l.status, Status::Warning(_)))
        {
            3
        } else {
            0
        }
    }

    fn push(&mut self, object: impl Into<String>, status: Status) {
        self.lines.push(Line {
            object: object.into(),
            status,
        });
    }
}

/// Errors that stop verification before it can judge anything (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is neither a ledger directory nor an export bundle (no segments/ directory)")]
    NotALog(String),
    #[error("bad trusted key: {0}")]
    Key(NoteError),
    #[error("{MANIFEST_FILE} is unreadable: {0}")]
    Manifest(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> VerifyError + '_ {
    move |source| VerifyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Parses trusted verifier keys (C2SP text form).
pub fn parse_keys(keys: &[String]) -> Result<Vec<NoteVerifier>, VerifyError> {
    keys.iter()
        .map(|k| NoteVerifier::parse(k.trim()).map_err(VerifyError::Key))
        .collect()
}

/// A signed checkpoint as found on disk.
struct Found {
    label: String,
    text: Vec<u8>,
}

/// Verifies the ledger or bundle in `dir` against the `trusted` keys.
pub fn verify(dir: &Path, trusted: &[NoteVerifier]) -> Result<Report, VerifyError> {
    let seg_dir = dir.join(SEGMENTS_DIR);
    if !seg_dir.is_dir() {
        return Err(VerifyError::NotALog(dir.display().to_string()));
    }
    let mut report = Report::default();
    // Any one of the bundle's files makes it a bundle, so deleting SHA256SUMS cannot turn
    // a bundle into a "ledger directory" that skips the manifest checks.
    let bundle = [SUMS_FILE, MANIFEST_FILE, crate::export::MANIFEST_SIG]
        .iter()
        .any(|f| dir.join(f).exists());
    let mut range = CompactRange::new();
    if bundle {
        if !dir.join(SUMS_FILE).exists() {
            report.push(
                format!("file {SUMS_FILE}"),
                Status::Invalid("not found".into()),
            );
        } else {
            check_sums(dir, &mut report)?;
        }
        let status = match crate::export::check_manifest_signature(dir, trusted) {
            Ok(()) => Status::Valid,
            Err(why) => Status::Invalid(why),
        };
        report.push(format!("manifest {MANIFEST_FILE}"), status);
        range = match crate::export::read_prefix(dir) {
            Ok(r) => r,
            Err(why) => {
                report.push(format!("manifest {MANIFEST_FILE}"), Status::Invalid(why));
                CompactRange::new()
            }
        };
    }
    report.summary.first_index = range.size();

    // Checkpoints first, so the roots at their sizes can be captured while streaming.
    let mut torn_log = Vec::new();
    let found = collect_checkpoints(dir, &mut torn_log)?;
    for w in torn_log {
        report.push(CHECKPOINT_LOG, Status::Warning(w));
    }
    let mut parsed: Vec<(String, Result<Checkpoint, String>)> = Vec::new();
    for f in found {
        let result = check_signature(&f.text, trusted);
        let label = match &result {
            Ok(cp) => format!("{} size {}", f.label, cp.size),
            Err(_) => f.label,
        };
        parsed.push((label, result));
    }
    let wanted: BTreeMap<u64, ()> = parsed
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().map(|c| (c.size, ())))
        .collect();
    let mut roots: BTreeMap<u64, Hash> = BTreeMap::new();
    if wanted.contains_key(&range.size()) {
        roots.insert(range.size(), range.root());
    }

    let files = segment::list(&seg_dir).map_err(io(&seg_dir))?;
    report.summary.segments_total = files.len();
    let mut broken_at: Option<u64> = None;
    let mut origin: Option<String> = None;
    let n_files = files.len();
    let mut buf = Vec::new();
    for (i, (base, path)) in files.iter().enumerate() {
        let name = segment::file_name(*base);
        let object = format!("segment {name}");
        if broken_at.is_some() {
            report.push(
                object,
                Status::Invalid("not checked: records before it are missing or damaged".into()),
            );
            continue;
        }
        if *base != range.size() {
            report.push(
                object,
                Status::Invalid(format!(
                    "index gap: records end at {} but this segment starts at {base} (a segment is missing)",
                    range.size()
                )),
            );
            broken_at = Some(range.size());
            continue;
        }
        // One buffer for every segment: fresh 64 MiB allocations cost page faults.
        buf.clear();
        std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_to_end(&mut f, &mut buf))
            .map_err(io(path))?;
        match segment::scan(&buf, *base) {
            Ok(scan) => {
                if origin.as_ref().is_some_and(|o| *o != scan.header.origin) {
                    report.push(
                        object,
                        Status::Invalid(format!(
                            "origin `{}` differs from the earlier segments'",
                            scan.header.origin
                        )),
                    );
                    broken_at = Some(range.size());
                    continue;
                }
                origin.get_or_insert(scan.header.origin.clone());
                let start = range.size();
                for f in &scan.frames {
                    range.push(leaf_hash(f.payload));
                    if wanted.contains_key(&range.size()) {
                        roots.insert(range.size(), range.root());
                    }
                }
                let span = format!("records {start}..{}", range.size());
                match scan.tail {
                    Tail::Clean => {
                        report.summary.segments_valid += 1;
                        report.push(object, Status::Valid);
                    }
                    // In a live ledger the last segment may end in a frame a crash cut
                    // short (never acknowledged); a bundle holds sealed segments only.
                    Tail::Torn { offset } if i + 1 == n_files && !bundle => {
                        report.summary.segments_valid += 1;
                        report.push(
                            object,
                            Status::Warning(format!(
                                "torn tail at {name}:{} after {span} (a crash mid-write; the writer truncates it on open)",
                                scan.header_len + offset
                            )),
                        );
                    }
                    Tail::Torn { offset } => {
                        report.push(
                            object,
                            Status::Invalid(format!(
                                "damaged sealed segment: bad frame at {name}:{} after {span}",
                                scan.header_len + offset
                            )),
                        );
                        broken_at = Some(range.size());
                    }
                }
            }
            Err((e, header_len)) => {
                // Count the good frames before the damage for the summary.
                let reason = describe(&e, &name, header_len);
                report.push(object, Status::Invalid(reason));
                broken_at = Some(range.size());
            }
        }
    }
    let present = range.size();
    report.summary.end_index = broken_at.unwrap_or(present);
    report.summary.records_verified = report.summary.end_index - report.summary.first_index;

    // Judge the checkpoints against the records.
    let matching_sizes: Vec<u64> = parsed
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .filter(|c| roots.get(&c.size) == Some(&c.root) && broken_at.is_none_or(|b| c.size <= b))
        .map(|c| c.size)
        .collect();
    let newest_match = matching_sizes.iter().max().copied();
    report.summary.checkpoints_total = parsed.len();
    for (label, result) in &parsed {
        let status = match result {
            Err(why) => Status::Invalid(why.clone()),
            Ok(cp) if origin.as_ref().is_some_and(|o| *o != cp.origin) => Status::Invalid(format!(
                "origin `{}` is not the log's (`{}`)",
                cp.origin,
                origin.as_deref().unwrap_or_default()
            )),
            Ok(cp) if broken_at.is_some_and(|b| cp.size > b) => Status::Invalid(format!(
                "not verifiable: signs {} records but the log is damaged from index {}",
                cp.size,
                broken_at.unwrap_or_default()
            )),
            Ok(cp) if cp.size > present => Status::Invalid(format!(
                "truncated below a checkpoint: it signs {} records, only {present} are present",
                cp.size
            )),
            Ok(cp) if cp.size < report.summary.first_index => Status::Warning(format!(
                "size {} is before this bundle's first record {}; not checked",
                cp.size, report.summary.first_index
            )),
            Ok(cp) if roots.get(&cp.size) == Some(&cp.root) => Status::Valid,
            Ok(cp) if newest_match.is_some_and(|m| m >= cp.size) => Status::Invalid(format!(
                "inconsistent checkpoint (fork): its root for size {} is not the root of the records, which match the checkpoint of size {}",
                cp.size,
                newest_match.unwrap_or_default()
            )),
            Ok(cp) => Status::Invalid(format!(
                "hash mismatch: records {}..{} do not produce the signed root (records were altered)",
                report.summary.first_index, cp.size
            )),
        };
        if status == Status::Valid {
            report.summary.checkpoints_valid += 1;
        }
        report.push(label.clone(), status);
    }
    report.summary.signed_size = newest_match;
    let signed = newest_match.unwrap_or(report.summary.first_index);
    if broken_at.is_none() && present > signed {
        report.summary.unsigned_tail = present - signed;
        report.push(
            "log",
            Status::Warning(format!(
                "unsigned tail of {} entries (records {signed}..{present} are after the last valid checkpoint)",
                present - signed
            )),
        );
    }
    if parsed.is_empty() {
        report.push(
            "log",
            Status::Warning("no checkpoint found: nothing is signed".into()),
        );
    }
    Ok(report)
}

fn describe(e: &SegmentError, name: &str, header_len: usize) -> String {
    match e {
        SegmentError::Frame(FrameError::Crc { offset, index }) => format!(
            "crc mismatch at {name}:{} (index {index}) with valid data after it",
            header_len + offset
        ),
        SegmentError::Frame(FrameError::IndexGap {
            offset,
            expected,
            found,
        }) => format!(
            "index gap at {name}:{}: expected index {expected}, found {found} (frames moved or removed)",
            header_len + offset
        ),
        SegmentError::Frame(FrameError::TooLarge { offset, len }) => format!(
            "frame at {name}:{} declares {len} bytes (damaged length)",
            header_len + offset
        ),
        SegmentError::Frame(FrameError::Padding { offset }) => format!(
            "non-zero padding after the frame at {name}:{}",
            header_len + offset
        ),
        SegmentError::Header(h) => format!("header of {name}: {h}"),
        SegmentError::Misnamed { header, name: n } => {
            format!("moved: the header says base index {header} but the file is named for {n}")
        }
    }
}

fn collect_checkpoints(dir: &Path, torn: &mut Vec<String>) -> Result<Vec<Found>, VerifyError> {
    let mut out = Vec::new();
    let log = dir.join(CHECKPOINT_LOG);
    match std::fs::read(&log) {
        Ok(bytes) => match crate::frame::scan(&bytes, 0) {
            Ok((frames, tail)) => {
                for f in frames {
                    out.push(Found {
                        label: format!("checkpoint #{} ({CHECKPOINT_LOG})", f.index),
                        text: f.payload.to_vec(),
                    });
                }
                if let crate::frame::Tail::Torn { offset } = tail {
                    torn.push(format!(
                        "{CHECKPOINT_LOG} ends in a torn entry at offset {offset} (a crash mid-write; the writer truncates it on open)"
                    ));
                }
            }
            Err(e) => out.push(Found {
                label: CHECKPOINT_LOG.into(),
                text: format!("damaged: {e}").into_bytes(),
            }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&log)(e)),
    }
    let latest = dir.join(CHECKPOINT_FILE);
    match std::fs::read(&latest) {
        Ok(text) => out.push(Found {
            label: format!("checkpoint ({CHECKPOINT_FILE})"),
            text,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&latest)(e)),
    }
    Ok(out)
}

/// Checks a signed checkpoint's signature; `Err` is the reason it is invalid.
pub fn check_signature(text: &[u8], trusted: &[NoteVerifier]) -> Result<Checkpoint, String> {
    let text = std::str::from_utf8(text).map_err(|_| "not UTF-8 text".to_string())?;
    let note = Note::parse(text).map_err(|e| format!("malformed signed note: {e}"))?;
    match note.verify(trusted) {
        Ok(_) => {}
        Err(NoteError::NoTrustedSignature) => {
            return Err("unknown key: no signature by a trusted key".into());
        }
        Err(NoteError::BadSignature(k)) => {
            return Err(format!("signature verification failed (key {k})"));
        }
        Err(e) => return Err(e.to_string()),
    }
    Checkpoint::parse(&note.text).map_err(|e| e.to_string())
}

fn check_sums(dir: &Path, report: &mut Report) -> Result<(), VerifyError> {
    let sums_path = dir.join(SUMS_FILE);
    let text = std::fs::read_to_string(&sums_path).map_err(io(&sums_path))?;
    let mut listed = std::collections::BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let Some((want, name)) = line.split_once("  ") else {
            report.push(
                format!("{SUMS_FILE} line {}", n + 1),
                Status::Invalid("not `<sha256>  <file>`".into()),
            );
            continue;
        };
        let rel = PathBuf::from(name);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            report.push(
                format!("file {name}"),
                Status::Invalid("path escapes the bundle".into()),
            );
            continue;
        }
        listed.insert(name.to_string());
        let object = format!("file {name}");
        match std::fs::read(dir.join(&rel)) {
            Ok(bytes) if hex(&Sha256::digest(&bytes)) == want => report.push(object, Status::Valid),
            Ok(_) => report.push(
                object,
                Status::Invalid("hash mismatch (SHA-256 differs from the manifest)".into()),
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                report.push(object, Status::Invalid("not found".into()));
            }
            Err(e) => return Err(io(&dir.join(rel))(e)),
        }
    }
    let seg_dir = dir.join(SEGMENTS_DIR);
    for (base, _) in segment::list(&seg_dir).map_err(io(&seg_dir))? {
        let name = format!("{SEGMENTS_DIR}/{}", segment::file_name(base));
        if !listed.contains(&name) {
            report.push(
                format!("file {name}"),
                Status::Invalid(format!("not listed in {SUMS_FILE}")),
            );
        }
    }
    Ok(())
}
