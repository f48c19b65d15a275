//! The incident playbook (`warden incident`, `warden inventory`, `warden readiness`):
//! the first 60 minutes of an MCP server compromise as commands a tired person can run
//! in order, each saying what it found, what it did and what to do next.
//!
//! - [`case`]: the incident case and its signed, hash-chained journal, the timeline;
//! - [`scope`] (phase 1): the ledger verified as it is read, the detectors replayed,
//!   patterns, entry point, still serving;
//! - [`isolate`] (phase 2): fence, revoke, block through the proxy's admin endpoint, and
//!   the commands for the rest of the deployment;
//! - [`inventory`] and [`vendor`]: every long-lived credential a server holds (values
//!   never kept: only fingerprints);
//! - [`rotate`] (phase 3): the ordered plan, with [`pg`], which rotates a PostgreSQL
//!   login for real, and [`secret_store`], the env file it updates;
//! - [`bundle`] (phase 4): the evidence bundle (BagIt, custody chain, seal) and its
//!   verification;
//! - [`triage`] (phase 5): records read by data class, writes, outside hosts, window;
//! - [`report`] (phase 6): the drafts; [`fix`]: verify-fix and return-check;
//! - [`readiness`]: the playbook's checklist answered before an incident, scored;
//! - [`time`]: RFC 3339 times and spans.

#![forbid(unsafe_code)]

pub mod bundle;
pub mod case;
pub mod fix;
pub mod inventory;
pub mod isolate;
pub mod pg;
pub mod readiness;
pub mod report;
pub mod rotate;
pub mod scope;
pub mod secret_store;
pub mod triage;
pub mod vendor;

/// RFC 3339 times and spans (the calendar lives in `warden-core`).
pub use warden_core::time;
