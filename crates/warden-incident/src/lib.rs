//! The incident playbook (`warden incident`, `warden inventory`, `warden readiness`).
//!
//! Built so far: [`inventory`], the credential inventory — every long-lived credential a
//! server holds, found in its code, configuration and environment files, with its
//! vendor, where it is read, the scope visible from code and the rotation procedure
//! (values are never kept: only fingerprints); and [`case`], the incident case with its
//! signed, hash-chained journal and the 60-minute timeline; [`scope`], phase 1; and
//! [`bundle`], phase 4 (preserve): the sealed BagIt evidence bundle with its chain of
//! custody, and `verify-bundle`.

#![forbid(unsafe_code)]

pub mod bundle;
pub mod case;
pub mod inventory;
pub mod scope;
pub mod vendor;
