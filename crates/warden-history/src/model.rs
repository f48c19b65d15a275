//! What a saved scan holds. Built from a `warden scan` report by the CLI; the store
//! keeps it, `diff` and `drift` read it.

use serde::{Deserialize, Serialize};

/// What was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The key scans are grouped by: the repository's remote URL (credentials removed)
    /// when it has one, else the canonical path.
    pub key: String,
    /// The path as scanned (canonical).
    pub path: String,
    /// The `origin` remote (credentials removed), if any.
    pub remote: Option<String>,
    /// The commit checked out, if a git repository.
    pub commit: Option<String>,
    /// `Some(true)` when the working tree differs from the commit; `None` when it could
    /// not be told safely.
    pub dirty: Option<bool>,
    pub branch: Option<String>,
    /// A tag pointing at the commit, if any.
    pub tag: Option<String>,
}

/// One axis's score in a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxisScore {
    /// The axis name as `warden scan` reports it (`injection`, `authorization`, …).
    pub axis: String,
    /// 0–100; `None` when the axis did not apply.
    pub score: Option<u8>,
    /// The letter, when scored.
    pub grade: Option<String>,
}

/// A finding, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFinding {
    /// Stable across line moves and renamed files (see `warden_core::Fingerprint`).
    pub fingerprint: String,
    pub rule: String,
    /// `critical`, `high`, `medium`, `low` or `info`.
    pub severity: String,
    pub path: String,
    pub line: u32,
    /// The tool whose handler it is in, if any.
    pub tool: Option<String>,
    pub message: String,
    /// Silenced by a `warden-ignore` comment (kept: silencing is a change too).
    pub suppressed: bool,
}

/// A tool, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTool {
    pub name: String,
    /// `sha256:<hex>` of the tool's canonical definition (name, description, parameters,
    /// annotations): a change is what a rug pull looks like.
    pub definition_hash: String,
    pub description: Option<String>,
    /// `sha256:<hex>` of the canonical definition without the description (name,
    /// parameters, annotations), so a diff can say whether the schema changed when the
    /// description changed too. `None` in scans saved before it existed; a diff then
    /// says the schema change is unknown.
    #[serde(default)]
    pub schema_hash: Option<String>,
}

/// A saved scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedScan {
    /// Set by the store when saved.
    pub id: Option<i64>,
    pub target: Target,
    pub time_unix_nano: u64,
    /// `warden` version that made it.
    pub tool_version: String,
    /// The grading formula's version: scores compare only between equal versions.
    pub grading_version: String,
    pub overall_score: u8,
    pub overall_grade: String,
    pub axes: Vec<AxisScore>,
    pub findings: Vec<StoredFinding>,
    pub tools: Vec<StoredTool>,
    /// The whole `warden scan --format json` report (evidence steps, fixes, grade
    /// explanations), when kept; scans saved by older versions have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<serde_json::Value>,
}
