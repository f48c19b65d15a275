//! Baselines: the fingerprints of accepted findings, so CI reports only new ones.

use crate::scan::ScanReport;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A baseline file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    /// Format version.
    pub format: String,
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding. Path and line are for the reader; matching uses the
/// rule and fingerprint, which survive code moving.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub rule: String,
    pub fingerprint: String,
    pub path: String,
    pub line: u32,
}

/// A baseline file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the baseline `{path}` is not a Warden baseline ({source}); write one with `warden baseline PATH --output {path}`"
    )]
    Parse {
        path: String,
        source: serde_json::Error,
    },
}

impl Baseline {
    /// The baseline of every unsuppressed finding in a report.
    pub fn from_report(r: &ScanReport) -> Baseline {
        Baseline {
            format: "warden-baseline/1".into(),
            findings: r
                .findings
                .iter()
                .filter(|f| f.suppressed.is_none())
                .map(|f| BaselineEntry {
                    rule: f.rule.clone(),
                    fingerprint: f.fingerprint.0.clone(),
                    path: f.location.path.clone(),
                    line: f.location.start_line,
                })
                .collect(),
        }
    }

    /// Reads a baseline file.
    pub fn load(path: &std::path::Path) -> Result<Baseline, BaselineError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: p.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| BaselineError::Parse { path: p, source })
    }

    /// Removes findings the baseline accepts; returns how many were removed.
    pub fn apply(&self, r: &mut ScanReport) -> usize {
        let known: HashSet<(&str, &str)> = self
            .findings
            .iter()
            .map(|e| (e.rule.as_str(), e.fingerprint.as_str()))
            .collect();
        let before = r.findings.len();
        r.findings
            .retain(|f| !known.contains(&(f.rule.as_str(), f.fingerprint.0.as_str())));
        before - r.findings.len()
    }
}
