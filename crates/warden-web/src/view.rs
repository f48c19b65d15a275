//! What the templates read: plain serializable structs built from saved scans, scan
//! reports, diffs and incident cases. Everything here is data; the templates escape it
//! (autoescape is on), so no field is ever trusted to be HTML.

use std::path::{Component, Path};

use serde::Serialize;
use serde_json::Value;
use warden_history::model::SavedScan;

/// The largest source file read for code context; a bigger one is skipped with a note
/// (a scanned repository could hold a huge file to slow the dashboard down).
const MAX_CONTEXT_FILE: u64 = 4 * 1024 * 1024;
/// Lines shown either side of a finding's line.
const CONTEXT_RADIUS: u32 = 3;
/// Longest source line shown, in characters (minified code would fill the page).
const MAX_LINE_CHARS: usize = 300;

/// A time in nanoseconds since 1970 as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(time_unix_nano: u64) -> String {
    format!("{} UTC", warden_core::time::format_datetime(time_unix_nano))
}

/// The first 12 characters of a commit (or the whole of a shorter one).
pub fn short_commit(commit: &str) -> String {
    commit.chars().take(12).collect()
}

/// One line of source around a finding.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ContextLine {
    /// 1-based line number.
    pub number: u32,
    /// The line's text (lossily decoded, cut at [`MAX_LINE_CHARS`]).
    pub text: String,
    /// Whether this is the finding's line.
    pub hit: bool,
}

/// The lines around `line` of `rel` under `root`, or why they cannot be shown.
///
/// The scanned repository is untrusted, and so is the store (anyone who can write it can
/// choose a path): `rel` must be a plain relative path (no `..`, no root), and the file it
/// names — after symlinks are resolved — must still be inside `root`. Nothing outside the
/// scanned tree is ever read.
pub fn code_context(root: &Path, rel: &str, line: u32) -> Result<Vec<ContextLine>, String> {
    let rel_path = Path::new(rel);
    if rel.is_empty()
        || !rel_path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "the finding's path `{rel}` is not a plain relative path; no code is read for it"
        ));
    }
    let root = root.canonicalize().map_err(|e| {
        format!(
            "the scanned path `{}` cannot be read any more ({e})",
            root.display()
        )
    })?;
    let candidate = if root.is_file() {
        // A scan of a single file reports paths relative to its directory.
        match root.file_name() {
            Some(name) if Path::new(name) == rel_path => root.clone(),
            _ => return Err(format!("`{rel}` is not the scanned file")),
        }
    } else {
        root.join(rel_path)
    };
    let file = candidate
        .canonicalize()
        .map_err(|e| format!("`{rel}` is not on disk any more ({e})"))?;
    if !file.starts_with(&root) {
        return Err(format!(
            "`{rel}` resolves outside the scanned path; it is not read"
        ));
    }
    let meta = std::fs::metadata(&file).map_err(|e| format!("`{rel}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!("`{rel}` is not a regular file"));
    }
    if meta.len() > MAX_CONTEXT_FILE {
        return Err(format!(
            "`{rel}` is larger than {} MiB; its code is not shown",
            MAX_CONTEXT_FILE / 1024 / 1024
        ));
    }
    let bytes = std::fs::read(&file).map_err(|e| format!("`{rel}`: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let first = line.saturating_sub(CONTEXT_RADIUS).max(1);
    let last = line.saturating_add(CONTEXT_RADIUS);
    let secret = secret_lines(&text);
    let lines: Vec<ContextLine> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let number = u32::try_from(i + 1).ok()?;
            (first..=last).contains(&number).then(|| ContextLine {
                number,
                text: if secret.contains(&number) {
                    REDACTED_LINE.to_string()
                } else {
                    l.chars().take(MAX_LINE_CHARS).collect()
                },
                hit: number == line,
            })
        })
        .collect();
    if lines.is_empty() {
        return Err(format!(
            "`{rel}` has no line {line} any more (the file changed since the scan)"
        ));
    }
    Ok(lines)
}

