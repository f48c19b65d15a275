//! libpq's TLS parameters (`sslmode`, `sslrootcert`), split off a connection string
//! before `tokio-postgres` parses the rest (it refuses `verify-ca`, `verify-full` and
//! `sslrootcert`).

use std::fmt;
use std::path::PathBuf;

/// libpq's `sslmode`: how much TLS a connection insists on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS only if the server insists (treated as `prefer`: TLS is tried first).
    Allow,
    /// TLS when the server offers it, plain otherwise; the certificate is not checked.
    Prefer,
    /// TLS or nothing; the certificate is not checked (libpq: unless a root certificate
    /// file is given, then as `verify-ca`).
    Require,
    /// TLS with a certificate chain to a trusted root; any host name.
    VerifyCa,
    /// TLS with a certificate chain to a trusted root, issued for the host connected to.
    VerifyFull,
}

impl SslMode {
    /// Every mode, as spelled in a connection string.
    pub const NAMES: &'static str = "disable, allow, prefer, require, verify-ca, verify-full";

    /// The mode spelled `s` (as libpq spells it).
    pub fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    /// The name in a connection string.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether a connection in this mode is never plain text.
    pub fn always_encrypts(self) -> bool {
        self >= SslMode::Require
    }

    /// Whether the server's certificate is checked against trusted roots.
    pub fn verifies(self) -> bool {
        self >= SslMode::VerifyCa
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where trusted root certificates come from (`sslrootcert`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RootCert {
    /// The platform's trust store (`sslrootcert=system`).
    System,
    /// A PEM file of one or more CA certificates.
    File(PathBuf),
}

impl fmt::Display for RootCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootCert::System => f.write_str("the system trust store"),
            RootCert::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The TLS parameters a connection string gave; `None` where it said nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsParams {
    /// `sslmode`.
    pub mode: Option<SslMode>,
    /// `sslrootcert`.
    pub root_cert: Option<RootCert>,
}

impl TlsParams {
    /// The parameters from `PGSSLMODE` and `PGSSLROOTCERT`.
    pub fn from_env() -> Result<TlsParams, ParamError> {
        TlsParams::default().or_env()
    }

    /// These parameters, with `PGSSLMODE` / `PGSSLROOTCERT` filling what is unset (as
    /// libpq lets the environment give what the connection string does not).
    pub fn or_env(mut self) -> Result<TlsParams, ParamError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if self.mode.is_none()
            && let Some(m) = var("PGSSLMODE")
        {
            self.mode = Some(parse_mode(&m, "PGSSLMODE")?);
        }
        if self.root_cert.is_none()
            && let Some(r) = var("PGSSLROOTCERT")
        {
            self.root_cert = Some(root_cert(&r));
        }
        Ok(self)
    }

    /// Sets one parameter of a connection string (the value decoded): `true` if `key` is
    /// a TLS parameter (taken; see [`is_tls_param`]), `false` if it is not one (left to
    /// the caller).
    pub fn set_param(&mut self, key: &str, value: &str) -> Result<bool, ParamError> {
        match key {
            "sslmode" => self.mode = Some(parse_mode(value, "sslmode")?),
            "sslrootcert" => self.root_cert = Some(root_cert(value)),
            _ if UNSUPPORTED.contains(&key) => {
                return Err(ParamError::Unsupported {
                    key: key.to_string(),
                });
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// libpq's TLS parameters this crate refuses by name rather than ignore.
const UNSUPPORTED: &[&str] = &[
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "sslcertmode",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
];

/// Whether `key` is one of libpq's TLS parameters (taken, or refused as unsupported, by
/// [`TlsParams::set_param`]).
pub fn is_tls_param(key: &str) -> bool {
    key == "sslmode" || key == "sslrootcert" || UNSUPPORTED.contains(&key)
}

fn parse_mode(value: &str, key: &str) -> Result<SslMode, ParamError> {
    SslMode::parse(value).ok_or_else(|| ParamError::Invalid {
        key: key.to_string(),
        value: value.to_string(),
        expected: SslMode::NAMES,
    })
}

fn root_cert(value: &str) -> RootCert {
    if value == "system" {
        RootCert::System
    } else {
        RootCert::File(PathBuf::from(value))
    }
}

/// A connection string split in two: what `tokio-postgres` understands, and the TLS
/// parameters.
#[derive(Clone, Debug)]
pub struct Conninfo {
    /// Everything but the TLS parameters.
    pub config: tokio_postgres::Config,
    /// `sslmode` and `sslrootcert`.
    pub tls: TlsParams,
}

/// Why a connection string was refused. Never carries the string itself (it may hold a
/// password).
#[derive(Debug, thiserror::Error)]
pub enum ParamError {
    /// A TLS parameter with a value this crate does not know.
    #[error("{key}={value:?} is not one of: {expected}")]
    Invalid {
        /// The parameter.
        key: String,
        /// Its value (TLS parameters hold no secrets).
        value: String,
        /// The values accepted.
        expected: &'static str,
    },
    /// A libpq TLS parameter this version does not implement.
    #[error(
        "{key} is not supported: this version authenticates with passwords (SCRAM) over TLS, not client certificates, and uses rustls's protocol and revocation defaults; remove {key}"
    )]
    Unsupported {
        /// The parameter.
        key: String,
    },
    /// Malformed percent-encoding or quoting.
    #[error("{0}")]
    Syntax(String),
    /// What `tokio-postgres` said of the rest.
    #[error("{0}")]
    Postgres(String),
}

/// Parses a libpq connection string, URL (`postgres://…`, `postgresql://…`) or
/// `key=value` form, taking the TLS parameters out of it.
pub fn parse(conninfo: &str) -> Result<Conninfo, ParamError> {
    let mut tls = TlsParams::default();
    let lower = conninfo.trim_start().to_ascii_lowercase();
    let rest = if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        strip_url(conninfo, &mut tls)?
    } else {
        strip_keyword_value(conninfo, &mut tls)?
    };
    let config = rest
        .parse::<tokio_postgres::Config>()
        .map_err(|e| ParamError::Postgres(e.to_string()))?;
    Ok(Conninfo { config, tls })
}

/// The URL without its TLS query parameters.
fn strip_url(url: &str, tls: &mut TlsParams) -> Result<String, ParamError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok(url.to_string());
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        // Only the TLS parameters' values are decoded here; the rest goes to
        // tokio-postgres as it was written.
        let Ok(key) = percent_decode(k) else {
            kept.push(pair);
            continue;
        };
        if !is_tls_param(&key) {
            kept.push(pair);
            continue;
        }
        let value = percent_decode(v)
            .map_err(|why| ParamError::Syntax(format!("the value of {key}: {why}")))?;
        tls.set_param(&key, &value)?;
    }
    Ok(if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    })
}

