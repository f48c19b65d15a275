//! The ledger writer: one directory, one writer, group commit, signed checkpoints, and
//! recovery on open.
//!
//! ```text
//! DIR/ledger.json          configuration (origin, verifier key, sizes; no secrets)
//! DIR/LOCK                 held (flock) by the one writer
//! DIR/keys/                checkpoint.key and args.key, mode 0600 (may live elsewhere)
//! DIR/segments/*.wseg      records
//! DIR/checkpoint           the latest signed checkpoint (replaced atomically)
//! DIR/checkpoints.log      every signed checkpoint, framed like records
//! ```
//!
//! **Group commit.** An appender encodes and hashes its records, then takes the state
//! lock only to assign indices, extend the tree and queue the frames. The first waiting
//! appender becomes the *leader*: it takes everything queued, writes it and calls
//! `fdatasync` once, then wakes every appender whose records that sync covered. While it
//! syncs, new appenders queue behind it, so the batch grows with the load and no timer
//! is needed. Nothing is acknowledged before its sync returns.
//!
//! **Fail closed.** A write or sync error poisons the ledger: every later append is
//! refused with the original error, never retried (after a failed `fsync` the page cache
//! may already have dropped the data; see PostgreSQL's "fsyncgate").

use std::fs::{File, OpenOptions as FsOpenOptions};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::frame::{self, Tail};
use crate::keys::{self, KeyError, SigningKeyFile};
use crate::merkle::{CompactRange, Hash, ProofError, RecentRoots, empty_root, leaf_hash};
use crate::note::{Checkpoint, Note, NoteSigner, NoteVerifier};
use crate::record::{ArgsDigester, Canonical, Record, RecordError};
use crate::segment::{self, Header, SegmentError};

/// The name of the configuration file in a ledger directory.
pub const CONFIG_FILE: &str = "ledger.json";
/// Segment directory.
pub const SEGMENTS_DIR: &str = "segments";
/// The latest checkpoint.
pub const CHECKPOINT_FILE: &str = "checkpoint";
/// Every checkpoint ever signed.
pub const CHECKPOINT_LOG: &str = "checkpoints.log";
const LOCK_FILE: &str = "LOCK";

/// When appends are acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    /// One `fdatasync` per batch of concurrent appends (the default).
    #[default]
    Group,
    /// One `fdatasync` per record.
    Every,
}

/// How tool arguments are digested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DigestMode {
    /// HMAC-SHA-256 under the ledger's argument key.
    #[default]
    #[serde(rename = "hmac-sha256")]
    HmacSha256,
    /// Plain SHA-256 (low-sensitivity deployments only).
    #[serde(rename = "sha256")]
    Sha256,
}

/// `ledger.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Always `warden-ledger`.
    pub format: String,
    /// Configuration format version (1).
    pub version: u32,
    /// The log's identity, the first line of every checkpoint.
    pub origin: String,
    /// The verifier key (C2SP form) whose signatures this ledger's checkpoints carry.
    pub verifier_key: String,
    pub segment_bytes: u64,
    pub sync: SyncMode,
    /// Sign a checkpoint after this many records...
    pub checkpoint_every: u64,
    /// ...or this long after the first unsigned record, whichever comes first.
    pub checkpoint_interval_ms: u64,
    pub args_digest: DigestMode,
    /// Where the signing key lives (relative paths are relative to the ledger).
    pub signing_key_file: PathBuf,
    /// Where the argument key lives (for `hmac-sha256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args_key_file: Option<PathBuf>,
    /// Keys that signed earlier checkpoints, oldest first (see [`Ledger::rotate_key`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_verifier_keys: Vec<String>,
}

impl Config {
    /// Every key this ledger's checkpoints were ever signed with.
    pub fn verifiers(&self) -> Result<Vec<NoteVerifier>, LedgerError> {
        std::iter::once(&self.verifier_key)
            .chain(&self.previous_verifier_keys)
            .map(|k| {
                NoteVerifier::parse(k)
                    .map_err(|e| LedgerError::Config(format!("verifier key `{k}`: {e}")))
            })
            .collect()
    }
}

/// Choices for [`Ledger::init`].
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Default: `warden.local/<random id>`.
    pub origin: Option<String>,
    /// An existing signing key (from `warden log keygen`); default: a new one in `keys/`.
    pub signing_key: Option<PathBuf>,
    pub segment_bytes: u64,
    pub sync: SyncMode,
    pub checkpoint_every: u64,
    pub checkpoint_interval: Duration,
    pub args_digest: DigestMode,
}

impl Default for InitOptions {
    fn default() -> InitOptions {
        InitOptions {
            origin: None,
            signing_key: None,
            segment_bytes: 64 * 1024 * 1024,
            sync: SyncMode::Group,
            checkpoint_every: 10_000,
            checkpoint_interval: Duration::from_secs(1),
            args_digest: DigestMode::HmacSha256,
        }
    }
}

/// An I/O step the writer is about to take, offered to a [`Faults`] hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoOp {
    /// Writing `len` bytes of frames into the segment starting at `base`.
    Write { base: u64, len: usize },
    /// `fdatasync` of that segment.
    Sync { base: u64 },
    /// Creating (writing and syncing the header of) a segment.
    CreateSegment { base: u64 },
    /// `fsync` of the segments directory.
    SyncDir,
    /// Writing a signed checkpoint of `size`.
    Checkpoint { size: u64 },
}

/// What a [`Faults`] hook makes of an [`IoOp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    Proceed,
    /// Fail with this error kind (EIO is `io::ErrorKind::Other` here).
    Fail,
    /// Write only this many bytes, then fail (a torn write).
    ShortWrite(usize),
    /// Report success without doing it (a disk that loses a flush).
    Skip,
}

/// A fault-injection hook for tests: called before each I/O step of the writer.
pub trait Faults: Send + Sync {
    fn before(&self, op: IoOp) -> FaultAction;
}

