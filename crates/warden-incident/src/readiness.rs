//! The readiness check (`warden readiness PATH [--ledger DIR]`): the playbook's
//! checklist answered for one server, before anything has happened.
//!
//! Seven checks, each decided from evidence found in the repository, the proxy's ledger,
//! incident case journals (rehearsals count) and the readiness answers file
//! (`warden-readiness.toml`), never assumed. Each comes out as pass, fail or unknown,
//! with what was found and where, and how to fix it; the weighted passes make a score
//! out of 100. See the "Readiness" section of `docs/playbook.md` for the rules, the
//! weights and the answers file format.
//!
//! Values of credentials are never read into the report: the inventory comparison uses
//! names and fingerprints only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use warden_ledger::reader::LogFiles;
use warden_ledger::record::Record;
use warden_ledger::verify;
use warden_scan::walk;

use crate::case::Case;
use crate::inventory::{self, Inventory};
use crate::vendor::Vendor;

/// The answers file looked for in the repository when none is given.
pub const ANSWERS_FILE: &str = "warden-readiness.toml";
/// The kept inventory files looked for in the repository, in order.
pub const INVENTORY_FILES: &[&str] = &["warden-inventory.json", "warden-inventory.md"];

/// How many points each check is worth (they add up to 100). The audit log and the
/// inventory weigh most: without them the first 30 minutes of an incident cannot be done
/// at all (no scope, no rotation plan); rehearsals come next, because an untested
/// rotation or fence is where the playbook's timeline slips.
pub const WEIGHTS: &[(&str, u32)] = &[
    ("audit_log", 25),
    ("credential_inventory", 20),
    ("rotation_rehearsed", 15),
    ("isolation_tested", 15),
    ("log_retention", 10),
    ("contact_list", 10),
    ("scan_history", 5),
];

const NANOS_PER_DAY: u64 = 86_400 * 1_000_000_000;
/// Default window in which every tool must appear in the ledger.
pub const AUDIT_WINDOW_DAYS: u64 = 30;
/// A ledger whose newest record is older than this is no longer being written.
pub const LEDGER_IDLE_DAYS: u64 = 7;
/// A rehearsal (rotation or isolation) older than this no longer counts.
pub const REHEARSAL_DAYS: u64 = 180;
/// Downstream logs must be kept at least this long.
pub const RETENTION_DAYS: u64 = 30;

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct ReadinessInput {
    /// The server's repository.
    pub repo: PathBuf,
    /// The proxy's ledger, when the server runs behind `warden proxy`.
    pub ledger: Option<PathBuf>,
    /// The ledger's trusted verifier key (C2SP text, or a file holding it). Default:
    /// `LEDGER/ledger.pub`, else the keys in `LEDGER/ledger.json` (weaker: a key kept
    /// next to the log proves less than one kept elsewhere; the evidence says which).
    pub ledger_key: Option<String>,
    /// Incident case directories (rehearsals count), beyond those the answers file lists
    /// and the `incident*/` directories of the repository.
    pub cases: Vec<PathBuf>,
    /// The answers file; default: `REPO/warden-readiness.toml` when it exists.
    pub answers: Option<PathBuf>,
    /// "Now", for the age of records and rehearsals.
    pub now_unix_nano: u64,
    /// What the scan history store holds for this repository, when the caller looked
    /// (the CLI asks `warden-history`'s store; this crate does not open it).
    pub saved_scans: Option<SavedScans>,
}

/// Saved scans of the repository in a history store (`warden scan --save`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedScans {
    /// The store, as shown to people (path, or URL without password).
    pub store: String,
    /// Scans of this repository's target in it.
    pub count: usize,
    /// When the newest was taken.
    pub last_unix_nano: Option<u64>,
}

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The evidence shows the item is in place.
    Pass,
    /// The evidence shows it is missing, stale or broken.
    Fail,
    /// Nothing the check can read says either way: the question shows what to answer.
    Unknown,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Unknown => "unknown",
        }
    }
}

/// One item of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable identifier (`audit_log`, `credential_inventory`, ...).
    pub id: &'static str,
    /// The checklist item, for people.
    pub title: &'static str,
    /// Pass, fail or unknown.
    pub status: Status,
    /// What was found, and where.
    pub evidence: String,
    /// How to fix it, with concrete commands (empty on a clean pass).
    pub fix: String,
    /// For an unknown: the question whose answer decides it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// What the check is worth, and what it scored.
    pub weight: u32,
    pub points: u32,
}

/// The checklist answered.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    /// The repository checked.
    pub repo: String,
    /// The answers file read, if any.
    pub answers: Option<String>,
    /// The seven checks, in the order of [`WEIGHTS`].
    pub checks: Vec<Check>,
    /// The sum of the points of the checks that pass, 0-100.
    pub score: u32,
    /// `ready` (≥ 90), `partly ready` (≥ 60) or `not ready`.
    pub grade: &'static str,
    /// One line: the score and the counts.
    pub summary: String,
}

/// Why the check could not run (as opposed to a check that fails).
#[derive(Debug, thiserror::Error)]
pub enum ReadinessError {
    /// The repository is not a directory.
    #[error("{path}: no such directory; pass the server's repository")]
    Repo { path: String },
    /// The answers file given cannot be read.
    #[error("cannot read the answers file {path}: {why}; pass an existing file or leave it out")]
    AnswersUnreadable { path: String, why: String },
    /// The answers file is not valid: where, the key, and what is expected.
    #[error(
        "answers file {path}, line {line} (`{key}`): {why}; see \"The answers file\" in docs/playbook.md"
    )]
    Answers {
        path: String,
        line: usize,
        key: String,
        why: String,
    },
    /// The ledger given is not a ledger, or cannot be read.
    #[error(
        "ledger {path}: {why}; pass the proxy's ledger directory (the one `warden log init` made)"
    )]
    Ledger { path: String, why: String },
    /// The verifier key given is not one.
    #[error("the ledger's verifier key: {0}; pass the key text or the ledger.pub file")]
    Key(String),
    /// A case directory given explicitly is not a case.
    #[error("case {path}: {why}; pass a directory made by `warden incident open`")]
    Case { path: String, why: String },
    /// The scanner could not run over the repository.
    #[error("scanning {path} for its tools: {why}")]
    Scan { path: String, why: String },
    /// The inventory could not be made.
    #[error("the credential inventory of {path}: {why}")]
    Inventory { path: String, why: String },
}

