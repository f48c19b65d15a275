//! Phase 1, scope (`warden incident scope`): verify the proxy's ledger as it is read,
//! replay the detectors over it, and say what happened — each attack pattern with its
//! evidence, the likely entry point (the first anomalous call, and the call before it in
//! the same session, whose output may have carried an injection), whether the server is
//! still serving calls, and which credentials it holds. With no malicious pattern it says
//! so: suspicion, not confirmed.

use std::path::Path;

use serde::Serialize;
use warden_ledger::reader::LogFiles;
use warden_ledger::record::Record;
use warden_ledger::verify;

/// What verification said about the ledger.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Integrity {
    /// `verified`, `verified with warnings` or `FAILED`.
    pub verdict: String,
    /// The problems, when there are any.
    pub problems: Vec<String>,
    /// Records read for the scope (all of them, or the prefix before the damage).
    pub records_read: u64,
}

/// One attack pattern found.
#[derive(Debug, Clone, Serialize)]
pub struct Pattern {
    pub rule: String,
    pub severity: String,
    pub session: String,
    pub tool: String,
    pub summary: String,
    pub first_time_unix_nano: u64,
    /// The ledger indices of the calls that make the case.
    pub evidence_indices: Vec<u64>,
}

/// A call, as the scope shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub index: u64,
    pub time_unix_nano: u64,
    pub session: Option<String>,
    pub tool: Option<String>,
    pub client_address: Option<String>,
    pub status: Option<String>,
}

/// The likely entry point.
#[derive(Debug, Clone, Serialize)]
pub struct EntryPoint {
    /// The first call of the first pattern: the start of the run of calls to the
    /// pattern's tool in its session that led to the alert.
    pub first_anomalous: Call,
    /// The call before it in the same session: its output may have carried the
    /// injection that started it.
    pub call_before: Option<Call>,
}

/// The scope's findings.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    pub integrity: Integrity,
    /// Only calls at or after this time were read (`--since`, `--last`).
    pub since_unix_nano: Option<u64>,
    pub tool_calls: u64,
    pub sessions: usize,
    pub patterns: Vec<Pattern>,
    pub entry_point: Option<EntryPoint>,
    /// The sessions the patterns name.
    pub involved_sessions: Vec<String>,
    /// The client addresses those sessions called from (HTTP; stdio has none).
    pub involved_addresses: Vec<String>,
    /// The newest tool call, and whether it is recent (the server still serving).
    pub last_call_unix_nano: Option<u64>,
    pub still_serving: bool,
    /// `confirmed` when a pattern was found, else `suspicion, not confirmed`.
    pub assessment: String,
    pub recommendation: String,
}

/// Why the scope could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("the ledger {path} cannot be read: {why}")]
    Ledger { path: String, why: String },
    #[error("verifier key: {0}")]
    Key(String),
}

/// A call this recent means the server is still serving.
const SERVING_WINDOW_NS: u64 = 5 * 60 * 1_000_000_000;

/// The ledger read for the incident: verified as it was read, the tool calls in the
/// window, and what the detectors said when replayed over them. Scope and triage both
/// stand on it.
pub struct Replay {
    pub integrity: Integrity,
    /// `(ledger index, record)` of every `tool.result` in the window, in ledger order.
    pub calls: Vec<(u64, Record)>,
    pub alerts: Vec<warden_detect::Alert>,
    /// `(ledger index, record)` of every `admin.*` record in the window (the proxy
    /// starting, fences lifted, …).
    pub admin: Vec<(u64, Record)>,
    /// Only calls at or after this time were read.
    pub since_unix_nano: Option<u64>,
}

