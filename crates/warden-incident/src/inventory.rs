//! The credential inventory (`warden inventory PATH`): every long-lived credential a
//! server holds, produced from its code, configuration and environment files without
//! running it.
//!
//! - **Read in code**: environment reads in TypeScript/JavaScript (`process.env.X`,
//!   `process.env["X"]`, destructuring, `Deno.env.get`, `Bun.env`), Python
//!   (`os.environ[...]`, `os.environ.get`, `os.getenv`), Go (`os.Getenv`, `os.LookupEnv`),
//!   Rust (`env::var`), Java (`System.getenv`) and C# — kept when the name is a
//!   credential's (key, token, secret, password, … as a word; database URLs).
//! - **Set in files**: `.env*` files, `--env-file`s, and the `env` blocks of MCP client
//!   configurations.
//! - **Hard-coded**: values the secret scanner recognises by their format.
//!
//! Values are never kept or printed: a value seen in a file gives a fingerprint
//! (`sha256:` + 12 hex digits) and, for database URLs and some vendor key formats, the
//! scope it carries (login, host, database; live or test mode).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use warden_scan::secrets;
use warden_scan::walk::{self, Role};

use crate::vendor::{self, Vendor};

/// Why the inventory could not be made.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{path}: no such file or directory")]
    Missing { path: String },
    #[error("cannot read the env file {path}: {source}")]
    EnvFile {
        path: String,
        source: std::io::Error,
    },
}

/// Where a credential was seen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Place {
    pub path: String,
    pub line: u32,
    /// `read in code`, `set in an env file`, `set in a client config`, `hard-coded`.
    pub how: &'static str,
}

/// One credential.
#[derive(Debug, Clone, Serialize)]
pub struct Credential {
    /// The environment variable, or `hard-coded <kind>` for a literal in code.
    pub name: String,
    pub vendor: Vendor,
    /// The vendor for people (`other (EXA)` names the provider the variable suggests).
    pub vendor_label: String,
    pub found_in: Vec<Place>,
    /// Fingerprints of the values seen (never the values).
    pub fingerprints: Vec<String>,
    /// The scope visible from the code and configuration.
    pub scope: String,
    /// The rotate-then-revoke procedure.
    pub rotation: &'static str,
}

/// The inventory of one server.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub root: String,
    pub credentials: Vec<Credential>,
    /// Source and configuration files read.
    pub files_read: usize,
}

/// Environment reads: each regex's group 1 is the variable name.
static ENV_READS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r#"process\.env\.([A-Za-z_][A-Za-z0-9_]*)"#,
        r#"process\.env\[\s*['"`]([A-Za-z_][A-Za-z0-9_]*)['"`]\s*\]"#,
        r#"(?:Deno\.env\.get|os\.getenv|os\.environ\.get|environ\.get|os\.Getenv|os\.LookupEnv|env::var|env::var_os|std::env::var|System\.getenv|Environment\.GetEnvironmentVariable|getenv)\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#,
        r#"(?:os\.environ|Bun\.env|import\.meta\.env)\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]"#,
        r#"(?:Bun\.env|import\.meta\.env)\.([A-Za-z_][A-Za-z0-9_]*)"#,
    ]
    .iter()
    .filter_map(|re| Regex::new(re).ok())
    .collect()
});

/// Environment reads whose argument is a name, not a literal (`os.Getenv(tokenEnvVar)`):
/// group 1 is the identifier, resolved through the string constants of the repository.
static ENV_READS_BY_NAME: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r#"(?:os\.Getenv|os\.LookupEnv|os\.getenv|os\.environ\.get|environ\.get|env::var|env::var_os|System\.getenv|Deno\.env\.get|Environment\.GetEnvironmentVariable)\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*[,)]"#,
        r#"(?:process\.env|os\.environ)\[\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\]"#,
    ]
    .iter()
    .filter_map(|re| Regex::new(re).ok())
    .collect()
});

