//! After the fix: `warden incident verify-fix` re-scans the server's source and compares
//! it with the scan taken when the case was opened (the pre-incident baseline): the
//! findings on the entry point's tools must be gone. `warden incident return-check`
//! confirms from the ledger that the patched server has served a good call since.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::case::{Case, CaseError, latest_phase};
use crate::scope::ScopeError;

/// The baseline scan's file in the case directory.
pub const BASELINE_FILE: &str = "baseline-scan.json";

/// A finding, as the comparison shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Seen {
    pub rule: String,
    pub tool: Option<String>,
    pub location: String,
    pub fingerprint: String,
}

/// What verify-fix found.
#[derive(Debug, Clone, Serialize)]
pub struct FixCheck {
    /// `fixed`, `NOT FIXED` or `unknown` (no entry point to check).
    pub verdict: String,
    pub entry_tools: Vec<String>,
    /// Baseline findings on the entry point's tools that are gone.
    pub fixed: Vec<Seen>,
    /// Baseline findings on the entry point's tools still present.
    pub remaining: Vec<Seen>,
    /// Findings the baseline did not have (anywhere).
    pub new: Vec<Seen>,
}

/// Why verify-fix or return-check could not run.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(
        "no pre-incident scan: {0} is missing. `warden incident open --repo PATH` keeps one; else give --baseline FILE (a `warden scan --format json` report from before the incident)"
    )]
    NoBaseline(String),
    #[error("the baseline scan {path} cannot be read: {why}")]
    Baseline { path: String, why: String },
    #[error("scan of {path}: {why}")]
    Scan { path: String, why: String },
    #[error(transparent)]
    Ledger(#[from] ScopeError),
}

fn seen(f: &Value) -> Seen {
    Seen {
        rule: f["rule"].as_str().unwrap_or("").to_string(),
        tool: f["tool"].as_str().map(str::to_string),
        location: format!(
            "{}:{}",
            f["location"]["path"].as_str().unwrap_or("?"),
            f["location"]["start_line"]
        ),
        fingerprint: f["fingerprint"].as_str().unwrap_or("").to_string(),
    }
}

/// The findings of a report; with `suppressed`, also those a comment or baseline
/// silenced (a flaw silenced after the incident is not a fix).
fn findings(report: &Value, suppressed: bool) -> Vec<Seen> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| suppressed || f["suppressed"].is_null())
                .map(seen)
                .collect()
        })
        .unwrap_or_default()
}

/// Scans `repo` and returns the report as JSON (what the baseline file holds).
pub fn scan_json(repo: &Path) -> Result<Value, FixError> {
    let report = warden_scan::scan::scan(repo, &warden_scan::scan::ScanOptions::default())
        .map_err(|e| FixError::Scan {
            path: repo.display().to_string(),
            why: e.to_string(),
        })?;
    serde_json::to_value(&report).map_err(|e| FixError::Scan {
        path: repo.display().to_string(),
        why: e.to_string(),
    })
}

/// The entry point's tools, from the scope in the journal: the first anomalous call's
/// tool and the call before it.
fn entry_tools(case: &Case) -> Result<Vec<String>, CaseError> {
    let entries = case.entries()?;
    let scope = latest_phase(&entries, "scope");
    let detail = scope.map(|e| &e["attributes"]["entry_point_detail"]);
    let mut tools = Vec::new();
    if let Some(d) = detail {
        for key in ["tool", "call_before_tool"] {
            if let Some(t) = d[key].as_str() {
                tools.push(t.to_string());
            }
        }
    }
    Ok(tools)
}

