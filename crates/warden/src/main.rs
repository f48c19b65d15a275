//! `warden`: the command line. Wiring only: argument parsing, choosing a renderer,
//! exit codes. The work is done by the library crates.

mod history;
mod incident;
mod inventory;
mod log;
mod proxy;
mod readiness;
mod serve;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use warden_core::{Grade, Severity};
use warden_scan::baseline::Baseline;
use warden_scan::{Role, ScanOptions, ScanReport, report};

// The scanner allocates many small IR nodes; mimalloc cut glibc malloc's share of a
// 1M-line scan profile (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Make MCP servers ready for a security incident, and carry their operators through one.
#[derive(Parser)]
#[command(name = "warden", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Audit an MCP server's source: find the root causes of incidents and grade it.
    Scan(ScanArgs),
    /// List the tools a server registers, with what each handler touches.
    Tools(ToolsArgs),
    /// Write a baseline of the current findings, so CI reports only new ones.
    Baseline(BaselineArgs),
    /// List the rules, or write their reference pages.
    Rules(RulesArgs),
    /// The tamper-evident audit log: init, append, verify, prove, export.
    Log(log::LogArgs),
    /// Run an MCP server behind a recording, policy-enforcing, fenceable front.
    Proxy(Box<proxy::ProxyArgs>),
    /// List every long-lived credential a server holds (from code, config and env
    /// files; values never shown), with vendor, scope and rotation procedure.
    Inventory(inventory::InventoryArgs),
    /// The incident playbook: open a case with its journal, follow the 60-minute
    /// timeline, close it.
    Incident(incident::IncidentArgs),
    /// The timeline of saved scans of a target: grades per axis, a chart, drift.
    History(history::HistoryArgs),
    /// What changed between two saved scans: findings new, fixed, persisting; grades;
    /// tools added, removed or changed (a possible rug pull).
    Diff(history::DiffArgs),
    /// The playbook's readiness checklist for a server (audit log, inventory,
    /// rehearsals, log retention, scan history, contacts), each pass/fail/unknown with
    /// how to fix, and a score.
    Readiness(readiness::ReadinessArgs),
    /// The scan-history dashboard in a browser: servers and grades, scores over time,
    /// scans, diffs, findings with code, tools, an incident's timeline (read-only,
    /// loopback).
    Serve(serve::ServeArgs),
}

#[derive(Args)]
struct Scope {
    /// Also analyse and grade test code.
    #[arg(long)]
    include_tests: bool,
    /// Also analyse and grade examples and demos.
    #[arg(long)]
    include_examples: bool,
    /// Also analyse and grade code under docs/.
    #[arg(long)]
    include_docs: bool,
    /// Also analyse vendored and generated code (node_modules is never read).
    #[arg(long)]
    include_vendored: bool,
}

impl Scope {
    fn options(&self) -> ScanOptions {
        let mut o = ScanOptions::default();
        for (on, role) in [
            (self.include_tests, Role::Test),
            (self.include_examples, Role::Example),
            (self.include_docs, Role::Docs),
            (self.include_vendored, Role::Vendored),
        ] {
            if on {
                o.roles.insert(role);
            }
        }
        o
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Terminal,
    Json,
    Sarif,
    Markdown,
    /// One self-contained HTML file (no scripts, no external assets).
    Html,
}

#[derive(Args)]
struct ScanArgs {
    /// The repository (or a single source file) to scan.
    path: PathBuf,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "terminal")]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Fail (exit 1) when the overall grade is below this letter.
    #[arg(long, value_name = "GRADE")]
    fail_under: Option<Grade>,
    /// Fail (exit 1) when any unsuppressed finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Show how each score was reached.
    #[arg(long)]
    explain: bool,
    /// Keep the scan in the history store (see `warden history`, `warden diff`).
    #[arg(long)]
    save: bool,
    /// Compare the repository as it is now with this saved scan (an id, a commit, a
    /// date, `latest`): findings, grades, tools, and the files changed since that touch
    /// them — during an incident, the pre-incident baseline.
    #[arg(long, value_name = "SCAN")]
    against: Option<String>,
    #[command(flatten)]
    store: history::StoreArg,
    #[command(flatten)]
    gates: history::Gates,
    #[command(flatten)]
    scope: Scope,
}

#[derive(Args)]
struct ToolsArgs {
    /// The repository to inspect.
    path: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    scope: Scope,
}

#[derive(Args)]
struct BaselineArgs {
    /// The repository to scan.
    path: PathBuf,
    /// Where to write the baseline.
    #[arg(long, short, default_value = ".warden-baseline.json")]
    output: PathBuf,
    #[command(flatten)]
    scope: Scope,
}

