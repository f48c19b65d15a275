//! The store's tests, each run on SQLite (a temporary file) and on PostgreSQL (a fresh
//! database per test on the cluster `scripts/start-postgres.sh` starts, when
//! WARDEN_TEST_PG_HOST is set; under CI its absence is a failure).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use warden_history::model::{AxisScore, SavedScan, StoredFinding, StoredTool, Target};
use warden_history::store::{SCHEMA_VERSION, Store, StoreError, StoreSpec};

/// The PostgreSQL cluster: socket directory and port; `None` to skip PostgreSQL (only
/// outside CI, so a broken CI setup cannot pass by skipping).
fn cluster() -> Option<(String, u16)> {
    match std::env::var("WARDEN_TEST_PG_HOST") {
        Ok(host) => {
            let port = std::env::var("WARDEN_TEST_PG_PORT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(5432);
            Some((host, port))
        }
        Err(_) if std::env::var_os("CI").is_some() => panic!(
            "CI is set but WARDEN_TEST_PG_HOST is not: .ci/run must start PostgreSQL (scripts/start-postgres.sh)"
        ),
        Err(_) => {
            eprintln!(
                "skipping PostgreSQL: eval \"$(bash scripts/start-postgres.sh)\" to run these tests on it too"
            );
            None
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs SQL as the `postgres` superuser in database `db`.
fn pg_admin(host: &str, port: u16, db: &str, sql: &str) -> Vec<tokio_postgres::SimpleQueryMessage> {
    let rt = runtime();
    rt.block_on(async {
        let mut c = tokio_postgres::Config::new();
        c.host_path(host).port(port).user("postgres").dbname(db);
        let (client, conn) = c.connect(tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        client.simple_query(sql).await.expect(sql)
    })
}

/// The first column of every row a query returns.
fn pg_column(host: &str, port: u16, db: &str, sql: &str) -> Vec<String> {
    pg_admin(host, port, db, sql)
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .collect()
}

/// A store to test: its spec, and what to clean up.
struct Backend {
    spec: StoreSpec,
    /// `sqlite` or `postgres`, for assertion messages.
    kind: &'static str,
    /// SQLite: the file.
    file: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the cluster and the database (dropped at the end).
    pg: Option<(String, u16, String)>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((host, port, db)) = &self.pg {
            pg_admin(
                host,
                *port,
                "postgres",
                &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
            );
        }
    }
}

impl Backend {
    fn open(&self) -> Store {
        Store::open(&self.spec).unwrap_or_else(|e| panic!("{}: open: {e}", self.kind))
    }

    /// Runs SQL on the store's own database, bypassing the store.
    fn raw(&self, sql: &str) {
        match (&self.file, &self.pg) {
            (Some(f), _) => {
                let c = rusqlite::Connection::open(f).expect("sqlite");
                c.execute_batch(sql).expect(sql);
            }
            (_, Some((h, p, db))) => {
                pg_admin(h, *p, db, sql);
            }
            _ => unreachable!(),
        }
    }

    /// A snapshot of everything in the store: the SQLite file's bytes, or PostgreSQL's
    /// tables and the meta rows.
    fn snapshot(&self) -> Vec<u8> {
        match (&self.file, &self.pg) {
            (Some(f), _) => std::fs::read(f).expect("read"),
            (_, Some((h, p, db))) => {
                let tables = pg_column(
                    h,
                    *p,
                    db,
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
                );
                let mut s = Vec::new();
                for t in &tables {
                    let n = pg_column(h, *p, db, &format!("SELECT count(*) FROM \"{t}\""));
                    s.push(format!("{t}:{n:?}"));
                }
                if tables.iter().any(|t| t == "warden_meta") {
                    s.extend(pg_column(
                        h,
                        *p,
                        db,
                        "SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM warden_meta",
                    ));
                }
                s.join("\n").into_bytes()
            }
            _ => unreachable!(),
        }
    }
}

/// SQLite in a fresh directory, then PostgreSQL in a fresh database when available.
fn backends(test: &str) -> Vec<Backend> {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("nested").join("dir").join("history.sqlite");
    let mut v = vec![Backend {
        spec: StoreSpec::Sqlite(file.clone()),
        kind: "sqlite",
        file: Some(file),
        _dir: Some(dir),
        pg: None,
    }];
    if let Some((host, port)) = cluster() {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let db = format!("hist_{test}_{}_{nanos}", std::process::id());
        pg_admin(&host, port, "postgres", &format!("CREATE DATABASE {db}"));
        v.push(Backend {
            spec: StoreSpec::Postgres(format!(
                "postgresql://postgres@/{db}?host={host}&port={port}"
            )),
            kind: "postgres",
            file: None,
            _dir: None,
            pg: Some((host, port, db)),
        });
    }
    v
}

fn commit_of(n: u32) -> String {
    format!("{n:08x}{}", "0".repeat(32))
}

fn scan(key: &str, commit: &str, time: u64) -> SavedScan {
    SavedScan {
        id: None,
        target: Target {
            key: key.into(),
            path: format!("/src/{key}"),
            remote: Some(format!("https://example.com/{key}")),
            commit: Some(commit.into()),
            dirty: Some(false),
            branch: Some("main".into()),
            tag: None,
        },
        time_unix_nano: time,
        tool_version: "0.1.0".into(),
        grading_version: "1".into(),
        overall_score: 81,
        overall_grade: "B".into(),
        axes: vec![
            AxisScore {
                axis: "injection".into(),
                score: Some(70),
                grade: Some("C".into()),
            },
            AxisScore {
                axis: "authorization".into(),
                score: None,
                grade: None,
            },
        ],
        findings: vec![
            StoredFinding {
                fingerprint: "fp:1".into(),
                rule: "shell-injection".into(),
                severity: "high".into(),
                path: "src/tool.ts".into(),
                line: 42,
                tool: Some("run".into()),
                message: "user input reaches exec — «quoted» 'text'".into(),
                suppressed: false,
            },
            StoredFinding {
                fingerprint: "fp:2".into(),
                rule: "secret".into(),
                severity: "critical".into(),
                path: "config.py".into(),
                line: u32::MAX,
                tool: None,
                message: "a key".into(),
                suppressed: true,
            },
        ],
        tools: vec![
            StoredTool {
                name: "run".into(),
                definition_hash: "sha256:ab".into(),
                description: Some("Runs".into()),
                schema_hash: Some("sha256:ef".into()),
            },
            StoredTool {
                name: "read".into(),
                definition_hash: "sha256:cd".into(),
                description: None,
                schema_hash: None,
            },
        ],
        // The whole report is kept too (what the dashboard shows evidence from).
        report: Some(serde_json::json!({
            "format": "warden-report/1",
            "findings": [{"fingerprint": "fp:1", "evidence": [{"note": "tool argument `cmd`"}]}],
        })),
    }
}

const DAY: u64 = 86_400 * 1_000_000_000;
/// 2026-12-01T00:00:00Z.
const DEC1: u64 = 1_796_083_200 * 1_000_000_000;

#[test]
fn round_trip() {
    for b in backends("round_trip") {
        let mut s = b.open();
        let mut original = scan("r", &commit_of(1), DEC1);
        original.target.dirty = None;
        original.target.tag = Some("v1.0".into());
        original.target.remote = None;
        let id = s.save(&original).expect("save");
        let mut empty = scan("r", &commit_of(2), DEC1 + 1);
        empty.axes.clear();
        empty.findings.clear();
        empty.tools.clear();
        empty.target.commit = None;
        empty.target.dirty = Some(true);
        let id2 = s.save(&empty).expect("save");
        assert_ne!(id, id2);
        original.id = Some(id);
        empty.id = Some(id2);
        assert_eq!(s.load(id).expect("load"), original, "{}", b.kind);
        assert_eq!(s.load(id2).expect("load"), empty, "{}", b.kind);
        // Reopened: the same.
        drop(s);
        assert_eq!(b.open().load(id).expect("load"), original, "{}", b.kind);
    }
}

#[test]
fn list_targets_and_order() {
    for b in backends("list_order") {
        let mut s = b.open();
        let a2 = s
            .save(&scan("a", &commit_of(2), DEC1 + 2 * DAY))
            .expect("save");
        let a1 = s.save(&scan("a", &commit_of(1), DEC1)).expect("save");
        let b1 = s.save(&scan("b", &commit_of(9), DEC1 + DAY)).expect("save");
        // The same time as a1: after it (by id).
        let a1b = s.save(&scan("a", &commit_of(3), DEC1)).expect("save");
        let all: Vec<i64> = s.list(None).expect("list").iter().map(|x| x.id).collect();
        assert_eq!(all, vec![a1, a1b, b1, a2], "{}", b.kind);
        let only_a = s.list(Some("a")).expect("list");
        assert_eq!(
            only_a.iter().map(|x| x.id).collect::<Vec<_>>(),
            vec![a1, a1b, a2],
            "{}",
            b.kind
        );
        let first = &only_a[0];
        assert_eq!(first.commit.as_deref(), Some(commit_of(1).as_str()));
        assert_eq!(first.overall_grade, "B");
        assert_eq!(first.overall_score, 81);
        assert_eq!(first.time_unix_nano, DEC1);
        assert_eq!(first.dirty, Some(false));
        assert_eq!(first.branch.as_deref(), Some("main"));
        assert_eq!(first.axes, scan("a", "", 0).axes, "{}", b.kind);
        assert!(s.list(Some("nobody")).expect("list").is_empty());
        assert_eq!(s.targets().expect("targets"), vec!["a", "b"], "{}", b.kind);
    }
}

#[test]
fn resolve_selectors() {
    for b in backends("resolve") {
        let mut s = b.open();
        let k = Some("a");
        let c1 = "1234567a".to_string() + &"0".repeat(32);
        let c2 = "1234567b".to_string() + &"0".repeat(32);
        let s1 = s.save(&scan("a", &c1, DEC1)).expect("save");
        let s2 = s.save(&scan("a", &c2, DEC1 + DAY)).expect("save");
        let s3 = s
            .save(&scan("a", &commit_of(0xabcdef12), DEC1 + 2 * DAY))
            .expect("save");
        let s4 = s
            .save(&scan("a", &commit_of(0xabcdef12), DEC1 + 3 * DAY))
            .expect("save");

        assert_eq!(s.resolve(&s1.to_string(), k).expect("id"), s1, "{}", b.kind);
        assert_eq!(s.resolve(&s2.to_string(), None).expect("id"), s2);
        assert_eq!(s.resolve("latest", k).expect("latest"), s4, "{}", b.kind);
        assert_eq!(
            s.resolve("previous", k).expect("previous"),
            s3,
            "{}",
            b.kind
        );
        // A full commit, and a prefix (upper case too): the newest scan of it.
        assert_eq!(s.resolve(&c1, k).expect("commit"), s1, "{}", b.kind);
        assert_eq!(s.resolve("ABCDEF1", k).expect("prefix"), s4, "{}", b.kind);
        assert_eq!(s.resolve("1234567b", k).expect("prefix"), s2, "{}", b.kind);
        // Seven decimal digits that are no id: a commit prefix, of two commits.
        match s.resolve("1234567", k) {
            Err(e @ StoreError::AmbiguousCommit { .. }) => {
                let m = e.to_string();
                assert!(m.contains(&c1) && m.contains(&c2), "{}: {m}", b.kind);
            }
            other => panic!("{}: {other:?}", b.kind),
        }
        // Dates: a day includes its whole day; RFC 3339 is exact.
        assert_eq!(s.resolve("2026-12-01", k).expect("date"), s1, "{}", b.kind);
        assert_eq!(s.resolve("2026-12-02", k).expect("date"), s2, "{}", b.kind);
        assert_eq!(
            s.resolve("2026-12-02T00:00:00Z", k).expect("time"),
            s2,
            "{}",
            b.kind
        );
        assert_eq!(
            s.resolve("2026-12-01T23:59:59.999999999Z", k)
                .expect("time"),
            s1,
            "{}",
            b.kind
        );
        assert_eq!(
            s.resolve("2026-12-02T00:30:00+01:00", k).expect("time"),
            s1,
            "{}",
            b.kind
        );
        assert!(matches!(
            s.resolve("2026-11-30", k),
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            s.resolve("deadbeef", k),
            Err(StoreError::NotFound { .. })
        ));
        let e = s.resolve("yesterday", k).expect_err("not a selector");
        assert!(e.to_string().contains("latest"), "{e}");

        // A second target: selectors other than ids need --target.
        let other = s.save(&scan("b", &commit_of(7), DEC1 + DAY)).expect("save");
        match s.resolve("latest", None) {
            Err(e @ StoreError::AmbiguousTarget { .. }) => {
                let m = e.to_string();
                assert!(m.contains("--target") && m.contains("a, b"), "{m}");
            }
            other => panic!("{}: {other:?}", b.kind),
        }
        // A commit only one target has needs none.
        assert_eq!(s.resolve(&commit_of(7), None).expect("commit"), other);
        assert_eq!(s.resolve("latest", Some("b")).expect("latest"), other);
        match s.resolve("previous", Some("b")) {
            Err(e @ StoreError::NotFound { .. }) => {
                assert!(e.to_string().contains("only one"), "{e}")
            }
            other => panic!("{}: {other:?}", b.kind),
        }
        // An id of another target.
        match s.resolve(&other.to_string(), k) {
            Err(e @ StoreError::WrongTarget { .. }) => {
                assert!(e.to_string().contains("warden history --target a"), "{e}")
            }
            other => panic!("{}: {other:?}", b.kind),
        }
    }
}

#[test]
fn unknown_id_error() {
    for b in backends("unknown_id") {
        let mut s = b.open();
        s.save(&scan("a", &commit_of(1), DEC1)).expect("save");
        for e in [
            s.load(424_242).expect_err("load"),
            s.resolve("424242", None).expect_err("resolve"),
        ] {
            assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
            let m = e.to_string();
            assert!(m.contains("\"424242\""), "{}: {m}", b.kind);
            assert!(m.contains("warden history"), "{}: {m}", b.kind);
        }
        let empty = backends("unknown_id_empty");
        let e = empty[0].open().resolve("latest", None).expect_err("empty");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
    }
}

#[test]
fn time_past_2262_refused() {
    for b in backends("time_range") {
        let mut s = b.open();
        let e = s
            .save(&scan("a", &commit_of(1), i64::MAX as u64 + 1))
            .expect_err("too late");
        assert!(matches!(e, StoreError::TimeOutOfRange { .. }), "{e:?}");
        assert!(e.to_string().contains("2262"));
        assert!(s.list(None).expect("list").is_empty(), "{}", b.kind);
        // The largest that fits round-trips.
        let id = s
            .save(&scan("a", &commit_of(1), i64::MAX as u64))
            .expect("save");
        assert_eq!(s.load(id).expect("load").time_unix_nano, i64::MAX as u64);
    }
}

#[test]
fn newer_schema_refused_untouched() {
    for b in backends("newer") {
        let mut s = b.open();
        s.save(&scan("a", &commit_of(1), DEC1)).expect("save");
        drop(s);
        b.raw(&format!(
            "UPDATE warden_meta SET value = '{}' WHERE key = 'schema_version'",
            SCHEMA_VERSION + 1
        ));
        let before = b.snapshot();
        match Store::open(&b.spec) {
            Err(e @ StoreError::NewerSchema { .. }) => {
                let m = e.to_string();
                assert!(
                    m.contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
                    "{m}"
                );
                assert!(m.contains("upgrade warden"), "{m}");
                assert!(m.contains("untouched"), "{m}");
            }
            other => panic!("{}: {other:?}", b.kind),
        }
        assert_eq!(b.snapshot(), before, "{}: the store changed", b.kind);
    }
}

#[test]
fn older_schema_migrated() {
    const { assert!(SCHEMA_VERSION >= 2, "the migration path needs two versions") };
    for b in backends("older") {
        let mut s = Store::open_at(&b.spec, SCHEMA_VERSION - 1).expect("open old");
        assert_eq!(s.schema_version().expect("version"), SCHEMA_VERSION - 1);
        let mut saved = scan("a", &commit_of(1), DEC1);
        saved.id = Some(s.save(&saved).expect("save"));
        drop(s);
        let s = b.open();
        assert_eq!(
            s.schema_version().expect("version"),
            SCHEMA_VERSION,
            "{}",
            b.kind
        );
        // What the older schema had no place for is absent: a tool's schema hash
        // (version 3), the report (version 4).
        let old = SCHEMA_VERSION - 1;
        let mut expected = saved.clone();
        if old < 3 {
            for t in &mut expected.tools {
                t.schema_hash = None;
            }
        }
        if old < 4 {
            expected.report = None;
        }
        assert_eq!(s.load(saved.id.unwrap_or(0)).expect("load"), expected);
        drop(s);
        // Migration 2's index is there.
        let has_index = match (&b.file, &b.pg) {
            (Some(f), _) => rusqlite::Connection::open(f)
                .and_then(|c| {
                    c.query_row(
                        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'scans_target_time'",
                        [],
                        |r| r.get::<_, i64>(0),
                    )
                })
                .expect("query")
                == 1,
            (_, Some((h, p, db))) => {
                pg_column(h, *p, db, "SELECT indexname FROM pg_indexes WHERE indexname = 'scans_target_time'")
                    .len()
                    == 1
            }
            _ => false,
        };
        assert!(has_index, "{}", b.kind);
    }
}

#[test]
fn garbage_file_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("history.sqlite");
    let garbage: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&f, &garbage).expect("write");
    match Store::open(&StoreSpec::Sqlite(f.clone())) {
        Err(e @ StoreError::NotAStore { .. }) => {
            let m = e.to_string();
            assert!(m.contains(&f.display().to_string()), "{m}");
            assert!(m.contains("not a SQLite database"), "{m}");
            assert!(m.contains("untouched"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(&f).expect("read"), garbage);
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

#[test]
fn damaged_store_refused_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("history.sqlite");
    {
        let mut s = Store::open(&StoreSpec::Sqlite(f.clone())).expect("open");
        s.save(&scan("a", &commit_of(1), DEC1)).expect("save");
    }
    // The header stays; the schema table (the rest of page 1) is overwritten.
    let mut bytes = std::fs::read(&f).expect("read");
    for b in bytes.iter_mut().take(4096).skip(100) {
        *b = 0xA5;
    }
    std::fs::write(&f, &bytes).expect("write");
    match Store::open(&StoreSpec::Sqlite(f.clone())) {
        Err(e @ (StoreError::Corrupt { .. } | StoreError::NotAStore { .. })) => {
            let m = e.to_string();
            assert!(m.contains(&f.display().to_string()), "{m}");
            assert!(m.contains("untouched"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(&f).expect("read"), bytes);
}

#[test]
fn other_applications_database_refused_untouched() {
    // SQLite: any table without warden_meta is someone else's file.
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("app.db");
    {
        let c = rusqlite::Connection::open(&f).expect("sqlite");
        c.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('x');")
            .expect("create");
    }
    let before = std::fs::read(&f).expect("read");
    match Store::open(&StoreSpec::Sqlite(f.clone())) {
        Err(e @ StoreError::NotAStore { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("users") && m.contains("another application"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(&f).expect("read"), before);

    // PostgreSQL: a database may be shared, but a `scans` table that is not ours is.
    for b in backends("foreign").into_iter().filter(|b| b.pg.is_some()) {
        b.raw("CREATE TABLE scans (x int); INSERT INTO scans VALUES (7);");
        let before = b.snapshot();
        match Store::open(&b.spec) {
            Err(e @ StoreError::NotAStore { .. }) => {
                assert!(e.to_string().contains("scans"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(b.snapshot(), before);
    }
}

#[test]
fn concurrent_writers() {
    for b in backends("concurrent") {
        // Both open the (not yet existing) store at once: the first-open race too.
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let threads: Vec<_> = (0..2u64)
            .map(|t| {
                let spec = b.spec.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut s = Store::open(&spec).expect("open");
                    (0..50u64)
                        .map(|i| {
                            s.save(&scan(&format!("t{t}"), &commit_of(i as u32), DEC1 + i))
                                .expect("save")
                        })
                        .collect::<Vec<i64>>()
                })
            })
            .collect();
        let mut ids: Vec<i64> = threads
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 100, "{}", b.kind);
        let s = b.open();
        let listed = s.list(None).expect("list");
        assert_eq!(listed.len(), 100, "{}", b.kind);
        let mut listed_ids: Vec<i64> = listed.iter().map(|x| x.id).collect();
        listed_ids.sort();
        assert_eq!(listed_ids, ids, "{}", b.kind);
        assert_eq!(s.load(ids[99]).expect("load").findings.len(), 2);
    }
}

#[test]
fn sqlite_file_and_directories_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("a").join("b").join("h.sqlite");
    let s = Store::open(&StoreSpec::Sqlite(f.clone())).expect("open");
    assert!(f.is_file());
    assert_eq!(s.schema_version().expect("version"), SCHEMA_VERSION);
    assert_eq!(s.name(), f.display().to_string());
    // A directory is not a store file.
    let e = Store::open(&StoreSpec::Sqlite(dir.path().to_path_buf())).expect_err("dir");
    assert!(e.to_string().contains("directory"), "{e}");
}

#[test]
fn postgres_unreachable_is_clear_and_hides_the_password() {
    let spec =
        StoreSpec::Postgres("postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=2".to_string());
    let e = Store::open(&spec).expect_err("nothing listens on port 1");
    let m = e.to_string();
    assert!(matches!(e, StoreError::Open { .. }), "{e:?}");
    assert!(!m.contains("hunter2"), "{m}");
    assert!(m.contains("u:***@127.0.0.1:1"), "{m}");
}

#[test]
fn postgres_over_tls_verifies_the_server() {
    let Some((host, port)) = cluster() else {
        return;
    };
    let (Ok(ca), Ok(group)) = (
        std::env::var("WARDEN_TEST_PG_TLS_CA"),
        std::env::var("WARDEN_TEST_PG_TLS_GROUP"),
    ) else {
        panic!(
            "WARDEN_TEST_PG_HOST is set without WARDEN_TEST_PG_TLS_CA/GROUP: restart it with scripts/start-postgres.sh"
        );
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let role = format!("hist_tls_{}_{nanos}", std::process::id());
    let db = format!("{role}_db");
    pg_admin(
        &host,
        port,
        "postgres",
        &format!("CREATE ROLE {role} LOGIN PASSWORD 's3cret-{role}' IN ROLE {group}"),
    );
    pg_admin(
        &host,
        port,
        "postgres",
        &format!("CREATE DATABASE {db} OWNER {role}"),
    );
    let url = |h: &str| {
        StoreSpec::Postgres(format!(
            "postgres://{role}:s3cret-{role}@{h}:{port}/{db}?sslmode=verify-full&sslrootcert={ca}"
        ))
    };
    let saved = Store::open(&url("localhost")).and_then(|mut s| {
        let id = s.save(&scan("tls", &commit_of(1), DEC1))?;
        let encrypted = pg_column(
            &host,
            port,
            "postgres",
            &format!("SELECT bool_and(s.ssl)::text FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = '{role}'"),
        );
        Ok((s.load(id)?, encrypted))
    });
    // 127.0.0.1 is not a name in the server's certificate.
    let wrong_name = Store::open(&url("127.0.0.1"));
    pg_admin(
        &host,
        port,
        "postgres",
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
    );
    pg_admin(
        &host,
        port,
        "postgres",
        &format!("DROP ROLE IF EXISTS {role}"),
    );
    let (loaded, encrypted) = saved.expect("a verified TLS store");
    assert_eq!(loaded.target.key, "tls");
    assert_eq!(encrypted, ["true"]);
    let m = wrong_name.expect_err("verify-full by address").to_string();
    assert!(m.contains("not issued for the host"), "{m}");
    assert!(!m.contains("s3cret"), "{m}");
}

#[test]
fn postgres_connects_again_after_the_server_ends_the_session() {
    let Some(b) = backends("reconnect").into_iter().find(|b| b.pg.is_some()) else {
        return;
    };
    let Some((host, port, db)) = b.pg.clone() else {
        return;
    };
    let mut s = b.open();
    let id = s.save(&scan("re", &commit_of(1), DEC1)).expect("save");
    assert!(!s.reconnect_if_lost().expect("alive"), "nothing to do yet");
    // What a server restart or an administrator does to every session.
    pg_admin(
        &host,
        port,
        "postgres",
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        ),
    );
    assert!(s.reconnect_if_lost().expect("connects again"));
    assert_eq!(s.load(id).expect("load").target.key, "re");
}
