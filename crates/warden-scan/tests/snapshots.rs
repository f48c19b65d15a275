//! Snapshots of what the scanner says about whole fixture servers, so a reviewer sees
//! behaviour changes (messages, evidence, grades, inventory) in the diff.

use std::fmt::Write;
use std::path::Path;

fn summary(server: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/servers")
        .join(server);
    let r = warden_scan::scan(&root, &warden_scan::ScanOptions::default()).expect("fixture scans");
    let mut o = String::new();
    let _ = writeln!(o, "grade {} ({})", r.grades.overall, r.grades.overall_score);
    for a in &r.grades.axes {
        let _ = writeln!(
            o,
            "  {:<22} {:?} {:?}",
            a.axis.title(),
            a.score,
            a.grade.map(|g| g.as_str())
        );
    }
    let _ = writeln!(o, "tools:");
    for t in &r.tools {
        let params: Vec<&str> = t.params.iter().map(|p| p.name.as_str()).collect();
        let _ = writeln!(
            o,
            "  {} ({}) [{}] touches {:?}",
            t.name,
            t.sdk,
            params.join(", "),
            t.touches.names()
        );
    }
    let _ = writeln!(o, "findings:");
    for f in &r.findings {
        let _ = writeln!(
            o,
            "  {} {} {}:{} tool={} fp={}\n    {}",
            f.severity,
            f.rule,
            f.location.path,
            f.location.start_line,
            f.tool.as_deref().unwrap_or("-"),
            f.fingerprint.0,
            f.message
        );
        for e in &f.evidence {
            let _ = writeln!(
                o,
                "      ↳ {}:{} {}",
                e.location.path, e.location.start_line, e.note
            );
        }
    }
    o
}

#[test]
fn notes_py_vulnerable() {
    insta::assert_snapshot!(summary("notes-py-vulnerable"));
}

#[test]
fn tickets_ts_vulnerable() {
    insta::assert_snapshot!(summary("tickets-ts-vulnerable"));
}

#[test]
fn notes_py_clean() {
    insta::assert_snapshot!(summary("notes-py-clean"));
}
