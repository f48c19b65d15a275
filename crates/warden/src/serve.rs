//! `warden serve`: wiring over `warden_web` (the dashboard and its server).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use warden_history::store::{Store, StoreSpec};

/// `warden serve`.
#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: crate::history::StoreArg,
    /// The address to listen on (loopback unless --allow-remote; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8765", value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// Also show this incident case (its journal timeline and phases) at /incident.
    #[arg(long, value_name = "DIR")]
    case: Option<PathBuf>,
    /// Allow a non-loopback --listen address (needs --token-file; the server speaks
    /// plain HTTP, so put TLS in front of it).
    #[arg(long, requires = "token_file")]
    allow_remote: bool,
    /// A bearer token file (created with a random token, mode 0600, when missing): every
    /// request must send `Authorization: Bearer <token>`.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
}

/// Opens the store (never creating one) and the case, checks the address, and serves
/// until Ctrl-C.
pub fn run(a: ServeArgs) -> Result<ExitCode> {
    let spec = StoreSpec::parse(a.store.spec())?;
    // The dashboard only reads: it does not create a store that is not there.
    if let StoreSpec::Sqlite(path) = &spec
        && !path.exists()
    {
        bail!(
            "there is no scan store at {}: `warden scan PATH --save --store {}` creates one (or pass --store / WARDEN_STORE)",
            path.display(),
            path.display()
        );
    }
    // Read as it is: a newer dashboard must not migrate a store older writers share.
    let store = Store::open_existing(&spec)?;
    if let Some(dir) = &a.case {
        warden_incident::case::Case::load(dir)
            .with_context(|| format!("--case {}: not an incident case directory", dir.display()))?;
    }
    let token = match &a.token_file {
        Some(p) => Some(
            warden_proxy::admin::load_or_create_token(p)
                .with_context(|| format!("cannot read the token file {}", p.display()))?,
        ),
        None => None,
    };
    let access = warden_web::server::Access::new(a.listen, a.allow_remote, token.as_deref())?;
    let dashboard = warden_web::Dashboard::new(store, a.case)?;
    warden_web::server::run(dashboard, a.listen, access, |bound| {
        println!("warden: dashboard on http://{bound}/ (read-only; Ctrl-C stops it)");
    })?;
    Ok(ExitCode::SUCCESS)
}
