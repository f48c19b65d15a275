//! A finding: one rule matched at one place, with the evidence for it.

use crate::vocab::{Axis, Category, Confidence, Severity};
use serde::{Deserialize, Serialize};

/// A span in a file of the scanned repository. Lines and columns are 1-based;
/// `path` is relative to the scanned root and always uses `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// Path relative to the scanned root, `/`-separated.
    pub path: String,
    /// First line, 1-based.
    pub start_line: u32,
    /// First column, 1-based, in characters.
    pub start_column: u32,
    /// Last line, 1-based.
    pub end_line: u32,
    /// Column just past the end, 1-based.
    pub end_column: u32,
}

/// One step of the path from a source (a tool argument, an environment read, a
/// response body) to the place where it does harm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceStep {
    /// Where the step happens.
    pub location: Location,
    /// What happens there, e.g. "tool argument `url`" or "passed to `fetchPage(url)`".
    pub note: String,
}

/// A stable identity for a finding that survives the code moving within a file,
/// so that scans can be compared and baselines keep working.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    /// Derives a fingerprint from the rule, the enclosing tool or function, the
    /// whitespace-normalised text of the flagged line, and an occurrence number that
    /// tells apart identical lines in one scope. Line numbers and paths are left out
    /// on purpose: moving code, or renaming its file, keeps the fingerprint.
    pub fn derive(rule: &str, scope: &str, line_text: &str, occurrence: u32) -> Self {
        let normalised: String = line_text.split_whitespace().collect::<Vec<_>>().join(" ");
        let material = format!("v1\0{rule}\0{scope}\0{normalised}\0{occurrence}");
        let hex = crate::sha256_hex(material.as_bytes());
        Fingerprint(hex[..32].to_string())
    }
}

/// An inline suppression that silenced a finding, kept in the report so that what is
/// hidden is never invisible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// Where the `warden-ignore` comment is.
    pub location: Location,
    /// The reason written after the rule id. Required.
    pub reason: String,
}

/// One rule matched at one place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's stable id, e.g. `cmd-shell-injection`.
    pub rule: String,
    /// The weakness class.
    pub category: Category,
    /// The CWE id, e.g. `CWE-78`.
    pub cwe: String,
    /// How bad it is if real.
    pub severity: Severity,
    /// How sure the scanner is.
    pub confidence: Confidence,
    /// The grading axis it counts against.
    pub axis: Axis,
    /// Where it is.
    pub location: Location,
    /// The MCP tool whose handler it is in, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tool: Option<String>,
    /// One sentence saying what is wrong here.
    pub message: String,
    /// The source→sink steps, in order.
    #[serde(default)]
    pub evidence: Vec<EvidenceStep>,
    /// How to fix it.
    pub fix: String,
    /// Stable identity across scans.
    pub fingerprint: Fingerprint,
    /// Present when an inline `warden-ignore` silenced the finding.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub suppressed: Option<Suppression>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_whitespace_and_position() {
        let a = Fingerprint::derive("r", "tool:x", "  exec(`ls ${p}`)  ", 0);
        let b = Fingerprint::derive("r", "tool:x", "exec(`ls  ${p}`)", 0);
        assert_eq!(a, b);
        assert_ne!(a, Fingerprint::derive("r", "tool:x", "exec(`ls ${p}`)", 1));
        assert_ne!(a, Fingerprint::derive("r", "tool:y", "exec(`ls ${p}`)", 0));
        assert_eq!(a.0.len(), 32);
    }
}
