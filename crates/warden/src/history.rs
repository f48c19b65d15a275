//! `warden scan --save`, `warden history` and `warden diff`: wiring over
//! `warden_history` (the store, the deltas, drift).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use warden_core::Severity;
use warden_history::diff::{Diff, diff};
use warden_history::drift::{Drift, DriftOptions, drift};
use warden_history::model::SavedScan;
use warden_history::store::{Store, StoreSpec};
use warden_scan::ScanReport;

/// Where the history is kept.
#[derive(Args, Clone)]
pub struct StoreArg {
    /// The history store: a SQLite file, or postgres://… (default: $WARDEN_STORE, else
    /// history.sqlite in the user's data directory).
    #[arg(long, env = "WARDEN_STORE", value_name = "STORE")]
    store: Option<String>,
}

impl StoreArg {
    /// The store as given (`--store` or `WARDEN_STORE`), if any.
    pub fn spec(&self) -> Option<&str> {
        self.store.as_deref()
    }

    fn open(&self) -> Result<Store> {
        let spec = StoreSpec::parse(self.store.as_deref())?;
        Ok(Store::open(&spec)?)
    }
}

/// The saved scans of the repository at `path`, for `warden readiness`; `None` when
/// there is no store to ask. A SQLite store that does not exist is not created (a
/// checklist must not leave files behind).
pub fn saved_scans(
    path: &Path,
    store: &StoreArg,
) -> Option<warden_incident::readiness::SavedScans> {
    let spec = StoreSpec::parse(store.store.as_deref()).ok()?;
    if let StoreSpec::Sqlite(file) = &spec
        && !file.exists()
    {
        return None;
    }
    let store = Store::open_existing(&spec).ok()?;
    let key = warden_history::target::identify(path).ok()?.key;
    let scans = store.list(Some(&key)).ok()?;
    Some(warden_incident::readiness::SavedScans {
        store: store.name().to_string(),
        count: scans.len(),
        last_unix_nano: scans.last().map(|s| s.time_unix_nano),
    })
}

/// Drift settings and the gates shared by `scan --save`, `history` and `diff`.
#[derive(Args, Clone)]
pub struct Gates {
    /// Drift: look at the last N comparable scans.
    #[arg(long, default_value_t = 5, value_name = "N")]
    drift_window: usize,
    /// Drift: points an axis must lose across the window.
    #[arg(long, default_value_t = 5, value_name = "POINTS")]
    drift_threshold: u8,
    /// Fail (exit 1) when an axis is drifting down, even if the grade holds.
    #[arg(long)]
    fail_on_drift: bool,
    /// Fail (exit 1) when a finding new since the previous scan is at or above this
    /// severity (a finding silenced in the same change counts as new).
    #[arg(long, value_name = "SEVERITY")]
    fail_on_new: Option<Severity>,
    /// For `scan --save`: compare with the latest scan of this branch (a pull request's
    /// base) instead of the previous scan; scans of the same commit never count.
    #[arg(long, value_name = "BRANCH")]
    baseline_branch: Option<String>,
}

impl Gates {
    /// Whether a gate needs the saved history.
    pub fn needs_history(&self) -> bool {
        self.fail_on_drift || self.fail_on_new.is_some()
    }

    fn drift_options(&self) -> DriftOptions {
        DriftOptions {
            window: self.drift_window,
            threshold: self.drift_threshold,
        }
    }

