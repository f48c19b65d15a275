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

/// Tools and their handlers as discovered in a rule fixture directory, with the
/// registrations whose handler could not be followed.
fn discovered(fixture: &str) -> (Vec<(String, Option<String>)>, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/rules")
        .join(fixture);
    let r = warden_scan::scan(&root, &warden_scan::ScanOptions::default()).expect("fixture scans");
    let tools = r
        .tools
        .iter()
        .map(|t| (t.name.clone(), t.handler.as_ref().map(|h| h.path.clone())))
        .collect();
    let unresolved = r
        .coverage
        .unresolved
        .iter()
        .map(|u| u.reason.clone())
        .collect();
    (tools, unresolved)
}

#[test]
fn default_exported_handlers_and_package_handlers_are_listed() {
    let (tools, unresolved) = discovered("cmd-shell-injection/vulnerable-default-export-ts");
    let has = |name: &str, handler: Option<&str>| {
        tools
            .iter()
            .any(|(n, h)| n == name && h.as_deref() == handler)
    };
    assert!(has("container_exec", Some("tools/exec.ts")), "{tools:?}");
    assert!(has("container_stop", Some("tools/stop.ts")), "{tools:?}");
    assert!(
        has("container_restart", Some("tools/restart.ts")),
        "{tools:?}"
    );
    assert!(has("container_logs", None), "{tools:?}");
    assert_eq!(
        unresolved,
        ["handler of tool `container_logs` could not be followed"]
    );
}

#[test]
fn tool_objects_in_files_without_an_sdk_import_are_listed() {
    let (tools, unresolved) = discovered("path-unchecked-access/vulnerable-tool-registry-ts");
    let names: Vec<&str> = tools.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["cache-text", "fetch-page"]);
    assert!(tools.iter().all(|(_, h)| h.is_some()), "{tools:?}");
    assert!(unresolved.is_empty(), "{unresolved:?}");
}

#[test]
fn tool_classes_registered_by_a_base_class_are_listed() {
    let (tools, _) = discovered("cmd-shell-injection/vulnerable-tool-class-ts");
    assert_eq!(
        tools,
        [
            (
                "archive_folder".to_string(),
                Some("tools/archive.ts".to_string())
            ),
            (
                "list_archive".to_string(),
                Some("tools/list.ts".to_string())
            ),
        ]
    );
}

#[test]
fn a_dispatch_on_a_constant_tool_name_reaches_only_its_branch() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/rules/sql-string-built-query/vulnerable-nested-dispatch.py");
    let r = warden_scan::scan(&root, &warden_scan::ScanOptions::default()).expect("fixture scans");
    let sql: Vec<(u32, Option<&str>)> = r
        .findings
        .iter()
        .filter(|f| f.rule == "sql-string-built-query")
        .map(|f| (f.location.start_line, f.tool.as_deref()))
        .collect();
    assert_eq!(sql, [(35, Some("column_stats"))]);
}
