//! `warden scan PATH --against BASELINE`: the repository as it is now against a scan
//! taken earlier — during an incident, the pre-incident baseline. Besides the diff of
//! findings, grades and tools, it lists every file changed since the baseline's commit
//! that touches a finding (then or now), a tool's registration or handler, or the
//! configuration: what an attacker with write access may have changed.

use serde::Serialize;

use crate::diff::{Diff, DiffError, diff};
use crate::model::SavedScan;
use crate::target::Changes;

/// A changed file and why it matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedFile {
    /// `A`, `M`, `D`, `T` or `U` (untracked), as in [`Changes`].
    pub status: String,
    /// Relative to the scanned path.
    pub path: String,
    /// What it touches: `finding <rule> (baseline)`, `finding <rule> (now)`, `tool
    /// <name>`, `configuration`.
    pub touches: Vec<String>,
}

/// The comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Against {
    pub diff: Diff,
    /// Whether the changed files could be listed (see `notes`).
    pub changes_known: bool,
    /// Changed files that touch a finding, a tool or the configuration.
    pub relevant: Vec<ChangedFile>,
    /// How many other files changed.
    pub other_changes: usize,
    pub notes: Vec<String>,
}

/// Files whose change alters what a server does without being code that the scan
/// reads: environment, manifests, container and CI definitions, MCP client configs.
fn is_configuration(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    lower.starts_with(".env")
        || lower.starts_with("dockerfile")
        || lower.starts_with("docker-compose")
        || lower.starts_with("compose.")
        || matches!(
            lower.as_str(),
            "package.json"
                | "package-lock.json"
                | "pnpm-lock.yaml"
                | "yarn.lock"
                | "pyproject.toml"
                | "requirements.txt"
                | "uv.lock"
                | "poetry.lock"
                | "cargo.toml"
                | "cargo.lock"
                | "go.mod"
                | "go.sum"
                | ".mcp.json"
                | "mcp.json"
                | "claude_desktop_config.json"
                | "ecosystem.config.js"
                | "procfile"
        )
        || path.starts_with(".github/workflows/")
        || lower.ends_with(".service")
}

/// Compares `now` with `baseline`; `changes` are the files changed since the
/// baseline's commit, `tool_files` the files where each tool is registered or handled
/// now (`(tool, path)`, paths relative to the scanned path).
pub fn against(
    baseline: &SavedScan,
    now: &SavedScan,
    changes: &Changes,
    tool_files: &[(String, String)],
) -> Result<Against, DiffError> {
    let d = diff(baseline, now)?;
    let mut relevant = Vec::new();
    let mut other = 0;
    for (status, repo_path) in &changes.files {
        // Only files under the scanned path, named as the scan names them.
        let Some(path) = repo_path.strip_prefix(changes.prefix.as_str()) else {
            continue;
        };
        let mut touches = Vec::new();
        for (when, scan) in [("baseline", baseline), ("now", now)] {
            for f in scan.findings.iter().filter(|f| f.path == path) {
                let t = format!("finding {} ({when})", f.rule);
                if !touches.contains(&t) {
                    touches.push(t);
                }
            }
        }
        for (tool, _) in tool_files.iter().filter(|(_, f)| f == path) {
            let t = format!("tool {tool}");
            if !touches.contains(&t) {
                touches.push(t);
            }
        }
        if is_configuration(path) {
            touches.push("configuration".into());
        }
        if touches.is_empty() {
            other += 1;
        } else {
            relevant.push(ChangedFile {
                status: status.clone(),
                path: path.to_string(),
                touches,
            });
        }
    }
    let mut notes = changes.notes.clone();
    if baseline.target.commit.is_none() {
        notes.push(
            "the baseline has no commit (not a git repository then): changed files cannot be listed".into(),
        );
    }
    Ok(Against {
        diff: d,
        changes_known: changes.known,
        relevant,
        other_changes: other,
        notes,
    })
}

impl Against {
    /// For people: the diff, then the changed files that matter.
    pub fn render_text(&self) -> String {
        let mut out = self.diff.render_text();
        out.push_str(
            "\nChanged since the baseline, touching a finding, a tool or the configuration\n",
        );
        if !self.changes_known {
            out.push_str("  unknown (see the notes)\n");
        } else if self.relevant.is_empty() {
            out.push_str("  none\n");
        }
        for c in &self.relevant {
            out.push_str(&format!(
                "  {} {:<40} {}\n",
                c.status,
                c.path,
                c.touches.join("; ")
            ));
        }
        if self.changes_known {
            out.push_str(&format!(
                "  ({} other file(s) changed)\n",
                self.other_changes
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        crate::text::printable(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_files() {
        for p in [
            ".env",
            "deploy/.env.production",
            "Dockerfile",
            "package.json",
            ".github/workflows/ci.yml",
            "mcp.service",
            "pyproject.toml",
        ] {
            assert!(is_configuration(p), "{p}");
        }
        for p in ["src/server.ts", "README.md", "notes/env.py"] {
            assert!(!is_configuration(p), "{p}");
        }
    }
}
