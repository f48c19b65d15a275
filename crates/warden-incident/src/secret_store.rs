//! The secret store a rotation updates: an env file (`.env`, or the `EnvironmentFile=` a
//! service reads) whose variable holds the application's `postgres://` URL.
//!
//! - [`PgUrl`] parses such a URL (percent-encoding, ports, IPv6 literals, a Unix-socket
//!   directory as a percent-encoded host or as `?host=/dir`, `user`/`password`/`dbname`/
//!   `port` query parameters) and writes it back with only the login changed: every other
//!   byte, query parameters included, stays as it was.
//! - [`EnvFile`] finds the variable's one definition and rewrites the file atomically
//!   (a temporary file in the same directory, fsync, rename, fsync of the directory),
//!   keeping its mode and owner and every other line byte for byte. No backup is kept:
//!   the old value is a credential being revoked, and a clear-text copy of it on disk is
//!   one more place it can leak from.
//!
//! Values are held in [`Secret`], whose `Debug` prints `***`.

#![warn(missing_docs)]

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A value that must never be printed or logged (`Debug` shows `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that needs it (a connection, the file).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Why the secret store cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The variable's value is not a usable PostgreSQL URL.
    #[error(
        "the value of {variable} is not a PostgreSQL URL: {why} (expected postgres://user:password@host:port/dbname)"
    )]
    Url {
        /// The variable (never its value).
        variable: String,
        /// What is wrong.
        why: String,
    },
    /// The file cannot be read.
    #[error("cannot read the env file {path}: {source}; give the file the service reads")]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The variable is not in the file.
    #[error(
        "{variable} is not set in {path}; give the variable that holds the database URL (e.g. DATABASE_URL)"
    )]
    NotSet {
        /// The file.
        path: String,
        /// The variable.
        variable: String,
    },
    /// The variable is set more than once.
    #[error(
        "{variable} is set {count} times in {path} (lines {lines}); loaders disagree on which one wins, so make it one line and re-run"
    )]
    Ambiguous {
        /// The file.
        path: String,
        /// The variable.
        variable: String,
        /// How many times.
        count: usize,
        /// On which lines.
        lines: String,
    },
    /// The file has no owner write permission.
    #[error(
        "the env file {path} is read-only (mode {mode:o}); nothing was written. Make it writable (chmod u+w) for the rotation to update it"
    )]
    ReadOnly {
        /// The file.
        path: String,
        /// Its mode.
        mode: u32,
    },
    /// Writing failed (the file is unchanged).
    #[error("cannot write the env file {path}: {why}; the file still holds the old value")]
    Write {
        /// The file.
        path: String,
        /// What failed.
        why: String,
    },
}

/// A parsed `postgres://` URL. `Debug` redacts the password.
#[derive(Clone)]
pub struct PgUrl {
    scheme: String,
    /// The userinfo's user, decoded ("" when the URL has no userinfo).
    userinfo_user: Option<String>,
    userinfo_password: Option<Secret>,
    /// The authority after `@`, raw (host, port).
    hostport_raw: String,
    /// The path with its leading `/`, raw.
    path_raw: String,
    /// Raw `key=value` pairs of the query, in order (values may be secrets: `password=`).
    query: Vec<(String, Secret)>,
    /// The user (query `user=` over the userinfo), decoded.
    pub user: String,
    password: Option<Secret>,
    /// A host name or address, or a Unix-socket directory (starts with `/`).
    pub host: Option<String>,
    /// The port, when given.
    pub port: Option<u16>,
    /// The database (the user name when the URL names none, as libpq does).
    pub dbname: String,
    /// `sslmode` and `sslrootcert` from the query.
    pub tls: warden_pg::TlsParams,
}

/// Query parameters shown as they are in a redacted URL; any other value is `***`.
const DISPLAYED_PARAMS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "sslmode",
    "application_name",
    "connect_timeout",
    "target_session_attrs",
    "options",
];

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgUrl")
            .field("url", &self.redacted())
            .finish()
    }
}

fn url_err(variable: &str, why: impl Into<String>) -> StoreError {
    StoreError::Url {
        variable: variable.to_string(),
        why: why.into(),
    }
}

