//! The readiness checklist against fixture servers, ledgers and cases built in tempdirs.

use std::path::{Path, PathBuf};

use serde_json::{Map, json};
use warden_incident::case::{Case, CaseMeta};
use warden_incident::inventory;
use warden_incident::readiness::{self, Answers, ReadinessError, ReadinessInput, Status, WEIGHTS};
use warden_ledger::ledger::{InitOptions, Ledger, OpenOptions, now_unix_nano};
use warden_ledger::record::Record;

const DAY: u64 = 86_400 * 1_000_000_000;

/// A small FastMCP server with two tools and one Stripe key (its value in `.env`).
const SERVER: &str = r#""""A tiny MCP server for the readiness tests."""
import os

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("items")
STRIPE_KEY = os.environ["STRIPE_SECRET_KEY"]


@mcp.tool()
def list_items() -> list[str]:
    """List the items."""
    return ["a", "b"]


@mcp.tool()
def get_item(item_id: int) -> str:
    """Read one item."""
    return str(item_id)


if __name__ == "__main__":
    mcp.run()
"#;

const SECRET_VALUE: &str = "value-one-not-a-real-key";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "server.py", SERVER);
    write(
        dir.path(),
        ".env",
        &format!("STRIPE_SECRET_KEY={SECRET_VALUE}\n"),
    );
    dir
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// A ledger with a `tool.result` for each of `tools` (at `t`), and a fence if asked.
fn ledger(dir: &Path, tools: &[&str], t: u64, fence: bool) -> PathBuf {
    let path = dir.join("ledger");
    let key = Ledger::init(&path, &InitOptions::default()).expect("init");
    std::fs::write(path.join("ledger.pub"), format!("{key}\n")).expect("pub");
    let ledger = Ledger::open(&path, OpenOptions::default()).expect("open");
    for tool in tools {
        let record = Record {
            tool_name: Some((*tool).to_string()),
            session_id: Some("s1".into()),
            ..Record::new("tool.result", t)
        };
        ledger.append(&record).expect("append");
    }
    if fence {
        let mut details = Map::new();
        details.insert("reason".into(), json!("rehearsal"));
        ledger
            .append(&Record::admin("admin.fence", t, details))
            .expect("fence");
    }
    ledger.close().expect("close");
    path
}

fn input(repo: &Path) -> ReadinessInput {
    ReadinessInput {
        repo: repo.to_path_buf(),
        now_unix_nano: now_unix_nano(),
        ..ReadinessInput::default()
    }
}

fn check<'a>(r: &'a readiness::Readiness, id: &str) -> &'a readiness::Check {
    r.checks.iter().find(|c| c.id == id).expect("check present")
}

fn rehearsal(dir: &Path, kind: &str, details: Map<String, serde_json::Value>) {
    let case = Case::open(
        dir,
        CaseMeta {
            id: String::new(),
            title: "rehearsal".into(),
            opened_unix_nano: now_unix_nano(),
            opened_by: "test".into(),
            ledger: None,
            repo: None,
            proxy: None,
        },
    )
    .expect("case");
    case.journal(kind, details).expect("journal");
}

#[test]
fn audit_log_passes_when_every_tool_is_recorded() {
    let repo = repo();
    let work = tempfile::tempdir().expect("tempdir");
    let now = now_unix_nano();
    let mut inp = input(repo.path());
    inp.ledger = Some(ledger(
        work.path(),
        &["list_items", "get_item"],
        now - DAY,
        false,
    ));
    let r = readiness::readiness(&inp).expect("readiness");
    let c = check(&r, "audit_log");
    assert_eq!(c.status, Status::Pass, "{}", c.evidence);
    assert!(c.evidence.contains("verifies"), "{}", c.evidence);
    assert!(c.evidence.contains("all 2 tools"), "{}", c.evidence);
    assert_eq!(c.points, 25);
}

#[test]
fn audit_log_fails_naming_the_tool_never_recorded() {
    let repo = repo();
    let work = tempfile::tempdir().expect("tempdir");
    let mut inp = input(repo.path());
    inp.ledger = Some(ledger(work.path(), &["list_items"], now_unix_nano(), false));
    let r = readiness::readiness(&inp).expect("readiness");
    let c = check(&r, "audit_log");
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.evidence.contains("`get_item` (never recorded)"),
        "{}",
        c.evidence
    );
    assert!(!c.evidence.contains("`list_items`"), "{}", c.evidence);
    assert!(c.fix.contains("warden proxy --ledger"), "{}", c.fix);
    assert_eq!(c.points, 0);
}