/// Choices for [`Ledger::open`].
#[derive(Clone, Default)]
pub struct OpenOptions {
    /// Truncate at the first damage instead of refusing to open (records the loss).
    pub repair: bool,
    /// Override the configured signing key file.
    pub signing_key: Option<PathBuf>,
    /// Override the configured argument key file.
    pub args_key: Option<PathBuf>,
    /// Fault injection (tests).
    pub faults: Option<Arc<dyn Faults>>,
}

/// Everything that can go wrong with a ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{0} is not a ledger directory (no ledger.json); create one with `warden log init`")]
    NotALedger(String),
    #[error("{0} already holds a ledger; refusing to overwrite it")]
    Exists(String),
    #[error("ledger.json is invalid: {0}")]
    Config(String),
    #[error(
        "another process is writing to the ledger {0} (its LOCK is held); stop it or use read-only commands"
    )]
    Locked(String),
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error(
        "the ledger is damaged: segment {segment} at byte offset {offset} (record index {index}): {reason}; nothing was changed. Run `warden log verify` for a full report; `--repair` truncates at the damage and records the loss"
    )]
    Corrupt {
        segment: String,
        offset: u64,
        index: u64,
        reason: String,
    },
    #[error(
        "the ledger disagrees with its last signed checkpoint: {0}; refusing to open (possible tampering). Run `warden log verify`"
    )]
    CheckpointMismatch(String),
    #[error(
        "the ledger stopped accepting records after an I/O failure ({0}); nothing after the last acknowledged record was written. Fix the disk and reopen the ledger"
    )]
    Poisoned(String),
    #[error("record: {0}")]
    Record(#[from] RecordError),
    #[error("record of {0} bytes is over the {max}-byte limit", max = frame::MAX_PAYLOAD)]
    TooLarge(usize),
    #[error("{0}")]
    Proof(#[from] ProofError),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> LedgerError + '_ {
    move |source| LedgerError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Unix time in nanoseconds.
pub fn now_unix_nano() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A change recovery makes to the files, applied only once opening is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fix {
    Truncate(PathBuf, u64),
    Remove(PathBuf),
}

/// What recovery did on open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    fixes: Vec<Fix>,
    /// Repairs made (torn tails truncated, unfinished segments removed, damage cut).
    pub repairs: Vec<Map<String, Value>>,
    /// Records present after recovery.
    pub size: u64,
    /// The size of the last signed checkpoint found.
    pub checkpoint_size: Option<u64>,
}

/// An open ledger: the only writer of its directory.
pub struct Ledger {
    shared: Arc<Shared>,
    checkpointer: Option<JoinHandle<()>>,
    recovery: Recovery,
}

struct Shared {
    dir: PathBuf,
    config: Config,
    signer: NoteSigner,
    digester: ArgsDigester,
    faults: Option<Arc<dyn Faults>>,
    state: Mutex<State>,
    /// The checkpointer waits here.
    checkpoint_cv: Condvar,
    writer: Mutex<SegmentWriter>,
    checkpoints: Mutex<CheckpointWriter>,
    // Held for the ledger's lifetime: the OS lock on DIR/LOCK.
    _lock: File,
}

struct State {
    next: u64,
    durable: u64,
    /// The roots checkpoints need (sizes from the last signing round on), not the whole
    /// tree: a long-running writer's memory stays flat.
    roots: RecentRoots,
    /// Frames queued for the next leader.
    pending: Vec<u8>,
    /// Frame ends in `pending` (in `every` mode, each is synced on its own).
    cuts: Vec<usize>,
    /// `(offset in pending, base index)`: start a new segment there.
    rolls: Vec<(usize, u64)>,
    /// Bytes the active segment will hold once `pending` is written.
    segment_fill: u64,
    leader: bool,
    poisoned: Option<String>,
    closing: bool,
    /// Sizes that need a checkpoint of their own (segment ends).
    seal_sizes: Vec<u64>,
    /// Appenders parked until `durable` reaches their target. Parking with targeted
    /// wake-ups (rather than a condition variable's broadcast) spares every woken
    /// appender a trip through the state lock: on two cores that convoy cost more than
    /// the fsync.
    waiters: Vec<Waiter>,
    /// When the oldest unsigned durable record was acknowledged.
    unsigned_since: Option<Instant>,
    signed: u64,
}

struct Waiter {
    target: u64,
    thread: std::thread::Thread,
}

impl State {
    /// Removes and returns the waiters to wake: one whose records are not durable yet, to
    /// lead the next flush, then those whose records are (all of them once poisoned).
    fn wakeable(&mut self) -> Vec<std::thread::Thread> {
        if self.poisoned.is_some() {
            return self.waiters.drain(..).map(|w| w.thread).collect();
        }
        let durable = self.durable;
        let mut wake = Vec::new();
        let mut next_leader = None;
        self.waiters.retain(|w| {
            if w.target <= durable {
                wake.push(w.thread.clone());
                false
            } else {
                if next_leader.is_none() && !self.leader {
                    next_leader = Some(w.thread.clone());
                    return false;
                }
                true
            }
        });
        // The next leader first: its flush overlaps the remaining wake-ups.
        next_leader.into_iter().chain(wake).collect()
    }
}

struct SegmentWriter {
    file: File,
    base: u64,
}

struct CheckpointWriter {
    log: File,
    next_ordinal: u64,
    last: Option<Checkpoint>,
}

/// Opens a file for appending, creating it.
fn open_append(path: &Path) -> Result<File, LedgerError> {
    FsOpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_err(path))
}

fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