    /// The gate failures for `diff` (new findings) and `drifts`.
    fn failures(&self, diff: Option<&Diff>, drifts: &[Drift]) -> Vec<String> {
        let mut failed = Vec::new();
        if let (Some(min), Some(d)) = (self.fail_on_new, diff) {
            // Silencing a finding in the same change is not fixing it.
            let n = d
                .new
                .iter()
                .chain(&d.newly_suppressed)
                .filter(|f| f.severity.parse::<Severity>().is_ok_and(|s| s >= min))
                .count();
            if n > 0 {
                failed.push(format!(
                    "{n} new finding(s) at or above severity {min} since scan #{}",
                    d.older.id.map_or("?".into(), |i| i.to_string())
                ));
            }
        }
        if self.fail_on_drift && !drifts.is_empty() {
            failed.push(format!(
                "drift on {}",
                drifts
                    .iter()
                    .map(|d| format!("{} ({} -> {})", d.axis, d.from, d.to))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        failed
    }
}

fn exit(failed: &[String]) -> ExitCode {
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("warden: gate failed: {}", failed.join("; "));
        ExitCode::from(1)
    }
}

/// Drift over the listing of `key` up to (and including) scan `upto`.
fn drift_of(store: &Store, key: &str, upto: Option<i64>, opts: DriftOptions) -> Result<Vec<Drift>> {
    let list = store.list(Some(key))?;
    let end = upto
        .and_then(|id| list.iter().position(|s| s.id == id))
        .map_or(list.len(), |i| i + 1);
    let scans: Vec<SavedScan> = list[..end].iter().map(|s| s.to_scan()).collect();
    Ok(drift(&scans, opts))
}

/// A `--target`: a path (its identity's key) or a key as the store lists it.
fn target_key(store: &Store, target: Option<&str>) -> Result<Option<String>> {
    let Some(t) = target else {
        return Ok(None);
    };
    if Path::new(t).exists() {
        return Ok(Some(warden_history::target::identify(Path::new(t))?.key));
    }
    let known = store.targets()?;
    if known.iter().any(|k| k == t) {
        return Ok(Some(t.to_string()));
    }
    bail!(
        "`{t}` is neither a path nor a target in the store; the store holds: {}",
        if known.is_empty() {
            "nothing yet (`warden scan PATH --save`)".to_string()
        } else {
            known.join(", ")
        }
    )
}

/// The one target of the store, when `--target` is not given.
fn only_target(store: &Store, given: Option<String>) -> Result<String> {
    if let Some(k) = given {
        return Ok(k);
    }
    let known = store.targets()?;
    match known.as_slice() {
        [] => bail!(
            "the store {} holds no scans yet: `warden scan PATH --save` keeps one",
            store.name()
        ),
        [one] => Ok(one.clone()),
        _ => bail!(
            "the store holds scans of {} targets; pick one with --target: {}",
            known.len(),
            known.join(", ")
        ),
    }
}

/// `warden scan --save`: keeps the scan, then applies the history gates.
pub fn save(
    report: &ScanReport,
    path: &Path,
    store: &StoreArg,
    gates: &Gates,
) -> Result<Vec<String>> {
    let mut store = store.open()?;
    let target = warden_history::target::identify(path)?;
    let value = serde_json::to_value(report)?;
    let scan = warden_history::convert::from_report(
        &value,
        target.clone(),
        warden_ledger::ledger::now_unix_nano(),
    )?;
    let id = store.save(&scan)?;
    eprintln!(
        "warden: saved as scan #{id} of {} in {}{}",
        warden_history::text::printable(&target.key),
        store.name(),
        match (&target.commit, target.dirty) {
            (Some(c), Some(true)) => format!(" (commit {}, with uncommitted changes)", short(c)),
            (Some(c), None) => format!(" (commit {}, working tree state unknown)", short(c)),
            (Some(c), Some(false)) => format!(" (commit {})", short(c)),
            (None, _) => " (not a git repository: no commit recorded)".to_string(),
        }
    );
    // The baseline: the scan saved before this one (by position of the id just saved,
    // not by clock), or the latest of --baseline-branch; never a scan of this same
    // commit (a rerun, or the push and pull-request runs of one commit).
    let list = store.list(Some(&target.key))?;
    let here = list.iter().position(|s| s.id == id).unwrap_or(list.len());
    let baseline = list[..here].iter().rev().find(|s| {
        let other_commit = target.commit.is_none() || s.commit != target.commit;
        let on_branch = gates
            .baseline_branch
            .as_ref()
            .is_none_or(|b| s.branch.as_deref() == Some(b.as_str()));
        other_commit && on_branch
    });
    if let (Some(b), None) = (&gates.baseline_branch, baseline)
        && gates.fail_on_new.is_some()
    {
        eprintln!(
            "warden: no earlier scan of branch `{b}` at another commit in the store: nothing to compare with; save a scan of `{b}` first (e.g. on push to it)"
        );
    }
    let delta = match baseline {
        Some(b) => Some(diff(&store.load(b.id)?, &scan_with_id(scan, id))?),
        None => None,
    };
    let drifts = drift_of(&store, &target.key, Some(id), gates.drift_options())?;
    for d in &drifts {
        eprintln!(
            "warden: drift: {}",
            warden_history::text::printable(&d.message)
        );
    }
    Ok(gates.failures(delta.as_ref(), &drifts))
}

fn scan_with_id(mut scan: SavedScan, id: i64) -> SavedScan {
    scan.id = Some(id);
    scan
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// `warden history`.
#[derive(Args)]
pub struct HistoryArgs {
    /// The target: a path, or a target key as the store lists it (default: the only
    /// one in the store).
    target: Option<String>,
    #[command(flatten)]
    store: StoreArg,
    #[command(flatten)]
    gates: Gates,
    #[arg(long)]
    json: bool,
}

pub fn history(a: HistoryArgs) -> Result<ExitCode> {
    let store = a.store.open()?;
    let key = only_target(&store, target_key(&store, a.target.as_deref())?)?;
    // The table, the chart and drift read grades only: no need to load every report.
    let scans: Vec<SavedScan> = store
        .list(Some(&key))?
        .iter()
        .map(|s| s.to_scan())
        .collect();
    let drifts = drift(&scans, a.gates.drift_options());
    let out = if a.json {
        serde_json::to_string_pretty(&serde_json::json!({
            "target": key,
            "scans": store.list(Some(&key))?,
            "drift": drifts,
        }))? + "\n"
    } else {
        let color = std::io::IsTerminal::is_terminal(&std::io::stdout())
            && std::env::var_os("NO_COLOR").is_none();
        let mut out = warden_history::history::render_history(&scans, color);
        for d in &drifts {
            out.push_str(&format!("drift: {}\n", d.message));
        }
        out
    };
    crate::emit(None, &out)?;
    Ok(exit(&a.gates.failures(None, &drifts)))
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
    Json,
}

/// `warden diff`.
#[derive(Args)]
pub struct DiffArgs {
    /// The older scan: an id, a commit (or prefix), a date, `latest` or `previous`
    /// (default: previous).
    a: Option<String>,
    /// The newer scan (default: latest).
    b: Option<String>,
    /// Compare the scan at or before this date (or RFC 3339 time) with the latest.
    #[arg(long, conflicts_with = "a")]
    since: Option<String>,
    /// The target: a path or a target key (needed when the store holds several).
    #[arg(long)]
    target: Option<String>,
    #[command(flatten)]
    store: StoreArg,
    #[command(flatten)]
    gates: Gates,
    #[arg(long, value_enum, default_value = "text")]
    format: DiffFormat,
}

pub fn diff_command(a: DiffArgs) -> Result<ExitCode> {
    let store = a.store.open()?;
    let given = target_key(&store, a.target.as_deref())?;
    let older = a.since.as_deref().or(a.a.as_deref()).unwrap_or("previous");
    let newer = a.b.as_deref().unwrap_or("latest");
    // A scan id names its target; other selectors need one.
    let key = if older.parse::<i64>().is_ok() && newer.parse::<i64>().is_ok() {
        given
    } else {
        Some(only_target(&store, given)?)
    };
    let old_id = store
        .resolve(older, key.as_deref())
        .with_context(|| format!("the older scan `{older}`"))?;
    let new_id = store
        .resolve(newer, key.as_deref())
        .with_context(|| format!("the newer scan `{newer}`"))?;
    if old_id == new_id {
        bail!(
            "`{older}` and `{newer}` are the same scan (#{old_id}); the history needs two scans to compare (`warden history` lists them)"
        );
    }
    let (old, new) = (store.load(old_id)?, store.load(new_id)?);
    let (old, new) = if old.time_unix_nano <= new.time_unix_nano {
        (old, new)
    } else {
        (new, old)
    };
    let d = diff(&old, &new)?;
    let drifts = drift_of(&store, &new.target.key, None, a.gates.drift_options())?;
    let mut out = match a.format {
        DiffFormat::Text => d.render_text(),
        DiffFormat::Markdown => d.render_markdown(),
        DiffFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({"diff": d, "drift": drifts}))? + "\n"
        }
    };
    if !matches!(a.format, DiffFormat::Json) {
        for dr in &drifts {
            out.push_str(&format!("drift: {}\n", dr.message));
        }
    }
    crate::emit(None, &out)?;
    Ok(exit(&a.gates.failures(Some(&d), &drifts)))
}

/// `warden scan PATH --against SCAN`: the comparison, as text or JSON.
pub fn against(
    report: &ScanReport,
    path: &Path,
    selector: &str,
    store: &StoreArg,
    json: bool,
) -> Result<String> {
    let store = store.open()?;
    let target = warden_history::target::identify(path)?;
    let id = store
        .resolve(selector, Some(&target.key))
        .with_context(|| format!("the baseline scan `{selector}` of {}", target.key))?;
    let baseline = store.load(id)?;
    let now = warden_history::convert::from_report(
        &serde_json::to_value(report)?,
        target,
        warden_ledger::ledger::now_unix_nano(),
    )?;
    let changes = match &baseline.target.commit {
        Some(c) => warden_history::target::changes_since(path, c)?,
        None => warden_history::target::Changes::default(),
    };
    let mut tool_files: Vec<(String, String)> = Vec::new();
    for t in &report.tools {
        tool_files.push((t.name.clone(), t.location.path.clone()));
        if let Some(h) = &t.handler {
            tool_files.push((t.name.clone(), h.path.clone()));
        }
    }
    let cmp = warden_history::against::against(&baseline, &now, &changes, &tool_files)?;
    Ok(if json {
        serde_json::to_string_pretty(&cmp)? + "\n"
    } else {
        cmp.render_text()
    })
}