/// The lines of `text` that hold a credential, as the scanner's secret patterns find
/// them now (the file may have changed since the scan, so the scan's line numbers are
/// not enough), and every line of a PEM private-key block (the pattern matches its
/// header; the body is the key).
fn secret_lines(text: &str) -> std::collections::BTreeSet<u32> {
    let mut starts: Vec<usize> = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset) as u32;
    let mut out = std::collections::BTreeSet::new();
    for span in warden_scan::secrets::find(text) {
        for l in line_of(span.start)..=line_of(span.end.saturating_sub(1).max(span.start)) {
            out.insert(l);
        }
    }
    let mut in_key = false;
    for (i, l) in text.lines().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if l.contains("-----BEGIN") && l.contains("PRIVATE KEY") {
            in_key = true;
        }
        if in_key {
            out.insert(number);
        }
        if l.contains("-----END") {
            in_key = false;
        }
    }
    out
}

/// Rules whose flagged line holds a credential's value (the `hardcoded-secret`
/// category). A report never contains a secret; code context must not bring one back.
const SECRET_RULES: [&str; 2] = ["secret-hardcoded", "secret-in-client-config"];

/// What a line holding a credential shows instead of its text.
pub const REDACTED_LINE: &str =
    "[hidden: a credential is written on this line; Warden never shows its value]";

/// One axis's grade.
#[derive(Debug, Clone, Serialize)]
pub struct AxisView {
    /// The axis name.
    pub axis: String,
    /// 0–100, or `None` when not applicable.
    pub score: Option<u8>,
    /// The letter, when scored.
    pub grade: Option<String>,
    /// How the score was reached (from a report; a saved scan does not keep it).
    pub explanation: Vec<String>,
}

/// One step from a source to a sink.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// `path:line`.
    pub location: String,
    /// What happens there.
    pub note: String,
}

/// A finding, with what is known about it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    /// The rule id.
    pub rule: String,
    /// `critical` … `info`.
    pub severity: String,
    /// Relative path in the scanned tree.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// The tool whose handler it is in.
    pub tool: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The stable fingerprint.
    pub fingerprint: String,
    /// Silenced by a `warden-ignore` comment.
    pub suppressed: bool,
    /// How to fix it (reports only).
    pub fix: Option<String>,
    /// The CWE (reports only).
    pub cwe: Option<String>,
    /// Source → sink steps (reports only).
    pub evidence: Vec<StepView>,
    /// The code around the line, when the file is still there.
    pub context: Vec<ContextLine>,
    /// Why there is no code context.
    pub context_note: Option<String>,
}

/// A tool of the inventory.
#[derive(Debug, Clone, Serialize)]
pub struct ToolView {
    /// The tool's name.
    pub name: String,
    /// `sha256:<hex>` of its canonical definition.
    pub definition_hash: String,
    /// The model-facing description.
    pub description: Option<String>,
}

/// A scan page (or the HTML report): identity, grades, findings, tools.
#[derive(Debug, Clone, Serialize)]
pub struct ScanView {
    /// The saved scan's id (`None` for a report that is not saved).
    pub id: Option<i64>,
    /// The target key.
    pub target_key: String,
    /// The path scanned.
    pub path: String,
    /// The commit, shortened.
    pub commit: Option<String>,
    /// The branch.
    pub branch: Option<String>,
    /// A tag at the commit.
    pub tag: Option<String>,
    /// `Some(true)` with uncommitted changes.
    pub dirty: Option<bool>,
    /// When, as UTC text.
    pub time: String,
    /// The warden version that scanned.
    pub tool_version: String,
    /// The overall score.
    pub overall_score: u8,
    /// The overall letter.
    pub overall_grade: String,
    /// How the overall score was reached (reports only).
    pub overall_explanation: Vec<String>,
    /// Per axis.
    pub axes: Vec<AxisView>,
    /// Unsuppressed findings first, in the scan's order (worst first).
    pub findings: Vec<FindingView>,
    /// The number of unsuppressed findings.
    pub open_findings: usize,
    /// The tool inventory.
    pub tools: Vec<ToolView>,
}

