//! `warden inventory PATH`: wiring over `warden_incident::inventory`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

#[derive(Args)]
pub struct InventoryArgs {
    /// The server's source directory.
    path: PathBuf,
    /// An env file the deployment uses (read for values, which give fingerprints and
    /// scope; never printed); repeatable.
    #[arg(long)]
    env_file: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Markdown,
    Json,
}

pub fn run(a: InventoryArgs) -> Result<ExitCode> {
    let inv = warden_incident::inventory::inventory(&a.path, &a.env_file)?;
    let text = match a.format {
        Format::Markdown => warden_incident::inventory::to_markdown(&inv),
        Format::Json => serde_json::to_string_pretty(&inv)? + "\n",
    };
    match &a.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write the inventory to `{}`", path.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