/// String constants that look like environment variable names (`tokenEnvVar =
/// "GRAFANA_SERVICE_ACCOUNT_TOKEN"`, `TOKEN_VAR: "X"`): group 1 the identifier, 2 the name.
static ENV_NAME_CONSTANTS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"\b([A-Za-z_][A-Za-z0-9_]*)\s*(?::=|=|:)\s*['"]([A-Z][A-Z0-9_]{2,})['"]"#).ok()
});

/// A helper that reads the environment by a parameter (`function envStr(name) { return
/// process.env[name] }`, `def env(name): return os.getenv(name)`): group 1..4 is its name.
/// Calls to it with a literal are environment reads too.
static ENV_WRAPPER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?s)(?:function\s+([A-Za-z_]\w*)|(?:const|let|var)\s+([A-Za-z_]\w*)\s*=\s*(?:async\s*)?(?:\([^)]*\)|[A-Za-z_]\w*)\s*(?::[^=;]{0,80})?=>|def\s+([A-Za-z_]\w*)|func\s+([A-Za-z_]\w*))"#,
        r#"[^;]{0,300}?(?:process\.env\[\s*[A-Za-z_]\w*\s*\]|os\.environ\.get\(\s*[A-Za-z_]\w*|os\.getenv\(\s*[A-Za-z_]\w*|os\.environ\[\s*[A-Za-z_]\w*\s*\]|os\.Getenv\(\s*[A-Za-z_]\w*\s*\))"#
    ))
    .ok()
});

/// `const { A, B: b, C = "x" } = process.env`
static ENV_DESTRUCTURE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"\{([^{}]*)\}\s*=\s*process\.env\b"#).ok());

