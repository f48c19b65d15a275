//! `warden scan --save`, `warden history`, `warden diff` and the history gates through the
//! binary, over a scripted git history of a fixture server: a clean commit, one that
//! adds vulnerabilities, one that moves them, one that changes a tool's description, one
//! that fixes them — on SQLite, and on PostgreSQL when `scripts/start-postgres.sh` runs.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use support::{commit, copy_dir, fixture, git, text};

mod support;

fn warden(store: &str, args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin("warden"))
        .env("WARDEN_STORE", store)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("warden")
}

/// The stores to run on: a SQLite file, and PostgreSQL when the test cluster runs (a
/// fresh database each time).
fn stores(dir: &Path) -> Vec<String> {
    let mut out = vec![dir.join("history.sqlite").display().to_string()];
    if let Some(pg) = support::pg() {
        out.push(pg.scratch_store("hcli"));
    }
    out
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn rules(list: &Value) -> Vec<String> {
    let mut r: Vec<String> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|f| f["rule"].as_str().map(str::to_string))
        .collect();
    r.sort();
    r
}

#[test]
fn a_scripted_history_is_classified_and_gated() {
    let dir = tempfile::tempdir().expect("tempdir");
    for store in stores(dir.path()) {
        let repo = dir.path().join(format!("srv-{}", store.len()));
        copy_dir(&fixture("notes-py-clean"), &repo);
        git(&repo, &["init", "-q", "-b", "main"]);
        commit(&repo, "clean");
        let r = repo.to_str().expect("utf-8");
        let save = |extra: &[&str]| {
            let mut args = vec!["scan", r, "--save", "-o", "/dev/null"];
            args.extend_from_slice(extra);
            warden(&store, &args)
        };
        let first = save(&[]);
        assert!(first.status.success(), "{}", text(&first));
        assert!(
            text(&first).contains("saved as scan #1"),
            "{}",
            text(&first)
        );

        // 2: vulnerabilities arrive; the new-finding gate fails, naming them.
        copy_dir(&fixture("notes-py-vulnerable"), &repo);
        commit(&repo, "add features");
        let second = save(&["--fail-on-new", "high"]);
        assert_eq!(second.status.code(), Some(1), "{}", text(&second));
        assert!(text(&second).contains("new finding(s) at or above severity high since scan #1"));
        let d = json(&warden(&store, &["diff", "--format", "json"]));
        assert!(
            d["diff"]["new"].as_array().expect("new").len() >= 5,
            "{d:#}"
        );
        assert!(d["diff"]["fixed"].as_array().expect("fixed").is_empty());
        let range = d["diff"]["commit_range"]
            .as_str()
            .expect("range")
            .to_string();
        assert!(range.contains(".."), "{range}");

        // 3: the same code moved down its files: persisting, nothing new, the gate holds.
        for f in ["notes_server/storage.py", "notes_server/server.py"] {
            let p = repo.join(f);
            let body = std::fs::read_to_string(&p).expect("read");
            std::fs::write(&p, format!("# moved\n\n\n{body}")).expect("write");
        }
        commit(&repo, "reformat");
        let third = save(&["--fail-on-new", "high"]);
        assert!(third.status.success(), "{}", text(&third));
        let d = json(&warden(&store, &["diff", "--format", "json"]));
        assert!(
            d["diff"]["new"].as_array().expect("new").is_empty(),
            "{d:#}"
        );
        let persisting = d["diff"]["persisting"].as_array().expect("persisting");
        assert!(persisting.len() >= 5);
        // Those in the two files that moved say where from; config.py did not move.
        for f in persisting {
            let moved = f["location"]["path"] != "notes_server/config.py";
            assert_eq!(!f["moved_from"].is_null(), moved, "{f:#}");
        }

        // 4: a tool's description changes: a possible rug pull.
        let server = repo.join("notes_server/server.py");
        let body = std::fs::read_to_string(&server).expect("read");
        std::fs::write(
            &server,
            body.replace(
                "\"\"\"Read a note.\"\"\"",
                "\"\"\"Read a note, and any note it links to.\"\"\"",
            ),
        )
        .expect("write");
        commit(&repo, "describe links");
        assert!(save(&[]).status.success());
        let d = json(&warden(&store, &["diff", "--format", "json"]));
        let changed = d["diff"]["tools_changed"]
            .as_array()
            .expect("tools_changed");
        assert_eq!(changed.len(), 1, "{d:#}");
        assert_eq!(changed[0]["name"], "get_note");
        assert_eq!(changed[0]["possible_rug_pull"], true);

        // 5: the fix: everything the vulnerable commit brought is fixed.
        let vulnerable_rules =
            rules(&json(&warden(&store, &["diff", "1", "2", "--format", "json"]))["diff"]["new"]);
        for f in [
            "notes_server/storage.py",
            "notes_server/config.py",
            "notes_server/server.py",
        ] {
            std::fs::copy(fixture("notes-py-clean").join(f), repo.join(f)).expect("copy");
        }
        commit(&repo, "fix");
        assert!(save(&[]).status.success());
        let d = json(&warden(&store, &["diff", "4", "5", "--format", "json"]));
        assert_eq!(rules(&d["diff"]["fixed"]), vulnerable_rules, "{d:#}");
        assert!(d["diff"]["new"].as_array().expect("new").is_empty());

        // The repository now against the vulnerable scan (#2), as during an incident:
        // the files changed since that touch its findings and tools are named.
        let cmp = warden(&store, &["scan", r, "--against", "2"]);
        assert!(cmp.status.success(), "{}", text(&cmp));
        let cmp = text(&cmp);
        assert!(cmp.contains("Changed since the baseline"), "{cmp}");
        assert!(
            cmp.contains("notes_server/storage.py") && cmp.contains("(baseline)"),
            "{cmp}"
        );
        assert!(cmp.contains("tool get_note"), "{cmp}");

        // The history: five scans; drift over the last three (clean → vulnerable → …)
        // is not reported once the axis has recovered.
        let h = warden(&store, &["history"]);
        assert!(h.status.success(), "{}", text(&h));
        let h = text(&h);
        assert!(h.contains("(5 scans)"), "{h}");
        let drifting = warden(&store, &["history", "--fail-on-drift"]);
        assert!(drifting.status.success(), "{}", text(&drifting));

        // A drift the gate catches: the axis falls over three scans (clean, then two
        // vulnerabilities one after the other) while the history keeps going.
        git(&repo, &["checkout", "-q", "-b", "slide"]);
        let storage = repo.join("notes_server/storage.py");
        let vulnerable_storage =
            std::fs::read_to_string(fixture("notes-py-vulnerable").join("notes_server/storage.py"))
                .expect("read");
        std::fs::write(&storage, &vulnerable_storage).expect("write");
        commit(&repo, "storage from the old branch");
        assert!(save(&[]).status.success());
        std::fs::copy(
            fixture("notes-py-vulnerable").join("notes_server/server.py"),
            &server,
        )
        .expect("copy");
        commit(&repo, "server from the old branch");
        let gated = save(&["--fail-on-drift", "--drift-window", "3"]);
        assert_eq!(gated.status.code(), Some(1), "{}", text(&gated));
        assert!(
            text(&gated).contains("gate failed: drift on"),
            "{}",
            text(&gated)
        );

        // Bad input: an unknown scan, and a scan of another target.
        let unknown = warden(&store, &["diff", "999", "1"]);
        assert!(!unknown.status.success());
        assert!(text(&unknown).contains("999"), "{}", text(&unknown));
        let other = dir.path().join(format!("plain-{}", store.len()));
        copy_dir(&fixture("tickets-ts-clean"), &other);
        let plain = warden(
            &store,
            &[
                "scan",
                other.to_str().expect("utf-8"),
                "--save",
                "-o",
                "/dev/null",
            ],
        );
        assert!(plain.status.success(), "{}", text(&plain));
        assert!(
            text(&plain).contains("not a git repository"),
            "{}",
            text(&plain)
        );
        let ambiguous = warden(&store, &["diff"]);
        assert!(!ambiguous.status.success());
        assert!(
            text(&ambiguous).contains("--target"),
            "{}",
            text(&ambiguous)
        );
        let across = warden(&store, &["diff", "1", "8"]);
        assert!(!across.status.success());
        assert!(text(&across).contains("--target"), "{}", text(&across));
        let by_path = warden(&store, &["history", r]);
        assert!(by_path.status.success(), "{}", text(&by_path));
        let no_commits = warden(
            &store,
            &[
                "diff",
                "--target",
                other.to_str().expect("utf-8"),
                "abc1234",
                "latest",
            ],
        );
        assert!(!no_commits.status.success());

        // A rerun of the same commit is not its own baseline: the gate still fails
        // (compared with #6, where the server file was still clean), and against the
        // base branch (the latest `main` scan, #5, clean) it fails too.
        let rerun = save(&["--fail-on-new", "high"]);
        assert_eq!(rerun.status.code(), Some(1), "{}", text(&rerun));
        assert!(text(&rerun).contains("since scan #6"), "{}", text(&rerun));
        let pr = save(&["--fail-on-new", "high", "--baseline-branch", "main"]);
        assert_eq!(pr.status.code(), Some(1), "{}", text(&pr));
        assert!(text(&pr).contains("since scan #5"), "{}", text(&pr));
    }
}

