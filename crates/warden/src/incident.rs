//! `warden incident …`: wiring over `warden_incident::case`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde_json::{Map, json};
use warden_incident::case::{Case, CaseMeta, PHASES, actor};
use warden_ledger::ledger::now_unix_nano;

#[derive(Args)]
pub struct IncidentArgs {
    #[command(subcommand)]
    command: IncidentCommand,
}

#[derive(Args)]
struct CaseDir {
    /// The case directory (default: $WARDEN_CASE, else ./incident).
    #[arg(long, env = "WARDEN_CASE", default_value = "incident")]
    case: PathBuf,
}

#[derive(Subcommand)]
enum IncidentCommand {
    /// Open a case: a directory with its signed, hash-chained journal.
    Open {
        #[command(flatten)]
        case: CaseDir,
        /// What happened, in a line.
        #[arg(long, default_value = "suspected compromise of an MCP server")]
        title: String,
        /// The proxy's ledger (the record of the server's calls).
        #[arg(long)]
        ledger: Option<PathBuf>,
        /// The server's source.
        #[arg(long)]
        repo: Option<PathBuf>,
        /// The proxy's admin socket.
        #[arg(long)]
        proxy: Option<PathBuf>,
    },
    /// The 60-minute timeline: each phase, done or not, and what is next.
    Status {
        #[command(flatten)]
        case: CaseDir,
        #[arg(long)]
        json: bool,
    },
    /// Phase 1: verify the proxy's ledger, replay the detectors, name the patterns, the
    /// entry point, whether the server still serves, and the credentials at stake.
    Scope {
        #[command(flatten)]
        case: CaseDir,
        /// The ledger's verifier key, or a file holding it (default: LEDGER/ledger.pub).
        #[arg(long)]
        key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write a note into the journal (what you saw, did or decided).
    Note {
        #[command(flatten)]
        case: CaseDir,
        text: String,
    },
    /// Record a phase as done (for phases done by hand), with what was done.
    Done {
        #[command(flatten)]
        case: CaseDir,
        /// scope, isolate, rotate, preserve, triage or communicate.
        phase: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Close the case and seal its journal.
    Close {
        #[command(flatten)]
        case: CaseDir,
        #[arg(long, default_value = "")]
        summary: String,
    },
}

pub fn run(a: IncidentArgs) -> Result<ExitCode> {
    let path_text = |p: Option<PathBuf>| p.map(|p| p.display().to_string());
    match a.command {
        IncidentCommand::Open {
            case,
            title,
            ledger,
            repo,
            proxy,
        } => {
            let meta = CaseMeta {
                id: String::new(),
                title,
                opened_unix_nano: now_unix_nano(),
                opened_by: actor(),
                ledger: path_text(ledger),
                repo: path_text(repo),
                proxy: path_text(proxy),
            };
            let opened = Case::open(&case.case, meta)?;
            println!(
                "opened {} in {}\njournal: {} (verify with `warden log verify {} --key {}`)\nnext: export WARDEN_CASE={} ; warden incident status",
                opened.meta.id,
                case.case.display(),
                opened.journal_dir().display(),
                opened.journal_dir().display(),
                opened.journal_dir().join("ledger.pub").display(),
                case.case.display()
            );
        }
        IncidentCommand::Status { case, json } => {
            let status = Case::load(&case.case)?.status(now_unix_nano())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{}", status.render());
            }
        }
        IncidentCommand::Scope { case, key, json } => {
            let case = Case::load(&case.case)?;
            let Some(ledger) = case.meta.ledger.clone().map(PathBuf::from) else {
                bail!("the case names no ledger; open it with `warden incident open --ledger DIR`");
            };
            let key = match key {
                Some(k) if !std::path::Path::new(&k).exists() => k,
                Some(file) => std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read the key file {file}"))?,
                None => {
                    let file = ledger.join("ledger.pub");
                    std::fs::read_to_string(&file)
                        .with_context(|| format!("cannot read {} (give --key)", file.display()))?
                }
            };
            let found = warden_incident::scope::scope(&ledger, key.trim(), now_unix_nano())?;
            let credentials: Vec<String> = match &case.meta.repo {
                Some(repo) => {
                    warden_incident::inventory::inventory(std::path::Path::new(repo), &[])
                        .map(|inv| inv.credentials.into_iter().map(|c| c.name).collect())
                        .unwrap_or_default()
                }
                None => Vec::new(),
            };
            let mut details = Map::new();
            details.insert("assessment".into(), json!(found.assessment));
            details.insert("ledger_integrity".into(), json!(found.integrity.verdict));
            details.insert("records_read".into(), json!(found.integrity.records_read));
            details.insert(
                "patterns".into(),
                json!(found.patterns.iter().map(|p| json!({"rule": p.rule, "session": p.session, "tool": p.tool, "evidence": p.evidence_indices})).collect::<Vec<_>>()),
            );
            details.insert(
                "entry_point".into(),
                json!(found.entry_point.as_ref().map(|e| e.first_anomalous.index)),
            );
            details.insert("still_serving".into(), json!(found.still_serving));
            details.insert("credentials".into(), json!(credentials));
            let index = case.phase_done("scope", details)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else {
                print!("{}", found.render(&credentials));
                println!("(journaled as entry {index})");
            }
        }
        IncidentCommand::Note { case, text } => {
            let mut details = Map::new();
            details.insert("text".into(), json!(text));
            let index = Case::load(&case.case)?.journal("note", details)?;
            println!("journaled as entry {index}");
        }
        IncidentCommand::Done { case, phase, note } => {
            if !PHASES.iter().any(|(p, _)| *p == phase) {
                let names: Vec<&str> = PHASES.iter().map(|(p, _)| *p).collect();
                bail!(
                    "unknown phase `{phase}`; the phases are {}",
                    names.join(", ")
                );
            }
            let mut details = Map::new();
            details.insert("note".into(), json!(note));
            details.insert("by_hand".into(), json!(true));
            let index = Case::load(&case.case)?.phase_done(&phase, details)?;
            println!("{phase} recorded as done (journal entry {index})");
        }
        IncidentCommand::Close { case, summary } => {
            Case::load(&case.case)?.close(&summary)?;
            println!("closed; the journal is sealed");
        }
    }
    Ok(ExitCode::SUCCESS)
}
