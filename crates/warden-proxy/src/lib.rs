//! `warden proxy`: an MCP server behind a recording, policy-enforcing, fenceable front.
//!
//! - [`gate`]: the transport-agnostic core every message passes (recording, policy,
//!   fence, sessions, detection);
//! - [`stdio`]: the stdio transport (the server is a child process);
//! - [`http`]: Streamable HTTP, as a reverse proxy or in front of a stdio server;
//! - [`audit`]: the ledger writer the proxy records through (audit-before-forward or
//!   async group commit, failing closed);
//! - [`policy`]: the TOML policy (allow/deny, destructive tools, strict arguments,
//!   redaction, pinning, the loop brake, fail-open);
//! - [`strict`], [`pins`], [`redact`], [`brake`]: those levers;
//! - [`admin`]: the admin socket behind `warden proxy fence|unfence|revoke-session|block|…`;
//! - [`net`]: address blocks and rate-limit buckets; [`webhook`]: alert delivery;
//! - [`extract`]: ids, e-mail addresses and hosts found in arguments and results;
//! - [`jsonrpc`]: message classification and error responses.

#![forbid(unsafe_code)]

pub mod admin;
pub mod audit;
pub mod brake;
pub mod extract;
pub mod gate;
pub mod http;
pub mod jsonrpc;
pub mod net;
pub mod pins;
pub mod policy;
pub mod redact;
pub mod stdio;
pub mod strict;
pub mod webhook;
