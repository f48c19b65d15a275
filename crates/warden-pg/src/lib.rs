//! PostgreSQL connections as libpq makes them, for Warden's two PostgreSQL users: the
//! scan-history store (`warden-history`) and the credential rotation
//! (`warden-incident`).
//!
//! `tokio-postgres` knows `sslmode=disable|prefer|require` and no root certificates;
//! this crate adds what a connection to a managed database needs:
//!
//! - libpq's TLS parameters in a connection string: `sslmode` with `verify-ca` and
//!   `verify-full`, `sslrootcert` (a PEM file, or `system` for the platform's trust
//!   store), also from `PGSSLMODE` / `PGSSLROOTCERT` ([`params`]);
//! - a rustls connector that verifies as the mode says and gives the server's
//!   certificate hash to SCRAM, so `SCRAM-SHA-256-PLUS` (channel binding) is used when
//!   the server offers it ([`tls`]);
//! - the safe default where the string says nothing: no TLS over a Unix socket (the
//!   server offers none there), opportunistic TLS to this machine's loopback, and
//!   `verify-full` to anything over the network ([`connect`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod connect;
pub mod params;
pub mod tls;

pub use connect::{ConnectError, Transport, connect, describe_error, host_transport, transport};
pub use params::{Conninfo, ParamError, RootCert, SslMode, TlsParams, parse};
