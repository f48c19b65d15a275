//! The tamper-evident audit log (issue 3). So far: the RFC 6962 / RFC 9162 Merkle tree
//! that every record of the log is a leaf of — tree hashes, an incrementally maintained
//! tree, and inclusion and consistency proofs with the RFC's verification algorithms.
//! Segments, frames, signed checkpoints and the `warden log` commands build on it.

#![forbid(unsafe_code)]

pub mod merkle;