/// Decodes `%XX` escapes (and nothing else: `+` stays `+`, as libpq reads it). The
/// error says what is wrong without the value (it may be a password).
pub fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "a % not followed by two hex digits".to_string())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-decoding gives invalid UTF-8".to_string())
}

/// The `key=value` string without its TLS parameters (libpq's syntax: spaces around
/// `=` allowed, values in single quotes with `\'` and `\\`).
fn strip_keyword_value(s: &str, tls: &mut TlsParams) -> Result<String, ParamError> {
    let mut kept = String::new();
    let mut count = 0usize;
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_ascii_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            // The word is not shown: it may be part of an unquoted password.
            return Err(ParamError::Syntax(format!(
                "parameter {} has no \"=\" after its name (the form is key=value key='value with spaces'; quote values that hold spaces)",
                count + 1
            )));
        }
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\\') => match chars.next() {
                        Some(c) => value.push(c),
                        None => {
                            return Err(ParamError::Syntax(format!(
                                "the value of {key} has no closing quote"
                            )));
                        }
                    },
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => {
                        return Err(ParamError::Syntax(format!(
                            "the value of {key} has no closing quote"
                        )));
                    }
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_ascii_whitespace()) {
                if c == '\\' {
                    if let Some(e) = chars.next() {
                        value.push(e);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        if !tls.set_param(&key, &value)? {
            let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
            kept.push_str(&format!("{key}='{quoted}' "));
        }
        count += 1;
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_keeps_what_tokio_postgres_knows() {
        let ci = parse(
            "postgres://u:p%40ss@db.example:6432/app?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        )
        .expect("parses");
        assert_eq!(ci.tls.mode, Some(SslMode::VerifyFull));
        assert_eq!(ci.tls.root_cert, Some(RootCert::File("/etc/ca.pem".into())));
        assert_eq!(ci.config.get_password(), Some(&b"p@ss"[..]));
        assert_eq!(ci.config.get_application_name(), Some("x"));
        assert_eq!(ci.config.get_ports(), &[6432]);
    }

    #[test]
    fn keyword_value_strings_are_split_with_their_quoting() {
        let ci = parse(
            "host=db.example user=app password='a \\'b\\\\' sslmode = verify-ca sslrootcert=system dbname=x",
        )
        .expect("parses");
        assert_eq!(ci.tls.mode, Some(SslMode::VerifyCa));
        assert_eq!(ci.tls.root_cert, Some(RootCert::System));
        assert_eq!(ci.config.get_password(), Some(&b"a 'b\\"[..]));
        assert_eq!(ci.config.get_dbname(), Some("x"));
    }

    #[test]
    fn bad_and_unsupported_parameters_are_named() {
        let e = parse("postgres://u@h/d?sslmode=verify").expect_err("bad mode");
        assert_eq!(
            e.to_string(),
            "sslmode=\"verify\" is not one of: disable, allow, prefer, require, verify-ca, verify-full"
        );
        let e = parse("host=h user=u sslcert=/c.pem").expect_err("client cert");
        assert!(e.to_string().starts_with("sslcert is not supported"), "{e}");
        let e = parse("postgres://u@h/d?sslrootcert=%zz").expect_err("bad escape");
        assert!(matches!(e, ParamError::Syntax(_)), "{e}");
        let e = parse("host=h password=two words").expect_err("no =");
        assert!(e.to_string().starts_with("parameter 3 has no \"=\""), "{e}");
        assert!(!e.to_string().contains("words"), "{e}");
        let e = parse("host=h password='open\\").expect_err("unterminated");
        assert!(e.to_string().contains("no closing quote"), "{e}");
        // Other parameters are not decoded here: tokio-postgres reads them as written.
        let ci = parse("postgres://u@h/d?application_name=50%25off&sslmode=require").expect("ok");
        assert_eq!(ci.config.get_application_name(), Some("50%off"));
    }

    #[test]
    fn a_url_without_tls_parameters_is_untouched() {
        let ci = parse("postgresql://u@/d?host=/run/pg&port=5433").expect("parses");
        assert_eq!(ci.tls, TlsParams::default());
        assert_eq!(ci.config.get_ports(), &[5433]);
    }

    #[test]
    fn modes_order_by_strength() {
        assert!(!SslMode::Prefer.always_encrypts());
        assert!(SslMode::Require.always_encrypts() && !SslMode::Require.verifies());
        assert!(SslMode::VerifyCa.verifies() && SslMode::VerifyFull.verifies());
        for name in SslMode::NAMES.split(", ") {
            assert_eq!(SslMode::parse(name).map(SslMode::as_str), Some(name));
        }
    }
}