/// The readiness answers file: what the repository cannot show. Unknown keys are
/// refused, so a typo does not silently leave a check unanswered.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// The kept inventory (`warden inventory --format json` output), when it is not
    /// `warden-inventory.json` at the repository's root.
    pub inventory: Option<PathBuf>,
    /// Incident case directories: rehearsals of rotation and isolation.
    #[serde(default)]
    pub cases: Vec<PathBuf>,
    /// How many days the server's downstream logs are kept.
    pub log_retention_days: Option<u64>,
    /// Where they are kept (a log service, a bucket).
    pub log_location: Option<String>,
    /// Where scans are kept (the `warden scan --save` history store).
    pub scan_history: Option<PathBuf>,
    /// The window in which every tool must appear in the ledger (default 30 days).
    pub audit_window_days: Option<u64>,
    /// Who to call.
    #[serde(default)]
    pub contacts: Vec<Contact>,
}

/// One person or desk on the contact list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// What they do in an incident.
    pub role: Role,
    /// Who they are (a person, or a desk).
    pub name: String,
    /// How to reach them: phone, e-mail, pager, a support URL.
    pub reach: String,
    /// For a vendor contact: the vendor (as the inventory names it: Stripe, GitHub, ...).
    pub vendor: Option<String>,
}

/// A contact's role in an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// `incident-lead`: runs the 60 minutes; the check needs one.
    IncidentLead,
    /// `vendor`: a credential vendor's security or support desk (with `vendor`).
    Vendor,
    /// `counsel`: for notification duties.
    Counsel,
    /// `other`: anyone else worth calling.
    Other,
}

impl Answers {
    /// Reads and checks the answers file at `path`.
    pub fn load(path: &Path) -> Result<Answers, ReadinessError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ReadinessError::AnswersUnreadable {
                path: path.display().to_string(),
                why: e.to_string(),
            })?;
        Answers::parse(&text, path)
    }

    /// Parses answers `text` (read from `path`, named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Answers, ReadinessError> {
        toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start).min(text.len());
            let line = text.get(..at).map_or(0, |t| t.matches('\n').count()) + 1;
            let line_text = text.lines().nth(line - 1).unwrap_or_default().trim();
            // The key the line sets (or the table it opens): what the reader has to edit.
            let key = match line_text.split_once('=') {
                Some((k, _)) => k.trim().to_string(),
                None => line_text.to_string(),
            };
            ReadinessError::Answers {
                path: path.display().to_string(),
                line,
                key,
                why: e.message().trim().to_string(),
            }
        })
    }
}

/// Answers the checklist for the server in `input.repo`.
pub fn readiness(input: &ReadinessInput) -> Result<Readiness, ReadinessError> {
    let repo = &input.repo;
    if !repo.is_dir() {
        return Err(ReadinessError::Repo {
            path: repo.display().to_string(),
        });
    }
    let answers_path = match &input.answers {
        Some(p) => Some(p.clone()),
        None => Some(repo.join(ANSWERS_FILE)).filter(|p| p.is_file()),
    };
    let answers = match &answers_path {
        Some(p) => Answers::load(p)?,
        None => Answers::default(),
    };
    // Paths in the answers file are relative to the file itself.
    let answers_dir = answers_path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| repo.clone());
    let files = RepoFiles::collect(repo);
    let fresh = inventory::inventory(repo, &[]).map_err(|e| ReadinessError::Inventory {
        path: repo.display().to_string(),
        why: e.to_string(),
    })?;
    let ledger = match &input.ledger {
        Some(dir) => Some(read_ledger(dir, input.ledger_key.as_deref())?),
        None => None,
    };
    let cases = read_cases(input, &answers, &answers_dir)?;
    let now = input.now_unix_nano;

    let mut checks = vec![
        audit_log(input, &answers, &files, ledger.as_ref())?,
        credential_inventory(repo, &answers, &answers_dir, &fresh),
        rotation_rehearsed(&cases, now),
        isolation_tested(&cases, ledger.as_ref(), now),
        log_retention(&answers, &files),
        contact_list(&answers, &files, &fresh),
        scan_history(
            repo,
            &answers,
            &answers_dir,
            &files,
            input.saved_scans.as_ref(),
        ),
    ];
    let mut score = 0;
    for c in &mut checks {
        c.weight = weight(c.id);
        c.points = if c.status == Status::Pass {
            c.weight
        } else {
            0
        };
        score += c.points;
    }
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    let grade = grade(score);
    let summary = format!(
        "score {score}/100 ({grade}): {} pass, {} fail, {} unknown",
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Unknown)
    );
    Ok(Readiness {
        repo: repo.display().to_string(),
        answers: answers_path.map(|p| p.display().to_string()),
        checks,
        score,
        grade,
        summary,
    })
}

/// The weight of check `id` (0 for an id not in [`WEIGHTS`]).
pub fn weight(id: &str) -> u32 {
    WEIGHTS
        .iter()
        .find(|(i, _)| *i == id)
        .map_or(0, |(_, w)| *w)
}

/// The grade for a score.
pub fn grade(score: u32) -> &'static str {
    match score {
        90.. => "ready",
        60.. => "partly ready",
        _ => "not ready",
    }
}

fn check(id: &'static str, title: &'static str, status: Status) -> Check {
    Check {
        id,
        title,
        status,
        evidence: String::new(),
        fix: String::new(),
        question: None,
        weight: 0,
        points: 0,
    }
}

// ---------------------------------------------------------------------------------------
// What is read once and shared by the checks.

/// The repository files the checks look at, by what they can tell (relative path, text).
#[derive(Default)]
struct RepoFiles {
    /// MCP client configs, compose files, Procfiles, systemd units, package.json,
    /// Dockerfiles: where a `warden proxy` command would show.
    launch: Vec<(String, String)>,
    /// docker-compose / compose files (also in `launch`).
    compose: Vec<(String, String)>,
    /// journald.conf drop-ins and logrotate files.
    log_config: Vec<(String, String)>,
    /// CI configuration.
    ci: Vec<(String, String)>,
    /// SECURITY.md, security.txt.
    security: Vec<(String, String)>,
}

