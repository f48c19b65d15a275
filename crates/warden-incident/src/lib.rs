//! The incident playbook (`warden incident`, `warden inventory`, `warden readiness`).
//!
//! Built so far: [`inventory`], the credential inventory — every long-lived credential a
//! server holds, found in its code, configuration and environment files, with its
//! vendor, where it is read, the scope visible from code and the rotation procedure
//! (values are never kept: only fingerprints); and [`case`], the incident case with its
//! signed, hash-chained journal and the 60-minute timeline; [`scope`], phase 1; and
//! [`readiness`], the playbook's checklist answered for a server before an incident
//! (audit log, inventory, rehearsals, log retention, scan history, contacts), scored.

#![forbid(unsafe_code)]

pub mod case;
pub mod fix;
pub mod inventory;
pub mod isolate;
pub mod readiness;
pub mod report;
pub mod scope;
pub mod time;
pub mod triage;
pub mod vendor;
