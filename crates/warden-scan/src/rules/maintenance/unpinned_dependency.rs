//! A dependency that accepts any version.

use super::line_span;
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "maint-unpinned-dependency",
    title: "Dependency accepts any version",
    category: Category::DependencyVuln,
    cwe: "CWE-1357",
    severity: Severity::Low,
    what: "Finds npm dependencies declared as `*`, `latest`, `x` or an empty range, and lines of a requirements file with no `==` pin when no lockfile covers them.",
    why: "An unbounded requirement installs whatever is newest at deploy time, including a hijacked or breaking release.",
    example: "requirements.txt:\n  mcp\n  requests>=2",
    fix: "Pin exact versions (`mcp==1.25.0`) or use bounded ranges with a committed lockfile.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for m in &cx.manifests.manifests {
        for d in &m.dependencies {
            let req = d.requirement.trim();
            let unpinned = if m.ecosystem == "npm" {
                matches!(req, "*" | "latest" | "" | "x" | "X")
                    || req.starts_with(">=") && !req.contains('<')
            } else {
                m.path
                    .rsplit('/')
                    .next()
                    .is_some_and(|n| n.starts_with("requirements"))
                    && m.lockfile.is_none()
                    && !req.starts_with("==")
            };
            if !unpinned {
                continue;
            }
            let shown = if req.is_empty() {
                "any version".to_string()
            } else {
                format!("`{req}`")
            };
            out.push(Raw {
                rule: &RULE,
                module: None,
                path: Some(m.path.clone()),
                span: line_span(d.line),
                tool: None,
                message: format!(
                    "`{}` is declared with {shown}, which accepts any future release.",
                    d.name
                ),
                evidence: Vec::new(),
                severity: RULE.severity,
                confidence: Confidence::High,
            });
        }
    }
}