impl RepoFiles {
    fn collect(root: &Path) -> RepoFiles {
        let mut out = RepoFiles::default();
        for entry in walk::walker(root).flatten() {
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let rel = walk::relative(root, entry.path());
            let name = rel.rsplit('/').next().unwrap_or(&rel).to_string();
            let lower = name.to_ascii_lowercase();
            let is_compose = (lower.starts_with("docker-compose") || lower.starts_with("compose"))
                && (lower.ends_with(".yml") || lower.ends_with(".yaml"));
            let is_launch = is_compose
                || matches!(
                    lower.as_str(),
                    ".mcp.json"
                        | "mcp.json"
                        | "claude_desktop_config.json"
                        | "procfile"
                        | "package.json"
                        | "dockerfile"
                        | "containerfile"
                )
                || lower.ends_with(".service")
                || lower.ends_with(".dockerfile");
            let is_log_config = lower == "journald.conf"
                || (rel.contains("journald.conf.d/") && lower.ends_with(".conf"))
                || rel.contains("logrotate")
                || lower == "logrotate.conf";
            let is_ci = (rel.starts_with(".github/workflows/")
                && (lower.ends_with(".yml") || lower.ends_with(".yaml")))
                || lower == ".gitlab-ci.yml"
                || rel.starts_with(".circleci/");
            let is_security = lower == "security.md" || rel.ends_with(".well-known/security.txt");
            if !(is_launch || is_log_config || is_ci || is_security) {
                continue;
            }
            if entry
                .metadata()
                .is_ok_and(|m| m.len() > walk::MAX_FILE_BYTES)
            {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            if is_compose {
                out.compose.push((rel.clone(), text.clone()));
            }
            if is_launch {
                out.launch.push((rel.clone(), text.clone()));
            }
            if is_log_config {
                out.log_config.push((rel.clone(), text.clone()));
            }
            if is_ci {
                out.ci.push((rel.clone(), text.clone()));
            }
            if is_security {
                out.security.push((rel, text));
            }
        }
        out
    }
}

/// What the ledger says, read once.
struct LedgerFacts {
    path: String,
    /// Where the trusted key came from.
    key_source: String,
    /// `None` when it verifies (warnings included), else the problems.
    failed: Option<Vec<String>>,
    warnings: Vec<String>,
    records: u64,
    /// Each tool's newest `tool.result`.
    tools: BTreeMap<String, u64>,
    newest_record: Option<u64>,
    /// The newest `admin.fence`.
    newest_fence: Option<u64>,
}

fn read_ledger(dir: &Path, key: Option<&str>) -> Result<LedgerFacts, ReadinessError> {
    let path = dir.display().to_string();
    let ledger_err = |why: String| ReadinessError::Ledger {
        path: path.clone(),
        why,
    };
    let (keys, key_source) = match key {
        Some(k) => {
            let text = warden_ledger::keys::verifier_key_arg(k)
                .map_err(|e| ReadinessError::Key(e.to_string()))?;
            let source = if Path::new(k).is_file() {
                format!("the key in {k}")
            } else {
                "the key given".to_string()
            };
            (vec![text], source)
        }
        None => {
            let file = dir.join("ledger.pub");
            match std::fs::read_to_string(&file) {
                Ok(text) => (
                    vec![text.trim().to_string()],
                    format!("the key in {}", file.display()),
                ),
                Err(_) => {
                    let config = warden_ledger::Ledger::read_config(dir)
                        .map_err(|e| ledger_err(e.to_string()))?;
                    let mut keys = vec![config.verifier_key];
                    keys.extend(config.previous_verifier_keys);
                    (
                        keys,
                        "the keys in its own ledger.json (no ledger.pub; a key kept apart from the log proves more)"
                            .to_string(),
                    )
                }
            }
        }
    };
    let trusted = verify::parse_keys(&keys).map_err(|e| ReadinessError::Key(e.to_string()))?;
    let report = verify::verify(dir, &trusted).map_err(|e| ledger_err(e.to_string()))?;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for l in &report.lines {
        match &l.status {
            verify::Status::Invalid(why) => problems.push(format!("{}: {why}", l.object)),
            verify::Status::Warning(why) => warnings.push(format!("{}: {why}", l.object)),
            verify::Status::Valid => {}
        }
    }
    let failed = (report.exit_code() == 1).then_some(problems);
    // A ledger that fails verification is read only as far as a valid checkpoint
    // covers: what follows cannot be trusted as evidence.
    let limit = match failed {
        Some(_) => report.summary.signed_size.unwrap_or(0),
        None => u64::MAX,
    };
    let files = LogFiles::open(dir).map_err(|e| ledger_err(e.to_string()))?;
    let mut facts = LedgerFacts {
        path,
        key_source,
        failed,
        warnings,
        records: 0,
        tools: BTreeMap::new(),
        newest_record: None,
        newest_fence: None,
    };
    for item in files.records(0) {
        let Ok((index, bytes)) = item else { break };
        if index >= limit {
            break;
        }
        facts.records += 1;
        let Ok(record) = serde_json::from_slice::<Record>(&bytes) else {
            continue;
        };
        let t = record.time_unix_nano;
        facts.newest_record = facts.newest_record.max(Some(t));
        match record.kind.as_str() {
            "tool.result" => {
                if let Some(name) = record.tool_name {
                    let newest = facts.tools.entry(name).or_insert(t);
                    *newest = (*newest).max(t);
                }
            }
            "admin.fence" => facts.newest_fence = facts.newest_fence.max(Some(t)),
            _ => {}
        }
    }
    Ok(facts)
}

/// What one case's journal shows.
struct CaseFacts {
    dir: String,
    /// Why its entries do not count (journal unreadable or failing verification).
    rejected: Option<String>,
    /// The newest rotation rehearsal (`app.rotated`, the rotate phase done, or a dry run
    /// that inspected the database: `app.rotate` with `postgres`), and whether it was
    /// a dry run.
    rotate: Option<(u64, bool)>,
    /// The newest isolation (the isolate phase done).
    isolate: Option<u64>,
}

fn read_cases(
    input: &ReadinessInput,
    answers: &Answers,
    answers_dir: &Path,
) -> Result<Vec<CaseFacts>, ReadinessError> {
    let mut explicit: Vec<PathBuf> = input.cases.clone();
    explicit.extend(answers.cases.iter().map(|c| answers_dir.join(c)));
    // `incident*/` under the repository: a case itself, or a directory of cases.
    let mut found: Vec<PathBuf> = Vec::new();
    if let Ok(dir) = std::fs::read_dir(&input.repo) {
        for e in dir.flatten() {
            let p = e.path();
            let is_incident = e
                .file_name()
                .to_string_lossy()
                .to_ascii_lowercase()
                .starts_with("incident");
            if !is_incident || !p.is_dir() {
                continue;
            }
            if p.join("case.json").is_file() {
                found.push(p);
            } else if let Ok(inner) = std::fs::read_dir(&p) {
                found.extend(
                    inner
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.join("case.json").is_file()),
                );
            }
        }
    }
    found.sort();
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (dir, required) in explicit
        .into_iter()
        .map(|d| (d, true))
        .chain(found.into_iter().map(|d| (d, false)))
    {
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if !seen.insert(canonical) {
            continue;
        }
        match Case::load(&dir) {
            Ok(case) => out.push(case_facts(&dir, &case)),
            Err(e) if required => {
                return Err(ReadinessError::Case {
                    path: dir.display().to_string(),
                    why: e.to_string(),
                });
            }
            Err(_) => {}
        }
    }
    Ok(out)
}