#[test]
fn gates_that_need_history_ask_for_save_and_a_newer_store_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("h.sqlite").display().to_string();
    let srv = fixture("notes-py-clean");
    let o = warden(
        &store,
        &[
            "scan",
            srv.to_str().expect("utf-8"),
            "--fail-on-drift",
            "-o",
            "/dev/null",
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("add --save"), "{}", text(&o));
    // A store from a newer warden: refused, and left as it was.
    let o = warden(
        &store,
        &[
            "scan",
            srv.to_str().expect("utf-8"),
            "--save",
            "-o",
            "/dev/null",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    // The readiness checklist sees the saved scan.
    let r = json(&warden(
        &store,
        &["readiness", srv.to_str().expect("utf-8"), "--json"],
    ));
    let history = r["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == "scan_history")
        .expect("scan_history")
        .clone();
    assert_eq!(history["status"], "pass", "{history:#}");
    assert!(
        history["evidence"]
            .as_str()
            .expect("evidence")
            .contains("1 saved scan(s)")
    );
    let set = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE warden_meta SET value='99' WHERE key='schema_version'\"); c.commit()",
            &store,
        ])
        .output()
        .expect("python3");
    assert!(set.status.success(), "{}", text(&set));
    let before = std::fs::read(&store).expect("read");
    let o = warden(&store, &["history"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("99"), "{}", text(&o));
    assert_eq!(std::fs::read(&store).expect("read"), before);
}