#[test]
fn audit_log_fails_when_a_tool_was_recorded_only_long_ago() {
    let repo = repo();
    let work = tempfile::tempdir().expect("tempdir");
    let now = now_unix_nano();
    let mut inp = input(repo.path());
    inp.ledger = Some(ledger(
        work.path(),
        &["list_items", "get_item"],
        now - 40 * DAY,
        false,
    ));
    // The window is the answers file's, 30 days by default; the records are 40 days old.
    let r = readiness::readiness(&inp).expect("readiness");
    let c = check(&r, "audit_log");
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.evidence.contains("`get_item` (last recorded"),
        "{}",
        c.evidence
    );
    // The ledger's own admin.open (written on open, now) keeps it "being written".
    assert!(
        !c.evidence.contains("no longer being written"),
        "{}",
        c.evidence
    );
}

#[test]
fn audit_log_without_a_ledger_looks_for_the_proxy() {
    let repo = repo();
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "audit_log");
    assert_eq!(c.status, Status::Fail);
    assert!(c.fix.contains("warden proxy --ledger"), "{}", c.fix);

    write(
        repo.path(),
        ".mcp.json",
        r#"{"mcpServers": {"items": {"command": "warden", "args": ["proxy", "--ledger", "/var/lib/warden", "--", "python", "server.py"]}}}"#,
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "audit_log");
    assert_eq!(c.status, Status::Unknown, "{}", c.evidence);
    assert!(c.evidence.contains(".mcp.json"), "{}", c.evidence);
    assert!(c.question.as_deref().unwrap_or("").contains("--ledger"));
}

#[test]
fn a_ledger_that_is_not_one_is_an_error() {
    let repo = repo();
    let mut inp = input(repo.path());
    inp.ledger = Some(repo.path().join("nope"));
    let e = readiness::readiness(&inp).expect_err("not a ledger");
    assert!(matches!(e, ReadinessError::Ledger { .. }), "{e}");
    assert!(e.to_string().contains("nope"), "{e}");
}

#[test]
fn kept_inventory_current_passes_and_stale_fails_naming_the_credential() {
    let repo = repo();
    let inv = inventory::inventory(repo.path(), &[]).expect("inventory");
    let kept = serde_json::to_string_pretty(&inv).expect("json");
    write(repo.path(), "warden-inventory.json", &kept);
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "credential_inventory");
    assert_eq!(c.status, Status::Pass, "{}", c.evidence);

    // The value changed since the inventory was kept: its fingerprint no longer matches.
    write(repo.path(), ".env", "STRIPE_SECRET_KEY=value-two-rotated\n");
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "credential_inventory");
    assert_eq!(c.status, Status::Fail);
    assert!(c.evidence.contains("`STRIPE_SECRET_KEY`"), "{}", c.evidence);
    assert!(c.evidence.contains("fingerprint changed"), "{}", c.evidence);

    // A new credential the kept file does not list, and one it lists that is gone.
    write(
        repo.path(),
        "server.py",
        &SERVER.replace("STRIPE_SECRET_KEY", "GITHUB_TOKEN"),
    );
    write(repo.path(), ".env", "");
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "credential_inventory");
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.evidence.contains("missing from it: `GITHUB_TOKEN`"),
        "{}",
        c.evidence
    );
    assert!(
        c.evidence
            .contains("stale (no longer found in the server): `STRIPE_SECRET_KEY`"),
        "{}",
        c.evidence
    );
}

#[test]
fn missing_inventory_fails_with_the_command() {
    let repo = repo();
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "credential_inventory");
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.fix.contains("warden inventory PATH --format json"),
        "{}",
        c.fix
    );
}

#[test]
fn markdown_inventory_is_read_too() {
    let repo = repo();
    let inv = inventory::inventory(repo.path(), &[]).expect("inventory");
    write(
        repo.path(),
        "warden-inventory.md",
        &inventory::to_markdown(&inv),
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "credential_inventory");
    assert_eq!(c.status, Status::Pass, "{}", c.evidence);
}

