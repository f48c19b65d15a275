//! `warden incident open|note|done|status|close` through the binary: the case journal is
//! a signed ledger that verifies, the timeline follows what was journaled, and a closed
//! case takes no more entries.

use std::process::Command;

use serde_json::Value;

mod support;

fn warden(case: &std::path::Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("warden"));
    c.env("WARDEN_CASE", case).env("USER", "responder");
    c
}

fn ok(c: &mut Command) -> String {
    let out = c.output().expect("run");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_case_journals_every_step_and_seals_on_close() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("inc-42");
    ok(warden(&case).args([
        "incident",
        "open",
        "--title",
        "customer data read by an injected agent",
        "--ledger",
        "/srv/ledger",
    ]));
    // A second open in the same place is refused.
    let again = warden(&case)
        .args(["incident", "open"])
        .output()
        .expect("run");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a case"));

    ok(warden(&case).args(["incident", "note", "fenced the proxy by hand at 14:05"]));
    ok(warden(&case).args([
        "incident",
        "done",
        "scope",
        "--note",
        "bulk enumeration from session 7f3a",
    ]));
    let bad = warden(&case)
        .args(["incident", "done", "panic"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("the phases are scope, isolate"));

    let status: Value =
        serde_json::from_str(&ok(warden(&case).args(["incident", "status", "--json"])))
            .expect("json");
    assert_eq!(status["phases"][0]["phase"], "scope");
    assert_eq!(status["phases"][0]["done_minute"], 0);
    assert!(status["phases"][1]["done_minute"].is_null());
    assert_eq!(status["next"], "isolate");
    assert_eq!(status["journal_entries"], 3);
    let text = ok(warden(&case).args(["incident", "status"]));
    assert!(text.contains("scope        done at minute 0"), "{text}");
    assert!(text.contains("Next: isolate"), "{text}");

    ok(warden(&case).args(["incident", "close", "--summary", "contained; keys rotated"]));
    let late = warden(&case)
        .args(["incident", "note", "too late"])
        .output()
        .expect("run");
    assert!(!late.status.success());
    assert!(String::from_utf8_lossy(&late.stderr).contains("is closed"));

    // The journal is a ledger: it verifies with the case's key, and says who did what.
    let journal = case.join("journal");
    let verify = Command::new(assert_cmd::cargo::cargo_bin("warden"))
        .args(["log", "verify"])
        .arg(&journal)
        .arg("--key")
        .arg(journal.join("ledger.pub"))
        .status()
        .expect("verify");
    assert_eq!(verify.code(), Some(0));
    let entries: Vec<Value> = warden_ledger::reader::LogFiles::open(&journal)
        .expect("journal")
        .records(0)
        .map(|r| serde_json::from_slice(&r.expect("record").1).expect("json"))
        .collect();
    // The ledger's own admin.* records (opens, seals) aside, the case's steps in order.
    let steps: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .filter(|k| k.starts_with("app."))
        .collect();
    assert_eq!(
        steps,
        [
            "app.case_open",
            "app.note",
            "app.phase_done",
            "app.case_close"
        ]
    );
    let note = entries
        .iter()
        .find(|e| e["kind"] == "app.note")
        .expect("note");
    assert_eq!(note["attributes"]["actor"], "responder");
    assert_eq!(
        note["attributes"]["text"],
        "fenced the proxy by hand at 14:05"
    );
}

/// A proxy ledger written by `warden log append`: a baseline call, then the records of
/// `get_customer` walking sequential ids (bulk enumeration) from one address.
fn attack_ledger(dir: &std::path::Path, attack: bool) -> std::path::PathBuf {
    let ledger = dir.join(if attack { "attacked" } else { "quiet" });
    let bin = assert_cmd::cargo::cargo_bin("warden");
    let init = Command::new(&bin)
        .args(["log", "init"])
        .arg(&ledger)
        .output()
        .expect("init");
    assert!(init.status.success());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64;
    let mut lines = Vec::new();
    let call = |n: u64, tool: &str, ids: &[&str]| {
        serde_json::json!({
            "v": 1, "kind": "tool.result", "time_unix_nano": now - 60_000_000_000 + n * 1_000_000_000,
            "call_id": format!("s1/{n}"), "mcp.session.id": "s1", "client.address": "203.0.113.9",
            "gen_ai.tool.name": tool, "mcp.method.name": "tools/call",
            "result": {"status": "ok", "resource_ids": ids}
        })
        .to_string()
    };
    lines.push(call(1, "list_tables", &[]));
    if attack {
        for id in 1..=6u64 {
            let s = id.to_string();
            lines.push(call(1 + id, "get_customer", &[s.as_str()]));
        }
    } else {
        lines.push(call(2, "get_customer", &["17"]));
    }
    let mut child = Command::new(&bin)
        .args(["log", "append"])
        .arg(&ledger)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("append");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all((lines.join("\n") + "\n").as_bytes())
            .expect("write");
    }
    assert!(child.wait().expect("append").success());
    ledger
}