impl Ledger {
    /// Creates a ledger in `dir` (which must be empty or absent) and returns the
    /// verifier key its checkpoints will be signed with.
    pub fn init(dir: &Path, opts: &InitOptions) -> Result<String, LedgerError> {
        if dir.join(CONFIG_FILE).exists() {
            return Err(LedgerError::Exists(dir.display().to_string()));
        }
        std::fs::create_dir_all(dir.join(SEGMENTS_DIR)).map_err(io_err(dir))?;
        let origin = match &opts.origin {
            Some(o) => o.clone(),
            None => {
                let mut id = [0u8; 8];
                getrandom::fill(&mut id).map_err(|e| KeyError::Random(e.to_string()))?;
                format!("warden.local/{}", crate::hmac::hex(&id))
            }
        };
        let (signing_key_file, key) = match &opts.signing_key {
            Some(path) => (path.clone(), SigningKeyFile::read(path)?),
            None => {
                let keys_dir = dir.join("keys");
                std::fs::create_dir_all(&keys_dir).map_err(io_err(&keys_dir))?;
                let key = SigningKeyFile::generate(&origin)?;
                keys::write_secret(&keys_dir.join("checkpoint.key"), &key.encode())?;
                (PathBuf::from("keys/checkpoint.key"), key)
            }
        };
        let args_key_file = if opts.args_digest == DigestMode::HmacSha256 {
            let keys_dir = dir.join("keys");
            std::fs::create_dir_all(&keys_dir).map_err(io_err(&keys_dir))?;
            keys::write_secret(&keys_dir.join("args.key"), &keys::generate_args_key()?)?;
            Some(PathBuf::from("keys/args.key"))
        } else {
            None
        };
        let verifier_key = key.signer()?.verifier_key();
        let config = Config {
            format: "warden-ledger".into(),
            version: 1,
            origin,
            verifier_key: verifier_key.clone(),
            segment_bytes: opts.segment_bytes.max(4096),
            sync: opts.sync,
            checkpoint_every: opts.checkpoint_every.max(1),
            checkpoint_interval_ms: u64::try_from(opts.checkpoint_interval.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
            args_digest: opts.args_digest,
            signing_key_file,
            args_key_file,
            previous_verifier_keys: Vec::new(),
        };
        let text = serde_json::to_string_pretty(&config)
            .map_err(|e| LedgerError::Config(e.to_string()))?;
        write_atomic(dir, CONFIG_FILE, text.as_bytes()).map_err(io_err(dir))?;
        Ok(verifier_key)
    }

    /// Replaces the checkpoint signing key (after a suspected compromise, or on
    /// schedule). The old key signs an `admin.key_rotation` record naming the new one,
    /// then the new key signs every later checkpoint; the old verifier key stays in
    /// `previous_verifier_keys`. Verifiers need both keys (`--key OLD --key NEW`).
    /// Returns the new verifier key.
    pub fn rotate_key(dir: &Path, new_key: &Path, reason: &str) -> Result<String, LedgerError> {
        let mut config = Ledger::read_config(dir)?;
        let next = SigningKeyFile::read(new_key)?.signer()?.verifier_key();
        if next == config.verifier_key {
            return Err(LedgerError::Config(
                "the new key is the key in use; make one with `warden log keygen`".into(),
            ));
        }
        let ledger = Ledger::open(dir, OpenOptions::default())?;
        let mut details = Map::new();
        details.insert("previous_key".into(), config.verifier_key.clone().into());
        details.insert("next_key".into(), next.clone().into());
        details.insert("reason".into(), reason.into());
        ledger.append(&Record::admin(
            "admin.key_rotation",
            now_unix_nano(),
            details,
        ))?;
        ledger.close()?;
        let previous = std::mem::replace(&mut config.verifier_key, next.clone());
        config.previous_verifier_keys.push(previous);
        config.signing_key_file = std::path::absolute(new_key).map_err(io_err(new_key))?;
        let text = serde_json::to_string_pretty(&config)
            .map_err(|e| LedgerError::Config(e.to_string()))?;
        write_atomic(dir, CONFIG_FILE, text.as_bytes()).map_err(io_err(dir))?;
        // The first checkpoint under the new key.
        Ledger::open(dir, OpenOptions::default())?.close()?;
        Ok(next)
    }

    /// Reads `DIR/ledger.json`.
    pub fn read_config(dir: &Path) -> Result<Config, LedgerError> {
        let path = dir.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(LedgerError::NotALedger(dir.display().to_string()));
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        let config: Config =
            serde_json::from_str(&text).map_err(|e| LedgerError::Config(e.to_string()))?;
        if config.format != "warden-ledger" || config.version != 1 {
            return Err(LedgerError::Config(format!(
                "format `{}` version {} is not one this Warden reads (warden-ledger 1)",
                config.format, config.version
            )));
        }
        Ok(config)
    }

    /// Opens the ledger in `dir` for writing, recovering from a crash if needed.
    pub fn open(dir: &Path, opts: OpenOptions) -> Result<Ledger, LedgerError> {
        let config = Ledger::read_config(dir)?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = FsOpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(LedgerError::Locked(dir.display().to_string()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lock_path)(e)),
        }
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                dir.join(p)
            }
        };
        let key_path = opts
            .signing_key
            .clone()
            .unwrap_or_else(|| resolve(&config.signing_key_file));
        let signer = SigningKeyFile::read(&key_path)?.signer()?;
        if signer.verifier_key() != config.verifier_key {
            return Err(LedgerError::Config(format!(
                "the signing key {} does not match the verifier key in ledger.json; use the key the ledger was created with (or rotate keys explicitly)",
                key_path.display()
            )));
        }
        let digester = match config.args_digest {
            DigestMode::Sha256 => ArgsDigester::Sha256,
            DigestMode::HmacSha256 => {
                let path = opts
                    .args_key
                    .clone()
                    .or_else(|| config.args_key_file.as_deref().map(resolve));
                let path = path.ok_or_else(|| {
                    LedgerError::Config("args_digest is hmac-sha256 but no args_key_file".into())
                })?;
                keys::read_args_key(&path)?
            }
        };
        let seg_dir = dir.join(SEGMENTS_DIR);
        std::fs::create_dir_all(&seg_dir).map_err(io_err(&seg_dir))?;

        let mut recovery = Recovery::default();
        let (tree, active) = recover_segments(
            &seg_dir,
            &config,
            &opts,
            &mut recovery,
            checkpoint_sizes(dir),
        )?;
        let (checkpoints, last_cp, checkpoint_count) =
            recover_checkpoints(dir, &config, &tree, &opts, &mut recovery)?;
        // Only now, with the records found consistent with the signed checkpoint, are
        // torn tails cut: a refusal leaves every byte as it was, for the investigation.
        for fix in std::mem::take(&mut recovery.fixes) {
            match fix {
                Fix::Truncate(path, len) => truncate(&path, len)?,
                Fix::Remove(path) => {
                    std::fs::remove_file(&path).map_err(io_err(&path))?;
                    sync_dir(&seg_dir).map_err(io_err(&seg_dir))?;
                }
            }
        }
        recovery.size = tree.size();
        recovery.checkpoint_size = last_cp.as_ref().map(|c| c.size);

        let faults = opts.faults.clone();
        let (writer, fill) = match active {
            Some(ActiveSegment { base, path, len }) => {
                let file = open_append(&path)?;
                (SegmentWriter { file, base }, len)
            }
            None => {
                let base = tree.size();
                let file = create_segment(&seg_dir, base, &config.origin, faults.as_deref())
                    .map_err(io_err(&seg_dir))?;
                (
                    SegmentWriter { file, base },
                    Header::encoded_len(&config.origin) as u64,
                )
            }
        };
        let size = tree.size();
        let signed = last_cp.as_ref().map_or(0, |c| c.size.min(size));
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            config,
            signer,
            digester,
            faults,
            state: Mutex::new(State {
                next: size,
                durable: size,
                roots: RecentRoots::from_range(tree.range.clone()),
                pending: Vec::new(),
                cuts: Vec::new(),
                rolls: Vec::new(),
                segment_fill: fill,
                leader: false,
                poisoned: None,
                closing: false,
                seal_sizes: Vec::new(),
                waiters: Vec::new(),
                unsigned_since: (size > signed).then(Instant::now),
                signed,
            }),
            checkpoint_cv: Condvar::new(),
            writer: Mutex::new(writer),
            checkpoints: Mutex::new(CheckpointWriter {
                log: checkpoints,
                next_ordinal: checkpoint_count,
                last: last_cp,
            }),
            _lock: lock,
        });
        let mut ledger = Ledger {
            shared: shared.clone(),
            checkpointer: None,
            recovery,
        };
        let now = now_unix_nano();
        let mut events: Vec<Record> = ledger
            .recovery
            .repairs
            .iter()
            .map(|r| Record::admin("admin.repair", now, r.clone()))
            .collect();
        let mut open = Map::new();
        open.insert("size".into(), Value::from(size));
        open.insert("pid".into(), Value::from(std::process::id()));
        events.push(Record::admin("admin.open", now, open));
        ledger.append_batch(&events)?;
        // Whatever was unsigned before (and these events) gets a checkpoint now.
        ledger.checkpoint()?;
        let worker = shared.clone();
        ledger.checkpointer = Some(
            std::thread::Builder::new()
                .name("warden-ledger-checkpointer".into())
                .spawn(move || checkpointer(&worker))
                .map_err(io_err(dir))?,
        );
        Ok(ledger)
    }

    /// What recovery did when this ledger was opened.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The digester for tool arguments (`args_digest`).
    pub fn digester(&self) -> &ArgsDigester {
        &self.shared.digester
    }

    /// Verifies this ledger's files against `trusted` keys (see [`crate::verify`]).
    pub fn verify(
        &self,
        trusted: &[NoteVerifier],
    ) -> Result<crate::verify::Report, crate::verify::VerifyError> {
        crate::verify::verify(&self.shared.dir, trusted)
    }

    /// Records acknowledged so far (durable).
    pub fn size(&self) -> u64 {
        lock_ok(&self.shared.state).durable
    }

    /// Appends one record; returns its index once it is durable.
    pub fn append(&self, record: &Record) -> Result<u64, LedgerError> {
        Ok(self.append_batch(std::slice::from_ref(record))?.start)
    }

    /// Appends records in order; returns their indices once all are durable.
    pub fn append_batch(&self, records: &[Record]) -> Result<Range<u64>, LedgerError> {
        let payloads = records
            .iter()
            .map(Record::canonical)
            .collect::<Result<Vec<_>, _>>()?;
        self.append_canonical(&payloads)
    }

    /// Appends records already in canonical form (encoded outside any lock, e.g. by the
    /// producer's own thread); returns their indices once all are durable.
    pub fn append_canonical(&self, payloads: &[Canonical]) -> Result<Range<u64>, LedgerError> {
        for p in payloads {
            if p.as_bytes().len() > frame::MAX_PAYLOAD {
                return Err(LedgerError::TooLarge(p.as_bytes().len()));
            }
        }
        // Hash outside the lock: that is most of the CPU an append costs.
        let leaves: Vec<Hash> = payloads.iter().map(|p| leaf_hash(p.as_bytes())).collect();
        let sh = &*self.shared;
        let header_len = Header::encoded_len(&sh.config.origin) as u64;
        let mut st = lock_ok(&sh.state);
        if let Some(why) = &st.poisoned {
            return Err(LedgerError::Poisoned(why.clone()));
        }
        let first = st.next;
        for (payload, leaf) in payloads.iter().zip(leaves) {
            let payload = payload.as_bytes();
            let index = st.next;
            let len = frame::frame_len(payload.len()) as u64;
            if st.segment_fill + len > sh.config.segment_bytes && st.segment_fill > header_len {
                let at = st.pending.len();
                st.rolls.push((at, index));
                st.seal_sizes.push(index);
                st.segment_fill = header_len;
            }
            frame::encode(index, payload, &mut st.pending);
            let end = st.pending.len();
            st.cuts.push(end);
            st.segment_fill += len;
            st.roots.push_hash(leaf);
            st.next += 1;
        }
        let last = st.next;
        drop(self.wait_durable(st, last, false)?);
        Ok(first..last)
    }

    /// Blocks until `target` records are durable, leading a flush when no one else is;
    /// `force` leads one flush even if they already are (to write a queued roll).
    fn wait_durable<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        target: u64,
        force: bool,
    ) -> Result<MutexGuard<'a, State>, LedgerError> {
        let sh = &*self.shared;
        let mut flushed = !force;
        loop {
            if st.durable >= target && flushed {
                return Ok(st);
            }
            if let Some(why) = &st.poisoned {
                return Err(LedgerError::Poisoned(why.clone()));
            }
            if st.leader {
                let me = std::thread::current();
                if !st.waiters.iter().any(|w| w.thread.id() == me.id()) {
                    st.waiters.push(Waiter { target, thread: me });
                }
                drop(st);
                // A wake-up that came before this call makes park return at once.
                std::thread::park();
                st = lock_ok(&sh.state);
                continue;
            }
            st.leader = true;
            let batch = Batch {
                bytes: std::mem::take(&mut st.pending),
                cuts: std::mem::take(&mut st.cuts),
                rolls: std::mem::take(&mut st.rolls),
                upto: st.next,
            };
            drop(st);
            let result = self.flush(&batch);
            flushed = true;
            st = lock_ok(&sh.state);
            st.leader = false;
            match result {
                Ok(()) => {
                    st.durable = batch.upto;
                    if st.unsigned_since.is_none() {
                        st.unsigned_since = Some(Instant::now());
                    }
                    if st.durable.saturating_sub(st.signed) >= sh.config.checkpoint_every
                        || !st.seal_sizes.is_empty()
                    {
                        sh.checkpoint_cv.notify_one();
                    }
                }
                Err(e) => st.poisoned = Some(e.to_string()),
            }
            let wake = st.wakeable();
            if !wake.is_empty() {
                drop(st);
                for t in wake {
                    t.unpark();
                }
                st = lock_ok(&sh.state);
            }
        }
    }

    /// Writes and syncs one batch (the leader, without the state lock).
    fn flush(&self, batch: &Batch) -> io::Result<()> {
        let sh = &*self.shared;
        let faults = sh.faults.as_deref();
        let seg_dir = sh.dir.join(SEGMENTS_DIR);
        let mut w = lock_ok(&sh.writer);
        let mut rolls = batch.rolls.iter().peekable();
        let mut start = 0;
        let ends: Vec<usize> = if sh.config.sync == SyncMode::Every {
            batch.cuts.clone()
        } else {
            // Group mode: write up to each roll, then to the end; sync at each.
            batch
                .rolls
                .iter()
                .map(|(at, _)| *at)
                .chain(std::iter::once(batch.bytes.len()))
                .collect()
        };
        for end in ends {
            while let Some((at, base)) = rolls.peek().copied().copied() {
                if at > start {
                    break;
                }
                rolls.next();
                let file = create_segment(&seg_dir, base, &sh.config.origin, faults)?;
                *w = SegmentWriter { file, base };
            }
            if end > start {
                let chunk = &batch.bytes[start..end];
                let base = w.base;
                write_step(
                    faults,
                    IoOp::Write {
                        base,
                        len: chunk.len(),
                    },
                    &mut w.file,
                    chunk,
                )?;
                step(faults, IoOp::Sync { base }, || w.file.sync_data())?;
            }
            start = end;
        }
        // A roll at the very end (nothing after it yet).
        for &(_, base) in rolls {
            let file = create_segment(&seg_dir, base, &sh.config.origin, faults)?;
            *w = SegmentWriter { file, base };
        }
        Ok(())
    }

    /// Signs a checkpoint of everything durable now (also done automatically).
    pub fn checkpoint(&self) -> Result<Checkpoint, LedgerError> {
        sign_due(&self.shared, true)?;
        let cw = lock_ok(&self.shared.checkpoints);
        cw.last
            .clone()
            .ok_or_else(|| LedgerError::Poisoned("no checkpoint was written".into()))
    }

    /// Ends the active segment (if it holds records) so it can be exported, and signs a
    /// checkpoint at its end.
    pub fn seal(&self) -> Result<u64, LedgerError> {
        let sh = &*self.shared;
        let header_len = Header::encoded_len(&sh.config.origin) as u64;
        let mut st = lock_ok(&sh.state);
        if st.segment_fill > header_len {
            let at = st.pending.len();
            let index = st.next;
            st.rolls.push((at, index));
            st.seal_sizes.push(index);
            st.segment_fill = header_len;
        }
        let target = st.next;
        drop(self.wait_durable(st, target, true)?);
        Ok(self.checkpoint()?.size)
    }

    /// Signs a final checkpoint and stops the background checkpointer.
    pub fn close(mut self) -> Result<Checkpoint, LedgerError> {
        let cp = self.checkpoint();
        self.stop();
        cp
    }

    /// Lets go of the ledger the way a crash would: no final checkpoint, nothing
    /// flushed beyond what was acknowledged. For crash tests.
    pub fn simulate_crash(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        {
            let mut st = lock_ok(&self.shared.state);
            st.closing = true;
        }
        self.shared.checkpoint_cv.notify_all();
        if let Some(h) = self.checkpointer.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        if self.checkpointer.is_some() {
            let _ = sign_due(&self.shared, true);
            self.stop();
        }
    }
}

