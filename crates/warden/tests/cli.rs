//! The real binary on whole fixture servers: findings, grades, exit codes, output
//! formats, suppressions, baselines and bad input.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(p: &str) -> PathBuf {
    root().join("fixtures").join(p)
}

fn warden() -> Command {
    let mut c = Command::cargo_bin("warden").expect("binary builds");
    c.env("NO_COLOR", "1");
    c
}

fn scan_json(path: &Path, extra: &[&str]) -> (Value, i32) {
    let out = warden()
        .arg("scan")
        .arg(path)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (v, out.status.code().unwrap_or(-1))
}

/// (path, line, rule) of every unsuppressed finding.
fn findings(v: &Value) -> Vec<(String, u64, String)> {
    let mut out: Vec<(String, u64, String)> = v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .map(|f| {
            (
                f["location"]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["location"]["start_line"].as_u64().unwrap_or_default(),
                f["rule"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The `expect:` markers and EXPECT file of a fixture directory.
fn markers(dir: &Path) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable fixture").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(dir)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            // Test code is not graded by default, so its markers do not count.
            if rel.starts_with("tests/") || rel.starts_with("test/") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let source = [".py", ".ts", ".js", ".tsx", ".mjs"]
                .iter()
                .any(|x| rel.ends_with(x));
            if rel != "EXPECT" && !source {
                continue;
            }
            if rel == "EXPECT" {
                for l in text.lines().filter(|l| !l.trim().is_empty()) {
                    let (loc, rule) = l.split_once(' ').unwrap_or((l, ""));
                    let (path, line) = loc.rsplit_once(':').unwrap_or((loc, "0"));
                    out.push((
                        path.to_string(),
                        line.parse().unwrap_or(0),
                        rule.trim().to_string(),
                    ));
                }
                continue;
            }
            for (i, line) in text.lines().enumerate() {
                let mut rest = line;
                while let Some(pos) = rest.find("expect: ") {
                    let after = &rest[pos + 8..];
                    let rule: String = after
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect();
                    out.push((rel.clone(), i as u64 + 1, rule));
                    rest = after;
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn vulnerable_servers_report_exactly_their_marked_findings() {
    for name in ["notes-py-vulnerable", "tickets-ts-vulnerable"] {
        let dir = fixture(&format!("servers/{name}"));
        if !dir.exists() {
            continue;
        }
        let (v, code) = scan_json(&dir, &[]);
        assert_eq!(code, 0, "{name}: no gate was asked for");
        assert_eq!(
            findings(&v),
            markers(&dir),
            "{name}: findings differ from the markers"
        );
        assert!(
            v["grades"]["overall"]
                .as_str()
                .is_some_and(|g| g == "D" || g == "F"),
            "{name}: grade {}",
            v["grades"]["overall"]
        );
        assert!(
            v["tools"].as_array().is_some_and(|t| t.len() >= 4),
            "{name}: tools found: {}",
            v["tools"]
        );
    }
}

#[test]
fn clean_servers_have_no_findings_and_pass_the_gate() {
    for name in ["notes-py-clean", "tickets-ts-clean"] {
        let dir = fixture(&format!("servers/{name}"));
        if !dir.exists() {
            continue;
        }
        let (v, code) = scan_json(&dir, &["--fail-on", "low", "--fail-under", "A"]);
        assert_eq!(findings(&v), vec![], "{name}");
        assert_eq!(code, 0, "{name}: the gate should pass");
        assert_eq!(v["grades"]["overall"], "A");
    }
}

#[test]
fn gate_fails_with_exit_1_and_says_why() {
    let dir = fixture("servers/notes-py-vulnerable");
    let out = warden()
        .arg("scan")
        .arg(&dir)
        .args(["--fail-on", "high"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gate failed") && err.contains("at or above severity high"),
        "{err}"
    );
    let out = warden()
        .arg("scan")
        .arg(&dir)
        .args(["--fail-under", "B"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("below the required B"));
}

#[test]
fn test_code_is_not_graded_unless_asked() {
    let dir = fixture("servers/notes-py-vulnerable");
    let (v, _) = scan_json(&dir, &[]);
    assert!(
        findings(&v)
            .iter()
            .all(|(p, _, _)| !p.starts_with("tests/"))
    );
    assert!(v["stats"]["not_graded"]["test"].as_u64().unwrap_or(0) >= 1);
    let graded = v["stats"]["files_scanned"].as_u64().unwrap_or(0);
    let (v, _) = scan_json(&dir, &["--include-tests"]);
    assert!(
        v["stats"]["files_scanned"].as_u64().unwrap_or(0) > graded,
        "--include-tests adds the test files"
    );
    assert!(v["stats"]["not_graded"].get("test").is_none());
}

#[test]
fn missing_path_is_a_usage_error_naming_the_path() {
    let out = warden()
        .args(["scan", "/no/such/repo"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/no/such/repo") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn sarif_output_validates_against_the_2_1_0_schema() {
    let schema_path = std::env::var("WARDEN_SARIF_SCHEMA")
        .ok()
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/sarif-schema-2.1.0.json"));
    let Ok(schema_text) = std::fs::read_to_string(&schema_path) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must provide the SARIF schema at {}",
            schema_path.display()
        );
        eprintln!(
            "skipping: no SARIF schema at {} (run scripts/fetch-sarif-schema.sh)",
            schema_path.display()
        );
        return;
    };
    let schema: Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for dir in [
        "servers/notes-py-vulnerable",
        "servers/notes-py-clean",
        "rules/cmd-shell-injection/vulnerable.ts",
    ] {
        let out = warden()
            .arg("scan")
            .arg(fixture(dir))
            .args(["--format", "sarif"])
            .output()
            .expect("runs");
        let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{dir}: SARIF invalid:\n{}",
            errors.join("\n")
        );
        let run = &sarif["runs"][0];
        assert!(
            run["tool"]["driver"]["rules"]
                .as_array()
                .is_some_and(|r| r.len() >= 30),
            "every rule is declared"
        );
        for r in run["results"].as_array().expect("results") {
            assert!(r["partialFingerprints"]["wardenFingerprint/v1"].is_string());
        }
    }
}

#[test]
fn markdown_and_terminal_outputs_carry_the_grade() {
    let dir = fixture("servers/notes-py-vulnerable");
    let md = warden()
        .arg("scan")
        .arg(&dir)
        .args(["--format", "markdown"])
        .output()
        .expect("runs");
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.starts_with("## Warden scan: grade **"), "{md}");
    assert!(md.contains("| Credential Exposure |"));
    let term = warden()
        .arg("scan")
        .arg(&dir)
        .arg("--explain")
        .output()
        .expect("runs");
    let term = String::from_utf8_lossy(&term.stdout);
    assert!(
        term.contains("Grade") && term.contains("weighted mean"),
        "{term}"
    );
    assert!(!term.contains("\x1b["), "no colour when not a terminal");
}

fn temp_server(code: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("server.py"), code).expect("write");
    dir
}

const VULN: &str = "from mcp.server.fastmcp import FastMCP\nimport os\nmcp = FastMCP(\"x\")\n\n@mcp.tool()\ndef run(cmd: str) -> str:\n    \"\"\"Run it.\"\"\"\n    os.system(\"ls \" + cmd)\n    return \"ok\"\n";

#[test]
fn suppression_needs_a_reason_and_is_listed() {
    let with_reason = VULN.replace("    os.system(\"ls \" + cmd)", "    os.system(\"ls \" + cmd)  # warden-ignore: cmd-shell-injection only run in a throwaway sandbox");
    let dir = temp_server(&with_reason);
    let (v, _) = scan_json(dir.path(), &["--fail-on", "critical"]);
    assert!(findings(&v).is_empty());
    let f = &v["findings"][0];
    assert_eq!(f["suppressed"]["reason"], "only run in a throwaway sandbox");

    let no_reason = VULN.replace(
        "    os.system(\"ls \" + cmd)",
        "    os.system(\"ls \" + cmd)  # warden-ignore: cmd-shell-injection",
    );
    let dir = temp_server(&no_reason);
    let (v, code) = scan_json(dir.path(), &["--fail-on", "critical"]);
    assert_eq!(code, 1, "a suppression without a reason does not count");
    assert_eq!(findings(&v).len(), 1);
    assert!(
        v["invalid_suppressions"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("has no reason"))
    );
}

#[test]
fn baseline_reports_only_new_findings_and_survives_line_moves() {
    let dir = temp_server(VULN);
    let baseline = dir.path().join("baseline.json");
    warden()
        .arg("baseline")
        .arg(dir.path())
        .arg("--output")
        .arg(&baseline)
        .assert()
        .success();
    // Move the code down and add a new finding.
    let moved = format!(
        "# a comment\n# another\n{VULN}\n@mcp.tool()\ndef ev(x: str) -> str:\n    \"\"\"Eval.\"\"\"\n    return str(eval(x))\n"
    );
    std::fs::write(dir.path().join("server.py"), moved).expect("write");
    let (v, _) = scan_json(
        dir.path(),
        &["--baseline", baseline.to_str().expect("utf-8 path")],
    );
    let rules: Vec<String> = findings(&v).into_iter().map(|f| f.2).collect();
    assert_eq!(rules, vec!["eval-dynamic-code".to_string()]);
}

#[test]
fn bad_baseline_file_is_a_clear_error() {
    let dir = temp_server(VULN);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "not json").expect("write");
    let out = warden()
        .arg("scan")
        .arg(dir.path())
        .arg("--baseline")
        .arg(&bad)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a Warden baseline"));
}

#[test]
fn hostile_inputs_are_reported_not_fatal() {
    let dir = temp_server(VULN);
    let p = dir.path();
    std::fs::write(p.join("blob.py"), b"\x00\x01\x02binary").expect("write");
    std::fs::write(p.join("latin1.py"), b"x = '\xe9t\xe9'\n").expect("write");
    std::fs::write(
        p.join("broken.ts"),
        "server.tool(\"x\", async ({ a }) => { exec(`ls ${a}`) \n ))) {{{",
    )
    .expect("write");
    std::fs::write(p.join("huge.js"), "a".repeat(3 * 1024 * 1024)).expect("write");
    std::fs::write(
        p.join("deep.py"),
        format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000)),
    )
    .expect("write");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(p, p.join("loop")).expect("symlink");
        std::os::unix::fs::symlink("/etc/passwd", p.join("outside.py")).expect("symlink");
    }
    let (v, code) = scan_json(p, &[]);
    assert_eq!(code, 0);
    let skipped: Vec<String> = v["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| format!("{} {}", s["path"], s["reason"]))
        .collect();
    let all = skipped.join("\n");
    assert!(all.contains("blob.py") && all.contains("binary"), "{all}");
    assert!(
        all.contains("huge.js") && all.contains("larger than"),
        "{all}"
    );
    #[cfg(unix)]
    assert!(
        all.contains("outside.py") && all.contains("symbolic link"),
        "{all}"
    );
    assert!(
        v["parse_errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x == "broken.ts"))
    );
    assert_eq!(
        findings(&v)
            .iter()
            .filter(|f| f.2 == "cmd-shell-injection")
            .count(),
        1
    );
}

#[test]
fn tools_command_lists_inventory_with_coverage() {
    let out = warden()
        .args(["tools", "--json"])
        .arg(fixture("servers/notes-py-vulnerable"))
        .output()
        .expect("runs");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let tools = v["tools"].as_array().expect("tools");
    assert!(!tools.is_empty());
    for t in tools {
        assert!(
            t["name"].is_string() && t["location"]["path"].is_string() && t["touches"].is_object()
        );
    }
    assert!(v["coverage"]["resolved"].as_u64() == Some(tools.len() as u64));
}

#[test]
fn rules_reference_is_generated_from_the_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    warden()
        .args(["rules", "--write-docs"])
        .arg(dir.path())
        .assert()
        .success();
    let page = std::fs::read_to_string(dir.path().join("cmd-shell-injection.md")).expect("page");
    for part in [
        "## What it finds",
        "## Why it matters",
        "## Example",
        "## Fix",
    ] {
        assert!(page.contains(part), "missing {part}");
    }
    // The committed reference must match what the rules say now.
    let committed = root().join("docs/rules");
    for e in std::fs::read_dir(dir.path()).expect("dir").flatten() {
        let name = e.file_name();
        let fresh = std::fs::read_to_string(e.path()).expect("fresh");
        let old = std::fs::read_to_string(committed.join(&name)).unwrap_or_default();
        assert_eq!(
            fresh,
            old,
            "docs/rules/{} is stale: run `cargo run -- rules --write-docs docs/rules`",
            name.to_string_lossy()
        );
    }
}

/// The GitHub Action and the pre-commit hook call `warden scan` with flags: each must
/// still be one `warden scan` accepts (no runner here runs the action itself).
#[test]
fn the_action_and_the_hook_use_flags_warden_scan_has() {
    let help = warden().args(["scan", "--help"]).output().expect("help");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let mut checked = 0;
    for file in ["action.yml", ".pre-commit-hooks.yaml"] {
        let text = std::fs::read_to_string(root().join(file)).expect("read");
        // Lines that build or run a `warden scan` command line.
        for line in text
            .lines()
            .filter(|l| l.contains("warden scan") || l.contains("gate+=("))
        {
            for flag in line
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|w| w.starts_with("--") && w.len() > 2)
            {
                assert!(
                    help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                    "{file} passes {flag}, which `warden scan` does not accept"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 10,
        "only {checked} flags found: the files changed shape"
    );
}
