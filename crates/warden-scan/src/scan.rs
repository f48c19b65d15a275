//! The scan driver: runs the pipeline over a repository and assembles the report.

use crate::discover::{self, Inventory};
use crate::flow::{Run, RunResult};
use crate::project::Project;
use crate::rules::{self, Raw};
use crate::sinks::Effect;
use crate::walk::{self, Kind, Role, Skipped};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use warden_core::{Axis, Finding, Fingerprint, GradeReport, Location, Suppression, ToolDef};

/// Progress callback: `(phase, done, total)`. Called from worker threads.
pub type Progress = fn(&str, usize, usize);

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Roles whose files are analysed and graded. Shipped code only by default.
    pub roles: BTreeSet<Role>,
    /// Reports progress on long scans (the CLI draws a status line on a terminal).
    pub progress: Option<Progress>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            roles: [Role::Shipped].into_iter().collect(),
            progress: None,
        }
    }
}

/// Why a scan could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("`{path}` does not exist; pass the path of a repository or a source file")]
    NotFound { path: PathBuf },
    #[error("cannot read `{path}`: {source}; check its permissions")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// How much of the tool registrations discovery could resolve.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Registrations seen (resolved + unresolved).
    pub registrations: usize,
    /// Tools resolved to a name.
    pub resolved: usize,
    /// Tools whose handler was found.
    pub with_handler: usize,
    pub unresolved: Vec<discover::Unresolved>,
}

/// A suppression comment that does not count, and why.
#[derive(Debug, Clone, Serialize)]
pub struct InvalidSuppression {
    pub location: Location,
    pub reason: String,
}

/// The result of a scan.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// Report format version (docs/report-format.md).
    pub format: &'static str,
    pub tool: ToolInfo,
    /// The scanned path as given.
    pub root: String,
    /// Roles analysed.
    pub roles: Vec<Role>,
    pub stats: Stats,
    pub tools: Vec<ToolDef>,
    pub coverage: Coverage,
    /// Findings, worst first; suppressed ones included with `suppressed` set.
    pub findings: Vec<Finding>,
    pub invalid_suppressions: Vec<InvalidSuppression>,
    pub grades: GradeReport,
    pub skipped: Vec<Skipped>,
    /// Files with syntax errors (their partial trees were still analysed).
    pub parse_errors: Vec<String>,
}

/// The scanner's identity.
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

/// Counts.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Stats {
    pub files_scanned: usize,
    pub source_files: usize,
    pub lines_scanned: usize,
    /// Files under other roles (tests, examples, docs, vendored) left out, by role.
    pub not_graded: HashMap<String, usize>,
    pub duration_ms: u64,
}

/// Stack for the scan's threads: the analyses recurse over syntax trees, and a
/// hostile file can nest deeply (depth is also capped when lowering).
const STACK_BYTES: usize = 64 * 1024 * 1024;

/// Runs a scan.
pub fn scan(root: &Path, opts: &ScanOptions) -> Result<ScanReport, ScanError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES)
        .thread_name(|i| format!("warden-scan-{i}"))
        .build();
    match pool {
        Ok(pool) => pool.install(|| scan_in_pool(root, opts)),
        Err(_) => scan_in_pool(root, opts),
    }
}