struct Batch {
    bytes: Vec<u8>,
    cuts: Vec<usize>,
    rolls: Vec<(usize, u64)>,
    upto: u64,
}

fn lock_ok<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave a half-written frame acknowledged (acks
    // follow syncs), so the data is still consistent; carry on.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn step(
    faults: Option<&dyn Faults>,
    op: IoOp,
    f: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    match faults.map_or(FaultAction::Proceed, |h| h.before(op)) {
        FaultAction::Proceed | FaultAction::ShortWrite(_) => f(),
        FaultAction::Fail => Err(io::Error::other(format!("injected I/O error on {op:?}"))),
        FaultAction::Skip => Ok(()),
    }
}

fn write_step(
    faults: Option<&dyn Faults>,
    op: IoOp,
    file: &mut File,
    bytes: &[u8],
) -> io::Result<()> {
    match faults.map_or(FaultAction::Proceed, |h| h.before(op)) {
        FaultAction::Proceed => file.write_all(bytes),
        FaultAction::Fail => Err(io::Error::other(format!("injected I/O error on {op:?}"))),
        FaultAction::ShortWrite(n) => {
            file.write_all(&bytes[..n.min(bytes.len())])?;
            Err(io::Error::other(format!("injected short write on {op:?}")))
        }
        FaultAction::Skip => Ok(()),
    }
}

