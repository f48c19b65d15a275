//! SARIF 2.1.0, as GitHub code scanning accepts it: every rule declared with help
//! text and a `security-severity`, results with content-based `partialFingerprints`,
//! source→sink `codeFlows`, and in-source suppressions.

use crate::rules;
use crate::scan::ScanReport;
use serde_json::{Value, json};
use warden_core::{Finding, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub buckets this number: critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low > 0.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn region(l: &warden_core::Location) -> Value {
    json!({
        "startLine": l.start_line.max(1),
        "startColumn": l.start_column.max(1),
        "endLine": l.end_line.max(l.start_line).max(1),
        "endColumn": l.end_column.max(1),
    })
}

fn physical(l: &warden_core::Location) -> Value {
    json!({ "artifactLocation": { "uri": l.path, "uriBaseId": "%SRCROOT%" }, "region": region(l) })
}

fn result(f: &Finding, rule_index: usize) -> Value {
    let mut r = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": f.message },
        "locations": [{ "physicalLocation": physical(&f.location) }],
        "partialFingerprints": { "wardenFingerprint/v1": f.fingerprint.0 },
        "properties": {
            "severity": f.severity.as_str(),
            "confidence": f.confidence.as_str(),
            "category": f.category.as_str(),
            "axis": f.axis.as_str(),
        },
    });
    if let Some(t) = &f.tool {
        r["properties"]["tool"] = json!(t);
    }
    if !f.evidence.is_empty() {
        let locs: Vec<Value> = f
            .evidence
            .iter()
            .map(|s| json!({ "location": { "physicalLocation": physical(&s.location), "message": { "text": s.note } } }))
            .collect();
        r["codeFlows"] = json!([{ "threadFlows": [{ "locations": locs }] }]);
    }
    if let Some(s) = &f.suppressed {
        r["suppressions"] = json!([{ "kind": "inSource", "justification": s.reason }]);
    }
    r
}

/// Renders the SARIF log.
pub fn render(report: &ScanReport) -> String {
    let all = rules::all();
    let rule_objs: Vec<Value> = all
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id.split('-').map(|w| {
                    let mut c = w.chars();
                    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
                }).collect::<String>(),
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.what },
                "help": {
                    "text": format!("{}\n\nWhy: {}\n\nFix: {}", r.what, r.why, r.fix),
                    "markdown": format!("{}\n\n**Why it matters.** {}\n\n**Example.**\n\n```\n{}\n```\n\n**Fix.** {}", r.what, r.why, r.example, r.fix),
                },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": {
                    "tags": ["security", r.category.as_str(), format!("external/cwe/{}", r.cwe.to_ascii_lowercase())],
                    "security-severity": security_severity(r.severity),
                    "precision": "high",
                },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, all.iter().position(|r| r.id == f.rule).unwrap_or(0)))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "warden",
                "version": report.tool.version,
                "informationUri": "https://github.com/warden-mcp/warden",
                "rules": rule_objs,
            }},
            "automationDetails": { "id": "warden/scan/" },
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The scanned repository root." } } },
            "results": results,
            "properties": {
                "grades": {
                    "overall": report.grades.overall.as_str(),
                    "overallScore": report.grades.overall_score,
                    "specVersion": report.grades.spec_version,
                },
            },
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default()
}
