//! Every rule fixture under `fixtures/rules/<rule>/` is scanned on its own, and the
//! findings must be exactly the ones its `expect: RULE` markers (or `EXPECT` file)
//! name: a missing finding is a false negative, an extra one a false positive.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// (relative path, line, rule) triples.
type Expectations = BTreeSet<(String, u32, String)>;

fn files_under(p: &Path) -> Vec<PathBuf> {
    if p.is_file() {
        return vec![p.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![p.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Reads the markers of one fixture (a file or a directory).
pub fn expectations(entry: &Path) -> Expectations {
    let base = if entry.is_file() {
        entry.parent().unwrap_or(entry).to_path_buf()
    } else {
        entry.to_path_buf()
    };
    let mut out = Expectations::new();
    for f in files_under(entry) {
        let rel = f
            .strip_prefix(&base)
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('\\', "/");
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if rel == "EXPECT" || rel.ends_with("/EXPECT") {
            for line in text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            {
                let (loc, rule) = line.split_once(' ').unwrap_or((line, ""));
                let (p, n) = loc.rsplit_once(':').unwrap_or((loc, "0"));
                let dir = rel.trim_end_matches("EXPECT");
                out.insert((
                    format!("{dir}{p}"),
                    n.parse().unwrap_or(0),
                    rule.trim().to_string(),
                ));
            }
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(pos) = rest.find("expect: ") {
                let after = &rest[pos + "expect: ".len()..];
                let rule: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                if !rule.is_empty() {
                    out.insert((rel.clone(), i as u32 + 1, rule));
                }
                rest = after;
            }
        }
    }
    out
}

fn found(entry: &Path) -> Expectations {
    let report =
        warden_scan::scan(entry, &warden_scan::ScanOptions::default()).expect("fixture scans");
    report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| {
            (
                f.location.path.clone(),
                f.location.start_line,
                f.rule.clone(),
            )
        })
        .collect()
}

/// The fixture entries of a rule folder: files or folders named `vulnerable*`/`clean*`.
fn entries(rule_dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(rule_dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| {
        let n = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        n.starts_with("vulnerable") || n.starts_with("clean")
    });
    out.sort();
    out
}

#[test]
fn rule_fixtures_match_their_markers() {
    let rules_dir = fixtures_root().join("rules");
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut rule_dirs: Vec<PathBuf> = std::fs::read_dir(&rules_dir)
        .expect("fixtures/rules exists")
        .flatten()
        .map(|e| e.path())
        .collect();
    rule_dirs.sort();
    for rule_dir in rule_dirs {
        let rule = rule_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(
            warden_scan::rules::by_id(&rule).is_some(),
            "fixture folder `{rule}` names no rule"
        );
        let es = entries(&rule_dir);
        assert!(
            es.iter().any(|e| e
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vulnerable"))),
            "rule `{rule}` has no vulnerable fixture"
        );
        for entry in es {
            checked += 1;
            let want = expectations(&entry);
            let got = found(&entry);
            let name = entry
                .strip_prefix(&rules_dir)
                .unwrap_or(&entry)
                .display()
                .to_string();
            if entry
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vulnerable"))
            {
                assert!(
                    want.iter().any(|(_, _, r)| r == &rule),
                    "{name} expects no `{rule}` finding: a vulnerable fixture must show its rule"
                );
            }
            for miss in want.difference(&got) {
                failures.push(format!("{name}: missing {}:{} {}", miss.0, miss.1, miss.2));
            }
            for extra in got.difference(&want) {
                failures.push(format!(
                    "{name}: unexpected {}:{} {}",
                    extra.0, extra.1, extra.2
                ));
            }
        }
    }
    assert!(checked > 60, "only {checked} fixtures found");
    assert!(
        failures.is_empty(),
        "{} fixture mismatch(es):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_fixtures_in_both_languages() {
    let rules_dir = fixtures_root().join("rules");
    for r in warden_scan::rules::all() {
        let dir = rules_dir.join(r.id);
        let files: Vec<String> = files_under(&dir)
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert!(!files.is_empty(), "rule `{}` has no fixtures", r.id);
        if !r.id.starts_with("maint-") && r.id != "secret-in-client-config" {
            assert!(
                files.iter().any(|f| f.ends_with(".ts")),
                "rule `{}` has no TypeScript fixture",
                r.id
            );
            assert!(
                files.iter().any(|f| f.ends_with(".py")),
                "rule `{}` has no Python fixture",
                r.id
            );
        }
    }
}