fn str_at(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn strings_at(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn location_text(loc: &Value) -> String {
    format!(
        "{}:{}",
        loc.get("path").and_then(Value::as_str).unwrap_or("?"),
        loc.get("start_line").and_then(Value::as_u64).unwrap_or(0)
    )
}

/// Builds the view of `scan`. `report` (the `warden scan --format json` value, when at
/// hand) adds what a saved scan does not keep: explanations, evidence, fixes. Code
/// context is read from `scan.target.path` when `with_context` (see [`code_context`]).
pub fn scan_view(scan: &SavedScan, report: Option<&Value>, with_context: bool) -> ScanView {
    let report_findings: Vec<&Value> = report
        .and_then(|r| r.get("findings"))
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let report_axes: Vec<&Value> = report
        .and_then(|r| r.pointer("/grades/axes"))
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let root = Path::new(&scan.target.path);
    // Every line a secret finding points at is hidden in every context shown, not only
    // in that finding's own (another finding's context may reach it).
    let secret_lines: Vec<(&str, u32)> = scan
        .findings
        .iter()
        .enumerate()
        .filter(|(i, f)| {
            SECRET_RULES.contains(&f.rule.as_str())
                || report_findings.get(*i).is_some_and(|r| {
                    r.get("fingerprint").and_then(Value::as_str) == Some(&f.fingerprint)
                        && r.get("category").and_then(Value::as_str) == Some("hardcoded-secret")
                })
        })
        .map(|(_, f)| (f.path.as_str(), f.line))
        .collect();
    let mut findings: Vec<FindingView> = scan
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            // The report lists findings in the order the scan was converted from; the
            // fingerprint confirms the pairing (or finds it if the order differs).
            let extra = report_findings
                .get(i)
                .filter(|r| r.get("fingerprint").and_then(Value::as_str) == Some(&f.fingerprint))
                .or_else(|| {
                    report_findings.iter().find(|r| {
                        r.get("fingerprint").and_then(Value::as_str) == Some(&f.fingerprint)
                    })
                })
                .copied();
            let (context, context_note) = if with_context {
                match code_context(root, &f.path, f.line) {
                    Ok(mut lines) => {
                        for l in &mut lines {
                            if secret_lines.contains(&(f.path.as_str(), l.number)) {
                                l.text = REDACTED_LINE.to_string();
                            }
                        }
                        (lines, None)
                    }
                    Err(why) => (Vec::new(), Some(why)),
                }
            } else {
                (
                    Vec::new(),
                    Some(format!(
                        "`{}` is not the scanned target any more (moved, gone, or another directory); no code is read from it",
                        scan.target.path
                    )),
                )
            };
            FindingView {
                rule: f.rule.clone(),
                severity: f.severity.clone(),
                path: f.path.clone(),
                line: f.line,
                tool: f.tool.clone(),
                message: f.message.clone(),
                fingerprint: f.fingerprint.clone(),
                suppressed: f.suppressed,
                fix: extra.and_then(|e| str_at(e, "fix")),
                cwe: extra.and_then(|e| str_at(e, "cwe")),
                evidence: extra
                    .and_then(|e| e.get("evidence"))
                    .and_then(Value::as_array)
                    .map(|steps| {
                        steps
                            .iter()
                            .map(|s| StepView {
                                location: s.get("location").map(location_text).unwrap_or_default(),
                                note: str_at(s, "note").unwrap_or_default(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                context,
                context_note,
            }
        })
        .collect();
    // Open findings first; the sort is stable, so the scan's worst-first order holds.
    findings.sort_by_key(|f| f.suppressed);
    let axes = scan
        .axes
        .iter()
        .map(|a| AxisView {
            axis: a.axis.clone(),
            score: a.score,
            grade: a.grade.clone(),
            explanation: report_axes
                .iter()
                .find(|r| r.get("axis").and_then(Value::as_str) == Some(&a.axis))
                .map(|r| strings_at(r, "explanation"))
                .unwrap_or_default(),
        })
        .collect();
    ScanView {
        id: scan.id,
        target_key: scan.target.key.clone(),
        path: scan.target.path.clone(),
        commit: scan.target.commit.as_deref().map(short_commit),
        branch: scan.target.branch.clone(),
        tag: scan.target.tag.clone(),
        dirty: scan.target.dirty,
        time: utc(scan.time_unix_nano),
        tool_version: scan.tool_version.clone(),
        overall_score: scan.overall_score,
        overall_grade: scan.overall_grade.clone(),
        overall_explanation: report
            .and_then(|r| r.get("grades"))
            .map(|g| strings_at(g, "explanation"))
            .unwrap_or_default(),
        axes,
        open_findings: findings.iter().filter(|f| !f.suppressed).count(),
        findings,
        tools: scan
            .tools
            .iter()
            .map(|t| ToolView {
                name: t.name.clone(),
                definition_hash: t.definition_hash.clone(),
                description: t.description.clone(),
            })
            .collect(),
    }
}

/// One entry of an incident case's journal.
#[derive(Debug, Clone, Serialize)]
pub struct JournalView {
    /// The entry's index in the journal.
    pub index: usize,
    /// When, as UTC text.
    pub time: String,
    /// The record kind (`app.phase_done`, `admin.open`, …).
    pub kind: String,
    /// Who ran the command.
    pub actor: Option<String>,
    /// A one-line summary of the entry's attributes.
    pub summary: String,
}

/// The longest one-line summary of a journal entry, in characters.
const MAX_SUMMARY_CHARS: usize = 200;

/// A journal entry (the ledger record as JSON) → its timeline line.
pub fn journal_view(index: usize, entry: &Value) -> JournalView {
    let attrs = entry.get("attributes").and_then(Value::as_object);
    let mut parts = Vec::new();
    if let Some(attrs) = attrs {
        for (k, v) in attrs {
            // Who and which case are the same on every line (who has its own column);
            // an unset field says nothing.
            if k == "actor" || k == "case" || v.is_null() {
                continue;
            }
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            parts.push(format!("{k}={v}"));
        }
    }
    let mut summary: String = parts.join(" · ");
    if summary.chars().count() > MAX_SUMMARY_CHARS {
        summary = summary.chars().take(MAX_SUMMARY_CHARS).collect::<String>() + "…";
    }
    JournalView {
        index,
        time: entry
            .get("time_unix_nano")
            .and_then(Value::as_u64)
            .map(utc)
            .unwrap_or_else(|| "unknown".into()),
        kind: str_at(entry, "kind").unwrap_or_else(|| "unknown".into()),
        actor: attrs
            .and_then(|a| a.get("actor"))
            .and_then(Value::as_str)
            .map(str::to_string),
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        // 2026-12-04T21:24:16Z
        assert_eq!(utc(1_796_419_456_000_000_000), "2026-12-04 21:24:16 UTC");
        assert_eq!(utc(951_782_400_000_000_000), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn context_never_shows_a_credential_even_after_the_file_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&root).expect("mkdir");
        // Lines moved since the scan, a token, and a PEM key whose body follows its header.
        std::fs::write(
            root.join("keys.py"),
            "# added later\nX = 1\nTOKEN = \"ghp_Zq8mWv3Lr6Tn2Yx9Kb4Hd7Jf1Sc5Pe0Ua3Qw\"\nPEM = \"\"\"\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq9\nZ2Vk0Ks8PqLmN3\n-----END RSA PRIVATE KEY-----\n\"\"\"\n",
        )
        .expect("write");
        let lines = code_context(&root, "keys.py", 5).expect("context");
        let shown: String = lines.iter().map(|l| format!("{}\n", l.text)).collect();
        assert!(!shown.contains("ghp_"), "{shown}");
        assert!(
            !shown.contains("MIIEpAIBAAKCAQEA7bq9") && !shown.contains("Z2Vk0Ks8PqLmN3"),
            "{shown}"
        );
        assert!(shown.contains("X = 1"), "{shown}");
    }

    #[test]
    fn context_stays_inside_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("src")).expect("mkdir");
        std::fs::write(root.join("src/a.py"), "1\n2\n3\n4\n5\n6\n7\n8\n").expect("write");
        std::fs::write(dir.path().join("secret.txt"), "outside\n").expect("write");
        let lines = code_context(&root, "src/a.py", 5).expect("context");
        assert_eq!(lines.first().map(|l| l.number), Some(2));
        assert_eq!(lines.last().map(|l| l.number), Some(8));
        assert!(lines.iter().any(|l| l.hit && l.text == "5"));
        for bad in ["../secret.txt", "/etc/passwd", "src/../../secret.txt", ""] {
            assert!(code_context(&root, bad, 1).is_err(), "{bad}");
        }
        // A symlink inside the tree that points out of it is not followed.
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link"))
            .expect("symlink");
        let err = code_context(&root, "link", 1).expect_err("outside");
        assert!(err.contains("outside"), "{err}");
        assert!(code_context(&root, "src/a.py", 99).is_err());
        assert!(code_context(&root, "missing.py", 1).is_err());
    }
}
