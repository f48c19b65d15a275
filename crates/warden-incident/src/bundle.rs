//! Phase 4, preserve (`warden incident preserve`, `warden incident verify-bundle`): the
//! evidence bundle, a BagIt 1.0 bag (RFC 8493) sealed with the case journal's key.
//!
//! ```text
//! <bag>/
//!   bagit.txt                  BagIt-Version 1.0, UTF-8
//!   bag-info.txt               case, operator, host, tool version, ledger origin/size/root
//!   manifest-sha256.txt        every payload file, `sha256sum -c` format (two spaces)
//!   tagmanifest-sha256.txt     bagit.txt, bag-info.txt, manifest-sha256.txt, seal-key.pub
//!   seal-key.pub               the case journal's verifier key (C2SP form)
//!   SEAL.sig                   signed note: SHA-256 of tagmanifest + the custody head
//!   custody.jsonl              chain of custody, each line hash-linked to the one before
//!   data/
//!     preserve.json            what was collected, from where, what was left out and why
//!     case.json                the case
//!     journal/                 the case journal (a ledger), without its secret keys
//!     ledger/                  the proxy ledger as copied, without its secret keys
//!     ledger-verification.json `warden log verify` of the copy (FAILED is kept, not judged)
//!     ledger-checkpoint.txt    the newest checkpoint of the copy that verifies
//!     proofs/<index>.tlog-proof  inclusion proofs of the cited records
//!     snapshot/server-<UTC>.tar.gz  the server's working directory
//!     snapshot/files-sha256.txt     per-file SHA-256 of its regular files, sorted
//! ```
//!
//! **Why custody.jsonl is outside the tag manifest.** Custody goes on after sealing
//! (copied, uploaded, accessed, verified), so the file must stay appendable without
//! breaking the seal. Instead of hashing the file, the seal signs the chain's *head at
//! sealing time*: the sequence number and SHA-256 of the `sealed` line, whose `prev`
//! links back through every `collected` line. Every line up to the seal is therefore
//! signed; lines appended later by [`record_custody`] are hash-linked to it (an edit of
//! any of them but the newest breaks the chain), but unsigned: pin the newest by
//! journaling the hash [`record_custody`] returns.
//!
//! **Permissions.** Files are made 0444 and directories 0555 so that nothing is changed,
//! added or removed by mistake (the owner, or root, can still do so deliberately: the
//! hashes and the seal are what detect it). Remove a bag with `chmod -R u+w` first.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use sha2::{Digest, Sha256};
use warden_ledger::hmac::hex;
use warden_ledger::keys::SigningKeyFile;
use warden_ledger::ledger::{CHECKPOINT_FILE, CHECKPOINT_LOG, CONFIG_FILE, Ledger, now_unix_nano};
use warden_ledger::merkle::{Tree, leaf_hash};
use warden_ledger::note::{Checkpoint, Note, NoteVerifier};
use warden_ledger::reader::LogFiles;
use warden_ledger::{proof, verify};

use crate::case::{Case, CaseError, actor};

/// The snapshot size above which `preserve` refuses (1 GiB of regular files), unless the
/// caller raises [`PreserveRequest::max_snapshot_bytes`].
pub const DEFAULT_MAX_SNAPSHOT_BYTES: u64 = 1 << 30;

/// `bagit.txt`.
pub const BAGIT_FILE: &str = "bagit.txt";
/// `bag-info.txt`.
pub const BAG_INFO_FILE: &str = "bag-info.txt";
/// The payload manifest.
pub const MANIFEST_FILE: &str = "manifest-sha256.txt";
/// The tag manifest (what the seal covers).
pub const TAGMANIFEST_FILE: &str = "tagmanifest-sha256.txt";
/// The seal, a C2SP signed note.
pub const SEAL_FILE: &str = "SEAL.sig";
/// The seal's verifier key.
pub const SEAL_KEY_FILE: &str = "seal-key.pub";
/// The chain of custody.
pub const CUSTODY_FILE: &str = "custody.jsonl";

const BAGIT_TEXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
const SEAL_HEADER: &str = "warden-bundle/v1";
/// The tag files the tag manifest lists, sorted.
const TAGGED: [&str; 4] = [BAG_INFO_FILE, BAGIT_FILE, MANIFEST_FILE, SEAL_KEY_FILE];
const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Custody actions that may be appended after the seal.
pub const LATER_ACTIONS: &[&str] = &[
    "copied",
    "uploaded",
    "accessed",
    "verified",
    "transferred",
    "exported",
];

/// What to preserve and where.
pub struct PreserveRequest<'a> {
    /// The case the bundle belongs to: its journal is copied, its key seals the bag, and
    /// the bundle is journaled into it.
    pub case: &'a Case,
    /// The proxy's ledger directory.
    pub ledger: Option<&'a Path>,
    /// The proxy ledger's C2SP verifier key. Without it the copy is verified against the
    /// key its own `ledger.json` names, which proves consistency, not origin.
    pub ledger_key: Option<&'a str>,
    /// The server's working directory, snapshotted as a tar.gz.
    pub server_dir: Option<&'a Path>,
    /// Ledger record indices cited by scope/triage: each gets an inclusion proof.
    pub cited: &'a [u64],
    /// Where to create the bag: absent or an empty directory.
    pub dest: &'a Path,
    /// Refuse a server directory whose regular files add up to more than this.
    pub max_snapshot_bytes: u64,
}

/// What the ledger part of the bundle holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LedgerEvidence {
    /// The directory it was copied from.
    pub source: String,
    /// The ledger's origin (the first line of its checkpoints).
    pub origin: String,
    /// The key the copy was verified against (the current one, after a rotation)...
    pub verifier_key: String,
    /// ...and every key it was verified against (with those that signed before a
    /// rotation).
    pub verifier_keys: Vec<String>,
    /// `given` (by the operator) or `ledger.json` (self-declared: consistency only).
    pub key_source: String,
    /// `verified`, `verified with warnings` or `FAILED`.
    pub verdict: String,
    /// Records present in the copy (one past the last index read).
    pub records: u64,
    /// The newest checkpoint that verifies against the records: its size...
    pub tree_size: Option<u64>,
    /// ...its root (hex)...
    pub root: Option<String>,
    /// ...and the SHA-256 of its signed-note text (`data/ledger-checkpoint.txt`).
    pub checkpoint_sha256: Option<String>,
    /// Files not copied, and why (secret keys, the writer's lock).
    pub excluded: Vec<String>,
}

/// A symbolic link in the snapshot (stored as a link, never followed).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Symlink {
    /// The link's path in the server directory.
    pub path: String,
    /// Where it points, as stored (never resolved).
    pub target: String,
}

/// Something the snapshot does not hold, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Skipped {
    /// The path (relative to the server directory).
    pub path: String,
    /// Why it is not in the snapshot.
    pub reason: String,
}

/// What the snapshot of the server's directory holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SnapshotEvidence {
    /// The directory snapshotted.
    pub source: String,
    /// When (UTC, RFC 3339); also in the archive's name.
    pub taken_utc: String,
    /// The archive's path in the bag.
    pub archive: String,
    /// SHA-256 of the archive.
    pub archive_sha256: String,
    /// Regular files archived...
    pub files: u64,
    /// ...and their bytes.
    pub bytes: u64,
    /// Directories archived.
    pub directories: u64,
    /// Links archived as links.
    pub symlinks: Vec<Symlink>,
    /// What is not in the archive, and why.
    pub skipped: Vec<Skipped>,
}

/// A cited record without a proof, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Unproven {
    /// The ledger record index.
    pub index: u64,
    /// Why there is no proof.
    pub reason: String,
}

/// The journal part of the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct JournalEvidence {
    /// The case's journal directory.
    pub source: String,
    /// Files copied.
    pub files: u64,
    /// Files not copied, and why (its secret keys, its lock).
    pub excluded: Vec<String>,
    /// The copy verified against the case's key (the seal key): `verified`, `verified
    /// with warnings` (entries after its last checkpoint) or `FAILED`.
    pub verdict: String,
}

/// `data/preserve.json`: the description of the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Description {
    /// Always `warden-evidence-bundle`.
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// The case id.
    pub case: String,
    /// When the bag was made (UTC).
    pub created_utc: String,
    /// Who made it (`$USER`).
    pub operator: String,
    /// On which host.
    pub host: String,
    /// This Warden's version.
    pub tool_version: String,
    /// The indices asked for, sorted and deduplicated.
    pub cited: Vec<u64>,
    /// The indices with a proof in `data/proofs/`.
    pub proofs: Vec<u64>,
    /// Cited indices without a proof, and why.
    pub unproven: Vec<Unproven>,
    /// The proxy ledger's copy, when one was given.
    pub ledger: Option<LedgerEvidence>,
    /// The server directory's snapshot, when one was given.
    pub snapshot: Option<SnapshotEvidence>,
    /// The case journal's copy.
    pub journal: JournalEvidence,
    /// The snapshot limit in force.
    pub max_snapshot_bytes: u64,
}

/// What [`preserve`] made.
#[derive(Debug, Clone, Serialize)]
pub struct Preserved {
    /// The bag's directory (absolute).
    pub bag: PathBuf,
    /// Payload files (under `data/`) and their bytes (the Payload-Oxum).
    pub files: u64,
    /// Bytes of the payload files.
    pub bytes: u64,
    /// SHA-256 of `manifest-sha256.txt`.
    pub manifest_sha256: String,
    /// What the seal signs.
    pub tagmanifest_sha256: String,
    /// The seal's verifier key (the case journal's).
    pub seal_key: String,
    /// What went in, as `data/preserve.json` says.
    pub description: Description,
    /// SHA-256 of the custody chain's `sealed` line (what the seal signs).
    pub custody_head: String,
    /// The journal entry recording the bundle.
    pub journal_index: u64,
}

