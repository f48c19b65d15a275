//! The stdio proxy: the MCP server runs as a child; the proxy speaks stdio to the client
//! and forwards newline-delimited JSON-RPC both ways, recording every call, enforcing
//! the policy and the fence. Original bytes are forwarded untouched (a message is only
//! re-serialised when the proxy changes it, e.g. a filtered `tools/list`); each message
//! is parsed once; queues are bounded so a slow reader pushes back on the writer.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use warden_ledger::ledger::now_unix_nano;
use warden_ledger::record::{Record, ResultSummary};

use crate::audit::Audit;
use crate::extract::{self, Found};
use crate::jsonrpc::{self, Kind, code};
use crate::policy::{self, Policy};

/// Set by `warden proxy` when it re-executes itself with allocator options; both are
/// kept out of the server's environment.
pub const REEXEC_MARKER: &str = "WARDEN_PROXY_REEXEC";

/// Messages queued toward one side before the reader of the other side waits.
const QUEUE: usize = 256;

/// Proxy settings.
pub struct Options {
    /// The server command and its arguments.
    pub command: Vec<String>,
    pub policy: Policy,
    /// Largest message accepted, in bytes (a line of JSON).
    pub max_message: usize,
    /// The admin socket (fence, status), if any.
    pub admin_socket: Option<PathBuf>,
    /// The tool pin file (read, and written on first sight and on approval).
    pub pins: Option<PathBuf>,
    /// Where alerts go as JSON lines (besides stderr and the ledger).
    pub alerts: Option<PathBuf>,
}

/// Why the proxy could not run.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("cannot start the server `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error(
        "no server command given; put it after `--`, e.g. `warden proxy --ledger L -- npx -y @modelcontextprotocol/server-everything`"
    )]
    NoCommand,
    #[error("admin socket {path}: {source}")]
    Admin {
        path: String,
        source: std::io::Error,
    },
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("tool pin file: {0}")]
    Pins(String),
    #[error("alerts file {path}: {source}")]
    Alerts {
        path: String,
        source: std::io::Error,
    },
}

/// A request the proxy forwarded and has not seen the answer to.
struct InFlight {
    method: String,
    tool: Option<String>,
    call_id: String,
    id: Value,
    start: Instant,
    found: Found,
    /// The proxy already answered the client (fenced while in flight).
    answered: bool,
    /// The request has been written toward the server (a cancel may follow it).
    forwarded: bool,
}

/// What the operator has fenced.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Fence {
    pub all: bool,
    pub tools: Vec<String>,
    pub reason: String,
}

impl Fence {
    fn covers(&self, tool: &str) -> bool {
        self.all || self.tools.iter().any(|t| t == tool)
    }
}

/// State shared by the two directions and the admin endpoint.
pub(crate) struct Shared {
    pub(crate) audit: Audit,
    policy: Policy,
    session: String,
    pub(crate) fence: Mutex<Fence>,
    in_flight: Mutex<HashMap<String, InFlight>>,
    destructive: Mutex<HashMap<String, bool>>,
    schemas: Mutex<crate::strict::Schemas>,
    pub(crate) pins: Mutex<crate::pins::Pins>,
    brake: Mutex<crate::brake::Brake>,
    detector: Mutex<warden_detect::Detector>,
    alerts: Option<Mutex<std::fs::File>>,
    protocol_version: Mutex<Option<String>>,
    to_client: mpsc::Sender<Vec<u8>>,
    /// Taken (closing the server's stdin) when the client goes away.
    to_server: Mutex<Option<mpsc::Sender<Vec<u8>>>>,
    pub(crate) started: Instant,
    pub(crate) calls: std::sync::atomic::AtomicU64,
    pub(crate) refused: std::sync::atomic::AtomicU64,
}

