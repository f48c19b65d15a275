//! `warden incident open|note|done|status|close` through the binary: the case journal is
//! a signed ledger that verifies, the timeline follows what was journaled, and a closed
//! case takes no more entries.

use std::process::Command;

use serde_json::Value;

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