/// Database drivers, to tell which engine a `DATABASE_URL` is for.
static DRIVERS: LazyLock<Vec<(Regex, Vendor)>> = LazyLock::new(|| {
    [
        (
            r#"['"](pg|postgres|pg-promise|@neondatabase/serverless|@vercel/postgres)['"]|\b(psycopg2?|psycopg|asyncpg)\b|github\.com/(lib/pq|jackc/pgx)|postgresql\+"#,
            Vendor::PostgreSQL,
        ),
        (r#"['"](mysql2?|mariadb)['"]|\b(pymysql|MySQLdb|aiomysql)\b|go-sql-driver/mysql"#, Vendor::MySQL),
        (r#"['"](mongodb|mongoose)['"]|\b(pymongo|motor)\b|mongo-driver"#, Vendor::MongoDB),
        (r#"['"](redis|ioredis)['"]|\bimport redis\b|go-redis"#, Vendor::Redis),
    ]
    .iter()
    .filter_map(|(re, v)| Regex::new(re).ok().map(|r| (r, *v)))
    .collect()
});

/// What is known about one name while the files are read.
#[derive(Default)]
struct Seen {
    places: Vec<Place>,
    values: Vec<String>,
    vendor: Option<Vendor>,
}

/// Makes the inventory of the server at `root`, with extra env files (e.g. the ones the
/// deployment uses) read for values.
pub fn inventory(root: &Path, env_files: &[PathBuf]) -> Result<Inventory, InventoryError> {
    if !root.exists() {
        return Err(InventoryError::Missing {
            path: root.display().to_string(),
        });
    }
    let files = files(root);
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let mut engines: Vec<Vendor> = Vec::new();
    let mut constants: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut by_name: Vec<(String, Place)> = Vec::new();
    let mut wrappers: Vec<String> = Vec::new();
    let mut sources: Vec<(String, String)> = Vec::new();
    let mut files_read = 0;
    for (rel, abs, kind) in &files {
        let Ok(text) = std::fs::read_to_string(abs) else {
            continue;
        };
        files_read += 1;
        match kind {
            FileKind::Source => {
                if let Some(re) = ENV_WRAPPER.as_ref() {
                    for c in re.captures_iter(&text) {
                        if let Some(m) = (1..=4).find_map(|i| c.get(i)) {
                            wrappers.push(m.as_str().to_string());
                        }
                    }
                }
                env_reads(rel, &text, &mut seen);
                env_reads_by_name(rel, &text, &mut constants, &mut by_name);
                hard_coded(rel, &text, &mut seen);
                for (re, vendor) in DRIVERS.iter() {
                    if re.is_match(&text) && !engines.contains(vendor) {
                        engines.push(*vendor);
                    }
                }
                sources.push((rel.clone(), text));
            }
            FileKind::EnvFile => env_file(rel, &text, &mut seen),
            FileKind::ClientConfig => client_config(rel, &text, &mut seen),
            FileKind::Config => hard_coded(rel, &text, &mut seen),
        }
    }
    // Reads through a helper: calls with a literal name, in any file.
    wrappers.sort();
    wrappers.dedup();
    if !wrappers.is_empty() {
        let alternation = wrappers
            .iter()
            .map(|w| regex::escape(w))
            .collect::<Vec<_>>()
            .join("|");
        let calls = Regex::new(&format!(
            r#"\b(?:{alternation})\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#
        ));
        if let Ok(calls) = calls {
            for (rel, text) in &sources {
                for c in calls.captures_iter(text) {
                    let Some(m) = c.get(1) else { continue };
                    if vendor::is_credential_name(m.as_str()) {
                        seen.entry(m.as_str().to_string())
                            .or_default()
                            .places
                            .push(Place {
                                path: rel.clone(),
                                line: line_of(text, m.start()),
                                how: "read in code",
                            });
                    }
                }
            }
        }
    }
    // Reads through a constant: the constant may live in another file.
    for (ident, place) in by_name {
        for name in constants.get(&ident).into_iter().flatten() {
            if vendor::is_credential_name(name) {
                seen.entry(name.clone())
                    .or_default()
                    .places
                    .push(place.clone());
            }
        }
    }
    for f in env_files {
        let text = std::fs::read_to_string(f).map_err(|source| InventoryError::EnvFile {
            path: f.display().to_string(),
            source,
        })?;
        env_file(&f.display().to_string(), &text, &mut seen);
    }
    // A database URL whose engine the code shows (one driver in use).
    let engine = match engines.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let mut credentials: Vec<Credential> = seen
        .into_iter()
        .map(|(name, s)| {
            let value = s.values.first().map(String::as_str);
            let mut vendor = s.vendor.unwrap_or_else(|| vendor::classify(&name, value));
            if vendor == Vendor::Database
                && let Some(e) = engine
            {
                vendor = e;
            }
            let mut fingerprints: Vec<String> =
                s.values.iter().map(|v| secrets::fingerprint(v)).collect();
            fingerprints.sort();
            fingerprints.dedup();
            let mut places = s.places;
            places.sort();
            places.dedup();
            let vendor_label = match (vendor, vendor::words(&name).first()) {
                (Vendor::Other, Some(first)) if !name.starts_with("hard-coded") => {
                    format!("other ({first})")
                }
                _ => vendor.label().to_string(),
            };
            Credential {
                scope: scope(vendor, value),
                name,
                vendor,
                vendor_label,
                found_in: places,
                fingerprints,
                rotation: vendor.rotation(),
            }
        })
        .collect();
    // Databases first (the rotation order), then by vendor and name.
    credentials.sort_by(|a, b| {
        (!a.vendor.is_database(), a.vendor, &a.name).cmp(&(
            !b.vendor.is_database(),
            b.vendor,
            &b.name,
        ))
    });
    Ok(Inventory {
        root: root.display().to_string(),
        credentials,
        files_read,
    })
}

/// What a file is read for.
#[derive(Clone, Copy)]
enum FileKind {
    Source,
    EnvFile,
    ClientConfig,
    Config,
}

/// The files of the server (not its tests, examples, docs or vendored code), in every
/// language a server is written in — the credential a Go or Java server reads counts as
/// much as one in TypeScript. Honours `.gitignore`, never follows links.
fn files(root: &Path) -> Vec<(String, PathBuf, FileKind)> {
    const SOURCE: &[&str] = &[
        "ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "py", "go", "rs", "java", "kt", "cs",
        "rb", "php",
    ];
    const CONFIG: &[&str] = &["json", "yaml", "yml", "toml", "ini", "conf", "properties"];
    let mut out = Vec::new();
    let walker = walk::walker(root);
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if entry
            .metadata()
            .is_ok_and(|m| m.len() > walk::MAX_FILE_BYTES)
        {
            continue;
        }
        let path = entry.path();
        let rel = walk::relative(root, path);
        let rel = if rel.is_empty() {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            rel
        };
        if matches!(
            Role::of(&rel),
            Role::Test | Role::Example | Role::Docs | Role::Vendored
        ) {
            continue;
        }
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        if is_test_file(name) {
            continue;
        }
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let kind = if name.starts_with(".env") {
            FileKind::EnvFile
        } else if secrets::is_client_config(&rel) {
            FileKind::ClientConfig
        } else if SOURCE.contains(&ext.as_str()) {
            FileKind::Source
        } else if CONFIG.contains(&ext.as_str()) {
            FileKind::Config
        } else {
            continue;
        };
        out.push((rel, path.to_path_buf(), kind));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Test files by their name in the languages whose convention is a suffix or prefix
/// (`x_test.go`, `test_x.py`, `XTest.java`), beyond the test directories and `.test.`
/// files the scanner already knows.
fn is_test_file(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.starts_with("test_")
        || stem.ends_with(".spec")
        || stem.ends_with("Test")
        || stem.ends_with("Tests")
}

fn line_of(text: &str, at: usize) -> u32 {
    u32::try_from(text[..at].matches('\n').count() + 1).unwrap_or(u32::MAX)
}

fn env_reads(path: &str, text: &str, seen: &mut BTreeMap<String, Seen>) {
    let mut add = |name: &str, at: usize| {
        if vendor::is_credential_name(name) {
            seen.entry(name.to_string())
                .or_default()
                .places
                .push(Place {
                    path: path.to_string(),
                    line: line_of(text, at),
                    how: "read in code",
                });
        }
    };
    for re in ENV_READS.iter() {
        for c in re.captures_iter(text) {
            if let Some(m) = c.get(1) {
                add(m.as_str(), m.start());
            }
        }
    }
    if let Some(re) = ENV_DESTRUCTURE.as_ref() {
        for c in re.captures_iter(text) {
            let Some(inner) = c.get(1) else { continue };
            for part in inner.as_str().split(',') {
                // `A`, `A: a`, `A = "x"`: the variable is the first identifier.
                let name = part
                    .trim()
                    .split([':', '=', ' '])
                    .next()
                    .unwrap_or_default();
                if !name.is_empty() {
                    add(name, inner.start());
                }
            }
        }
    }
}

fn env_reads_by_name(
    path: &str,
    text: &str,
    constants: &mut BTreeMap<String, Vec<String>>,
    by_name: &mut Vec<(String, Place)>,
) {
    if let Some(re) = ENV_NAME_CONSTANTS.as_ref() {
        for c in re.captures_iter(text) {
            if let (Some(ident), Some(name)) = (c.get(1), c.get(2)) {
                let list = constants.entry(ident.as_str().to_string()).or_default();
                if !list.iter().any(|n| n == name.as_str()) {
                    list.push(name.as_str().to_string());
                }
            }
        }
    }
    for re in ENV_READS_BY_NAME.iter() {
        for c in re.captures_iter(text) {
            let Some(m) = c.get(1) else { continue };
            // `config.TOKEN_VAR` → `TOKEN_VAR`.
            let ident = m.as_str().rsplit('.').next().unwrap_or_default();
            by_name.push((
                ident.to_string(),
                Place {
                    path: path.to_string(),
                    line: line_of(text, m.start()),
                    how: "read in code",
                },
            ));
        }
    }
}

fn hard_coded(path: &str, text: &str, seen: &mut BTreeMap<String, Seen>) {
    for m in secrets::scan_text(path, text) {
        if m.weak {
            continue;
        }
        let key = format!("hard-coded {} ({})", m.kind, m.fingerprint);
        let s = seen.entry(key).or_default();
        s.places.push(Place {
            path: path.to_string(),
            line: m.line,
            how: "hard-coded",
        });
        s.vendor = Some(vendor::of_secret_kind(m.kind));
    }
}

/// Whether an env file's value is a placeholder, not a credential (`.env.example`).
fn placeholder(v: &str) -> bool {
    let l = v.trim().to_ascii_lowercase();
    l.is_empty()
        || l.starts_with('<')
        || l.starts_with("${")
        || l.contains("your")
        || l.contains("changeme")
        || l.contains("example")
        || l.contains("xxx")
        || l.contains("placeholder")
        || l.chars().all(|c| c == '*' || c == 'x' || c == '.')
}

fn env_file(path: &str, text: &str, seen: &mut BTreeMap<String, Seen>) {
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        if !vendor::is_credential_name(name) {
            continue;
        }
        let s = seen.entry(name.to_string()).or_default();
        s.places.push(Place {
            path: path.to_string(),
            line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            how: "set in an env file",
        });
        if !placeholder(value) {
            s.values.push(value.to_string());
        }
    }
}

fn client_config(path: &str, text: &str, seen: &mut BTreeMap<String, Seen>) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let servers = v
        .get("mcpServers")
        .or_else(|| v.get("servers"))
        .and_then(serde_json::Value::as_object);
    let Some(servers) = servers else { return };
    for server in servers.values() {
        let Some(env) = server.get("env").and_then(serde_json::Value::as_object) else {
            continue;
        };
        for (name, value) in env {
            if !vendor::is_credential_name(name) {
                continue;
            }
            // The line of the key, for the reader.
            let at = text.find(&format!("\"{name}\"")).unwrap_or(0);
            let s = seen.entry(name.clone()).or_default();
            s.places.push(Place {
                path: path.to_string(),
                line: line_of(text, at),
                how: "set in a client config",
            });
            if let Some(v) = value.as_str().filter(|v| !placeholder(v)) {
                s.values.push(v.to_string());
            }
        }
    }
}

/// The scope a value shows: a database URL's login, host and database; a key's mode.
fn scope(vendor: Vendor, value: Option<&str>) -> String {
    let Some(v) = value.map(str::trim) else {
        return "not visible from code (no value in the repository or the env files given)".into();
    };
    if let Some((scheme, rest)) = v.split_once("://") {
        let (auth, rest) = rest.rsplit_once('@').unwrap_or(("", rest));
        let user = auth.split(':').next().unwrap_or_default();
        let mut host = rest
            .split(['/', '?'])
            .next()
            .unwrap_or_default()
            .to_string();
        if host.is_empty() {
            // libpq's forms for a Unix socket: `?host=/dir` (or the default socket).
            host = rest
                .split_once('?')
                .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("host=")))
                .map_or("the default local socket".into(), |d| format!("socket {d}"));
        }
        let db = rest
            .split_once('/')
            .map(|(_, d)| d.split('?').next().unwrap_or_default())
            .unwrap_or_default();
        let mut s = format!(
            "{scheme} login `{}` on `{host}`",
            if user.is_empty() { "(default)" } else { user }
        );
        if !db.is_empty() {
            s.push_str(&format!(", database `{db}`"));
        }
        s.push_str("; privileges: ask the database (\\du / SHOW GRANTS)");
        return s;
    }
    match vendor {
        Vendor::Stripe if v.starts_with("rk_live_") => {
            "live mode, restricted key (permissions set in the Dashboard)".into()
        }
        Vendor::Stripe if v.starts_with("sk_live_") => "live mode, full API access".into(),
        Vendor::Stripe if v.contains("_test_") => "test mode".into(),
        Vendor::GitHub if v.starts_with("github_pat_") => {
            "fine-grained personal access token (repositories and permissions set at creation)".into()
        }
        Vendor::GitHub if v.starts_with("ghp_") => {
            "classic personal access token: every repository its owner can reach, with the scopes chosen at creation".into()
        }
        Vendor::Aws if v.starts_with("AKIA") => "long-lived IAM user access key".into(),
        Vendor::Aws if v.starts_with("ASIA") => "temporary (STS) access key".into(),
        _ => "not visible from the value; check the vendor's console".into(),
    }
}