impl Preserved {
    /// What went in, for people.
    pub fn render(&self) -> String {
        let d = &self.description;
        let mut out = format!(
            "evidence bundle {}\n  {} payload files, {} bytes; manifest-sha256.txt {}\n  sealed with {}\n",
            self.bag.display(),
            self.files,
            self.bytes,
            self.manifest_sha256,
            self.seal_key
        );
        if let Some(l) = &d.ledger {
            out.push_str(&format!(
                "  ledger {} ({}): {} — {} records, signed size {}, root {}\n",
                l.source,
                l.origin,
                l.verdict,
                l.records,
                l.tree_size.map_or("none".into(), |s| s.to_string()),
                l.root.as_deref().unwrap_or("none")
            ));
            if l.verdict == "FAILED" {
                out.push_str("  THE LEDGER DOES NOT VERIFY: it is preserved as it is; see data/ledger-verification.json\n");
            }
        }
        out.push_str(&format!("  proofs: {:?}\n", d.proofs));
        for u in &d.unproven {
            out.push_str(&format!(
                "  no proof for record {}: {}\n",
                u.index, u.reason
            ));
        }
        if let Some(s) = &d.snapshot {
            out.push_str(&format!(
                "  snapshot {}: {} files, {} bytes, {} directories, {} links (kept as links)\n",
                s.archive,
                s.files,
                s.bytes,
                s.directories,
                s.symlinks.len()
            ));
            for k in &s.skipped {
                out.push_str(&format!(
                    "  not in the snapshot: {} ({})\n",
                    k.path, k.reason
                ));
            }
        }
        out.push_str(&format!(
            "  journal: {} files copied (secret keys left out)\nCheck it with `warden incident verify-bundle {}` and the case's journal/ledger.pub.\n",
            d.journal.files,
            self.bag.display()
        ));
        out
    }
}

/// Why preserving or verifying could not be done at all (as opposed to a bag that fails
/// a check, which [`verify_bundle`] reports in [`BundleReport`]).
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "destination {0} exists and is not empty; bundles are never written over: choose a new directory"
    )]
    /// The destination holds files.
    DestNotEmpty(String),
    #[error(
        "destination {dest} is inside the server directory {server}: the snapshot would contain the bag; put the bag elsewhere"
    )]
    /// The bag would be inside the directory it snapshots.
    DestInsideServer {
        /// The bag.
        dest: String,
        /// The server directory.
        server: String,
    },
    #[error("{path}: {source}")]
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    #[error(
        "the server directory {path} holds {bytes} bytes of regular files, over the limit of {limit}; raise the limit (`--max-snapshot-bytes`) or snapshot by other means and say so in the case"
    )]
    /// The server directory is over the snapshot limit.
    TooLarge {
        /// The server directory.
        path: String,
        /// Its regular files' bytes.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    #[error("the ledger {path} cannot be preserved: {why}")]
    /// The proxy ledger could not be copied or read.
    Ledger {
        /// The ledger directory.
        path: String,
        /// What is wrong.
        why: String,
    },
    #[error("ledger verifier key: {0}; pass the key as `name+id+base64` (see `warden log init`)")]
    /// A ledger verifier key given is malformed.
    LedgerKey(String),
    #[error("the case's signing key {path}: {why}; the bag cannot be sealed without it")]
    /// The case's signing key cannot be used.
    SealKey {
        /// The key file.
        path: String,
        /// What is wrong.
        why: String,
    },
    #[error("case: {0}")]
    /// The case refused (closed) or failed to journal.
    Case(#[from] CaseError),
    #[error("{0} is not an evidence bundle ({1})")]
    /// The path is not a bag (path, why).
    NotABag(String, String),
    #[error("custody: {0}")]
    /// The custody chain cannot be extended.
    Custody(String),
    #[error("{0}")]
    /// Something that should not happen (serialization, signing), with what.
    Internal(String),
    #[error("upload: {0}")]
    /// The upload was refused or failed.
    Upload(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.display().to_string(),
        source,
    }
}

// ---------------------------------------------------------------------------------------
// Time, host, small helpers.

/// `(2026-12-04T20:11:10Z, 20261204T201110Z, 2026-12-04)` for a Unix time in ns.
fn utc(unix_nano: u64) -> (String, String, String) {
    use crate::time::{format_date, format_stamp, format_utc};
    (
        format_utc(unix_nano),
        format_stamp(unix_nano),
        format_date(unix_nano),
    )
}

/// `.env`, `.env.production`, … but not the templates (`.env.example`, `.env.sample`,
/// `.env.template`, `.env.dist`), which hold placeholders and document the setup.
fn is_env_file(rel: &Path) -> bool {
    let Some(name) = rel.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let templates = [".example", ".sample", ".template", ".dist"];
    (name == ".env" || name.starts_with(".env.")) && !templates.iter().any(|t| name.ends_with(t))
}

fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| {
            std::fs::read_to_string(p)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// A value fit for one `bag-info.txt` line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 and length of a file, streamed.
fn hash_file(path: &Path) -> Result<(String, u64), BundleError> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(io(path))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex(&h.finalize()), n))
}

/// Creates `path` (refusing to replace anything) with `bytes`, flushed to disk.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// `/`-separated path of `path` relative to `root`.
fn rel_str(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// A file name as `sha256sum` prints it: names with a newline or a backslash are escaped
/// and the line gets a leading backslash.
fn sum_line(hash: &str, name: &str) -> String {
    if name.contains(['\n', '\\', '\r']) {
        let esc = name
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        format!("\\{hash}  {esc}\n")
    } else {
        format!("{hash}  {name}\n")
    }
}

/// Directory entries sorted by name, so archives and lists come out in the same order
/// every time.
fn sorted_entries(dir: &Path) -> Result<Vec<std::fs::DirEntry>, BundleError> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    Ok(entries)
}

fn kind_name(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_socket() {
            return "socket";
        }
        if ft.is_fifo() {
            return "named pipe";
        }
        if ft.is_char_device() {
            return "character device";
        }
        if ft.is_block_device() {
            return "block device";
        }
    }
    if ft.is_symlink() {
        "symbolic link"
    } else {
        "special file"
    }
}

// ---------------------------------------------------------------------------------------
// Copying a ledger (the proxy's, or the case journal) without its secrets.

/// True for a file that holds a secret key, whatever its name.
fn is_secret(path: &Path) -> bool {
    if path.extension().is_some_and(|e| e == "key") {
        return true;
    }
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    is_secret_text(&head[..n])
}

/// True for the text of a Warden private key (checkpoint signing or argument digest).
fn is_secret_text(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PRIVATE+KEY+") || bytes.starts_with(b"WARDEN-ARGS-KEY+")
}

/// Copies the ledger in `src` to `dst`: checkpoints first, then the configuration, then
/// everything else. The order matters with a live writer: records appended while copying
/// only lengthen the unsigned tail, whereas a checkpoint copied after its segments could
/// sign records the copy lacks. Secret keys (`keys/`, `*.key`, any file holding a private
/// key) and the writer's `LOCK` are never copied; links are not followed. Returns what
/// was copied and what was left out.
fn copy_ledger(src: &Path, dst: &Path) -> Result<(u64, Vec<String>), BundleError> {
    let mut excluded = Vec::new();
    let mut copied = 0u64;
    std::fs::create_dir_all(dst).map_err(io(dst))?;
    let first = [CHECKPOINT_LOG, CHECKPOINT_FILE, CONFIG_FILE];
    for name in first {
        let from = src.join(name);
        match std::fs::symlink_metadata(&from) {
            Ok(m) if m.is_file() => {
                copy_file(&from, &dst.join(name))?;
                copied += 1;
            }
            _ => {}
        }
    }
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = src.join(&rel);
        // Reverse so the stack pops in name order.
        for e in sorted_entries(&dir)?.into_iter().rev() {
            let child = rel.join(e.file_name());
            let name = rel_str(&child);
            let from = src.join(&child);
            let ft = e.file_type().map_err(io(&from))?;
            if rel.as_os_str().is_empty() && (first.contains(&name.as_str())) {
                continue;
            }
            if name == "LOCK" {
                excluded.push("LOCK (the writer's lock, not evidence)".into());
            } else if ft.is_dir() && name == "keys" {
                excluded.push("keys/ (secret signing and argument keys)".into());
            } else if ft.is_dir() {
                std::fs::create_dir_all(dst.join(&child)).map_err(io(dst))?;
                stack.push(child);
            } else if ft.is_symlink() {
                excluded.push(format!("{name} (a symbolic link, not followed)"));
            } else if !ft.is_file() {
                excluded.push(format!("{name} (a {}, not copied)", kind_name(&ft)));
            } else if is_secret(&from) {
                excluded.push(format!("{name} (a secret key)"));
            } else {
                copy_file(&from, &dst.join(&child))?;
                copied += 1;
            }
        }
    }
    excluded.sort();
    Ok((copied, excluded))
}

fn copy_file(from: &Path, to: &Path) -> Result<(), BundleError> {
    let bytes = std::fs::read(from).map_err(io(from))?;
    write_new(to, &bytes)
}

// ---------------------------------------------------------------------------------------
// The proxy ledger: copy, verify the copy, checkpoint, proofs.

struct LedgerPart {
    evidence: LedgerEvidence,
    proofs: Vec<u64>,
    unproven: Vec<Unproven>,
}

fn verdict_of(code: i32) -> &'static str {
    match code {
        0 => "verified",
        3 => "verified with warnings",
        _ => "FAILED",
    }
}

