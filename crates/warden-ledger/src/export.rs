//! Exports: sealed segments, the checkpoint that covers exactly them, and a signed
//! manifest, written to a directory (made read-only) or handed to an object store with
//! Object Lock (see the `warden-s3` crate).
//!
//! ```text
//! <name>/segments/*.wseg   the sealed segments not exported before
//! <name>/checkpoint        a signed checkpoint whose size is the last segment's end
//! <name>/manifest.json     range, prefix, previous manifest's SHA-256 (the chain)
//! <name>/manifest.sig      signed note over manifest.json and SHA256SUMS
//! <name>/SHA256SUMS        `sha256sum -c` format, every file above but itself
//! ```
//!
//! An incremental bundle starts at record `first > 0`; its manifest carries the compact
//! range (the complete-subtree roots) of records `[0, first)`, which is all a verifier
//! needs to recompute the signed root. The prefix is not trusted: a wrong one cannot
//! produce the signed root.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::hmac::{hex, unhex};
use crate::keys::SigningKeyFile;
use crate::ledger::{
    CHECKPOINT_FILE, CHECKPOINT_LOG, Ledger, LedgerError, OpenOptions, SEGMENTS_DIR, now_unix_nano,
};
use crate::merkle::{CompactRange, leaf_hash};
use crate::note::NoteVerifier;
use crate::segment;
use crate::verify::{MANIFEST_FILE, SUMS_FILE, check_signature};

/// Signature over the manifest.
pub const MANIFEST_SIG: &str = "manifest.sig";
/// The ledger's record of its exports (in the ledger directory).
pub const EXPORTS_FILE: &str = "exports.json";

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub origin: String,
    /// Export number, from 1.
    pub sequence: u64,
    pub created_unix_nano: u64,
    pub first_index: u64,
    pub end_index: u64,
    /// `[size, hex root]` pairs: the compact range of records before `first_index`.
    pub prefix: Vec<(u64, String)>,
    /// SHA-256 of the previous export's manifest.json (none for the first).
    pub prev_manifest_sha256: Option<String>,
}

/// One past export, kept in `exports.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportState {
    pub sequence: u64,
    pub end_index: u64,
    pub manifest_sha256: Option<String>,
    /// Object Lock settings used so far per destination, for the no-downgrade guard.
    #[serde(default)]
    pub retention: Vec<Retention>,
}

/// Object Lock retention applied to a destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub destination: String,
    /// `COMPLIANCE` or `GOVERNANCE`.
    pub mode: LockMode,
    pub retain_until_unix: i64,
}

/// S3 Object Lock modes, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LockMode {
    Governance,
    Compliance,
}

impl LockMode {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }
}

/// Refuses a retention that would shorten or weaken an existing one. Object stores
/// differ in what they allow (moto accepts shortening COMPLIANCE), so the guard is ours.
pub fn check_retention(
    existing: Option<(LockMode, i64)>,
    wanted: (LockMode, i64),
) -> Result<(), String> {
    let Some((mode, until)) = existing else {
        return Ok(());
    };
    if wanted.0 < mode {
        return Err(format!(
            "refusing to downgrade Object Lock from {} to {}",
            mode.as_str(),
            wanted.0.as_str()
        ));
    }
    if wanted.1 < until {
        return Err(format!(
            "refusing to shorten retention from {until} to {} (Unix seconds); retention can only be extended",
            wanted.1
        ));
    }
    Ok(())
}

/// A built bundle: relative paths and contents, in write order.
pub struct Bundle {
    pub name: String,
    pub files: Vec<(String, Vec<u8>)>,
    pub manifest: Manifest,
    pub manifest_sha256: String,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("nothing new to export: every sealed segment up to record {0} was exported already")]
    Nothing(u64),
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Reads `exports.json` (default when absent).
pub fn read_state(dir: &Path) -> Result<ExportState, ExportError> {
    let path = dir.join(EXPORTS_FILE);
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t)
            .map_err(|e| ExportError::Invalid(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ExportState::default()),
        Err(e) => Err(io(&path)(e)),
    }
}

/// Writes `exports.json` atomically.
pub fn write_state(dir: &Path, state: &ExportState) -> Result<(), ExportError> {
    let text =
        serde_json::to_string_pretty(state).map_err(|e| ExportError::Invalid(e.to_string()))?;
    crate::ledger::write_atomic(dir, EXPORTS_FILE, text.as_bytes()).map_err(io(dir))
}

