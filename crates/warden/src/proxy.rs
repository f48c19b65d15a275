//! `warden proxy …`: wiring over `warden-proxy`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use warden_ledger::{Ledger, OpenOptions};
use warden_proxy::audit::{Audit, Commit};
use warden_proxy::gate::GateOptions;
use warden_proxy::policy::Policy;
use warden_proxy::{admin, http, stdio};

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
    /// Also serve the admin requests over HTTP on this loopback address (e.g.
    /// 127.0.0.1:9901), authenticated by the token in --admin-token-file.
    #[arg(long)]
    admin_listen: Option<std::net::SocketAddr>,
    /// The HTTP admin bearer token (default: LEDGER/admin.token, created with 256 random
    /// bits, mode 0600, if missing).
    #[arg(long)]
    admin_token_file: Option<PathBuf>,
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
    /// Serve Streamable HTTP on this address (e.g. 127.0.0.1:8080) instead of stdio; the
    /// upstream is `--upstream URL` or the command after `--` (one child per session).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// The Streamable HTTP server to front (with --listen), e.g. http://127.0.0.1:3001/mcp.
    #[arg(long, requires = "listen")]
    upstream: Option<String>,
    /// HTTP: end sessions no request has named for this many seconds (clients that left
    /// without DELETE); their stdio servers are stopped.
    #[arg(long, default_value_t = 1800)]
    session_idle_secs: u64,
    /// Who the stdio client is, for per-principal scopes in the policy (HTTP clients are
    /// identified by their bearer token instead).
    #[arg(long)]
    principal: Option<String>,
    /// The MCP server to run, after `--`.
    #[arg(last = true)]
    server: Vec<String>,
}

/// How the admin commands reach a running proxy.
#[derive(Args)]
struct AdminTarget {
    /// The proxy's admin socket (LEDGER/proxy.sock by default when the proxy started).
    #[arg(long, required_unless_present = "admin_url")]
    admin_socket: Option<PathBuf>,
    /// The proxy's HTTP admin endpoint instead, e.g. http://127.0.0.1:9901.
    #[arg(long, requires = "admin_token_file", conflicts_with = "admin_socket")]
    admin_url: Option<String>,
    /// The file holding the HTTP admin token.
    #[arg(long)]
    admin_token_file: Option<PathBuf>,
}

impl AdminTarget {
    fn describe(&self) -> String {
        match (&self.admin_url, &self.admin_socket) {
            (Some(u), _) => u.clone(),
            (None, Some(p)) => p.display().to_string(),
            (None, None) => "(none)".into(),
        }
    }

