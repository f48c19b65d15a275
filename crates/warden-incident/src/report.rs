//! Phase 6, communicate (`warden incident report`): Markdown drafts filled with the
//! case's facts, read from its journal — an internal status message, one notification
//! per vendor whose credential was rotated, the facts counsel needs for notification
//! duties, and a post-mortem draft with the timeline. Drafts: a person reads, edits and
//! sends them; nothing is sent from here.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::case::{Case, CaseError, PHASES, latest_phase as phase};
use crate::time::format_utc;

/// The drafts written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Drafts {
    pub dir: String,
    pub files: Vec<String>,
}

/// The newest journal entry of `kind` (`app.` prefix implied), with its attributes.
fn latest<'a>(entries: &'a [Value], kind: &str) -> Option<&'a Value> {
    let kind = format!("app.{kind}");
    entries.iter().rev().find(|e| e["kind"] == kind.as_str())
}

fn attr<'a>(e: Option<&'a Value>, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    e.map_or(&NULL, |e| &e["attributes"][key])
}

fn time_of(e: &Value) -> String {
    e["time_unix_nano"].as_u64().map_or("?".into(), format_utc)
}

fn list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| match x.as_str() {
                    Some(s) => s.to_string(),
                    None => x.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One line per journal entry, for the timeline.
fn summarize(e: &Value) -> String {
    let a = &e["attributes"];
    let kind = e["kind"].as_str().unwrap_or("?");
    match kind.strip_prefix("app.").unwrap_or(kind) {
        "case_open" => format!("case opened: {}", a["title"].as_str().unwrap_or("")),
        "phase_done" => {
            let p = a["phase"].as_str().unwrap_or("?");
            match p {
                "scope" => format!(
                    "scope: {} ({} pattern(s))",
                    a["assessment"].as_str().unwrap_or("?"),
                    a["patterns"].as_array().map_or(0, Vec::len)
                ),
                "isolate" => format!("isolated: fence {}", a["fence"]),
                "preserve" => "preserve done".into(),
                "rotate" => "rotate done (executable steps; checklists for the rest)".into(),
                "communicate" => "drafts written".into(),
                "triage" => format!(
                    "triage: {} record(s) read",
                    a["records_read"].as_u64().unwrap_or(0)
                ),
                _ if a["by_hand"] == json!(true) => {
                    format!("{p} done by hand: {}", a["note"].as_str().unwrap_or(""))
                }
                _ => format!("{p} done"),
            }
        }
        "isolate_action" => format!(
            "{} {}: {}",
            a["op"].as_str().unwrap_or("?"),
            a["target"].as_str().unwrap_or(""),
            a["outcome"].as_str().unwrap_or("?")
        ),
        "note" => format!("note: {}", a["text"].as_str().unwrap_or("")),
        "baseline_scan" => format!(
            "scan of the source kept as the baseline ({} finding(s))",
            a["findings"]
        ),
        "rotate" => format!(
            "rotation plan: {} credential(s){}",
            a["plan"].as_array().map_or(0, Vec::len),
            if a["dry_run"] == json!(true) {
                " (dry run)"
            } else {
                ""
            }
        ),
        "rotate_step" => format!(
            "rotation step `{}`: {}",
            a["step"].as_str().unwrap_or("?"),
            a["result"].as_str().unwrap_or("?")
        ),
        "rotated" => format!(
            "rotated {} `{}`: {} -> {}",
            a["vendor"].as_str().unwrap_or("?"),
            a["credential"].as_str().unwrap_or("?"),
            a["old_role"].as_str().unwrap_or("?"),
            a["new_role"].as_str().unwrap_or("?")
        ),
        "rotate_failed" => {
            "rotation STOPPED (see the journal for the state and how to roll)".into()
        }
        "preserve" => format!(
            "evidence bundle sealed: {} (manifest sha256 {})",
            a["bundle"].as_str().unwrap_or("?"),
            a["manifest_sha256"].as_str().unwrap_or("?")
        ),
        "verify_fix" => format!("verify-fix: {}", a["verdict"].as_str().unwrap_or("?")),
        "return_check" => format!(
            "return-check: {}",
            if a["ok"] == json!(true) {
                "ready"
            } else {
                "NOT ready"
            }
        ),
        "isolate_incomplete" => "isolation attempted, NOT complete".into(),
        "case_close" => "case closed".into(),
        other => other.replace('_', " "),
    }
}

/// Writes the drafts into `<case>/report/` and journals the phase.
pub fn report(case: &Case, case_dir: &std::path::Path) -> Result<Drafts, CaseError> {
    let entries = case.entries()?;
    let scope = phase(&entries, "scope");
    let isolate = phase(&entries, "isolate");
    let isolate_incomplete = latest(&entries, "isolate_incomplete");
    let triage = phase(&entries, "triage");
    let preserve = latest(&entries, "preserve");
    let verify_fix = latest(&entries, "verify_fix");
    let contained = isolate.is_some();
    let done: Vec<&str> = PHASES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| phase(&entries, p).is_some())
        .collect();
    let not_done: Vec<&str> = PHASES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| *p != "communicate" && !done.contains(p))
        .collect();

    let patterns: Vec<String> = attr(scope, "patterns")
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    format!(
                        "`{}` in session {} on tool `{}`",
                        p["rule"].as_str().unwrap_or("?"),
                        p["session"].as_str().unwrap_or("?"),
                        p["tool"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let entry = attr(scope, "entry_point_detail");
    let vendors = vendor_credentials(&entries);
    // Exposure runs from the first anomalous call until the credential was rotated, not
    // only over the calls recorded: a stolen credential is used from elsewhere.
    let exposed_from = entry["time"]
        .as_str()
        .map_or_else(|| format_utc(case.meta.opened_unix_nano), str::to_string);
    let entry_text = if entry.is_null() {
        "not identified".to_string()
    } else {
        format!(
            "tool `{}` (ledger record {}), session {}{}",
            entry["tool"].as_str().unwrap_or("?"),
            entry["index"],
            entry["session"].as_str().unwrap_or("?"),
            entry["call_before_tool"]
                .as_str()
                .map(|t| format!(
                    ", after a call to `{t}` whose output may have carried the injection"
                ))
                .unwrap_or_default()
        )
    };
    let window = match (
        attr(triage, "window_start").as_str(),
        attr(triage, "window_end").as_str(),
    ) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "not established (triage not done)".into(),
    };
    let classes: Vec<String> = attr(triage, "by_class")
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    format!(
                        "{}: {} record(s)",
                        c["class"].as_str().unwrap_or("?"),
                        c["records"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let records_read = attr(triage, "records_read").as_u64();
    let assumptions = list(attr(triage, "assumptions"));
    let hosts = list(attr(triage, "outside_hosts"));

    let dir = case_dir.join("report");
    std::fs::create_dir_all(&dir).map_err(|e| CaseError::File {
        path: dir.display().to_string(),
        why: e.to_string(),
    })?;
    let mut files = Vec::new();
    let mut write = |name: &str, text: String| -> Result<(), CaseError> {
        let path: PathBuf = dir.join(name);
        std::fs::write(&path, text).map_err(|e| CaseError::File {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        files.push(path.display().to_string());
        Ok(())
    };

    // 1. Internal status.
    let mut s = format!(
        "# Incident {} — status ({})\n\n**{}**\n\n## What happened\n",
        case.meta.id,
        format_utc(warden_ledger::ledger::now_unix_nano()),
        case.meta.title
    );
    if patterns.is_empty() {
        s.push_str(&format!(
            "Assessment: {}.\n",
            attr(scope, "assessment")
                .as_str()
                .unwrap_or("scope not done yet")
        ));
    } else {
        s.push_str(&format!(
            "Assessment: {}. Patterns: {}.\nLikely entry point: {entry_text}.\n",
            attr(scope, "assessment").as_str().unwrap_or("?"),
            patterns.join("; ")
        ));
    }
    if let Some(n) = records_read {
        s.push_str(&format!(
            "Data read: {n} record(s) ({}), window {window}.\n",
            if classes.is_empty() {
                "no classified data".into()
            } else {
                classes.join(", ")
            }
        ));
    }
    s.push_str("\n## What was done\n");
    for e in entries.iter().filter(|e| {
        e["kind"]
            .as_str()
            .is_some_and(|k| k.starts_with("app.") && k != "app.case_open")
    }) {
        s.push_str(&format!("- {} — {}\n", time_of(e), summarize(e)));
    }
    s.push_str(&format!(
        "\n## Contained?\n{}\n\n## Next steps\n",
        if contained {
            "Yes: the proxy's fence holds (checked against its status when isolate ran)."
        } else if isolate_incomplete.is_some() {
            "NOT YET: isolation was attempted and is incomplete (see the journal)."
        } else {
            "NOT YET: isolate has not run."
        }
    ));
    if not_done.is_empty() {
        s.push_str("- Fix the entry point, `warden incident verify-fix`, then `warden incident return-check` before returning to service.\n");
    }
    for p in &not_done {
        s.push_str(&format!("- {p} (`warden incident {p}`)\n"));
    }
    write("status.md", s)?;

    // 2. Vendor notifications: every vendor the case holds credentials of.
    for v in &vendors {
        let vendor = &v.vendor;
        let slug: String = vendor
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        write(
            &format!("vendor-{slug}.md"),
            format!(
                "# To {vendor}: credential exposure and rotation\n\nWe are responding to a security incident ({id}) affecting a service that held the following {vendor} credential(s): {names}.\n\n{state}\n\nPlease:\n- review activity on these credentials in that window and tell us of any use from addresses other than ours;\n- confirm the old credentials are revoked on your side;\n- tell us whether data held by you on our behalf may be affected.\n\nContact: {by}\n",
                id = case.meta.id,
                names = v.names.join(", "),
                state = match &v.rotated {
                    Some(at) => format!(
                        "The credential(s) may have been exposed from {exposed_from} until {at}, when they were rotated and the old values revoked (our case journal, entries `rotate*`)."
                    ),
                    None => format!(
                        "The credential(s) may have been exposed from {exposed_from}. Their rotation is IN PROGRESS (not yet confirmed in our case journal): until it is, treat them as compromised."
                    ),
                },
                by = case.meta.opened_by
            ),
        )?;
    }

    // 3. Counsel.
    write(
        "counsel.md",
        format!(
            "# Facts for notification duties — incident {}\n\n| fact | value |\n|---|---|\n| data classes | {} |\n| records read | {} |\n| time window | {window} |\n| outside hosts data may have reached | {} |\n| contained | {} |\n| evidence preserved | {} |\n\n{}\nThese are the facts the ledger supports; they are not legal advice. The record count is exact for what was recorded; see the assumptions above for what may have been reached beyond it.\n",
            case.meta.id,
            if classes.is_empty() {
                "none classified".into()
            } else {
                classes.join(", ")
            },
            records_read.map_or("not established (triage not done)".into(), |n| n
                .to_string()),
            if hosts.is_empty() {
                "none recorded".into()
            } else {
                hosts.join(", ")
            },
            if contained { "yes" } else { "no" },
            attr(preserve, "bundle").as_str().unwrap_or("not yet"),
            assumptions
                .iter()
                .map(|a| format!("**Assumption:** {a}\n"))
                .collect::<String>(),
        ),
    )?;

    // 4. Post-mortem.
    let mut pm = format!(
        "# Post-mortem (draft) — incident {}\n\n## Timeline (from the case journal)\n\n| time (UTC) | event |\n|---|---|\n",
        case.meta.id
    );
    for e in entries
        .iter()
        .filter(|e| e["kind"].as_str().is_some_and(|k| k.starts_with("app.")))
    {
        pm.push_str(&format!(
            "| {} | {} |\n",
            time_of(e),
            summarize(e).replace('|', "\\|")
        ));
    }
    pm.push_str(&format!("\n## Root cause\n\nEntry point: {entry_text}.\n"));
    let unpatched = attr(triage, "unpatched");
    if let Some(list) = unpatched.as_array() {
        for f in list {
            pm.push_str(&format!(
                "- scanner finding `{}` on `{}` at {}: {}\n",
                f["rule"].as_str().unwrap_or("?"),
                f["tool"].as_str().unwrap_or("?"),
                f["location"].as_str().unwrap_or("?"),
                f["message"].as_str().unwrap_or("")
            ));
        }
    }
    pm.push_str("\n## Controls that worked\n\n");
    if attr(scope, "ledger_integrity")
        .as_str()
        .is_some_and(|v| v.starts_with("verified"))
    {
        pm.push_str(
            "- The audit ledger verified: every call of the incident was recorded and provable.\n",
        );
    }
    if !patterns.is_empty() {
        pm.push_str("- The detectors found the pattern(s) when replayed over the ledger.\n");
    }
    if contained {
        pm.push_str("- The proxy's fence held.\n");
    }
    if vendors.iter().any(|v| v.rotated.is_some()) {
        pm.push_str("- Credentials were rotated from the inventory.\n");
    }
    pm.push_str("\n## Controls that failed or were absent\n\n");
    if unpatched.as_array().is_some_and(|a| !a.is_empty()) {
        pm.push_str("- The entry point's flaw was findable by a scan before the incident: scans did not gate deployment.\n");
    }
    if !patterns.is_empty() {
        pm.push_str("- Detection did not fence automatically (`[detect] fence_on_alert` off) — consider enabling it.\n");
    }
    if !assumptions.is_empty() {
        pm.push_str("- A tool accepted arbitrary record ids without an ownership check, so one session could enumerate records.\n");
    }
    pm.push_str("\n## Changes made\n\n");
    for v in &vendors {
        match &v.rotated {
            Some(at) => pm.push_str(&format!(
                "- Rotated {} at {at}: {}\n",
                v.vendor,
                v.names.join(", ")
            )),
            None => pm.push_str(&format!(
                "- {} rotation pending (checklist): {}\n",
                v.vendor,
                v.names.join(", ")
            )),
        }
    }
    match verify_fix {
        Some(v) => pm.push_str(&format!(
            "- Fix verified at {}: {}\n",
            time_of(v),
            v["attributes"]["verdict"].as_str().unwrap_or("?")
        )),
        None => pm.push_str("- (fix not yet verified: `warden incident verify-fix --repo PATH`)\n"),
    }
    write("postmortem.md", pm)?;

    let mut details = serde_json::Map::new();
    details.insert("files".into(), json!(files));
    details.insert("contained".into(), json!(contained));
    case.phase_done("communicate", details)?;
    Ok(Drafts {
        dir: dir.display().to_string(),
        files,
    })
}

/// A vendor's credentials in the case: rotated (with when) or only planned.
struct VendorCredentials {
    vendor: String,
    names: Vec<String>,
    /// When the last of them was rotated (`app.rotated`); `None`: rotation pending.
    rotated: Option<String>,
}

/// Every vendor whose credentials the case rotated (`app.rotated`) or planned to
/// (the newest `app.rotate` plan), in that order.
fn vendor_credentials(entries: &[Value]) -> Vec<VendorCredentials> {
    let mut out: Vec<VendorCredentials> = Vec::new();
    let mut add = |vendor: &str, name: &str, rotated: Option<String>| match out
        .iter_mut()
        .find(|v| v.vendor == vendor)
    {
        Some(v) => {
            if !v.names.iter().any(|n| n == name) {
                v.names.push(name.to_string());
            }
            if rotated.is_some() {
                v.rotated = rotated;
            }
        }
        None => out.push(VendorCredentials {
            vendor: vendor.to_string(),
            names: vec![name.to_string()],
            rotated,
        }),
    };
    for e in entries.iter().filter(|e| e["kind"] == "app.rotated") {
        let a = &e["attributes"];
        if let (Some(vendor), Some(name)) = (a["vendor"].as_str(), a["credential"].as_str()) {
            add(vendor, name, Some(time_of(e)));
        }
    }
    if let Some(plan) = latest(entries, "rotate") {
        for step in plan["attributes"]["plan"].as_array().into_iter().flatten() {
            if let (Some(vendor), Some(name)) = (step["vendor"].as_str(), step["name"].as_str()) {
                add(vendor, name, None);
            }
        }
    }
    out
}
