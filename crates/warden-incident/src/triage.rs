//! Phase 5, triage (`warden incident triage`): what happened, what data was read (the
//! record ids the calls returned, by data class, from a classification file), what
//! was written or deleted, which outside hosts were contacted, in which window — and,
//! with the server's source, whether the entry point is still unpatched.
//!
//! The counts are exact over what the ledger recorded (the ids the proxy extracted
//! from arguments and results); where a session enumerated a tool that accepts
//! arbitrary ids, triage also states the conservative assumption that every record
//! reachable through that tool was read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::scope::{Replay, Scope};

/// The data classes notification duties turn on.
pub const CLASSES: &[&str] = &["pii", "financial", "health", "authentication"];

/// The classification file: which data classes each tool's results carry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classes {
    #[serde(default, rename = "tool")]
    pub tools: Vec<ToolClasses>,
}

/// One tool's entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolClasses {
    /// The tool's name, or a prefix ending in `*` (`get_customer*`).
    pub name: String,
    pub classes: Vec<String>,
    /// What the tool can reach (`"all 1,204 rows of customers"`), for the conservative
    /// assumption under enumeration.
    #[serde(default)]
    pub reachable: Option<String>,
}

/// Why the classification file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClassesError {
    #[error("cannot read the classification file {path}: {why}")]
    Read { path: String, why: String },
    #[error(
        "classification file {path}: {why}\n(expected entries like:\n[[tool]]\nname = \"get_customer\"\nclasses = [\"pii\", \"financial\"]\nreachable = \"every row of customers\")"
    )]
    Syntax { path: String, why: String },
    #[error(
        "classification file {path}, line {line}: unknown data class `{class}` for tool `{tool}`; use one of {known}",
        known = CLASSES.join(", ")
    )]
    Class {
        path: String,
        line: usize,
        tool: String,
        class: String,
    },
}

impl Classes {
    /// Reads and checks a classification file (TOML).
    pub fn load(path: &Path) -> Result<Classes, ClassesError> {
        let text = std::fs::read_to_string(path).map_err(|e| ClassesError::Read {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        Classes::parse(&text, &path.display().to_string())
    }

    /// Parses classification text; `path` names it in errors.
    pub fn parse(text: &str, path: &str) -> Result<Classes, ClassesError> {
        let classes: Classes = toml::from_str(text).map_err(|e| ClassesError::Syntax {
            path: path.to_string(),
            why: e.to_string().trim().to_string(),
        })?;
        for t in &classes.tools {
            if let Some(bad) = t.classes.iter().find(|c| !CLASSES.contains(&c.as_str())) {
                // The line of the offending value, for the person fixing the file.
                let line = text
                    .lines()
                    .position(|l| l.contains(&format!("\"{bad}\"")))
                    .map_or(0, |i| i + 1);
                return Err(ClassesError::Class {
                    path: path.to_string(),
                    line,
                    tool: t.name.clone(),
                    class: bad.clone(),
                });
            }
        }
        Ok(classes)
    }

    fn of(&self, tool: &str) -> Option<&ToolClasses> {
        self.tools.iter().find(|t| match t.name.strip_suffix('*') {
            Some(prefix) => tool.starts_with(prefix),
            None => t.name == tool,
        })
    }
}

/// Records read, for one data class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassCount {
    pub class: String,
    pub records: usize,
    /// The tools they came through.
    pub tools: Vec<String>,
}

/// A write or delete.
#[derive(Debug, Clone, Serialize)]
pub struct Write {
    pub index: u64,
    pub time_unix_nano: u64,
    pub tool: String,
    pub status: String,
    pub record_ids: Vec<String>,
}

/// A scanner finding on the entry point.
#[derive(Debug, Clone, Serialize)]
pub struct Unpatched {
    pub rule: String,
    pub severity: String,
    pub tool: String,
    pub location: String,
    pub message: String,
}

/// The triage.
#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    pub sessions: Vec<String>,
    pub window_start_unix_nano: Option<u64>,
    pub window_end_unix_nano: Option<u64>,
    pub calls: usize,
    /// Distinct record ids returned or named by read calls.
    pub records_read: usize,
    pub by_class: Vec<ClassCount>,
    /// Records that came through tools the classification file does not list.
    pub unclassified_records: usize,
    pub unclassified_tools: Vec<String>,
    /// The conservative assumptions (bulk enumeration over a tool taking any id).
    pub assumptions: Vec<String>,
    pub writes: Vec<Write>,
    pub outside_hosts: Vec<String>,
    /// `None` without `--repo`; empty when the scan finds nothing on the entry point.
    pub entry_point_unpatched: Option<Vec<Unpatched>>,
    /// The ledger indices cited (for the evidence bundle's proofs).
    pub cited: Vec<u64>,
}

