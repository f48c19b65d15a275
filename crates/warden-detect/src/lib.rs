//! Streaming detection of the attack patterns of the incident playbook, over ledger
//! records — the same code runs live in `warden proxy` and, later, over a ledger being
//! replayed by `warden incident`. Each detector keeps per-session state bounded by its
//! window, so a call costs O(1) amortised.
//!
//! | rule | fires when |
//! |---|---|
//! | `bulk_enumeration` | one read/list tool is called with many distinct ids, or a run of sequential ids, within a window |
//! | `credential_exfiltration` | a call that touched secrets (a secret-named tool, or a result that had credentials redacted) is followed in the same session by a call naming a host the session had not used before |
//! | `data_modification` | a write/delete tool is used for the first time after the warm-up, or on a record the session did not read first |
//! | `lateral_tool_abuse` | after a session's first calls set its baseline, it reaches for a sensitive tool (files, shell, environment, network) outside it, or uses many distinct tools in a window |
//! | `out_of_hours` | a call outside the configured working hours (UTC) |

#![forbid(unsafe_code)]

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};
use warden_ledger::Record;

/// Detector settings (`[detect]` in the proxy policy). Zero disables a threshold.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    pub enabled: bool,
    /// Fence the server when any rule fires.
    pub fence_on_alert: bool,
    pub enumeration_window_ms: u64,
    /// Distinct ids one read tool may see in the window.
    pub enumeration_distinct_ids: usize,
    /// Sequential integer ids (stride 1) in a row that count as enumeration.
    pub enumeration_sequential_run: usize,
    pub exfiltration_window_ms: u64,
    /// Calls before first-use of a write tool counts as unusual.
    pub warmup_calls: u64,
    /// Calls that make a session's baseline tool set.
    pub baseline_calls: usize,
    pub lateral_window_ms: u64,
    /// Distinct tools in the window.
    pub lateral_distinct_tools: usize,
    /// Working hours in UTC, `[start_hour, end_hour)`; empty disables `out_of_hours`.
    pub working_hours_utc: Vec<u8>,
    /// Weekdays worked (1 = Monday … 7 = Sunday); empty means every day.
    pub working_days: Vec<u8>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            enabled: true,
            fence_on_alert: false,
            enumeration_window_ms: 60_000,
            enumeration_distinct_ids: 20,
            enumeration_sequential_run: 5,
            exfiltration_window_ms: 300_000,
            warmup_calls: 20,
            baseline_calls: 5,
            lateral_window_ms: 300_000,
            lateral_distinct_tools: 0,
            working_hours_utc: Vec::new(),
            working_days: Vec::new(),
        }
    }
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub rule: &'static str,
    pub severity: &'static str,
    pub time_unix_nano: u64,
    pub session: String,
    pub tool: String,
    pub summary: String,
    /// `call_id`s of the records that make the case.
    pub evidence: Vec<String>,
}

/// What a tool name says the tool does (from its words: `get_customer` reads,
/// `delete_file` writes); triage sorts calls by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Reads or lists.
    Read,
    /// Creates, changes, deletes, sends or runs.
    Write,
    /// Neither, as far as the name says.
    Other,
}

fn words(tool: &str) -> impl Iterator<Item = String> + '_ {
    tool.split(|c: char| !c.is_ascii_alphanumeric())
        .flat_map(split_camel)
        .map(|w| w.to_ascii_lowercase())
}

