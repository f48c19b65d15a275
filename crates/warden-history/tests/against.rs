//! `against`: the files changed since a baseline's commit, sorted into what touches a
//! finding, a tool or the configuration, on a real git repository.

use std::path::Path;
use std::process::Command;

use warden_history::against::against;
use warden_history::model::{SavedScan, StoredFinding, StoredTool, Target};
use warden_history::target::{changes_since, identify};

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(repo)
        .args(["-c", "user.email=dev@example.org", "-c", "user.name=dev"])
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn scan(target: Target, findings: &[(&str, &str)], tools: &[(&str, &str)]) -> SavedScan {
    SavedScan {
        id: None,
        target,
        time_unix_nano: 1,
        tool_version: "0".into(),
        grading_version: "g1".into(),
        overall_score: 90,
        overall_grade: "A".into(),
        axes: Vec::new(),
        findings: findings
            .iter()
            .map(|(rule, path)| StoredFinding {
                fingerprint: format!("{rule}@{path}"),
                rule: (*rule).into(),
                severity: "high".into(),
                path: (*path).into(),
                line: 1,
                tool: None,
                message: "m".into(),
                suppressed: false,
            })
            .collect(),
        tools: tools
            .iter()
            .map(|(name, hash)| StoredTool {
                name: (*name).into(),
                definition_hash: (*hash).into(),
                description: None,
                schema_hash: None,
            })
            .collect(),
        report: None,
    }
}

#[test]
fn changed_files_that_matter_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let srv = repo.join("server");
    std::fs::create_dir_all(srv.join("src")).expect("mkdir");
    std::fs::write(srv.join("src/tools.py"), "def get(x): pass\n").expect("write");
    std::fs::write(srv.join("src/db.py"), "q = 1\n").expect("write");
    std::fs::write(srv.join("README.md"), "hi\n").expect("write");
    std::fs::write(srv.join("package.json"), "{}\n").expect("write");
    std::fs::write(repo.join("outside.txt"), "x\n").expect("write");
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "baseline"]);
    let baseline_target = identify(&srv).expect("identify");
    let commit = baseline_target.commit.clone().expect("commit");
    // After the baseline: a committed change to the tool's file, an uncommitted one to
    // the file with a finding, a new untracked config file, a README edit, and a change
    // outside the scanned directory.
    std::fs::write(srv.join("src/tools.py"), "def get(x): return x\n").expect("write");
    git(&repo, &["commit", "-qam", "tools"]);
    std::fs::write(srv.join("src/db.py"), "q = 2\n").expect("write");
    std::fs::write(srv.join(".env"), "TOKEN=x\n").expect("write");
    std::fs::write(srv.join("README.md"), "hello\n").expect("write");
    std::fs::write(repo.join("outside.txt"), "y\n").expect("write");
    let changes = changes_since(&srv, &commit).expect("changes");
    assert!(changes.known, "{:?}", changes.notes);
    assert_eq!(changes.prefix, "server/");
    let names: Vec<&str> = changes.files.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "outside.txt",
            "server/.env",
            "server/README.md",
            "server/src/db.py",
            "server/src/tools.py"
        ]
    );
    let now_target = identify(&srv).expect("identify");
    let before = scan(
        baseline_target,
        &[("sql-string-built-query", "src/db.py")],
        &[("get", "sha256:1")],
    );
    let now = scan(
        now_target,
        &[("sql-string-built-query", "src/db.py")],
        &[("get", "sha256:2")],
    );
    let a = against(
        &before,
        &now,
        &changes,
        &[("get".into(), "src/tools.py".into())],
    )
    .expect("against");
    let rel: Vec<(&str, &str, String)> = a
        .relevant
        .iter()
        .map(|c| (c.status.as_str(), c.path.as_str(), c.touches.join("; ")))
        .collect();
    assert_eq!(
        rel,
        [
            ("U", ".env", "configuration".to_string()),
            (
                "M",
                "src/db.py",
                "finding sql-string-built-query (baseline); finding sql-string-built-query (now)"
                    .to_string()
            ),
            ("M", "src/tools.py", "tool get".to_string()),
        ]
    );
    assert_eq!(a.other_changes, 1, "README.md");
    assert_eq!(a.diff.tools_changed.len(), 1);
    let text = a.render_text();
    assert!(
        text.contains("src/tools.py") && text.contains("1 other file(s) changed"),
        "{text}"
    );

    // A repository whose config would run a command: git is not run, and it says so.
    let marker = dir.path().join("ran");
    git(
        &repo,
        &[
            "config",
            "filter.x.clean",
            &format!("touch {}", marker.display()),
        ],
    );
    let refused = changes_since(&srv, &commit).expect("changes");
    assert!(!refused.known && refused.files.is_empty());
    assert!(
        refused.notes.iter().any(|n| n.contains("not run")),
        "{:?}",
        refused.notes
    );
    assert!(!marker.exists());
    // Not a commit id, and not a repository: said, not guessed.
    assert!(!changes_since(&srv, "HEAD~1").expect("changes").known);
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&plain).expect("mkdir");
    let none = changes_since(&plain, &commit).expect("changes");
    assert!(!none.known && none.notes[0].contains("not in a git repository"));
}
