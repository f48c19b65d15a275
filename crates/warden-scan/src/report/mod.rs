//! Renderers for scan reports: terminal, JSON, SARIF 2.1.0 and Markdown.

pub mod markdown;
pub mod sarif;
pub mod terminal;

use crate::scan::ScanReport;

/// The JSON report (docs/report-format.md).
pub fn json(report: &ScanReport) -> String {
    serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\":\"could not serialise the report: {e}\"}}"))
}
