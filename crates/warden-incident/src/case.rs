//! The incident case: a directory with `case.json` (what the case is about) and the
//! **journal**, an append-only, hash-chained, signed log (a `warden-ledger` ledger of its
//! own) into which every step writes what it ran, when, by whom, what it found and what
//! it changed. `status` reads the journal back as the 60-minute timeline.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use warden_ledger::ledger::{InitOptions, Ledger, OpenOptions, now_unix_nano};
use warden_ledger::reader::LogFiles;
use warden_ledger::record::Record;

/// The playbook's phases, with the minute each should be done by.
pub const PHASES: &[(&str, u64)] = &[
    ("scope", 5),
    ("isolate", 15),
    ("rotate", 30),
    ("preserve", 45),
    ("triage", 55),
    ("communicate", 60),
];

const CASE_FILE: &str = "case.json";
const JOURNAL_DIR: &str = "journal";

/// Why a case operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{0} already holds a case; pick another directory or continue that one")]
    Exists(String),
    #[error("{0} is not an incident case (no case.json); open one with `warden incident open`")]
    NotACase(String),
    #[error("the case in {0} is closed; open a new one to continue")]
    Closed(String),
    #[error("case file {path}: {why}")]
    File { path: String, why: String },
    #[error("journal: {0}")]
    Journal(#[from] warden_ledger::ledger::LedgerError),
    #[error("journal: {0}")]
    Read(String),
}

/// What the case is about (`case.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseMeta {
    pub id: String,
    pub title: String,
    pub opened_unix_nano: u64,
    pub opened_by: String,
    /// The proxy's ledger the case investigates.
    pub ledger: Option<String>,
    /// The server's source.
    pub repo: Option<String>,
    /// The proxy's admin socket.
    pub proxy: Option<String>,
}

/// An open (or closed) case.
pub struct Case {
    dir: PathBuf,
    pub meta: CaseMeta,
}

/// The newest `app.phase_done` entry for `phase` among journal `entries` (a phase run
/// again, such as a second scope, supersedes the first).
pub fn latest_phase<'a>(entries: &'a [Value], phase: &str) -> Option<&'a Value> {
    entries
        .iter()
        .rev()
        .find(|e| e["kind"] == "app.phase_done" && e["attributes"]["phase"] == phase)
}

/// Who runs the commands: `$USER`, or `unknown`.
pub fn actor() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