fn scan_in_pool(root: &Path, opts: &ScanOptions) -> Result<ScanReport, ScanError> {
    let started = std::time::Instant::now();
    if !root.exists() {
        return Err(ScanError::NotFound {
            path: root.to_path_buf(),
        });
    }
    if root.is_dir()
        && let Err(source) = std::fs::read_dir(root)
    {
        return Err(ScanError::Unreadable {
            path: root.to_path_buf(),
            source,
        });
    }
    let (entries, mut skipped) = walk::walk(root);
    let mut stats = Stats::default();
    let (entries, others): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|e| opts.roles.contains(&e.role));
    for e in &others {
        *stats
            .not_graded
            .entry(format!("{:?}", e.role).to_ascii_lowercase())
            .or_default() += 1;
    }

    // Read every file once.
    let read: Vec<(walk::Entry, Result<String, String>)> = entries
        .into_par_iter()
        .map(|e| {
            let text = match std::fs::read(&e.abs) {
                Ok(bytes) if bytes.iter().take(8000).any(|b| *b == 0) => {
                    Err("binary file".to_string())
                }
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(s) => Ok(s),
                    Err(err) => Ok(String::from_utf8_lossy(err.as_bytes()).into_owned()),
                },
                Err(err) => Err(format!("could not read: {err}")),
            };
            (e, text)
        })
        .collect();
    let mut files: Vec<(walk::Entry, String)> = Vec::new();
    for (e, t) in read {
        match t {
            Ok(t) => files.push((e, t)),
            Err(reason) => skipped.push(Skipped {
                path: e.rel,
                reason,
            }),
        }
    }
    stats.files_scanned = files.len();

    // Parse sources in parallel.
    let parsed: Vec<(crate::ir::Module, String)> = files
        .par_iter()
        .filter_map(|(e, text)| match e.kind {
            Kind::Source(lang) => {
                crate::lower::parse_module(&e.rel, lang, text).map(|m| (m, text.clone()))
            }
            _ => None,
        })
        .collect();
    stats.source_files = parsed.len();
    stats.lines_scanned = files.iter().map(|(_, t)| t.lines().count()).sum();
    let parse_errors: Vec<String> = parsed
        .iter()
        .filter(|(m, _)| m.has_errors)
        .map(|(m, _)| m.path.clone())
        .collect();
    let timing = std::env::var_os("WARDEN_DEBUG_TIME").is_some();
    let phase = |name: &str| {
        if timing {
            eprintln!("{name:>12}: {} ms", started.elapsed().as_millis());
        }
    };
    phase("parsed");
    let mut project = Project::new(parsed);
    if let Ok(tsconfig) = std::fs::read_to_string(root.join("tsconfig.json")) {
        project.set_tsconfig(&tsconfig);
    }

    phase("project");
    let inv = discover::discover(&project);
    phase("discovered");
    if let Some(report) = opts.progress {
        report("analysing tools", 0, inv.handlers.len());
    }
    let runs: Vec<RunResult> = inv
        .handlers
        .par_iter()
        .map(|h| Run::analyze(&project, h.func, &h.binding))
        .collect();
    if std::env::var_os("WARDEN_DEBUG_FLOW").is_some() {
        // For rule authors: what each handler run saw, before rules filter it.
        for (h, r) in runs.iter().enumerate() {
            let f = inv.handlers[h].func;
            eprintln!(
                "run {h}: {}:{}",
                project.modules[f.module].path,
                project.modules[f.module].functions[f.func].span.start_line
            );
            for hit in &r.hits {
                eprintln!(
                    "  hit {:?} {} line {} labels={} cleared={} built={} origins={:?}",
                    hit.kind,
                    hit.callee,
                    hit.span.start_line,
                    hit.taint.labels,
                    hit.taint.cleared,
                    hit.taint.built,
                    hit.taint.origins
                );
            }
            eprintln!("  guards {:?}", r.guards.cleared);
        }
    }
    phase("tool runs");
    let module_runs: Vec<RunResult> = (0..project.modules.len())
        .into_par_iter()
        .map(|m| Run::analyze_module(&project, m))
        .collect();

    let secrets: Vec<crate::secrets::SecretMatch> = files
        .par_iter()
        .filter(|(e, _)| {
            !matches!(e.kind, Kind::Manifest)
                || e.rel.ends_with("package.json")
                || e.rel.ends_with("pyproject.toml")
        })
        .flat_map_iter(|(e, t)| crate::secrets::scan_text(&e.rel, t))
        .collect();
    phase("secrets");
    let manifest_files: Vec<(String, String)> = files
        .iter()
        .filter(|(e, _)| e.kind == Kind::Manifest)
        .map(|(e, t)| (e.rel.clone(), t.clone()))
        .collect();
    let manifests = crate::manifest::collect(&manifest_files);

    let cx = rules::Cx::new(&project, &inv, &runs, &module_runs, &secrets, &manifests);
    phase("module runs");
    let mut raws: Vec<Raw> = Vec::new();
    for rule in rules::all() {
        let t = std::time::Instant::now();
        (rule.check)(&cx, &mut raws);
        if timing && t.elapsed().as_millis() > 50 {
            eprintln!(
                "{:>12}  rule {} took {} ms",
                "",
                rule.id,
                t.elapsed().as_millis()
            );
        }
    }
    phase("rules");
    let texts: HashMap<&str, &str> = files
        .iter()
        .map(|(e, t)| (e.rel.as_str(), t.as_str()))
        .collect();
    let (mut findings, invalid_suppressions) = finalize(&project, &texts, raws);
    findings.sort_by(|a, b| {
        (
            b.suppressed.is_none(),
            b.severity,
            &a.location.path,
            a.location.start_line,
        )
            .cmp(&(
                a.suppressed.is_none(),
                a.severity,
                &b.location.path,
                b.location.start_line,
            ))
    });

    let tools = tool_defs(&project, &inv, &runs);
    let mut applicable: Vec<Axis> = Axis::ALL
        .iter()
        .copied()
        .filter(|a| *a != Axis::Maintenance)
        .collect();
    if !manifests.manifests.is_empty() {
        applicable.push(Axis::Maintenance);
    }
    let active: Vec<Finding> = findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .cloned()
        .collect();
    let grades = crate::score::grade(&active, &applicable);
    let coverage = Coverage {
        registrations: inv.tools.len()
            + inv
                .unresolved
                .iter()
                .filter(|u| u.reason.contains("name"))
                .count(),
        resolved: inv.tools.len(),
        with_handler: inv.tools.iter().filter(|t| t.handler.is_some()).count(),
        unresolved: inv.unresolved.clone(),
    };
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    stats.duration_ms = started.elapsed().as_millis() as u64;
    Ok(ScanReport {
        format: "warden-report/1",
        tool: ToolInfo {
            name: "warden",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: root.display().to_string(),
        roles: opts.roles.iter().copied().collect(),
        stats,
        tools,
        coverage,
        findings,
        invalid_suppressions,
        grades,
        skipped,
        parse_errors,
    })
}

