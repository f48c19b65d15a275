//! The tamper-evident audit log (issue 3).
//!
//! - [`record`]: the record schema (canonical JSON, OpenTelemetry MCP names, argument
//!   digests);
//! - [`frame`] and [`segment`]: the on-disk format (segment headers, CRC-32C frames, the
//!   scan that tells a torn tail from corruption);
//! - [`merkle`]: the RFC 6962 / RFC 9162 tree, proofs and compact ranges;
//! - [`note`] and [`keys`]: C2SP signed notes and checkpoints, key files;
//! - [`ledger`]: the writer (group commit, checkpoints, recovery on open);
//! - [`verify`], [`proof`], [`export`]: what responders run against a ledger or a bundle.

#![forbid(unsafe_code)]

pub mod export;
pub mod frame;
pub mod hmac;
pub mod keys;
pub mod ledger;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod reader;
pub mod record;
pub mod segment;
pub mod verify;

pub use ledger::{Ledger, LedgerError, OpenOptions};
pub use record::Record;
