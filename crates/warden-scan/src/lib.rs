//! Static audit of MCP server repositories.
//!
//! The pipeline, one module per stage: [`walk`] finds files and gives each a role,
//! [`lower`] parses them with tree-sitter into the shared [`ir`], [`discover`] finds the
//! MCP tools, [`flow`] follows tool arguments (and other sources) to sinks, [`rules`]
//! turn what was seen into findings, and [`score`] grades them on six axes.

#![forbid(unsafe_code)]

pub mod discover;
pub mod flow;
pub mod ir;
pub mod lang;
pub mod lower;
pub mod manifest;
pub mod project;
pub mod rules;
pub mod scan;
pub mod score;
pub mod secrets;
pub mod sinks;
pub mod walk;

pub use scan::{ScanError, ScanOptions, ScanReport, scan};
pub use walk::Role;
pub mod baseline;
pub mod docs;
pub mod report;