/// Raw findings to report findings: locations, fingerprints, suppressions, dedup.
fn finalize(
    p: &Project,
    texts: &HashMap<&str, &str>,
    raws: Vec<Raw>,
) -> (Vec<Finding>, Vec<InvalidSuppression>) {
    let mut out: Vec<Finding> = Vec::new();
    let mut invalid = Vec::new();
    let mut occurrences: HashMap<(String, String, String), u32> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for r in raws {
        let path = match (r.module, &r.path) {
            (Some(m), _) => p.modules[m].path.clone(),
            (None, Some(path)) => path.clone(),
            (None, None) => continue,
        };
        // One finding per sink and tool: a helper reached from three tools is three
        // findings, each with its own path from that tool's input.
        if !seen.insert((
            r.rule.id,
            path.clone(),
            r.span.start_line,
            r.span.start_col,
            r.tool.clone(),
        )) {
            continue;
        }
        let text = texts.get(path.as_str()).copied().unwrap_or("");
        let line_text = line(text, r.span.start_line);
        let scope = r
            .tool
            .clone()
            .map(|t| format!("tool:{t}"))
            .unwrap_or_else(|| format!("file:{}", path.rsplit('/').next().unwrap_or(&path)));
        let key = (
            r.rule.id.to_string(),
            scope.clone(),
            line_text.split_whitespace().collect::<Vec<_>>().join(" "),
        );
        let occ = occurrences.entry(key).or_insert(0);
        let fingerprint = Fingerprint::derive(r.rule.id, &scope, line_text, *occ);
        *occ += 1;
        let location = Location {
            path: path.clone(),
            start_line: r.span.start_line,
            start_column: r.span.start_col,
            end_line: r.span.end_line.max(r.span.start_line),
            end_column: r.span.end_col,
        };
        let suppressed = match suppression(text, r.span.start_line, r.rule.id) {
            Some(Ok((line_no, reason))) => Some(Suppression {
                location: Location {
                    path: path.clone(),
                    start_line: line_no,
                    start_column: 1,
                    end_line: line_no,
                    end_column: 1,
                },
                reason,
            }),
            Some(Err(line_no)) => {
                invalid.push(InvalidSuppression {
                    location: Location { path: path.clone(), start_line: line_no, start_column: 1, end_line: line_no, end_column: 1 },
                    reason: format!("`warden-ignore: {}` has no reason; write why the finding is accepted after the rule id", r.rule.id),
                });
                None
            }
            None => None,
        };
        out.push(Finding {
            rule: r.rule.id.to_string(),
            category: r.rule.category,
            cwe: r.rule.cwe.to_string(),
            severity: r.severity,
            confidence: r.confidence,
            axis: r.rule.category.axis(),
            location,
            tool: r.tool,
            message: r.message,
            evidence: r.evidence,
            fix: r.rule.fix.to_string(),
            fingerprint,
            suppressed,
        });
    }
    (out, invalid)
}

