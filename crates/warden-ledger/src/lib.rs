//! The tamper-evident audit log (issue 3), being built bottom-up. So far:
//! - [`merkle`]: the RFC 6962 / RFC 9162 Merkle tree every record is a leaf of — tree
//!   hashes, an incrementally maintained tree, inclusion and consistency proofs with the
//!   RFC's verification algorithms;
//! - [`note`]: C2SP signed notes with Ed25519 and tlog checkpoints.
//!
//! Still to come: records (JCS), segment files and frames, group commit, recovery,
//! export, and the `warden log` commands.

#![forbid(unsafe_code)]

pub mod merkle;
pub mod note;