/// Triages the sessions the scope found (or `sessions` when given by hand).
pub fn triage(
    replay: &Replay,
    scope: &Scope,
    sessions: &[String],
    classes: &Classes,
    repo: Option<&Path>,
) -> Result<Triage, warden_scan::scan::ScanError> {
    let sessions: Vec<String> = if sessions.is_empty() {
        scope.involved_sessions.clone()
    } else {
        sessions.to_vec()
    };
    let mine: Vec<&(u64, warden_ledger::Record)> = replay
        .calls
        .iter()
        .filter(|(_, r)| r.session_id.as_ref().is_some_and(|s| sessions.contains(s)))
        .collect();
    let mut by_class: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut all_read: BTreeSet<String> = BTreeSet::new();
    let mut unclassified: BTreeSet<String> = BTreeSet::new();
    let mut unclassified_tools: BTreeSet<String> = BTreeSet::new();
    let mut writes = Vec::new();
    let mut hosts: BTreeSet<String> = BTreeSet::new();
    let mut cited = Vec::new();
    for (index, r) in &mine {
        let tool = r.tool_name.clone().unwrap_or_default();
        let Some(result) = &r.result else { continue };
        hosts.extend(result.outbound_hosts.iter().cloned());
        if !result.outbound_hosts.is_empty() {
            cited.push(*index);
        }
        let ok = result.status == "ok";
        match warden_detect::role(&tool) {
            warden_detect::Role::Write => {
                cited.push(*index);
                writes.push(Write {
                    index: *index,
                    time_unix_nano: r.time_unix_nano,
                    tool,
                    status: result.status.clone(),
                    record_ids: result.resource_ids.clone(),
                });
            }
            _ if ok && !result.resource_ids.is_empty() => {
                cited.push(*index);
                // Ids are per tool: `42` from get_customer and from get_order differ.
                let ids = result.resource_ids.iter().map(|id| format!("{tool}:{id}"));
                let mut tool_classes: Vec<String> = classes
                    .of(&tool)
                    .map(|t| t.classes.clone())
                    .unwrap_or_default();
                if result.data_classes.iter().any(|c| c == "email")
                    && !tool_classes.iter().any(|c| c == "pii")
                {
                    // The proxy saw e-mail addresses in the result: personal data.
                    tool_classes.push("pii".into());
                }
                for id in ids {
                    all_read.insert(id.clone());
                    if tool_classes.is_empty() {
                        unclassified.insert(id.clone());
                        unclassified_tools.insert(tool.clone());
                    }
                    for c in &tool_classes {
                        let entry = by_class.entry(c.clone()).or_default();
                        entry.0.insert(id.clone());
                        entry.1.insert(tool.clone());
                    }
                }
            }
            _ => {}
        }
    }
    let mut assumptions = Vec::new();
    for p in scope
        .patterns
        .iter()
        .filter(|p| p.rule == "bulk_enumeration" && sessions.contains(&p.session))
    {
        let reach = classes
            .of(&p.tool)
            .and_then(|t| t.reachable.clone())
            .unwrap_or_else(|| "every record it can return".to_string());
        assumptions.push(format!(
            "session {} enumerated ids through `{}`, which accepts arbitrary ids: assume {} was read, not only the {} record(s) recorded",
            p.session,
            p.tool,
            reach,
            all_read.iter().filter(|id| id.starts_with(&format!("{}:", p.tool))).count()
        ));
    }
    let entry_point_unpatched = match repo {
        Some(repo) => Some(unpatched(repo, scope)?),
        None => None,
    };
    cited.sort_unstable();
    cited.dedup();
    // The window is what the server served: calls the fence or policy refused touched
    // nothing.
    let times = mine
        .iter()
        .filter(|(_, r)| {
            r.result
                .as_ref()
                .is_some_and(|s| s.status == "ok" || s.status == "error")
        })
        .map(|(_, r)| r.time_unix_nano);
    Ok(Triage {
        window_start_unix_nano: times.clone().min(),
        window_end_unix_nano: times.max(),
        calls: mine.len(),
        sessions,
        records_read: all_read.len(),
        by_class: by_class
            .into_iter()
            .map(|(class, (ids, tools))| ClassCount {
                class,
                records: ids.len(),
                tools: tools.into_iter().collect(),
            })
            .collect(),
        unclassified_records: unclassified.len(),
        unclassified_tools: unclassified_tools.into_iter().collect(),
        assumptions,
        writes,
        outside_hosts: hosts.into_iter().collect(),
        entry_point_unpatched,
        cited,
    })
}

