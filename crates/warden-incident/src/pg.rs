//! PostgreSQL credential rotation, executed for real (`warden incident rotate --execute`;
//! without it, a dry run that inspects read-only and returns the SQL).
//!
//! The sequence (research notes §5.4, each step verified before the next):
//!
//! 1. **inspect** — the old role (the one in the service's URL) exists; its attributes,
//!    memberships and, in every database that allows connections, its privileges
//!    (relations, sequences, routines, schemas, the database itself, default privileges)
//!    and what it owns. Superuser and replication roles are refused: rotating those
//!    needs a person.
//! 2. **create the new role** — LOGIN, the same attributes, a fresh random password whose
//!    SCRAM verifier is computed here (the server, its logs and `pg_stat_statements`
//!    never see the password), the same memberships and privileges in each database.
//! 3. **verify the new role** — it logs in with the new password to the service's
//!    database and reads a table the old role could read.
//! 4. **update the secret store** — the env file, atomically; only the login in the URL
//!    changes; the old value is never printed, and no copy of it is kept.
//! 5. **disable the old login** — `ALTER ROLE old NOLOGIN`; verified by logging in with
//!    the old credential, which must fail with "not permitted to log in".
//! 6. **terminate the old sessions** — NOLOGIN does not end open sessions (verified in
//!    the research), so `pg_terminate_backend`; verified: none remain.
//! 7. **reassign and drop** — in each database `REASSIGN OWNED BY old TO new; DROP OWNED
//!    BY old`, then the old role is kept NOLOGIN, without password, memberships,
//!    privileges or objects (the default: its name and OID stay resolvable in logs and
//!    audit trails for forensics), or dropped.
//!
//! Every step returns a [`StepLog`] (what ran, when, the result, what was verified, the
//! state of both roles and of the env file) for the case's journal ([`journal_steps`]).
//! A step that fails stops the rotation with a [`Failure`]: what was done, what failed
//! and the server's words, the state of each role, whether the env file changed, and the
//! exact roll-forward and roll-back.
//!
//! Identifiers are always quoted with `escape_identifier`, literals with
//! `escape_literal`; privilege keywords come from the server and are checked against a
//! fixed list before they are used.

#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use base64::Engine;
use postgres_protocol::escape::{escape_identifier as ident, escape_literal as lit};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio_postgres::{Client, Config};
use warden_pg::{ConnectError, TlsParams, Transport, host_transport};

use crate::case::{Case, CaseError};
use crate::secret_store::{EnvFile, PgUrl, Secret, StoreError};

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait for terminated sessions to go.
const TERMINATE_WAIT: Duration = Duration::from_secs(10);
/// Longest role name PostgreSQL keeps (NAMEDATALEN - 1).
const MAX_NAME: usize = 63;

/// The admin connection: a role with CREATEROLE or superuser (superuser in practice: see
/// [`RotateOptions`]). `Debug` redacts the password.
#[derive(Clone)]
pub struct AdminConn {
    config: Config,
    tls: TlsParams,
}

impl fmt::Debug for AdminConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminConn")
            .field("user", &self.config.get_user())
            .field("dbname", &self.config.get_dbname())
            .field("password", &"***")
            .finish()
    }
}

impl AdminConn {
    /// A libpq-style connection string, URL (`postgres://…`) or `key=value` form.
    pub fn parse(conninfo: &str) -> Result<AdminConn, RotateError> {
        let admin_err = |e: warden_pg::ParamError| RotateError::Admin {
            why: format!("cannot parse the admin connection string: {e}"),
        };
        let warden_pg::Conninfo { config, tls } = warden_pg::parse(conninfo).map_err(admin_err)?;
        let tls = tls.or_env().map_err(admin_err)?;
        if config.get_user().is_none() {
            return Err(RotateError::Admin {
                why: "the admin connection string names no user; add user=… (a superuser)".into(),
            });
        }
        Ok(AdminConn { config, tls })
    }

    /// From the libpq environment: PGHOST (a socket directory or a host), PGPORT, PGUSER,
    /// PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT.
    pub fn from_env() -> Result<AdminConn, RotateError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let user = var("PGUSER").ok_or_else(|| RotateError::Admin {
            why: "PGUSER is not set; give --admin-url or the PG* variables".into(),
        })?;
        let mut config = Config::new();
        config.user(&user);
        config.host(var("PGHOST").unwrap_or_else(|| "/var/run/postgresql".into()));
        if let Some(p) = var("PGPORT") {
            config.port(p.parse().map_err(|_| RotateError::Admin {
                why: "PGPORT is not a port number".into(),
            })?);
        }
        if let Some(pw) = var("PGPASSWORD") {
            config.password(pw);
        }
        config.dbname(var("PGDATABASE").unwrap_or(user));
        let tls = TlsParams::from_env().map_err(|e| RotateError::Admin { why: e.to_string() })?;
        Ok(AdminConn { config, tls })
    }

    /// A Unix-socket connection without password (peer or trust authentication).
    pub fn socket(dir: &str, port: u16, user: &str) -> AdminConn {
        let mut config = Config::new();
        config.host(dir).port(port).user(user).dbname("postgres");
        AdminConn {
            config,
            tls: TlsParams::default(),
        }
    }

    /// The hosts (names, addresses or socket directories) the admin connects to, with
    /// each `hostaddr` (where a TCP connection really goes).
    fn hosts(&self) -> Vec<String> {
        self.config
            .get_hosts()
            .iter()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .chain(self.config.get_hostaddrs().iter().map(|a| a.to_string()))
            .collect()
    }

    fn to_db(&self, db: &str) -> Config {
        let mut c = self.config.clone();
        c.dbname(db);
        c
    }
}

/// What to do.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    /// Run it; `false` is the dry run (read-only inspection and the SQL).
    pub execute: bool,
    /// The new role's name; default `<old>_r<YYYYMMDDHHMM>` (UTC).
    pub new_role: Option<String>,
    /// Keep the old role (NOLOGIN, no password, memberships, privileges or objects)
    /// instead of dropping it. Default `true`: the research notes recommend keeping it for
    /// forensics — its OID and name stay resolvable in `pg_stat_*`, audit logs (pgaudit)
    /// and the WAL, and it cannot log in or do anything. Drop it after the investigation.
    pub keep_old_role: bool,
    /// The time used for the default name.
    pub now_unix_nano: u64,
}

impl Default for RotateOptions {
    fn default() -> Self {
        RotateOptions {
            execute: false,
            new_role: None,
            keep_old_role: true,
            now_unix_nano: warden_ledger::ledger::now_unix_nano(),
        }
    }
}

/// Why the rotation did not run or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The env file or the URL in it.
    #[error("secret store: {0}")]
    Store(#[from] StoreError),
    /// The admin connection, or what the admin role may do.
    #[error("admin connection: {why}")]
    Admin {
        /// What is wrong and what to do.
        why: String,
    },
    /// The new role's name.
    #[error("the new role name {name:?} {why}; pass another with --new-role")]
    RoleName {
        /// The name given (or made).
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// A role a person must rotate (superuser, replication, the admin's own, ...).
    #[error("role {role:?} {why}: rotating it automatically is refused; it needs a person")]
    Refused {
        /// The role.
        role: String,
        /// Why.
        why: String,
    },
    /// A step failed after the rotation started: the full report.
    #[error("{0}")]
    Failed(Box<Failure>),
}

/// The steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Read the old role and its privileges (read-only).
    Inspect,
    /// Create the new role with the same attributes, memberships and privileges.
    CreateRole,
    /// Log in as the new role and read a table.
    VerifyNewRole,
    /// Rewrite the env file with the new login.
    UpdateSecretStore,
    /// `ALTER ROLE old NOLOGIN`, then check the old login is refused.
    DisableOldLogin,
    /// End the old role's open sessions.
    TerminateSessions,
    /// `REASSIGN OWNED` / `DROP OWNED` everywhere; keep the old role inert or drop it.
    ReassignAndDrop,
}