fn case_facts(dir: &Path, case: &Case) -> CaseFacts {
    let mut facts = CaseFacts {
        dir: dir.display().to_string(),
        rejected: None,
        rotate: None,
        isolate: None,
    };
    // A journal that does not verify proves nothing about a rehearsal.
    let journal = case.journal_dir();
    let keys = std::fs::read_to_string(journal.join("ledger.pub"))
        .map_err(|e| e.to_string())
        .and_then(|k| verify::parse_keys(&[k]).map_err(|e| e.to_string()))
        .and_then(|keys| verify::verify(&journal, &keys).map_err(|e| e.to_string()));
    match keys {
        Ok(report) if report.exit_code() == 1 => {
            facts.rejected = Some("its journal does not verify (`warden log verify`)".into());
            return facts;
        }
        Ok(_) => {}
        Err(why) => {
            facts.rejected = Some(format!("its journal cannot be verified: {why}"));
            return facts;
        }
    }
    let entries = match case.entries() {
        Ok(e) => e,
        Err(e) => {
            facts.rejected = Some(format!("its journal cannot be read: {e}"));
            return facts;
        }
    };
    for e in &entries {
        let Some(t) = e["time_unix_nano"].as_u64() else {
            continue;
        };
        let kind = e["kind"].as_str().unwrap_or_default();
        let phase = e["attributes"]["phase"].as_str().unwrap_or_default();
        let dry_run = e["attributes"]["dry_run"].as_bool().unwrap_or(false);
        // A rehearsal touched a real database: a rotation done (`app.rotated`, the rotate
        // phase) or a dry run that inspected one (`app.rotate` with `postgres` set); a
        // plan printed from the inventory alone does not count.
        let rehearsed = kind == "app.rotated"
            || (kind == "app.phase_done" && phase == "rotate")
            || (kind == "app.rotate" && !e["attributes"]["postgres"].is_null());
        if rehearsed && facts.rotate.is_none_or(|(old, _)| t >= old) {
            facts.rotate = Some((t, dry_run));
        }
        if kind == "app.phase_done" && phase == "isolate" {
            facts.isolate = facts.isolate.max(Some(t));
        }
    }
    facts
}

// ---------------------------------------------------------------------------------------
// The checks.

fn audit_log(
    input: &ReadinessInput,
    answers: &Answers,
    files: &RepoFiles,
    ledger: Option<&LedgerFacts>,
) -> Result<Check, ReadinessError> {
    let mut c = check(
        "audit_log",
        "Audit log present and recording every tool",
        Status::Fail,
    );
    let now = input.now_unix_nano;
    let Some(l) = ledger else {
        let proxied = proxy_evidence(files);
        if proxied.is_empty() {
            c.evidence = "no --ledger given, and no launch configuration in the repository runs the server behind `warden proxy` (looked at MCP client configs, compose files, Procfiles, systemd units, package.json scripts, Dockerfiles)".into();
            c.fix = "Run the server behind the recording proxy: `warden log init /var/lib/warden/ledger`, then `warden proxy --ledger /var/lib/warden/ledger -- <server command>`. In an MCP client config: `{\"mcpServers\": {\"server\": {\"command\": \"warden\", \"args\": [\"proxy\", \"--ledger\", \"/var/lib/warden/ledger\", \"--\", \"node\", \"dist/index.js\"]}}}`. Then run `warden readiness PATH --ledger /var/lib/warden/ledger`.".into();
        } else {
            c.status = Status::Unknown;
            c.evidence = format!(
                "the server runs behind `warden proxy` according to {}; without the ledger, whether every tool is recorded cannot be told",
                proxied.join(", ")
            );
            c.question = Some(
                "Where is the proxy's ledger? Pass it: `warden readiness PATH --ledger DIR`."
                    .into(),
            );
            c.fix =
                "Pass the ledger the proxy writes: `warden readiness PATH --ledger DIR`.".into();
        }
        return Ok(c);
    };
    if let Some(problems) = &l.failed {
        c.evidence = format!(
            "the ledger {} does NOT verify against {}: {}",
            l.path,
            l.key_source,
            problems.join("; ")
        );
        c.fix = format!(
            "Preserve the ledger as it is (it may be evidence), run `warden log verify {}` to see the damage, and start a new ledger for the proxy (`warden log init DIR`).",
            l.path
        );
        return Ok(c);
    }
    let scan =
        warden_scan::scan(&input.repo, &warden_scan::ScanOptions::default()).map_err(|e| {
            ReadinessError::Scan {
                path: input.repo.display().to_string(),
                why: e.to_string(),
            }
        })?;
    let tools: BTreeSet<String> = scan
        .tools
        .iter()
        .filter(|t| t.kind == "tool")
        .map(|t| t.name.clone())
        .collect();
    let window_days = answers.audit_window_days.unwrap_or(AUDIT_WINDOW_DAYS);
    let since = now.saturating_sub(window_days.saturating_mul(NANOS_PER_DAY));
    let mut evidence = vec![format!(
        "the ledger {} verifies against {} ({} records){}",
        l.path,
        l.key_source,
        l.records,
        if l.warnings.is_empty() {
            String::new()
        } else {
            format!(", with warnings: {}", l.warnings.join("; "))
        }
    )];
    let mut failures = Vec::new();
    let mut fixes = Vec::new();
    let never: Vec<&String> = tools
        .iter()
        .filter(|t| l.tools.get(*t).is_none_or(|&last| last < since))
        .collect();
    if tools.is_empty() {
        evidence.push(
            "the scanner found no tool in the repository, so coverage cannot be checked".into(),
        );
    } else if never.is_empty() {
        evidence.push(format!(
            "all {} tools the scanner finds were recorded in the last {window_days} days",
            tools.len()
        ));
    } else {
        let named: Vec<String> = never
            .iter()
            .map(|t| match l.tools.get(*t) {
                Some(&last) => format!("`{t}` (last recorded {})", date(last)),
                None => format!("`{t}` (never recorded)"),
            })
            .collect();
        failures.push(format!(
            "{} of {} tools have no tool.result record in the last {window_days} days: {}",
            never.len(),
            tools.len(),
            named.join(", ")
        ));
        fixes.push("Route every client through the proxy (a tool missing from the ledger is either never called or called around it): check each client's config runs `warden proxy --ledger DIR -- <server command>`, and call the missing tools once through it to confirm they are recorded.".to_string());
    }
    match l.newest_record {
        Some(t) if now.saturating_sub(t) <= LEDGER_IDLE_DAYS * NANOS_PER_DAY => {
            evidence.push(format!("newest record {}", age(now, t)));
        }
        Some(t) => {
            failures.push(format!(
                "the newest record is {} — the ledger is no longer being written",
                age(now, t)
            ));
            fixes.push("Check the deployment still starts the server behind `warden proxy --ledger DIR` (a redeploy may have dropped it).".to_string());
        }
        None => {
            failures.push("the ledger holds no record".into());
            fixes.push(
                "Start the server behind `warden proxy --ledger DIR -- <server command>`."
                    .to_string(),
            );
        }
    }
    c.status = if !failures.is_empty() {
        Status::Fail
    } else if tools.is_empty() {
        Status::Unknown
    } else {
        Status::Pass
    };
    if c.status == Status::Unknown {
        c.question = Some("Which tools does the server expose? The scanner could not find them; check `warden scan PATH` sees the server's source.".into());
        c.fix = "Point `warden readiness` at the server's source (the directory where its tools are registered).".into();
    }
    evidence.extend(failures);
    c.evidence = evidence.join("; ");
    if !fixes.is_empty() {
        c.fix = fixes.join(" ");
    }
    Ok(c)
}

