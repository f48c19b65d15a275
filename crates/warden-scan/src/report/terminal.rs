//! The human report: findings grouped by tool, grades, and (with `explain`) how each
//! score was reached. Colour only when asked (a terminal).

use crate::scan::ScanReport;
use std::collections::BTreeMap;
use std::fmt::Write;
use warden_core::{Finding, Grade, Severity};

/// ANSI styling that is a no-op when colour is off.
struct Style(bool);

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn sev(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(code, &format!("{:<8}", s.as_str()))
    }
    fn grade(&self, g: Grade) -> String {
        let code = match g {
            Grade::A => "1;32",
            Grade::B => "32",
            Grade::C => "33",
            Grade::D => "31",
            Grade::F => "1;31",
        };
        self.paint(code, g.as_str())
    }
}

fn finding(o: &mut String, st: &Style, f: &Finding) {
    let _ = writeln!(
        o,
        "  {} {} {}:{}:{}",
        st.sev(f.severity),
        st.paint("1", &f.rule),
        f.location.path,
        f.location.start_line,
        f.location.start_column
    );
    let _ = writeln!(o, "           {}", f.message);
    for step in &f.evidence {
        let _ = writeln!(
            o,
            "           {} {}:{}  {}",
            st.paint("2", "↳"),
            step.location.path,
            step.location.start_line,
            st.paint("2", &step.note)
        );
    }
    let _ = writeln!(
        o,
        "           {} {}",
        st.paint("2", "fix:"),
        first_sentence(&f.fix)
    );
}

fn first_sentence(s: &str) -> &str {
    match s.find(". ") {
        Some(i) => &s[..=i],
        None => s,
    }
}

/// Renders the report for a person.
pub fn render(report: &ScanReport, color: bool, explain: bool) -> String {
    let st = Style(color);
    let mut o = String::new();
    let active: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    let mut by_tool: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
    for f in &active {
        by_tool.entry(f.tool.as_deref()).or_default().push(f);
    }
    for (tool, fs) in &by_tool {
        let head = match tool {
            Some(t) => format!("tool {t}"),
            None => "server".to_string(),
        };
        let _ = writeln!(o, "{}", st.paint("1", &head));
        for f in fs {
            finding(&mut o, &st, f);
        }
        let _ = writeln!(o);
    }
    let g = &report.grades;
    let _ = writeln!(
        o,
        "{}  {} ({}/100)   spec {}",
        st.paint("1", "Grade"),
        st.grade(g.overall),
        g.overall_score,
        g.spec_version
    );
    for a in &g.axes {
        let line = match (a.score, a.grade) {
            (Some(s), Some(gr)) => format!("{:>3}  {}", s, st.grade(gr)),
            _ => "n/a".to_string(),
        };
        let _ = writeln!(o, "  {:<22} {line}", a.axis.title());
        if explain {
            for e in &a.explanation {
                let _ = writeln!(o, "      {}", st.paint("2", e));
            }
        }
    }
    if explain {
        for e in &g.explanation {
            let _ = writeln!(o, "  {}", st.paint("2", e));
        }
    }
    let counts = |s: Severity| active.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        o,
        "\n{} finding(s): {} critical, {} high, {} medium, {} low; {} suppressed",
        active.len(),
        counts(Severity::Critical),
        counts(Severity::High),
        counts(Severity::Medium),
        counts(Severity::Low),
        report.findings.len() - active.len()
    );
    let c = &report.coverage;
    let _ = writeln!(
        o,
        "{} tool(s) found; {} of {} registrations resolved, {} with a handler; {} files, {} lines in {} ms",
        report.tools.len(),
        c.resolved,
        c.registrations,
        c.with_handler,
        report.stats.files_scanned,
        report.stats.lines_scanned,
        report.stats.duration_ms
    );
    for u in &c.unresolved {
        let _ = writeln!(
            o,
            "  unresolved: {}:{} {}",
            u.location.path, u.location.start_line, u.reason
        );
    }
    if !report.stats.not_graded.is_empty() {
        let mut parts: Vec<String> = report
            .stats
            .not_graded
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        parts.sort();
        let _ = writeln!(
            o,
            "not graded (use --include-tests etc.): {} files",
            parts.join(", ")
        );
    }
    for s in &report.skipped {
        let _ = writeln!(o, "  skipped: {} ({})", s.path, s.reason);
    }
    for p in &report.parse_errors {
        let _ = writeln!(
            o,
            "  syntax errors in {p}: the readable parts were analysed"
        );
    }
    for i in &report.invalid_suppressions {
        let _ = writeln!(
            o,
            "  {} {}:{} {}",
            st.paint("33", "invalid suppression"),
            i.location.path,
            i.location.start_line,
            i.reason
        );
    }
    o
}

/// Renders the tool inventory.
pub fn render_tools(report: &ScanReport, color: bool) -> String {
    let st = Style(color);
    let mut o = String::new();
    for t in &report.tools {
        let _ = writeln!(
            o,
            "{} {}  {}:{}",
            st.paint("1", &t.name),
            st.paint("2", &format!("[{}]", t.kind)),
            t.location.path,
            t.location.start_line
        );
        if let Some(d) = &t.description {
            let d: String = d.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = d.chars().take(160).collect();
            let _ = writeln!(
                o,
                "    {}{}",
                short,
                if d.chars().count() > 160 { "…" } else { "" }
            );
        }
        for p in &t.params {
            let used = match p.used {
                Some(false) => st.paint("33", " (never read)"),
                _ => String::new(),
            };
            let _ = writeln!(
                o,
                "    - {}{}{}",
                p.name,
                p.r#type
                    .as_deref()
                    .map(|t| format!(": {t}"))
                    .unwrap_or_default(),
                used
            );
        }
        let a = &t.annotations;
        let mut ann = Vec::new();
        for (name, v) in [
            ("readOnly", a.read_only),
            ("destructive", a.destructive),
            ("idempotent", a.idempotent),
            ("openWorld", a.open_world),
        ] {
            if let Some(v) = v {
                ann.push(format!("{name}={v}"));
            }
        }
        if !ann.is_empty() {
            let _ = writeln!(o, "    annotations: {}", ann.join(", "));
        }
        if let Some(h) = &t.handler {
            let _ = writeln!(o, "    handler: {}:{}", h.path, h.start_line);
        }
        let touches = t.touches.names();
        let _ = writeln!(
            o,
            "    touches: {}",
            if touches.is_empty() {
                "nothing detected".to_string()
            } else {
                touches.join(", ")
            }
        );
    }
    let c = &report.coverage;
    let _ = writeln!(
        o,
        "\ncoverage: {} of {} registrations resolved, {} with a handler found",
        c.resolved, c.registrations, c.with_handler
    );
    for u in &c.unresolved {
        let _ = writeln!(
            o,
            "  unresolved: {}:{} {}",
            u.location.path, u.location.start_line, u.reason
        );
    }
    o
}