/// Reads the ledger in `dir`, verified against `trusted_key` (C2SP verifier key text):
/// a ledger that fails verification is read only up to what a valid checkpoint covers.
/// With `since`, calls before it are left out (and the detectors see only the rest).
pub fn replay(dir: &Path, trusted_key: &str, since: Option<u64>) -> Result<Replay, ScopeError> {
    let keys = verify::parse_keys(&[trusted_key.to_string()])
        .map_err(|e| ScopeError::Key(e.to_string()))?;
    let report = verify::verify(dir, &keys).map_err(|e| ScopeError::Ledger {
        path: dir.display().to_string(),
        why: e.to_string(),
    })?;
    let problems: Vec<String> = report
        .lines
        .iter()
        .filter_map(|l| match &l.status {
            verify::Status::Invalid(why) => Some(format!("{}: {why}", l.object)),
            verify::Status::Warning(why) => Some(format!("{}: {why} (warning)", l.object)),
            _ => None,
        })
        .collect();
    let code = report.exit_code();
    // A ledger that fails verification is read only up to what a valid checkpoint
    // covers: the rest cannot be trusted.
    let limit = match code {
        1 => report.summary.signed_size.unwrap_or(0),
        _ => u64::MAX,
    };
    let files = LogFiles::open(dir).map_err(|e| ScopeError::Ledger {
        path: dir.display().to_string(),
        why: e.to_string(),
    })?;
    let mut detector = warden_detect::Detector::default();
    let rules = warden_detect::Rules::default();
    let mut calls: Vec<(u64, Record)> = Vec::new();
    let mut alerts: Vec<warden_detect::Alert> = Vec::new();
    let mut admin: Vec<(u64, Record)> = Vec::new();
    let mut records_read = 0;
    for item in files.records(0) {
        let Ok((index, bytes)) = item else { break };
        if index >= limit {
            break;
        }
        records_read += 1;
        let Ok(record) = serde_json::from_slice::<Record>(&bytes) else {
            continue;
        };
        if since.is_some_and(|t| record.time_unix_nano < t) {
            continue;
        }
        if record.kind == "tool.result" {
            alerts.extend(detector.observe(&rules, &record));
            calls.push((index, record));
        } else if record.kind.starts_with("admin.") {
            admin.push((index, record));
        }
    }
    Ok(Replay {
        integrity: Integrity {
            verdict: match code {
                0 => "verified".into(),
                3 => "verified with warnings".into(),
                _ => "FAILED".into(),
            },
            problems,
            records_read,
        },
        calls,
        alerts,
        admin,
        since_unix_nano: since,
    })
}

/// Scopes the ledger in `dir`, verified against `trusted_key` (C2SP verifier key text),
/// over the calls at or after `since` (all of them without it).
pub fn scope(
    dir: &Path,
    trusted_key: &str,
    since: Option<u64>,
    now_unix_nano: u64,
) -> Result<Scope, ScopeError> {
    Ok(Scope::from_replay(
        &replay(dir, trusted_key, since)?,
        now_unix_nano,
    ))
}

impl Scope {
    /// The scope of a replayed ledger.
    pub fn from_replay(replay: &Replay, now_unix_nano: u64) -> Scope {
        let Replay {
            integrity,
            calls,
            alerts,
            since_unix_nano,
            ..
        } = replay;
        let call_of = |call_id: &str| {
            calls
                .iter()
                .find(|(_, r)| r.call_id.as_deref() == Some(call_id))
        };
        let as_call = |(index, r): &(u64, Record)| Call {
            index: *index,
            time_unix_nano: r.time_unix_nano,
            session: r.session_id.clone(),
            tool: r.tool_name.clone(),
            client_address: r.client_address.clone(),
            status: r.result.as_ref().map(|s| s.status.clone()),
        };
        let mut patterns: Vec<Pattern> = alerts
            .iter()
            .map(|a| {
                let mut evidence: Vec<u64> = a
                    .evidence
                    .iter()
                    .filter_map(|id| call_of(id).map(|(i, _)| *i))
                    .collect();
                evidence.sort_unstable();
                let first_time = evidence
                    .first()
                    .and_then(|i| calls.iter().find(|(j, _)| j == i))
                    .map_or(a.time_unix_nano, |(_, r)| r.time_unix_nano);
                Pattern {
                    rule: a.rule.to_string(),
                    severity: a.severity.to_string(),
                    session: a.session.clone(),
                    tool: a.tool.clone(),
                    summary: a.summary.clone(),
                    first_time_unix_nano: first_time,
                    evidence_indices: evidence,
                }
            })
            .collect();
        patterns.sort_by_key(|p| p.first_time_unix_nano);
        let entry_point = patterns.first().and_then(|p| {
            let first = *p.evidence_indices.first()?;
            let evidence_pos = calls.iter().position(|(i, _)| *i == first)?;
            // The detectors cite the call that tipped the pattern; the attack began with the
            // run of calls to the same tool before it in the session.
            let (_, tipped) = &calls[evidence_pos];
            let mut pos = evidence_pos;
            for j in (0..evidence_pos).rev() {
                let (_, r) = &calls[j];
                if r.session_id != tipped.session_id {
                    continue;
                }
                if r.tool_name != tipped.tool_name {
                    break;
                }
                pos = j;
            }
            let (_, rec) = &calls[pos];
            let before = calls[..pos]
                .iter()
                .rev()
                .find(|(_, r)| r.session_id == rec.session_id)
                .map(as_call);
            Some(EntryPoint {
                first_anomalous: as_call(&calls[pos]),
                call_before: before,
            })
        });
        let last = calls.iter().map(|(_, r)| r.time_unix_nano).max();
        let still_serving =
            last.is_some_and(|t| now_unix_nano.saturating_sub(t) < SERVING_WINDOW_NS);
        let mut sessions: Vec<&str> = calls
            .iter()
            .filter_map(|(_, r)| r.session_id.as_deref())
            .collect();
        sessions.sort_unstable();
        sessions.dedup();
        let (assessment, recommendation) = if patterns.is_empty() {
            (
            "suspicion, not confirmed".to_string(),
            "No malicious pattern in the recorded calls: isolation is not recommended on this evidence alone. Keep watching, check other sources (the server's own logs, the vendors' logs), and scope again.".to_string(),
        )
        } else if still_serving {
            (
            "confirmed".to_string(),
            "Isolate now: the server is still serving calls (`warden incident isolate`, or `warden proxy fence` by hand).".to_string(),
        )
        } else {
            (
                "confirmed".to_string(),
                "Isolate before the server serves again, then rotate the credentials below."
                    .to_string(),
            )
        };
        // The sessions the patterns name, and the addresses they called from: what isolate
        // revokes and blocks.
        let mut involved_sessions: Vec<String> =
            patterns.iter().map(|p| p.session.clone()).collect();
        involved_sessions.sort();
        involved_sessions.dedup();
        let mut involved_addresses: Vec<String> = calls
            .iter()
            .filter(|(_, r)| {
                r.session_id
                    .as_ref()
                    .is_some_and(|s| involved_sessions.contains(s))
            })
            .filter_map(|(_, r)| r.client_address.clone())
            .collect();
        involved_addresses.sort();
        involved_addresses.dedup();
        Scope {
            integrity: integrity.clone(),
            since_unix_nano: *since_unix_nano,
            tool_calls: calls.len() as u64,
            sessions: sessions.len(),
            patterns,
            entry_point,
            involved_sessions,
            involved_addresses,
            last_call_unix_nano: last,
            still_serving,
            assessment,
            recommendation,
        }
    }
}