#[derive(Args)]
struct RulesArgs {
    /// Write one Markdown page per rule and an index into this directory.
    #[arg(long, value_name = "DIR")]
    write_docs: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("warden: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Draws a one-line status on the terminal during long scans.
fn progress_line(phase: &str, done: usize, total: usize) {
    if total == 0 {
        eprint!("\x1b[2K\r{phase} …");
    } else {
        let width = 30;
        let filled = done * width / total.max(1);
        eprint!(
            "\x1b[2K\r{phase} [{}{}] {done}/{total}",
            "#".repeat(filled),
            "-".repeat(width - filled)
        );
    }
}

fn run_scan(path: &std::path::Path, scope: &Scope) -> Result<ScanReport> {
    let progress = std::io::stderr().is_terminal();
    let mut opts = scope.options();
    if progress {
        eprint!("scanning {} …\r", path.display());
        opts.progress = Some(progress_line);
    }
    let r = warden_scan::scan(path, &opts).map_err(anyhow::Error::from);
    if progress {
        eprint!("\x1b[2K\r");
    }
    r
}

fn emit(output: Option<&PathBuf>, text: &str) -> Result<()> {
    match output {
        Some(p) => std::fs::write(p, text)
            .with_context(|| format!("cannot write the report to `{}`", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = out.write_all(text.as_bytes());
            Ok(())
        }
    }
}

/// `warden scan --format html`: the dashboard's scan page as one file, with code context
/// read from the scanned tree.
fn html_report(report: &ScanReport, path: &std::path::Path) -> Result<String> {
    let value = serde_json::to_value(report)?;
    // The git identity shows the commit; a path that has none is still a target.
    let target = warden_history::target::identify(path).unwrap_or_else(|_| {
        let p = path.display().to_string();
        warden_history::model::Target {
            key: p.clone(),
            path: p,
            remote: None,
            commit: None,
            dirty: None,
            branch: None,
            tag: None,
        }
    });
    Ok(warden_web::render_report(
        &value,
        target,
        warden_ledger::ledger::now_unix_nano(),
    )?)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(a) => {
            let mut report = run_scan(&a.path, &a.scope)?;
            if let Some(b) = &a.baseline {
                let baseline = Baseline::load(b)?;
                baseline.apply(&mut report);
            }
            let color = a.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none();
            if a.against.is_some() && !matches!(a.format, Format::Terminal | Format::Json) {
                anyhow::bail!(
                    "--against prints the comparison as text (the default) or JSON (--format json); drop --format or run the report separately"
                );
            }
            let text = if let Some(baseline) = &a.against {
                history::against(
                    &report,
                    &a.path,
                    baseline,
                    &a.store,
                    matches!(a.format, Format::Json),
                )?
            } else {
                match a.format {
                    Format::Terminal => report::terminal::render(&report, color, a.explain),
                    Format::Json => report::json(&report),
                    Format::Sarif => report::sarif::render(&report),
                    Format::Markdown => report::markdown::render(&report),
                    Format::Html => html_report(&report, &a.path)?,
                }
            };
            emit(a.output.as_ref(), &text)?;
            let mut failed = Vec::new();
            if a.save {
                failed.extend(history::save(&report, &a.path, &a.store, &a.gates)?);
            } else if a.gates.needs_history() {
                anyhow::bail!(
                    "--fail-on-drift and --fail-on-new compare with the saved history: add --save"
                );
            }
            if let Some(min) = a.fail_under
                && report.grades.overall < min
            {
                failed.push(format!(
                    "overall grade {} is below the required {min}",
                    report.grades.overall
                ));
            }
            if let Some(sev) = a.fail_on {
                let n = report
                    .findings
                    .iter()
                    .filter(|f| f.suppressed.is_none() && f.severity >= sev)
                    .count();
                if n > 0 {
                    failed.push(format!("{n} finding(s) at or above severity {sev}"));
                }
            }
            if failed.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("warden: gate failed: {}", failed.join("; "));
                Ok(ExitCode::from(1))
            }
        }
        Command::Tools(a) => {
            let report = run_scan(&a.path, &a.scope)?;
            let text = if a.json {
                serde_json::to_string_pretty(
                    &serde_json::json!({ "tools": report.tools, "coverage": report.coverage }),
                )?
            } else {
                report::terminal::render_tools(&report, std::io::stdout().is_terminal())
            };
            emit(None, &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Baseline(a) => {
            let report = run_scan(&a.path, &a.scope)?;
            let b = Baseline::from_report(&report);
            let text = serde_json::to_string_pretty(&b)?;
            std::fs::write(&a.output, text + "\n").with_context(|| {
                format!("cannot write the baseline to `{}`", a.output.display())
            })?;
            eprintln!(
                "warden: wrote {} finding(s) to {}",
                b.findings.len(),
                a.output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Log(a) => log::run(a),
        Command::Proxy(a) => proxy::run(*a),
        Command::Inventory(a) => inventory::run(a),
        Command::Incident(a) => incident::run(a),
        Command::Readiness(a) => readiness::run(a),
        Command::Serve(a) => serve::run(a),
        Command::History(a) => history::history(a),
        Command::Diff(a) => history::diff_command(a),
        Command::Rules(a) => {
            match a.write_docs {
                Some(dir) => {
                    warden_scan::docs::write_rule_docs(&dir).with_context(|| {
                        format!("cannot write rule docs to `{}`", dir.display())
                    })?;
                    eprintln!("warden: wrote rule reference to {}", dir.display());
                }
                None => {
                    for r in warden_scan::rules::all() {
                        println!(
                            "{:<34} {:<9} {:<26} {}",
                            r.id, r.severity, r.category, r.title
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