fn preserve_ledger(
    src: &Path,
    key: Option<&str>,
    data: &Path,
    cited: &[u64],
) -> Result<LedgerPart, BundleError> {
    let lerr = |why: String| BundleError::Ledger {
        path: src.display().to_string(),
        why,
    };
    if !src.join(warden_ledger::ledger::SEGMENTS_DIR).is_dir() {
        return Err(lerr(
            "no segments/ directory: not a ledger (give the proxy's ledger directory)".into(),
        ));
    }
    let copy = data.join("ledger");
    let (_, excluded) = copy_ledger(src, &copy)?;
    let config = Ledger::read_config(&copy).map_err(|e| lerr(e.to_string()))?;
    let (key_texts, key_source) = match key {
        Some(k) => (split_keys(k), "given"),
        None => (
            std::iter::once(config.verifier_key.clone())
                .chain(config.previous_verifier_keys.iter().cloned())
                .collect(),
            "ledger.json (self-declared: proves consistency, not origin)",
        ),
    };
    let keys = key_texts
        .iter()
        .map(|k| NoteVerifier::parse(k).map_err(|e| BundleError::LedgerKey(format!("`{k}`: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let key_text = key_texts.first().cloned().unwrap_or_default();
    if keys.is_empty() {
        return Err(BundleError::LedgerKey("no key given".into()));
    }
    let report = verify::verify(&copy, &keys).map_err(|e| lerr(e.to_string()))?;
    let verdict = verdict_of(report.exit_code());
    let verification = json!({
        "ledger": src.display().to_string(),
        "verifier_keys": key_texts,
        "key_source": key_source,
        "verdict": verdict,
        "exit_code": report.exit_code(),
        "summary": report.summary,
        "lines": report.lines,
    });
    let text = serde_json::to_string_pretty(&verification)
        .map_err(|e| BundleError::Internal(e.to_string()))?;
    write_new(
        &data.join("ledger-verification.json"),
        (text + "\n").as_bytes(),
    )?;

    let mut evidence = LedgerEvidence {
        source: src.display().to_string(),
        origin: config.origin.clone(),
        verifier_key: key_text,
        verifier_keys: key_texts.clone(),
        key_source: key_source.into(),
        verdict: verdict.into(),
        records: report.summary.end_index,
        tree_size: None,
        root: None,
        checkpoint_sha256: None,
        excluded,
    };
    let mut cited: Vec<u64> = cited.to_vec();
    cited.sort_unstable();
    cited.dedup();
    let mut unproven = Vec::new();
    let mut proofs = Vec::new();
    let signed = report
        .summary
        .signed_size
        .and_then(|size| find_checkpoint(&copy, size, &keys).map(|n| (size, n)));
    let Some((size, (note, cp))) = signed else {
        for i in cited {
            unproven.push(Unproven {
                index: i,
                reason: format!(
                    "no checkpoint of the copied ledger verifies (verdict {verdict}): nothing to prove against"
                ),
            });
        }
        return Ok(LedgerPart {
            evidence,
            proofs,
            unproven,
        });
    };
    // The tree of the signed prefix, and the cited records' bytes, in one pass.
    let files = LogFiles::open(&copy).map_err(|e| lerr(e.to_string()))?;
    let mut tree = Tree::new();
    let wanted: BTreeSet<u64> = cited.iter().copied().filter(|i| *i < size).collect();
    let mut records: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for item in files.records(0) {
        let (index, bytes) = item.map_err(|e| lerr(e.to_string()))?;
        if index >= size {
            break;
        }
        tree.push_hash(leaf_hash(&bytes));
        if wanted.contains(&index) {
            records.insert(index, bytes);
        }
    }
    if tree.size() < size || tree.root_at(size).ok() != Some(cp.root) {
        return Err(BundleError::Internal(format!(
            "the copied ledger changed while it was read (tree {} vs checkpoint {size}); preserve again",
            tree.size()
        )));
    }
    write_new(&data.join("ledger-checkpoint.txt"), note.as_bytes())?;
    evidence.tree_size = Some(size);
    evidence.root = Some(hex(&cp.root));
    evidence.checkpoint_sha256 = Some(sha256_hex(note.as_bytes()));
    for i in cited {
        let Some(bytes) = records.get(&i) else {
            unproven.push(Unproven {
                index: i,
                reason: if i < size {
                    "the record could not be read".into()
                } else {
                    format!(
                        "after the newest verified checkpoint (size {size}): not yet signed, so not provable"
                    )
                },
            });
            continue;
        };
        let text = proof::inclusion(&tree, i, bytes, &note, &cp)
            .map_err(|e| BundleError::Internal(format!("proof of record {i}: {e}")))?;
        write_new(
            &data.join("proofs").join(format!("{i}.tlog-proof")),
            text.as_bytes(),
        )?;
        proofs.push(i);
    }
    Ok(LedgerPart {
        evidence,
        proofs,
        unproven,
    })
}

/// Verifier keys separated by whitespace (C2SP keys hold none).
fn split_keys(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// The signed note of the checkpoint of exactly `size` records that verifies.
fn find_checkpoint(dir: &Path, size: u64, keys: &[NoteVerifier]) -> Option<(String, Checkpoint)> {
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    if let Ok(b) = std::fs::read(dir.join(CHECKPOINT_FILE)) {
        candidates.push(b);
    }
    if let Ok(b) = std::fs::read(dir.join(CHECKPOINT_LOG))
        && let Ok((frames, _)) = warden_ledger::frame::scan(&b, 0)
    {
        candidates.extend(frames.iter().rev().map(|f| f.payload.to_vec()));
    }
    candidates.into_iter().find_map(|c| {
        let cp = verify::check_signature(&c, keys).ok()?;
        let text = String::from_utf8(c).ok()?;
        (cp.size == size).then_some((text, cp))
    })
}

// ---------------------------------------------------------------------------------------
// The server snapshot.

enum Item {
    Dir,
    File(u64),
    Link(PathBuf),
}

fn walk_server(
    root: &Path,
    items: &mut Vec<(PathBuf, std::fs::Metadata, Item)>,
    skipped: &mut Vec<Skipped>,
) -> Result<(), BundleError> {
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let entries = match sorted_entries(&dir) {
            Ok(e) => e,
            Err(e) if !rel.as_os_str().is_empty() => {
                skipped.push(Skipped {
                    path: format!("{}/", rel_str(&rel)),
                    reason: format!("unreadable directory: {e}"),
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut subdirs = Vec::new();
        for e in entries {
            let child = rel.join(e.file_name());
            let path = root.join(&child);
            let meta = match std::fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(err) => {
                    skipped.push(Skipped {
                        path: rel_str(&child),
                        reason: format!("unreadable: {err}"),
                    });
                    continue;
                }
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                match std::fs::read_link(&path) {
                    Ok(t) => items.push((child, meta, Item::Link(t))),
                    Err(err) => skipped.push(Skipped {
                        path: rel_str(&child),
                        reason: format!("unreadable link: {err}"),
                    }),
                }
            } else if ft.is_dir() {
                items.push((child.clone(), meta, Item::Dir));
                subdirs.push(child);
            } else if ft.is_file() {
                let len = meta.len();
                items.push((child, meta, Item::File(len)));
            } else {
                skipped.push(Skipped {
                    path: rel_str(&child),
                    reason: format!("a {}: not archived", kind_name(&ft)),
                });
            }
        }
        // Depth-first in name order: the stack pops the first subdirectory next.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

fn snapshot(
    server: &Path,
    data: &Path,
    taken: u64,
    limit: u64,
) -> Result<SnapshotEvidence, BundleError> {
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    walk_server(server, &mut items, &mut skipped)?;
    let total: u64 = items
        .iter()
        .map(|(_, _, i)| if let Item::File(n) = i { *n } else { 0 })
        .sum();
    if total > limit {
        return Err(BundleError::TooLarge {
            path: server.display().to_string(),
            bytes: total,
            limit,
        });
    }
    let (taken_utc, stamp, _) = utc(taken);
    let dir = data.join("snapshot");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let archive_name = format!("server-{stamp}.tar.gz");
    let archive_path = dir.join(&archive_name);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&archive_path)
        .map_err(io(&archive_path))?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut sums: Vec<(String, String)> = Vec::new();
    let mut symlinks = Vec::new();
    let (mut files, mut bytes, mut directories) = (0u64, 0u64, 0u64);
    let terr = io(&archive_path);
    let mut result = Ok(());
    for (rel, meta, item) in &items {
        let mut header = tar::Header::new_gnu();
        // Ownership, mode and times are part of the evidence: keep them all.
        header.set_metadata_in_mode(meta, tar::HeaderMode::Complete);
        let step = match item {
            Item::Dir => {
                directories += 1;
                header.set_size(0);
                tar.append_data(&mut header, rel, std::io::empty())
            }
            Item::Link(target) => {
                symlinks.push(Symlink {
                    path: rel_str(rel),
                    target: target.to_string_lossy().into_owned(),
                });
                header.set_size(0);
                tar.append_link(&mut header, rel, target)
            }
            Item::File(_) => {
                // Read whole (each file is under the limit) so the archived bytes and the
                // listed hash are of the same content even if the file is being written.
                match std::fs::read(server.join(rel)) {
                    // A Warden signing or argument key (a ledger or a case kept inside the
                    // server's directory) would let anyone holding the bag forge
                    // checkpoints or seals: it never goes in.
                    Ok(content) if is_secret_text(&content) => {
                        skipped.push(Skipped {
                            path: rel_str(rel),
                            reason: "a Warden secret key: never put in a bundle".into(),
                        });
                        Ok(())
                    }
                    // An env file holds the live credentials — after the rotate phase, the
                    // new ones — and a bundle is copied, uploaded and locked for a year:
                    // only its digest goes in, which a copy kept elsewhere can be matched
                    // against.
                    Ok(content) if is_env_file(rel) => {
                        skipped.push(Skipped {
                            path: rel_str(rel),
                            reason: format!(
                                "an env file (live credentials): not archived; sha256 {}",
                                sha256_hex(&content)
                            ),
                        });
                        Ok(())
                    }
                    Ok(content) => {
                        files += 1;
                        bytes += content.len() as u64;
                        sums.push((rel_str(rel), sha256_hex(&content)));
                        header.set_size(content.len() as u64);
                        tar.append_data(&mut header, rel, content.as_slice())
                    }
                    Err(e) => {
                        skipped.push(Skipped {
                            path: rel_str(rel),
                            reason: format!("unreadable: {e}"),
                        });
                        Ok(())
                    }
                }
            }
        };
        if let Err(e) = step {
            result = Err(e);
            break;
        }
    }
    result.map_err(io(&archive_path))?;
    let gz = tar.into_inner().map_err(io(&archive_path))?;
    let file = gz.finish().map_err(terr)?;
    file.sync_all().map_err(io(&archive_path))?;
    sums.sort();
    let list: String = sums.iter().map(|(p, h)| sum_line(h, p)).collect();
    write_new(&dir.join("files-sha256.txt"), list.as_bytes())?;
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let (archive_sha256, _) = hash_file(&archive_path)?;
    Ok(SnapshotEvidence {
        source: server.display().to_string(),
        taken_utc,
        archive: format!("data/snapshot/{archive_name}"),
        archive_sha256,
        files,
        bytes,
        directories,
        symlinks,
        skipped,
    })
}

// ---------------------------------------------------------------------------------------
// Custody.

/// One line of `custody.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CustodyEntry {
    /// Line number, from 0.
    pub seq: u64,
    /// When (UTC, RFC 3339).
    pub ts_utc: String,
    /// Who (`$USER`).
    pub actor: String,
    /// `collected`, `sealed`, then [`LATER_ACTIONS`].
    pub action: String,
    /// What the action was on: a part of the payload (`data/ledger`), or the bag's tag
    /// manifest (which identifies the sealed bag).
    pub object: String,
    /// Its SHA-256 (see `object`).
    pub object_sha256: String,
    /// Where: `host:path`, or an URL.
    pub location: String,
    /// SHA-256 of the previous line's exact bytes (64 zeros for the first line).
    pub prev: String,
}

/// Appends `entry` (its `seq` and `prev` filled in) to the custody text; returns the new
/// line's SHA-256.
fn push_custody(text: &mut String, mut entry: CustodyEntry) -> Result<String, BundleError> {
    let (seq, prev) = match text.lines().last() {
        Some(last) => {
            let e: CustodyEntry = serde_json::from_str(last)
                .map_err(|e| BundleError::Custody(format!("the last line is not an entry: {e}")))?;
            (e.seq + 1, sha256_hex(format!("{last}\n").as_bytes()))
        }
        None => (0, ZERO_HASH.to_string()),
    };
    entry.seq = seq;
    entry.prev = prev;
    let line = serde_json::to_string(&entry).map_err(|e| BundleError::Internal(e.to_string()))?;
    let line = format!("{line}\n");
    let hash = sha256_hex(line.as_bytes());
    text.push_str(&line);
    Ok(hash)
}

/// The payload parts the custody chain names, by path prefix in the manifest.
const PARTS: &[(&str, &[&str])] = &[
    (
        "data/ledger",
        &[
            "data/ledger/",
            "data/ledger-verification.json",
            "data/ledger-checkpoint.txt",
            "data/proofs/",
        ],
    ),
    ("data/snapshot", &["data/snapshot/"]),
    ("data/journal", &["data/journal/", "data/case.json"]),
];

/// SHA-256 over the manifest lines of part `name`, in manifest order: what a
/// `collected` entry names.
fn part_digest(manifest: &str, name: &str) -> Option<String> {
    let prefixes = PARTS.iter().find(|(n, _)| *n == name)?.1;
    let mut h = Sha256::new();
    let mut any = false;
    for line in manifest.lines() {
        let Some((_, path)) = line.split_once("  ") else {
            continue;
        };
        if prefixes
            .iter()
            .any(|p| path.starts_with(p) || path == p.trim_end_matches('/'))
        {
            h.update(line.as_bytes());
            h.update(b"\n");
            any = true;
        }
    }
    any.then(|| hex(&h.finalize()))
}

/// Records a custody step after sealing (`copied`, `uploaded`, `accessed`, `verified`,
/// `transferred`, `exported`) at `location`, by the current user. The entry names the
/// sealed bag by its tag manifest's SHA-256 and is hash-linked to the chain; returns the
/// entry and the SHA-256 of its line (journal it to pin the chain's new head). Refuses to
/// extend a chain that does not end where a well-formed entry ends.
pub fn record_custody(
    bag: &Path,
    action: &str,
    location: &str,
) -> Result<(CustodyEntry, String), BundleError> {
    if !LATER_ACTIONS.contains(&action) {
        return Err(BundleError::Custody(format!(
            "`{action}` is not a custody action after sealing; use one of {}",
            LATER_ACTIONS.join(", ")
        )));
    }
    let tagmanifest = bag.join(TAGMANIFEST_FILE);
    let (object_sha256, _) = hash_file(&tagmanifest)
        .map_err(|e| BundleError::NotABag(bag.display().to_string(), e.to_string()))?;
    let path = bag.join(CUSTODY_FILE);
    let mut text = std::fs::read_to_string(&path).map_err(io(&path))?;
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(BundleError::Custody(format!(
            "{} does not end with a complete line; run verify-bundle",
            path.display()
        )));
    }
    let before = text.len();
    let hash = push_custody(
        &mut text,
        CustodyEntry {
            seq: 0,
            ts_utc: utc(now_unix_nano()).0,
            actor: actor(),
            action: action.into(),
            object: TAGMANIFEST_FILE.into(),
            object_sha256,
            location: one_line(location),
            prev: String::new(),
        },
    )?;
    let line = &text[before..];
    let entry: CustodyEntry =
        serde_json::from_str(line.trim_end()).map_err(|e| BundleError::Internal(e.to_string()))?;
    // The file is read-only like the rest of the bag: open it for the append only.
    set_mode(&path, 0o644)?;
    let appended = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| {
            f.write_all(line.as_bytes())?;
            f.sync_all()
        });
    set_mode(&path, 0o444)?;
    appended.map_err(io(&path))?;
    Ok((entry, hash))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), BundleError> {
    let mut perms = std::fs::metadata(path).map_err(io(path))?.permissions();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        perms.set_mode(mode);
    }
    #[cfg(not(unix))]
    perms.set_readonly(mode & 0o200 == 0);
    std::fs::set_permissions(path, perms).map_err(io(path))
}

/// Files 0444, directories 0555, deepest first.
fn make_read_only(root: &Path) -> Result<(), BundleError> {
    let mut dirs = vec![root.to_path_buf()];
    let mut i = 0;
    while i < dirs.len() {
        let d = dirs[i].clone();
        for e in sorted_entries(&d)? {
            let p = e.path();
            let ft = e.file_type().map_err(io(&p))?;
            if ft.is_dir() {
                dirs.push(p);
            } else if ft.is_file() {
                set_mode(&p, 0o444)?;
            }
        }
        i += 1;
    }
    for d in dirs.iter().rev() {
        std::fs::File::open(d)
            .and_then(|f| f.sync_all())
            .map_err(io(d))?;
        set_mode(d, 0o555)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// preserve.

/// Every regular file under `data/`, as `(bag-relative path, path)`, sorted.
fn payload_files(bag: &Path) -> Result<Vec<(String, PathBuf)>, BundleError> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from("data")];
    while let Some(rel) = stack.pop() {
        for e in sorted_entries(&bag.join(&rel))? {
            let child = rel.join(e.file_name());
            let ft = e.file_type().map_err(io(&e.path()))?;
            if ft.is_dir() {
                stack.push(child);
            } else {
                out.push((rel_str(&child), bag.join(&child)));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Builds the evidence bag in `req.dest`, seals it with the case journal's key, makes it
/// read-only and journals it into the case (`app.preserve`). A ledger that fails
/// verification is preserved as it is, with the verdict saying FAILED: the bundle keeps
/// evidence, it does not judge it.
pub fn preserve(req: &PreserveRequest) -> Result<Preserved, BundleError> {
    let dest = req.dest;
    let existed = dest.exists();
    if existed {
        let mut entries = std::fs::read_dir(dest).map_err(io(dest))?;
        if entries.next().is_some() {
            return Err(BundleError::DestNotEmpty(dest.display().to_string()));
        }
    }
    std::fs::create_dir_all(dest).map_err(io(dest))?;
    let bag = std::fs::canonicalize(dest).map_err(io(dest))?;
    let mut preserved = match build_bag(req, &bag) {
        Ok(p) => p,
        Err(e) => {
            // Everything in the destination is ours (it was absent or empty): a half-made,
            // unsealed bag would only confuse, so it goes. Best effort: the error that
            // stopped the bag is the one to report.
            let _ = std::fs::remove_dir_all(&bag);
            if existed {
                let _ = std::fs::create_dir(&bag);
            }
            return Err(e);
        }
    };
    // The bag is sealed and complete from here: if journaling fails it stays, and the
    // error says why the case did not record it.
    let d = &preserved.description;
    let mut details = Map::new();
    details.insert("bundle".into(), json!(bag.display().to_string()));
    details.insert("manifest_sha256".into(), json!(preserved.manifest_sha256));
    details.insert(
        "tagmanifest_sha256".into(),
        json!(preserved.tagmanifest_sha256),
    );
    details.insert("custody_head".into(), json!(preserved.custody_head));
    details.insert("files".into(), json!(preserved.files));
    details.insert("bytes".into(), json!(preserved.bytes));
    if let Some(l) = &d.ledger {
        details.insert("ledger".into(), json!(l.source));
        details.insert("ledger_verdict".into(), json!(l.verdict));
        details.insert("ledger_size".into(), json!(l.tree_size));
        details.insert("ledger_root".into(), json!(l.root));
    }
    details.insert("proofs".into(), json!(d.proofs));
    details.insert("unproven".into(), json!(d.unproven));
    if let Some(s) = &d.snapshot {
        details.insert("snapshot_sha256".into(), json!(s.archive_sha256));
    }
    preserved.journal_index = req.case.journal("preserve", details)?;
    Ok(preserved)
}

/// Everything [`preserve`] does but journaling, in the (empty) directory `bag`.
fn build_bag(req: &PreserveRequest, bag: &Path) -> Result<Preserved, BundleError> {
    let bag = bag.to_path_buf();
    if let Some(server) = req.server_dir {
        let server_abs = std::fs::canonicalize(server).map_err(io(server))?;
        if bag.starts_with(&server_abs) {
            return Err(BundleError::DestInsideServer {
                dest: bag.display().to_string(),
                server: server_abs.display().to_string(),
            });
        }
    }
    // The seal key first: without it nothing can be sealed, so fail before copying.
    let journal_dir = req.case.journal_dir();
    let key_path = journal_dir.join("keys").join("checkpoint.key");
    let signer = SigningKeyFile::read(&key_path)
        .and_then(|k| k.signer())
        .map_err(|e| BundleError::SealKey {
            path: key_path.display().to_string(),
            why: e.to_string(),
        })?;
    let seal_key = signer.verifier_key();

    let now = now_unix_nano();
    let (now_utc, _, today) = utc(now);
    let host = hostname();
    let operator = actor();
    let data = bag.join("data");
    std::fs::create_dir_all(&data).map_err(io(&data))?;

    let mut custody_sources: Vec<(&str, String)> = Vec::new();
    let (ledger, proofs, unproven) = match req.ledger {
        Some(src) => {
            let part = preserve_ledger(src, req.ledger_key, &data, req.cited)?;
            custody_sources.push(("data/ledger", src.display().to_string()));
            (Some(part.evidence), part.proofs, part.unproven)
        }
        None => (
            None,
            Vec::new(),
            req.cited
                .iter()
                .map(|i| Unproven {
                    index: *i,
                    reason: "no ledger was given".into(),
                })
                .collect(),
        ),
    };
    let snapshot = match req.server_dir {
        Some(server) => {
            let s = snapshot(server, &data, now, req.max_snapshot_bytes)?;
            custody_sources.push(("data/snapshot", server.display().to_string()));
            Some(s)
        }
        None => None,
    };
    let (journal_files, journal_excluded) = copy_ledger(&journal_dir, &data.join("journal"))?;
    let journal_verdict = journal_verdict(&data.join("journal"), &seal_key);
    let case_dir = journal_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    copy_file(&case_dir.join("case.json"), &data.join("case.json"))?;
    custody_sources.push(("data/journal", case_dir.display().to_string()));

    let mut cited = req.cited.to_vec();
    cited.sort_unstable();
    cited.dedup();
    let description = Description {
        format: "warden-evidence-bundle".into(),
        version: 1,
        case: req.case.meta.id.clone(),
        created_utc: now_utc.clone(),
        operator: operator.clone(),
        host: host.clone(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        cited,
        proofs,
        unproven,
        ledger,
        snapshot,
        journal: JournalEvidence {
            source: journal_dir.display().to_string(),
            files: journal_files,
            excluded: journal_excluded,
            verdict: journal_verdict.clone(),
        },
        max_snapshot_bytes: req.max_snapshot_bytes,
    };
    let text = serde_json::to_string_pretty(&description)
        .map_err(|e| BundleError::Internal(e.to_string()))?;
    write_new(&data.join("preserve.json"), (text + "\n").as_bytes())?;

    // The payload manifest and the Payload-Oxum.
    let mut manifest = String::new();
    let (mut files, mut bytes) = (0u64, 0u64);
    for (rel, path) in payload_files(&bag)? {
        let (h, n) = hash_file(&path)?;
        manifest.push_str(&format!("{h}  {rel}\n"));
        files += 1;
        bytes += n;
    }

    // The tag files.
    let mut info = vec![
        ("Bagging-Date", today),
        ("Bagging-Time", now_utc.clone()),
        ("Payload-Oxum", format!("{bytes}.{files}")),
        (
            "Bag-Software-Agent",
            format!("warden-incident {}", env!("CARGO_PKG_VERSION")),
        ),
        ("External-Identifier", req.case.meta.id.clone()),
        ("Internal-Sender-Description", req.case.meta.title.clone()),
        ("Warden-Case-Id", req.case.meta.id.clone()),
        ("Warden-Operator", operator.clone()),
        ("Warden-Host", host.clone()),
        ("Warden-Tool-Version", env!("CARGO_PKG_VERSION").into()),
    ];
    if let Some(l) = &description.ledger {
        info.push(("Warden-Ledger-Origin", l.origin.clone()));
        info.push(("Warden-Ledger-Verifier-Key", l.verifier_key.clone()));
        info.push(("Warden-Ledger-Verification", l.verdict.clone()));
        info.push(("Warden-Ledger-Records", l.records.to_string()));
        if let (Some(size), Some(root), Some(cp)) = (l.tree_size, &l.root, &l.checkpoint_sha256) {
            info.push(("Warden-Ledger-Tree-Size", size.to_string()));
            info.push(("Warden-Ledger-Root", root.clone()));
            info.push(("Warden-Ledger-Checkpoint-SHA256", cp.clone()));
        }
    }
    if let Some(s) = &description.snapshot {
        info.push(("Warden-Snapshot", s.archive.clone()));
        info.push(("Warden-Snapshot-SHA256", s.archive_sha256.clone()));
    }
    let info_text: String = info
        .iter()
        .map(|(k, v)| format!("{k}: {}\n", one_line(v)))
        .collect();
    write_new(&bag.join(BAGIT_FILE), BAGIT_TEXT.as_bytes())?;
    write_new(&bag.join(BAG_INFO_FILE), info_text.as_bytes())?;
    write_new(&bag.join(MANIFEST_FILE), manifest.as_bytes())?;
    write_new(&bag.join(SEAL_KEY_FILE), format!("{seal_key}\n").as_bytes())?;
    let mut tagmanifest = String::new();
    for name in TAGGED {
        let (h, _) = hash_file(&bag.join(name))?;
        tagmanifest.push_str(&format!("{h}  {name}\n"));
    }
    write_new(&bag.join(TAGMANIFEST_FILE), tagmanifest.as_bytes())?;
    let tagmanifest_sha256 = sha256_hex(tagmanifest.as_bytes());
    let manifest_sha256 = sha256_hex(manifest.as_bytes());

    // Custody: what was collected from where, then the seal.
    let mut custody = String::new();
    let here = |p: &str| format!("{host}:{p}");
    let entry = |action: &str, object: &str, sha: String, location: String| CustodyEntry {
        seq: 0,
        ts_utc: now_utc.clone(),
        actor: operator.clone(),
        action: action.into(),
        object: object.into(),
        object_sha256: sha,
        location: one_line(&location),
        prev: String::new(),
    };
    for (part, source) in &custody_sources {
        let Some(digest) = part_digest(&manifest, part) else {
            continue;
        };
        push_custody(&mut custody, entry("collected", part, digest, here(source)))?;
    }
    let head = push_custody(
        &mut custody,
        entry(
            "sealed",
            TAGMANIFEST_FILE,
            tagmanifest_sha256.clone(),
            here(&bag.display().to_string()),
        ),
    )?;
    let head_seq = (custody.lines().count() as u64).saturating_sub(1);
    write_new(&bag.join(CUSTODY_FILE), custody.as_bytes())?;
    let seal_text = format!(
        "{SEAL_HEADER}\ntagmanifest-sha256 {tagmanifest_sha256}\ncustody {head_seq} {head}\n"
    );
    let seal = signer
        .sign(&seal_text)
        .map_err(|e| BundleError::Internal(format!("signing the seal: {e}")))?;
    write_new(&bag.join(SEAL_FILE), seal.as_bytes())?;
    make_read_only(&bag)?;
    Ok(Preserved {
        bag,
        files,
        bytes,
        manifest_sha256,
        tagmanifest_sha256,
        seal_key,
        description,
        custody_head: head,
        journal_index: 0,
    })
}

// ---------------------------------------------------------------------------------------
// Upload with Object Lock.

pub use warden_ledger::export::LockMode;

/// Where an upload went.
#[derive(Debug, Clone, Serialize)]
pub struct Uploaded {
    /// `s3://bucket/prefix/<bag name>/`.
    pub destination: String,
    /// Every object written (or found already written with the same bytes).
    pub keys: Vec<String>,
    /// `COMPLIANCE` or `GOVERNANCE`.
    pub mode: String,
    /// Until when the objects are locked (Unix seconds)...
    pub retain_until_unix: i64,
    /// ...and as UTC.
    pub retain_until_utc: String,
    /// The `uploaded` custody entry appended to the local bag, and its line's SHA-256.
    pub custody: CustodyEntry,
    /// SHA-256 of that entry's line: the chain's new head.
    pub custody_head: String,
}

/// Splits `s3://bucket/prefix` into a target (`endpoint`: an S3-compatible server).
pub fn s3_target(url: &str, endpoint: Option<&str>) -> Result<warden_s3::Target, BundleError> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| {
        BundleError::Upload(format!("{url}: not an s3:// URL; use s3://BUCKET/PREFIX"))
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(BundleError::Upload(format!(
            "{url}: no bucket name; use s3://BUCKET/PREFIX"
        )));
    }
    Ok(warden_s3::Target {
        bucket: bucket.to_string(),
        prefix: prefix.trim_matches('/').to_string(),
        endpoint: endpoint.map(str::to_string),
    })
}

/// Uploads the bag in `bag` to `target` as `<prefix>/<bag name>/<file>`, every object
/// written once with Object Lock `mode` for `retain_days` days and a SHA-256 checksum
/// the store verifies (see `warden_s3::upload_files`), then appends an `uploaded` entry
/// to the local bag's custody chain. A bag that does not verify (with its own key: this
/// is a consistency check before locking it away) is refused. The uploaded
/// `custody.jsonl` ends before the `uploaded` entry: locked objects cannot be appended
/// to, so the local bag (or the case journal) carries the rest of the chain.
pub fn upload(
    bag: &Path,
    target: &warden_s3::Target,
    mode: LockMode,
    retain_days: u32,
) -> Result<Uploaded, BundleError> {
    let report = verify_bundle(bag, None)?;
    if !report.ok {
        let first = report
            .failures()
            .next()
            .map(|c| format!("{}: {}", c.name, c.reason))
            .unwrap_or_default();
        return Err(BundleError::Upload(format!(
            "{} does not verify ({first}); run verify-bundle, and preserve again rather than upload a damaged bag",
            bag.display()
        )));
    }
    let name = bag
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| BundleError::Upload(format!("{}: no directory name", bag.display())))?;
    let mut files = Vec::new();
    for (rel, kind) in walk_bag(bag)? {
        if kind == "file" {
            let path = bag.join(&rel);
            files.push((rel, std::fs::read(&path).map_err(io(&path))?));
        }
    }
    let now_secs = i64::try_from(now_unix_nano() / 1_000_000_000).unwrap_or(i64::MAX);
    let until = now_secs.saturating_add(i64::from(retain_days) * 86_400);
    let keys = warden_s3::upload_files(target, &name, &files, mode, until)
        .map_err(|e| BundleError::Upload(e.to_string()))?;
    let destination = format!("s3://{}/{}", target.bucket, target.key(&name, ""));
    let until_utc = utc(u64::try_from(until)
        .unwrap_or(0)
        .saturating_mul(1_000_000_000))
    .0;
    let (custody, custody_head) = record_custody(
        bag,
        "uploaded",
        &format!("{destination} ({} until {until_utc})", mode.as_str()),
    )?;
    Ok(Uploaded {
        destination,
        keys,
        mode: mode.as_str().into(),
        retain_until_unix: until,
        retain_until_utc: until_utc,
        custody,
        custody_head,
    })
}

// ---------------------------------------------------------------------------------------
// verify-bundle.

/// One check `verify-bundle` made.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// What was checked: a file (`data/ledger/ledger.json`), `seal SEAL.sig`,
    /// `custody.jsonl line 3`, `proof data/proofs/7.tlog-proof`...
    pub name: String,
    /// Passed or failed.
    pub ok: bool,
    /// Why (for a pass, what was established).
    pub reason: String,
}

/// The verdict on a bag.
#[derive(Debug, Clone, Serialize)]
pub struct BundleReport {
    /// The bag checked.
    pub bag: PathBuf,
    /// Every check passed.
    pub ok: bool,
    /// Whether the seal was checked against a key the caller trusts; if not, the key
    /// inside the bag was used and the result proves internal consistency only.
    pub trusted_key: bool,
    /// What the caller must know even when every check passes.
    pub warnings: Vec<String>,
    /// Every check, in the order made.
    pub checks: Vec<Check>,
}

impl BundleReport {
    fn pass(&mut self, name: impl Into<String>, reason: impl Into<String>) {
        self.checks.push(Check {
            name: name.into(),
            ok: true,
            reason: reason.into(),
        });
    }

    fn fail(&mut self, name: impl Into<String>, reason: impl Into<String>) {
        self.checks.push(Check {
            name: name.into(),
            ok: false,
            reason: reason.into(),
        });
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    /// The report for people: failures first, then a count of the checks passed.
    pub fn render(&self, all: bool) -> String {
        let mut out = String::new();
        for w in &self.warnings {
            out.push_str(&format!("WARNING: {w}\n"));
        }
        for c in &self.checks {
            if !c.ok {
                out.push_str(&format!("FAIL  {}: {}\n", c.name, c.reason));
            } else if all {
                out.push_str(&format!("ok    {}: {}\n", c.name, c.reason));
            }
        }
        let failed = self.failures().count();
        out.push_str(&format!(
            "\n{}: {} checks, {} failed ({})\n",
            self.bag.display(),
            self.checks.len(),
            failed,
            if self.ok {
                "the bundle verifies"
            } else {
                "THE BUNDLE DOES NOT VERIFY"
            }
        ));
        out
    }
}

/// A path from a manifest, if it is safe: relative, `/`-separated, plain components
/// only (no `..`, no `.`, no empty parts, no backslashes or NULs).
fn safe_rel(path: &str) -> Option<PathBuf> {
    if path.is_empty()
        || path.starts_with('/')
        || path.contains(['\\', '\0'])
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return None;
    }
    let p = PathBuf::from(path);
    p.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(p)
}

/// Parses `<64 hex>  <path>` lines; `Err` names the bad line.
fn parse_sums(text: &str) -> Vec<Result<(String, String), String>> {
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            let bad = |why: &str| format!("line {}: {why}", n + 1);
            let (h, p) = line
                .split_once("  ")
                .ok_or_else(|| bad("not `<sha256>  <path>`"))?;
            if h.len() != 64 || !h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(bad("the hash is not 64 lowercase hex digits"));
            }
            Ok((h.to_string(), p.to_string()))
        })
        .collect()
}

/// `bag-info.txt` as key → value (last one wins; we never write a key twice).
fn parse_info(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every entry in the bag (files and directories), without following links: a link in a
/// bag could point a reader outside it, so links are listed to be refused.
fn walk_bag(bag: &Path) -> Result<BTreeMap<String, &'static str>, BundleError> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for e in sorted_entries(&bag.join(&rel))? {
            let child = rel.join(e.file_name());
            let ft = e.file_type().map_err(io(&e.path()))?;
            let name = rel_str(&child);
            if ft.is_dir() {
                out.insert(name, "dir");
                stack.push(child);
            } else if ft.is_file() {
                out.insert(name, "file");
            } else if ft.is_symlink() {
                out.insert(name, "symlink");
            } else {
                out.insert(name, "special");
            }
        }
    }
    Ok(out)
}

/// Checks the bag in `path` with the seal key `trusted_key` (the case journal's verifier
/// key, as the case's `journal/ledger.pub` holds it). Without it, the key inside the bag
/// is used: the report then says loudly that this proves internal consistency, not
/// origin. The ledger's checkpoint is checked with the ledger key the sealed
/// `bag-info.txt` names (see [`verify_bundle_keys`] to pin it too).
pub fn verify_bundle(path: &Path, trusted_key: Option<&str>) -> Result<BundleReport, BundleError> {
    verify_bundle_keys(path, trusted_key, None)
}

/// [`verify_bundle`], also pinning the proxy ledger's verifier key.
pub fn verify_bundle_keys(
    path: &Path,
    seal_key: Option<&str>,
    ledger_key: Option<&str>,
) -> Result<BundleReport, BundleError> {
    let meta = std::fs::symlink_metadata(path).map_err(io(path))?;
    if !meta.is_dir() {
        return Err(BundleError::NotABag(
            path.display().to_string(),
            "not a directory".into(),
        ));
    }
    let bag = path;
    let mut r = BundleReport {
        bag: bag.to_path_buf(),
        ok: false,
        trusted_key: seal_key.is_some(),
        warnings: Vec::new(),
        checks: Vec::new(),
    };
    let entries = walk_bag(bag)?;
    // Reads only files the walk found as regular files: never through a link.
    let read = |name: &str| -> Option<Vec<u8>> {
        (entries.get(name) == Some(&"file"))
            .then(|| std::fs::read(bag.join(name)).ok())
            .flatten()
    };

    check_layout(&entries, &mut r);
    match read(BAGIT_FILE) {
        Some(b) if b == BAGIT_TEXT.as_bytes() => r.pass(BAGIT_FILE, "BagIt 1.0, UTF-8"),
        Some(_) => r.fail(
            BAGIT_FILE,
            "not `BagIt-Version: 1.0` / `Tag-File-Character-Encoding: UTF-8`",
        ),
        None => r.fail(BAGIT_FILE, "missing"),
    }
    let manifest = read(MANIFEST_FILE).and_then(|b| String::from_utf8(b).ok());
    let (listed_bytes, listed_files) = check_payload(bag, &entries, manifest.as_deref(), &mut r);
    let tagmanifest = read(TAGMANIFEST_FILE);
    check_tagmanifest(bag, &entries, tagmanifest.as_deref(), &mut r);
    let info = read(BAG_INFO_FILE)
        .and_then(|b| String::from_utf8(b).ok())
        .map(|t| parse_info(&t))
        .unwrap_or_default();
    match info.get("Payload-Oxum") {
        Some(o) if *o == format!("{listed_bytes}.{listed_files}") => {
            r.pass("Payload-Oxum", format!("{o} (bytes.files)"));
        }
        Some(o) => r.fail(
            "Payload-Oxum",
            format!(
                "bag-info.txt says {o}, the payload holds {listed_bytes}.{listed_files} (bytes.files)"
            ),
        ),
        None => r.fail("Payload-Oxum", "missing from bag-info.txt"),
    }
    let tag_sha = tagmanifest.as_deref().map(sha256_hex);
    let anchor = check_seal(
        read(SEAL_FILE),
        read(SEAL_KEY_FILE),
        seal_key,
        tag_sha.as_deref(),
        &mut r,
    );
    check_custody(
        read(CUSTODY_FILE),
        anchor,
        tag_sha.as_deref(),
        manifest.as_deref().unwrap_or_default(),
        &mut r,
    );
    let description: Option<Description> =
        read("data/preserve.json").and_then(|b| serde_json::from_slice(&b).ok());
    if description.is_none() {
        r.fail("data/preserve.json", "missing or not a bundle description");
    }
    check_ledger(
        bag,
        &entries,
        &info,
        description.as_ref(),
        ledger_key,
        &read,
        &mut r,
    );
    if let Some(s) = description.as_ref().and_then(|d| d.snapshot.as_ref()) {
        check_snapshot(bag, &entries, s, &read, &mut r);
    }
    if let Some(d) = &description {
        // The journal copy is signed by the same key as the seal.
        let key = seal_key.map(str::to_string).or_else(|| {
            read(SEAL_KEY_FILE)
                .and_then(|b| String::from_utf8(b).ok())
                .map(|k| k.trim().to_string())
        });
        let got = match (entries.get("data/journal"), key) {
            (Some(&"dir"), Some(k)) => journal_verdict(&bag.join("data/journal"), &k),
            _ => "missing".into(),
        };
        if got == d.journal.verdict {
            r.pass(
                "data/journal",
                format!("re-verified with the seal key: {got} (as recorded)"),
            );
        } else {
            r.fail(
                "data/journal",
                format!(
                    "re-verified with the seal key: {got}, but the bundle recorded {}",
                    d.journal.verdict
                ),
            );
        }
    }
    if seal_key.is_none() {
        r.warnings.push(format!(
            "no trusted key was given: the seal was checked with the key inside the bag ({SEAL_KEY_FILE}), which proves the bag is internally consistent, NOT who made it. Pass the case's journal/ledger.pub, kept apart from the bag."
        ));
    }
    r.ok = !r.checks.is_empty() && r.checks.iter().all(|c| c.ok);
    Ok(r)
}

/// The verdict on a journal copy with the case's key (`FAILED: why` when it cannot be
/// read at all).
fn journal_verdict(dir: &Path, key: &str) -> String {
    match NoteVerifier::parse(key) {
        Ok(k) => match verify::verify(dir, &[k]) {
            Ok(rep) => verdict_of(rep.exit_code()).into(),
            Err(e) => format!("FAILED: {e}"),
        },
        Err(e) => format!("FAILED: the key: {e}"),
    }
}

fn check_layout(entries: &BTreeMap<String, &'static str>, r: &mut BundleReport) {
    let top: BTreeSet<&str> = [
        BAGIT_FILE,
        BAG_INFO_FILE,
        MANIFEST_FILE,
        TAGMANIFEST_FILE,
        SEAL_FILE,
        SEAL_KEY_FILE,
        CUSTODY_FILE,
        "data",
    ]
    .into_iter()
    .collect();
    let mut ok = true;
    for (name, kind) in entries {
        if matches!(*kind, "symlink" | "special") {
            r.fail(
                name.clone(),
                format!(
                    "a {kind} in the bag: bags hold regular files only (a link could point outside)"
                ),
            );
            ok = false;
        } else if !name.contains('/') && !top.contains(name.as_str()) {
            r.fail(
                name.clone(),
                "not part of the bag: an unexpected file at the top level (added?)",
            );
            ok = false;
        }
    }
    if entries.get("data") != Some(&"dir") {
        r.fail("data", "the payload directory data/ is missing");
        ok = false;
    }
    for f in [SEAL_FILE, CUSTODY_FILE, TAGMANIFEST_FILE] {
        if entries.get(f) != Some(&"file") {
            r.fail(f, "missing");
            ok = false;
        }
    }
    if ok {
        r.pass("layout", "only the bag's files, no links");
    }
}

/// Checks every manifest line and that every payload file is listed; returns the listed
/// bytes and file count (for the Payload-Oxum).
fn check_payload(
    bag: &Path,
    entries: &BTreeMap<String, &'static str>,
    manifest: Option<&str>,
    r: &mut BundleReport,
) -> (u64, u64) {
    let Some(manifest) = manifest else {
        r.fail(MANIFEST_FILE, "missing or not UTF-8");
        return (0, 0);
    };
    let mut listed = BTreeSet::new();
    let (mut bytes, mut files) = (0u64, 0u64);
    for line in parse_sums(manifest) {
        let (want, name) = match line {
            Ok(x) => x,
            Err(why) => {
                r.fail(MANIFEST_FILE, why);
                continue;
            }
        };
        if safe_rel(&name).is_none() || !name.starts_with("data/") {
            r.fail(
                name,
                "unsafe path in the manifest (absolute, `..`, or outside data/): not read",
            );
            continue;
        }
        if !listed.insert(name.clone()) {
            r.fail(name, "listed twice in the manifest");
            continue;
        }
        match entries.get(&name) {
            Some(&"file") => match hash_file(&bag.join(&name)) {
                Ok((got, n)) if got == want => {
                    bytes += n;
                    files += 1;
                    r.pass(name, "SHA-256 matches the manifest");
                }
                Ok((got, _)) => r.fail(
                    name,
                    format!("hash mismatch: SHA-256 is {got}, the manifest says {want}"),
                ),
                Err(e) => r.fail(name, format!("unreadable: {e}")),
            },
            _ => r.fail(
                name,
                "listed in the manifest but missing from the bag (removed?)",
            ),
        }
    }
    for (name, kind) in entries {
        if *kind != "dir" && name.starts_with("data/") && !listed.contains(name) {
            r.fail(
                name.clone(),
                "in data/ but not in the manifest (planted evidence?)",
            );
        }
    }
    (bytes, files)
}

fn check_tagmanifest(
    bag: &Path,
    entries: &BTreeMap<String, &'static str>,
    tagmanifest: Option<&[u8]>,
    r: &mut BundleReport,
) {
    let Some(text) = tagmanifest.and_then(|b| std::str::from_utf8(b).ok()) else {
        r.fail(TAGMANIFEST_FILE, "missing or not UTF-8");
        return;
    };
    let mut seen = BTreeSet::new();
    for line in parse_sums(text) {
        let (want, name) = match line {
            Ok(x) => x,
            Err(why) => {
                r.fail(TAGMANIFEST_FILE, why);
                continue;
            }
        };
        if !TAGGED.contains(&name.as_str()) {
            r.fail(
                TAGMANIFEST_FILE,
                format!("lists `{name}`, which is not one of the bag's tag files: not read"),
            );
            continue;
        }
        seen.insert(name.clone());
        match entries.get(&name) {
            Some(&"file") => match hash_file(&bag.join(&name)) {
                Ok((got, _)) if got == want => r.pass(name, "SHA-256 matches the tag manifest"),
                Ok((got, _)) => r.fail(
                    name,
                    format!("hash mismatch: SHA-256 is {got}, the tag manifest says {want}"),
                ),
                Err(e) => r.fail(name, format!("unreadable: {e}")),
            },
            _ => r.fail(name, "listed in the tag manifest but missing (removed?)"),
        }
    }
    for name in TAGGED {
        if !seen.contains(name) {
            r.fail(name, "not covered by the tag manifest");
        }
    }
}

/// Checks the seal; returns the custody head it signs, `(seq, sha256)`.
fn check_seal(
    seal: Option<Vec<u8>>,
    included_key: Option<Vec<u8>>,
    trusted: Option<&str>,
    tag_sha: Option<&str>,
    r: &mut BundleReport,
) -> Option<(u64, String)> {
    let name = format!("seal {SEAL_FILE}");
    let Some(seal) = seal.and_then(|b| String::from_utf8(b).ok()) else {
        r.fail(name, "missing or not UTF-8");
        return None;
    };
    let key_text = match trusted {
        Some(k) => k.trim().to_string(),
        None => match included_key.and_then(|b| String::from_utf8(b).ok()) {
            Some(k) => k.trim().to_string(),
            None => {
                r.fail(
                    name,
                    format!("no key to check it with ({SEAL_KEY_FILE} is missing)"),
                );
                return None;
            }
        },
    };
    let key = match NoteVerifier::parse(&key_text) {
        Ok(k) => k,
        Err(e) => {
            r.fail(name, format!("the key: {e}"));
            return None;
        }
    };
    let note = match Note::parse(&seal) {
        Ok(n) => n,
        Err(e) => {
            r.fail(name, format!("not a signed note: {e}"));
            return None;
        }
    };
    if let Err(e) = note.verify(&[key]) {
        r.fail(
            name,
            format!(
                "the signature does not verify with {} key `{key_text}`: {e}",
                if trusted.is_some() {
                    "the trusted"
                } else {
                    "the included"
                }
            ),
        );
        return None;
    }
    let mut lines = note.text.lines();
    let header = lines.next();
    let tag = lines
        .next()
        .and_then(|l| l.strip_prefix("tagmanifest-sha256 "));
    let custody = lines.next().and_then(|l| l.strip_prefix("custody "));
    let (Some(SEAL_HEADER), Some(tag), Some(custody)) = (header, tag, custody) else {
        r.fail(name, "signed, but not a warden-bundle/v1 seal");
        return None;
    };
    let anchor = custody
        .split_once(' ')
        .and_then(|(s, h)| Some((s.parse::<u64>().ok()?, h.to_string())));
    if Some(tag) != tag_sha {
        r.fail(
            name,
            format!(
                "{TAGMANIFEST_FILE} is not the sealed one: its SHA-256 is {}, the seal signs {tag}",
                tag_sha.unwrap_or("(missing)")
            ),
        );
    } else {
        r.pass(
            name,
            format!(
                "signed by {} over {TAGMANIFEST_FILE} {tag}",
                if trusted.is_some() {
                    "the trusted key"
                } else {
                    "the key in the bag (consistency only)"
                }
            ),
        );
    }
    if anchor.is_none() {
        r.fail(format!("seal {SEAL_FILE}"), "the custody line is malformed");
    }
    anchor
}

fn check_custody(
    custody: Option<Vec<u8>>,
    anchor: Option<(u64, String)>,
    tag_sha: Option<&str>,
    manifest: &str,
    r: &mut BundleReport,
) {
    let Some(bytes) = custody else {
        r.fail(CUSTODY_FILE, "missing");
        return;
    };
    let Ok(text) = String::from_utf8(bytes) else {
        r.fail(CUSTODY_FILE, "not UTF-8");
        return;
    };
    if !text.ends_with('\n') {
        r.fail(CUSTODY_FILE, "the last line is incomplete (no newline)");
        return;
    }
    let mut prev = ZERO_HASH.to_string();
    let mut hashes = Vec::new();
    let mut sealed_at = None;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let name = format!("{CUSTODY_FILE} line {}", n + 1);
        let entry: CustodyEntry = match serde_json::from_str(line.trim_end_matches('\n')) {
            Ok(e) => e,
            Err(e) => {
                r.fail(
                    name,
                    format!("not a custody entry: {e}; the chain breaks here"),
                );
                return;
            }
        };
        if entry.seq != n as u64 {
            r.fail(
                name,
                format!("seq is {}, expected {n}; the chain breaks here", entry.seq),
            );
            return;
        }
        if entry.prev != prev {
            r.fail(
                name,
                "prev is not the SHA-256 of the line before: the chain breaks here (a line was edited, removed or inserted)",
            );
            return;
        }
        let sealed = sealed_at.is_some();
        match entry.action.as_str() {
            "collected" if !sealed => match part_digest(manifest, &entry.object) {
                Some(d) if d == entry.object_sha256 => {}
                _ => {
                    r.fail(
                        name,
                        format!(
                            "collected `{}`, but its digest does not match the manifest's lines for it",
                            entry.object
                        ),
                    );
                    return;
                }
            },
            "sealed" if !sealed => {
                if Some(entry.object_sha256.as_str()) != tag_sha {
                    r.fail(
                        name,
                        format!("the sealed entry names another {TAGMANIFEST_FILE}"),
                    );
                    return;
                }
                sealed_at = Some(n);
            }
            a if sealed && LATER_ACTIONS.contains(&a) => {
                if Some(entry.object_sha256.as_str()) != tag_sha {
                    r.fail(name, format!("`{a}` names another {TAGMANIFEST_FILE}"));
                    return;
                }
            }
            a => {
                r.fail(
                    name,
                    format!("`{a}` is not a custody action here (before the seal: collected, sealed; after: {})", LATER_ACTIONS.join(", ")),
                );
                return;
            }
        }
        prev = sha256_hex(line.as_bytes());
        hashes.push(prev.clone());
    }
    let Some(sealed) = sealed_at else {
        r.fail(CUSTODY_FILE, "no `sealed` entry");
        return;
    };
    match anchor {
        Some((seq, h)) if seq == sealed as u64 && hashes.get(sealed) == Some(&h) => {
            let after = hashes.len() - sealed - 1;
            r.pass(
                CUSTODY_FILE,
                format!(
                    "{} entries, unbroken; entries 1..{} are signed by the seal{}",
                    hashes.len(),
                    sealed + 1,
                    if after > 0 {
                        format!(
                            "; the {after} after it are hash-linked but unsigned (compare the newest with your records)"
                        )
                    } else {
                        String::new()
                    }
                ),
            );
        }
        Some(_) => r.fail(
            CUSTODY_FILE,
            "the sealed entry is not the one the seal signs (the custody file was rewritten)",
        ),
        None => r.fail(CUSTODY_FILE, "the seal does not anchor the chain"),
    }
}