#[test]
fn a_journaled_rotation_dry_run_counts_as_a_rehearsal() {
    let repo = repo();
    // A plan printed from the inventory alone is not a rehearsal.
    let mut plan_only = Map::new();
    plan_only.insert("dry_run".into(), json!(true));
    rehearsal(
        &repo.path().join("incidents/rehearsal-0"),
        "rotate",
        plan_only,
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    assert_eq!(check(&r, "rotation_rehearsed").status, Status::Fail);
    // A dry run that inspected the real database is.
    let mut details = Map::new();
    details.insert("dry_run".into(), json!(true));
    details.insert(
        "postgres".into(),
        json!({"old_role": "app", "new_role": "app_r1", "env_file": ".env"}),
    );
    rehearsal(
        &repo.path().join("incidents/rehearsal-1"),
        "rotate",
        details,
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "rotation_rehearsed");
    assert_eq!(c.status, Status::Pass, "{}", c.evidence);
    assert!(c.evidence.contains("dry run"), "{}", c.evidence);
    assert!(c.evidence.contains("rehearsal-1"), "{}", c.evidence);

    // 200 days later, it is stale.
    let mut later = input(repo.path());
    later.now_unix_nano += 200 * DAY;
    let r = readiness::readiness(&later).expect("readiness");
    let c = check(&r, "rotation_rehearsed");
    assert_eq!(c.status, Status::Fail);
    assert!(c.evidence.contains("stale"), "{}", c.evidence);
}

#[test]
fn no_rehearsal_fails_and_an_explicit_case_must_be_one() {
    let repo = repo();
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "rotation_rehearsed");
    assert_eq!(c.status, Status::Fail);
    assert!(c.fix.contains("warden incident open"), "{}", c.fix);

    let mut inp = input(repo.path());
    inp.cases = vec![repo.path().join("not-a-case")];
    let e = readiness::readiness(&inp).expect_err("not a case");
    assert!(matches!(e, ReadinessError::Case { .. }), "{e}");
}

#[test]
fn isolation_from_a_fence_in_the_ledger_or_a_journaled_isolation() {
    let repo = repo();
    let work = tempfile::tempdir().expect("tempdir");
    let now = now_unix_nano();
    let mut inp = input(repo.path());
    inp.ledger = Some(ledger(work.path(), &["list_items"], now, true));
    let r = readiness::readiness(&inp).expect("readiness");
    let c = check(&r, "isolation_tested");
    assert_eq!(c.status, Status::Pass, "{}", c.evidence);
    assert!(c.evidence.contains("admin.fence"), "{}", c.evidence);

    let case_dir = work.path().join("case");
    let mut isolated = Map::new();
    isolated.insert("phase".into(), json!("isolate"));
    rehearsal(&case_dir, "phase_done", isolated);
    let mut inp = input(repo.path());
    inp.cases = vec![case_dir];
    let r = readiness::readiness(&inp).expect("readiness");
    assert_eq!(check(&r, "isolation_tested").status, Status::Pass);

    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    assert_eq!(check(&r, "isolation_tested").status, Status::Fail);
}

#[test]
fn an_unknown_key_in_the_answers_file_is_a_clear_error() {
    let repo = repo();
    write(
        repo.path(),
        "warden-readiness.toml",
        "log_retention_days = 90\nlog_retention = 30\n",
    );
    let e = readiness::readiness(&input(repo.path())).expect_err("unknown key");
    let text = e.to_string();
    match e {
        ReadinessError::Answers { line, key, .. } => {
            assert_eq!(line, 2);
            assert_eq!(key, "log_retention");
        }
        other => panic!("wrong error: {other}"),
    }
    assert!(text.contains("warden-readiness.toml"), "{text}");
    assert!(text.contains("unknown field"), "{text}");
    assert!(text.contains("log_retention_days"), "{text}");

    // A wrong type, and a role that is not one.
    let e =
        Answers::parse("log_retention_days = \"ninety\"\n", Path::new("a.toml")).expect_err("type");
    assert!(e.to_string().contains("log_retention_days"), "{e}");
    let e = Answers::parse(
        "[[contacts]]\nrole = \"boss\"\nname = \"A\"\nreach = \"a@example.com\"\n",
        Path::new("a.toml"),
    )
    .expect_err("role");
    let text = e.to_string();
    assert!(text.contains("line 2"), "{text}");
    assert!(text.contains("incident-lead"), "{text}");
}

