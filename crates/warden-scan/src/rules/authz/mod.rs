//! missing-authz: data tools that never ask who is calling.
pub mod fail_open_guard;
pub mod missing_ownership_check;
