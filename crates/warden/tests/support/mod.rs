//! Helpers shared by the history, dashboard, incident and log tests: fixture servers
//! copied into scratch git repositories, the PostgreSQL cluster `scripts/start-postgres.sh`
//! starts and the S3 server `scripts/start-moto.sh` starts (each skipped without it, a
//! failure under CI=true).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fixture server under `fixtures/servers`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/servers")
        .join(name)
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

/// stdout then stderr, for messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs git in `repo` (as a fixed author); fails the test if git fails.
pub fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(repo)
        .args(["-c", "user.email=dev@example.org", "-c", "user.name=dev"])
        .args(args)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
}

/// Stages everything and commits.
pub fn commit(repo: &Path, message: &str) {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
}

/// A suffix no other test run uses (`<pid>_<nanos>`), for database and role names.
pub fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .subsec_nanos()
    )
}

/// The S3-compatible server `scripts/start-moto.sh` starts (its endpoint), or `None`
/// (with a note) when it is not started; under CI=true a missing server fails the test.
pub fn s3() -> Option<String> {
    match std::env::var("WARDEN_TEST_S3_ENDPOINT") {
        Ok(endpoint) => Some(endpoint),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI is set but WARDEN_TEST_S3_ENDPOINT is not: .ci/run must start moto")
        }
        Err(_) => {
            eprintln!("skipping S3: eval \"$(bash scripts/start-moto.sh)\" to run it");
            None
        }
    }
}

/// Creates `bucket` with Object Lock enabled, with a plain HTTP PUT (moto accepts the
/// unsigned request), so the CLI tests need no S3 client of their own.
pub fn object_lock_bucket(endpoint: &str, bucket: &str) {
    let script = format!(
        "import urllib.request\nreq = urllib.request.Request('{endpoint}/{bucket}', method='PUT', headers={{'x-amz-bucket-object-lock-enabled': 'true'}})\nurllib.request.urlopen(req, timeout=10)\n"
    );
    let made = Command::new("python3")
        .args(["-c", &script])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        made,
        "could not create the test bucket {bucket} at {endpoint}"
    );
}

/// The test PostgreSQL cluster (its Unix socket directory and port).
pub struct Pg {
    pub host: String,
    pub port: String,
}

/// The cluster, or `None` (with a note on what to run) when it is not started; under
/// CI=true a missing cluster fails the test.
pub fn pg() -> Option<Pg> {
    match (
        std::env::var("WARDEN_TEST_PG_HOST"),
        std::env::var("WARDEN_TEST_PG_PORT"),
    ) {
        (Ok(host), Ok(port)) => Some(Pg { host, port }),
        _ if std::env::var_os("CI").is_some() => panic!(
            "CI is set but WARDEN_TEST_PG_HOST / WARDEN_TEST_PG_PORT are not: .ci/run must run scripts/start-postgres.sh"
        ),
        _ => {
            eprintln!("skipping PostgreSQL: eval \"$(bash scripts/start-postgres.sh)\" to run it");
            None
        }
    }
}

impl Pg {
    /// Runs SQL through psql as `user` (the superuser `postgres` by trust, or a role by
    /// password); returns (success, stdout + stderr).
    pub fn psql(&self, db: &str, user: &str, password: Option<&str>, sql: &str) -> (bool, String) {
        let mut c = Command::new("psql");
        c.args([
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            &self.host,
            "-p",
            &self.port,
        ])
        .args(["-U", user, "-d", db, "-c", sql])
        .env_remove("PGPASSWORD");
        if let Some(p) = password {
            c.env("PGPASSWORD", p);
        }
        let out = c.output().expect("psql runs");
        (out.status.success(), text(&out))
    }

    /// SQL as the superuser; fails the test if it fails. The output, trimmed.
    pub fn admin(&self, db: &str, sql: &str) -> String {
        let (ok, out) = self.psql(db, "postgres", None, sql);
        assert!(ok, "{sql}: {out}");
        out.trim().to_string()
    }

    /// A fresh database named from `prefix`, and its PostgreSQL URL for the history store.
    pub fn scratch_store(&self, prefix: &str) -> String {
        let db = format!("{prefix}_{}", unique());
        self.admin("postgres", &format!("CREATE DATABASE {db}"));
        format!(
            "postgres://postgres@/{db}?host={}&port={}",
            self.host, self.port
        )
    }
}