#[test]
fn scope_finds_the_pattern_and_the_entry_point_or_says_suspicion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = attack_ledger(dir.path(), true);
    let case = dir.path().join("case");
    ok(warden(&case)
        .args(["incident", "open", "--ledger"])
        .arg(&ledger));
    let found: Value =
        serde_json::from_str(&ok(warden(&case).args(["incident", "scope", "--json"])))
            .expect("json");
    assert_eq!(found["integrity"]["verdict"], "verified");
    assert_eq!(found["assessment"], "confirmed");
    assert_eq!(found["patterns"][0]["rule"], "bulk_enumeration");
    assert_eq!(found["patterns"][0]["session"], "s1");
    assert_eq!(found["tool_calls"], 7);
    let entry = &found["entry_point"];
    assert_eq!(entry["first_anomalous"]["tool"], "get_customer");
    assert_eq!(entry["first_anomalous"]["client_address"], "203.0.113.9");
    assert_eq!(entry["call_before"]["tool"], "list_tables");
    assert_eq!(found["still_serving"], true);
    let status: Value =
        serde_json::from_str(&ok(warden(&case).args(["incident", "status", "--json"])))
            .expect("json");
    assert_eq!(status["next"], "isolate");

    // Nothing malicious: suspicion, not confirmed; isolation not recommended.
    let quiet = attack_ledger(dir.path(), false);
    let case2 = dir.path().join("case2");
    ok(warden(&case2)
        .args(["incident", "open", "--ledger"])
        .arg(&quiet));
    let text = ok(warden(&case2).args(["incident", "scope"]));
    assert!(text.contains("suspicion, not confirmed"), "{text}");
    assert!(text.contains("isolation is not recommended"), "{text}");

    // A ledger that does not verify is said so, loudly.
    let seg = std::fs::read_dir(ledger.join("segments"))
        .expect("segments")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .next()
        .expect("a segment");
    let mut bytes = std::fs::read(&seg).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&seg, bytes).expect("write");
    let case3 = dir.path().join("case3");
    ok(warden(&case3)
        .args(["incident", "open", "--ledger"])
        .arg(&ledger));
    let text = ok(warden(&case3).args(["incident", "scope"]));
    assert!(text.contains("THE LEDGER DOES NOT VERIFY"), "{text}");
}

fn fails(c: &mut Command) -> (String, String) {
    let out = c.output().expect("run");
    assert!(!out.status.success(), "expected a failure");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_empty_ledger_is_scoped_as_nothing_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("empty");
    let init = Command::new(assert_cmd::cargo::cargo_bin("warden"))
        .args(["log", "init"])
        .arg(&ledger)
        .output()
        .expect("init");
    assert!(init.status.success());
    let case = dir.path().join("case");
    ok(warden(&case)
        .args(["incident", "open", "--ledger"])
        .arg(&ledger));
    let text = ok(warden(&case).args(["incident", "scope"]));
    assert!(text.contains("0 tool call(s) in 0 session(s)"), "{text}");
    assert!(text.contains("suspicion, not confirmed"), "{text}");
    assert!(text.contains("still serving: no recent calls"), "{text}");
    // Triage of nothing says so rather than inventing a session.
    let triage = ok(warden(&case).args(["incident", "triage"]));
    assert!(triage.contains("No session to triage"), "{triage}");
}