impl StepKind {
    /// The step for people.
    pub fn label(self) -> &'static str {
        match self {
            StepKind::Inspect => "inspect",
            StepKind::CreateRole => "create the new role",
            StepKind::VerifyNewRole => "verify the new role",
            StepKind::UpdateSecretStore => "update the secret store",
            StepKind::DisableOldLogin => "disable the old login",
            StepKind::TerminateSessions => "terminate the old sessions",
            StepKind::ReassignAndDrop => "reassign owned objects and retire the old role",
        }
    }
}

/// One SQL statement as shown and journaled (passwords and verifiers as `***`).
#[derive(Debug, Clone, Serialize)]
pub struct SqlLine {
    /// The step.
    pub step: StepKind,
    /// The database it runs in (or that holds it).
    pub database: String,
    /// The statement.
    pub sql: String,
}

/// A role's state; `None` where it could not be told.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RoleState {
    /// The name.
    pub name: String,
    /// Whether the role exists.
    pub exists: Option<bool>,
    /// Whether it has LOGIN.
    pub can_login: Option<bool>,
    /// Open sessions (`pg_stat_activity`).
    pub sessions: Option<i64>,
    /// A login with its credential was tried: did it work?
    pub login_works: Option<bool>,
}

/// Where things stand.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    /// The role being rotated (the user in the service's URL).
    pub old_role: RoleState,
    /// The role replacing it.
    pub new_role: RoleState,
    /// Whether the env file holds the new credential.
    pub env_file_updated: bool,
}

/// One step's journal entry (never a password).
#[derive(Debug, Clone, Serialize)]
pub struct StepLog {
    /// The step.
    pub step: StepKind,
    /// When the step began.
    pub started_unix_nano: u64,
    /// When it ended.
    pub finished_unix_nano: u64,
    /// What ran (or, in a dry run, would run).
    pub sql: Vec<SqlLine>,
    /// `ok`, `planned (dry run)`, or `FAILED: …`.
    pub result: String,
    /// What was checked after it.
    pub verified: Vec<String>,
    /// The state after it.
    pub state: State,
}

/// The old role's attributes.
#[derive(Debug, Clone, Serialize)]
pub struct RoleAttributes {
    /// SUPERUSER (refused).
    pub superuser: bool,
    /// INHERIT.
    pub inherit: bool,
    /// CREATEROLE.
    pub createrole: bool,
    /// CREATEDB.
    pub createdb: bool,
    /// LOGIN.
    pub login: bool,
    /// REPLICATION (refused).
    pub replication: bool,
    /// BYPASSRLS.
    pub bypassrls: bool,
    /// CONNECTION LIMIT (-1: none).
    pub connection_limit: i32,
    /// VALID UNTIL, as the server prints it.
    pub valid_until: Option<String>,
}

/// A role the old one is a member of.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    /// The role.
    pub role: String,
    /// WITH ADMIN OPTION.
    pub admin_option: bool,
}

/// A privilege held by the old role, as the GRANT that gives it to the new one.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    /// The database it runs in (or that holds it).
    pub database: String,
    /// `GRANT … TO new` (the grantee is the new role).
    pub sql: String,
    /// The object, for people.
    pub object: String,
    /// The privilege keyword (`SELECT`, `USAGE`, ...).
    pub privilege: String,
    /// True when the old role owns the object (its owner's privileges; the ownership
    /// itself moves in the last step).
    pub owned: bool,
}

/// What one database holds for the old role.
#[derive(Debug, Clone, Serialize)]
pub struct DbInspection {
    /// The name.
    pub name: String,
    /// The privileges, as GRANTs for the new role.
    pub grants: Vec<Grant>,
    /// Objects the old role owns (`table public.customers`, …).
    pub owned: Vec<String>,
    /// A relation the old role can read (for the new role's check), quoted.
    pub readable_table: Option<String>,
}

/// What inspection found.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The role.
    pub role: String,
    /// Its attributes.
    pub attributes: RoleAttributes,
    /// The roles it is a member of.
    pub memberships: Vec<Membership>,
    /// Per-role settings (`ALTER ROLE … SET`) — not copied; listed for a person.
    pub settings: Vec<String>,
    /// Every database that allows connections.
    pub databases: Vec<DbInspection>,
    /// Databases that vanished (nothing to do there) or stopped taking connections while
    /// being read (like those listed that way: `pg_shdepend` still names them when the
    /// role owns something there, and step 7 stops on it).
    pub skipped_databases: Vec<String>,
    /// Databases where the role owns or holds something (`pg_shdepend`): where
    /// `REASSIGN OWNED` / `DROP OWNED` must run (objects of every kind, not only those
    /// inspected above).
    pub dependent_databases: Vec<String>,
}

/// A finished rotation (or, with `execute` off, the dry run).
#[derive(Debug, Clone, Serialize)]
pub struct Rotation {
    /// True when nothing was changed (no `execute`).
    pub dry_run: bool,
    /// The role being rotated (the user in the service's URL).
    pub old_role: String,
    /// The role replacing it.
    pub new_role: String,
    /// The service's database.
    pub database: String,
    /// The env file (the secret store).
    pub env_file: String,
    /// The variable in it that holds the URL.
    pub variable: String,
    /// The new URL for display: `postgres://new_role:***@host/db`.
    pub new_url: String,
    /// Whether the old role is kept (NOLOGIN, inert) rather than dropped.
    pub keep_old_role: bool,
    /// What inspection found.
    pub inspection: Inspection,
    /// All the SQL, in order (passwords as `***`).
    pub sql: Vec<SqlLine>,
    /// One entry per step, in order.
    pub steps: Vec<StepLog>,
    /// Things a person should know (settings not copied, poolers, …).
    pub notes: Vec<String>,
}

/// A rotation that stopped at a failing step.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The role being rotated (the user in the service's URL).
    pub old_role: String,
    /// The role replacing it.
    pub new_role: String,
    /// The step that failed.
    pub failed_step: StepKind,
    /// The statement or check that failed.
    pub failed_at: String,
    /// The server's (or the file system's) error.
    pub error: String,
    /// The steps done, then the failed one (last).
    pub steps: Vec<StepLog>,
    /// The state, read back after the failure.
    pub state: State,
    /// The env file (the secret store).
    pub env_file: String,
    /// Whether the env file holds the new credential.
    pub env_file_updated: bool,
    /// How to finish the rotation.
    pub roll_forward: Vec<String>,
    /// How to undo what was done (empty once the secret store changed: the old
    /// credential is exposed and must not come back).
    pub roll_back: Vec<String>,
}