fn split_camel(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = s.as_bytes();
    for i in 1..b.len() {
        if b[i].is_ascii_uppercase() && b[i - 1].is_ascii_lowercase() {
            out.push(&s[start..i]);
            start = i;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// The role of a tool, from its name.
pub fn role(tool: &str) -> Role {
    const READ: &[&str] = &[
        "get", "read", "list", "fetch", "search", "query", "find", "show", "lookup", "describe",
        "view", "retrieve", "load", "download", "export",
    ];
    const WRITE: &[&str] = &[
        "create", "update", "delete", "write", "set", "remove", "drop", "insert", "modify",
        "toggle", "put", "post", "send", "upload", "edit", "patch", "truncate", "grant", "revoke",
        "transfer", "pay", "move", "rename", "kill", "exec", "execute", "run",
    ];
    let mut r = Role::Other;
    for w in words(tool) {
        if WRITE.contains(&w.as_str()) {
            return Role::Write;
        }
        if READ.contains(&w.as_str()) {
            r = Role::Read;
        }
    }
    r
}

fn touches_secrets(tool: &str) -> bool {
    words(tool).any(|w| {
        matches!(
            w.as_str(),
            "env"
                | "environment"
                | "secret"
                | "secrets"
                | "credential"
                | "credentials"
                | "config"
                | "token"
                | "tokens"
                | "password"
                | "key"
                | "keys"
                | "vault"
                | "dotenv"
        )
    })
}

fn sensitive(tool: &str) -> bool {
    touches_secrets(tool)
        || words(tool).any(|w| {
            matches!(
                w.as_str(),
                "file"
                    | "files"
                    | "fs"
                    | "path"
                    | "dir"
                    | "directory"
                    | "shell"
                    | "exec"
                    | "execute"
                    | "command"
                    | "cmd"
                    | "run"
                    | "http"
                    | "fetch"
                    | "url"
                    | "request"
                    | "curl"
                    | "download"
                    | "upload"
                    | "sql"
                    | "query"
                    | "gzip"
                    | "zip"
            )
        })
}

#[derive(Default)]
struct Session {
    calls: u64,
    /// (time, tool, id) of read calls in the enumeration window.
    reads: VecDeque<(u64, String, String)>,
    /// Per tool: distinct ids in the window.
    read_ids: HashMap<String, HashMap<String, usize>>,
    /// Per tool: the last integer id and the run of +1 strides.
    runs: HashMap<String, (i64, usize)>,
    /// When the session last touched secrets, and which call.
    secret_touch: Option<(u64, String)>,
    hosts: HashSet<String>,
    read_resources: HashSet<String>,
    baseline: Vec<String>,
    recent_tools: VecDeque<(u64, String)>,
    fired: HashSet<(&'static str, String)>,
    out_of_hours_fired: bool,
}

/// All sessions' state.
#[derive(Default)]
pub struct Detector {
    sessions: HashMap<String, Session>,
    /// Write tools used so far (across sessions) and calls seen.
    used_writes: HashSet<String>,
    calls: u64,
}

const MAX_SESSIONS: usize = 10_000;
const MS: u64 = 1_000_000;

impl Detector {
    /// Looks at one `tool.result` record (others are ignored); returns new alerts. Each
    /// rule fires once per session and tool, not on every call after.
    pub fn observe(&mut self, rules: &Rules, r: &Record) -> Vec<Alert> {
        if !rules.enabled || r.kind != "tool.result" {
            return Vec::new();
        }
        let Some(tool) = r.tool_name.clone() else {
            return Vec::new();
        };
        // Refused calls did not run; they are evidence, not activity.
        let status = r.result.as_ref().map(|s| s.status.as_str()).unwrap_or("ok");
        if status == "denied" {
            return Vec::new();
        }
        let session_id = r.session_id.clone().unwrap_or_default();
        if self.sessions.len() >= MAX_SESSIONS && !self.sessions.contains_key(&session_id) {
            // Bounded memory: forget the quietest half.
            let mut by_calls: Vec<(String, u64)> = self
                .sessions
                .iter()
                .map(|(k, s)| (k.clone(), s.calls))
                .collect();
            by_calls.sort_by_key(|(_, c)| *c);
            for (k, _) in by_calls.into_iter().take(MAX_SESSIONS / 2) {
                self.sessions.remove(&k);
            }
        }
        self.calls += 1;
        let now = r.time_unix_nano;
        let call = r.call_id.clone().unwrap_or_default();
        let summary = r.result.clone().unwrap_or_default();
        let role = role(&tool);
        let global_calls = self.calls;
        let first_write = role == Role::Write && self.used_writes.insert(tool.clone());
        let s = self.sessions.entry(session_id.clone()).or_default();
        s.calls += 1;
        let mut out = Vec::new();
        let mut fire = |s: &mut Session,
                        rule: &'static str,
                        severity: &'static str,
                        text: String,
                        evidence: Vec<String>| {
            if s.fired.insert((rule, tool.clone())) {
                out.push(Alert {
                    rule,
                    severity,
                    time_unix_nano: now,
                    session: session_id.clone(),
                    tool: tool.clone(),
                    summary: text,
                    evidence,
                });
            }
        };

        // Bulk enumeration.
        if role == Role::Read
            && (rules.enumeration_distinct_ids > 0 || rules.enumeration_sequential_run > 0)
        {
            let window = rules.enumeration_window_ms * MS;
            while let Some((t, old_tool, id)) = s.reads.front().cloned() {
                if now.saturating_sub(t) < window {
                    break;
                }
                s.reads.pop_front();
                if let Some(ids) = s.read_ids.get_mut(&old_tool)
                    && let Some(c) = ids.get_mut(&id)
                {
                    *c -= 1;
                    if *c == 0 {
                        ids.remove(&id);
                    }
                }
            }
            for id in &summary.resource_ids {
                s.reads.push_back((now, tool.clone(), id.clone()));
                *s.read_ids
                    .entry(tool.clone())
                    .or_default()
                    .entry(id.clone())
                    .or_default() += 1;
                if let Ok(n) = id.parse::<i64>() {
                    let run = s.runs.entry(tool.clone()).or_insert((n, 1));
                    if n == run.0.wrapping_add(1) {
                        run.1 += 1;
                    } else if n != run.0 {
                        run.1 = 1;
                    }
                    run.0 = n;
                }
            }
            let distinct = s.read_ids.get(&tool).map_or(0, HashMap::len);
            let run = s.runs.get(&tool).map_or(0, |r| r.1);
            if rules.enumeration_distinct_ids > 0 && distinct >= rules.enumeration_distinct_ids {
                fire(
                    s,
                    "bulk_enumeration",
                    "high",
                    format!(
                        "`{tool}` read {distinct} distinct records within {} s",
                        rules.enumeration_window_ms / 1000
                    ),
                    vec![call.clone()],
                );
            } else if rules.enumeration_sequential_run > 0
                && run >= rules.enumeration_sequential_run
            {
                fire(
                    s,
                    "bulk_enumeration",
                    "high",
                    format!("`{tool}` walked {run} sequential ids in a row"),
                    vec![call.clone()],
                );
            }
        }

        // Credential exfiltration: a secret touch, then a host never used in the session.
        let redacted = r
            .attributes
            .as_ref()
            .and_then(|a| a.get("redactions"))
            .and_then(|v| v.as_array())
            .is_some_and(|a| !a.is_empty());
        let new_hosts: Vec<String> = summary
            .outbound_hosts
            .iter()
            .filter(|h| !s.hosts.contains(*h))
            .cloned()
            .collect();
        if let Some((t, touch)) = s.secret_touch.clone()
            && !new_hosts.is_empty()
            && now.saturating_sub(t) <= rules.exfiltration_window_ms * MS
        {
            fire(
                s,
                "credential_exfiltration",
                "critical",
                format!(
                    "`{tool}` named a new host ({}) after the session touched secrets",
                    new_hosts.join(", ")
                ),
                vec![touch, call.clone()],
            );
        }
        s.hosts.extend(summary.outbound_hosts.iter().cloned());
        if touches_secrets(&tool) || redacted {
            s.secret_touch = Some((now, call.clone()));
        }

        // Data modification outside the normal workflow.
        if role == Role::Write {
            let unread: Vec<&String> = summary
                .resource_ids
                .iter()
                .filter(|id| !s.read_resources.contains(*id))
                .collect();
            if first_write && global_calls > rules.warmup_calls && rules.warmup_calls > 0 {
                fire(
                    s,
                    "data_modification",
                    "high",
                    format!(
                        "first use of the write tool `{tool}` after {} calls without it",
                        global_calls - 1
                    ),
                    vec![call.clone()],
                );
            } else if !unread.is_empty() && !s.read_resources.is_empty() {
                fire(
                    s,
                    "data_modification",
                    "medium",
                    format!(
                        "`{tool}` changed {} record(s) the session had not read",
                        unread.len()
                    ),
                    vec![call.clone()],
                );
            }
        } else if role == Role::Read {
            s.read_resources
                .extend(summary.resource_ids.iter().cloned());
        }

        // Lateral tool abuse.
        // The session's first calls are its baseline (s.calls counts this one).
        if s.calls <= rules.baseline_calls as u64 {
            if !s.baseline.contains(&tool) {
                s.baseline.push(tool.clone());
            }
        } else if rules.baseline_calls > 0 && !s.baseline.contains(&tool) && sensitive(&tool) {
            fire(
                s,
                "lateral_tool_abuse",
                "high",
                format!(
                    "`{tool}` (files, shell, secrets or network) is outside the session's usual tools ({})",
                    s.baseline.join(", ")
                ),
                vec![call.clone()],
            );
        }
        if rules.lateral_distinct_tools > 0 {
            let window = rules.lateral_window_ms * MS;
            s.recent_tools.push_back((now, tool.clone()));
            while s
                .recent_tools
                .front()
                .is_some_and(|(t, _)| now.saturating_sub(*t) >= window)
            {
                s.recent_tools.pop_front();
            }
            let distinct: HashSet<&String> = s.recent_tools.iter().map(|(_, t)| t).collect();
            if distinct.len() >= rules.lateral_distinct_tools {
                let n = distinct.len();
                fire(
                    s,
                    "lateral_tool_abuse",
                    "medium",
                    format!(
                        "{n} distinct tools within {} s",
                        rules.lateral_window_ms / 1000
                    ),
                    vec![call.clone()],
                );
            }
        }

        // Out of hours.
        if !rules.working_hours_utc.is_empty() && !s.out_of_hours_fired && out_of_hours(rules, now)
        {
            s.out_of_hours_fired = true;
            fire(
                s,
                "out_of_hours",
                "medium",
                "tool calls outside working hours (UTC)".into(),
                vec![call.clone()],
            );
        }
        out
    }
}

/// Whether `t` (Unix ns) falls outside the working hours and days.
fn out_of_hours(rules: &Rules, t: u64) -> bool {
    let secs = t / 1_000_000_000;
    let hour = ((secs / 3600) % 24) as u8;
    // 1970-01-01 was a Thursday (4).
    let weekday = (((secs / 86_400) + 3) % 7 + 1) as u8;
    let (start, end) = match rules.working_hours_utc.as_slice() {
        [s, e] => (*s, *e),
        _ => return false,
    };
    let in_hours = if start <= end {
        hour >= start && hour < end
    } else {
        hour >= start || hour < end
    };
    let in_days = rules.working_days.is_empty() || rules.working_days.contains(&weekday);
    !(in_hours && in_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_ledger::record::ResultSummary;

    const T0: u64 = 1_795_000_000_000_000_000;

    fn result(session: &str, tool: &str, at_ms: u64, ids: &[&str], hosts: &[&str]) -> Record {
        Record {
            session_id: Some(session.into()),
            tool_name: Some(tool.into()),
            call_id: Some(format!("{session}/{at_ms}")),
            result: Some(ResultSummary {
                status: "ok".into(),
                resource_ids: ids.iter().map(|s| s.to_string()).collect(),
                outbound_hosts: hosts.iter().map(|s| s.to_string()).collect(),
                ..ResultSummary::default()
            }),
            ..Record::new("tool.result", T0 + at_ms * MS)
        }
    }

    fn rules() -> Rules {
        Rules::default()
    }

    #[test]
    fn enumeration_by_sequence_and_by_count() {
        let mut d = Detector::default();
        let mut alerts = Vec::new();
        for i in 1..=5 {
            alerts.extend(d.observe(
                &rules(),
                &result("s", "get_customer", i * 100, &[&i.to_string()], &[]),
            ));
        }
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].rule, "bulk_enumeration");
        assert!(
            alerts[0].summary.contains("5 sequential"),
            "{}",
            alerts[0].summary
        );
        let mut d = Detector::default();
        let mut n = 0;
        for i in 0..30u64 {
            let id = format!("cus_{:x}", i * 7919);
            n += d
                .observe(&rules(), &result("s", "read_note", i * 10, &[&id], &[]))
                .len();
        }
        assert_eq!(n, 1);
        // The same ids spread over hours are normal use.
        let mut d = Detector::default();
        let mut n = 0;
        for i in 0..30u64 {
            let id = format!("cus_{:x}", i * 7919);
            n += d
                .observe(
                    &rules(),
                    &result("s", "read_note", i * 120_000, &[&id], &[]),
                )
                .len();
        }
        assert_eq!(n, 0);
    }

    #[test]
    fn exfiltration_needs_a_secret_touch_then_a_new_host() {
        let mut d = Detector::default();
        assert!(
            d.observe(
                &rules(),
                &result("s", "fetch_url", 0, &[], &["api.example.com"])
            )
            .is_empty()
        );
        assert!(
            d.observe(&rules(), &result("s", "get-env", 10, &[], &[]))
                .is_empty()
        );
        assert!(
            d.observe(
                &rules(),
                &result("s", "fetch_url", 20, &[], &["api.example.com"])
            )
            .is_empty(),
            "known host"
        );
        let a = d.observe(
            &rules(),
            &result("s", "fetch_url", 30, &[], &["exfil.evil.test"]),
        );
        assert!(
            a.iter()
                .any(|a| a.rule == "credential_exfiltration" && a.evidence.len() == 2),
            "{a:?}"
        );
        // Another session without the touch: nothing.
        assert!(
            d.observe(
                &rules(),
                &result("t", "fetch_url", 40, &[], &["other.evil.test"])
            )
            .is_empty()
        );
    }

    #[test]
    fn first_write_after_warmup_and_writes_to_unread_records() {
        let r = Rules {
            warmup_calls: 3,
            ..rules()
        };
        let mut d = Detector::default();
        for i in 0..4 {
            assert!(
                d.observe(&r, &result("s", "list_notes", i, &[], &[]))
                    .is_empty()
            );
        }
        let a = d.observe(&r, &result("s", "delete_note", 10, &["n1"], &[]));
        assert!(
            a.iter()
                .any(|a| a.rule == "data_modification" && a.summary.contains("first use")),
            "{a:?}"
        );
        let mut d = Detector::default();
        d.observe(&rules(), &result("u", "get_note", 0, &["n1"], &[]));
        let a = d.observe(&rules(), &result("u", "update_note", 1, &["n2"], &[]));
        assert!(
            a.iter().any(|a| a.summary.contains("had not read")),
            "{a:?}"
        );
    }

    #[test]
    fn lateral_abuse_against_the_baseline() {
        let r = Rules {
            baseline_calls: 2,
            ..rules()
        };
        let mut d = Detector::default();
        d.observe(&r, &result("s", "query_orders", 0, &[], &[]));
        d.observe(&r, &result("s", "summarize", 1, &[], &[]));
        assert!(
            d.observe(&r, &result("s", "summarize", 2, &[], &[]))
                .is_empty()
        );
        let a = d.observe(&r, &result("s", "read_file", 3, &[], &[]));
        assert!(a.iter().any(|a| a.rule == "lateral_tool_abuse"), "{a:?}");
    }

    #[test]
    fn out_of_hours_by_hour_and_day() {
        let r = Rules {
            working_hours_utc: vec![8, 18],
            working_days: vec![1, 2, 3, 4, 5],
            ..rules()
        };
        // 2026-11-25 (a Wednesday) 12:00 and 03:00 UTC; 2026-11-28 (Saturday) 12:00.
        let wed_noon = 1_795_608_000u64 * 1_000_000_000;
        assert!(!out_of_hours(&r, wed_noon));
        assert!(out_of_hours(&r, wed_noon - 9 * 3600 * 1_000_000_000));
        assert!(out_of_hours(&r, wed_noon + 3 * 86_400 * 1_000_000_000));
    }

    #[test]
    fn denied_calls_and_other_records_are_ignored() {
        let mut d = Detector::default();
        let mut denied = result("s", "delete_all", 0, &[], &[]);
        if let Some(res) = denied.result.as_mut() {
            res.status = "denied".into();
        }
        assert!(d.observe(&rules(), &denied).is_empty());
        assert!(
            d.observe(&rules(), &Record::new("tool.intent", 0))
                .is_empty()
        );
    }

    #[test]
    fn roles_from_names() {
        assert_eq!(role("getCustomerById"), Role::Read);
        assert_eq!(role("delete-note"), Role::Write);
        assert_eq!(role("toggle_feature"), Role::Write);
        assert_eq!(role("summarize"), Role::Other);
        assert!(touches_secrets("get-env") && touches_secrets("readConfig"));
        assert!(sensitive("gzip-file-as-resource"));
    }
}
