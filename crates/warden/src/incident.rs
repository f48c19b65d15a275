//! `warden incident …`: wiring over `warden_incident::case`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Map, json};
use warden_incident::case::{Case, CaseMeta, PHASES, actor};
use warden_incident::triage::{self, Classes};
use warden_incident::{bundle, fix, isolate, pg, report, rotate, scope, time};
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

/// How evidence is locked in S3.
#[derive(Args)]
struct ObjectLock {
    /// Object Lock mode for an s3:// upload.
    #[arg(long, value_enum, default_value_t = crate::log::LockArg::Compliance)]
    lock_mode: crate::log::LockArg,
    /// Object Lock retention, in days.
    #[arg(long, default_value_t = 365)]
    retain_days: u32,
    /// S3-compatible endpoint (default: AWS). Also AWS_ENDPOINT_URL.
    #[arg(long)]
    endpoint: Option<String>,
}

#[derive(Args)]
struct LedgerKey {
    /// The ledger's verifier key, or a file holding it (default: LEDGER/ledger.pub).
    #[arg(long)]
    key: Option<String>,
}

/// `warden incident rotate`.
#[derive(Args)]
struct RotateArgs {
    #[command(flatten)]
    case: CaseDir,
    /// Run the PostgreSQL rotation (without it: the plan and the SQL, nothing changed).
    #[arg(long)]
    execute: bool,
    /// The admin connection (a superuser), e.g. 'host=/run/postgresql user=postgres'
    /// or postgres://…; default: the PG* environment variables.
    #[arg(long)]
    admin_url: Option<String>,
    /// The env file the service reads its database URL from (default: the .env file
    /// the inventory found it in).
    #[arg(long)]
    env_file: Option<PathBuf>,
    /// The variable in it (default: the inventory's PostgreSQL credential).
    #[arg(long)]
    var: Option<String>,
    /// The new role's name (default: OLD_rYYYYMMDDHHMM).
    #[arg(long)]
    new_role: Option<String>,
    /// Drop the old role at the end (default: keep it, inert, for forensics).
    #[arg(long)]
    drop_old_role: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum FenceArg {
    Server,
    Sessions,
    Tools,
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
        #[command(flatten)]
        key: LedgerKey,
        /// Only the calls of the last span (e.g. 30m, 2h, 1d).
        #[arg(long, conflicts_with = "since")]
        last: Option<String>,
        /// Only the calls since this time (RFC 3339, e.g. 2026-12-04T20:00:00Z).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Phase 2: fence the proxy, revoke the sessions involved, block their addresses
    /// (each journaled and checked), and print the commands for the rest.
    Isolate {
        #[command(flatten)]
        case: CaseDir,
        /// The proxy's admin socket, or its HTTP admin URL (default: the case's --proxy).
        #[arg(long)]
        proxy: Option<String>,
        /// The HTTP admin token file (with an http:// --proxy).
        #[arg(long)]
        admin_token_file: Option<PathBuf>,
        /// What to fence: the whole server, only the sessions involved, or only the
        /// tools the patterns used.
        #[arg(long, value_enum, default_value = "server")]
        fence: FenceArg,
        /// Also stop the server processes (SIGSTOP) to keep their memory for forensics.
        #[arg(long)]
        freeze: bool,
        /// Another session to revoke (besides those the scope named); repeatable.
        #[arg(long)]
        session: Vec<String>,
        /// Another address or CIDR block to block; repeatable.
        #[arg(long)]
        address: Vec<String>,
        /// The pm2 app name (for the printed commands).
        #[arg(long)]
        pm2: Option<String>,
        /// The docker container (for the printed commands).
        #[arg(long)]
        docker: Option<String>,
        /// The docker network to disconnect it from.
        #[arg(long)]
        docker_network: Option<String>,
        /// The systemd unit (for the printed commands).
        #[arg(long)]
        systemd: Option<String>,
        /// The load balancer entry: nginx:UPSTREAM/HOST:PORT, haproxy:BACKEND/SERVER,
        /// aws:TARGET_GROUP_ARN/TARGET_ID or k8s:POD/LABEL.
        #[arg(long)]
        lb: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Phase 3: the rotation plan from the inventory (databases first); PostgreSQL
    /// rotated for real with --execute (a dry run prints the SQL).
    Rotate(RotateArgs),
    /// Phase 4: the evidence bundle (BagIt: the ledger with proofs for the cited
    /// records, a snapshot of the server's directory, the journal; sealed, with a
    /// custody chain); optionally uploaded with S3 Object Lock.
    Preserve {
        #[command(flatten)]
        case: CaseDir,
        #[command(flatten)]
        key: LedgerKey,
        /// The server's working directory to snapshot (default: the case's --repo).
        #[arg(long)]
        server_dir: Option<PathBuf>,
        /// Where: a new directory (default: CASE/evidence/bundle-<UTC>), or
        /// s3://BUCKET/PREFIX (made in the case, then uploaded with Object Lock).
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        lock: ObjectLock,
        /// Refuse a server directory larger than this many MiB.
        #[arg(long, default_value_t = 1024)]
        max_snapshot_mib: u64,
    },
    /// Upload an evidence bundle already made (after `preserve --to s3://…` failed to
    /// upload it, or to keep a second copy): every object written once with Object
    /// Lock; objects already there with the same bytes are left as they are.
    UploadBundle {
        #[command(flatten)]
        case: CaseDir,
        /// The bundle's directory (as `preserve` printed it).
        path: PathBuf,
        /// s3://BUCKET/PREFIX.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        lock: ObjectLock,
    },
    /// Check an evidence bundle: every hash, nothing missing or added, the custody
    /// chain, the seal and the proofs (exit 1 if anything fails).
    VerifyBundle {
        /// The bundle's directory.
        path: PathBuf,
        /// The seal's trusted key (the case journal's ledger.pub) or a file holding it;
        /// without it the bundle's own key is used (consistency, not origin).
        #[arg(long)]
        key: Option<String>,
        /// The proxy ledger's trusted key, or a file holding it.
        #[arg(long)]
        ledger_key: Option<String>,
        /// Show every check, not only the failures.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Phase 5: what was read (by data class), written, sent where, in which window;
    /// and whether the entry point is still unpatched.
    Triage {
        #[command(flatten)]
        case: CaseDir,
        #[command(flatten)]
        key: LedgerKey,
        /// The classification file (TOML: [[tool]] name, classes, reachable).
        #[arg(long)]
        classes: Option<PathBuf>,
        /// Triage this session (default: those the scope named); repeatable.
        #[arg(long)]
        session: Vec<String>,
        /// The server's source, to check the entry point (default: the case's --repo).
        #[arg(long)]
        repo: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Phase 6: draft the status message, the vendor notifications, the facts for
    /// counsel and the post-mortem, from the journal, into CASE/report/.
    Report {
        #[command(flatten)]
        case: CaseDir,
    },
    /// After the fix: re-scan the source and compare with the pre-incident scan; the
    /// entry point's findings must be gone (exit 1 if not).
    VerifyFix {
        #[command(flatten)]
        case: CaseDir,
        /// The fixed source (default: the case's --repo).
        #[arg(long)]
        repo: Option<PathBuf>,
        /// The pre-incident scan (default: CASE/baseline-scan.json, kept at open).
        #[arg(long)]
        baseline: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Before returning to service: a known-good call recorded by the patched server
    /// (exit 1 if none).
    ReturnCheck {
        #[command(flatten)]
        case: CaseDir,
        #[command(flatten)]
        key: LedgerKey,
        /// The call must be to this tool.
        #[arg(long)]
        tool: Option<String>,
        /// Look from this time (default: when verify-fix ran).
        #[arg(long)]
        since: Option<String>,
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
            if let Some(repo) = &opened.meta.repo {
                // The source as it was when the case opened: what verify-fix compares
                // the fixed source with.
                let report = fix::scan_json(std::path::Path::new(repo))?;
                let path = case.case.join(fix::BASELINE_FILE);
                std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")
                    .with_context(|| format!("cannot write {}", path.display()))?;
                let mut details = Map::new();
                details.insert("file".into(), json!(fix::BASELINE_FILE));
                details.insert(
                    "findings".into(),
                    json!(report["findings"].as_array().map_or(0, Vec::len)),
                );
                opened.journal("baseline_scan", details)?;
                println!("baseline scan of {repo} kept in {}", path.display());
            }
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
        IncidentCommand::Scope {
            case,
            key,
            last,
            since,
            json,
        } => {
            let case = Case::load(&case.case)?;
            let (ledger, key) = ledger_and_key(&case, &key)?;
            let now = now_unix_nano();
            let since = match (last, since) {
                (Some(span), _) => Some(now.saturating_sub(time::parse_span(&span)?)),
                (None, Some(t)) => Some(time::parse_time(&t)?),
                (None, None) => None,
            };
            let found = scope::scope(&ledger, &key, since, now)?;
            let (credentials, credentials_error): (Vec<String>, Option<String>) = match &case
                .meta
                .repo
            {
                Some(repo) => {
                    match warden_incident::inventory::inventory(std::path::Path::new(repo), &[]) {
                        Ok(inv) => (inv.credentials.into_iter().map(|c| c.name).collect(), None),
                        Err(e) => (
                            Vec::new(),
                            Some(format!(
                                "{repo}: {e}; run `warden inventory {repo}` to see why"
                            )),
                        ),
                    }
                }
                None => (Vec::new(), None),
            };
            if let Some(e) = &credentials_error {
                eprintln!("warden: the credential inventory could not be made: {e}");
            }
            let mut details = Map::new();
            details.insert("assessment".into(), json!(found.assessment));
            details.insert("ledger_integrity".into(), json!(found.integrity.verdict));
            details.insert("records_read".into(), json!(found.integrity.records_read));
            details.insert("since".into(), json!(found.since_unix_nano));
            details.insert(
                "patterns".into(),
                json!(found.patterns.iter().map(|p| json!({"rule": p.rule, "session": p.session, "tool": p.tool, "evidence": p.evidence_indices})).collect::<Vec<_>>()),
            );
            details.insert(
                "entry_point".into(),
                json!(found.entry_point.as_ref().map(|e| e.first_anomalous.index)),
            );
            details.insert(
                "entry_point_detail".into(),
                json!(found.entry_point.as_ref().map(|e| json!({
                    "index": e.first_anomalous.index,
                    "tool": e.first_anomalous.tool,
                    "session": e.first_anomalous.session,
                    "client_address": e.first_anomalous.client_address,
                    "time": time::format_utc(e.first_anomalous.time_unix_nano),
                    "call_before_index": e.call_before.as_ref().map(|c| c.index),
                    "call_before_tool": e.call_before.as_ref().and_then(|c| c.tool.clone()),
                }))),
            );
            details.insert("involved_sessions".into(), json!(found.involved_sessions));
            details.insert("involved_addresses".into(), json!(found.involved_addresses));
            details.insert("still_serving".into(), json!(found.still_serving));
            details.insert("credentials".into(), json!(credentials));
            details.insert("credentials_error".into(), json!(credentials_error));
            let index = case.phase_done("scope", details)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else {
                print!("{}", found.render(&credentials));
                println!("(journaled as entry {index})");
            }
        }
        IncidentCommand::Isolate {
            case,
            proxy,
            admin_token_file,
            fence,
            freeze,
            session,
            address,
            pm2,
            docker,
            docker_network,
            systemd,
            lb,
            json,
        } => {
            let case = Case::load(&case.case)?;
            if case.is_closed()? {
                bail!(
                    "the case is closed, so nothing done now could be journaled; open a new case to isolate"
                );
            }
            let scoped = latest_scope(&case)?;
            let mut targets = isolate::Targets {
                sessions: strings(&scoped["involved_sessions"]),
                addresses: strings(&scoped["involved_addresses"]),
                tools: scoped["patterns"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p["tool"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            targets.sessions.extend(session);
            targets.addresses.extend(address);
            for list in [
                &mut targets.sessions,
                &mut targets.addresses,
                &mut targets.tools,
            ] {
                list.sort();
                list.dedup();
            }
            let endpoint = proxy.or_else(|| case.meta.proxy.clone());
            let admin = match &endpoint {
                Some(e) => Some(ProxyAdmin::new(e, admin_token_file.as_deref())?),
                None => None,
            };
            let deployment = isolate::Deployment {
                pm2,
                docker,
                docker_network,
                systemd,
                load_balancer: lb,
            };
            let fence = match fence {
                FenceArg::Server => isolate::FenceScope::Server,
                FenceArg::Sessions => isolate::FenceScope::Sessions,
                FenceArg::Tools => isolate::FenceScope::Tools,
            };
            let done = isolate::isolate(
                &case,
                admin.as_ref().map(|a| a as &dyn isolate::Admin),
                fence,
                freeze,
                &targets,
                &deployment,
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&done)?);
            } else {
                print!("{}", done.render());
            }
            if !done.problems.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        IncidentCommand::Rotate(args) => {
            return rotate(&Case::load(&args.case.case)?, args);
        }
        IncidentCommand::Preserve {
            case,
            key,
            server_dir,
            to,
            lock,
            max_snapshot_mib,
        } => {
            let dir = case.case;
            let case = Case::load(&dir)?;
            let ledger = case.meta.ledger.clone().map(PathBuf::from);
            let ledger_key = match &ledger {
                Some(_) => Some(ledger_and_key(&case, &key)?.1),
                None => None,
            };
            let mut cited = cited_records(&case)?;
            // Preserve comes before triage in the playbook: prove the calls of the
            // sessions the scope named too, which covers what triage will cite — up to
            // MAX_SESSION_PROOFS of them; the rest stay provable from the bundled ledger
            // and its checkpoint (`warden log prove`).
            if let (Some(ledger), Some(key), Ok(scoped)) =
                (&ledger, &ledger_key, latest_scope(&case))
            {
                let sessions = strings(&scoped["involved_sessions"]);
                let replay = scope::replay(ledger, key, scoped["since"].as_u64())?;
                let session_calls: Vec<u64> = replay
                    .calls
                    .iter()
                    .filter(|(_, r)| r.session_id.as_ref().is_some_and(|s| sessions.contains(s)))
                    .map(|(i, _)| *i)
                    .collect();
                if session_calls.len() > MAX_SESSION_PROOFS {
                    println!(
                        "note: the sessions involved made {} calls; the first {MAX_SESSION_PROOFS} get proofs in the bundle, and every one stays provable from the bundled ledger (`warden log prove BUNDLE/data/ledger INDEX`)",
                        session_calls.len()
                    );
                }
                cited.extend(session_calls.into_iter().take(MAX_SESSION_PROOFS));
                cited.sort_unstable();
                cited.dedup();
            }
            let server_dir = server_dir.or_else(|| case.meta.repo.clone().map(PathBuf::from));
            let s3 = to.as_deref().filter(|t| t.starts_with("s3://"));
            let dest = match to.as_deref() {
                Some(t) if !t.starts_with("s3://") => PathBuf::from(t),
                _ => dir.join("evidence").join(format!(
                    "bundle-{}",
                    time::format_utc(now_unix_nano()).replace(':', "")
                )),
            };
            let preserved = bundle::preserve(&bundle::PreserveRequest {
                case: &case,
                ledger: ledger.as_deref(),
                ledger_key: ledger_key.as_deref(),
                server_dir: server_dir.as_deref(),
                cited: &cited,
                dest: &dest,
                max_snapshot_bytes: max_snapshot_mib.saturating_mul(1 << 20),
            })?;
            print!("{}", preserved.render());
            let mut details = Map::new();
            details.insert("bundle".into(), json!(dest.display().to_string()));
            details.insert("manifest_sha256".into(), json!(preserved.manifest_sha256));
            details.insert("cited".into(), json!(cited));
            if let Some(url) = s3 {
                match upload_bag(&case, &dest, url, &lock)? {
                    Ok((destination, head)) => {
                        details.insert("uploaded".into(), json!(destination));
                        details.insert("custody_head".into(), json!(head));
                    }
                    Err(e) => {
                        details.insert("upload_error".into(), json!(e));
                    }
                }
            }
            let upload_failed = details.contains_key("upload_error");
            let index = case.phase_done("preserve", details)?;
            println!("(journaled as entry {index})");
            if upload_failed {
                return Ok(ExitCode::from(1));
            }
        }
        IncidentCommand::UploadBundle {
            case,
            path,
            to,
            lock,
        } => {
            let case = Case::load(&case.case)?;
            if upload_bag(&case, &path, &to, &lock)?.is_err() {
                return Ok(ExitCode::from(1));
            }
        }
        IncidentCommand::VerifyBundle {
            path,
            key,
            ledger_key,
            all,
            json,
        } => {
            let read = |k: Option<String>| k.as_deref().map(key_text).transpose();
            let report = bundle::verify_bundle_keys(
                &path,
                read(key.clone())?.as_deref().map(str::trim),
                read(ledger_key)?.as_deref().map(str::trim),
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render(all));
            }
            if !report.ok {
                return Ok(ExitCode::from(1));
            }
            if key.is_none() {
                // Consistent, but sealed by whom? Without a trusted key a rebuilt bag
                // re-signed with another key passes too.
                eprintln!(
                    "warden: checked with the key inside the bundle only (consistency, not origin): exit 2; give --key (the case journal's ledger.pub, kept apart) to prove who sealed it"
                );
                return Ok(ExitCode::from(2));
            }
        }
        IncidentCommand::Triage {
            case,
            key,
            classes,
            session,
            repo,
            json,
        } => {
            let case = Case::load(&case.case)?;
            let (ledger, key) = ledger_and_key(&case, &key)?;
            let classes = match classes {
                Some(path) => Classes::load(&path)?,
                None => Classes::default(),
            };
            let scoped = latest_scope(&case)?;
            let since = scoped["since"].as_u64();
            let replay = scope::replay(&ledger, &key, since)?;
            let found = scope::Scope::from_replay(&replay, now_unix_nano());
            let repo = repo.or_else(|| case.meta.repo.clone().map(PathBuf::from));
            let t = triage::triage(&replay, &found, &session, &classes, repo.as_deref())?;
            let mut details = Map::new();
            details.insert("sessions".into(), json!(t.sessions));
            details.insert(
                "window_start".into(),
                json!(t.window_start_unix_nano.map(time::format_utc)),
            );
            details.insert(
                "window_end".into(),
                json!(t.window_end_unix_nano.map(time::format_utc)),
            );
            details.insert("calls".into(), json!(t.calls));
            details.insert("records_read".into(), json!(t.records_read));
            details.insert("by_class".into(), json!(t.by_class));
            details.insert("unclassified_records".into(), json!(t.unclassified_records));
            details.insert("assumptions".into(), json!(t.assumptions));
            details.insert("writes".into(), json!(t.writes.len()));
            details.insert("outside_hosts".into(), json!(t.outside_hosts));
            details.insert("unpatched".into(), json!(t.entry_point_unpatched));
            details.insert("cited".into(), json!(t.cited));
            let index = case.phase_done("triage", details)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else {
                print!("{}", t.render());
                println!("(journaled as entry {index})");
            }
        }
        IncidentCommand::Report { case } => {
            let dir = case.case;
            let drafts = report::report(&Case::load(&dir)?, &dir)?;
            println!("drafts written (edit before sending):");
            for f in &drafts.files {
                println!("  {f}");
            }
        }
        IncidentCommand::VerifyFix {
            case,
            repo,
            baseline,
            json,
        } => {
            let dir = case.case;
            let case = Case::load(&dir)?;
            let Some(repo) = repo.or_else(|| case.meta.repo.clone().map(PathBuf::from)) else {
                bail!("no source to scan: give --repo PATH (the fixed server's source)");
            };
            let check = fix::verify_fix(&case, &dir, &repo, baseline.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&check)?);
            } else {
                print!("{}", check.render());
            }
            if check.verdict != "fixed" {
                return Ok(ExitCode::from(1));
            }
        }
        IncidentCommand::ReturnCheck {
            case,
            key,
            tool,
            since,
            json,
        } => {
            let case = Case::load(&case.case)?;
            let (ledger, key) = ledger_and_key(&case, &key)?;
            let since = since.map(|t| time::parse_time(&t)).transpose()?;
            let check = fix::return_check(&case, &ledger, &key, tool.as_deref(), since)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&check)?);
            } else {
                print!("{}", check.render());
            }
            if !check.ok {
                return Ok(ExitCode::from(1));
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

/// The case's ledger and its verifier key (given, from a file, or LEDGER/ledger.pub).
fn ledger_and_key(case: &Case, key: &LedgerKey) -> Result<(PathBuf, String)> {
    let Some(ledger) = case.meta.ledger.clone().map(PathBuf::from) else {
        bail!("the case names no ledger; open it with `warden incident open --ledger DIR`");
    };
    let key = match &key.key {
        Some(k) => key_text(k)?,
        None => {
            let file = ledger.join("ledger.pub");
            std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {} (give --key)", file.display()))?
        }
    };
    Ok((ledger, key.trim().to_string()))
}

/// A `--key` value: the key, or a file holding it.
fn key_text(arg: &str) -> Result<String> {
    Ok(warden_ledger::keys::verifier_key_arg(arg)?)
}

/// The attributes of the newest scope in the journal.
fn latest_scope(case: &Case) -> Result<serde_json::Value> {
    warden_incident::case::latest_phase(&case.entries()?, "scope")
        .map(|e| e["attributes"].clone())
        .context("no scope in this case yet: run `warden incident scope` first")
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The proxy's admin endpoint, for isolate: its Unix socket, or its loopback HTTP
/// endpoint with the token.
struct ProxyAdmin {
    endpoint: String,
    token: Option<String>,
    runtime: tokio::runtime::Runtime,
}

/// Proofs written for the calls of the sessions involved, beyond the records scope and
/// triage cite (each is a file; the bundled ledger proves the rest on demand).
const MAX_SESSION_PROOFS: usize = 10_000;

/// A proxy that does not answer in this time is reported as not answering.
const ADMIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl ProxyAdmin {
    fn new(endpoint: &str, token_file: Option<&std::path::Path>) -> Result<ProxyAdmin> {
        if endpoint.starts_with("https://") {
            bail!(
                "{endpoint}: the proxy's admin endpoint is a Unix socket path or loopback HTTP (http://127.0.0.1:PORT, with --admin-token-file); it does not serve https"
            );
        }
        let token = if endpoint.starts_with("http://") {
            let Some(file) = token_file else {
                bail!("the HTTP admin endpoint {endpoint} needs --admin-token-file FILE");
            };
            Some(
                std::fs::read_to_string(file)
                    .with_context(|| {
                        format!("cannot read the admin token file {}", file.display())
                    })?
                    .trim()
                    .to_string(),
            )
        } else {
            None
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(ProxyAdmin {
            endpoint: endpoint.to_string(),
            token,
            runtime,
        })
    }
}

impl isolate::Admin for ProxyAdmin {
    fn send(&self, request: &serde_json::Value) -> std::result::Result<serde_json::Value, String> {
        let call = async {
            match &self.token {
                Some(token) => {
                    warden_proxy::admin::request_http(&self.endpoint, token, request).await
                }
                None => {
                    warden_proxy::admin::request(std::path::Path::new(&self.endpoint), request)
                        .await
                }
            }
        };
        self.runtime
            .block_on(async { tokio::time::timeout(ADMIN_TIMEOUT, call).await })
            .map_err(|_| format!("no answer in {} s", ADMIN_TIMEOUT.as_secs()))?
            .map_err(|e| e.to_string())
    }

    fn describe(&self) -> String {
        self.endpoint.clone()
    }
}

/// The ledger records scope and triage cited: each gets an inclusion proof in the
/// evidence bundle.
fn cited_records(case: &Case) -> Result<Vec<u64>> {
    let mut cited = Vec::new();
    for e in case.entries()? {
        let a = &e["attributes"];
        if e["kind"] != "app.phase_done" {
            continue;
        }
        for p in a["patterns"].as_array().into_iter().flatten() {
            cited.extend(
                p["evidence"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i.as_u64()),
            );
        }
        for key in ["index", "call_before_index"] {
            cited.extend(a["entry_point_detail"][key].as_u64());
        }
        cited.extend(
            a["cited"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i.as_u64()),
        );
    }
    cited.sort_unstable();
    cited.dedup();
    Ok(cited)
}

/// Phase 3: the plan, and the PostgreSQL rotation (dry run, or `--execute`).
fn rotate(case: &Case, args: RotateArgs) -> Result<ExitCode> {
    let RotateArgs {
        execute,
        admin_url,
        env_file,
        var,
        new_role,
        drop_old_role,
        json,
        ..
    } = args;
    let Some(repo) = case.meta.repo.clone().map(PathBuf::from) else {
        bail!(
            "the case names no source, so there is no inventory to plan from; open it with `warden incident open --repo PATH`"
        );
    };
    if case.is_closed()? {
        bail!(
            "the case is closed, so nothing done now could be journaled; open a new case to rotate"
        );
    }
    let env_files: Vec<PathBuf> = env_file.iter().cloned().collect();
    let inv = warden_incident::inventory::inventory(&repo, &env_files)?;
    let now = now_unix_nano();
    // The exposure began with the first anomalous call the scope found, else when the
    // case opened.
    let exposed = latest_scope(case)
        .ok()
        .and_then(|s| s["entry_point_detail"]["time"].as_str().map(str::to_string))
        .and_then(|t| time::parse_time(&t).ok())
        .unwrap_or(case.meta.opened_unix_nano);
    let plan = rotate::Plan::from_inventory(&inv, Some(exposed), now);
    let pg_step = plan
        .steps
        .iter()
        .find(|s| s.executable && (var.is_none() || var.as_deref() == Some(s.name.as_str())));
    let store = match (env_file, pg_step) {
        (Some(file), step) => {
            let Some(name) = var.clone().or_else(|| step.map(|s| s.name.clone())) else {
                bail!(
                    "--env-file given but no variable: add --var NAME (the one holding the postgres:// URL)"
                );
            };
            Some(warden_incident::secret_store::EnvFile::new(file, name))
        }
        (None, Some(step)) => step
            .found_in
            .iter()
            .find(|p| {
                std::path::Path::new(&p.path)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(".env"))
            })
            .map(|p| {
                warden_incident::secret_store::EnvFile::new(repo.join(&p.path), step.name.clone())
            }),
        (None, None) => None,
    };
    if !json {
        print!("{}", plan.render());
    }
    let mut summary = Map::new();
    summary.insert("dry_run".into(), json!(!execute));
    summary.insert(
        "plan".into(),
        json!(plan.steps.iter().map(|s| json!({"order": s.order, "name": s.name, "vendor": s.vendor_label, "executable": s.executable})).collect::<Vec<_>>()),
    );
    summary.insert("notify_vendors".into(), json!(plan.notify_vendors));
    let Some(store) = store else {
        if execute && plan.steps.iter().any(|s| s.executable) {
            bail!(
                "a PostgreSQL credential is in the plan but no env file holds it here: give --env-file FILE --var NAME (the file the service reads)"
            );
        }
        case.journal("rotate", summary)?;
        if json {
            println!("{}", serde_json::to_string_pretty(&plan)?);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let admin = match admin_url {
        Some(url) => pg::AdminConn::parse(&url)?,
        None => pg::AdminConn::from_env()?,
    };
    let opts = pg::RotateOptions {
        execute,
        new_role,
        keep_old_role: !drop_old_role,
        now_unix_nano: now,
    };
    // The outcome is printed before it is journaled: the database and the env file have
    // changed by then, and a journal that cannot be written must not hide what was done.
    match pg::rotate(&admin, &store, &opts) {
        Ok(done) => {
            // Every PostgreSQL credential in the plan must be rotated before the phase is
            // done; this run rotated the one in `store`.
            let others: Vec<&str> = plan
                .steps
                .iter()
                .filter(|s| s.executable && s.name != store.variable)
                .map(|s| s.name.as_str())
                .collect();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"plan": plan, "postgres": done}))?
                );
            } else {
                print_rotation(&done, &others);
            }
            let journaled = (|| -> Result<(), warden_incident::case::CaseError> {
                if execute {
                    pg::journal_steps(case, &done.steps)?;
                    let mut rotated = Map::new();
                    rotated.insert("vendor".into(), json!("PostgreSQL"));
                    rotated.insert("credential".into(), json!(store.variable));
                    rotated.insert("old_role".into(), json!(done.old_role));
                    rotated.insert("new_role".into(), json!(done.new_role));
                    rotated.insert("old_role_kept".into(), json!(done.keep_old_role));
                    case.journal("rotated", rotated)?;
                }
                summary.insert(
                    "postgres".into(),
                    json!({"old_role": done.old_role, "new_role": done.new_role, "env_file": done.env_file}),
                );
                summary.insert("still_to_rotate".into(), json!(others));
                case.journal("rotate", summary.clone())?;
                if execute && others.is_empty() {
                    summary.insert(
                        "checklists_pending".into(),
                        json!(plan.steps.iter().filter(|s| !s.executable).count()),
                    );
                    case.phase_done("rotate", summary.clone())?;
                }
                Ok(())
            })();
            if let Err(e) = journaled {
                bail!(
                    "the rotation above {} but could not be journaled: {e}; record it by hand with `warden incident note` (old role {}, new role {})",
                    if done.dry_run {
                        "ran (dry run)"
                    } else {
                        "WAS DONE"
                    },
                    done.old_role,
                    done.new_role
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(pg::RotateError::Failed(failure)) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&failure)?);
            } else {
                eprint!("{}", failure.render());
            }
            let mut details = Map::new();
            details.insert("failure".into(), serde_json::to_value(&failure)?);
            let journaled = pg::journal_steps(case, &failure.steps)
                .and_then(|_| case.journal("rotate_failed", details));
            if let Err(e) = journaled {
                eprintln!(
                    "warden: the failure above could not be journaled: {e}; record it by hand with `warden incident note`"
                );
            }
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

/// The rotation for people: the SQL, each step with what it verified, the notes.
fn print_rotation(done: &pg::Rotation, others: &[&str]) {
    println!(
        "\nPostgreSQL ({} -> {}){}:",
        done.old_role,
        done.new_role,
        if done.dry_run {
            ", DRY RUN: nothing changed; --execute runs it"
        } else {
            ""
        }
    );
    for line in &done.sql {
        println!("  [{}] {}", line.database, line.sql);
    }
    for step in &done.steps {
        println!("  [{}] {}", step.result, step.step.label());
        for v in &step.verified {
            println!("      verified: {v}");
        }
    }
    for n in &done.notes {
        println!("  note: {n}");
    }
    println!(
        "  the service {} {} from {}",
        if done.dry_run {
            "would read"
        } else {
            "now reads"
        },
        done.new_url,
        done.env_file
    );
    for o in others {
        println!(
            "  STILL TO ROTATE: {o} (`warden incident rotate --execute --var {o}`, with --env-file if it lives elsewhere)"
        );
    }
}

/// Uploads the sealed bag at `bag` with Object Lock and journals the outcome
/// (`app.preserve_uploaded`, or `app.preserve_upload_failed` — the bag stays, and some
/// objects may already be locked). `Ok(Ok((destination, custody head)))` when it went up,
/// `Ok(Err(why))` when the upload failed (said on stderr), `Err` when the target is
/// malformed or the journal cannot be written.
fn upload_bag(
    case: &Case,
    bag: &std::path::Path,
    to: &str,
    lock: &ObjectLock,
) -> anyhow::Result<Result<(String, String), String>> {
    let target = bundle::s3_target(to, lock.endpoint.as_deref())?;
    let mode = match lock.lock_mode {
        crate::log::LockArg::Compliance => bundle::LockMode::Compliance,
        crate::log::LockArg::Governance => bundle::LockMode::Governance,
    };
    let mut entry = Map::new();
    entry.insert("bundle".into(), json!(bag.display().to_string()));
    entry.insert("to".into(), json!(to));
    match bundle::upload(bag, &target, mode, lock.retain_days) {
        Ok(up) => {
            println!(
                "uploaded to {} ({} objects, {} until {})",
                up.destination,
                up.keys.len(),
                up.mode,
                up.retain_until_utc
            );
            entry.insert("uploaded".into(), json!(up.destination));
            entry.insert("objects".into(), json!(up.keys.len()));
            entry.insert("custody_head".into(), json!(up.custody_head));
            let index = case.journal("preserve_uploaded", entry)?;
            println!("(journaled as entry {index})");
            Ok(Ok((up.destination, up.custody_head)))
        }
        Err(e) => {
            // The bag is sealed locally; some objects may already be locked in the
            // bucket. Say so, keep the local bag, journal the failure.
            eprintln!(
                "warden: the bundle is sealed at {bag} but the upload to {to} failed: {e}\nObjects written before the failure stay locked (a retry leaves them as they are). Once the cause is fixed: warden incident upload-bundle {bag} --to {to}",
                bag = bag.display(),
            );
            entry.insert("error".into(), json!(e.to_string()));
            case.journal("preserve_upload_failed", entry)?;
            Ok(Err(e.to_string()))
        }
    }
}
