//! A manifest with no lockfile.

use super::line_span;
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "maint-no-lockfile",
    title: "Dependencies are not locked",
    category: Category::DependencyVuln,
    cwe: "CWE-1357",
    severity: Severity::Low,
    what: "Finds `package.json`, `pyproject.toml` and `requirements*.txt` files that declare dependencies with no lockfile (`package-lock.json`, `yarn.lock`, `pnpm-lock.yaml`, `uv.lock`, `poetry.lock`, `Pipfile.lock`) in their folder or above, and no full pinning.",
    why: "Without a lockfile every install resolves the newest matching versions: a compromised release of any transitive dependency runs inside the server with its credentials, and two deployments can run different code.",
    example: "package.json with \"@modelcontextprotocol/sdk\": \"^1.0.0\" and no package-lock.json",
    fix: "Commit the lockfile your package manager writes (`npm install`, `uv lock`, `poetry lock`) and install with it (`npm ci`, `uv sync --locked`).",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for m in &cx.manifests.manifests {
        // A requirements file is an install list; unpinned lines there are reported by
        // `maint-unpinned-dependency`.
        if m.dependencies.is_empty()
            || m.lockfile.is_some()
            || !(m.path.ends_with("package.json") || m.path.ends_with("pyproject.toml"))
        {
            continue;
        }
        out.push(Raw {
            rule: &RULE,
            module: None,
            path: Some(m.path.clone()),
            span: line_span(1),
            tool: None,
            message: format!(
                "`{}` declares {} dependencies and no lockfile pins them.",
                m.path,
                m.dependencies.len()
            ),
            evidence: Vec::new(),
            severity: RULE.severity,
            confidence: Confidence::High,
        });
    }
}