/// Launch configurations that run `warden proxy`, as `path` strings.
fn proxy_evidence(files: &RepoFiles) -> Vec<String> {
    static PROXY: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r#"\bwarden["',\s]+proxy\b"#).ok());
    let mut out = Vec::new();
    for (rel, text) in &files.launch {
        let by_json = rel.ends_with(".json")
            && serde_json::from_str::<Value>(text).is_ok_and(|v| json_runs_proxy(&v));
        let by_text = PROXY.as_ref().is_some_and(|re| re.is_match(text));
        if by_json || by_text {
            out.push(rel.clone());
        }
    }
    out
}

/// An object anywhere in `v` whose `command` is `warden` with `proxy` as first argument.
fn json_runs_proxy(v: &Value) -> bool {
    match v {
        Value::Object(map) => {
            let command = map.get("command").and_then(Value::as_str).unwrap_or("");
            let first = map
                .get("args")
                .and_then(|a| a.get(0))
                .and_then(Value::as_str);
            let is_warden = command.rsplit(['/', '\\']).next() == Some("warden")
                || command.rsplit(['/', '\\']).next() == Some("warden.exe");
            (is_warden && first == Some("proxy")) || map.values().any(json_runs_proxy)
        }
        Value::Array(items) => items.iter().any(json_runs_proxy),
        _ => false,
    }
}

/// The kept inventory: name → fingerprints.
type Kept = BTreeMap<String, BTreeSet<String>>;

fn credential_inventory(
    repo: &Path,
    answers: &Answers,
    answers_dir: &Path,
    fresh: &Inventory,
) -> Check {
    let mut c = check(
        "credential_inventory",
        "Credential inventory present and current",
        Status::Fail,
    );
    let regenerate = "warden inventory PATH --format json > PATH/warden-inventory.json";
    let path = match &answers.inventory {
        Some(p) => Some(answers_dir.join(p)),
        None => INVENTORY_FILES
            .iter()
            .map(|f| repo.join(f))
            .find(|p| p.is_file()),
    };
    let Some(path) = path else {
        if fresh.credentials.is_empty() {
            c.status = Status::Pass;
            c.evidence = "no kept inventory, but a fresh inventory finds no long-lived credential: there is nothing to rotate".into();
            c.fix = format!(
                "Keep one anyway so a credential added later shows up in review: `{regenerate}`."
            );
        } else {
            c.evidence = format!(
                "no kept inventory (looked for {} in the repository{}); a fresh inventory finds {} credential(s)",
                INVENTORY_FILES.join(", "),
                if answers.inventory.is_some() {
                    " and the answers file's `inventory`"
                } else {
                    ""
                },
                fresh.credentials.len()
            );
            c.fix = format!(
                "`{regenerate}`, review it, commit it, and regenerate it on every release."
            );
        }
        return c;
    };
    let shown = path.display().to_string();
    let kept = match std::fs::read_to_string(&path) {
        Err(e) => Err(format!("cannot be read: {e}")),
        Ok(text) if shown.ends_with(".md") => Ok(parse_markdown_inventory(&text)),
        Ok(text) => parse_json_inventory(&text),
    };
    let kept = match kept {
        Ok(k) => k,
        Err(why) => {
            c.evidence = format!("the kept inventory {shown} {why}");
            c.fix = format!("Regenerate it: `{regenerate}`.");
            return c;
        }
    };
    let fresh_map: Kept = fresh
        .credentials
        .iter()
        .map(|cr| (cr.name.clone(), cr.fingerprints.iter().cloned().collect()))
        .collect();
    let missing: Vec<&String> = fresh_map
        .keys()
        .filter(|n| !kept.contains_key(*n))
        .collect();
    let gone: Vec<&String> = kept
        .keys()
        .filter(|n| !fresh_map.contains_key(*n))
        .collect();
    let changed: Vec<&String> = fresh_map
        .iter()
        // Values given to `warden inventory --env-file` are not in the repository: with
        // no value seen now, only the name can be compared.
        .filter(|(n, f)| !f.is_empty() && kept.get(*n).is_some_and(|k| k != *f))
        .map(|(n, _)| n)
        .collect();
    let list = |v: &[&String]| {
        v.iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if missing.is_empty() && gone.is_empty() && changed.is_empty() {
        c.status = Status::Pass;
        c.evidence = format!(
            "{shown}: {} credential(s), names and fingerprints match a fresh inventory",
            kept.len()
        );
        return c;
    }
    let mut why = Vec::new();
    if !missing.is_empty() {
        why.push(format!("missing from it: {}", list(&missing)));
    }
    if !gone.is_empty() {
        why.push(format!(
            "stale (no longer found in the server): {}",
            list(&gone)
        ));
    }
    if !changed.is_empty() {
        why.push(format!(
            "stale (the value's fingerprint changed since it was made): {}",
            list(&changed)
        ));
    }
    c.evidence = format!(
        "{shown} is not current against a fresh inventory — {}",
        why.join("; ")
    );
    c.fix = format!(
        "Regenerate and review it: `{regenerate}` (a changed fingerprint means the value changed: check it was a planned rotation)."
    );
    c
}

/// Names and fingerprints from `warden inventory --format json` output (read as plain
/// JSON: the file may come from another version of Warden).
fn parse_json_inventory(text: &str) -> Result<Kept, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
    let creds = v["credentials"].as_array().ok_or_else(|| {
        "has no `credentials` list (not `warden inventory --format json` output)".to_string()
    })?;
    let mut kept = Kept::new();
    for cr in creds {
        let Some(name) = cr["name"].as_str() else {
            return Err("has a credential with no `name`".into());
        };
        let fingerprints = cr["fingerprints"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        kept.insert(name.to_string(), fingerprints);
    }
    Ok(kept)
}

/// Names and fingerprints from the Markdown inventory's table
/// (`| # | credential | vendor | where | fingerprint | scope |`).
fn parse_markdown_inventory(text: &str) -> Kept {
    let mut kept = Kept::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // ["", "#", "`name`", vendor, where, fingerprints, scope, ""]
        if cells.len() < 7 || cells[1].parse::<u32>().is_err() {
            continue;
        }
        let Some(name) = cells[2].strip_prefix('`').and_then(|n| n.strip_suffix('`')) else {
            continue;
        };
        let fingerprints = cells[5]
            .split(',')
            .map(str::trim)
            .filter(|f| f.starts_with("sha256:"))
            .map(str::to_string)
            .collect();
        kept.insert(name.to_string(), fingerprints);
    }
    kept
}