/// Encodes everything but RFC 3986 unreserved characters.
pub fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl PgUrl {
    /// Parses the value of `variable` (named in errors; the value never is).
    pub fn parse(value: &str, variable: &str) -> Result<PgUrl, StoreError> {
        let (scheme, rest) = value
            .split_once("://")
            .ok_or_else(|| url_err(variable, "no scheme"))?;
        if scheme != "postgres" && scheme != "postgresql" {
            return Err(url_err(
                variable,
                format!("the scheme is {scheme:?}, not postgres or postgresql"),
            ));
        }
        let (before_query, query_raw) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let (authority, path_raw) = match before_query.find('/') {
            Some(i) => (&before_query[..i], &before_query[i..]),
            None => (before_query, ""),
        };
        let (userinfo, hostport_raw) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let dec =
            |s: &str| warden_pg::params::percent_decode(s).map_err(|why| url_err(variable, why));
        let (userinfo_user, userinfo_password) = match userinfo {
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (Some(dec(u)?), Some(Secret::new(dec(p)?))),
                None => (Some(dec(ui)?), None),
            },
            None => (None, None),
        };
        if hostport_raw.contains(',') {
            return Err(url_err(
                variable,
                "several hosts (host1,host2) are not supported; rotate with a single-host URL",
            ));
        }
        // Host and port: `[v6]:port`, `name:port`, `%2Fsocket%2Fdir`.
        let (host_raw, port_raw) = if let Some(end) = hostport_raw
            .strip_prefix('[')
            .and_then(|h| h.find(']').map(|i| i + 1))
        {
            let after = &hostport_raw[end + 1..];
            (
                &hostport_raw[1..end],
                after.strip_prefix(':').filter(|p| !p.is_empty()),
            )
        } else {
            match hostport_raw.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport_raw, None),
            }
        };
        let mut host = (!host_raw.is_empty()).then(|| dec(host_raw)).transpose()?;
        let parse_port = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| url_err(variable, format!("the port {p:?} is not a number")))
        };
        let mut port = port_raw.map(parse_port).transpose()?;
        let mut dbname = match path_raw.strip_prefix('/') {
            Some(p) if !p.is_empty() => Some(dec(p)?),
            _ => None,
        };
        let mut query = Vec::new();
        let mut q_user = None;
        let mut q_password = None;
        let mut tls = warden_pg::TlsParams::default();
        for pair in query_raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v_dec = dec(v)?;
            if tls
                .set_param(k, &v_dec)
                .map_err(|e| url_err(variable, e.to_string()))?
            {
                query.push((k.to_string(), Secret::new(v)));
                continue;
            }
            match k {
                "host" => host = Some(v_dec),
                "port" => port = Some(parse_port(&v_dec)?),
                "dbname" => dbname = Some(v_dec),
                "user" => q_user = Some(v_dec),
                "password" => q_password = Some(Secret::new(v_dec)),
                _ => {}
            }
            query.push((k.to_string(), Secret::new(v)));
        }
        // libpq: query parameters override the URL's parts.
        let user = q_user
            .or_else(|| userinfo_user.clone())
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                url_err(
                    variable,
                    "it names no user, so which role the service logs in as is unknown",
                )
            })?;
        let password = q_password.or_else(|| userinfo_password.clone());
        Ok(PgUrl {
            scheme: scheme.to_string(),
            userinfo_user,
            userinfo_password,
            hostport_raw: hostport_raw.to_string(),
            path_raw: path_raw.to_string(),
            query,
            dbname: dbname.unwrap_or_else(|| user.clone()),
            user,
            password,
            host,
            port,
            tls,
        })
    }

    /// The password, if the URL has one.
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    /// True when the host is a Unix-socket directory.
    pub fn is_socket(&self) -> bool {
        self.host.as_deref().is_some_and(|h| h.starts_with('/'))
    }

    /// The same URL with another login: the user and password replaced where the URL
    /// carries them (userinfo and/or `user=`/`password=` query parameters), every other
    /// byte kept. `password` `None` writes `***` (for display).
    fn with_login(&self, user: &str, password: Option<&str>) -> String {
        let pw = password.map(pct_encode).unwrap_or_else(|| "***".into());
        let mut out = format!("{}://", self.scheme);
        let in_query = self.query.iter().any(|(k, _)| k == "user");
        if self.userinfo_user.is_some() || !in_query {
            out.push_str(&pct_encode(user));
            // The password goes where the old one was; with none anywhere, in the userinfo.
            let pw_in_query = self.query.iter().any(|(k, _)| k == "password");
            if self.userinfo_password.is_some() || !pw_in_query {
                out.push(':');
                out.push_str(&pw);
            }
            out.push('@');
        }
        out.push_str(&self.hostport_raw);
        out.push_str(&self.path_raw);
        if !self.query.is_empty() {
            out.push('?');
            let pairs: Vec<String> = self
                .query
                .iter()
                .map(|(k, v)| match k.as_str() {
                    "user" => format!("user={}", pct_encode(user)),
                    "password" => format!("password={pw}"),
                    _ if v.expose().is_empty() => k.clone(),
                    // For display, only parameters known to hold no secret are shown
                    // (`sslpassword`, `passfile`, an unknown option may).
                    _ if password.is_none() && !DISPLAYED_PARAMS.contains(&k.as_str()) => {
                        format!("{k}=***")
                    }
                    _ => format!("{k}={}", v.expose()),
                })
                .collect();
            out.push_str(&pairs.join("&"));
        }
        out
    }

    /// The URL with a new login, to write to the secret store.
    pub fn rewritten(&self, user: &str, password: &Secret) -> Secret {
        Secret::new(self.with_login(user, Some(password.expose())))
    }

    /// The URL for display: the password as `***`.
    pub fn redacted(&self) -> String {
        self.redacted_as(&self.user)
    }

    /// The URL for display with another user: `postgres://new_role:***@host/db`.
    pub fn redacted_as(&self, user: &str) -> String {
        self.with_login(user, None)
    }
}

