//! `warden incident …`: wiring over `warden_incident::case`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
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