    async fn send(&self, req: &serde_json::Value) -> std::io::Result<serde_json::Value> {
        match (&self.admin_url, &self.admin_token_file, &self.admin_socket) {
            (Some(url), Some(file), _) => {
                let token = std::fs::read_to_string(file)?;
                admin::request_http(url, token.trim(), req).await
            }
            (_, _, Some(path)) => admin::request(path, req).await,
            _ => Err(std::io::Error::other(
                "give --admin-socket PATH, or --admin-url URL with --admin-token-file FILE",
            )),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum CommitArg {
    BeforeForward,
    Async,
}

#[derive(Subcommand)]
enum ProxyCommand {
    /// Refuse new tool calls (all, or the given tools or sessions) and cancel those in
    /// flight; the server keeps running for forensics.
    Fence {
        #[command(flatten)]
        admin: AdminTarget,
        /// Fence only this tool; repeatable (default: the whole server).
        #[arg(long)]
        tool: Vec<String>,
        /// Fence only this session (ids from `status`); repeatable.
        #[arg(long)]
        session: Vec<String>,
        /// Also stop the server processes (SIGSTOP) until `unfence`, to preserve their
        /// memory and state for forensics.
        #[arg(long)]
        freeze: bool,
        #[arg(long, default_value = "incident response")]
        reason: String,
    },
    /// Refuse everything a session sends from its next message on.
    RevokeSession {
        #[command(flatten)]
        admin: AdminTarget,
        /// The session id (from `status` or the ledger's session_id).
        #[arg(long)]
        session: String,
        #[arg(long, default_value = "incident response")]
        reason: String,
    },
    /// Refuse clients from an address or CIDR block (HTTP), from their next request on.
    Block {
        #[command(flatten)]
        admin: AdminTarget,
        /// An IP address or CIDR block, e.g. 203.0.113.0/24.
        address: String,
        #[arg(long, default_value = "incident response")]
        reason: String,
    },
    /// Lift a block.
    Unblock {
        #[command(flatten)]
        admin: AdminTarget,
        address: String,
        #[arg(long, default_value = "incident response")]
        reason: String,
    },
    /// Lift the fence.
    Unfence {
        #[command(flatten)]
        admin: AdminTarget,
        #[arg(long, default_value = "incident response")]
        reason: String,
    },
    /// Accept a quarantined tool's new definition (pins it).
    Approve {
        #[command(flatten)]
        admin: AdminTarget,
        #[arg(long)]
        tool: String,
        #[arg(long, default_value = "reviewed")]
        reason: String,
    },
    /// Show the proxy's state.
    Status {
        #[command(flatten)]
        admin: AdminTarget,
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
        let (target, req) = match cmd {
            ProxyCommand::Fence {
                admin,
                tool,
                session,
                freeze,
                reason,
            } => (
                admin,
                json!({"op": "fence", "tools": tool, "sessions": session, "freeze": freeze, "reason": reason}),
            ),
            ProxyCommand::RevokeSession {
                admin,
                session,
                reason,
            } => (
                admin,
                json!({"op": "revoke-session", "session": session, "reason": reason}),
            ),
            ProxyCommand::Block {
                admin,
                address,
                reason,
            } => (
                admin,
                json!({"op": "block", "address": address, "reason": reason}),
            ),
            ProxyCommand::Unblock {
                admin,
                address,
                reason,
            } => (
                admin,
                json!({"op": "unblock", "address": address, "reason": reason}),
            ),
            ProxyCommand::Unfence { admin, reason } => {
                (admin, json!({"op": "unfence", "reason": reason}))
            }
            ProxyCommand::Approve {
                admin,
                tool,
                reason,
            } => (
                admin,
                json!({"op": "approve", "tool": tool, "reason": reason}),
            ),
            ProxyCommand::Status { admin } => (admin, json!({"op": "status"})),
        };
        let reply = runtime()?.block_on(target.send(&req)).with_context(|| {
            format!(
                "cannot reach the proxy's admin endpoint {}",
                target.describe()
            )
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
    if a.server.is_empty() && a.upstream.is_none() {
        bail!(
            "no server: put its command after `--` (e.g. `warden proxy --ledger L -- node server.js`), or give --listen ADDR --upstream URL"
        );
    }
    if !a.server.is_empty() && a.upstream.is_some() {
        bail!("give either --upstream URL or a command after `--`, not both");
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
    let gate = GateOptions {
        policy,
        pins: Some(a.pins.unwrap_or_else(|| ledger_dir.join("tool-pins.json"))),
        alerts: a.alerts,
    };
    let http_admin = match a.admin_listen {
        Some(addr) => {
            let file = a
                .admin_token_file
                .unwrap_or_else(|| ledger_dir.join("admin.token"));
            let token = admin::load_or_create_token(&file)
                .with_context(|| format!("admin token file {}", file.display()))?;
            Some((addr, token))
        }
        None => None,
    };
    let admin = admin::AdminOptions {
        socket: Some(
            a.admin_socket
                .unwrap_or_else(|| ledger_dir.join("proxy.sock")),
        ),
        http: http_admin,
    };
    let rt = runtime()?;
    let result = match a.listen {
        Some(listen) => {
            let upstream = match a.upstream {
                Some(url) => http::UpstreamSpec::Url(url),
                None => http::UpstreamSpec::Command(a.server),
            };
            let opts = http::HttpOptions {
                listen,
                upstream,
                max_message: a.max_message,
                admin,
                session_idle: std::time::Duration::from_secs(a.session_idle_secs.max(1)),
            };
            rt.block_on(http::run(opts, gate, audit))
        }
        None => {
            let opts = stdio::Options {
                command: a.server,
                max_message: a.max_message,
                admin,
                principal: a.principal,
            };
            rt.block_on(stdio::run(opts, gate, audit))
        }
    };
    // Do not wait for the blocking read of our stdin (a client that neither writes nor
    // closes it would hold the exit, and the ledger's final checkpoint, hostage).
    rt.shutdown_background();
    // Every Audit clone is gone now: the writer drains, closes the ledger and signs.
    let _ = writer.join();
    let code = result?;
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