impl Failure {
    /// The report for people.
    pub fn render(&self) -> String {
        let mut out = format!(
            "rotation of {} -> {} STOPPED at step \"{}\"\n  failed: {}\n  error: {}\n  done: {}\n",
            self.old_role,
            self.new_role,
            self.failed_step.label(),
            self.failed_at,
            self.error,
            {
                let done: Vec<&str> = self
                    .steps
                    .iter()
                    .filter(|s| s.step != self.failed_step)
                    .map(|s| s.step.label())
                    .collect();
                if done.is_empty() {
                    "nothing".to_string()
                } else {
                    done.join(", ")
                }
            }
        );
        out.push_str(&format!(
            "  old role {}: {}\n  new role {}: {}\n  env file {}: {}\n",
            self.old_role,
            describe(&self.state.old_role),
            self.new_role,
            describe(&self.state.new_role),
            self.env_file,
            if self.env_file_updated {
                "holds the NEW credential"
            } else {
                "unchanged: still holds the OLD credential"
            }
        ));
        out.push_str("roll forward:\n");
        for l in &self.roll_forward {
            out.push_str(&format!("  {l}\n"));
        }
        out.push_str("roll back:\n");
        if self.roll_back.is_empty() {
            out.push_str("  none\n");
        }
        for l in &self.roll_back {
            out.push_str(&format!("  {l}\n"));
        }
        out
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

fn describe(r: &RoleState) -> String {
    let yn = |b: Option<bool>, y: &str, n: &str| match b {
        Some(true) => y.to_string(),
        Some(false) => n.to_string(),
        None => "unknown".to_string(),
    };
    if r.exists == Some(false) {
        return "does not exist".into();
    }
    format!(
        "{}, {}, {} session(s), {}",
        yn(r.exists, "exists", "does not exist"),
        yn(r.can_login, "LOGIN", "NOLOGIN"),
        r.sessions
            .map(|n| n.to_string())
            .unwrap_or("unknown".into()),
        yn(
            r.login_works,
            "its credential logs in",
            "its credential is refused"
        )
    )
}

/// Journals each step into the case as `rotate_step` (the details never hold a
/// password: [`StepLog`] has none). Returns the journal indices.
pub fn journal_steps(case: &Case, steps: &[StepLog]) -> Result<Vec<u64>, CaseError> {
    steps
        .iter()
        .map(|s| {
            let details = match serde_json::to_value(s) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            case.journal("rotate_step", details)
        })
        .collect()
}

/// The default new role name: `<old>_r<YYYYMMDDHHMM>` (UTC); an earlier suffix of
/// this form is replaced, not stacked; cut to PostgreSQL's 63 bytes.
pub fn default_new_role(old: &str, now_unix_nano: u64) -> String {
    let secs = now_unix_nano / 1_000_000_000;
    let (y, mo, d) = crate::time::civil_from_days((secs / 86_400) as i64);
    let hm = secs % 86_400;
    let suffix = format!(
        "_r{y:04}{mo:02}{d:02}{:02}{:02}",
        hm / 3600,
        (hm % 3600) / 60
    );
    let mut base = old;
    if let Some(i) = old.rfind("_r") {
        let tail = &old[i + 2..];
        if tail.len() == 12 && tail.bytes().all(|b| b.is_ascii_digit()) {
            base = &old[..i];
        }
    }
    let mut cut = MAX_NAME.saturating_sub(suffix.len()).min(base.len());
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}", &base[..cut])
}

/// Checks a new role name: lower-case letters, digits and `_`, not starting with a
/// digit or `pg_`, at most 63 bytes (so it needs no quoting in the service's URL or in
/// anyone's SQL).
pub fn validate_role_name(name: &str) -> Result<(), RotateError> {
    let bad = |why: &str| {
        Err(RotateError::RoleName {
            name: name.to_string(),
            why: why.to_string(),
        })
    };
    if name.is_empty() {
        return bad("is empty");
    }
    if name.len() > MAX_NAME {
        return bad("is longer than 63 bytes (PostgreSQL would cut it)");
    }
    if name.starts_with("pg_") {
        return bad("starts with pg_, which PostgreSQL reserves");
    }
    if name.as_bytes()[0].is_ascii_digit() {
        return bad("starts with a digit");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return bad("may hold only a-z, 0-9 and _");
    }
    Ok(())
}

/// Privilege keywords accepted from the server.
const PRIVILEGES: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "USAGE",
    "EXECUTE",
    "CREATE",
    "CONNECT",
    "TEMPORARY",
    "MAINTAIN",
];

fn now() -> u64 {
    warden_ledger::ledger::now_unix_nano()
}

fn pg_err(e: &tokio_postgres::Error) -> String {
    warden_pg::describe_error(e)
}

/// Connects (TLS as `tls` says; see `warden_pg`); the connection runs on this runtime
/// until the client is dropped.
async fn connect(config: &Config, tls: &TlsParams) -> Result<Client, ConnectError> {
    let mut c = config.clone();
    c.connect_timeout(CONNECT_TIMEOUT)
        .application_name("warden-incident-rotate");
    Ok(warden_pg::connect(&c, tls).await?.0)
}

/// The service's connection as `url` describes it, with the login `user`/`password`
/// (the host a Unix-socket directory when it starts with `/`; libpq's default socket
/// directory when the URL names no host).
pub fn app_config(url: &PgUrl, user: &str, password: Option<&Secret>) -> Config {
    let mut c = Config::new();
    c.user(user).dbname(&url.dbname);
    if let Some(p) = password {
        c.password(p.expose());
    }
    match url.host.as_deref() {
        Some(h) if h.starts_with('/') => {
            c.host_path(h);
        }
        Some(h) => {
            c.host(h);
        }
        None => {
            // libpq's default: the local socket.
            c.host_path("/var/run/postgresql");
        }
    }
    if let Some(p) = url.port {
        c.port(p);
    }
    c
}

/// Rotates the PostgreSQL login held in `store` (the env file and the variable with the
/// service's URL), connecting as `admin`. Synchronous: it runs its own single-threaded
/// runtime. With `opts.execute` off it only inspects (read-only sessions) and returns
/// the SQL it would run.
pub fn rotate(
    admin: &AdminConn,
    store: &EnvFile,
    opts: &RotateOptions,
) -> Result<Rotation, RotateError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RotateError::Admin {
            why: format!("cannot start the async runtime: {e}"),
        })?;
    rt.block_on(Rotator::run(admin, store, opts))
}

/// The rotation's working state (holds the passwords: no `Debug`).
struct Rotator<'a> {
    admin: &'a AdminConn,
    store: &'a EnvFile,
    opts: &'a RotateOptions,
    url: PgUrl,
    old: String,
    new: String,
    new_password: Secret,
    steps: Vec<StepLog>,
    state: State,
    /// Every statement, in order, by step (display form).
    plan: Vec<SqlLine>,
    /// The CREATE ROLE with the real verifier (the only statement with a secret).
    create_role_real: Secret,
    inspection: Option<Inspection>,
    /// Plan lines (indices into `plan`) committed so far.
    committed: std::collections::BTreeSet<usize>,
}

/// A step's failure inside the rotator.
struct StepError {
    at: String,
    error: String,
}