/// The inventory as Markdown, for a place people read without running anything.
pub fn to_markdown(inv: &Inventory) -> String {
    let mut out = format!(
        "# Credential inventory: `{}`\n\n{} credential(s) from {} file(s). Values are never shown; a fingerprint identifies a value without revealing it. Rotate in this order (databases first).\n\n",
        inv.root,
        inv.credentials.len(),
        inv.files_read
    );
    out.push_str(
        "| # | credential | vendor | where | fingerprint | scope |\n|---|---|---|---|---|---|\n",
    );
    for (i, c) in inv.credentials.iter().enumerate() {
        let places: Vec<String> = c
            .found_in
            .iter()
            .map(|p| format!("{}:{} ({})", p.path, p.line, p.how))
            .collect();
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {} |\n",
            i + 1,
            c.name,
            c.vendor_label,
            places.join("<br>"),
            if c.fingerprints.is_empty() {
                "—".to_string()
            } else {
                c.fingerprints.join(", ")
            },
            c.scope
        ));
    }
    out.push_str("\n## Rotation procedures\n\n");
    let mut done: Vec<Vendor> = Vec::new();
    for c in &inv.credentials {
        if !done.contains(&c.vendor) {
            done.push(c.vendor);
            out.push_str(&format!("- **{}**: {}\n", c.vendor.label(), c.rotation));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_scope_names_the_socket() {
        let s = scope(
            Vendor::PostgreSQL,
            Some("postgresql://app:pw@/shop?host=/run/postgresql&port=5432"),
        );
        assert!(
            s.starts_with("postgresql login `app` on `socket /run/postgresql`, database `shop`"),
            "{s}"
        );
        let s = scope(
            Vendor::PostgreSQL,
            Some("postgres://app:pw@db.internal:5432/shop"),
        );
        assert!(s.contains("on `db.internal:5432`"), "{s}");
        assert!(!s.contains("pw"), "{s}");
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(ENV_READS.len(), 5);
        assert_eq!(ENV_READS_BY_NAME.len(), 2);
        assert!(ENV_NAME_CONSTANTS.is_some());
        assert!(ENV_DESTRUCTURE.is_some());
        assert!(ENV_WRAPPER.is_some());
        assert_eq!(DRIVERS.len(), 4);
    }

    #[test]
    fn helpers_that_read_the_environment_are_found() {
        let re = ENV_WRAPPER.as_ref().expect("regex");
        let name = |text: &str| {
            re.captures(text)
                .and_then(|c| (1..=4).find_map(|i| c.get(i)))
                .map(|m| m.as_str().to_string())
        };
        assert_eq!(
            name(
                "function envStr(key: string): string | undefined {\n  return process.env[key];\n}"
            ),
            Some("envStr".into())
        );
        assert_eq!(
            name("const env = (k) => process.env[k] ?? \"\";"),
            Some("env".into())
        );
        assert_eq!(
            name("def setting(name):\n    return os.environ.get(name)\n"),
            Some("setting".into())
        );
        assert_eq!(name("function plain() { return 1 }"), None);
    }

    #[test]
    fn reads_through_constants_are_resolved() {
        let mut constants = BTreeMap::new();
        let mut by_name = Vec::new();
        let go = "const (\n\ttokenEnvVar     = \"GRAFANA_SERVICE_ACCOUNT_TOKEN\"\n)\nfunc f() { k := os.Getenv(tokenEnvVar) }\n";
        env_reads_by_name("main.go", go, &mut constants, &mut by_name);
        assert_eq!(
            constants.get("tokenEnvVar"),
            Some(&vec!["GRAFANA_SERVICE_ACCOUNT_TOKEN".to_string()])
        );
        assert_eq!(by_name[0].0, "tokenEnvVar");
        assert_eq!(by_name[0].1.line, 4);
    }
}