impl Shared {
    /// Queues a message for the server (dropped if the server side is closed).
    async fn send_server(&self, msg: Vec<u8>) {
        let tx = lock(&self.to_server).clone();
        if let Some(tx) = tx {
            let _ = tx.send(msg).await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Which way a message goes.
#[derive(Clone, Copy)]
enum Side {
    Server,
    Client,
}

impl Shared {
    async fn deliver(&self, side: Side, msg: Vec<u8>) {
        match side {
            Side::Server => self.send_server(msg).await,
            Side::Client => {
                let _ = self.to_client.send(msg).await;
            }
        }
    }
}

/// Handles each message in its own task — so the records of concurrent calls are
/// committed together instead of one `fdatasync` after another — and delivers the
/// results in arrival order, so nothing overtakes what was sent before it. At most
/// `QUEUE` messages are in hand per direction.
struct Ordered {
    jobs: mpsc::Sender<tokio::task::JoinHandle<Option<Outgoing>>>,
    forwarder: tokio::task::JoinHandle<()>,
}

/// A message ready to go, and, for a request to the server, its in-flight key: a
/// request the fence answered while it waited in line is dropped, not sent.
struct Outgoing {
    bytes: Vec<u8>,
    call: Option<String>,
}

impl From<Vec<u8>> for Outgoing {
    fn from(bytes: Vec<u8>) -> Outgoing {
        Outgoing { bytes, call: None }
    }
}

impl Ordered {
    fn start(shared: Arc<Shared>, side: Side) -> Ordered {
        let (jobs, mut rx) = mpsc::channel::<tokio::task::JoinHandle<Option<Outgoing>>>(QUEUE);
        let forwarder = tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                let Ok(Some(out)) = job.await else { continue };
                if let Some(key) = &out.call {
                    // Decided under the in-flight lock, which the fence also takes.
                    let mut in_flight = lock(&shared.in_flight);
                    match in_flight.get_mut(key) {
                        Some(c) if c.answered => {
                            in_flight.remove(key);
                            continue;
                        }
                        Some(c) => c.forwarded = true,
                        None => continue,
                    }
                }
                shared.deliver(side, out.bytes).await;
            }
        });
        Ordered { jobs, forwarder }
    }

    /// Queues a job; `false` once the forwarder is gone.
    async fn push(&self, job: tokio::task::JoinHandle<Option<Outgoing>>) -> bool {
        self.jobs.send(job).await.is_ok()
    }

    /// Delivers what is queued, then ends.
    async fn finish(self) {
        drop(self.jobs);
        let _ = self.forwarder.await;
    }
}

/// One line read with a size bound.
enum Line {
    Message(Vec<u8>),
    TooLong(usize),
    Eof,
}

/// Reads one `\n`-terminated line of at most `max` bytes; a longer line is consumed and
/// reported, never buffered whole.
async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    max: usize,
) -> std::io::Result<Line> {
    let mut buf = Vec::new();
    let mut dropped = 0usize;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(if buf.is_empty() && dropped == 0 {
                Line::Eof
            } else if dropped > 0 {
                Line::TooLong(dropped + buf.len())
            } else {
                Line::Message(buf)
            });
        }
        let (take, done) = match memchr_newline(chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if dropped == 0 && buf.len() + take <= max + 1 {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            dropped += buf.len() + take;
            buf.clear();
        }
        reader.consume(take);
        if done {
            if dropped > 0 {
                return Ok(Line::TooLong(dropped));
            }
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            return Ok(Line::Message(buf));
        }
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|c| *c == b'\n')
}

/// Forwards queued messages to a writer until the queue closes.
async fn pump<W: AsyncWrite + Unpin>(mut rx: mpsc::Receiver<Vec<u8>>, mut w: W) {
    while let Some(mut msg) = rx.recv().await {
        if msg.last() != Some(&b'\n') {
            msg.push(b'\n');
        }
        if w.write_all(&msg).await.is_err() {
            break;
        }
        // Flush when nothing else is waiting, so bursts go out in one write.
        if rx.is_empty() && w.flush().await.is_err() {
            break;
        }
    }
    let _ = w.shutdown().await;
}