#[test]
fn isolate_with_a_proxy_that_does_not_answer_claims_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = attack_ledger(dir.path(), true);
    let case = dir.path().join("case");
    // Isolate before any scope: refused, with what to do.
    ok(warden(&case)
        .args(["incident", "open", "--ledger"])
        .arg(&ledger)
        .arg("--proxy")
        .arg(dir.path().join("no-such-proxy.sock")));
    let (_, err) = fails(warden(&case).args(["incident", "isolate"]));
    assert!(err.contains("run `warden incident scope` first"), "{err}");
    ok(warden(&case).args(["incident", "scope"]));
    let (out, _) = fails(warden(&case).args(["incident", "isolate", "--docker", "mcp-server"]));
    assert!(out.contains("does not answer"), "{out}");
    assert!(out.contains("ISOLATION IS NOT COMPLETE"), "{out}");
    assert!(out.contains("docker pause mcp-server"), "{out}");
    let status: Value =
        serde_json::from_str(&ok(warden(&case).args(["incident", "status", "--json"])))
            .expect("json");
    assert_eq!(
        status["next"], "isolate",
        "isolate must stay open: {status}"
    );
}

#[test]
fn a_classification_file_with_errors_is_refused_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = attack_ledger(dir.path(), true);
    let case = dir.path().join("case");
    ok(warden(&case)
        .args(["incident", "open", "--ledger"])
        .arg(&ledger));
    ok(warden(&case).args(["incident", "scope"]));
    let classes = dir.path().join("classes.toml");
    std::fs::write(
        &classes,
        "[[tool]]\nname = \"get_customer\"\nclasses = [\"pii\", \"secret-sauce\"]\n",
    )
    .expect("write");
    let (_, err) = fails(
        warden(&case)
            .args(["incident", "triage", "--classes"])
            .arg(&classes),
    );
    assert!(err.contains("classes.toml, line 3"), "{err}");
    assert!(err.contains("`secret-sauce`"), "{err}");
    std::fs::write(
        &classes,
        "[[tool]]\nname = \"get_customer\"\nclass = [\"pii\"]\n",
    )
    .expect("write");
    let (_, err) = fails(
        warden(&case)
            .args(["incident", "triage", "--classes"])
            .arg(&classes),
    );
    assert!(
        err.contains("classes.toml") && err.contains("class"),
        "{err}"
    );
    // Nothing was journaled as triage.
    let status: Value =
        serde_json::from_str(&ok(warden(&case).args(["incident", "status", "--json"])))
            .expect("json");
    assert!(status["phases"][4]["done_minute"].is_null(), "{status}");
    // A good file: the six enumerated ids, by class.
    std::fs::write(
        &classes,
        "[[tool]]\nname = \"get_customer\"\nclasses = [\"pii\"]\n",
    )
    .expect("write");
    let t: Value = serde_json::from_str(&ok(warden(&case)
        .args(["incident", "triage", "--json", "--classes"])
        .arg(&classes)))
    .expect("json");
    assert_eq!(t["records_read"], 6);
    assert_eq!(t["by_class"][0]["class"], "pii");
    assert_eq!(t["by_class"][0]["records"], 6);
}