fn check_ledger(
    bag: &Path,
    entries: &BTreeMap<String, &'static str>,
    info: &BTreeMap<String, String>,
    description: Option<&Description>,
    ledger_key: Option<&str>,
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
    r: &mut BundleReport,
) {
    let Some(ledger) = description.and_then(|d| d.ledger.as_ref()) else {
        if entries.contains_key("data/ledger") {
            r.fail(
                "data/ledger",
                "a ledger copy the description does not account for",
            );
        }
        return;
    };
    // The keys the bag recorded (sealed: preserve.json is in the manifest), unless the
    // caller pins its own.
    let key_texts = ledger_key.map_or_else(|| ledger.verifier_keys.clone(), split_keys);
    let keys: Vec<NoteVerifier> = key_texts
        .iter()
        .filter_map(|k| NoteVerifier::parse(k).ok())
        .collect();
    if keys.is_empty() || keys.len() != key_texts.len() {
        r.fail(
            "ledger key",
            format!("not usable ledger verifier keys: {key_texts:?}"),
        );
        return;
    }
    if info.get("Warden-Ledger-Verifier-Key") != Some(&ledger.verifier_key) {
        r.fail(
            "data/preserve.json",
            "its ledger verifier key differs from bag-info.txt",
        );
    }
    if info.get("Warden-Ledger-Verification") != Some(&ledger.verdict) {
        r.fail(
            "data/preserve.json",
            "its ledger verdict differs from bag-info.txt",
        );
    }
    // Re-verify the copy: its verdict must be the one recorded when it was preserved.
    let dir = bag.join("data/ledger");
    if entries.get("data/ledger") == Some(&"dir") {
        match verify::verify(&dir, &keys) {
            Ok(rep) if verdict_of(rep.exit_code()) == ledger.verdict => r.pass(
                "data/ledger",
                format!("re-verified: {} (as recorded)", ledger.verdict),
            ),
            Ok(rep) => r.fail(
                "data/ledger",
                format!(
                    "re-verified: {}, but the bundle recorded {}",
                    verdict_of(rep.exit_code()),
                    ledger.verdict
                ),
            ),
            Err(e) => r.fail("data/ledger", format!("cannot be verified: {e}")),
        }
    } else {
        r.fail("data/ledger", "the ledger copy is missing");
    }
    let checkpoint = match (ledger.tree_size, &ledger.root) {
        (Some(size), Some(root)) => {
            let name = "data/ledger-checkpoint.txt";
            let cp = read(name)
                .ok_or_else(|| "missing".to_string())
                .and_then(|b| verify::check_signature(&b, &keys));
            match cp {
                Ok(cp)
                    if cp.size == size
                        && hex(&cp.root) == *root
                        && info.get("Warden-Ledger-Tree-Size") == Some(&size.to_string())
                        && info.get("Warden-Ledger-Root") == Some(root) =>
                {
                    r.pass(
                        name,
                        format!("signed by the ledger key: size {size}, root {root}"),
                    );
                    Some(cp)
                }
                Ok(cp) => {
                    r.fail(
                        name,
                        format!(
                            "size {} root {} is not the one recorded in bag-info.txt and preserve.json",
                            cp.size,
                            hex(&cp.root)
                        ),
                    );
                    None
                }
                Err(why) => {
                    r.fail(name, why);
                    None
                }
            }
        }
        _ => None,
    };
    let mut found = BTreeSet::new();
    // Proofs that check out on their own, waiting for the copied ledger's bytes: read
    // in one pass below (one lookup per proof would read a segment per proof).
    let mut pending: BTreeMap<u64, (String, [u8; 32], u64)> = BTreeMap::new();
    for name in entries.keys().filter(|n| n.starts_with("data/proofs/")) {
        let label = format!("proof {name}");
        let Some(index) = name
            .strip_prefix("data/proofs/")
            .and_then(|n| n.strip_suffix(".tlog-proof"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            r.fail(label, "not named <index>.tlog-proof");
            continue;
        };
        found.insert(index);
        let Some(text) = read(name).and_then(|b| String::from_utf8(b).ok()) else {
            r.fail(label, "unreadable or not UTF-8");
            continue;
        };
        let included = match proof::check_inclusion(&text, &keys) {
            Ok(i) => i,
            Err(e) => {
                r.fail(label, e.to_string());
                continue;
            }
        };
        if included.index != index {
            r.fail(
                label,
                format!("proves record {}, not {index}", included.index),
            );
        } else if checkpoint.as_ref() != Some(&included.checkpoint) {
            r.fail(
                label,
                "is against another checkpoint than data/ledger-checkpoint.txt",
            );
        } else {
            let digest: [u8; 32] = Sha256::digest(&included.record).into();
            pending.insert(index, (label, digest, included.checkpoint.size));
        }
    }
    if !pending.is_empty() {
        match LogFiles::open(&dir) {
            Err(e) => {
                for (_, (label, _, _)) in std::mem::take(&mut pending) {
                    r.fail(label, format!("the copied ledger cannot be read: {e}"));
                }
            }
            Ok(files) => {
                let last = pending.keys().next_back().copied().unwrap_or(0);
                for item in files.records(0) {
                    let (index, bytes) = match item {
                        Ok(x) => x,
                        Err(e) => {
                            for (_, (label, _, _)) in std::mem::take(&mut pending) {
                                r.fail(label, format!("the copied ledger's record: {e}"));
                            }
                            break;
                        }
                    };
                    if let Some((label, digest, size)) = pending.remove(&index) {
                        let same: [u8; 32] = Sha256::digest(&bytes).into();
                        if same == digest {
                            r.pass(
                                label,
                                format!(
                                    "record {index} is in the tree of size {size}, and its bytes are the copied ledger's"
                                ),
                            );
                        } else {
                            r.fail(
                                label,
                                format!(
                                    "the proven record differs from record {index} of the copied ledger"
                                ),
                            );
                        }
                    }
                    if index >= last {
                        break;
                    }
                }
                for (index, (label, _, _)) in pending {
                    r.fail(label, format!("record {index} is not in the copied ledger"));
                }
            }
        }
    }
    if let Some(d) = description {
        let want: BTreeSet<u64> = d.proofs.iter().copied().collect();
        if want == found {
            r.pass(
                "data/proofs",
                format!(
                    "{} proof(s), as recorded; {} cited record(s) not provable (see preserve.json)",
                    want.len(),
                    d.unproven.len()
                ),
            );
        } else {
            r.fail(
                "data/proofs",
                format!("the proofs present {found:?} are not the ones recorded {want:?}"),
            );
        }
    }
}

/// Feeds what is written into a SHA-256.
struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn check_snapshot(
    bag: &Path,
    entries: &BTreeMap<String, &'static str>,
    s: &SnapshotEvidence,
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
    r: &mut BundleReport,
) {
    let label = "data/snapshot/files-sha256.txt";
    let Some(list) = read(label).and_then(|b| String::from_utf8(b).ok()) else {
        r.fail(label, "missing or not UTF-8");
        return;
    };
    if safe_rel(&s.archive).is_none() || entries.get(&s.archive) != Some(&"file") {
        r.fail(s.archive.clone(), "the snapshot archive is missing");
        return;
    }
    let path = bag.join(&s.archive);
    let archive = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            r.fail(s.archive.clone(), format!("unreadable: {e}"));
            return;
        }
    };
    // The per-file list must describe exactly the archive's regular files.
    let mut got = String::new();
    let mut sums = Vec::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let result = (|| -> std::io::Result<()> {
        for entry in tar.entries()? {
            let mut entry = entry?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            let name = entry.path()?.to_string_lossy().into_owned();
            let mut h = HashWriter(Sha256::new());
            std::io::copy(&mut entry, &mut h)?;
            sums.push((name, hex(&h.0.finalize())));
        }
        Ok(())
    })();
    if let Err(e) = result {
        r.fail(s.archive.clone(), format!("not a readable tar.gz: {e}"));
        return;
    }
    sums.sort();
    for (p, h) in &sums {
        got.push_str(&sum_line(h, p));
    }
    if got == list {
        r.pass(label, format!("{} files, as in the archive", sums.len()));
    } else {
        r.fail(label, "does not match the archive's files and hashes");
    }
}