impl Scope {
    /// The findings for people.
    pub fn render(&self, credentials: &[String]) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "ledger: {} ({} records read)\n",
            self.integrity.verdict, self.integrity.records_read
        ));
        if self.integrity.verdict == "FAILED" {
            out.push_str("  THE LEDGER DOES NOT VERIFY: only the part a valid checkpoint covers was read; preserve it as it is.\n");
        }
        for p in &self.integrity.problems {
            out.push_str(&format!("  {p}\n"));
        }
        if let Some(t) = self.since_unix_nano {
            out.push_str(&format!(
                "window: calls since {}\n",
                crate::time::format_utc(t)
            ));
        }
        out.push_str(&format!(
            "{} tool call(s) in {} session(s)\n\nassessment: {}\n",
            self.tool_calls, self.sessions, self.assessment
        ));
        for p in &self.patterns {
            out.push_str(&format!(
                "  [{}] {} — session {}, tool `{}`: {} (records {:?})\n",
                p.severity, p.rule, p.session, p.tool, p.summary, p.evidence_indices
            ));
        }
        if let Some(e) = &self.entry_point {
            let c = &e.first_anomalous;
            out.push_str(&format!(
                "\nlikely entry point: record {} — `{}` in session {} from {}\n",
                c.index,
                c.tool.as_deref().unwrap_or("?"),
                c.session.as_deref().unwrap_or("?"),
                c.client_address
                    .as_deref()
                    .unwrap_or("no recorded address (stdio: the local client process)")
            ));
            if let Some(b) = &e.call_before {
                out.push_str(&format!(
                    "  the call before it: record {} — `{}`: its output may have carried the injection\n",
                    b.index,
                    b.tool.as_deref().unwrap_or("?")
                ));
            }
        }
        out.push_str(&format!(
            "\nstill serving: {}\n",
            if self.still_serving {
                "yes (a call in the last 5 minutes)"
            } else {
                "no recent calls"
            }
        ));
        if !credentials.is_empty() {
            out.push_str(&format!(
                "credentials at stake: {}\n",
                credentials.join(", ")
            ));
        }
        out.push_str(&format!("\n{}\n", self.recommendation));
        out
    }
}