/// Runs the proxy until the client or the server goes away; returns the server's exit
/// code (or 1 if it was killed by a signal).
pub async fn run(opts: Options, audit: Audit) -> Result<i32, ProxyError> {
    let (program, args) = opts.command.split_first().ok_or(ProxyError::NoCommand)?;
    let alerts = match &opts.alerts {
        Some(path) => Some(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| ProxyError::Alerts {
                    path: path.display().to_string(),
                    source,
                })?,
        )),
        None => None,
    };
    let pins = if opts.policy.pins.enabled {
        crate::pins::Pins::load(opts.pins.as_deref()).map_err(ProxyError::Pins)?
    } else {
        crate::pins::Pins::default()
    };
    let mut command = tokio::process::Command::new(program);
    if std::env::var_os(REEXEC_MARKER).is_some() {
        command
            .env_remove(REEXEC_MARKER)
            .env_remove("MIMALLOC_ARENA_EAGER_COMMIT");
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| ProxyError::Spawn {
            command: opts.command.join(" "),
            source,
        })?;
    let (Some(child_in), Some(child_out)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(ProxyError::Io(std::io::Error::other("child pipes missing")));
    };
    let (to_client, client_rx) = mpsc::channel::<Vec<u8>>(QUEUE);
    let (to_server, server_rx) = mpsc::channel::<Vec<u8>>(QUEUE);
    let mut session = [0u8; 8];
    // Unique, not secret: the clock will do if the OS generator is unavailable.
    if getrandom::fill(&mut session).is_err() {
        session = now_unix_nano().to_le_bytes();
    }
    let shared = Arc::new(Shared {
        audit,
        policy: opts.policy,
        session: warden_ledger::hmac::hex(&session),
        fence: Mutex::new(Fence::default()),
        in_flight: Mutex::new(HashMap::new()),
        destructive: Mutex::new(HashMap::new()),
        schemas: Mutex::new(crate::strict::Schemas::default()),
        pins: Mutex::new(pins),
        brake: Mutex::new(crate::brake::Brake::default()),
        detector: Mutex::new(warden_detect::Detector::default()),
        alerts,
        protocol_version: Mutex::new(None),
        to_client,
        to_server: Mutex::new(Some(to_server)),
        started: Instant::now(),
        calls: Default::default(),
        refused: Default::default(),
    });
    let client_writer = tokio::spawn(pump(client_rx, tokio::io::stdout()));
    let server_writer = tokio::spawn(pump(server_rx, child_in));
    let admin =
        match &opts.admin_socket {
            Some(path) => Some(crate::admin::serve(path, shared.clone()).map_err(|source| {
                ProxyError::Admin {
                    path: path.display().to_string(),
                    source,
                }
            })?),
            None => None,
        };
    let max = opts.max_message;
    let mut upstream = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let ordered = Ordered::start(shared.clone(), Side::Client);
            let mut reader = BufReader::with_capacity(1 << 16, child_out);
            loop {
                match read_line(&mut reader, max).await {
                    Ok(Line::Message(m)) => {
                        let sh = shared.clone();
                        if !ordered
                            .push(tokio::spawn(async move {
                                from_server(&sh, m).await.map(Outgoing::from)
                            }))
                            .await
                        {
                            break;
                        }
                    }
                    Ok(Line::TooLong(n)) => eprintln!(
                        "warden proxy: dropped a {n}-byte message from the server (limit {max})"
                    ),
                    Ok(Line::Eof) | Err(_) => break,
                }
            }
            ordered.finish().await;
        })
    };
    let mut downstream = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let ordered = Ordered::start(shared.clone(), Side::Server);
            let mut reader = BufReader::with_capacity(1 << 16, tokio::io::stdin());
            loop {
                match read_line(&mut reader, max).await {
                    Ok(Line::Message(m)) => {
                        let sh = shared.clone();
                        if !ordered
                            .push(tokio::spawn(async move { from_client(&sh, m).await }))
                            .await
                        {
                            break;
                        }
                    }
                    Ok(Line::TooLong(n)) => {
                        let msg =
                            format!("message of {n} bytes is over the proxy's {max}-byte limit");
                        let _ = shared
                            .to_client
                            .send(jsonrpc::error_response(
                                &Value::Null,
                                code::INVALID_REQUEST,
                                &msg,
                                None,
                            ))
                            .await;
                    }
                    Ok(Line::Eof) | Err(_) => break,
                }
            }
            ordered.finish().await;
        })
    };
    // Whichever side ends first ends the session.
    let status = tokio::select! {
        _ = &mut downstream => {
            // The client is gone: close the server's stdin and let it exit.
            lock(&shared.to_server).take();
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), &mut upstream).await;
            match tokio::time::timeout(std::time::Duration::from_secs(5), child.wait()).await {
                Ok(status) => status.ok(),
                Err(_) => {
                    // A server that ignores the end of its input is stopped.
                    eprintln!("warden proxy: the server did not exit within 5 s of its input closing; killing it");
                    let _ = child.start_kill();
                    upstream.abort();
                    child.wait().await.ok()
                }
            }
        }
        _ = &mut upstream => {
            downstream.abort();
            upstream_gone(&shared).await;
            child.wait().await.ok()
        }
    };
    // The admin task holds the shared state (and so the client queue): stop it, so the
    // queues close and the writers flush what is left and end.
    if let Some(admin) = admin {
        admin.abort();
        let _ = admin.await;
    }
    downstream.abort();
    drop(shared);
    let _ = server_writer.await;
    let _ = client_writer.await;
    Ok(status.and_then(|s| s.code()).unwrap_or(1))
}

