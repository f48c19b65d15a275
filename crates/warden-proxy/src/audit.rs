//! The proxy's side of the ledger: one writer thread that drains a queue of records and
//! appends them in batches (group commit), answering each producer once its record is
//! durable. In `audit-before-forward` mode the proxy awaits that answer before it
//! forwards a call; in `async` mode it does not, but a failure still closes the gate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::oneshot;
use warden_ledger::Ledger;
use warden_ledger::record::{Canonical, Record};

/// When a call may be forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// Only once its intent record is durable (the default).
    BeforeForward,
    /// At once; records are committed in the background.
    Async,
}

type Reply = oneshot::Sender<Result<u64, String>>;

/// A handle producers use; cheap to clone.
#[derive(Clone)]
pub struct Audit {
    queue: std::sync::mpsc::SyncSender<(Canonical, Option<Reply>)>,
    mode: Commit,
    failed: Arc<AtomicBool>,
    digester: warden_ledger::record::ArgsDigester,
}

/// Records in one batch at most.
const BATCH: usize = 512;

impl Audit {
    /// Starts the writer thread over `ledger`. Join the returned handle after the last
    /// `Audit` clone is dropped: that is when the final records and checkpoint are in.
    pub fn start(ledger: Arc<Ledger>, mode: Commit) -> (Audit, std::thread::JoinHandle<()>) {
        // Bounded: a stalled disk pushes back on the proxy instead of growing memory.
        let (tx, rx) = std::sync::mpsc::sync_channel::<(Canonical, Option<Reply>)>(8192);
        let failed = Arc::new(AtomicBool::new(false));
        let digester = ledger.digester().clone();
        let flag = failed.clone();
        let writer = std::thread::spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
                let (records, replies): (Vec<Canonical>, Vec<Option<Reply>>) =
                    batch.into_iter().unzip();
                match ledger.append_canonical(&records) {
                    Ok(range) => {
                        for (i, reply) in range.zip(replies) {
                            if let Some(r) = reply {
                                let _ = r.send(Ok(i));
                            }
                        }
                    }
                    Err(e) => {
                        flag.store(true, Ordering::SeqCst);
                        let msg = e.to_string();
                        eprintln!("warden proxy: audit log failure: {msg}");
                        for r in replies.into_iter().flatten() {
                            let _ = r.send(Err(msg.clone()));
                        }
                    }
                }
            }
        });
        (
            Audit {
                queue: tx,
                mode,
                failed,
                digester,
            },
            writer,
        )
    }

    /// The argument digester of the ledger.
    pub fn digester(&self) -> &warden_ledger::record::ArgsDigester {
        &self.digester
    }

    /// Whether a write has failed (the ledger is then poisoned).
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    /// Records `record`. In `BeforeForward` mode returns once it is durable; in `Async`
    /// mode once it is queued. `Err` means it was not (and will not be) recorded.
    pub async fn record(&self, record: &Record) -> Result<(), String> {
        self.record_as(record, self.mode).await
    }

    /// Records an `admin.*` event and waits until it is durable.
    pub async fn record_admin(
        &self,
        kind: &str,
        details: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), String> {
        let record = Record::admin(kind, warden_ledger::ledger::now_unix_nano(), details);
        self.record_durable(&record).await
    }

    /// Records and always waits for durability.
    pub async fn record_durable(&self, record: &Record) -> Result<(), String> {
        self.record_as(record, Commit::BeforeForward).await
    }

    async fn record_as(&self, record: &Record, mode: Commit) -> Result<(), String> {
        if self.failed() {
            return Err("the audit log failed earlier and accepts no more records".into());
        }
        let canonical = record.canonical().map_err(|e| e.to_string())?;
        match mode {
            Commit::Async => self
                .queue
                .try_send((canonical, None))
                .map_err(|_| "the audit queue is full or closed".to_string()),
            Commit::BeforeForward => {
                let (tx, rx) = oneshot::channel();
                match self.queue.try_send((canonical, Some(tx))) {
                    Ok(()) => {}
                    Err(std::sync::mpsc::TrySendError::Full(item)) => {
                        // A full queue blocks `send`: keep that off the reactor.
                        let queue = self.queue.clone();
                        tokio::task::spawn_blocking(move || queue.send(item))
                            .await
                            .map_err(|e| e.to_string())?
                            .map_err(|_| "the audit writer has stopped".to_string())?;
                    }
                    Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                        return Err("the audit writer has stopped".into());
                    }
                }
                rx.await
                    .map_err(|_| "the audit writer has stopped".to_string())?
                    .map(|_| ())
            }
        }
    }
}
