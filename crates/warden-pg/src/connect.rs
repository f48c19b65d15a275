//! Connecting: where the server is decides the default TLS mode, the mode decides the
//! connector.

use std::error::Error as _;
use std::net::IpAddr;
use std::path::PathBuf;

use tokio_postgres::config::{Host, SslMode as TokioSslMode};
use tokio_postgres::{Client, Config};

use crate::params::{RootCert, SslMode, TlsParams};
use crate::tls::{MakeConnector, TlsConfigError, client_config};

/// How a connection reaches the server; the weakest of its hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Transport {
    /// A Unix-domain socket: the server offers no TLS there and nothing leaves the
    /// machine.
    Socket,
    /// TCP to this machine (`localhost`, 127.0.0.0/8, ::1).
    Loopback,
    /// TCP to anything else.
    Network,
}

/// The transport of `config`'s hosts (the weakest when there are several). A `hostaddr`
/// is where tokio-postgres really connects, so it counts too: `host=localhost
/// hostaddr=203.0.113.5` is a network connection.
pub fn transport(config: &Config) -> Transport {
    let by_name = config.get_hosts().iter().map(|h| match h {
        Host::Unix(_) => Transport::Socket,
        Host::Tcp(name) => host_transport(name),
    });
    let by_address = config.get_hostaddrs().iter().map(|ip| {
        if ip.is_loopback() {
            Transport::Loopback
        } else {
            Transport::Network
        }
    });
    by_name
        .chain(by_address)
        .max()
        // tokio-postgres refuses a config without hosts; this is only for the question.
        .unwrap_or(Transport::Loopback)
}

/// The transport to one host name or address (a leading `/` is a socket directory).
pub fn host_transport(host: &str) -> Transport {
    if host.starts_with('/') {
        return Transport::Socket;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Transport::Loopback
    } else {
        Transport::Network
    }
}

impl TlsParams {
    /// The mode used over `transport`: what was asked for, else the safe default — no
    /// TLS over a socket (there is none), `prefer` to loopback, `verify-full` over the
    /// network. As in libpq: `sslrootcert=system` without a mode is `verify-full`, and
    /// `require` with a root certificate file (given, or `~/.postgresql/root.crt`) is
    /// `verify-ca`.
    pub fn effective_mode(&self, transport: Transport) -> SslMode {
        if transport == Transport::Socket {
            return SslMode::Disable;
        }
        let mode = self.mode.unwrap_or(match (&self.root_cert, transport) {
            (Some(RootCert::System), _) | (_, Transport::Network) => SslMode::VerifyFull,
            _ => SslMode::Prefer,
        });
        if mode == SslMode::Require && matches!(self.root_file(), Some(RootCert::File(_))) {
            SslMode::VerifyCa
        } else {
            mode
        }
    }

    /// `sslrootcert`, else libpq's default file `~/.postgresql/root.crt` when it exists.
    fn root_file(&self) -> Option<RootCert> {
        if let Some(r) = &self.root_cert {
            return Some(r.clone());
        }
        std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".postgresql/root.crt"))
            .filter(|p| p.is_file())
            .map(RootCert::File)
    }

    /// The trusted roots for `mode`, or why the combination is refused:
    /// - `verify-full`: the root file, else the system trust store (libpq would fail
    ///   without a file; public CAs plus the name check are still a real check);
    /// - `verify-ca`: a root file only — with the system store any publicly trusted
    ///   certificate for any name would pass;
    /// - the unverified modes: `sslrootcert=system` is refused with them (as libpq does).
    pub fn roots_for(&self, mode: SslMode) -> Result<RootCert, TlsConfigError> {
        let combination = |why: &str| TlsConfigError::Combination(why.to_string());
        match (mode, self.root_file()) {
            (SslMode::VerifyFull, root) => Ok(root.unwrap_or(RootCert::System)),
            (SslMode::VerifyCa, Some(RootCert::File(f))) => Ok(RootCert::File(f)),
            (SslMode::VerifyCa, _) => Err(combination(
                "sslmode=verify-ca needs sslrootcert=FILE (the CA that signed the server's certificate): against the system trust store any public certificate, issued for any name, would pass; use verify-full for a publicly trusted server",
            )),
            (_, Some(RootCert::System)) => Err(combination(&format!(
                "sslrootcert=system needs sslmode=verify-full (or no sslmode), not {mode}: trusting the public CAs without checking the name would accept any of their certificates"
            ))),
            // No chain is checked: the roots are not used.
            (_, root) => Ok(root.unwrap_or(RootCert::System)),
        }
    }
}

