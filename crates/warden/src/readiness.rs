//! `warden readiness PATH`: wiring over `warden_incident::readiness`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use warden_incident::readiness::{ReadinessInput, readiness};

#[derive(Args)]
pub struct ReadinessArgs {
    /// The server's source directory.
    path: PathBuf,
    /// The proxy's ledger, when the server runs behind `warden proxy`.
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// The ledger's verifier key, or a file holding it (default: LEDGER/ledger.pub).
    #[arg(long)]
    key: Option<String>,
    /// An incident case directory (a rehearsal counts); repeatable.
    #[arg(long)]
    case: Vec<PathBuf>,
    /// The answers file (default: PATH/warden-readiness.toml when it exists).
    #[arg(long)]
    answers: Option<PathBuf>,
    #[arg(long)]
    json: bool,
    /// Exit 1 when the score is below this (0–100), for CI.
    #[arg(long)]
    min_score: Option<u32>,
    #[command(flatten)]
    store: crate::history::StoreArg,
}

pub fn run(a: ReadinessArgs) -> Result<ExitCode> {
    let input = ReadinessInput {
        repo: a.path.clone(),
        ledger: a.ledger,
        ledger_key: a.key,
        cases: a.case,
        answers: a.answers,
        now_unix_nano: warden_ledger::ledger::now_unix_nano(),
        saved_scans: crate::history::saved_scans(&a.path, &a.store),
    };
    let found = readiness(&input).with_context(|| format!("readiness of {}", a.path.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&found)?);
    } else {
        print!("{}", found.render());
    }
    Ok(match a.min_score {
        Some(min) if found.score < min => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}
