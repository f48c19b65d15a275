//! Scan history (issue 6): every saved scan of a target — its identity (repository,
//! commit, dirty state), grades per axis, findings by fingerprint, the tool inventory by
//! definition hash — kept in a store, and what the history says: which findings are
//! new, fixed or persisting between two scans, which tools changed (a possible rug
//! pull), and which axis is drifting down.
//!
//! - [`model`]: what a saved scan holds (the store's unit);
//! - [`store`]: SQLite (default) and PostgreSQL, versioned migrations;
//! - [`target`]: what was scanned — the path and the git identity, read without running
//!   the repository's code;
//! - [`convert`]: a `warden scan --format json` report → a [`model::SavedScan`];
//! - [`diff`] and [`drift`]: the deltas, as pure functions over [`model::SavedScan`]s;
//! - [`history`] and [`chart`]: the timeline as a table and sparklines;
//! - [`against`]: the repository now against a baseline scan, with the changed files
//!   that touch a finding, a tool or the configuration.

#![forbid(unsafe_code)]

pub mod against;
pub mod chart;
pub mod convert;
pub mod diff;
pub mod drift;
pub mod history;
pub mod model;
pub mod store;
pub mod target;
pub mod text;
#[cfg(test)]
mod unit_tests;