/// Creates segment `base`: header written and synced, then the directory synced, before
/// any record in it can be acknowledged.
fn create_segment(
    seg_dir: &Path,
    base: u64,
    origin: &str,
    faults: Option<&dyn Faults>,
) -> io::Result<File> {
    let path = seg_dir.join(segment::file_name(base));
    let header = Header {
        base_index: base,
        created_unix_nano: now_unix_nano(),
        origin: origin.to_string(),
    }
    .encode();
    let mut file = FsOpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)?;
    step(faults, IoOp::CreateSegment { base }, || {
        file.write_all(&header)?;
        file.sync_all()
    })?;
    step(faults, IoOp::SyncDir, || sync_dir(seg_dir))?;
    Ok(file)
}

/// Writes `name` in `dir` atomically: temporary file, sync, rename, sync the directory.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(name))?;
    sync_dir(dir)
}

/// The segment new records go to, as recovery found it.
struct ActiveSegment {
    base: u64,
    path: PathBuf,
    len: u64,
}

/// The tree as recovery replays the segments: its compact range (O(log n) memory, where
/// the whole tree would take 64 bytes per record at every open) and the roots at the
/// sizes asked for in advance (the checkpoints recovery compares with).
struct Rebuilt {
    range: CompactRange,
    size: u64,
    keep: Vec<u64>,
    kept: Vec<(u64, Hash)>,
}