/// The variable's definition in an env file.
#[derive(Debug)]
struct Definition {
    /// 1-based line.
    line: usize,
    /// Byte range of the value (inside quotes, if quoted).
    start: usize,
    end: usize,
    /// `"` or `'` when quoted.
    quote: Option<u8>,
}

/// Finds `VAR=value`, `export VAR=value`, `VAR = "value"` (comments and other lines
/// ignored).
fn definitions(text: &str, variable: &str) -> Vec<Definition> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let base = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        let mut pos = body.len() - trimmed.len();
        let mut rest = trimmed;
        if let Some(r) = rest.strip_prefix("export ") {
            let r2 = r.trim_start();
            pos += rest.len() - r2.len();
            rest = r2;
        }
        let Some(r) = rest.strip_prefix(variable) else {
            continue;
        };
        pos += variable.len();
        let r2 = r.trim_start();
        pos += r.len() - r2.len();
        let Some(r3) = r2.strip_prefix('=') else {
            continue;
        };
        pos += 1;
        let v = r3.trim_start();
        pos += r3.len() - v.len();
        let (start, end, quote) = match v.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => {
                let inner = &v[1..];
                match inner.find(q as char) {
                    Some(close) => (pos + 1, pos + 1 + close, Some(q)),
                    None => (pos + 1, pos + v.len(), Some(q)),
                }
            }
            _ => {
                // Unquoted: up to an inline ` #comment`, trailing blanks dropped.
                let cut = v.find(" #").unwrap_or(v.len());
                let value = v[..cut].trim_end();
                (pos, pos + value.len(), None)
            }
        };
        out.push(Definition {
            line: i + 1,
            start: base + start,
            end: base + end,
            quote,
        });
    }
    out
}

/// An env file and the variable in it that holds the database URL.
#[derive(Debug, Clone)]
pub struct EnvFile {
    /// The file.
    pub path: PathBuf,
    /// The variable that holds the URL.
    pub variable: String,
}

impl EnvFile {
    /// The file `path`, variable `variable`.
    pub fn new(path: impl Into<PathBuf>, variable: impl Into<String>) -> EnvFile {
        EnvFile {
            path: path.into(),
            variable: variable.into(),
        }
    }

    fn read_text(&self) -> Result<String, StoreError> {
        std::fs::read_to_string(&self.path).map_err(|source| StoreError::Read {
            path: self.path.display().to_string(),
            source,
        })
    }