/// Builds the next bundle of the ledger in `dir`. If no other process is writing, the
/// active segment is sealed first so everything recorded so far is included; otherwise
/// only segments already sealed are.
pub fn build(dir: &Path, signing_key: Option<&Path>) -> Result<Bundle, ExportError> {
    let config = Ledger::read_config(dir)?;
    match Ledger::open(
        dir,
        OpenOptions {
            signing_key: signing_key.map(Path::to_path_buf),
            ..OpenOptions::default()
        },
    ) {
        Ok(ledger) => {
            ledger.seal()?;
            ledger.close()?;
        }
        Err(LedgerError::Locked(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let state = read_state(dir)?;
    let seg_dir = dir.join(SEGMENTS_DIR);
    let files = segment::list(&seg_dir).map_err(io(&seg_dir))?;
    // The last segment is the active one: never exported.
    let sealed = &files[..files.len().saturating_sub(1)];
    let end = files.last().map_or(0, |(b, _)| *b);
    if end <= state.end_index {
        return Err(ExportError::Nothing(state.end_index));
    }
    let covering = find_checkpoint(dir, end, &config.verifiers()?)?;

    let mut prefix = CompactRange::new();
    let mut out_files = Vec::new();
    for (base, path) in sealed {
        let bytes = std::fs::read(path).map_err(io(path))?;
        let scan = segment::scan(&bytes, *base).map_err(|(e, _)| {
            ExportError::Invalid(format!(
                "{} is damaged ({e}); run `warden log verify` before exporting",
                path.display()
            ))
        })?;
        if *base < state.end_index {
            for f in &scan.frames {
                prefix.push(leaf_hash(f.payload));
            }
            continue;
        }
        drop(scan);
        out_files.push((
            format!("{SEGMENTS_DIR}/{}", segment::file_name(*base)),
            bytes,
        ));
    }
    if prefix.size() != state.end_index {
        return Err(ExportError::Invalid(format!(
            "the previous export ended at record {} but the sealed segments before it hold {}",
            state.end_index,
            prefix.size()
        )));
    }
    out_files.push((CHECKPOINT_FILE.to_string(), covering));
    let manifest = Manifest {
        format: "warden-export".into(),
        version: 1,
        origin: config.origin.clone(),
        sequence: state.sequence + 1,
        created_unix_nano: now_unix_nano(),
        first_index: state.end_index,
        end_index: end,
        prefix: prefix.nodes().iter().map(|(n, h)| (*n, hex(h))).collect(),
        prev_manifest_sha256: state.manifest_sha256.clone(),
    };
    let manifest_bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| ExportError::Invalid(e.to_string()))?;
    let manifest_sha256 = hex(&Sha256::digest(&manifest_bytes));
    out_files.push((MANIFEST_FILE.to_string(), manifest_bytes));
    let mut sums = String::new();
    for (name, bytes) in &out_files {
        sums.push_str(&format!("{}  {name}\n", hex(&Sha256::digest(bytes))));
    }
    let key_path = signing_key.map_or_else(
        || {
            if config.signing_key_file.is_absolute() {
                config.signing_key_file.clone()
            } else {
                dir.join(&config.signing_key_file)
            }
        },
        Path::to_path_buf,
    );
    let signer = SigningKeyFile::read(&key_path)
        .map_err(LedgerError::from)?
        .signer()
        .map_err(LedgerError::from)?;
    let sig_text = format!(
        "warden-export/v1\n{}\n{}\n{manifest_sha256}\n{}\n",
        config.origin,
        manifest.sequence,
        hex(&Sha256::digest(sums.as_bytes()))
    );
    let sig = signer
        .sign(&sig_text)
        .map_err(|e| ExportError::Invalid(e.to_string()))?;
    sums.push_str(&format!(
        "{}  {MANIFEST_SIG}\n",
        hex(&Sha256::digest(sig.as_bytes()))
    ));
    out_files.push((MANIFEST_SIG.to_string(), sig.into_bytes()));
    out_files.push((SUMS_FILE.to_string(), sums.into_bytes()));
    let origin_slug: String = config
        .origin
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Ok(Bundle {
        name: format!(
            "{origin_slug}-{:06}-{:020}-{:020}",
            manifest.sequence, manifest.first_index, manifest.end_index
        ),
        files: out_files,
        manifest,
        manifest_sha256,
    })
}

/// Records a finished export in `exports.json` (after every object is written).
pub fn commit(
    dir: &Path,
    bundle: &Bundle,
    retention: Option<Retention>,
) -> Result<(), ExportError> {
    let mut state = read_state(dir)?;
    state.sequence = bundle.manifest.sequence;
    state.end_index = bundle.manifest.end_index;
    state.manifest_sha256 = Some(bundle.manifest_sha256.clone());
    if let Some(r) = retention {
        state.retention.retain(|x| x.destination != r.destination);
        state.retention.push(r);
    }
    write_state(dir, &state)
}

/// Writes a bundle under `dest` and makes it read-only; returns its directory.
pub fn write_local(dest: &Path, bundle: &Bundle) -> Result<PathBuf, ExportError> {
    let root = dest.join(&bundle.name);
    if root.exists() {
        return Err(ExportError::Invalid(format!(
            "{} already exists; exports are never overwritten",
            root.display()
        )));
    }
    std::fs::create_dir_all(root.join(SEGMENTS_DIR)).map_err(io(&root))?;
    for (name, bytes) in &bundle.files {
        let path = root.join(name);
        std::fs::write(&path, bytes).map_err(io(&path))?;
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(io(&path))?;
        set_read_only(&path)?;
    }
    for d in [root.join(SEGMENTS_DIR), root.clone()] {
        std::fs::File::open(&d)
            .and_then(|f| f.sync_all())
            .map_err(io(&d))?;
        set_read_only(&d)?;
    }
    Ok(root)
}

fn set_read_only(path: &Path) -> Result<(), ExportError> {
    let mut perms = std::fs::metadata(path).map_err(io(path))?.permissions();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if path.is_dir() { 0o555 } else { 0o444 };
        perms.set_mode(mode);
    }
    #[cfg(not(unix))]
    perms.set_readonly(true);
    std::fs::set_permissions(path, perms).map_err(io(path))
}

/// The signed checkpoint of exactly `size` records from the checkpoint log.
fn find_checkpoint(
    dir: &Path,
    size: u64,
    verifiers: &[NoteVerifier],
) -> Result<Vec<u8>, ExportError> {
    let path = dir.join(CHECKPOINT_LOG);
    let bytes = std::fs::read(&path).map_err(io(&path))?;
    let (frames, _) = crate::frame::scan(&bytes, 0)
        .map_err(|e| ExportError::Invalid(format!("{}: {e}", path.display())))?;
    for f in frames.iter().rev() {
        if let Ok(cp) = check_signature(f.payload, verifiers)
            && cp.size == size
        {
            return Ok(f.payload.to_vec());
        }
    }
    Err(ExportError::Invalid(format!(
        "no signed checkpoint of exactly {size} records (the end of the sealed segments); open the ledger once with this Warden so it signs one"
    )))
}

/// Reads a bundle's prefix compact range (empty for a ledger directory).
pub fn read_prefix(dir: &Path) -> Result<CompactRange, String> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut nodes = Vec::new();
    for (n, h) in &m.prefix {
        let raw = unhex(h).ok_or("prefix hash is not hex")?;
        let hash: [u8; 32] = raw.try_into().map_err(|_| "prefix hash is not 32 bytes")?;
        nodes.push((*n, hash));
    }
    let range = CompactRange::from_nodes(nodes).map_err(|e| e.to_string())?;
    if range.size() != m.first_index {
        return Err(format!(
            "the prefix covers {} records but the bundle starts at {}",
            range.size(),
            m.first_index
        ));
    }
    Ok(range)
}