impl<'a> Rotator<'a> {
    async fn run(
        admin: &'a AdminConn,
        store: &'a EnvFile,
        opts: &'a RotateOptions,
    ) -> Result<Rotation, RotateError> {
        let url = store.read_url()?;
        let old = url.user.clone();
        // Over a network every connection is TLS with the server's certificate checked
        // (verify-full unless the URL says otherwise): the statements create a login and
        // the sessions are a superuser's, so a connection that may be plain text, or to
        // a server nobody checked (one in the middle could ask for the password in
        // clear), is refused before anything runs.
        let unchecked: Vec<String> = url
            .host
            .iter()
            .map(|h| (h.clone(), &url.tls))
            .chain(admin.hosts().into_iter().map(|h| (h, &admin.tls)))
            .filter_map(|(h, tls)| {
                let mode = tls.effective_mode(Transport::Network);
                (host_transport(&h) == Transport::Network && !mode.verifies())
                    .then(|| format!("{h} (sslmode={mode})"))
            })
            .collect();
        if !unchecked.is_empty() {
            return Err(RotateError::Admin {
                why: format!(
                    "{} would be reached over the network without checking the server's certificate, where the rotation's statements and logins could be read or changed on the way; drop the sslmode parameter (over a network the default is verify-full) or set sslmode=verify-full&sslrootcert=FILE (the provider's CA bundle)",
                    unchecked.join(", ")
                ),
            });
        }
        if url.password().is_none() {
            return Err(RotateError::Refused {
                role: old,
                why: format!(
                    "has no password in {} ({}): the service authenticates another way (trust, peer, certificate), so there is no password to rotate",
                    store.variable,
                    store.path.display()
                ),
            });
        }
        let new = match &opts.new_role {
            Some(n) => n.clone(),
            None => default_new_role(&old, opts.now_unix_nano),
        };
        validate_role_name(&new)?;
        if new == old {
            return Err(RotateError::RoleName {
                name: new,
                why: "is the old role's name".into(),
            });
        }
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw).map_err(|e| RotateError::Admin {
            why: format!("no randomness for the new password: {e}"),
        })?;
        let new_password =
            Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw));
        let mut r = Rotator {
            admin,
            store,
            opts,
            state: State {
                old_role: RoleState {
                    name: old.clone(),
                    ..RoleState::default()
                },
                new_role: RoleState {
                    name: new.clone(),
                    exists: Some(false),
                    ..RoleState::default()
                },
                env_file_updated: false,
            },
            url,
            old,
            new,
            new_password,
            steps: Vec::new(),
            plan: Vec::new(),
            create_role_real: Secret::new(""),
            inspection: None,
            committed: Default::default(),
        };
        r.go().await
    }

    async fn go(&mut self) -> Result<Rotation, RotateError> {
        // 1. Inspect (read-only), refusing what needs a person; errors here are input
        // errors, nothing has changed.
        let started = now();
        let inspection = self.inspect().await?;
        self.build_plan(&inspection);
        self.state.old_role.exists = Some(true);
        self.state.old_role.can_login = Some(inspection.attributes.login);
        self.inspection = Some(inspection.clone());
        self.steps.push(StepLog {
            step: StepKind::Inspect,
            started_unix_nano: started,
            finished_unix_nano: now(),
            sql: Vec::new(),
            result: "ok".into(),
            verified: vec![format!(
                "role {} exists, not superuser or replication; {} database(s) read; {} privilege(s), {} membership(s), {} owned object(s)",
                self.old,
                inspection.databases.len(),
                inspection.databases.iter().map(|d| d.grants.len()).sum::<usize>(),
                inspection.memberships.len(),
                inspection.databases.iter().map(|d| d.owned.len()).sum::<usize>()
            )],
            state: self.state.clone(),
        });
        let mut notes = self.notes(&inspection);
        if !self.opts.execute {
            for kind in [
                StepKind::CreateRole,
                StepKind::VerifyNewRole,
                StepKind::UpdateSecretStore,
                StepKind::DisableOldLogin,
                StepKind::TerminateSessions,
                StepKind::ReassignAndDrop,
            ] {
                let t = now();
                self.steps.push(StepLog {
                    step: kind,
                    started_unix_nano: t,
                    finished_unix_nano: t,
                    sql: self.sql_of(kind),
                    result: "planned (dry run)".into(),
                    verified: Vec::new(),
                    state: self.state.clone(),
                });
            }
            if !self.store.writable().unwrap_or(false) {
                notes.push(format!(
                    "the env file {} is read-only: --execute would stop at the secret-store update; make it writable first",
                    self.store.path.display()
                ));
            }
            return Ok(self.finish(inspection, notes, true));
        }
        let steps: [StepKind; 6] = [
            StepKind::CreateRole,
            StepKind::VerifyNewRole,
            StepKind::UpdateSecretStore,
            StepKind::DisableOldLogin,
            StepKind::TerminateSessions,
            StepKind::ReassignAndDrop,
        ];
        for kind in steps {
            let started = now();
            let outcome = match kind {
                StepKind::CreateRole => self.create_role().await,
                StepKind::VerifyNewRole => self.verify_new(&inspection).await,
                StepKind::UpdateSecretStore => self.update_store(),
                StepKind::DisableOldLogin => self.disable_old().await,
                StepKind::TerminateSessions => self.terminate().await,
                StepKind::ReassignAndDrop => self.reassign_and_drop(&inspection).await,
                StepKind::Inspect => Ok(Vec::new()),
            };
            // After every step from the new role's creation on: the new credential
            // still logs in, and once disabled the old one still cannot.
            let outcome = match outcome {
                Ok(mut verified) if kind >= StepKind::VerifyNewRole => {
                    match self.login_checks(kind).await {
                        Ok(mut more) => {
                            verified.append(&mut more);
                            Ok(verified)
                        }
                        Err(e) => Err(e),
                    }
                }
                other => other,
            };
            match outcome {
                Ok(verified) => self.steps.push(StepLog {
                    step: kind,
                    started_unix_nano: started,
                    finished_unix_nano: now(),
                    sql: self.sql_of(kind),
                    result: "ok".into(),
                    verified,
                    state: self.state.clone(),
                }),
                Err(e) => {
                    return Err(self.fail(kind, started, e).await);
                }
            }
        }
        Ok(self.finish(inspection, notes, false))
    }

    fn finish(&self, inspection: Inspection, notes: Vec<String>, dry_run: bool) -> Rotation {
        Rotation {
            dry_run,
            old_role: self.old.clone(),
            new_role: self.new.clone(),
            database: self.url.dbname.clone(),
            env_file: self.store.path.display().to_string(),
            variable: self.store.variable.clone(),
            new_url: self.url.redacted_as(&self.new),
            keep_old_role: self.opts.keep_old_role,
            inspection,
            sql: self.plan.clone(),
            steps: self.steps.clone(),
            notes,
        }
    }

    fn notes(&self, i: &Inspection) -> Vec<String> {
        let mut notes = vec![
            "Poolers (PgBouncer, pgpool): the server sees the pooler's login; update and reload the pooler's auth file too, and end the old login's client sessions there.".to_string(),
            "Restart or reload the service so it reads the new value from the env file; its connections then show as the new role in pg_stat_activity.".to_string(),
        ];
        if !i.settings.is_empty() {
            notes.push(format!(
                "Per-role settings were not copied (set them on the new role by hand): {}",
                i.settings.join("; ")
            ));
        }
        if self.opts.keep_old_role {
            notes.push(format!(
                "The old role {} is kept NOLOGIN, without password, memberships, privileges or objects, for forensics; drop it after the investigation: DROP ROLE {};",
                self.old,
                ident(&self.old)
            ));
        }
        notes
    }

    fn sql_of(&self, kind: StepKind) -> Vec<SqlLine> {
        self.plan
            .iter()
            .filter(|l| l.step == kind)
            .cloned()
            .collect()
    }

    fn push(&mut self, step: StepKind, database: &str, sql: String) {
        self.plan.push(SqlLine {
            step,
            database: database.to_string(),
            sql,
        });
    }

    async fn inspect(&mut self) -> Result<Inspection, RotateError> {
        let admin_err = |why: String| RotateError::Admin { why };
        let maint = self.admin.to_db(&self.url.dbname);
        let c = connect(&maint, &self.admin.tls).await.map_err(|e| {
            admin_err(format!(
                "cannot connect as the admin to database {}: {}",
                self.url.dbname, e
            ))
        })?;
        let q = |e: tokio_postgres::Error| admin_err(format!("inspecting: {}", pg_err(&e)));
        // Inspection only reads, whatever follows.
        c.batch_execute("SET default_transaction_read_only = on")
            .await
            .map_err(q)?;
        let me = c
            .query_one(
                "SELECT current_user::text, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .await
            .map_err(q)?;
        let admin_user: String = me.get(0);
        let (is_super, can_create): (bool, bool) = (me.get(1), me.get(2));
        if !is_super && !can_create {
            return Err(admin_err(format!(
                "the admin role {admin_user} has neither SUPERUSER nor CREATEROLE, so it cannot create the new role; connect as a superuser"
            )));
        }
        if !is_super {
            return Err(admin_err(format!(
                "the admin role {admin_user} has CREATEROLE but is not a superuser: it could create the new role but not grant the privileges on objects the old role owns, nor REASSIGN OWNED; connect as a superuser"
            )));
        }
        if admin_user == self.old {
            return Err(RotateError::Refused {
                role: self.old.clone(),
                why: "is the admin connection's own role".into(),
            });
        }
        let row = c
            .query_opt(
                "SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil::text FROM pg_roles WHERE rolname = $1",
                &[&self.old],
            )
            .await
            .map_err(q)?;
        let Some(row) = row else {
            return Err(RotateError::Refused {
                role: self.old.clone(),
                why: format!(
                    "does not exist on the server (it is the user in {} of {}); check the env file and the admin connection point at the same cluster",
                    self.store.variable,
                    self.store.path.display()
                ),
            });
        };
        let attributes = RoleAttributes {
            superuser: row.get(0),
            inherit: row.get(1),
            createrole: row.get(2),
            createdb: row.get(3),
            login: row.get(4),
            replication: row.get(5),
            bypassrls: row.get(6),
            connection_limit: row.get(7),
            valid_until: row.get(8),
        };
        if attributes.superuser {
            return Err(RotateError::Refused {
                role: self.old.clone(),
                why: "is a superuser (a service should not log in as one; a superuser can also have changed anything, so its rotation goes with a review)".into(),
            });
        }
        if attributes.replication {
            return Err(RotateError::Refused {
                role: self.old.clone(),
                why: "is a replication role (standbys and replication slots use it; rotating it means reconfiguring them)".into(),
            });
        }
        if c.query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&self.new])
            .await
            .map_err(q)?
            .is_some()
        {
            return Err(RotateError::RoleName {
                name: self.new.clone(),
                why: "already exists on the server".into(),
            });
        }
        let memberships = c
            .query(
                "SELECT g.rolname::text, m.admin_option FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1 ORDER BY 1",
                &[&self.old],
            )
            .await
            .map_err(q)?
            .iter()
            .map(|r| Membership {
                role: r.get(0),
                admin_option: r.get(1),
            })
            .collect();
        let settings = c
            .query(
                "SELECT COALESCE('in database ' || d.datname || ': ', '') || array_to_string(s.setconfig, ', ') FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase WHERE r.rolname = $1",
                &[&self.old],
            )
            .await
            .map_err(q)?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        // Database-level privileges (a shared catalog: read once).
        let db_rows = c
            .query(
                "SELECT d.datname::text, a.privilege_type, a.is_grantable, d.datdba = r.oid FROM pg_database d CROSS JOIN (SELECT oid FROM pg_roles WHERE rolname = $1) r CROSS JOIN LATERAL aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a WHERE a.grantee = r.oid ORDER BY 1, 2",
                &[&self.old],
            )
            .await
            .map_err(q)?;
        let mut db_grants: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
        let mut db_owned: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in &db_rows {
            let (db, p, g, owned): (String, String, bool, bool) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            if let Some(grant) = self.grant("DATABASE", &ident(&db), &db, &p, g, owned, &db) {
                db_grants.entry(db.clone()).or_default().push(grant);
            }
            if owned {
                let list = db_owned.entry(db.clone()).or_default();
                let what = format!("database {db}");
                if !list.contains(&what) {
                    list.push(what);
                }
            }
        }
        let dbs: Vec<String> = c
            .query(
                "SELECT datname::text FROM pg_database WHERE datallowconn ORDER BY datname",
                &[],
            )
            .await
            .map_err(q)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let dependent_databases: Vec<String> = c
            .query(
                "SELECT DISTINCT d.datname::text FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1) ORDER BY 1",
                &[&self.old],
            )
            .await
            .map_err(q)?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        drop(c);
        let mut databases = Vec::new();
        let mut skipped_databases = Vec::new();
        for db in dbs {
            let dc = match connect(&self.admin.to_db(&db), &self.admin.tls).await {
                Ok(dc) => dc,
                // Dropped since it was listed (it holds nothing any more), or closed to
                // connections since (ALTER DATABASE … ALLOW_CONNECTIONS false): skipped
                // like the databases listed that way, which the report names.
                Err(e)
                    if e.code() == Some(&tokio_postgres::error::SqlState::INVALID_CATALOG_NAME)
                        || e.code()
                            == Some(
                                &tokio_postgres::error::SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                            ) =>
                {
                    skipped_databases.push(db);
                    continue;
                }
                Err(e) => {
                    return Err(admin_err(format!(
                        "cannot connect as the admin to database {db} (every database that allows connections is read: the old role may hold privileges there): {}",
                        e
                    )));
                }
            };
            let inspected = async {
                dc.batch_execute("SET default_transaction_read_only = on")
                    .await?;
                self.inspect_db(&dc, &db).await
            }
            .await;
            let mut d = match inspected {
                Ok(d) => d,
                // Dropped while it was read (DROP DATABASE … WITH (FORCE) ends sessions).
                Err(_) if self.database_exists(&db).await == Some(false) => {
                    skipped_databases.push(db);
                    continue;
                }
                Err(e) => return Err(q(e)),
            };
            let mut grants = db_grants.remove(&db).unwrap_or_default();
            grants.append(&mut d.grants);
            d.grants = grants;
            let mut owned = db_owned.remove(&db).unwrap_or_default();
            owned.append(&mut d.owned);
            d.owned = owned;
            databases.push(d);
        }
        Ok(Inspection {
            role: self.old.clone(),
            attributes,
            memberships,
            settings,
            databases,
            skipped_databases,
            dependent_databases,
        })
    }

    /// Whether database `db` exists, asked on a new admin connection to the service's
    /// database; `None` when that cannot be asked. A `DROP DATABASE … WITH (FORCE)`
    /// ends the sessions before its row goes, so a database still listed is asked
    /// about again for up to two seconds.
    async fn database_exists(&self, db: &str) -> Option<bool> {
        let c = connect(&self.admin.to_db(&self.url.dbname), &self.admin.tls)
            .await
            .ok()?;
        for _ in 0..10 {
            let listed = c
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&db])
                .await
                .ok()?
                .is_some();
            if !listed {
                return Some(false);
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        Some(true)
    }

    /// The GRANT for one privilege, or `None` for a keyword not on the list.
    #[allow(clippy::too_many_arguments)]
    fn grant(
        &self,
        kind: &str,
        object_sql: &str,
        object_label: &str,
        privilege: &str,
        grantable: bool,
        owned: bool,
        database: &str,
    ) -> Option<Grant> {
        if !PRIVILEGES.contains(&privilege) {
            return None;
        }
        Some(Grant {
            database: database.to_string(),
            sql: format!(
                "GRANT {privilege} ON {kind} {object_sql} TO {}{};",
                ident(&self.new),
                if grantable { " WITH GRANT OPTION" } else { "" }
            ),
            object: format!("{} {object_label}", kind.to_lowercase()),
            privilege: privilege.to_string(),
            owned,
        })
    }

    async fn inspect_db(
        &self,
        c: &Client,
        db: &str,
    ) -> Result<DbInspection, tokio_postgres::Error> {
        let mut grants = Vec::new();
        let mut owned = Vec::new();
        let mut readable_table = None;
        let role = "CROSS JOIN (SELECT oid FROM pg_roles WHERE rolname = $1) r";
        let rels = c
            .query(
                &format!(
                    "SELECT n.nspname::text, c.relname::text, c.relkind::text, a.privilege_type, a.is_grantable, c.relowner = r.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace {role} CROSS JOIN LATERAL aclexplode(COALESCE(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))) a WHERE a.grantee = r.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') ORDER BY 1, 2, 4"
                ),
                &[&self.old],
            )
            .await?;
        for r in &rels {
            let (nsp, rel, kind, p, g, own): (String, String, String, String, bool, bool) =
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
            let name = format!("{}.{}", ident(&nsp), ident(&rel));
            let label = format!("{nsp}.{rel}");
            let k = if kind == "S" { "SEQUENCE" } else { "TABLE" };
            if p == "SELECT" && kind != "S" && readable_table.is_none() {
                readable_table = Some(name.clone());
            }
            if let Some(gr) = self.grant(k, &name, &label, &p, g, own, db) {
                grants.push(gr);
            }
            let what = format!("{} {label}", if kind == "S" { "sequence" } else { "table" });
            if own && !owned.contains(&what) {
                owned.push(what);
            }
        }
        let schemas = c
            .query(
                &format!(
                    "SELECT n.nspname::text, a.privilege_type, a.is_grantable, n.nspowner = r.oid FROM pg_namespace n {role} CROSS JOIN LATERAL aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a WHERE a.grantee = r.oid ORDER BY 1, 2"
                ),
                &[&self.old],
            )
            .await?;
        for r in &schemas {
            let (nsp, p, g, own): (String, String, bool, bool) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            if let Some(gr) = self.grant("SCHEMA", &ident(&nsp), &nsp, &p, g, own, db) {
                grants.push(gr);
            }
            let what = format!("schema {nsp}");
            if own && !owned.contains(&what) {
                owned.push(what);
            }
        }
        // Routines: regprocedure prints the quoted, argument-typed name that GRANT takes.
        let routines = c
            .query(
                &format!(
                    "SELECT p.oid::regprocedure::text, a.privilege_type, a.is_grantable, p.proowner = r.oid FROM pg_proc p {role} CROSS JOIN LATERAL aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee = r.oid ORDER BY 1"
                ),
                &[&self.old],
            )
            .await?;
        for r in &routines {
            let (sig, p, g, own): (String, String, bool, bool) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            if let Some(gr) = self.grant("ROUTINE", &sig, &sig, &p, g, own, db) {
                grants.push(gr);
            }
            let what = format!("routine {sig}");
            if own && !owned.contains(&what) {
                owned.push(what);
            }
        }
        // Default privileges: those given to the old role by others, and those the old
        // role gives on what it creates (the new role will create from now on).
        let defaults = c
            .query(
                "SELECT pg_get_userbyid(d.defaclrole)::text, n.nspname::text, d.defaclobjtype::text, a.grantee, pg_get_userbyid(a.grantee)::text, a.grantee = r.oid, d.defaclrole = r.oid, a.privilege_type, a.is_grantable FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace CROSS JOIN (SELECT oid FROM pg_roles WHERE rolname = $1) r CROSS JOIN LATERAL aclexplode(d.defaclacl) a WHERE d.defaclrole = r.oid OR a.grantee = r.oid ORDER BY 1, 2, 3, 5, 8",
                &[&self.old],
            )
            .await?;
        for r in &defaults {
            let owner: String = r.get(0);
            let nsp: Option<String> = r.get(1);
            let objtype: String = r.get(2);
            let grantee_oid: u32 = r.get(3);
            let grantee: String = r.get(4);
            let (to_old, by_old): (bool, bool) = (r.get(5), r.get(6));
            let (p, g): (String, bool) = (r.get(7), r.get(8));
            let objects = match objtype.as_str() {
                "r" => "TABLES",
                "S" => "SEQUENCES",
                "f" => "FUNCTIONS",
                "T" => "TYPES",
                "n" => "SCHEMAS",
                _ => continue,
            };
            if !PRIVILEGES.contains(&p.as_str()) {
                continue;
            }
            let for_role = if by_old { &self.new } else { &owner };
            let to = if to_old {
                ident(&self.new)
            } else if grantee_oid == 0 {
                "PUBLIC".to_string()
            } else {
                ident(&grantee)
            };
            let in_schema = nsp
                .as_deref()
                .map(|s| format!(" IN SCHEMA {}", ident(s)))
                .unwrap_or_default();
            grants.push(Grant {
                database: db.to_string(),
                sql: format!(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {}{in_schema} GRANT {p} ON {objects} TO {to}{};",
                    ident(for_role),
                    if g { " WITH GRANT OPTION" } else { "" }
                ),
                object: format!(
                    "default privileges for role {owner}{}",
                    nsp.map(|s| format!(" in schema {s}")).unwrap_or_default()
                ),
                privilege: p,
                owned: false,
            });
        }
        Ok(DbInspection {
            name: db.to_string(),
            grants,
            owned,
            readable_table,
        })
    }

    /// All the SQL, from the inspection.
    fn build_plan(&mut self, i: &Inspection) {
        let a = &i.attributes;
        let flag = |on: bool, name: &str| format!("{}{name}", if on { "" } else { "NO" });
        let mut create = format!(
            "CREATE ROLE {} WITH LOGIN {} {} {} {} CONNECTION LIMIT {}",
            ident(&self.new),
            flag(a.inherit, "INHERIT"),
            flag(a.createdb, "CREATEDB"),
            flag(a.createrole, "CREATEROLE"),
            flag(a.bypassrls, "BYPASSRLS"),
            a.connection_limit
        );
        if let Some(v) = &a.valid_until {
            create.push_str(&format!(" VALID UNTIL {}", lit(v)));
        }
        let verifier =
            postgres_protocol::password::scram_sha_256(self.new_password.expose().as_bytes());
        self.create_role_real = Secret::new(format!("{create} PASSWORD {};", lit(&verifier)));
        let app_db = self.url.dbname.clone();
        self.push(
            StepKind::CreateRole,
            &app_db,
            format!("{create} PASSWORD '***';"),
        );
        for m in &i.memberships {
            let sql = format!(
                "GRANT {} TO {}{};",
                ident(&m.role),
                ident(&self.new),
                if m.admin_option {
                    " WITH ADMIN OPTION"
                } else {
                    ""
                }
            );
            self.push(StepKind::CreateRole, &app_db, sql);
        }
        for d in &i.databases {
            for g in &d.grants {
                self.push(StepKind::CreateRole, &d.name, g.sql.clone());
            }
        }
        // Steps 3 and 4 run no SQL (a login and a file).
        self.push(
            StepKind::DisableOldLogin,
            &app_db,
            format!("ALTER ROLE {} NOLOGIN;", ident(&self.old)),
        );
        self.push(
            StepKind::TerminateSessions,
            &app_db,
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = {};",
                lit(&self.old)
            ),
        );
        // Only where the role owns or holds something; the service's database always
        // (shared objects, such as privileges on databases, are dropped from any one).
        for d in i
            .databases
            .iter()
            .filter(|d| d.name == app_db || i.dependent_databases.contains(&d.name))
        {
            self.push(
                StepKind::ReassignAndDrop,
                &d.name,
                format!(
                    "REASSIGN OWNED BY {} TO {};",
                    ident(&self.old),
                    ident(&self.new)
                ),
            );
            self.push(
                StepKind::ReassignAndDrop,
                &d.name,
                format!("DROP OWNED BY {};", ident(&self.old)),
            );
        }
        if self.opts.keep_old_role {
            for m in &i.memberships {
                let sql = format!("REVOKE {} FROM {};", ident(&m.role), ident(&self.old));
                self.push(StepKind::ReassignAndDrop, &app_db, sql);
            }
            self.push(
                StepKind::ReassignAndDrop,
                &app_db,
                format!("ALTER ROLE {} PASSWORD NULL;", ident(&self.old)),
            );
        } else {
            self.push(
                StepKind::ReassignAndDrop,
                &app_db,
                format!("DROP ROLE {};", ident(&self.old)),
            );
        }
    }

    /// Runs one step's statements, grouped by database, each group in a transaction
    /// (so a group is all or nothing; groups run in order).
    async fn run_sql(&mut self, kind: StepKind) -> Result<(), StepError> {
        // (database, [(index in the plan, statement)]) for consecutive statements.
        let mut groups: Vec<(String, Vec<(usize, String)>)> = Vec::new();
        for (i, l) in self.plan.iter().enumerate().filter(|(_, l)| l.step == kind) {
            match groups.last_mut() {
                Some((db, v)) if *db == l.database => v.push((i, l.sql.clone())),
                _ => groups.push((l.database.clone(), vec![(i, l.sql.clone())])),
            }
        }
        for (db, stmts) in groups {
            let mut c = match connect(&self.admin.to_db(&db), &self.admin.tls).await {
                Ok(c) => c,
                Err(e)
                    if e.code() == Some(&tokio_postgres::error::SqlState::INVALID_CATALOG_NAME) =>
                {
                    // Dropped since inspection: nothing of the old role is left there.
                    self.committed.extend(stmts.iter().map(|(i, _)| *i));
                    continue;
                }
                Err(e) => {
                    return Err(StepError {
                        at: format!("connecting as the admin to database {db}"),
                        error: e.to_string(),
                    });
                }
            };
            let tx = c.transaction().await.map_err(|e| StepError {
                at: format!("BEGIN in database {db}"),
                error: pg_err(&e),
            })?;
            for (n, (_, s)) in stmts.iter().enumerate() {
                // The CREATE ROLE runs with the real verifier; everything else as shown.
                let real = if s.starts_with("CREATE ROLE ") {
                    self.create_role_real.expose()
                } else {
                    s.as_str()
                };
                tx.batch_execute(real).await.map_err(|e| StepError {
                    at: if n == 0 {
                        format!("{s} (in database {db})")
                    } else {
                        format!(
                            "{s} (in database {db}; the {n} statement(s) before it in this database's transaction were rolled back)"
                        )
                    },
                    error: pg_err(&e),
                })?;
            }
            tx.commit().await.map_err(|e| StepError {
                at: format!("COMMIT in database {db}"),
                error: pg_err(&e),
            })?;
            self.committed.extend(stmts.iter().map(|(i, _)| *i));
            if kind == StepKind::CreateRole
                && stmts.iter().any(|(_, s)| s.starts_with("CREATE ROLE "))
            {
                self.state.new_role.exists = Some(true);
                self.state.new_role.can_login = Some(true);
            }
        }
        Ok(())
    }

    async fn create_role(&mut self) -> Result<Vec<String>, StepError> {
        self.run_sql(StepKind::CreateRole).await?;
        let c = self.admin_client().await?;
        let row = c
            .query_opt(
                "SELECT rolcanlogin, (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid) FROM pg_roles r WHERE rolname = $1",
                &[&self.new],
            )
            .await
            .map_err(|e| StepError {
                at: "reading the new role back".into(),
                error: pg_err(&e),
            })?;
        match row {
            Some(r) if r.get::<_, bool>(0) => {
                let n: i64 = r.get(1);
                Ok(vec![format!(
                    "role {} exists with LOGIN and {n} membership(s)",
                    self.new
                )])
            }
            _ => Err(StepError {
                at: "reading the new role back".into(),
                error: format!(
                    "role {} is not there with LOGIN after CREATE ROLE",
                    self.new
                ),
            }),
        }
    }

    async fn admin_client(&self) -> Result<Client, StepError> {
        connect(&self.admin.to_db(&self.url.dbname), &self.admin.tls)
            .await
            .map_err(|e| StepError {
                at: format!("connecting as the admin to database {}", self.url.dbname),
                error: e.to_string(),
            })
    }

    async fn verify_new(&mut self, i: &Inspection) -> Result<Vec<String>, StepError> {
        let cfg = app_config(&self.url, &self.new, Some(&self.new_password));
        let c = connect(&cfg, &self.url.tls).await.map_err(|e| {
            self.state.new_role.login_works = Some(false);
            StepError {
                at: format!(
                    "logging in as {} to database {} (check pg_hba.conf lets the new role in)",
                    self.new, self.url.dbname
                ),
                error: e.to_string(),
            }
        })?;
        self.state.new_role.login_works = Some(true);
        let table = i
            .databases
            .iter()
            .find(|d| d.name == self.url.dbname)
            .and_then(|d| d.readable_table.clone());
        let who: String = c
            .query_one("SELECT current_user::text", &[])
            .await
            .map_err(|e| StepError {
                at: "SELECT current_user as the new role".into(),
                error: pg_err(&e),
            })?
            .get(0);
        let mut verified = vec![format!(
            "logged in as {who} to database {} with the new password",
            self.url.dbname
        )];
        match table {
            Some(t) => {
                let sql = format!("SELECT count(*) FROM (SELECT 1 FROM {t} LIMIT 1) s");
                c.query_one(&sql, &[]).await.map_err(|e| StepError {
                    at: format!("{sql} (as the new role)"),
                    error: pg_err(&e),
                })?;
                verified.push(format!(
                    "read {t}, a table the old role could read, as the new role"
                ));
            }
            None => verified.push(
                "the old role could read no table in the service's database: only the login was checked".into(),
            ),
        }
        Ok(verified)
    }

    fn update_store(&mut self) -> Result<Vec<String>, StepError> {
        let at = format!(
            "rewriting {} in {}",
            self.store.variable,
            self.store.path.display()
        );
        let new_value = self.url.rewritten(&self.new, &self.new_password);
        self.store
            .replace_value(&new_value)
            .map_err(|e| StepError {
                at: at.clone(),
                error: e.to_string(),
            })?;
        self.state.env_file_updated = true;
        // Read back: the new login is there, the old password is not.
        let back = self.store.read_url().map_err(|e| StepError {
            at: format!("reading {} back", self.store.path.display()),
            error: e.to_string(),
        })?;
        if back.user != self.new || back.password() != Some(&self.new_password) {
            return Err(StepError {
                at: format!("reading {} back", self.store.path.display()),
                error: "the file does not hold the new credential after the rewrite".into(),
            });
        }
        let old_gone = self
            .url
            .password()
            .is_none_or(|p| !crate::secret_store::file_contains(&self.store.path, p));
        let mut verified = vec![format!(
            "{} in {} now holds {} (read back)",
            self.store.variable,
            self.store.path.display(),
            self.url.redacted_as(&self.new)
        )];
        verified.push(if old_gone {
            "the old password is nowhere in the file; no backup of it was kept".into()
        } else {
            "WARNING: the old password still appears elsewhere in the file (another variable?): remove it".into()
        });
        Ok(verified)
    }

    async fn disable_old(&mut self) -> Result<Vec<String>, StepError> {
        self.run_sql(StepKind::DisableOldLogin).await?;
        self.state.old_role.can_login = Some(false);
        let cfg = app_config(&self.url, &self.old, self.url.password());
        match connect(&cfg, &self.url.tls).await {
            Ok(_) => {
                self.state.old_role.login_works = Some(true);
                Err(StepError {
                    at: "logging in with the old credential after NOLOGIN".into(),
                    error: "the login worked: the old credential is still accepted".into(),
                })
            }
            Err(e) => {
                self.state.old_role.login_works = Some(false);
                let refused = e.code()
                    == Some(&tokio_postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION);
                Ok(vec![if refused {
                    format!("a login with the old credential is refused: {}", e)
                } else {
                    format!(
                        "a login with the old credential fails, though not with \"not permitted to log in\": {}",
                        e
                    )
                }])
            }
        }
    }

    /// The logins after a step: the new credential (from the env file once it holds
    /// it) must work; the old one, once disabled, must not.
    async fn login_checks(&mut self, kind: StepKind) -> Result<Vec<String>, StepError> {
        let mut out = Vec::new();
        let (cfg, tls, from) = if self.state.env_file_updated {
            let url = self.store.read_url().map_err(|e| StepError {
                at: format!("reading {} back", self.store.path.display()),
                error: e.to_string(),
            })?;
            (
                app_config(&url, &url.user, url.password()),
                url.tls,
                "the env file's credential",
            )
        } else {
            (
                app_config(&self.url, &self.new, Some(&self.new_password)),
                self.url.tls.clone(),
                "the new credential",
            )
        };
        match connect(&cfg, &tls).await {
            Ok(_) => {
                self.state.new_role.login_works = Some(true);
                out.push(format!("{from} logs in"));
            }
            Err(e) => {
                self.state.new_role.login_works = Some(false);
                return Err(StepError {
                    at: format!("logging in with {from} after this step"),
                    error: e.to_string(),
                });
            }
        }
        if kind > StepKind::DisableOldLogin {
            let old = app_config(&self.url, &self.old, self.url.password());
            if connect(&old, &self.url.tls).await.is_ok() {
                self.state.old_role.login_works = Some(true);
                return Err(StepError {
                    at: "logging in with the old credential after this step".into(),
                    error: "the login worked: the old credential is accepted again".into(),
                });
            }
            self.state.old_role.login_works = Some(false);
            out.push("the old credential is still refused".into());
        }
        Ok(out)
    }

    async fn old_sessions(&self, c: &Client) -> Result<i64, StepError> {
        Ok(c.query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = $1",
            &[&self.old],
        )
        .await
        .map_err(|e| StepError {
            at: "counting the old role's sessions".into(),
            error: pg_err(&e),
        })?
        .get(0))
    }

    async fn terminate(&mut self) -> Result<Vec<String>, StepError> {
        let c = self.admin_client().await?;
        let before = self.old_sessions(&c).await?;
        self.run_sql(StepKind::TerminateSessions).await?;
        // pg_terminate_backend signals; the backends exit shortly after.
        let deadline = tokio::time::Instant::now() + TERMINATE_WAIT;
        loop {
            let n = self.old_sessions(&c).await?;
            self.state.old_role.sessions = Some(n);
            if n == 0 {
                return Ok(vec![format!(
                    "{before} session(s) of {} terminated; none remain",
                    self.old
                )]);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(StepError {
                    at: "waiting for the old role's sessions to end".into(),
                    error: format!(
                        "{n} session(s) of {} still open after {}s",
                        self.old,
                        TERMINATE_WAIT.as_secs()
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn reassign_and_drop(&mut self, i: &Inspection) -> Result<Vec<String>, StepError> {
        self.run_sql(StepKind::ReassignAndDrop).await?;
        let c = self.admin_client().await?;
        let err = |e: tokio_postgres::Error| StepError {
            at: "checking the old role afterwards".into(),
            error: pg_err(&e),
        };
        let row = c
            .query_opt(
                "SELECT rolcanlogin, (SELECT count(*) FROM pg_shdepend s WHERE s.refobjid = r.oid AND s.refclassid = 'pg_authid'::regclass), (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid) FROM pg_roles r WHERE rolname = $1",
                &[&self.old],
            )
            .await
            .map_err(err)?;
        let owned_count: usize = i.databases.iter().map(|d| d.owned.len()).sum();
        match (row, self.opts.keep_old_role) {
            (None, false) => {
                self.state.old_role.exists = Some(false);
                self.state.old_role.can_login = None;
                Ok(vec![format!(
                    "role {} is gone; {owned_count} object(s) it owned now belong to {}",
                    self.old, self.new
                )])
            }
            (Some(r), true) => {
                let (login, deps, members): (bool, i64, i64) = (r.get(0), r.get(1), r.get(2));
                if login || deps != 0 || members != 0 {
                    return Err(StepError {
                        at: "checking the kept old role".into(),
                        error: format!(
                            "role {} still has login={login}, {deps} dependent object(s)/privilege(s), {members} membership(s)",
                            self.old
                        ),
                    });
                }
                Ok(vec![format!(
                    "role {} kept for forensics: NOLOGIN, no password, no memberships, owns and holds nothing (pg_shdepend); {owned_count} object(s) it owned now belong to {}",
                    self.old, self.new
                )])
            }
            (Some(_), false) => Err(StepError {
                at: "checking that the old role is gone".into(),
                error: format!("role {} still exists after DROP ROLE", self.old),
            }),
            (None, true) => Err(StepError {
                at: "checking the kept old role".into(),
                error: format!("role {} is gone though it was to be kept", self.old),
            }),
        }
    }

    /// Reads the state back after a failure (best effort: `None` where unknown).
    async fn read_state(&mut self) {
        if let Ok(c) = connect(&self.admin.to_db(&self.url.dbname), &self.admin.tls).await {
            for (name, st) in [
                (self.old.clone(), &mut self.state.old_role),
                (self.new.clone(), &mut self.state.new_role),
            ] {
                match c
                    .query_opt(
                        "SELECT rolcanlogin, (SELECT count(*) FROM pg_stat_activity WHERE usename = $1) FROM pg_roles WHERE rolname = $1",
                        &[&name],
                    )
                    .await
                {
                    Ok(Some(r)) => {
                        st.exists = Some(true);
                        st.can_login = Some(r.get(0));
                        st.sessions = Some(r.get(1));
                    }
                    Ok(None) => {
                        st.exists = Some(false);
                        st.can_login = None;
                        st.sessions = Some(0);
                        st.login_works = Some(false);
                    }
                    Err(_) => {}
                }
            }
        }
        if self.state.new_role.exists == Some(true) {
            let cfg = app_config(&self.url, &self.new, Some(&self.new_password));
            self.state.new_role.login_works = Some(connect(&cfg, &self.url.tls).await.is_ok());
        }
        if self.state.old_role.exists == Some(true) {
            let cfg = app_config(&self.url, &self.old, self.url.password());
            self.state.old_role.login_works = Some(connect(&cfg, &self.url.tls).await.is_ok());
        }
    }

    async fn fail(&mut self, kind: StepKind, started: u64, e: StepError) -> RotateError {
        self.read_state().await;
        self.steps.push(StepLog {
            step: kind,
            started_unix_nano: started,
            finished_unix_nano: now(),
            sql: self.sql_of(kind),
            result: format!("FAILED: {}: {}", e.at, e.error),
            verified: Vec::new(),
            state: self.state.clone(),
        });
        let (roll_forward, roll_back) = self.recovery(kind);
        RotateError::Failed(Box::new(Failure {
            old_role: self.old.clone(),
            new_role: self.new.clone(),
            failed_step: kind,
            failed_at: e.at,
            error: e.error,
            steps: self.steps.clone(),
            state: self.state.clone(),
            env_file: self.store.path.display().to_string(),
            env_file_updated: self.state.env_file_updated,
            roll_forward,
            roll_back,
        }))
    }

    /// The SQL not yet committed of the steps from `from` on, as lines `-- in database
    /// X: SQL`.
    fn remaining(&self, from: StepKind) -> Vec<String> {
        self.plan
            .iter()
            .enumerate()
            .filter(|(i, l)| l.step >= from && !self.committed.contains(i))
            .map(|(_, l)| l)
            .map(|l| format!("-- in database {}: {}", l.database, l.sql))
            .collect()
    }

    /// Roll forward and roll back for a failure at `kind`.
    fn recovery(&self, kind: StepKind) -> (Vec<String>, Vec<String>) {
        let new_exists = self.state.new_role.exists != Some(false);
        // Undoing the new role: its grants in every database, then the role.
        let mut undo_new = Vec::new();
        if new_exists {
            if let Some(i) = &self.inspection {
                for d in &i.databases {
                    undo_new.push(format!(
                        "-- in database {}: DROP OWNED BY {};",
                        d.name,
                        ident(&self.new)
                    ));
                }
            }
            undo_new.push(format!(
                "-- in database {}: DROP ROLE {};",
                self.url.dbname,
                ident(&self.new)
            ));
        }
        let rerun = "then re-run `warden incident rotate --execute` (a fresh new role and password; the new password of this run was never shown or stored, on purpose)".to_string();
        // Once the env file holds the new credential (a check after the rewrite failed,
        // say), the service depends on the new role: only forward is safe.
        if self.state.env_file_updated && kind < StepKind::DisableOldLogin {
            let mut fwd = vec![format!(
                "the env file {} already holds the new credential (the step failed after writing it): do NOT drop role {}. Fix the cause above, check the service can log in with the file's credential, then run as superuser what did not run yet:",
                self.store.path.display(),
                self.new
            )];
            fwd.extend(self.remaining(StepKind::DisableOldLogin));
            let back = vec![format!(
                "none: the env file holds the new credential; the old one ({}) is exposed and must not come back",
                self.old
            )];
            return (fwd, back);
        }
        match kind {
            StepKind::Inspect => (vec!["fix the cause above and re-run".into()], Vec::new()),
            StepKind::CreateRole | StepKind::VerifyNewRole | StepKind::UpdateSecretStore => {
                let mut fwd = vec![format!(
                    "fix the cause above (the env file {} still holds the old credential, which still works), run the roll-back below to remove the half-made role {}, {rerun}",
                    self.store.path.display(),
                    self.new
                )];
                if !new_exists {
                    fwd = vec![format!("fix the cause above, {rerun}")];
                }
                if kind == StepKind::UpdateSecretStore {
                    fwd.push(format!(
                        "or keep role {} and give it a password you choose (psql: \\password {}), put it in {} yourself, then run the rest as superuser:",
                        self.new,
                        self.new,
                        self.store.path.display()
                    ));
                    fwd.extend(self.remaining(StepKind::DisableOldLogin));
                }
                (fwd, undo_new)
            }
            StepKind::DisableOldLogin | StepKind::TerminateSessions | StepKind::ReassignAndDrop => {
                let mut fwd = vec![
                    "the service's env file already holds the new credential: go forward. Fix the cause above, then run as superuser what did not run yet:".to_string(),
                ];
                fwd.extend(self.remaining(kind));
                (
                    fwd,
                    vec![format!(
                        "none: the env file holds the new credential and the old one ({}) is exposed; do not restore it",
                        self.old
                    )],
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names() {
        // 2026-12-04 20:11 UTC
        let t = 1_796_415_060u64 * 1_000_000_000;
        assert_eq!(default_new_role("app", t), "app_r202612042011");
        assert_eq!(
            default_new_role("app_r202601010000", t),
            "app_r202612042011"
        );
        let long = "a".repeat(70);
        let n = default_new_role(&long, t);
        assert_eq!(n.len(), 63);
        assert!(n.ends_with("_r202612042011"));
        assert_eq!(crate::time::civil_from_days(0), (1970, 1, 1));
        assert_eq!(crate::time::civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn role_names_are_checked() {
        for bad in ["", "pg_x", "1a", "App", "a-b", "a\"b", &"a".repeat(64)] {
            let e = validate_role_name(bad).expect_err(bad).to_string();
            assert!(e.contains("--new-role"), "{e}");
        }
        validate_role_name("app_v2").expect("ok");
    }

    #[test]
    fn debug_never_shows_the_admin_password() {
        let a = AdminConn::parse("host=/tmp user=postgres password=hunter2secret").expect("ok");
        assert!(!format!("{a:?}").contains("hunter2secret"));
        let e = AdminConn::parse("host=/tmp password=x").expect_err("no user");
        assert!(e.to_string().contains("names no user"));
    }
}