/// The server exited: answer every call still waiting with an error.
async fn upstream_gone(shared: &Shared) {
    let pending: Vec<(String, InFlight)> = lock(&shared.in_flight).drain().collect();
    for (_, call) in pending {
        if call.answered {
            continue;
        }
        let _ = shared
            .to_client
            .send(jsonrpc::error_response(
                &call.id,
                code::UPSTREAM_GONE,
                "the MCP server exited before answering",
                None,
            ))
            .await;
        if call.tool.is_some() {
            let r = result_record(shared, &call, "failed", Some("upstream_gone"), 0, None);
            let _ = shared.audit.record(&r).await;
        }
    }
}

/// `jsonrpc.request.id` as OTel writes it: the string, or the integer in decimal.
fn request_id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn base_record(shared: &Shared, kind: &str) -> Record {
    Record {
        session_id: Some(shared.session.clone()),
        network_transport: Some("pipe".into()),
        protocol_version: lock(&shared.protocol_version).clone(),
        ..Record::new(kind, now_unix_nano())
    }
}

fn result_record(
    shared: &Shared,
    call: &InFlight,
    status: &str,
    error_type: Option<&str>,
    bytes: u64,
    content_types: Option<Vec<String>>,
) -> Record {
    let kind = if call.tool.is_some() {
        "tool.result"
    } else {
        "rpc.call"
    };
    let mut attrs = Map::new();
    if let Some(types) = content_types
        && !types.is_empty()
    {
        attrs.insert("content_types".into(), json!(types));
    }
    if !call.found.emails.is_empty() {
        // Addresses are personal data: keyed digests (the investigator with the ledger
        // key can test a given address) and the domains, never the addresses.
        let digester = shared.audit.digester();
        let digests: Vec<String> = call
            .found
            .emails
            .iter()
            .map(|e| digester.digest(&Value::String(e.to_ascii_lowercase())).0)
            .collect();
        let mut domains: Vec<&str> = call
            .found
            .emails
            .iter()
            .filter_map(|e| e.rsplit_once('@').map(|(_, d)| d))
            .collect();
        domains.sort_unstable();
        domains.dedup();
        attrs.insert("email_digests".into(), json!(digests));
        attrs.insert("email_domains".into(), json!(domains));
    }
    Record {
        call_id: Some(call.call_id.clone()),
        method: Some(call.method.clone()),
        tool_name: call.tool.clone(),
        request_id: Some(request_id_text(&call.id)),
        result: Some(ResultSummary {
            status: status.into(),
            error_type: error_type.map(str::to_string),
            bytes: Some(bytes),
            duration_nano: Some(u64::try_from(call.start.elapsed().as_nanos()).unwrap_or(u64::MAX)),
            resource_ids: call.found.ids.clone(),
            outbound_hosts: call.found.hosts.clone(),
            data_classes: call.found.data_classes(),
        }),
        attributes: (!attrs.is_empty()).then_some(attrs),
        ..base_record(shared, kind)
    }
}

