//! Markdown, for pull-request comments and job summaries.

use crate::scan::ScanReport;
use std::fmt::Write;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Renders the Markdown report.
pub fn render(report: &ScanReport) -> String {
    let mut o = String::new();
    let g = &report.grades;
    let active: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    let _ = writeln!(
        o,
        "## Warden scan: grade **{}** ({}/100)\n",
        g.overall, g.overall_score
    );
    let _ = writeln!(o, "| Axis | Score | Grade |\n|---|---:|:---:|");
    for a in &g.axes {
        match (a.score, a.grade) {
            (Some(s), Some(gr)) => {
                let _ = writeln!(o, "| {} | {s} | {gr} |", a.axis.title());
            }
            _ => {
                let _ = writeln!(o, "| {} | n/a | – |", a.axis.title());
            }
        }
    }
    let _ = writeln!(
        o,
        "\n{} finding(s), {} suppressed · {} tool(s) found · {} files, {} lines\n",
        active.len(),
        report.findings.len() - active.len(),
        report.tools.len(),
        report.stats.files_scanned,
        report.stats.lines_scanned
    );
    if !active.is_empty() {
        let _ = writeln!(
            o,
            "| Severity | Rule | Location | Tool | Message |\n|---|---|---|---|---|"
        );
        for f in &active {
            let _ = writeln!(
                o,
                "| {} | `{}` | `{}:{}` | {} | {} |",
                f.severity,
                f.rule,
                cell(&f.location.path),
                f.location.start_line,
                f.tool
                    .as_deref()
                    .map(|t| format!("`{}`", cell(t)))
                    .unwrap_or_default(),
                cell(&f.message)
            );
        }
    }
    let suppressed: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .collect();
    if !suppressed.is_empty() {
        let _ = writeln!(
            o,
            "\n<details><summary>{} suppressed finding(s)</summary>\n",
            suppressed.len()
        );
        for f in suppressed {
            let reason = f
                .suppressed
                .as_ref()
                .map(|s| s.reason.as_str())
                .unwrap_or("");
            let _ = writeln!(
                o,
                "- `{}` at `{}:{}` — {}",
                f.rule,
                f.location.path,
                f.location.start_line,
                cell(reason)
            );
        }
        let _ = writeln!(o, "\n</details>");
    }
    o
}
