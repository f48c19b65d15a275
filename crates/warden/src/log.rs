//! `warden log …`: the tamper-evident audit log's commands (wiring over
//! `warden-ledger`).

use std::io::{BufRead, Write};

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use warden_ledger::export::{self, LockMode};
use warden_ledger::keys::{self, SigningKeyFile};
use warden_ledger::ledger::{DigestMode, InitOptions, SyncMode, now_unix_nano};
use warden_ledger::note::{Checkpoint, Note};
use warden_ledger::reader::LogFiles;
use warden_ledger::verify::{self, Status};
use warden_ledger::{Ledger, OpenOptions, Record, proof};

#[derive(Args)]
pub struct LogArgs {
    #[command(subcommand)]
    command: LogCommand,
}

#[derive(Subcommand)]
enum LogCommand {
    /// Make a checkpoint signing key pair (PREFIX.key, mode 0600, and PREFIX.pub).
    Keygen {
        /// The key name; by convention the log's origin, e.g. `audit.example.com/mcp`.
        #[arg(long)]
        name: String,
        /// Output path prefix.
        #[arg(long)]
        out: PathBuf,
    },
    /// Create a ledger in DIR.
    Init(InitArgs),
    /// Append records (JSON objects, one per line on stdin); prints each acknowledged
    /// index once it is durable.
    Append {
        dir: PathBuf,
        /// Truncate at damage instead of refusing to open (the loss is recorded).
        #[arg(long)]
        repair: bool,
        /// Signing key, if not where ledger.json says.
        #[arg(long)]
        signing_key: Option<PathBuf>,
        /// Argument key, if not where ledger.json says.
        #[arg(long)]
        args_key: Option<PathBuf>,
        /// Print nothing on stdout.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the last records, `<index> <canonical JSON>` per line.
    Tail {
        dir: PathBuf,
        #[arg(short = 'n', default_value_t = 10)]
        n: u64,
        /// Keep printing records as they are appended.
        #[arg(long, short)]
        follow: bool,
    },
    /// Print one record.
    Show { dir: PathBuf, index: u64 },
    /// Verify a ledger directory or an export bundle against trusted keys.
    Verify {
        /// A ledger directory or an exported bundle.
        path: PathBuf,
        /// Trusted verifier key (text, or a file holding it); repeatable.
        #[arg(long, required = true)]
        key: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write an inclusion proof (C2SP tlog-proof) for one record.
    Prove {
        dir: PathBuf,
        index: u64,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Write a consistency proof from an older signed checkpoint to the latest one.
    Consistency {
        dir: PathBuf,
        /// The older checkpoint (a signed note you kept).
        #[arg(long)]
        from: PathBuf,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Check a proof offline: an inclusion proof, or with --from a consistency proof.
    CheckProof {
        proof: PathBuf,
        #[arg(long, required = true)]
        key: Vec<String>,
        /// The older checkpoint a consistency proof starts from.
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// Sign a checkpoint of everything recorded now.
    Checkpoint { dir: PathBuf },
    /// Replace the checkpoint signing key: the old key signs a record naming the new one.
    /// Verifiers then need both keys.
    RotateKey {
        dir: PathBuf,
        /// The new signing key (from `warden log keygen`).
        #[arg(long)]
        new_key: PathBuf,
        /// Why (recorded in the ledger).
        #[arg(long, default_value = "scheduled rotation")]
        reason: String,
    },
    /// Export sealed segments, the covering checkpoint and a signed manifest.
    Export(ExportArgs),
}

#[derive(Args)]
struct InitArgs {
    dir: PathBuf,
    /// The log's identity (first line of its checkpoints).
    #[arg(long)]
    origin: Option<String>,
    /// Use this signing key (from `warden log keygen`) instead of generating one.
    #[arg(long)]
    signing_key: Option<PathBuf>,
    /// Segment size in bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    segment_bytes: u64,
    #[arg(long, value_enum, default_value_t = SyncArg::Group)]
    sync: SyncArg,
    #[arg(long, default_value_t = 10_000)]
    checkpoint_every: u64,
    #[arg(long, default_value_t = 1000)]
    checkpoint_interval_ms: u64,
    /// `sha256` stores brute-forceable digests: only for non-sensitive arguments.
    #[arg(long, value_enum, default_value_t = DigestArg::HmacSha256)]
    args_digest: DigestArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum SyncArg {
    Group,
    Every,
}

#[derive(Clone, Copy, ValueEnum)]
enum DigestArg {
    HmacSha256,
    Sha256,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LockArg {
    Compliance,
    Governance,
}

#[derive(Args)]
struct ExportArgs {
    dir: PathBuf,
    /// A directory, or s3://bucket/prefix.
    #[arg(long)]
    to: String,
    /// Object Lock mode for S3 exports.
    #[arg(long, value_enum, default_value_t = LockArg::Compliance)]
    lock_mode: LockArg,
    /// Object Lock retention for S3 exports, in days.
    #[arg(long, default_value_t = 365)]
    retain_days: u32,
    /// S3-compatible endpoint (default: AWS). Also AWS_ENDPOINT_URL.
    #[arg(long)]
    endpoint: Option<String>,
    #[arg(long)]
    signing_key: Option<PathBuf>,
}

pub fn run(args: LogArgs) -> Result<ExitCode> {
    match args.command {
        LogCommand::Keygen { name, out } => {
            let key = SigningKeyFile::generate(&name)?;
            let key_path = with_suffix(&out, "key");
            let pub_path = with_suffix(&out, "pub");
            keys::write_secret(&key_path, &key.encode())?;
            let vkey = key.signer()?.verifier_key();
            std::fs::write(&pub_path, format!("{vkey}\n"))
                .with_context(|| format!("cannot write {}", pub_path.display()))?;
            eprintln!(
                "warden: wrote {} (secret, mode 0600) and {}",
                key_path.display(),
                pub_path.display()
            );
            println!("{vkey}");
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Init(a) => {
            let opts = InitOptions {
                origin: a.origin,
                signing_key: a.signing_key,
                segment_bytes: a.segment_bytes,
                sync: match a.sync {
                    SyncArg::Group => SyncMode::Group,
                    SyncArg::Every => SyncMode::Every,
                },
                checkpoint_every: a.checkpoint_every,
                checkpoint_interval: Duration::from_millis(a.checkpoint_interval_ms),
                args_digest: match a.args_digest {
                    DigestArg::HmacSha256 => DigestMode::HmacSha256,
                    DigestArg::Sha256 => DigestMode::Sha256,
                },
            };
            let vkey = Ledger::init(&a.dir, &opts)?;
            let pub_path = a.dir.join("ledger.pub");
            std::fs::write(&pub_path, format!("{vkey}\n"))
                .with_context(|| format!("cannot write {}", pub_path.display()))?;
            eprintln!(
                "warden: created ledger {}; verifiers trust this key (also in {}):",
                a.dir.display(),
                pub_path.display()
            );
            println!("{vkey}");
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Append {
            dir,
            repair,
            signing_key,
            args_key,
            quiet,
        } => append(&dir, repair, signing_key, args_key, quiet),
        LogCommand::Tail { dir, n, follow } => tail(&dir, n, follow),
        LogCommand::Show { dir, index } => {
            let files = LogFiles::open(&dir)?;
            let bytes = files.record(index)?;
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("record {index} is not JSON"))?;
            let leaf = warden_ledger::merkle::leaf_hash(&bytes);
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "index": index,
                    "leaf_hash": warden_ledger::hmac::hex(&leaf),
                    "record": value,
                }))?
            );
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Verify { path, key, json } => {
            let trusted = verify::parse_keys(&read_keys(&key)?)?;
            let report = verify::verify(&path, &trusted)?;
            if json {
                let mut v = serde_json::to_value(&report)?;
                v["exit_code"] = report.exit_code().into();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let mut out = std::io::stdout().lock();
                for line in &report.lines {
                    let verdict = match &line.status {
                        Status::Valid => "valid".to_string(),
                        Status::Invalid(r) => format!("INVALID: {r}"),
                        Status::Warning(r) => format!("warning: {r}"),
                    };
                    let _ = writeln!(out, "{}: {verdict}", line.object);
                }
                let s = &report.summary;
                let _ = writeln!(
                    out,
                    "\nrange {}..{}: {} records verified; {}/{} segments valid; {}/{} checkpoints valid; signed up to {}; unsigned tail {}",
                    s.first_index,
                    s.end_index,
                    s.records_verified,
                    s.segments_valid,
                    s.segments_total,
                    s.checkpoints_valid,
                    s.checkpoints_total,
                    s.signed_size.map_or("nothing".into(), |n| n.to_string()),
                    s.unsigned_tail
                );
                let _ = writeln!(
                    out,
                    "{}",
                    match report.exit_code() {
                        0 => "result: valid",
                        3 => "result: valid with warnings",
                        _ => "result: INVALID",
                    }
                );
            }
            Ok(ExitCode::from(report.exit_code() as u8))
        }
        LogCommand::Prove { dir, index, output } => {
            let (note, cp) = latest_checkpoint(&dir)?;
            if index >= cp.size {
                bail!(
                    "record {index} is not covered by the latest signed checkpoint (size {}); run `warden log checkpoint {}` (or wait for the writer's next one) and retry",
                    cp.size,
                    dir.display()
                );
            }
            let files = LogFiles::open(&dir)?;
            let tree = files.tree()?;
            if tree.root_at(cp.size).ok() != Some(cp.root) {
                bail!(
                    "the records in {} do not produce the root its latest checkpoint signs; run `warden log verify` before proving anything",
                    dir.display()
                );
            }
            let record = files.record(index)?;
            let text = proof::inclusion(&tree, index, &record, &note, &cp)?;
            write_out(output.as_deref(), &text)
        }
        LogCommand::Consistency { dir, from, output } => {
            let old_text = std::fs::read_to_string(&from)
                .with_context(|| format!("cannot read the older checkpoint {}", from.display()))?;
            let old = Checkpoint::parse(&Note::parse(&old_text)?.text)?;
            let (note, cp) = latest_checkpoint(&dir)?;
            let tree = LogFiles::open(&dir)?.tree()?;
            let text = proof::consistency(&tree, old.size, &note, &cp)?;
            write_out(output.as_deref(), &text)
        }
        LogCommand::CheckProof {
            proof: p,
            key,
            from,
        } => {
            let trusted = verify::parse_keys(&read_keys(&key)?)?;
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let result = match &from {
                None => proof::check_inclusion(&text, &trusted).map(|inc| {
                    format!(
                        "valid: record {} is in {} at size {}\n{}",
                        inc.index,
                        inc.checkpoint.origin,
                        inc.checkpoint.size,
                        String::from_utf8_lossy(&inc.record)
                    )
                }),
                Some(old) => {
                    let old_text = std::fs::read_to_string(old)
                        .with_context(|| format!("cannot read {}", old.display()))?;
                    proof::check_consistency(&text, &old_text, &trusted).map(|(o, n)| {
                        format!(
                            "valid: {} at size {} extends the checkpoint at size {}",
                            n.origin, n.size, o.size
                        )
                    })
                }
            };
            match result {
                Ok(msg) => {
                    println!("{msg}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("INVALID: {e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        LogCommand::Checkpoint { dir } => {
            let ledger = Ledger::open(&dir, OpenOptions::default())?;
            let cp = ledger.close()?;
            println!("{}", cp.text().trim_end());
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::RotateKey {
            dir,
            new_key,
            reason,
        } => {
            let vkey = Ledger::rotate_key(&dir, &new_key, &reason)?;
            let pub_path = dir.join("ledger.pub");
            let old = std::fs::read_to_string(&pub_path).unwrap_or_default();
            std::fs::write(&pub_path, format!("{vkey}\n"))
                .with_context(|| format!("cannot write {}", pub_path.display()))?;
            eprintln!(
                "warden: {} now signs with the new key; verify with both keys: --key {} --key {}",
                dir.display(),
                old.trim(),
                vkey
            );
            println!("{vkey}");
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Export(a) => export_cmd(a),
    }
}

fn with_suffix(prefix: &Path, ext: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(format!(".{ext}"));
    PathBuf::from(s)
}

/// Keys given as text or as files holding the text.
fn read_keys(keys: &[String]) -> Result<Vec<String>> {
    keys.iter()
        .map(|k| warden_ledger::keys::verifier_key_arg(k).with_context(|| format!("--key {k}")))
        .collect()
}

fn latest_checkpoint(dir: &Path) -> Result<(String, Checkpoint)> {
    let path = dir.join(warden_ledger::ledger::CHECKPOINT_FILE);
    let note = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} has no signed checkpoint yet ({})",
            dir.display(),
            path.display()
        )
    })?;
    let cp = Checkpoint::parse(&Note::parse(&note)?.text)?;
    Ok((note, cp))
}

fn write_out(output: Option<&Path>, text: &str) -> Result<ExitCode> {
    match output {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Lines per group commit from `warden log append`: large enough to amortise the
/// `fdatasync`, small enough that a steady producer sees acknowledgements every few ms.
const MAX_BATCH: usize = 512;

/// Reads JSON lines, appending in batches: a batch ends when MAX_BATCH lines are queued or
/// when no more input is already buffered, so a pipe under load gets large batches and
/// an interactive writer gets its acknowledgement at once.
fn append(
    dir: &Path,
    repair: bool,
    signing_key: Option<PathBuf>,
    args_key: Option<PathBuf>,
    quiet: bool,
) -> Result<ExitCode> {
    let ledger = Ledger::open(
        dir,
        OpenOptions {
            repair,
            signing_key,
            args_key,
            faults: None,
        },
    )?;
    for r in &ledger.recovery().repairs {
        eprintln!(
            "warden: repaired on open: {}",
            serde_json::Value::Object(r.clone())
        );
    }
    // Our own buffer, so "is more input already here?" can be asked without blocking.
    let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let mut out = std::io::stdout().lock();
    let mut batch: Vec<warden_ledger::record::Canonical> = Vec::new();
    let mut line_no = 0u64;
    let mut line = String::new();
    let mut total = 0u64;
    let mut flush = |batch: &mut Vec<warden_ledger::record::Canonical>,
                     out: &mut std::io::StdoutLock|
     -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let range = ledger.append_canonical(batch)?;
        total += range.end - range.start;
        batch.clear();
        if !quiet {
            let mut text = String::new();
            for i in range {
                text.push_str(&i.to_string());
                text.push('\n');
            }
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
        Ok(())
    };
    loop {
        line.clear();
        let n = input.read_line(&mut line).context("cannot read stdin")?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let parsed = serde_json::from_str::<serde_json::Value>(trimmed)
                .map_err(|e| anyhow::anyhow!("not valid JSON: {e}"))
                .and_then(|v| {
                    let r = Record::from_producer(v, ledger.digester(), now_unix_nano())?;
                    Ok(r.canonical()?)
                });
            match parsed {
                Ok(r) => batch.push(r),
                Err(e) => {
                    flush(&mut batch, &mut out)?;
                    bail!(
                        "stdin line {line_no}: {e:#}; the {total} record(s) before it are durable, nothing from this line on was appended"
                    );
                }
            }
        }
        if batch.len() >= MAX_BATCH || input.buffer().is_empty() {
            flush(&mut batch, &mut out)?;
        }
    }
    flush(&mut batch, &mut out)?;
    ledger.close()?;
    eprintln!("warden: appended {total} record(s) to {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

fn tail(dir: &Path, n: u64, follow: bool) -> Result<ExitCode> {
    let files = LogFiles::open(dir)?;
    let mut end = files.for_each(0, |_, _| {})?;
    let mut from = end.saturating_sub(n);
    let mut out = std::io::stdout().lock();
    loop {
        let files = LogFiles::open(dir)?;
        end = files.for_each(from, |i, p| {
            let _ = writeln!(out, "{i} {}", String::from_utf8_lossy(p));
        })?;
        let _ = out.flush();
        if !follow {
            return Ok(ExitCode::SUCCESS);
        }
        from = end;
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn export_cmd(a: ExportArgs) -> Result<ExitCode> {
    let bundle = export::build(&a.dir, a.signing_key.as_deref())?;
    let range = format!(
        "records {}..{}",
        bundle.manifest.first_index, bundle.manifest.end_index
    );
    if let Some(rest) = a.to.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            bail!("--to {}: no bucket name; use s3://BUCKET/PREFIX", a.to);
        }
        let mode = match a.lock_mode {
            LockArg::Compliance => LockMode::Compliance,
            LockArg::Governance => LockMode::Governance,
        };
        let until = i64::try_from(now_unix_nano() / 1_000_000_000).unwrap_or(i64::MAX)
            + i64::from(a.retain_days) * 86_400;
        let destination = format!("s3://{bucket}/{prefix}");
        let state = export::read_state(&a.dir)?;
        let previous = state
            .retention
            .iter()
            .find(|r| r.destination == destination)
            .map(|r| (r.mode, r.retain_until_unix));
        export::check_retention(previous, (mode, until)).map_err(|e| {
            anyhow::anyhow!("{e} (previous exports to {destination} used a stronger lock)")
        })?;
        let target = warden_s3::Target {
            bucket: bucket.to_string(),
            prefix: prefix.trim_end_matches('/').to_string(),
            endpoint: a.endpoint.clone(),
        };
        let keys = warden_s3::upload(&target, &bundle, mode, until)?;
        export::commit(
            &a.dir,
            &bundle,
            Some(export::Retention {
                destination,
                mode,
                retain_until_unix: until,
            }),
        )?;
        eprintln!(
            "warden: exported {range} to s3://{bucket}/{} ({} objects, {} until {until})",
            keys.first().map(String::as_str).unwrap_or_default(),
            keys.len(),
            mode.as_str()
        );
    } else {
        let root = export::write_local(Path::new(&a.to), &bundle)?;
        export::commit(&a.dir, &bundle, None)?;
        eprintln!("warden: exported {range} to {} (read-only)", root.display());
        println!("{}", root.display());
    }
    Ok(ExitCode::SUCCESS)
}