fn rotation_rehearsed(cases: &[CaseFacts], now: u64) -> Check {
    let mut c = check(
        "rotation_rehearsed",
        "Credential rotation rehearsed",
        Status::Fail,
    );
    let rejected = rejected_cases(cases);
    let newest = cases
        .iter()
        .filter_map(|k| k.rotate.map(|(t, dry)| (t, dry, &k.dir)))
        .max_by_key(|(t, _, _)| *t);
    let fix = "Rehearse it in a case kept with the repository: `warden incident open --case incidents/rehearsal-$(date +%F) --title \"rotation rehearsal\" --repo PATH`; run the rotation as a dry run against the real database (nothing changes; the SQL is printed and journaled): `warden incident rotate --case incidents/rehearsal-... --admin-url '...'`, or rotate a test credential for real with `--execute`. Keep the case under the repository's `incidents/`, or list it under `cases` in warden-readiness.toml.";
    match newest {
        Some((t, dry, dir)) if now.saturating_sub(t) <= REHEARSAL_DAYS * NANOS_PER_DAY => {
            c.status = Status::Pass;
            c.evidence = format!(
                "{} journaled in {dir} on {}",
                if dry {
                    "a rotation dry run was"
                } else {
                    "a rotation was"
                },
                date(t)
            );
        }
        Some((t, _, dir)) => {
            c.evidence = format!(
                "the newest rotation journaled ({dir}, {}) is older than {REHEARSAL_DAYS} days: stale",
                date(t)
            );
            c.fix = fix.into();
        }
        None => {
            c.evidence = format!(
                "no rotation rehearsal (a rotation, or a dry run against the database) in {} case journal(s) read",
                cases.len()
            );
            c.fix = fix.into();
        }
    }
    if !rejected.is_empty() {
        c.evidence.push_str(&format!("; not counted: {rejected}"));
    }
    c
}