impl Rebuilt {
    fn new(keep: Vec<u64>) -> Rebuilt {
        let kept = if keep.contains(&0) {
            vec![(0, empty_root())]
        } else {
            Vec::new()
        };
        Rebuilt {
            range: CompactRange::new(),
            size: 0,
            keep,
            kept,
        }
    }

    fn push_hash(&mut self, leaf: Hash) {
        self.range.push(leaf);
        self.size += 1;
        if self.keep.contains(&self.size) {
            self.kept.push((self.size, self.range.root()));
        }
    }

    fn size(&self) -> u64 {
        self.size
    }

    /// The root at `size`: the tip's, or one kept on the way.
    fn root_at(&self, size: u64) -> Option<Hash> {
        if size == self.size {
            return Some(self.range.root());
        }
        self.kept.iter().find(|(s, _)| *s == size).map(|(_, h)| *h)
    }
}

/// The sizes of the checkpoints recovery may compare the records with — the checkpoint
/// log's last entry and the checkpoint file — read without verifying or changing
/// anything (`recover_checkpoints` does both), so the replay can keep their roots.
fn checkpoint_sizes(dir: &Path) -> Vec<u64> {
    let size_of = |text: &[u8]| -> Option<u64> {
        let note = Note::parse(std::str::from_utf8(text).ok()?).ok()?;
        Some(Checkpoint::parse(&note.text).ok()?.size)
    };
    let mut sizes = Vec::new();
    if let Ok(bytes) = std::fs::read(dir.join(CHECKPOINT_LOG))
        && let Ok((frames, _)) = frame::scan(&bytes, 0)
        && let Some(size) = frames.last().and_then(|f| size_of(f.payload))
    {
        sizes.push(size);
    }
    if let Some(size) = std::fs::read(dir.join(CHECKPOINT_FILE))
        .ok()
        .and_then(|text| size_of(&text))
    {
        sizes.push(size);
    }
    sizes
}

/// Reads every segment, repairing a torn tail of the last one; returns the tree and the
/// active segment.
fn recover_segments(
    seg_dir: &Path,
    config: &Config,
    opts: &OpenOptions,
    recovery: &mut Recovery,
    keep_roots_at: Vec<u64>,
) -> Result<(Rebuilt, Option<ActiveSegment>), LedgerError> {
    let mut files = segment::list(seg_dir).map_err(io_err(seg_dir))?;
    let mut tree = Rebuilt::new(keep_roots_at);
    let mut active = None;
    let mut i = 0;
    while i < files.len() {
        let (base, path) = files[i].clone();
        let is_last = i + 1 == files.len();
        let name = segment::file_name(base);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        let corrupt = |offset: usize, index: u64, reason: String| LedgerError::Corrupt {
            segment: name.clone(),
            offset: offset as u64,
            index,
            reason,
        };
        if base != tree.size() {
            let reason = format!(
                "index gap: the previous segments end at {} but this one starts at {base}",
                tree.size()
            );
            if !opts.repair {
                return Err(corrupt(0, tree.size(), reason));
            }
            cut_from(&mut files, i, seg_dir, recovery, &reason, tree.size())?;
            break;
        }
        match segment::scan(&bytes, base) {
            Ok(scan) => {
                if scan.header.origin != config.origin {
                    return Err(corrupt(
                        0,
                        base,
                        format!(
                            "the segment belongs to origin `{}`, not `{}`",
                            scan.header.origin, config.origin
                        ),
                    ));
                }
                for f in &scan.frames {
                    tree.push_hash(leaf_hash(f.payload));
                }
                let end = scan.header_len as u64
                    + scan
                        .frames
                        .last()
                        .map_or(0, |f| (f.offset + frame::frame_len(f.payload.len())) as u64);
                if let Tail::Torn { offset } = scan.tail {
                    let at = scan.header_len + offset;
                    if !is_last && !opts.repair {
                        return Err(corrupt(
                            at,
                            tree.size(),
                            "a sealed segment ends in a damaged frame".into(),
                        ));
                    }
                    recovery.fixes.push(Fix::Truncate(path.clone(), end));
                    recovery.repairs.push(repair(
                        "torn tail truncated",
                        &[
                            ("segment", name.clone().into()),
                            ("offset", Value::from(at as u64)),
                            ("bytes_dropped", Value::from((bytes.len() - at) as u64)),
                        ],
                    ));
                    if !is_last {
                        cut_from(
                            &mut files,
                            i + 1,
                            seg_dir,
                            recovery,
                            "after a repaired segment",
                            tree.size(),
                        )?;
                    }
                }
                if is_last || i + 1 == files.len() {
                    active = Some(ActiveSegment {
                        base,
                        path: path.clone(),
                        len: end,
                    });
                }
            }
            Err((SegmentError::Header(segment::HeaderError::Incomplete(n)), _))
                if is_last && segment::is_unfinished(&bytes) =>
            {
                // The crash hit while the segment was being created: nothing in it was
                // ever acknowledged (the header is synced before any record).
                recovery.fixes.push(Fix::Remove(path.clone()));
                recovery.repairs.push(repair(
                    "unfinished segment removed",
                    &[
                        ("segment", name.clone().into()),
                        ("bytes_dropped", Value::from(n as u64)),
                    ],
                ));
            }
            Err((e, header_len)) => {
                let offset = e.offset(header_len).unwrap_or(0);
                let index = match &e {
                    SegmentError::Frame(frame::FrameError::Crc { index, .. }) => *index,
                    _ => tree.size(),
                };
                if !opts.repair {
                    return Err(corrupt(offset, index, e.to_string()));
                }
                // Keep the bytes as evidence, then keep the good frames before the
                // damage and set everything after it aside.
                let evidence = path.with_extension("damaged");
                std::fs::copy(&path, &evidence).map_err(io_err(&path))?;
                match Header::decode(&bytes) {
                    Ok((header, hl)) => {
                        let keep = offset.max(hl);
                        if let Ok((frames, _)) = frame::scan(&bytes[hl..keep], header.base_index) {
                            for f in &frames {
                                tree.push_hash(leaf_hash(f.payload));
                            }
                        }
                        truncate(&path, keep as u64)?;
                        active = Some(ActiveSegment {
                            base,
                            path: path.clone(),
                            len: keep as u64,
                        });
                    }
                    Err(_) => std::fs::remove_file(&path).map_err(io_err(&path))?,
                }
                recovery.repairs.push(repair(
                    format!("damage cut by --repair: {e}"),
                    &[
                        ("segment", name.clone().into()),
                        ("offset", Value::from(offset as u64)),
                        ("records_kept", Value::from(tree.size())),
                        ("evidence", evidence.display().to_string().into()),
                    ],
                ));
                cut_from(
                    &mut files,
                    i + 1,
                    seg_dir,
                    recovery,
                    "after damage",
                    tree.size(),
                )?;
                break;
            }
        }
        i += 1;
    }
    Ok((tree, active))
}