/// Compares a fresh scan of `repo` with the baseline (the case's, or `baseline`).
pub fn verify_fix(
    case: &Case,
    case_dir: &Path,
    repo: &Path,
    baseline: Option<&Path>,
) -> Result<FixCheck, FixError> {
    let path: PathBuf = baseline.map_or_else(|| case_dir.join(BASELINE_FILE), Path::to_path_buf);
    let text = std::fs::read_to_string(&path)
        .map_err(|_| FixError::NoBaseline(path.display().to_string()))?;
    let before: Value = serde_json::from_str(&text).map_err(|e| FixError::Baseline {
        path: path.display().to_string(),
        why: e.to_string(),
    })?;
    if !before["findings"].is_array() {
        return Err(FixError::Baseline {
            path: path.display().to_string(),
            why: "no `findings` list: not a `warden scan --format json` report".into(),
        });
    }
    let before = findings(&before, false);
    let after = findings(&scan_json(repo)?, true);
    let tools = entry_tools(case)?;
    let on_entry = |s: &&Seen| s.tool.as_ref().is_some_and(|t| tools.contains(t));
    // Matched by fingerprint (survives line moves), or by rule and tool (a rewritten
    // line that still has the flaw is not a fix).
    let still = |b: &Seen| {
        after
            .iter()
            .any(|a| a.fingerprint == b.fingerprint || (a.rule == b.rule && a.tool == b.tool))
    };
    let (remaining, fixed): (Vec<Seen>, Vec<Seen>) =
        before.iter().filter(on_entry).cloned().partition(still);
    // New: in neither form in the baseline. The same rule in the same file and tool is
    // the same finding whose line changed (a rotated secret's new value, say).
    let file = |s: &Seen| {
        s.location
            .rsplit_once(':')
            .map_or(s.location.clone(), |(f, _)| f.to_string())
    };
    let new: Vec<Seen> = after
        .iter()
        .filter(|a| {
            !before.iter().any(|b| {
                b.fingerprint == a.fingerprint
                    || (b.rule == a.rule && b.tool == a.tool && file(b) == file(a))
            })
        })
        .cloned()
        .collect();
    // A flaw that moved (a new finding on the entry point's tools) is not fixed either;
    // and with nothing on those tools in the baseline, the scan cannot tell.
    let moved = new.iter().any(|s| on_entry(&s));
    let verdict = if tools.is_empty() || (fixed.is_empty() && remaining.is_empty()) {
        "unknown"
    } else if remaining.is_empty() && !moved {
        "fixed"
    } else {
        "NOT FIXED"
    };
    let mut details = Map::new();
    details.insert("verdict".into(), json!(verdict));
    details.insert("repo".into(), json!(repo.display().to_string()));
    details.insert("entry_tools".into(), json!(tools));
    details.insert("fixed".into(), json!(fixed.len()));
    details.insert("remaining".into(), json!(remaining));
    details.insert("new_findings".into(), json!(new.len()));
    case.journal("verify_fix", details)?;
    Ok(FixCheck {
        verdict: verdict.into(),
        entry_tools: tools,
        fixed,
        remaining,
        new,
    })
}

impl FixCheck {
    /// For people.
    pub fn render(&self) -> String {
        let mut out = format!("verify-fix: {}\n", self.verdict);
        if self.entry_tools.is_empty() {
            out.push_str(
                "  no entry point in the case's scope: run `warden incident scope` first\n",
            );
        } else if self.fixed.is_empty() && self.remaining.is_empty() {
            out.push_str(&format!(
                "  entry point's tools: {}\n  the pre-incident scan had no finding on them, so a scan cannot show the fix: review the change by hand (and add a rule or a test for the flaw)\n",
                self.entry_tools.join(", ")
            ));
        } else {
            out.push_str(&format!(
                "  entry point's tools: {}\n",
                self.entry_tools.join(", ")
            ));
        }
        for s in &self.fixed {
            out.push_str(&format!("  gone:      {} at {}\n", s.rule, s.location));
        }
        for s in &self.remaining {
            out.push_str(&format!("  STILL:     {} at {}\n", s.rule, s.location));
        }
        for s in &self.new {
            out.push_str(&format!("  new:       {} at {}\n", s.rule, s.location));
        }
        out
    }
}

/// What return-check found.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnCheck {
    pub ok: bool,
    /// Good calls recorded since the fix was verified.
    pub good_calls: u64,
    pub first_good_index: Option<u64>,
    pub since_unix_nano: u64,
    pub ledger_integrity: String,
    pub problems: Vec<String>,
}