#[test]
fn verify_fix_is_not_fooled_by_a_suppression_or_an_empty_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = attack_ledger(dir.path(), true);
    // The server's source: get_customer reads by id with no ownership check.
    let repo = dir.path().join("server");
    std::fs::create_dir_all(&repo).expect("repo");
    let vulnerable = "import sqlite3\nfrom mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP(\"shop\")\ndb = sqlite3.connect(\"shop.db\")\n\n\n@mcp.tool()\ndef get_customer(customer_id: int) -> str:\n    \"\"\"Looks up a customer.\"\"\"\n    row = db.execute(\"SELECT * FROM customers WHERE id = ?\", (customer_id,)).fetchone()\n    return str(row)\n";
    std::fs::write(repo.join("server.py"), vulnerable).expect("write");
    let case = dir.path().join("case");
    ok(warden(&case)
        .args(["incident", "open", "--ledger"])
        .arg(&ledger)
        .arg("--repo")
        .arg(&repo));
    ok(warden(&case).args(["incident", "scope"]));
    // Silencing the finding is not a fix.
    std::fs::write(
        repo.join("server.py"),
        vulnerable.replace(
            "    row = db.execute(",
            "    # warden-ignore: authz-missing-ownership-check single-tenant, for now\n    row = db.execute(",
        ),
    )
    .expect("write");
    let (out, _) = fails(warden(&case).args(["incident", "verify-fix"]));
    assert!(out.starts_with("verify-fix: NOT FIXED"), "{out}");
    assert!(
        out.contains("STILL:     authz-missing-ownership-check"),
        "{out}"
    );

    // A baseline with nothing on the entry point's tools cannot show a fix.
    let clean = dir.path().join("clean.json");
    std::fs::write(&clean, r#"{"findings": []}"#).expect("write");
    let (out, _) = fails(
        warden(&case)
            .args(["incident", "verify-fix", "--baseline"])
            .arg(&clean),
    );
    assert!(out.starts_with("verify-fix: unknown"), "{out}");
    assert!(out.contains("review the change by hand"), "{out}");
    let (_, err) = fails(
        warden(&case)
            .args(["incident", "verify-fix", "--baseline"])
            .arg(dir.path().join("nope.json")),
    );
    assert!(err.contains("no pre-incident scan"), "{err}");
}

/// `preserve --to s3://…` whose upload fails (no such bucket yet) keeps the sealed bag,
/// journals the failure, exits 1 and says how to retry; `upload-bundle` then uploads
/// that bag with Object Lock and journals it, and the bag still verifies.
#[test]
fn a_failed_upload_is_journaled_and_upload_bundle_finishes_it() {
    let Some(endpoint) = support::s3() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("inc-up");
    let ledger = attack_ledger(dir.path(), true);
    ok(warden(&case)
        .args(["incident", "open", "--ledger"])
        .arg(&ledger));
    let bucket = format!("warden-evidence-{}", support::unique().replace('_', "-"));
    let to = format!("s3://{bucket}/cases");
    let (stdout, stderr) =
        fails(warden(&case).args(["incident", "preserve", "--to", &to, "--endpoint", &endpoint]));
    let bag = stderr
        .split_once("the bundle is sealed at ")
        .and_then(|(_, rest)| rest.split_once(" but the upload"))
        .map(|(bag, _)| std::path::PathBuf::from(bag))
        .unwrap_or_else(|| panic!("no bag named: {stdout}{stderr}"));
    assert!(bag.join("bagit.txt").is_file(), "{}", bag.display());
    assert!(
        stderr.contains(&format!(
            "warden incident upload-bundle {} --to {to}",
            bag.display()
        )),
        "{stderr}"
    );

    support::object_lock_bucket(&endpoint, &bucket);
    let bag_s = bag.to_str().expect("utf-8");
    let uploaded = ok(warden(&case).args([
        "incident",
        "upload-bundle",
        bag_s,
        "--to",
        &to,
        "--endpoint",
        &endpoint,
        "--retain-days",
        "1",
    ]));
    let name = bag.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        uploaded.contains(&format!("uploaded to s3://{bucket}/cases/{name}/")),
        "{uploaded}"
    );
    assert!(uploaded.contains("COMPLIANCE"), "{uploaded}");
    let key = case.join("journal/ledger.pub");
    let verified = ok(warden(&case).args([
        "incident",
        "verify-bundle",
        bag_s,
        "--key",
        key.to_str().expect("utf-8"),
    ]));
    assert!(!verified.contains("FAIL"), "{verified}");
    let kinds: Vec<String> = warden_ledger::reader::LogFiles::open(&case.join("journal"))
        .expect("journal")
        .records(0)
        .filter_map(|r| {
            let v: Value = serde_json::from_slice(&r.expect("record").1).expect("json");
            v["kind"].as_str().map(str::to_string)
        })
        .filter(|k| k.starts_with("app.preserve"))
        .collect();
    assert_eq!(
        kinds,
        [
            "app.preserve",
            "app.preserve_upload_failed",
            "app.preserve_uploaded"
        ]
    );
    let custody = std::fs::read_to_string(bag.join("custody.jsonl")).expect("custody");
    assert!(custody.contains("\"uploaded\""), "{custody}");
}