/// One `admin.repair` detail object: the reason, then named fields.
fn repair(reason: impl Into<String>, fields: &[(&str, Value)]) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("reason".into(), Value::String(reason.into()));
    for (k, v) in fields {
        r.insert((*k).to_string(), v.clone());
    }
    r
}

/// `--repair`: moves segments from `files[from..]` aside (renamed `*.damaged`).
fn cut_from(
    files: &mut Vec<(u64, PathBuf)>,
    from: usize,
    seg_dir: &Path,
    recovery: &mut Recovery,
    why: &str,
    kept: u64,
) -> Result<(), LedgerError> {
    for (_, path) in files.drain(from..) {
        let aside = path.with_extension("damaged");
        std::fs::rename(&path, &aside).map_err(io_err(&path))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        recovery.repairs.push(repair(
            format!("segment set aside {why}"),
            &[
                ("segment", name.into()),
                ("records_kept", Value::from(kept)),
            ],
        ));
    }
    sync_dir(seg_dir).map_err(io_err(seg_dir))
}

fn truncate(path: &Path, len: u64) -> Result<(), LedgerError> {
    let f = FsOpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io_err(path))?;
    f.set_len(len).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// Reads the checkpoint log (repairing a torn tail) and the latest checkpoint, checks
/// their signatures, and checks the tree against the newest.
fn recover_checkpoints(
    dir: &Path,
    config: &Config,
    tree: &Rebuilt,
    opts: &OpenOptions,
    recovery: &mut Recovery,
) -> Result<(File, Option<Checkpoint>, u64), LedgerError> {
    let verifiers = config.verifiers()?;
    let mut count = 0;
    let log_path = dir.join(CHECKPOINT_LOG);
    let bytes = match std::fs::read(&log_path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_err(&log_path)(e)),
    };
    let mut newest: Option<Checkpoint> = None;
    match frame::scan(&bytes, 0) {
        Ok((frames, tail)) => {
            count = frames.len() as u64;
            // The newest is the last one written (after a `--repair` it may be smaller
            // than earlier ones: the history was cut, and verify reports that).
            for f in &frames {
                let cp = parse_signed_checkpoint(f.payload, &verifiers, config).map_err(|why| {
                    LedgerError::CheckpointMismatch(format!(
                        "checkpoint {} in {CHECKPOINT_LOG}: {why}",
                        f.index
                    ))
                })?;
                newest = Some(cp);
            }
            if let Tail::Torn { offset } = tail {
                recovery
                    .fixes
                    .push(Fix::Truncate(log_path.clone(), offset as u64));
                recovery.repairs.push(repair(
                    "torn tail of the checkpoint log truncated",
                    &[("offset", Value::from(offset as u64))],
                ));
            }
        }
        Err(e) if !opts.repair => {
            return Err(LedgerError::Corrupt {
                segment: CHECKPOINT_LOG.into(),
                offset: 0,
                index: 0,
                reason: e.to_string(),
            });
        }
        Err(e) => {
            // --repair: keep the damaged log as evidence and start a new one.
            let aside = dir.join(format!("{CHECKPOINT_LOG}.damaged"));
            std::fs::rename(&log_path, &aside).map_err(io_err(&log_path))?;
            recovery.repairs.push(repair(
                format!("damaged checkpoint log set aside by --repair: {e}"),
                &[("evidence", aside.display().to_string().into())],
            ));
        }
    }
    let cp_path = dir.join(CHECKPOINT_FILE);
    if let Ok(text) = std::fs::read(&cp_path) {
        let cp = parse_signed_checkpoint(&text, &verifiers, config)
            .map_err(|why| LedgerError::CheckpointMismatch(format!("{CHECKPOINT_FILE}: {why}")))?;
        // Written after the log entry, so it is never newer than the log's last entry
        // unless the log was cut back: then the file is the stronger claim.
        if newest.as_ref().is_none_or(|n| cp.size > n.size) {
            newest = Some(cp);
        }
    }
    if let Some(cp) = &newest {
        let problem = if cp.size > tree.size() {
            Some(format!(
                "truncated below a checkpoint: the checkpoint signs {} records but only {} are present",
                cp.size,
                tree.size()
            ))
        } else if let Some(root) = tree.root_at(cp.size) {
            (root != cp.root).then(|| {
                format!(
                    "hash mismatch: the records' root at size {} is not the signed root",
                    cp.size
                )
            })
        } else {
            // Only if the checkpoint files changed between the two reads (the
            // directory is locked, so no other writer did it): not a finding about the
            // records, so never "repaired" — open again.
            return Err(LedgerError::CheckpointMismatch(format!(
                "the records' root at size {} was not kept while the segments were read: the checkpoint files changed while the ledger was opened; open it again",
                cp.size
            )));
        };
        if let Some(p) = problem {
            if !opts.repair {
                return Err(LedgerError::CheckpointMismatch(p));
            }
            recovery
                .repairs
                .push(repair(format!("opened despite: {p}"), &[]));
            // The next checkpoint starts the repaired history.
            newest = None;
        }
    }
    Ok((open_append(&log_path)?, newest, count))
}