/// Checks a bundle's `manifest.sig` against trusted keys; `Err` is the reason.
pub fn check_manifest_signature(dir: &Path, trusted: &[NoteVerifier]) -> Result<(), String> {
    let sig = std::fs::read(dir.join(MANIFEST_SIG)).map_err(|e| format!("{MANIFEST_SIG}: {e}"))?;
    let text = std::str::from_utf8(&sig).map_err(|_| "not UTF-8".to_string())?;
    let note = crate::note::Note::parse(text).map_err(|e| e.to_string())?;
    note.verify(trusted).map_err(|e| match e {
        crate::note::NoteError::NoTrustedSignature => {
            "unknown key: not signed by a trusted key".to_string()
        }
        other => format!("signature verification failed: {other}"),
    })?;
    let manifest = std::fs::read(dir.join(MANIFEST_FILE)).map_err(|e| e.to_string())?;
    let sums = std::fs::read_to_string(dir.join(SUMS_FILE)).map_err(|e| e.to_string())?;
    // SHA256SUMS ends with the line for manifest.sig itself, which the signature
    // cannot cover: hash the lines before it.
    let covered: String = sums
        .lines()
        .filter(|l| !l.ends_with(&format!("  {MANIFEST_SIG}")))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut lines = note.text.lines();
    let (Some("warden-export/v1"), Some(_origin), Some(_seq), Some(m), Some(s)) = (
        lines.next(),
        lines.next(),
        lines.next(),
        lines.next(),
        lines.next(),
    ) else {
        return Err("not a warden-export signature".into());
    };
    if m != hex(&Sha256::digest(&manifest)) {
        return Err(format!(
            "hash mismatch: {MANIFEST_FILE} is not the signed one"
        ));
    }
    if s != hex(&Sha256::digest(covered.as_bytes())) {
        return Err(format!("hash mismatch: {SUMS_FILE} is not the signed one"));
    }
    Ok(())
}