/// Why a connection failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The TLS configuration could not be built (roots unreadable).
    #[error("{0}")]
    Tls(#[from] TlsConfigError),
    /// The server refused, or could not be reached, or the handshake failed.
    #[error("{}", describe_error(.0))]
    Postgres(#[from] tokio_postgres::Error),
}

impl ConnectError {
    /// The server's SQLSTATE, when it sent an error.
    pub fn code(&self) -> Option<&tokio_postgres::error::SqlState> {
        self.as_db_error().map(|d| d.code())
    }

    /// The server's own error, when it sent one.
    pub fn as_db_error(&self) -> Option<&tokio_postgres::error::DbError> {
        match self {
            ConnectError::Postgres(e) => e.as_db_error(),
            ConnectError::Tls(_) => None,
        }
    }
}

/// Connects with `config` and TLS as `tls` says over the config's transport; the
/// connection is driven on the current runtime until the client is dropped. Returns the
/// mode used.
pub async fn connect(config: &Config, tls: &TlsParams) -> Result<(Client, SslMode), ConnectError> {
    let mode = tls.effective_mode(transport(config));
    let roots = tls.roots_for(mode)?;
    let mut config = config.clone();
    config.ssl_mode(match mode {
        SslMode::Disable => TokioSslMode::Disable,
        SslMode::Allow | SslMode::Prefer => TokioSslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => TokioSslMode::Require,
    });
    // With `disable`, tokio-postgres never asks the connector for a handshake.
    let connector = MakeConnector::new(client_config(mode, &roots)?);
    let (client, conn) = config.connect(connector).await?;
    tokio::spawn(conn);
    Ok((client, mode))
}

/// A connection error as one line: the server's message and code, or the causes down to
/// the TLS or network reason, with what to do for certificate failures.
pub fn describe_error(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} ({})", db.message(), db.code().code());
        if let Some(d) = db.detail() {
            s.push_str(&format!("; detail: {d}"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!("; hint: {h}"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = cause.source();
    }
    if s.contains("UnknownIssuer") || s.contains("unknown issuer") {
        s.push_str(
            "; the server's certificate is not signed by a trusted root: give its CA with sslrootcert=FILE (the provider's CA bundle)",
        );
    } else if s.contains("NotValidForName") || s.contains("not valid for name") {
        s.push_str(
            "; the certificate is not issued for the host connected to: connect by the name in the certificate, or use sslmode=verify-ca to check the chain only",
        );
    } else if s.contains("server does not support TLS") {
        s.push_str("; the server has ssl=off: enable TLS there, or connect over its Unix socket");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_mode_follows_the_transport() {
        let none = TlsParams::default();
        assert_eq!(none.effective_mode(Transport::Socket), SslMode::Disable);
        assert_eq!(none.effective_mode(Transport::Loopback), SslMode::Prefer);
        assert_eq!(none.effective_mode(Transport::Network), SslMode::VerifyFull);
        let asked = TlsParams {
            mode: Some(SslMode::Disable),
            root_cert: None,
        };
        assert_eq!(asked.effective_mode(Transport::Network), SslMode::Disable);
        let require_with_file = TlsParams {
            mode: Some(SslMode::Require),
            root_cert: Some(RootCert::File("/ca.pem".into())),
        };
        assert_eq!(
            require_with_file.effective_mode(Transport::Network),
            SslMode::VerifyCa
        );
        let verify_on_socket = TlsParams {
            mode: Some(SslMode::VerifyFull),
            root_cert: None,
        };
        assert_eq!(
            verify_on_socket.effective_mode(Transport::Socket),
            SslMode::Disable
        );
    }

    #[test]
    fn modes_and_roots_that_do_not_make_a_check_are_refused() {
        let with = |mode: Option<SslMode>, root: Option<RootCert>| TlsParams {
            mode,
            root_cert: root,
        };
        let file = || Some(RootCert::File("/ca.pem".into()));
        // sslrootcert=system alone means verify-full, even to loopback.
        let system = with(None, Some(RootCert::System));
        assert_eq!(
            system.effective_mode(Transport::Loopback),
            SslMode::VerifyFull
        );
        assert_eq!(
            system.roots_for(SslMode::VerifyFull).ok(),
            Some(RootCert::System)
        );
        // ...and with a weaker mode it is refused.
        let e = with(Some(SslMode::Require), Some(RootCert::System))
            .roots_for(SslMode::Require)
            .expect_err("system without the name check");
        assert!(
            e.to_string()
                .starts_with("sslrootcert=system needs sslmode=verify-full"),
            "{e}"
        );
        // verify-ca only against a file of the server's CA.
        let e = with(Some(SslMode::VerifyCa), Some(RootCert::System))
            .roots_for(SslMode::VerifyCa)
            .expect_err("verify-ca against public CAs");
        assert!(
            e.to_string()
                .starts_with("sslmode=verify-ca needs sslrootcert=FILE"),
            "{e}"
        );
        assert_eq!(
            with(Some(SslMode::VerifyCa), file())
                .roots_for(SslMode::VerifyCa)
                .ok(),
            file()
        );
        assert_eq!(
            with(Some(SslMode::VerifyFull), file())
                .roots_for(SslMode::VerifyFull)
                .ok(),
            file()
        );
    }

    #[test]
    fn a_hostaddr_is_where_the_connection_goes() {
        let c: Config = "host=localhost hostaddr=203.0.113.5 user=u"
            .parse()
            .expect("config");
        assert_eq!(transport(&c), Transport::Network);
        let c: Config = "host=db.example hostaddr=127.0.0.1 user=u"
            .parse()
            .expect("config");
        assert_eq!(
            transport(&c),
            Transport::Network,
            "the weakest of name and address"
        );
        let c: Config = "hostaddr=127.0.0.1 user=u".parse().expect("config");
        assert_eq!(transport(&c), Transport::Loopback);
    }

    #[test]
    fn hosts_are_classified() {
        assert_eq!(host_transport("/var/run/postgresql"), Transport::Socket);
        assert_eq!(host_transport("localhost"), Transport::Loopback);
        assert_eq!(host_transport("127.0.0.2"), Transport::Loopback);
        assert_eq!(host_transport("[::1]"), Transport::Loopback);
        assert_eq!(host_transport("::1"), Transport::Loopback);
        assert_eq!(host_transport("db.internal"), Transport::Network);
        assert_eq!(host_transport("10.0.0.5"), Transport::Network);
        let mut c = Config::new();
        c.host_path("/run/pg").host("localhost");
        assert_eq!(transport(&c), Transport::Loopback);
        c.host("db.example");
        assert_eq!(transport(&c), Transport::Network);
    }
}
