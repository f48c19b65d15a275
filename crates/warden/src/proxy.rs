//! `warden proxy …`: wiring over `warden-proxy`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use warden_ledger::{Ledger, OpenOptions};
use warden_proxy::audit::{Audit, Commit};
use warden_proxy::policy::Policy;
use warden_proxy::{admin, stdio};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProxyArgs {
    #[command(subcommand)]
    command: Option<ProxyCommand>,
    /// The ledger directory calls are recorded in (`warden log init` makes one).
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// Policy file (TOML; see docs/proxy.md).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// `before-forward`: a call is forwarded only once its intent record is durable.
    /// `async`: records are committed in the background.
    #[arg(long, value_enum, default_value_t = CommitArg::BeforeForward)]
    commit: CommitArg,
    /// Admin socket (default: LEDGER/proxy.sock).
    #[arg(long)]
    admin_socket: Option<PathBuf>,
    /// Largest JSON-RPC message accepted, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_message: usize,
    /// Tool pin file (default: LEDGER/tool-pins.json): pinned on first sight, changes
    /// quarantined until approved.
    #[arg(long)]
    pins: Option<PathBuf>,
    /// Append alerts to this file as JSON lines (they also go to stderr and the ledger).
    #[arg(long)]
    alerts: Option<PathBuf>,
    /// Deny a tool (name or `prefix*`), in addition to the policy file; repeatable.
    #[arg(long)]
    deny_tool: Vec<String>,
    /// The MCP server to run, after `--`.
    #[arg(last = true)]
    server: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum CommitArg {
    BeforeForward,
    Async,
}

#[derive(Subcommand)]
enum ProxyCommand {
    /// Refuse new tool calls (all, or the given tools) and cancel those in flight.
    Fence {
        #[arg(long)]
        admin_socket: PathBuf,
        /// Fence only this tool; repeatable (default: the whole server).
        #[arg(long)]
        tool: Vec<String>,
        #[arg(long, default_value = "incident response")]
        reason: String,
    },
    /// Lift the fence.
    Unfence {
        #[arg(long)]
        admin_socket: PathBuf,
        #[arg(long, default_value = "incident response")]
        reason: String,
    },
    /// Accept a quarantined tool's new definition (pins it).
    Approve {
        #[arg(long)]
        admin_socket: PathBuf,
        #[arg(long)]
        tool: String,
        #[arg(long, default_value = "reviewed")]
        reason: String,
    },
    /// Show the proxy's state.
    Status {
        #[arg(long)]
        admin_socket: PathBuf,
    },
}

/// mimalloc commits its first arena eagerly, which a long-running proxy pays for in
/// resident memory: 18.1 MB idle, against 9.0 MB with `MIMALLOC_ARENA_EAGER_COMMIT=0`
/// (measured with `bash bench/proxy.sh`). The option is read once, when the allocator
/// starts, before `main`; so the proxy re-executes itself once with it set. The marker
/// variable keeps it from looping and tells `stdio::run` to keep both out of the
/// server's environment.
fn reexec_with_lazy_commit() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_some()
        || std::env::var_os(warden_proxy::stdio::REEXEC_MARKER).is_some()
    {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("MIMALLOC_ARENA_EAGER_COMMIT", "0")
        .env(warden_proxy::stdio::REEXEC_MARKER, "1")
        .exec();
    // Only reached if exec failed: carry on with the allocator as it is.
    eprintln!("warden proxy: could not re-execute with lazy commit ({err}); continuing");
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn run(a: ProxyArgs) -> Result<ExitCode> {
    if let Some(cmd) = a.command {
        let (socket, req) = match cmd {
            ProxyCommand::Fence {
                admin_socket,
                tool,
                reason,
            } => (
                admin_socket,
                json!({"op": "fence", "tools": tool, "reason": reason}),
            ),
            ProxyCommand::Unfence {
                admin_socket,
                reason,
            } => (admin_socket, json!({"op": "unfence", "reason": reason})),
            ProxyCommand::Approve {
                admin_socket,
                tool,
                reason,
            } => (
                admin_socket,
                json!({"op": "approve", "tool": tool, "reason": reason}),
            ),
            ProxyCommand::Status { admin_socket } => (admin_socket, json!({"op": "status"})),
        };
        let reply = runtime()?
            .block_on(admin::request(&socket, &req))
            .with_context(|| {
                format!("cannot reach the proxy's admin socket {}", socket.display())
            })?;
        println!("{}", serde_json::to_string_pretty(&reply)?);
        return Ok(if reply["ok"] == json!(true) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    reexec_with_lazy_commit();
    let Some(ledger_dir) = a.ledger else {
        bail!("--ledger DIR is required (create one with `warden log init DIR`)");
    };
    if a.server.is_empty() {
        bail!(
            "no server command: put it after `--`, e.g. `warden proxy --ledger L -- node server.js`"
        );
    }
    let mut policy = match &a.policy {
        Some(p) => Policy::load(p)?,
        None => Policy::default(),
    };
    policy.tools.deny.extend(a.deny_tool);
    let ledger = Arc::new(Ledger::open(&ledger_dir, OpenOptions::default())?);
    let commit = match a.commit {
        CommitArg::BeforeForward => Commit::BeforeForward,
        CommitArg::Async => Commit::Async,
    };
    let (audit, writer) = Audit::start(ledger, commit);
    let opts = stdio::Options {
        command: a.server,
        policy,
        max_message: a.max_message,
        admin_socket: Some(
            a.admin_socket
                .unwrap_or_else(|| ledger_dir.join("proxy.sock")),
        ),
        pins: Some(a.pins.unwrap_or_else(|| ledger_dir.join("tool-pins.json"))),
        alerts: a.alerts,
    };
    let rt = runtime()?;
    let result = rt.block_on(stdio::run(opts, audit));
    // Do not wait for the blocking read of our stdin (a client that neither writes nor
    // closes it would hold the exit, and the ledger's final checkpoint, hostage).
    rt.shutdown_background();
    // Every Audit clone is gone now: the writer drains, closes the ledger and signs.
    let _ = writer.join();
    let code = result?;
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