#[test]
fn a_missing_answers_file_given_explicitly_is_an_error() {
    let repo = repo();
    let mut inp = input(repo.path());
    inp.answers = Some(repo.path().join("nope.toml"));
    let e = readiness::readiness(&inp).expect_err("missing");
    assert!(matches!(e, ReadinessError::AnswersUnreadable { .. }), "{e}");
}

#[test]
fn log_retention_from_the_answers_or_the_config_else_a_question() {
    let repo = repo();
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "log_retention");
    assert_eq!(c.status, Status::Unknown);
    assert!(
        c.question
            .as_deref()
            .unwrap_or("")
            .contains("log_retention_days"),
        "{:?}",
        c.question
    );

    write(
        repo.path(),
        "deploy/journald.conf.d/retention.conf",
        "[Journal]\nMaxRetentionSec=14day\n",
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "log_retention");
    assert_eq!(c.status, Status::Fail, "{}", c.evidence);
    assert!(c.evidence.contains("14 days"), "{}", c.evidence);

    write(
        repo.path(),
        "warden-readiness.toml",
        "log_retention_days = 90\nlog_location = \"Datadog, index mcp-prod\"\n",
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "log_retention");
    assert_eq!(c.status, Status::Pass, "{}", c.evidence);
    assert!(c.evidence.contains("Datadog"), "{}", c.evidence);
    // The contradicting config is still shown.
    assert!(c.evidence.contains("14 days"), "{}", c.evidence);
}

#[test]
fn compose_log_rotation_is_shown_but_does_not_decide() {
    let repo = repo();
    write(
        repo.path(),
        "docker-compose.yml",
        "services:\n  items:\n    image: items\n    logging:\n      driver: json-file\n      options:\n        max-size: \"10m\"\n        max-file: \"3\"\n",
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "log_retention");
    assert_eq!(c.status, Status::Unknown);
    assert!(
        c.evidence.contains("not shipped anywhere"),
        "{}",
        c.evidence
    );
}

#[test]
fn scan_history_from_ci_the_store_or_the_answers() {
    let repo = repo();
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    assert_eq!(check(&r, "scan_history").status, Status::Fail);

    write(
        repo.path(),
        ".github/workflows/scan.yml",
        "jobs:\n  scan:\n    steps:\n      - run: warden scan . --format sarif > warden.sarif\n",
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    assert_eq!(check(&r, "scan_history").status, Status::Unknown);

    write(repo.path(), ".warden/history.sqlite", "");
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "scan_history");
    assert_eq!(c.status, Status::Pass, "{}", c.evidence);

    write(
        repo.path(),
        "warden-readiness.toml",
        "scan_history = \"elsewhere/history.sqlite\"\n",
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "scan_history");
    assert_eq!(c.status, Status::Fail, "{}", c.evidence);
    assert!(c.evidence.contains("does not exist"), "{}", c.evidence);
}

#[test]
fn contacts_need_an_incident_lead_and_name_uncovered_vendors() {
    let repo = repo();
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    assert_eq!(check(&r, "contact_list").status, Status::Fail);

    write(
        repo.path(),
        "SECURITY.md",
        "Report vulnerabilities to security@example.com\n",
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    assert_eq!(check(&r, "contact_list").status, Status::Unknown);

    write(
        repo.path(),
        "warden-readiness.toml",
        "[[contacts]]\nrole = \"incident-lead\"\nname = \"Ada\"\nreach = \"+1 555 0100\"\n",
    );
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let c = check(&r, "contact_list");
    assert_eq!(c.status, Status::Pass, "{}", c.evidence);
    assert!(c.evidence.contains("Stripe"), "{}", c.evidence);
    assert!(c.fix.contains("Stripe"), "{}", c.fix);
}

#[test]
fn score_is_the_sum_of_the_weights_of_the_checks_that_pass() {
    assert_eq!(WEIGHTS.iter().map(|(_, w)| w).sum::<u32>(), 100);
    assert_eq!(readiness::grade(100), "ready");
    assert_eq!(readiness::grade(90), "ready");
    assert_eq!(readiness::grade(89), "partly ready");
    assert_eq!(readiness::grade(59), "not ready");

    // Audit (25), inventory (20), rotation (15), isolation (15), retention (10),
    // contacts (10) pass; scan history (5) fails: 95.
    let repo = repo();
    let work = tempfile::tempdir().expect("tempdir");
    let now = now_unix_nano();
    let inv = inventory::inventory(repo.path(), &[]).expect("inventory");
    write(
        repo.path(),
        "warden-inventory.json",
        &serde_json::to_string(&inv).expect("json"),
    );
    let mut details = Map::new();
    details.insert("phase".into(), json!("rotate"));
    rehearsal(&repo.path().join("incident-2026"), "phase_done", details);
    write(
        repo.path(),
        "warden-readiness.toml",
        "log_retention_days = 30\n\n[[contacts]]\nrole = \"incident-lead\"\nname = \"Ada\"\nreach = \"+1 555 0100\"\n",
    );
    let mut inp = input(repo.path());
    inp.ledger = Some(ledger(work.path(), &["list_items", "get_item"], now, true));
    let r = readiness::readiness(&inp).expect("readiness");
    let failing: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| c.status != Status::Pass)
        .map(|c| c.id)
        .collect();
    assert_eq!(failing, vec!["scan_history"], "{}", r.render());
    assert_eq!(r.score, 95);
    assert_eq!(r.grade, "ready");
    assert_eq!(
        r.score,
        r.checks.iter().map(|c| c.points).sum::<u32>(),
        "points add up"
    );

    // An unknown scores nothing.
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    assert_eq!(check(&r, "audit_log").status, Status::Fail);
    assert_eq!(r.score, 100 - 25 - 15 - 5);
}