/// The scanner's findings on the entry point's tools: the first anomalous call's tool
/// and the call before it (whose output may have carried the injection).
fn unpatched(repo: &Path, scope: &Scope) -> Result<Vec<Unpatched>, warden_scan::scan::ScanError> {
    let Some(entry) = &scope.entry_point else {
        return Ok(Vec::new());
    };
    let mut tools: Vec<&str> = entry.first_anomalous.tool.as_deref().into_iter().collect();
    if let Some(before) = &entry.call_before {
        tools.extend(before.tool.as_deref());
    }
    let report = warden_scan::scan::scan(repo, &warden_scan::scan::ScanOptions::default())?;
    Ok(report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .filter(|f| f.tool.as_deref().is_some_and(|t| tools.contains(&t)))
        .map(|f| Unpatched {
            rule: f.rule.clone(),
            severity: format!("{:?}", f.severity).to_lowercase(),
            tool: f.tool.clone().unwrap_or_default(),
            location: format!("{}:{}", f.location.path, f.location.start_line),
            message: f.message.clone(),
        })
        .collect())
}

impl Triage {
    /// For people.
    pub fn render(&self) -> String {
        use crate::time::format_utc;
        let mut out = String::new();
        if self.sessions.is_empty() {
            out.push_str("No session to triage: the scope found no malicious pattern. Give --session ID to triage one by hand.\n");
            return out;
        }
        out.push_str(&format!(
            "sessions: {}\nwindow: {} to {} ({} calls)\n\n",
            self.sessions.join(", "),
            self.window_start_unix_nano.map_or("?".into(), format_utc),
            self.window_end_unix_nano.map_or("?".into(), format_utc),
            self.calls
        ));
        out.push_str(&format!("records read: {} distinct\n", self.records_read));
        for c in &self.by_class {
            out.push_str(&format!(
                "  {:<15} {:>6} record(s) via {}\n",
                c.class,
                c.records,
                c.tools.join(", ")
            ));
        }
        if self.unclassified_records > 0 {
            out.push_str(&format!(
                "  {:<15} {:>6} record(s) via {} — not in the classification file: classify them (--classes)\n",
                "unclassified",
                self.unclassified_records,
                self.unclassified_tools.join(", ")
            ));
        }
        for a in &self.assumptions {
            out.push_str(&format!("  ASSUMPTION: {a}\n"));
        }
        out.push_str(&format!("\nwrites/deletes: {}\n", self.writes.len()));
        for w in &self.writes {
            out.push_str(&format!(
                "  record {} at {}: `{}` ({}) on {}\n",
                w.index,
                format_utc(w.time_unix_nano),
                w.tool,
                w.status,
                if w.record_ids.is_empty() {
                    "no recorded id".to_string()
                } else {
                    w.record_ids.join(", ")
                }
            ));
        }
        out.push_str(&format!(
            "\noutside hosts contacted: {}\n",
            if self.outside_hosts.is_empty() {
                "none recorded".to_string()
            } else {
                self.outside_hosts.join(", ")
            }
        ));
        match &self.entry_point_unpatched {
            None => out
                .push_str("\nentry point patched? unknown (give --repo PATH to scan the source)\n"),
            Some(f) if f.is_empty() => out.push_str(
                "\nentry point: the scan of the source finds nothing on the entry point's tools\n",
            ),
            Some(f) => {
                out.push_str("\nENTRY POINT STILL UNPATCHED — the scan finds:\n");
                for u in f {
                    out.push_str(&format!(
                        "  [{}] {} on `{}` at {}: {}\n",
                        u.severity, u.rule, u.tool, u.location, u.message
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_file_errors_name_the_line() {
        let text = "[[tool]]\nname = \"get_customer\"\nclasses = [\"pii\"]\n\n[[tool]]\nname = \"get_invoice\"\nclasses = [\"money\"]\n";
        let e = Classes::parse(text, "classes.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 7") && e.contains("`money`") && e.contains("get_invoice"),
            "{e}"
        );
        let e = Classes::parse("[[tool]]\nname = \"x\"\nclass = []\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml") && e.contains("class"), "{e}");
        let ok = Classes::parse(
            "[[tool]]\nname = \"get_customer*\"\nclasses = [\"pii\", \"financial\"]\n",
            "c.toml",
        )
        .unwrap();
        assert!(ok.of("get_customer_by_email").is_some() && ok.of("list_orders").is_none());
    }
}