/// A message from the client; returns the bytes to forward to the server, if any (the
/// caller forwards them in arrival order).
async fn from_client(shared: &Arc<Shared>, line: Vec<u8>) -> Option<Outgoing> {
    let value: Value = match serde_json::from_slice(&line) {
        Ok(v) => v,
        Err(e) => {
            let msg = format!("not valid JSON (UTF-8): {e}");
            let _ = shared
                .to_client
                .send(jsonrpc::error_response(
                    &Value::Null,
                    code::PARSE_ERROR,
                    &msg,
                    None,
                ))
                .await;
            return None;
        }
    };
    match jsonrpc::classify(&value) {
        Kind::Invalid(why) => {
            let id = value.get("id").cloned().unwrap_or(Value::Null);
            let _ = shared
                .to_client
                .send(jsonrpc::error_response(
                    &id,
                    code::INVALID_REQUEST,
                    why,
                    None,
                ))
                .await;
            None
        }
        Kind::Request { id, method } => {
            let key = jsonrpc::id_key(id);
            if method == "initialize"
                && let Some(v) = value
                    .pointer("/params/protocolVersion")
                    .and_then(Value::as_str)
            {
                *lock(&shared.protocol_version) = Some(v.to_string());
            }
            let call_id = format!("{}/{}", shared.session, key);
            let mut call = InFlight {
                method: method.to_string(),
                tool: None,
                call_id,
                id: id.clone(),
                start: Instant::now(),
                found: Found::default(),
                answered: false,
                forwarded: false,
            };
            if method == "tools/call" {
                shared
                    .calls
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(tool) = value.pointer("/params/name").and_then(Value::as_str) else {
                    let _ = shared
                        .to_client
                        .send(jsonrpc::error_response(
                            id,
                            -32602,
                            "tools/call needs params.name (a string)",
                            None,
                        ))
                        .await;
                    return None;
                };
                call.tool = Some(tool.to_string());
                let args = value
                    .pointer("/params/arguments")
                    .cloned()
                    .unwrap_or(Value::Null);
                // A credential in the arguments must not become a recorded "resource id".
                extract::scan(&args, &mut call.found);
                call.found.drop_secrets();
                let (digest, key_id) = shared.audit.digester().digest(&args);
                let intent = Record {
                    call_id: Some(call.call_id.clone()),
                    method: Some(method.to_string()),
                    tool_name: Some(tool.to_string()),
                    request_id: Some(request_id_text(&call.id)),
                    args_digest: Some(digest),
                    args_key_id: key_id,
                    ..base_record(shared, "tool.intent")
                };
                let digest_for_brake = intent.args_digest.clone().unwrap_or_default();
                let refusal = refusal_for(shared, tool, &args, &digest_for_brake).await;
                if let Some((by, reason)) = refusal {
                    shared
                        .refused
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let _ = shared.audit.record_durable(&intent).await;
                    let denied = result_record(shared, &call, "denied", Some(by), 0, None);
                    let _ = shared.audit.record_durable(&denied).await;
                    let _ = shared
                        .to_client
                        .send(jsonrpc::error_response(
                            id,
                            code::REFUSED,
                            &format!("refused by warden proxy: {reason}"),
                            Some(json!({ "reason": reason })),
                        ))
                        .await;
                    return None;
                }
                if let Err(e) = shared.audit.record(&intent).await
                    && !shared.policy.audit.fail_open
                {
                    let _ = shared
                        .to_client
                        .send(jsonrpc::error_response(
                            id,
                            code::AUDIT_UNAVAILABLE,
                            &format!("not forwarded: the call could not be recorded ({e})"),
                            None,
                        ))
                        .await;
                    return None;
                }
            }
            // Re-checked under the in-flight lock, which the fence takes too: a fence
            // applied while this call waited for its intent record still stops it.
            let refused = {
                let mut in_flight = lock(&shared.in_flight);
                let fenced = call
                    .tool
                    .as_deref()
                    .is_some_and(|t| lock(&shared.fence).covers(t));
                if in_flight.contains_key(&key) {
                    Some((
                        code::INVALID_REQUEST,
                        "a request with this id is already in flight".to_string(),
                    ))
                } else if fenced {
                    Some((
                        code::REFUSED,
                        format!(
                            "refused by warden proxy: fenced by the operator: {}",
                            lock(&shared.fence).reason
                        ),
                    ))
                } else {
                    in_flight.insert(key.clone(), call);
                    None
                }
            };
            if let Some((code, message)) = refused {
                let _ = shared
                    .to_client
                    .send(jsonrpc::error_response(id, code, &message, None))
                    .await;
                return None;
            }
            Some(Outgoing {
                bytes: line,
                call: Some(key),
            })
        }
        // Only real notifications pass: a "notification" naming a request method (a
        // tools/call without an id) would reach the server unchecked and unrecorded.
        Kind::Notification { method } if method.starts_with("notifications/") => Some(line.into()),
        Kind::Notification { method } => {
            eprintln!(
                "warden proxy: dropped a `{method}` message without an id (requests need an id; only notifications/* may omit it)"
            );
            None
        }
        Kind::Response { .. } => Some(line.into()),
    }
}

