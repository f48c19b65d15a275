//! An MCP SDK version with known security fixes missing.

use super::line_span;
use crate::manifest::{minimum_version, parse_version};
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "maint-outdated-sdk",
    title: "MCP SDK is older than its security fixes",
    category: Category::DependencyVuln,
    cwe: "CWE-1395",
    severity: Severity::Medium,
    what: "Finds servers whose lockfile resolves, or whose manifest allows, an official MCP SDK older than the release that made DNS-rebinding protection the default: `@modelcontextprotocol/sdk` below 1.24.0 (CVE-2025-66414) and `mcp` (Python) below 1.23.0 (CVE-2025-66416).",
    why: "Older SDKs leave HTTP transports open to DNS rebinding unless every server remembers to enable the protection, and miss later fixes too.",
    example: "\"@modelcontextprotocol/sdk\": \"^0.6.0\"",
    fix: "Upgrade the SDK (`npm install @modelcontextprotocol/sdk@latest`, `uv add 'mcp>=1.23'`) and refresh the lockfile.",
    check,
};

/// Whether a requirement admits no version at or above `floor` (an exact pin, a
/// caret or tilde range on an older major or minor, an upper bound below it).
fn excludes(req: &str, floor: (u64, u64, u64)) -> bool {
    let r = req.trim();
    let Some(v) = parse_version(r) else {
        return false;
    };
    if r.starts_with("==") || r.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return v < floor;
    }
    if let Some(rest) = r.strip_prefix('^') {
        let _ = rest;
        return if v.0 == 0 {
            (0, v.1, u64::MAX) < floor
        } else {
            (v.0, u64::MAX, 0) < floor
        };
    }
    if r.starts_with('~') {
        return (v.0, v.1, u64::MAX) < floor;
    }
    r.contains('<')
        && r.split(',')
            .filter_map(|p| p.trim().strip_prefix('<'))
            .filter_map(parse_version)
            .any(|u| u <= floor)
}

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for m in &cx.manifests.manifests {
        for d in &m.dependencies {
            let floor = match (m.ecosystem, d.name.as_str()) {
                ("npm", "@modelcontextprotocol/sdk") => (1, 24, 0),
                ("python", "mcp") => (1, 23, 0),
                _ => continue,
            };
            // The lockfile says what is installed; the range only what may be.
            // A range that allows an old SDK is reported on the manifest; a range that is
            // fine but a lockfile that pins an old SDK, on the lockfile.
            let locked = m
                .locked
                .get(&d.name)
                .and_then(|(v, line)| Some((parse_version(v)?, *line)));
            let (v, from_lock, path, line) =
                match (minimum_version(&d.requirement), locked, &m.lockfile) {
                    (Some(min), _, _) if min < floor && excludes(&d.requirement, floor) => {
                        (min, false, m.path.clone(), d.line)
                    }
                    (_, Some((v, line)), Some(lock)) => (v, true, lock.clone(), line),
                    (Some(min), None, _) if min < floor => (min, false, m.path.clone(), d.line),
                    _ => continue,
                };
            if v >= floor {
                continue;
            }
            let how = if from_lock { "is locked at" } else { "allows" };
            out.push(Raw {
                rule: &RULE,
                module: None,
                path: Some(path),
                span: line_span(line),
                tool: None,
                message: format!(
                    "`{}` {how} {}.{}.{}, older than {}.{}.{}, the first release with DNS-rebinding protection on by default.",
                    d.name, v.0, v.1, v.2, floor.0, floor.1, floor.2
                ),
                evidence: Vec::new(),
                severity: RULE.severity,
                confidence: if from_lock { Confidence::High } else { Confidence::Medium },
            });
        }
    }
}