fn parse_signed_checkpoint(
    text: &[u8],
    verifiers: &[NoteVerifier],
    config: &Config,
) -> Result<Checkpoint, String> {
    let text = std::str::from_utf8(text).map_err(|_| "not UTF-8".to_string())?;
    let note = Note::parse(text).map_err(|e| e.to_string())?;
    note.verify(verifiers).map_err(|e| e.to_string())?;
    let cp = Checkpoint::parse(&note.text).map_err(|e| e.to_string())?;
    if cp.origin != config.origin {
        return Err(format!("origin `{}` is not this ledger's", cp.origin));
    }
    Ok(cp)
}

/// Signs the checkpoints that are due (segment ends, then the durable size). `force`
/// signs the durable size even if no threshold was reached.
fn sign_due(sh: &Shared, force: bool) -> Result<(), LedgerError> {
    // One signer at a time, in size order.
    let mut cw = lock_ok(&sh.checkpoints);
    let (sizes, prefix, durable) = {
        let mut st = lock_ok(&sh.state);
        if let Some(why) = &st.poisoned {
            return Err(LedgerError::Poisoned(why.clone()));
        }
        // Segment ends not yet durable stay queued for a later round.
        let durable_now = st.durable;
        let (mut sizes, later): (Vec<u64>, Vec<u64>) = std::mem::take(&mut st.seal_sizes)
            .into_iter()
            .partition(|s| *s <= durable_now);
        st.seal_sizes = later;
        let last = cw.last.as_ref().map(|c| c.size);
        let due = force
            || st.durable.saturating_sub(st.signed) >= sh.config.checkpoint_every
            || st.unsigned_since.is_some_and(|t| {
                t.elapsed() >= Duration::from_millis(sh.config.checkpoint_interval_ms)
            });
        if due && (last != Some(st.durable) || cw.last.is_none()) {
            sizes.push(st.durable);
        }
        sizes.sort_unstable();
        sizes.dedup();
        // Every size asked for is at most the durable size, and every later round asks
        // for sizes at or after it (queued segment ends are past it, and the durable
        // size only grows): the leaves up to it are copied here and hashed below,
        // without holding up appenders. Nothing to sign: nothing copied.
        let prefix = if sizes.is_empty() {
            None
        } else {
            Some(st.roots.prefix(durable_now)?)
        };
        (sizes, prefix, st.durable)
    };
    // Rounds are serialised by `cw`: nothing else moves the roots' lower bound meanwhile.
    let (todo, range) = match prefix {
        Some(prefix) => {
            let (todo, range) = prefix.roots_at(&sizes)?;
            (todo, Some(range))
        }
        None => (Vec::new(), None),
    };
    for (size, root) in todo {
        let cp = Checkpoint {
            origin: sh.config.origin.clone(),
            size,
            root,
        };
        let note = sh
            .signer
            .sign(&cp.text())
            .map_err(|e| LedgerError::Poisoned(e.to_string()))?;
        let faults = sh.faults.as_deref();
        let mut framed = Vec::new();
        frame::encode(cw.next_ordinal, note.as_bytes(), &mut framed);
        let result = step(faults, IoOp::Checkpoint { size }, || {
            cw.log.write_all(&framed)?;
            cw.log.sync_data()?;
            if cw.last.as_ref().is_none_or(|l| size >= l.size) {
                write_atomic(&sh.dir, CHECKPOINT_FILE, note.as_bytes())?;
            }
            Ok(())
        });
        if let Err(e) = result {
            let why = format!("writing checkpoint {size}: {e}");
            let wake = {
                let mut st = lock_ok(&sh.state);
                st.poisoned = Some(why.clone());
                st.wakeable()
            };
            for t in wake {
                t.unpark();
            }
            return Err(LedgerError::Poisoned(why));
        }
        cw.next_ordinal += 1;
        if cw.last.as_ref().is_none_or(|l| size >= l.size) {
            cw.last = Some(cp);
        }
    }
    let mut st = lock_ok(&sh.state);
    // Only once every root of the round is signed does the lower bound move past them.
    if let Some(range) = range {
        st.roots.advance(range);
    }
    if cw.last.as_ref().is_some_and(|l| l.size >= durable) && st.durable == durable {
        st.signed = durable;
        st.unsigned_since = None;
    } else if let Some(l) = &cw.last {
        st.signed = st.signed.max(l.size);
    }
    Ok(())
}

/// The background thread: signs a checkpoint when enough records or time have passed.
fn checkpointer(sh: &Shared) {
    let interval = Duration::from_millis(sh.config.checkpoint_interval_ms);
    loop {
        {
            let st = lock_ok(&sh.state);
            if st.closing || st.poisoned.is_some() {
                return;
            }
            let (st, _) = sh
                .checkpoint_cv
                .wait_timeout(st, interval)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if st.closing || st.poisoned.is_some() {
                return;
            }
        }
        // Errors poison the ledger inside sign_due; appenders see them.
        let _ = sign_due(sh, false);
    }
}