/// Why a call may not go through, checked in order: fence, policy, quarantine, strict
/// arguments, the loop brake (which also fences the server when it trips).
async fn refusal_for(
    shared: &Shared,
    tool: &str,
    args: &Value,
    args_digest: &str,
) -> Option<(&'static str, String)> {
    {
        let fence = lock(&shared.fence);
        if fence.covers(tool) {
            return Some(("fence", format!("fenced by the operator: {}", fence.reason)));
        }
    }
    let destructive = lock(&shared.destructive)
        .get(tool)
        .copied()
        .unwrap_or(false);
    if let Err(r) = shared.policy.check_tool(tool, destructive) {
        return Some(("policy", r));
    }
    if shared.policy.pins.enabled && lock(&shared.pins).is_quarantined(tool) {
        return Some((
            "quarantine",
            format!(
                "tool `{tool}` is quarantined: its definition changed (or it is new) since it was pinned; an operator must approve it (`warden proxy approve --tool {tool}`)"
            ),
        ));
    }
    if shared.policy.strict.enabled {
        let checked =
            lock(&shared.schemas).check(tool, args, shared.policy.strict.max_string_bytes);
        if let Err(r) = checked {
            return Some(("strict_arguments", r));
        }
    }
    let tripped =
        lock(&shared.brake).observe(&shared.policy.brake, tool, args_digest, Instant::now());
    if let Some(reason) = tripped {
        auto_fence(shared, &reason).await;
        eprintln!("warden proxy: {reason}; the server is fenced (warden proxy unfence to lift)");
        return Some(("brake", reason));
    }
    None
}