/// The 1-based line `n` of `text`.
fn line(text: &str, n: u32) -> &str {
    text.lines().nth(n.saturating_sub(1) as usize).unwrap_or("")
}

/// Looks for `warden-ignore: RULE reason` on the finding's line or the line above.
/// `Ok((line, reason))` suppresses; `Err(line)` is a suppression with no reason.
fn suppression(text: &str, n: u32, rule: &str) -> Option<Result<(u32, String), u32>> {
    for ln in [n, n.saturating_sub(1)] {
        if ln == 0 {
            continue;
        }
        let l = line(text, ln);
        let Some(i) = l.find("warden-ignore:") else {
            continue;
        };
        let rest = l[i + "warden-ignore:".len()..].trim();
        let (ids, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if !ids
            .split(',')
            .any(|id| id.trim() == rule || id.trim() == "all")
        {
            continue;
        }
        let reason = reason
            .trim()
            .trim_end_matches("*/")
            .trim_end_matches("-->")
            .trim()
            .to_string();
        return Some(if reason.is_empty() {
            Err(ln)
        } else {
            Ok((ln, reason))
        });
    }
    None
}

/// Public tool definitions with what their handlers touch and which parameters they read.
fn tool_defs(p: &Project, inv: &Inventory, runs: &[RunResult]) -> Vec<ToolDef> {
    inv.tools
        .iter()
        .map(|t| {
            let mut def = t.def.clone();
            if let Some(h) = t.handler {
                let run = &runs[h];
                for e in &run.effects.seen {
                    match e.effect {
                        Effect::FsRead | Effect::FsWrite | Effect::FsDelete | Effect::Archive => {
                            def.touches.filesystem = true
                        }
                        Effect::Http => def.touches.network = true,
                        Effect::Shell | Effect::Process => def.touches.subprocess = true,
                        Effect::Sql | Effect::Db => def.touches.database = true,
                        Effect::Eval | Effect::DynImport | Effect::Deser => {
                            def.touches.dynamic_code = true
                        }
                        Effect::Log => {}
                    }
                }
                def.touches.environment = run
                    .names_read
                    .iter()
                    .any(|n| n == "env" || n == "environ" || n == "getenv");
                for param in &mut def.params {
                    param.used = Some(run.args_escape || run.names_read.contains(&param.name));
                }
            }
            let _ = p;
            def
        })
        .collect()
}
