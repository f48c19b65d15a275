//! Offline proofs a responder can hand to someone who trusts only the public key.
//!
//! - Inclusion: a C2SP `tlog-proof` (`c2sp.org/tlog-proof@v1`), with the record's
//!   canonical bytes in the `extra` line so the proof carries what it proves.
//! - Consistency: the tlog-witness body, `old <size>`, the proof hashes, a blank line
//!   and the newer signed checkpoint; checked against an older checkpoint the verifier
//!   kept.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::merkle::{Hash, Tree, leaf_hash, verify_consistency, verify_inclusion};
use crate::note::{Checkpoint, NoteVerifier};
use crate::verify::check_signature;

const TLOG_PROOF: &str = "c2sp.org/tlog-proof@v1";

/// A failed proof check, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofCheckError {
    #[error("malformed proof: {0}")]
    Malformed(String),
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    #[error("the proof does not verify: {0}")]
    Invalid(String),
}

/// What a verified inclusion proof establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Included {
    pub index: u64,
    pub checkpoint: Checkpoint,
    /// The record's canonical bytes.
    pub record: Vec<u8>,
}

/// Writes an inclusion proof for record `index` (canonical bytes `record`) under the
/// signed checkpoint `note` (whose size must exceed `index`).
pub fn inclusion(
    tree: &Tree,
    index: u64,
    record: &[u8],
    note: &str,
    checkpoint: &Checkpoint,
) -> Result<String, crate::merkle::ProofError> {
    let path = tree.inclusion_proof(index, checkpoint.size)?;
    let head = format!(
        "{TLOG_PROOF}\nextra {}\nindex {index}\n",
        B64.encode(record)
    );
    Ok(with_path(head, &path, note))
}

/// Checks an inclusion proof against trusted keys.
pub fn check_inclusion(text: &str, trusted: &[NoteVerifier]) -> Result<Included, ProofCheckError> {
    let bad = |w: &str| ProofCheckError::Malformed(w.to_string());
    let (head, note) = text
        .split_once("\n\n")
        .ok_or_else(|| bad("no blank line before the checkpoint"))?;
    let mut lines = head.lines();
    if lines.next() != Some(TLOG_PROOF) {
        return Err(bad("the first line must be c2sp.org/tlog-proof@v1"));
    }
    let mut line = lines.next().ok_or_else(|| bad("no index line"))?;
    let mut record = None;
    if let Some(extra) = line.strip_prefix("extra ") {
        record = Some(B64.decode(extra).map_err(|_| bad("extra is not base64"))?);
        line = lines.next().ok_or_else(|| bad("no index line"))?;
    }
    let index: u64 = line
        .strip_prefix("index ")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad("expected `index <n>`"))?;
    let path = parse_hashes(lines)?;
    let record = record.ok_or_else(|| bad("no `extra` line with the record"))?;
    let checkpoint =
        check_signature(note.as_bytes(), trusted).map_err(ProofCheckError::Checkpoint)?;
    verify_inclusion(
        &leaf_hash(&record),
        index,
        checkpoint.size,
        &path,
        &checkpoint.root,
    )
    .map_err(|e| ProofCheckError::Invalid(e.to_string()))?;
    Ok(Included {
        index,
        checkpoint,
        record,
    })
}

/// Writes a consistency proof from `old` records to the signed checkpoint `note`.
pub fn consistency(
    tree: &Tree,
    old: u64,
    note: &str,
    checkpoint: &Checkpoint,
) -> Result<String, crate::merkle::ProofError> {
    let path = tree.consistency_proof(old, checkpoint.size)?;
    Ok(with_path(format!("old {old}\n"), &path, note))
}

/// Checks a consistency proof against the older signed checkpoint the verifier kept;
/// returns `(old, new)` checkpoints.
pub fn check_consistency(
    text: &str,
    old_note: &str,
    trusted: &[NoteVerifier],
) -> Result<(Checkpoint, Checkpoint), ProofCheckError> {
    let bad = |w: &str| ProofCheckError::Malformed(w.to_string());
    let (head, note) = text
        .split_once("\n\n")
        .ok_or_else(|| bad("no blank line before the checkpoint"))?;
    let mut lines = head.lines();
    let old_size: u64 = lines
        .next()
        .and_then(|l| l.strip_prefix("old "))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad("the first line must be `old <size>`"))?;
    let path = parse_hashes(lines)?;
    let old = check_signature(old_note.as_bytes(), trusted)
        .map_err(|e| ProofCheckError::Checkpoint(format!("the older checkpoint: {e}")))?;
    let new = check_signature(note.as_bytes(), trusted)
        .map_err(|e| ProofCheckError::Checkpoint(format!("the newer checkpoint: {e}")))?;
    if old.size != old_size {
        return Err(ProofCheckError::Invalid(format!(
            "the proof starts at size {old_size} but the older checkpoint has size {}",
            old.size
        )));
    }
    if old.origin != new.origin {
        return Err(ProofCheckError::Invalid(format!(
            "the checkpoints are for different logs (`{}` and `{}`)",
            old.origin, new.origin
        )));
    }
    verify_consistency(old.size, new.size, &old.root, &new.root, &path).map_err(|e| {
        ProofCheckError::Invalid(format!(
            "{e}: the log at size {} does not extend the one you hold at size {} (a fork or a rewrite)",
            new.size, old.size
        ))
    })?;
    Ok((old, new))
}

/// `head`, one base64 hash per line, a blank line, the signed checkpoint.
fn with_path(mut out: String, path: &[Hash], note: &str) -> String {
    for h in path {
        out.push_str(&B64.encode(h));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(note);
    out
}

fn parse_hashes<'a>(lines: impl Iterator<Item = &'a str>) -> Result<Vec<Hash>, ProofCheckError> {
    lines
        .map(|l| {
            let raw = B64
                .decode(l)
                .map_err(|_| ProofCheckError::Malformed(format!("`{l}` is not a base64 hash")))?;
            raw.try_into()
                .map_err(|_| ProofCheckError::Malformed(format!("`{l}` is not 32 bytes")))
        })
        .collect()
}