/// A message from the server; returns the bytes to deliver to the client, if any (the
/// caller delivers them in arrival order).
async fn from_server(shared: &Arc<Shared>, line: Vec<u8>) -> Option<Vec<u8>> {
    let Ok(mut value) = serde_json::from_slice::<Value>(&line) else {
        eprintln!(
            "warden proxy: the server wrote a line that is not JSON ({} bytes); dropped",
            line.len()
        );
        return None;
    };
    let Kind::Response { id } = jsonrpc::classify(&value) else {
        return Some(line);
    };
    let key = jsonrpc::id_key(id);
    let Some(mut call) = lock(&shared.in_flight).remove(&key) else {
        // An answer to nothing we forwarded (a server echoing a wrong id): still no
        // credential passes through.
        if shared.policy.redact.enabled && !crate::redact::redact(&mut value).is_empty() {
            return serde_json::to_vec(&value).ok();
        }
        return Some(line);
    };
    if call.answered {
        return None;
    }
    let bytes = line.len() as u64;
    let (status, error_type) = if let Some(code) = value.pointer("/error/code") {
        // The code is whatever the server sent: keep integers, name anything else.
        let code = code
            .as_i64()
            .map_or_else(|| "invalid_error_code".to_string(), |c| c.to_string());
        ("failed", Some(code))
    } else if value.pointer("/result/isError").and_then(Value::as_bool) == Some(true) {
        ("error", Some("tool_error".to_string()))
    } else {
        ("ok", None)
    };
    let mut out = line;
    if call.method == "tools/list"
        && let Some(result) = value.get_mut("result")
    {
        let mut changes = Vec::new();
        if let Some(tools) = result.get("tools").and_then(Value::as_array) {
            {
                let mut cache = lock(&shared.destructive);
                for t in tools {
                    if let Some(name) = t.get("name").and_then(Value::as_str) {
                        cache.insert(name.to_string(), policy::destructive_hint(t));
                    }
                }
            }
            lock(&shared.schemas).learn(tools);
            if shared.policy.pins.enabled {
                changes = lock(&shared.pins).observe(tools);
            }
        }
        let mut changed = shared.policy.filter_tools_list(result);
        if shared.policy.pins.enabled
            && let Some(tools) = result.get_mut("tools").and_then(Value::as_array_mut)
        {
            let pins = lock(&shared.pins);
            let before = tools.len();
            tools.retain(|t| {
                !pins.is_quarantined(t.get("name").and_then(Value::as_str).unwrap_or_default())
            });
            changed |= tools.len() != before;
        }
        if changed {
            out = serde_json::to_vec(&value).unwrap_or(out);
        }
        for c in changes {
            eprintln!(
                "warden proxy: ALERT tool `{}` {}{}",
                c.tool,
                c.change,
                c.probable_rename_of
                    .as_deref()
                    .map(|r| format!(" (probably `{r}` renamed)"))
                    .unwrap_or_default()
            );
            let mut attrs = Map::new();
            attrs.insert("rule".into(), json!("tool-pin"));
            if let Ok(Value::Object(m)) = serde_json::to_value(&c) {
                attrs.extend(m);
            }
            let alert = Record {
                tool_name: Some(c.tool.clone()),
                attributes: Some(attrs),
                ..base_record(shared, "alert.tool_pin")
            };
            let _ = shared.audit.record(&alert).await;
        }
    }
    let content_types = value
        .pointer("/result/content")
        .and_then(Value::as_array)
        .map(|c| {
            let mut types: Vec<String> = Vec::new();
            for item in c {
                if let Some(t) = item.get("type").and_then(Value::as_str)
                    && !types.iter().any(|x| x == t)
                {
                    types.push(t.to_string());
                }
            }
            types
        });
    // Redact first, so no credential reaches the client, the ledger's extracted ids or
    // the detectors; errors can carry secrets too.
    let mut redactions = Vec::new();
    if shared.policy.redact.enabled && call.tool.is_some() {
        for part in ["result", "error"] {
            if let Some(v) = value.get_mut(part) {
                redactions.extend(crate::redact::redact(v));
            }
        }
        if !redactions.is_empty() {
            out = serde_json::to_vec(&value).unwrap_or(out);
        }
    }
    if call.tool.is_some()
        && let Some(result) = value.get("result")
    {
        extract::scan(result, &mut call.found);
    }
    let mut record = result_record(
        shared,
        &call,
        status,
        error_type.as_deref(),
        bytes,
        content_types,
    );
    if !redactions.is_empty() {
        record
            .attributes
            .get_or_insert_with(Map::new)
            .insert("redactions".into(), json!(redactions));
    }
    if call.tool.is_some() {
        detect(shared, &record).await;
    }
    if let Err(e) = shared.audit.record(&record).await {
        eprintln!(
            "warden proxy: could not record the result of {}: {e}",
            call.call_id
        );
    }
    Some(out)
}

/// Fences the whole server on the proxy's own decision (the brake, a detector) and
/// records it as an automatic `admin.fence`.
async fn auto_fence(shared: &Shared, reason: &str) {
    let fence = Fence {
        all: true,
        tools: Vec::new(),
        reason: reason.to_string(),
    };
    let cancelled = apply_fence(shared, fence).await;
    let mut details = Map::new();
    details.insert("scope".into(), json!("server"));
    details.insert("reason".into(), json!(reason));
    details.insert("automatic".into(), json!(true));
    details.insert("cancelled_in_flight".into(), json!(cancelled));
    let _ = shared.audit.record_admin("admin.fence", details).await;
}