impl Case {
    /// Opens a new case in `dir` (created; it must not hold one) and journals it.
    pub fn open(dir: &Path, mut meta: CaseMeta) -> Result<Case, CaseError> {
        if dir.join(CASE_FILE).exists() {
            return Err(CaseError::Exists(dir.display().to_string()));
        }
        std::fs::create_dir_all(dir).map_err(|e| CaseError::File {
            path: dir.display().to_string(),
            why: e.to_string(),
        })?;
        if meta.id.is_empty() {
            meta.id = format!("case-{}", meta.opened_unix_nano / 1_000_000_000);
        }
        let opts = InitOptions {
            origin: Some(format!("warden-incident/{}", meta.id)),
            ..InitOptions::default()
        };
        let journal = dir.join(JOURNAL_DIR);
        let key = Ledger::init(&journal, &opts)?;
        // The verifier key next to the journal, as `warden log init` leaves it: whoever
        // checks the case later needs it (and should also keep a copy elsewhere).
        let pub_path = journal.join("ledger.pub");
        std::fs::write(&pub_path, format!("{key}\n")).map_err(|e| CaseError::File {
            path: pub_path.display().to_string(),
            why: e.to_string(),
        })?;
        let path = dir.join(CASE_FILE);
        let text = serde_json::to_string_pretty(&meta).map_err(|e| CaseError::File {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        std::fs::write(&path, text + "\n").map_err(|e| CaseError::File {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        let case = Case {
            dir: dir.to_path_buf(),
            meta,
        };
        let mut details = Map::new();
        details.insert("title".into(), json!(case.meta.title));
        details.insert("ledger".into(), json!(case.meta.ledger));
        details.insert("repo".into(), json!(case.meta.repo));
        details.insert("proxy".into(), json!(case.meta.proxy));
        case.journal("case_open", details)?;
        Ok(case)
    }

    /// Loads the case in `dir`.
    pub fn load(dir: &Path) -> Result<Case, CaseError> {
        let path = dir.join(CASE_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|_| CaseError::NotACase(dir.display().to_string()))?;
        let meta = serde_json::from_str(&text).map_err(|e| CaseError::File {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        Ok(Case {
            dir: dir.to_path_buf(),
            meta,
        })
    }

    /// The journal's directory (a ledger: `warden log verify` checks it).
    pub fn journal_dir(&self) -> PathBuf {
        self.dir.join(JOURNAL_DIR)
    }

    /// Appends `app.<kind>` with `details` and who ran it; returns its index. Refused once
    /// the case is closed.
    pub fn journal(&self, kind: &str, mut details: Map<String, Value>) -> Result<u64, CaseError> {
        if self.is_closed()? {
            return Err(CaseError::Closed(self.dir.display().to_string()));
        }
        details.insert("actor".into(), json!(actor()));
        details.insert("case".into(), json!(self.meta.id));
        let record = Record {
            attributes: Some(details),
            ..Record::new(&format!("app.{kind}"), now_unix_nano())
        };
        let ledger = Ledger::open(&self.journal_dir(), OpenOptions::default())?;
        let index = ledger.append(&record)?;
        ledger.close()?;
        Ok(index)
    }

    /// Every journal entry, in order.
    pub fn entries(&self) -> Result<Vec<Value>, CaseError> {
        let files =
            LogFiles::open(&self.journal_dir()).map_err(|e| CaseError::Read(e.to_string()))?;
        files
            .records(0)
            .map(|r| {
                let (_, bytes) = r.map_err(|e| CaseError::Read(e.to_string()))?;
                serde_json::from_slice(&bytes).map_err(|e| CaseError::Read(e.to_string()))
            })
            .collect()
    }

    /// Whether the case is closed (its journal sealed).
    pub fn is_closed(&self) -> Result<bool, CaseError> {
        Ok(self
            .entries()?
            .iter()
            .any(|e| e["kind"] == "app.case_close"))
    }

    /// Records that a phase is done (the phase commands call this with what they did).
    pub fn phase_done(
        &self,
        phase: &str,
        mut details: Map<String, Value>,
    ) -> Result<u64, CaseError> {
        details.insert("phase".into(), json!(phase));
        self.journal("phase_done", details)
    }

    /// Closes the case: a last entry, then the journal is sealed with a final checkpoint.
    pub fn close(&self, summary: &str) -> Result<(), CaseError> {
        let mut details = Map::new();
        details.insert("summary".into(), json!(summary));
        self.journal("case_close", details)?;
        let ledger = Ledger::open(&self.journal_dir(), OpenOptions::default())?;
        ledger.seal()?;
        ledger.close()?;
        Ok(())
    }

    /// The timeline: each phase, done or not (and when, in minutes since the case
    /// opened), what is next, and whether the case is closed.
    pub fn status(&self, now_unix_nano: u64) -> Result<Status, CaseError> {
        let entries = self.entries()?;
        let minutes = |t: u64| t.saturating_sub(self.meta.opened_unix_nano) / 60_000_000_000;
        let phases: Vec<PhaseStatus> = PHASES
            .iter()
            .map(|(name, due)| {
                let done = entries
                    .iter()
                    .find(|e| e["kind"] == "app.phase_done" && e["attributes"]["phase"] == *name);
                PhaseStatus {
                    phase: name,
                    due_minute: *due,
                    done_minute: done.and_then(|e| e["time_unix_nano"].as_u64()).map(minutes),
                }
            })
            .collect();
        let next = phases
            .iter()
            .find(|p| p.done_minute.is_none())
            .map(|p| p.phase);
        Ok(Status {
            case: self.meta.id.clone(),
            title: self.meta.title.clone(),
            elapsed_minutes: minutes(now_unix_nano),
            closed: entries.iter().any(|e| e["kind"] == "app.case_close"),
            // The case's own steps; the ledger's admin.* records (opens, seals) aside.
            journal_entries: entries
                .iter()
                .filter(|e| e["kind"].as_str().is_some_and(|k| k.starts_with("app.")))
                .count(),
            phases,
            next,
        })
    }
}

/// One phase in the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseStatus {
    pub phase: &'static str,
    /// The playbook's target: done by this minute.
    pub due_minute: u64,
    pub done_minute: Option<u64>,
}

/// The case at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub case: String,
    pub title: String,
    pub elapsed_minutes: u64,
    pub closed: bool,
    pub journal_entries: usize,
    pub phases: Vec<PhaseStatus>,
    /// The first phase not done.
    pub next: Option<&'static str>,
}

impl Status {
    /// The timeline for people.
    pub fn render(&self) -> String {
        let mut out = format!(
            "case {} — {}\n{} min since opened, {} journal entries{}\n\n",
            self.case,
            self.title,
            self.elapsed_minutes,
            self.journal_entries,
            if self.closed { ", CLOSED" } else { "" }
        );
        for p in &self.phases {
            let state = match p.done_minute {
                Some(m) => format!("done at minute {m}"),
                None if self.elapsed_minutes > p.due_minute => {
                    format!("NOT DONE (due by minute {}, late)", p.due_minute)
                }
                None => format!("not done (due by minute {})", p.due_minute),
            };
            out.push_str(&format!("  {:<12} {state}\n", p.phase));
        }
        match (self.closed, self.next) {
            (true, _) => out.push_str("\nThe case is closed; its journal is sealed.\n"),
            (false, Some(next)) => out.push_str(&format!(
                "\nNext: {next} (`warden incident {}`).\n",
                if next == "communicate" {
                    "report"
                } else {
                    next
                }
            )),
            (false, None) => out.push_str("\nAll phases done: `warden incident close`.\n"),
        }
        out
    }
}