#[test]
fn render_and_json_show_no_secret_value() {
    let repo = repo();
    let inv = inventory::inventory(repo.path(), &[]).expect("inventory");
    write(
        repo.path(),
        "warden-inventory.json",
        &serde_json::to_string(&inv).expect("json"),
    );
    write(repo.path(), ".env", "STRIPE_SECRET_KEY=value-two-rotated\n");
    let r = readiness::readiness(&input(repo.path())).expect("readiness");
    let text = r.render();
    let json = serde_json::to_string(&r).expect("json");
    for out in [&text, &json] {
        assert!(!out.contains(SECRET_VALUE));
        assert!(!out.contains("value-two-rotated"));
    }
    assert!(
        text.contains("| credential_inventory | FAIL | 0/20 |"),
        "{text}"
    );
    assert!(text.contains("## To do"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("parse");
    assert_eq!(v["checks"][0]["id"], "audit_log");
    assert_eq!(v["checks"][0]["status"], "fail");
    assert!(v["score"].as_u64().is_some());
}

#[test]
fn a_missing_repository_is_an_error() {
    let e = readiness::readiness(&input(Path::new("/no/such/repo"))).expect_err("missing");
    assert!(matches!(e, ReadinessError::Repo { .. }), "{e}");
}

#[test]
fn the_documented_answers_file_parses() {
    let doc = include_str!("../../../docs/playbook.md");
    let section = doc
        .split("### The answers file")
        .nth(1)
        .expect("the section");
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the example");
    let answers = Answers::parse(example, Path::new("docs/playbook.md")).expect("parses");
    assert_eq!(answers.log_retention_days, Some(90));
    assert_eq!(answers.contacts.len(), 3);
}

#[test]
fn a_ledger_that_does_not_verify_fails_the_audit_and_its_fences_do_not_count() {
    let repo = repo();
    let work = tempfile::tempdir().expect("tempdir");
    let path = ledger(
        work.path(),
        &["list_items", "get_item"],
        now_unix_nano(),
        true,
    );
    // Flip a byte inside the last record's payload.
    let segment = std::fs::read_dir(path.join("segments"))
        .expect("segments")
        .flatten()
        .map(|e| e.path())
        .max()
        .expect("a segment");
    let mut bytes = std::fs::read(&segment).expect("read");
    let at = bytes
        .windows(b"get_item".len())
        .rposition(|w| w == b"get_item")
        .expect("the record");
    bytes[at] ^= 0x20;
    std::fs::write(&segment, bytes).expect("write");
    let mut inp = input(repo.path());
    inp.ledger = Some(path);
    let r = readiness::readiness(&inp).expect("readiness");
    let c = check(&r, "audit_log");
    assert_eq!(c.status, Status::Fail);
    assert!(c.evidence.contains("does NOT verify"), "{}", c.evidence);
    assert_eq!(check(&r, "isolation_tested").status, Status::Fail);
}