/// Runs the detectors over a result record; each alert goes to stderr, the alerts file
/// and the ledger (`alert.<rule>`), and fences the server if the policy says so.
async fn detect(shared: &Shared, record: &Record) {
    let alerts = lock(&shared.detector).observe(&shared.policy.detect, record);
    for alert in alerts {
        let line = serde_json::to_string(&alert).unwrap_or_default();
        eprintln!("warden proxy: ALERT {line}");
        if let Some(file) = &shared.alerts {
            use std::io::Write as _;
            let mut f = lock(file);
            let _ = writeln!(f, "{line}");
            let _ = f.flush();
        }
        let mut attrs = Map::new();
        if let Ok(Value::Object(m)) = serde_json::to_value(&alert) {
            attrs.extend(m);
        }
        let alert_record = Record {
            tool_name: Some(alert.tool.clone()),
            attributes: Some(attrs),
            ..base_record(shared, &format!("alert.{}", alert.rule))
        };
        let _ = shared.audit.record(&alert_record).await;
        if shared.policy.detect.fence_on_alert {
            let reason = format!("detector {}: {}", alert.rule, alert.summary);
            auto_fence(shared, &reason).await;
        }
    }
}

/// Fences `fence` now: answers calls in flight that it covers with an error, and tells
/// the server to cancel them. Returns how many calls were cancelled.
pub(crate) async fn apply_fence(shared: &Shared, fence: Fence) -> usize {
    let cancelled: Vec<(Value, bool)> = {
        let mut in_flight = lock(&shared.in_flight);
        let fence = {
            // Fences add up: fencing a tool never lifts a wider fence.
            let mut current = lock(&shared.fence);
            current.all |= fence.all;
            for t in fence.tools {
                if !current.tools.contains(&t) {
                    current.tools.push(t);
                }
            }
            current.reason = fence.reason;
            current.clone()
        };
        in_flight
            .values_mut()
            .filter(|c| !c.answered && c.tool.as_deref().is_some_and(|t| fence.covers(t)))
            .map(|c| {
                c.answered = true;
                (c.id.clone(), c.forwarded)
            })
            .collect()
    };
    let reason = lock(&shared.fence).reason.clone();
    for (id, forwarded) in &cancelled {
        // A request still waiting in line is dropped by the forwarder; only one the
        // server has seen needs a cancel (sent after it, in order).
        if *forwarded {
            let note = json!({
            "jsonrpc": "2.0",
            "method": "notifications/cancelled",
            "params": { "requestId": id, "reason": "fenced by the operator" }
            });
            // Not awaited here: a fence can be applied from inside a response handler,
            // and a server blocked on its own output must not stall that handler.
            let tx = lock(&shared.to_server).clone();
            if let Some(tx) = tx {
                let bytes = serde_json::to_vec(&note).unwrap_or_default();
                tokio::spawn(async move {
                    let _ = tx.send(bytes).await;
                });
            }
        }
        let _ = shared
            .to_client
            .send(jsonrpc::error_response(
                id,
                code::REFUSED,
                &format!("cancelled by warden proxy: fenced by the operator: {reason}"),
                None,
            ))
            .await;
    }
    cancelled.len()
}

/// Lifts every fence.
pub(crate) fn lift_fence(shared: &Shared) {
    *lock(&shared.fence) = Fence::default();
}

/// A snapshot for `status`.
pub(crate) fn status(shared: &Shared) -> Value {
    json!({
        "session": shared.session,
        "fence": *lock(&shared.fence),
        "in_flight": lock(&shared.in_flight).len(),
        "tool_calls": shared.calls.load(std::sync::atomic::Ordering::Relaxed),
        "refused": shared.refused.load(std::sync::atomic::Ordering::Relaxed),
        "uptime_ms": u64::try_from(shared.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "audit_failed": shared.audit.failed(),
        "quarantined": lock(&shared.pins).quarantine(),
    })
}