fn rejected_cases(cases: &[CaseFacts]) -> String {
    cases
        .iter()
        .filter_map(|k| k.rejected.as_ref().map(|why| format!("{} ({why})", k.dir)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn isolation_tested(cases: &[CaseFacts], ledger: Option<&LedgerFacts>, now: u64) -> Check {
    let mut c = check(
        "isolation_tested",
        "Isolation procedure tested",
        Status::Fail,
    );
    let from_case = cases
        .iter()
        .filter_map(|k| {
            k.isolate
                .map(|t| (t, format!("an isolation journaled in {}", k.dir)))
        })
        .max_by_key(|(t, _)| *t);
    let from_ledger = ledger.filter(|l| l.failed.is_none()).and_then(|l| {
        l.newest_fence
            .map(|t| (t, format!("an admin.fence record in the ledger {}", l.path)))
    });
    let newest = from_case
        .into_iter()
        .chain(from_ledger)
        .max_by_key(|(t, _)| *t);
    let fix = "Rehearse it against a staging proxy: `warden proxy fence --reason \"isolation rehearsal\"`, check calls are refused, then `warden proxy unfence` (the ledger records admin.fence; pass it with --ledger); or journal the drill in a rehearsal case: `warden incident done isolate --case incidents/rehearsal-... --note \"...\"`.";
    match newest {
        Some((t, what)) if now.saturating_sub(t) <= REHEARSAL_DAYS * NANOS_PER_DAY => {
            c.status = Status::Pass;
            c.evidence = format!("{what} on {}", date(t));
        }
        Some((t, what)) => {
            c.evidence = format!(
                "the newest test, {what} on {}, is older than {REHEARSAL_DAYS} days: stale",
                date(t)
            );
            c.fix = fix.into();
        }
        None => {
            c.evidence = format!(
                "no isolation in {} case journal(s){}",
                cases.len(),
                match ledger {
                    Some(l) if l.failed.is_none() => ", no admin.fence in the ledger",
                    Some(_) => " (the ledger does not verify, so its records are not counted)",
                    None => " and no ledger given",
                }
            );
            c.fix = fix.into();
        }
    }
    let rejected = rejected_cases(cases);
    if !rejected.is_empty() {
        c.evidence.push_str(&format!("; not counted: {rejected}"));
    }
    c
}

fn log_retention(answers: &Answers, files: &RepoFiles) -> Check {
    let mut c = check(
        "log_retention",
        "Downstream logs retained for at least 30 days",
        Status::Unknown,
    );
    let (config_days, notes) = retention_from_config(files);
    let answer_fix = format!(
        "Keep the server's logs (and the proxy's ledger exports) at least {RETENTION_DAYS} days, in a store outside the host (a log service, a bucket with a lifecycle rule), and record it in warden-readiness.toml: `log_retention_days = 90` and `log_location = \"...\"`."
    );
    let mut evidence = Vec::new();
    if let Some(days) = answers.log_retention_days {
        evidence.push(format!(
            "the answers file says {days} days{}",
            answers
                .log_location
                .as_ref()
                .map(|w| format!(", kept in {w}"))
                .unwrap_or_default()
        ));
        c.status = if days >= RETENTION_DAYS {
            Status::Pass
        } else {
            Status::Fail
        };
    } else if let Some((days, source)) = &config_days {
        evidence.push(format!("{source} keeps logs {days} days"));
        c.status = if *days >= RETENTION_DAYS {
            Status::Pass
        } else {
            Status::Fail
        };
    }
    // What the repository's config says, even when the answer decides: a contradiction is
    // worth seeing.
    if answers.log_retention_days.is_some()
        && let Some((days, source)) = &config_days
    {
        evidence.push(format!("{source} keeps logs {days} days"));
    }
    evidence.extend(notes);
    match c.status {
        Status::Unknown => {
            if evidence.is_empty() {
                evidence.push(
                    "nothing in the repository or the answers file says how long logs are kept"
                        .into(),
                );
            }
            c.question = Some(format!(
                "How many days are the server's downstream logs kept, and where? (`log_retention_days`, `log_location` in {ANSWERS_FILE})"
            ));
            c.fix = answer_fix;
        }
        Status::Fail => c.fix = answer_fix,
        Status::Pass => {}
    }
    c.evidence = evidence.join("; ");
    c
}

/// A retention in days read from journald or logrotate config (the shortest, with its
/// source), and notes on what compose files show.
fn retention_from_config(files: &RepoFiles) -> (Option<(u64, String)>, Vec<String>) {
    static JOURNALD: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(
            r"(?m)^\s*MaxRetentionSec\s*=\s*(\d+)\s*(s|sec|min|m|h|day|d|week|w|month|year|y)?\s*$",
        )
        .ok()
    });
    static ROTATE: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"(?m)^\s*rotate\s+(\d+)\s*$").ok());
    static PERIOD: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"(?m)^\s*(daily|weekly|monthly|yearly)\s*$").ok());
    static COMPOSE_DRIVER: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r#"(?m)^\s*driver:\s*["']?([A-Za-z0-9_-]+)"#).ok());
    static MAX_FILE: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r#"max-file["']?\s*:\s*["']?(\d+)"#).ok());
    let mut found: Vec<(u64, String)> = Vec::new();
    let mut notes = Vec::new();
    for (rel, text) in &files.log_config {
        if let Some(m) = JOURNALD.as_ref().and_then(|re| re.captures(text)) {
            let n: u64 = m[1].parse().unwrap_or(0);
            let per_day: f64 = match m.get(2).map(|u| u.as_str()) {
                None | Some("s" | "sec") => 86_400.0,
                Some("min" | "m") => 1_440.0,
                Some("h") => 24.0,
                Some("day" | "d") => 1.0,
                Some("week" | "w") => 1.0 / 7.0,
                Some("month") => 1.0 / 30.0,
                Some(_) => 1.0 / 365.0,
            };
            // MaxRetentionSec=0 means no time limit: it says nothing about days kept.
            if n > 0 {
                found.push((
                    (n as f64 / per_day).floor() as u64,
                    format!("{rel} (journald MaxRetentionSec)"),
                ));
            }
        }
        let rotate = ROTATE
            .as_ref()
            .and_then(|re| re.captures(text))
            .and_then(|m| m[1].parse::<u64>().ok());
        let period = PERIOD
            .as_ref()
            .and_then(|re| re.captures(text))
            .map(|m| match &m[1] {
                "daily" => 1,
                "weekly" => 7,
                "monthly" => 30,
                _ => 365,
            });
        if let (Some(n), Some(p)) = (rotate, period) {
            found.push((
                n.saturating_mul(p),
                format!("{rel} (logrotate: rotate {n}, every {p} day(s))"),
            ));
        }
    }
    for (rel, text) in &files.compose {
        let drivers: BTreeSet<String> = COMPOSE_DRIVER
            .as_ref()
            .map(|re| re.captures_iter(text).map(|m| m[1].to_string()).collect())
            .unwrap_or_default();
        let shipped = drivers.iter().any(|d| {
            matches!(
                d.as_str(),
                "fluentd"
                    | "awslogs"
                    | "gelf"
                    | "syslog"
                    | "splunk"
                    | "gcplogs"
                    | "journald"
                    | "logentries"
                    | "etwlogs"
            )
        });
        if let Some(m) = MAX_FILE.as_ref().and_then(|re| re.captures(text)) {
            notes.push(format!(
                "{rel}: container logs rotated by size (max-file {}){}",
                &m[1],
                if shipped {
                    ", shipped by a logging driver"
                } else {
                    " and not shipped anywhere: kept by size, not days, and lost with the container"
                }
            ));
        } else if shipped {
            notes.push(format!(
                "{rel}: logs shipped by the {} logging driver (retention is set where they land)",
                drivers.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let shortest = found.into_iter().min_by_key(|(d, _)| *d);
    (shortest, notes)
}

fn scan_history(
    repo: &Path,
    answers: &Answers,
    answers_dir: &Path,
    files: &RepoFiles,
    saved: Option<&SavedScans>,
) -> Check {
    let mut c = check("scan_history", "Scans kept in history", Status::Fail);
    let fix = "Keep every release's scan: `warden scan PATH --save` (SQLite in the user's data directory, or `--store postgres://…` / WARDEN_STORE shared by the team and CI), e.g. in CI with the gate `--save --fail-on-new high --fail-on-drift` (docs/ci.md); or name another store in warden-readiness.toml: `scan_history = \"path\"`.";
    if let Some(s) = saved.filter(|s| s.count > 0) {
        c.status = Status::Pass;
        c.evidence = format!(
            "{} saved scan(s) of this repository in {}{}",
            s.count,
            s.store,
            s.last_unix_nano
                .map(|t| format!(", the newest on {}", date(t)))
                .unwrap_or_default()
        );
        return c;
    }
    if let Some(p) = &answers.scan_history {
        let path = answers_dir.join(p);
        if path.exists() {
            c.status = Status::Pass;
            c.evidence = format!(
                "the answers file names the scan history {}, which exists",
                path.display()
            );
        } else {
            c.evidence = format!(
                "the answers file names the scan history {}, which does not exist",
                path.display()
            );
            c.fix = fix.into();
        }
        return c;
    }
    // Read directly, not through the walk: the store is usually git-ignored.
    let mut history: Vec<String> = std::fs::read_dir(repo.join(".warden"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("history"))
        .map(|n| format!(".warden/{n}"))
        .collect();
    history.sort();
    if !history.is_empty() {
        c.status = Status::Pass;
        c.evidence = format!(
            "a scan history store in the repository: {}",
            history.join(", ")
        );
        return c;
    }
    let ci: Vec<&(String, String)> = files
        .ci
        .iter()
        .filter(|(_, t)| t.contains("warden scan") || t.contains("warden-mcp/warden"))
        .collect();
    let kept: Vec<&str> = ci
        .iter()
        .filter(|(_, t)| {
            t.contains("--save") || t.contains("upload-artifact") || t.contains("upload-sarif")
        })
        .map(|(r, _)| r.as_str())
        .collect();
    if !kept.is_empty() {
        c.status = Status::Pass;
        c.evidence = format!(
            "CI runs `warden scan` and keeps the result: {}",
            kept.join(", ")
        );
    } else if !ci.is_empty() {
        c.status = Status::Unknown;
        c.evidence = format!(
            "CI runs `warden scan` ({}) but nothing there keeps the results",
            ci.iter()
                .map(|(r, _)| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        c.question = Some(format!(
            "Where are the CI scans kept? (`scan_history = \"...\"` in {ANSWERS_FILE})"
        ));
        c.fix = fix.into();
    } else {
        c.evidence = "no scan history: no .warden/history store, no `scan_history` answer, no CI step running `warden scan`".into();
        c.fix = fix.into();
    }
    c
}

fn contact_list(answers: &Answers, files: &RepoFiles, fresh: &Inventory) -> Check {
    static EMAIL_OR_URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|https?://\S+").ok()
    });
    let mut c = check(
        "contact_list",
        "A contact list (incident lead, vendors, counsel)",
        Status::Fail,
    );
    let lead = answers
        .contacts
        .iter()
        .find(|k| k.role == Role::IncidentLead && !k.reach.trim().is_empty());
    // Vendors of the credentials held (not self-hosted databases, not unnamed ones).
    let vendors: BTreeSet<&str> = fresh
        .credentials
        .iter()
        .filter(|cr| !cr.vendor.is_database() && cr.vendor != Vendor::Other)
        .map(|cr| cr.vendor.label())
        .collect();
    let uncovered: Vec<&str> = vendors
        .iter()
        .copied()
        .filter(|v| {
            !answers.contacts.iter().any(|k| {
                k.vendor
                    .as_deref()
                    .is_some_and(|kv| kv.trim().eq_ignore_ascii_case(v))
            })
        })
        .collect();
    let counsel = answers.contacts.iter().any(|k| k.role == Role::Counsel);
    let security: Vec<&str> = files
        .security
        .iter()
        .filter(|(_, t)| EMAIL_OR_URL.as_ref().is_some_and(|re| re.is_match(t)))
        .map(|(r, _)| r.as_str())
        .collect();
    let mut evidence = Vec::new();
    if !answers.contacts.is_empty() {
        evidence.push(format!(
            "{} contact(s) in the answers file",
            answers.contacts.len()
        ));
    }
    if !security.is_empty() {
        evidence.push(format!("a reporting contact in {}", security.join(", ")));
    }
    let mut gaps = Vec::new();
    if !uncovered.is_empty() {
        gaps.push(format!(
            "no contact for the vendor(s) of credentials the server holds: {}",
            uncovered.join(", ")
        ));
    }
    if !counsel {
        gaps.push("no counsel".to_string());
    }
    let fix = "List who to call in warden-readiness.toml: `[[contacts]]` with `role = \"incident-lead\"`, `name`, `reach` (phone, pager, e-mail); one `role = \"vendor\"` with `vendor = \"Stripe\"` (etc.) per credential vendor (their security or support desk); and `role = \"counsel\"`.";
    match lead {
        Some(l) => {
            c.status = Status::Pass;
            evidence.insert(0, format!("incident lead: {}", l.name));
            if !gaps.is_empty() {
                c.fix = format!("Complete it: {}. {fix}", gaps.join("; "));
            }
        }
        None if !security.is_empty() => {
            c.status = Status::Unknown;
            evidence.push("but no incident lead: a vulnerability-reporting address is not who runs an incident".into());
            c.question = Some(format!(
                "Who leads an incident on this server, and how are they reached? (`[[contacts]]` with `role = \"incident-lead\"` in {ANSWERS_FILE})"
            ));
            c.fix = fix.into();
        }
        None => {
            evidence.push("no incident lead with a way to reach them (no `[[contacts]]` with `role = \"incident-lead\"`, no SECURITY.md or security.txt)".into());
            c.fix = fix.into();
        }
    }
    evidence.extend(gaps);
    c.evidence = evidence.join("; ");
    c
}

// ---------------------------------------------------------------------------------------
// Rendering and dates.

impl Readiness {
    /// The checklist for people: a Markdown table (readable as is in a terminal), then
    /// what to fix and the questions to answer.
    pub fn render(&self) -> String {
        let mut out = format!("# Readiness: `{}`\n\n{}\n", self.repo, self.summary);
        if let Some(a) = &self.answers {
            out.push_str(&format!("answers file: {a}\n"));
        }
        out.push_str("\n| check | status | points | evidence |\n|---|---|---|---|\n");
        for c in &self.checks {
            out.push_str(&format!(
                "| {} | {} | {}/{} | {} |\n",
                c.id,
                c.status.label(),
                c.points,
                c.weight,
                c.evidence.replace('|', "\\|").replace('\n', " ")
            ));
        }
        let todo: Vec<&Check> = self
            .checks
            .iter()
            .filter(|c| c.status != Status::Pass || !c.fix.is_empty())
            .collect();
        if !todo.is_empty() {
            out.push_str("\n## To do\n\n");
            for c in todo {
                out.push_str(&format!("- **{}** ({}): ", c.title, c.status.label()));
                if let Some(q) = &c.question {
                    out.push_str(&format!("{q} "));
                }
                out.push_str(&c.fix);
                out.push('\n');
            }
        }
        out
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time in nanoseconds.
pub fn date(unix_nano: u64) -> String {
    crate::time::format_date(unix_nano)
}

fn age(now: u64, then: u64) -> String {
    let days = now.saturating_sub(then) / NANOS_PER_DAY;
    match days {
        0 => format!("from today ({})", date(then)),
        1 => format!("1 day old ({})", date(then)),
        n => format!("{n} days old ({})", date(then)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        // 2000-02-29 (a leap day in a century leap year) and 2026-12-04.
        assert_eq!(date(951_782_400 * 1_000_000_000), "2000-02-29");
        assert_eq!(date(1_796_342_400 * 1_000_000_000), "2026-12-04");
    }

    #[test]
    fn markdown_inventory_rows() {
        let md = "| # | credential | vendor | where | fingerprint | scope |\n|---|---|---|---|---|---|\n| 1 | `A_TOKEN` | GitHub | x.py:1 (read in code) | sha256:aaaaaaaaaaaa, sha256:bbbbbbbbbbbb | s |\n| 2 | `B_KEY` | Stripe | y | — | s |\n";
        let kept = parse_markdown_inventory(md);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept["A_TOKEN"].len(), 2);
        assert!(kept["B_KEY"].is_empty());
    }

    #[test]
    fn json_configs_that_run_the_proxy() {
        let v: Value = serde_json::from_str(
            r#"{"mcpServers":{"x":{"command":"/usr/local/bin/warden","args":["proxy","--"]}}}"#,
        )
        .unwrap_or_default();
        assert!(json_runs_proxy(&v));
        let v: Value =
            serde_json::from_str(r#"{"mcpServers":{"x":{"command":"node","args":["proxy"]}}}"#)
                .unwrap_or_default();
        assert!(!json_runs_proxy(&v));
    }
}