/// Looks in the ledger for a good call (`ok`, optionally to `tool`) recorded after the
/// fix was verified (or after `since`), by a session the incident did not involve.
pub fn return_check(
    case: &Case,
    ledger: &Path,
    trusted_key: &str,
    tool: Option<&str>,
    since: Option<u64>,
) -> Result<ReturnCheck, FixError> {
    let entries = case.entries()?;
    let fix = entries.iter().rev().find(|e| e["kind"] == "app.verify_fix");
    let mut problems = Vec::new();
    match fix.map(|e| &e["attributes"]["verdict"]) {
        Some(v) if v == "fixed" => {}
        Some(v) => problems.push(format!(
            "verify-fix said {v}: the fix is not verified; returning to service is not advised"
        )),
        None => problems.push("verify-fix has not run: the fix is not verified".into()),
    }
    let since = since
        .or_else(|| fix.and_then(|e| e["time_unix_nano"].as_u64()))
        .unwrap_or(case.meta.opened_unix_nano);
    let involved: Vec<String> = latest_phase(&entries, "scope")
        .map(|e| {
            e["attributes"]["involved_sessions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let replay = crate::scope::replay(ledger, trusted_key, Some(since))?;
    if replay.integrity.verdict == "FAILED" {
        problems.push("the ledger does not verify".into());
    }
    // The patched server is the one serving only after the proxy restarted (with the
    // patched server behind it: `admin.open`) or its fence was lifted (`admin.unfence`)
    // since the fix was verified; calls before that were served by the old one.
    let back = replay
        .admin
        .iter()
        .find(|(_, r)| r.kind == "admin.open" || r.kind == "admin.unfence")
        .map(|(i, _)| *i);
    if back.is_none() {
        problems.push(
            "no restart of the proxy (admin.open) and no lifted fence (admin.unfence) since the fix was verified: the calls recorded may come from the unpatched server; restart it behind the proxy (or `warden proxy unfence` once it is patched), make a known-good call, then check again".into(),
        );
    }
    let good: Vec<u64> = replay
        .calls
        .iter()
        .filter(|(i, _)| back.is_some_and(|b| *i > b))
        .filter(|(_, r)| r.result.as_ref().is_some_and(|s| s.status == "ok"))
        .filter(|(_, r)| tool.is_none_or(|t| r.tool_name.as_deref() == Some(t)))
        .filter(|(_, r)| !r.session_id.as_ref().is_some_and(|s| involved.contains(s)))
        .map(|(i, _)| *i)
        .collect();
    if good.is_empty() {
        problems.push(format!(
            "no good call{} recorded since {}: make a known-good call through the proxy, then check again",
            tool.map(|t| format!(" to `{t}`")).unwrap_or_default(),
            crate::time::format_utc(since)
        ));
    }
    let check = ReturnCheck {
        ok: problems.is_empty(),
        good_calls: good.len() as u64,
        first_good_index: good.first().copied(),
        since_unix_nano: since,
        ledger_integrity: replay.integrity.verdict.clone(),
        problems,
    };
    let mut details = Map::new();
    details.insert("ok".into(), json!(check.ok));
    details.insert("good_calls".into(), json!(check.good_calls));
    details.insert("first_good_index".into(), json!(check.first_good_index));
    details.insert("problems".into(), json!(check.problems));
    case.journal("return_check", details)?;
    Ok(check)
}

impl ReturnCheck {
    /// For people.
    pub fn render(&self) -> String {
        let mut out = format!(
            "return-check: {}\n  ledger: {}\n  good calls since {}: {}{}\n",
            if self.ok {
                "ready to return to service"
            } else {
                "NOT READY"
            },
            self.ledger_integrity,
            crate::time::format_utc(self.since_unix_nano),
            self.good_calls,
            self.first_good_index
                .map(|i| format!(" (first: record {i})"))
                .unwrap_or_default()
        );
        for p in &self.problems {
            out.push_str(&format!("  - {p}\n"));
        }
        out
    }
}