    fn definition(&self, text: &str) -> Result<Definition, StoreError> {
        let mut defs = definitions(text, &self.variable);
        match defs.len() {
            0 => Err(StoreError::NotSet {
                path: self.path.display().to_string(),
                variable: self.variable.clone(),
            }),
            1 => Ok(defs.remove(0)),
            n => Err(StoreError::Ambiguous {
                path: self.path.display().to_string(),
                variable: self.variable.clone(),
                count: n,
                lines: defs
                    .iter()
                    .map(|d| d.line.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Reads and parses the URL the variable holds.
    pub fn read_url(&self) -> Result<PgUrl, StoreError> {
        let text = self.read_text()?;
        let d = self.definition(&text)?;
        let raw = &text[d.start..d.end];
        let value = if d.quote == Some(b'"') {
            raw.replace("\\\"", "\"").replace("\\\\", "\\")
        } else {
            raw.to_string()
        };
        PgUrl::parse(&value, &self.variable)
    }

    /// True when the file's mode lets its owner write it (a read-only file is refused:
    /// somebody made the secret store read-only on purpose, and root would bypass it).
    pub fn writable(&self) -> Result<bool, StoreError> {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(&self.path).map_err(|source| StoreError::Read {
            path: self.path.display().to_string(),
            source,
        })?;
        Ok(meta.permissions().mode() & 0o200 != 0)
    }

    /// Replaces the variable's value with `new_value` (which must be the whole new
    /// value), atomically; every other byte stays.
    pub fn replace_value(&self, new_value: &Secret) -> Result<(), StoreError> {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
        let path_s = self.path.display().to_string();
        let text = self.read_text()?;
        let d = self.definition(&text)?;
        let meta = std::fs::metadata(&self.path).map_err(|source| StoreError::Read {
            path: path_s.clone(),
            source,
        })?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o200 == 0 {
            return Err(StoreError::ReadOnly { path: path_s, mode });
        }
        let mut value = new_value.expose().to_string();
        if d.quote == Some(b'"') {
            value = value.replace('\\', "\\\\").replace('"', "\\\"");
        }
        let mut out = String::with_capacity(text.len() + 64);
        out.push_str(&text[..d.start]);
        out.push_str(&value);
        out.push_str(&text[d.end..]);
        let werr = |why: String| StoreError::Write {
            path: path_s.clone(),
            why,
        };
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "env".into());
        let tmp = dir.join(format!(".{file_name}.warden-{}.tmp", std::process::id()));
        let result = (|| -> Result<(), StoreError> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&tmp)
                .map_err(|e| werr(format!("creating {}: {e}", tmp.display())))?;
            // The umask may have narrowed the mode; set it exactly.
            f.set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(|e| werr(format!("setting the mode: {e}")))?;
            let ours = std::fs::metadata(&tmp).map_err(|e| werr(e.to_string()))?;
            if ours.uid() != meta.uid() || ours.gid() != meta.gid() {
                std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid())).map_err(
                    |e| {
                        werr(format!(
                            "giving the new file the old owner {}:{}: {e}",
                            meta.uid(),
                            meta.gid()
                        ))
                    },
                )?;
            }
            f.write_all(out.as_bytes())
                .map_err(|e| werr(format!("writing: {e}")))?;
            f.sync_all().map_err(|e| werr(format!("fsync: {e}")))?;
            std::fs::rename(&tmp, &self.path).map_err(|e| werr(format!("rename: {e}")))?;
            // The rename is durable once the directory is synced.
            if let Ok(d) = std::fs::File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

/// True when `path`'s text contains `needle` (used by checks that the old password is
/// gone; the needle is never printed).
pub fn file_contains(path: &Path, needle: &Secret) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(needle.expose()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> PgUrl {
        PgUrl::parse(s, "DATABASE_URL").expect("parses")
    }

    #[test]
    fn parses_userinfo_host_port_db() {
        let u = parse("postgres://app:s%40cr%3At@db.example:6432/shop?sslmode=require");
        assert_eq!(u.user, "app");
        assert_eq!(u.password().map(|p| p.expose()), Some("s@cr:t"));
        assert_eq!(u.host.as_deref(), Some("db.example"));
        assert_eq!(u.port, Some(6432));
        assert_eq!(u.dbname, "shop");
        assert!(!format!("{u:?}").contains("cr"));
        assert_eq!(
            u.redacted_as("app_r1"),
            "postgres://app_r1:***@db.example:6432/shop?sslmode=require"
        );
        let new = u.rewritten("app_r1", &Secret::new("n3w-_pw"));
        assert_eq!(
            new.expose(),
            "postgres://app_r1:n3w-_pw@db.example:6432/shop?sslmode=require"
        );
        // Other parameters that may hold secrets are masked for display, kept in the file.
        let k =
            parse("postgres://app:pw@/shop?host=/run/pg&krbsrvname=k3y-pass&sslmode=verify-full");
        assert_eq!(
            k.redacted(),
            "postgres://app:***@/shop?host=/run/pg&krbsrvname=***&sslmode=verify-full"
        );
        assert_eq!(k.tls.mode, Some(warden_pg::SslMode::VerifyFull));
        assert!(
            k.rewritten("b", &Secret::new("x"))
                .expose()
                .contains("krbsrvname=k3y-pass")
        );
        // Client-certificate logins are not this rotation's (and not supported): named.
        let e = PgUrl::parse(
            "postgres://app:pw@h/shop?sslpassword=k3y-pass",
            "DATABASE_URL",
        )
        .expect_err("client certificates");
        let text = e.to_string();
        assert!(text.contains("sslpassword is not supported"), "{text}");
        assert!(!text.contains("k3y-pass"), "{text}");
    }

    #[test]
    fn parses_socket_forms_and_ipv6() {
        let u = parse("postgresql://app:pw@%2Fvar%2Frun%2Fpostgresql:5433/db");
        assert_eq!(u.host.as_deref(), Some("/var/run/postgresql"));
        assert!(u.is_socket());
        assert_eq!(u.port, Some(5433));
        let q = parse("postgres://app:pw@/db?host=%2Ftmp%2Fsock&port=5999&application_name=x");
        assert_eq!(q.host.as_deref(), Some("/tmp/sock"));
        assert_eq!(q.port, Some(5999));
        assert_eq!(
            q.rewritten("n", &Secret::new("p")).expose(),
            "postgres://n:p@/db?host=%2Ftmp%2Fsock&port=5999&application_name=x"
        );
        let v6 = parse("postgres://app:pw@[::1]:5432/db");
        assert_eq!(v6.host.as_deref(), Some("::1"));
        assert_eq!(v6.port, Some(5432));
        let nodb = parse("postgres://app:pw@localhost");
        assert_eq!(nodb.dbname, "app");
        assert_eq!(nodb.port, None);
    }

    #[test]
    fn login_in_the_query_is_replaced_there() {
        let u = parse("postgres:///db?host=/s&user=app&password=old%26pw&sslmode=disable");
        assert_eq!(u.user, "app");
        assert_eq!(u.password().map(|p| p.expose()), Some("old&pw"));
        let new = u.rewritten("app_r2", &Secret::new("a&b"));
        assert_eq!(
            new.expose(),
            "postgres:///db?host=/s&user=app_r2&password=a%26b&sslmode=disable"
        );
        assert!(!u.redacted().contains("old"));
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_the_value() {
        for (bad, why) in [
            ("mysql://a:secretvalue@h/d", "scheme"),
            ("postgres://a:secretvalue@h:port/d", "port"),
            ("postgres://h1,h2/d", "several hosts"),
            ("postgres://:secretvalue@h/d", "no user"),
            ("postgres://a:secret%zzvalue@h/d", "hex"),
            ("secretvalue", "no scheme"),
        ] {
            let e = PgUrl::parse(bad, "DATABASE_URL")
                .expect_err(bad)
                .to_string();
            assert!(e.contains(why), "{e}");
            assert!(e.contains("DATABASE_URL"), "{e}");
            assert!(!e.contains("secretvalue"), "{e}");
        }
    }

    #[test]
    fn env_file_rewrite_keeps_every_other_byte_and_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".env");
        let before = "# the app\r\nOTHER=1\nexport DATABASE_URL=\"postgres://app:old@h/db\" # main db\n\n  DATABASE_URL_RO = postgres://ro:x@h/db\nTAIL='x'";
        std::fs::write(&path, before).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let f = EnvFile::new(&path, "DATABASE_URL");
        let url = f.read_url().expect("url");
        assert_eq!(url.user, "app");
        f.replace_value(&url.rewritten("app_r", &Secret::new("NEW")))
            .expect("rewrite");
        let after = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            after,
            before.replace("postgres://app:old@h/db", "postgres://app_r:NEW@h/db")
        );
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        // No temporary or backup file left behind.
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
        assert!(!file_contains(&path, &Secret::new(":old@")));
    }

    #[test]
    fn env_file_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("app.env");
        std::fs::write(&path, "A=postgres://a:p@h/d\nA=postgres://b:p@h/d\n").expect("write");
        let e = EnvFile::new(&path, "A").read_url().expect_err("twice");
        assert!(e.to_string().contains("lines 1, 2"), "{e}");
        let e = EnvFile::new(&path, "B").read_url().expect_err("unset");
        assert!(e.to_string().contains("B is not set"), "{e}");
        let e = EnvFile::new(dir.path().join("nope"), "A")
            .read_url()
            .expect_err("missing");
        assert!(e.to_string().contains("cannot read"), "{e}");
        // Read-only: refused, file untouched.
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&path, "A='postgres://a:p@h/d'\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        let f = EnvFile::new(&path, "A");
        assert!(!f.writable().expect("mode"));
        let e = f
            .replace_value(&Secret::new("postgres://b:q@h/d"))
            .expect_err("read-only");
        assert!(e.to_string().contains("read-only"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "A='postgres://a:p@h/d'\n"
        );
    }
}
