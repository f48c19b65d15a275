//! The tamper-evident audit log (issue 3), being built bottom-up. So far:
//! - [`merkle`]: the RFC 6962 / RFC 9162 Merkle tree every record is a leaf of — tree
//!   hashes, an incrementally maintained tree, inclusion and consistency proofs with the
//!   RFC's verification algorithms;
//! - [`note`]: C2SP signed notes with Ed25519 and tlog checkpoints;
//! - [`frame`]: record frames (`len | crc32c | index | payload | pad`) and the segment
//!   scan that tells a torn tail (repairable) from corruption (refuse, with the offset).
//!
//! Still to come: the record schema (JCS), segment files with headers, the group-commit
//! writer, recovery on open, export, and the `warden log` commands.

#![forbid(unsafe_code)]

pub mod frame;
pub mod merkle;
pub mod note;
