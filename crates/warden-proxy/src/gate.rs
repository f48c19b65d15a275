//! The transport-agnostic core of the proxy: every message from a client passes
//! [`from_client`] and every message from a server passes [`from_server`], whatever
//! carries them (stdio pipes, Streamable HTTP). The gate records calls, enforces the
//! policy and the fence, and keeps the state of each client session; the transports
//! only move bytes and tell the gate who sent them.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use warden_ledger::ledger::now_unix_nano;
use warden_ledger::record::{Record, ResultSummary};

use crate::audit::Audit;
use crate::extract::{self, Found};
use crate::jsonrpc::{self, Kind, code};
use crate::net::{Bucket, Cidr};
use crate::policy::{self, Policy};

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
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("upstream URL `{url}`: {why}")]
    Upstream { url: String, why: String },
}

/// What the gate needs besides the policy.
pub struct GateOptions {
    pub policy: Policy,
    /// The tool pin file (read, and written on first sight and on approval).
    pub pins: Option<PathBuf>,
    /// Where alerts go as JSON lines (besides stderr and the ledger).
    pub alerts: Option<PathBuf>,
}

/// How the gate reaches one session's client and server outside a request's own
/// answer: fence errors for calls in flight, and cancellations.
pub(crate) trait Link: Send + Sync {
    /// Sends a message the proxy made to the client.
    fn to_client(&self, bytes: Vec<u8>);
    /// Sends a message the proxy made to the server, in this session.
    fn to_server(&self, session: &Session, bytes: Vec<u8>);
}

/// A request the proxy forwarded and has not seen the answer to.
pub(crate) struct InFlight {
    method: String,
    tool: Option<String>,
    call_id: String,
    id: Value,
    start: Instant,
    found: Found,
    /// A `tools/list` request that asked for a later page (`params.cursor`).
    next_page: bool,
    /// The proxy already answered the client (fenced while in flight).
    pub(crate) answered: bool,
    /// The request has been sent toward the server (a cancel may follow it).
    pub(crate) forwarded: bool,
    /// Where the proxy's own answer goes when the transport waits for one per request
    /// (an HTTP POST); otherwise it goes through the session's link.
    pub(crate) waiter: Option<oneshot::Sender<Vec<u8>>>,
}

/// The per-session limits (loop brake, rate buckets); shared by every request of a
/// stateless client, which gets one [`Session`] per request but one set of limits.
#[derive(Default)]
pub(crate) struct Limits {
    brake: Mutex<crate::brake::Brake>,
    rate: Mutex<HashMap<String, Bucket>>,
}

/// One client session: a stdio client, an HTTP `Mcp-Session-Id`, or one request of a
/// stateless client (then `id` names the client — its principal or address — and is
/// shared by its requests).
pub(crate) struct Session {
    /// Unique per `Session` value, for the gate's registry.
    serial: u64,
    pub(crate) id: String,
    /// What call ids start with: the session id, plus the request's serial for the
    /// requests of a stateless client (which may reuse JSON-RPC ids concurrently).
    call_scope: String,
    transport: &'static str,
    pub(crate) peer: Option<IpAddr>,
    pub(crate) principal: Option<String>,
    pub(crate) protocol_version: Mutex<Option<String>>,
    pub(crate) in_flight: Mutex<HashMap<String, InFlight>>,
    /// The pages of a paginated `tools/list` so far: pins compare the whole list.
    tool_pages: Mutex<Vec<Value>>,
    pub(crate) limits: Arc<Limits>,
    link: Box<dyn Link>,
}

impl Session {
    /// Marks a call as sent toward the server; `false` if the fence answered it while
    /// it waited (it must then not be sent).
    pub(crate) fn mark_forwarded(&self, key: &str) -> bool {
        let mut in_flight = lock(&self.in_flight);
        match in_flight.get_mut(key) {
            Some(c) if c.answered => {
                in_flight.remove(key);
                false
            }
            Some(c) => {
                c.forwarded = true;
                true
            }
            None => false,
        }
    }

    /// Registers a waiter for the proxy's own answer to `key` (see [`InFlight::waiter`]).
    pub(crate) fn wait_for_answer(&self, key: &str) -> Option<oneshot::Receiver<Vec<u8>>> {
        let mut in_flight = lock(&self.in_flight);
        let call = in_flight.get_mut(key)?;
        let (tx, rx) = oneshot::channel();
        call.waiter = Some(tx);
        Some(rx)
    }
}

/// What the operator has fenced.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Fence {
    pub all: bool,
    pub tools: Vec<String>,
    pub sessions: Vec<String>,
    pub reason: String,
    /// The server processes were stopped (SIGSTOP) for forensics.
    pub frozen: bool,
}

impl Fence {
    fn covers(&self, session: &str, tool: &str) -> bool {
        self.all
            || self.tools.iter().any(|t| t == tool)
            || self.sessions.iter().any(|s| s == session)
    }
}

/// The proxy's state: shared by every session, the transports and the admin endpoint.
pub(crate) struct Gate {
    pub(crate) audit: Audit,
    pub(crate) policy: Policy,
    pub(crate) fence: Mutex<Fence>,
    destructive: Mutex<HashMap<String, bool>>,
    schemas: Mutex<crate::strict::Schemas>,
    pub(crate) pins: Mutex<crate::pins::Pins>,
    detector: Mutex<warden_detect::Detector>,
    alerts: Option<Mutex<std::fs::File>>,
    sessions: Mutex<HashMap<u64, Arc<Session>>>,
    next_serial: std::sync::atomic::AtomicU64,
    revoked: Mutex<HashSet<String>>,
    blocked: Mutex<Vec<Cidr>>,
    /// Server processes the proxy started (frozen with SIGSTOP on request).
    children: Mutex<Vec<u32>>,
    pub(crate) started: Instant,
    pub(crate) calls: std::sync::atomic::AtomicU64,
    pub(crate) refused: std::sync::atomic::AtomicU64,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A fresh random id (unique, not secret: the clock will do if the OS generator is out).
pub(crate) fn new_id() -> String {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        b = now_unix_nano().to_le_bytes();
    }
    warden_ledger::hmac::hex(&b)
}

impl Gate {
    /// Builds the gate: loads the pins, opens the alerts file, parses the block list.
    pub(crate) fn new(opts: GateOptions, audit: Audit) -> Result<Arc<Gate>, ProxyError> {
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
        // Validated when the file was loaded; a policy built in code is checked here.
        let blocked = opts
            .policy
            .network
            .block
            .iter()
            .map(|b| Cidr::parse(b))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ProxyError::Io(std::io::Error::other(e)))?;
        Ok(Arc::new(Gate {
            audit,
            policy: opts.policy,
            fence: Mutex::new(Fence::default()),
            destructive: Mutex::new(HashMap::new()),
            schemas: Mutex::new(crate::strict::Schemas::default()),
            pins: Mutex::new(pins),
            detector: Mutex::new(warden_detect::Detector::default()),
            alerts,
            sessions: Mutex::new(HashMap::new()),
            next_serial: Default::default(),
            revoked: Mutex::new(HashSet::new()),
            blocked: Mutex::new(blocked),
            children: Mutex::new(Vec::new()),
            started: Instant::now(),
            calls: Default::default(),
            refused: Default::default(),
        }))
    }

    /// Starts a session and registers it (for the fence, revocation and `status`).
    pub(crate) fn open_session(
        &self,
        transport: &'static str,
        peer: Option<IpAddr>,
        principal: Option<String>,
        link: Box<dyn Link>,
    ) -> Arc<Session> {
        self.open_session_as(new_id(), None, transport, peer, principal, link)
    }

    /// Starts a session under a given id; with `shared` limits it is one request of a
    /// stateless client (which shares the id and the limits of its other requests).
    pub(crate) fn open_session_as(
        &self,
        id: String,
        shared: Option<Arc<Limits>>,
        transport: &'static str,
        peer: Option<IpAddr>,
        principal: Option<String>,
        link: Box<dyn Link>,
    ) -> Arc<Session> {
        let serial = self
            .next_serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let call_scope = match shared {
            Some(_) => format!("{id}.{serial}"),
            None => id.clone(),
        };
        let session = Arc::new(Session {
            serial,
            id,
            call_scope,
            transport,
            peer,
            principal,
            protocol_version: Mutex::new(None),
            in_flight: Mutex::new(HashMap::new()),
            tool_pages: Mutex::new(Vec::new()),
            limits: shared.unwrap_or_default(),
            link,
        });
        lock(&self.sessions).insert(session.serial, session.clone());
        session
    }

    /// Forgets a session that ended; answers its calls still in flight.
    pub(crate) async fn close_session(&self, session: &Session, why: &str) {
        lock(&self.sessions).remove(&session.serial);
        let pending: Vec<(String, InFlight)> = lock(&session.in_flight).drain().collect();
        for (_, mut call) in pending {
            if call.answered {
                continue;
            }
            let reply = jsonrpc::error_response(&call.id, code::UPSTREAM_GONE, why, None);
            match call.waiter.take() {
                Some(w) => {
                    let _ = w.send(reply);
                }
                None => session.link.to_client(reply),
            }
            if call.tool.is_some() {
                let r = result_record(
                    self,
                    session,
                    &call,
                    "failed",
                    Some("upstream_gone"),
                    0,
                    None,
                );
                let _ = self.audit.record(&r).await;
            }
        }
    }

    /// Whether the session may send anything: `Err((lever, reason))` once it is revoked
    /// (`revoked`) or its address blocked (`blocked`).
    pub(crate) fn admits(&self, session: &Session) -> Result<(), (&'static str, String)> {
        if lock(&self.revoked).contains(&session.id) {
            return Err((
                "revoked",
                format!("session {} was revoked by the operator", session.id),
            ));
        }
        self.admits_address(session.peer)
            .map_err(|reason| ("blocked", reason))
    }

    /// Whether a client address is allowed (before any session exists).
    pub(crate) fn admits_address(&self, peer: Option<IpAddr>) -> Result<(), String> {
        if let Some(ip) = peer
            && let Some(c) = lock(&self.blocked).iter().find(|c| c.contains(ip))
        {
            return Err(format!(
                "client address {ip} is blocked ({c}) by the operator"
            ));
        }
        Ok(())
    }

    /// Whether the operator revoked or fenced session `id` (such a session must not come
    /// back under another id).
    pub(crate) fn is_contained(&self, id: &str) -> bool {
        lock(&self.revoked).contains(id) || lock(&self.fence).sessions.iter().any(|s| s == id)
    }

    /// How many server processes the proxy runs.
    pub(crate) fn child_count(&self) -> usize {
        lock(&self.children).len()
    }

    /// Remembers a server process (for the freeze option of the fence).
    pub(crate) fn add_child(&self, pid: Option<u32>) {
        if let Some(pid) = pid {
            lock(&self.children).push(pid);
        }
    }

    /// Forgets a server process that exited.
    pub(crate) fn remove_child(&self, pid: Option<u32>) {
        if let Some(pid) = pid {
            lock(&self.children).retain(|p| *p != pid);
        }
    }
}

/// What to do with a message from the client.
pub(crate) enum Verdict {
    /// Send these bytes to the server; `call` is the in-flight key of a request.
    Forward {
        bytes: Vec<u8>,
        call: Option<String>,
    },
    /// Answer the client with these bytes instead.
    Reply(Vec<u8>),
    /// Nothing to send (a dropped message).
    Drop,
}

/// Parses a client message; `Err` is the error response to send back.
pub(crate) fn parse(line: &[u8]) -> Result<Value, Vec<u8>> {
    serde_json::from_slice(line).map_err(|e| {
        let msg = format!("not valid JSON (UTF-8): {e}");
        jsonrpc::error_response(&Value::Null, code::PARSE_ERROR, &msg, None)
    })
}

/// `jsonrpc.request.id` as OTel writes it: the string, or the integer in decimal.
fn request_id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn base_record(session: &Session, kind: &str) -> Record {
    Record {
        session_id: Some(session.id.clone()),
        network_transport: Some(session.transport.into()),
        client_address: session.peer.map(|p| p.to_string()),
        protocol_version: lock(&session.protocol_version).clone(),
        ..Record::new(kind, now_unix_nano())
    }
}

fn result_record(
    gate: &Gate,
    session: &Session,
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
    if let Some(p) = &session.principal {
        attrs.insert("principal".into(), json!(p));
    }
    if !call.found.emails.is_empty() {
        // Addresses are personal data: keyed digests (the investigator with the ledger
        // key can test a given address) and the domains, never the addresses.
        let digester = gate.audit.digester();
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
        ..base_record(session, kind)
    }
}

/// Records a request the transport refused before the gate saw it (e.g. HTTP headers
/// that disagree with the body), so the refusal is in the ledger too.
pub(crate) async fn record_rejected(
    gate: &Gate,
    session: &Session,
    value: &Value,
    by: &str,
    reason: &str,
) {
    gate.refused
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let method = value.get("method").and_then(Value::as_str);
    let tool = (method == Some("tools/call"))
        .then(|| value.pointer("/params/name").and_then(Value::as_str))
        .flatten();
    let mut attrs = Map::new();
    attrs.insert("reason".into(), json!(reason));
    let record = Record {
        method: method.map(str::to_string),
        tool_name: tool.map(str::to_string),
        request_id: value.get("id").map(request_id_text),
        result: Some(ResultSummary {
            status: "denied".into(),
            error_type: Some(by.into()),
            ..ResultSummary::default()
        }),
        attributes: Some(attrs),
        ..base_record(
            session,
            if tool.is_some() {
                "tool.result"
            } else {
                "rpc.call"
            },
        )
    };
    let _ = gate.audit.record_durable(&record).await;
}

/// A message from the client, parsed once (`line` is the original bytes, forwarded
/// untouched).
pub(crate) async fn from_client(
    gate: &Gate,
    session: &Session,
    value: Value,
    line: Vec<u8>,
) -> Verdict {
    let kind = jsonrpc::classify(&value);
    if let Err((by, reason)) = gate.admits(session) {
        let id = match kind {
            Kind::Request { id, .. } => id.clone(),
            // Notifications and responses of a refused session are dropped quietly.
            _ => return Verdict::Drop,
        };
        record_rejected(gate, session, &value, by, &reason).await;
        return Verdict::Reply(jsonrpc::error_response(
            &id,
            code::REFUSED,
            &format!("refused by warden proxy: {reason}"),
            Some(json!({ "reason": reason })),
        ));
    }
    match kind {
        Kind::Invalid(why) => {
            let id = value.get("id").cloned().unwrap_or(Value::Null);
            Verdict::Reply(jsonrpc::error_response(
                &id,
                code::INVALID_REQUEST,
                why,
                None,
            ))
        }
        Kind::Request { id, method } => {
            from_client_request(gate, session, &value, id, method, line).await
        }
        // Only real notifications pass: a "notification" naming a request method (a
        // tools/call without an id) would reach the server unchecked and unrecorded.
        Kind::Notification { method } if method.starts_with("notifications/") => Verdict::Forward {
            bytes: line,
            call: None,
        },
        Kind::Notification { method } => {
            eprintln!(
                "warden proxy: dropped a `{method}` message without an id (requests need an id; only notifications/* may omit it)"
            );
            Verdict::Drop
        }
        Kind::Response { .. } => Verdict::Forward {
            bytes: line,
            call: None,
        },
    }
}

/// The protocol version a request names: `initialize`'s `protocolVersion`, or the
/// per-request `_meta` of the stateless era.
fn protocol_version_of(value: &Value, method: &str) -> Option<String> {
    if method == "initialize" {
        return value
            .pointer("/params/protocolVersion")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    value
        .pointer("/params/_meta")
        .and_then(|m| m.get(META_VERSION))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The `_meta` key that carries the protocol version in the stateless era.
pub(crate) const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";

async fn from_client_request(
    gate: &Gate,
    session: &Session,
    value: &Value,
    id: &Value,
    method: &str,
    line: Vec<u8>,
) -> Verdict {
    let key = jsonrpc::id_key(id);
    if let Some(v) = protocol_version_of(value, method) {
        *lock(&session.protocol_version) = Some(v);
    }
    let mut call = InFlight {
        method: method.to_string(),
        tool: None,
        call_id: format!("{}/{}", session.call_scope, key),
        id: id.clone(),
        start: Instant::now(),
        found: Found::default(),
        next_page: method == "tools/list" && value.pointer("/params/cursor").is_some(),
        answered: false,
        forwarded: false,
        waiter: None,
    };
    if method == "tools/call" {
        gate.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(tool) = value.pointer("/params/name").and_then(Value::as_str) else {
            return Verdict::Reply(jsonrpc::error_response(
                id,
                -32602,
                "tools/call needs params.name (a string)",
                None,
            ));
        };
        call.tool = Some(tool.to_string());
        let args = value
            .pointer("/params/arguments")
            .cloned()
            .unwrap_or(Value::Null);
        // A credential in the arguments must not become a recorded "resource id".
        extract::scan(&args, &mut call.found);
        call.found.drop_secrets();
        let (digest, key_id) = gate.audit.digester().digest(&args);
        let mut intent = Record {
            call_id: Some(call.call_id.clone()),
            method: Some(method.to_string()),
            tool_name: Some(tool.to_string()),
            request_id: Some(request_id_text(&call.id)),
            args_digest: Some(digest),
            args_key_id: key_id,
            ..base_record(session, "tool.intent")
        };
        if let Some(p) = &session.principal {
            intent.attributes = Some(Map::from_iter([("principal".into(), json!(p))]));
        }
        let digest_for_brake = intent.args_digest.clone().unwrap_or_default();
        let refusal = refusal_for(gate, session, tool, &args, &digest_for_brake).await;
        if let Some((by, reason)) = refusal {
            gate.refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let _ = gate.audit.record_durable(&intent).await;
            let denied = result_record(gate, session, &call, "denied", Some(by), 0, None);
            let _ = gate.audit.record_durable(&denied).await;
            return Verdict::Reply(jsonrpc::error_response(
                id,
                code::REFUSED,
                &format!("refused by warden proxy: {reason}"),
                Some(json!({ "reason": reason })),
            ));
        }
        if let Err(e) = gate.audit.record(&intent).await
            && !gate.policy.audit.fail_open
        {
            return Verdict::Reply(jsonrpc::error_response(
                id,
                code::AUDIT_UNAVAILABLE,
                &format!("not forwarded: the call could not be recorded ({e})"),
                None,
            ));
        }
    }
    // Re-checked under the in-flight lock, which the fence takes too: a fence applied
    // while this call waited for its intent record still stops it.
    let refused = {
        let mut in_flight = lock(&session.in_flight);
        let fenced = call
            .tool
            .as_deref()
            .is_some_and(|t| lock(&gate.fence).covers(&session.id, t));
        // An id the fence already answered may be used again.
        if in_flight.get(&key).is_some_and(|c| !c.answered) {
            Some((
                code::INVALID_REQUEST,
                "a request with this id is already in flight".to_string(),
            ))
        } else if fenced {
            Some((
                code::REFUSED,
                format!(
                    "refused by warden proxy: fenced by the operator: {}",
                    lock(&gate.fence).reason
                ),
            ))
        } else {
            in_flight.insert(key.clone(), call);
            None
        }
    };
    if let Some((code, message)) = refused {
        return Verdict::Reply(jsonrpc::error_response(id, code, &message, None));
    }
    Verdict::Forward {
        bytes: line,
        call: Some(key),
    }
}

/// Why a call may not go through, checked in order: fence, policy (with the
/// principal's scope), quarantine, strict arguments, rate limits, the loop brake (which
/// also fences the session when it trips).
async fn refusal_for(
    gate: &Gate,
    session: &Session,
    tool: &str,
    args: &Value,
    args_digest: &str,
) -> Option<(&'static str, String)> {
    {
        let fence = lock(&gate.fence);
        if fence.covers(&session.id, tool) {
            return Some(("fence", format!("fenced by the operator: {}", fence.reason)));
        }
    }
    let destructive = lock(&gate.destructive).get(tool).copied().unwrap_or(false);
    if let Err(r) = gate
        .policy
        .check_tool(tool, destructive, session.principal.as_deref())
    {
        return Some(("policy", r));
    }
    if gate.policy.pins.enabled && lock(&gate.pins).is_quarantined(tool) {
        return Some((
            "quarantine",
            format!(
                "tool `{tool}` is quarantined: its definition changed (or it is new) since it was pinned; an operator must approve it (`warden proxy approve --tool {tool}`)"
            ),
        ));
    }
    if gate.policy.strict.enabled {
        let checked = lock(&gate.schemas).check(tool, args, gate.policy.strict.max_string_bytes);
        if let Err(r) = checked {
            return Some(("strict_arguments", r));
        }
    }
    if let Some(r) = rate_limited(&gate.policy.rate, session, tool) {
        return Some(("rate_limit", r));
    }
    let tripped =
        lock(&session.limits.brake).observe(&gate.policy.brake, tool, args_digest, Instant::now());
    if let Some(reason) = tripped {
        let fence = Fence {
            sessions: vec![session.id.clone()],
            reason: reason.clone(),
            ..Fence::default()
        };
        auto_fence(gate, fence, "session").await;
        eprintln!(
            "warden proxy: {reason}; session {} is fenced (warden proxy unfence to lift)",
            session.id
        );
        return Some(("brake", reason));
    }
    None
}

/// The token buckets of `[rate]`: one per session, one per session and limited tool.
fn rate_limited(rules: &policy::RateRules, session: &Session, tool: &str) -> Option<String> {
    let now = Instant::now();
    let mut buckets = lock(&session.limits.rate);
    let mut check = |key: String, rate: f64| -> bool {
        let burst = if rules.burst > 0.0 {
            rules.burst
        } else {
            rate.max(1.0)
        };
        buckets
            .entry(key)
            .or_insert_with(|| Bucket::new(burst, now))
            .take(rate, burst, now)
    };
    if rules.per_session > 0.0 && !check(String::new(), rules.per_session) {
        return Some(format!(
            "session rate limit: more than {} tool calls per second",
            rules.per_session
        ));
    }
    if let Some((pattern, rate)) = rules
        .tools
        .iter()
        .find(|(p, r)| **r > 0.0 && policy::matches(p, tool))
        && !check(format!("tool:{pattern}"), *rate)
    {
        return Some(format!(
            "rate limit for `{pattern}`: more than {rate} calls per second"
        ));
    }
    None
}

/// A message from the server, after the gate.
pub(crate) struct Delivery {
    /// What to deliver to the client (`None`: nothing, e.g. the answer to a call the
    /// fence already answered, or a line that is not JSON).
    pub(crate) bytes: Option<Vec<u8>>,
    /// The in-flight key, when the message is a response.
    pub(crate) response_to: Option<String>,
    /// `bytes` differ from what the server sent (filtered or redacted): a transport that
    /// framed the original (an SSE event) must frame these anew.
    pub(crate) rewritten: bool,
}

/// A message from the server in `session`.
pub(crate) async fn from_server(gate: &Gate, session: &Session, line: Vec<u8>) -> Delivery {
    let Ok(value) = serde_json::from_slice::<Value>(&line) else {
        eprintln!(
            "warden proxy: the server sent a message that is not JSON ({} bytes); dropped",
            line.len()
        );
        return Delivery {
            bytes: None,
            response_to: None,
            rewritten: false,
        };
    };
    let key = match jsonrpc::classify(&value) {
        Kind::Response { id } => jsonrpc::id_key(id),
        _ => {
            return Delivery {
                bytes: Some(line),
                response_to: None,
                rewritten: false,
            };
        }
    };
    let answer = response(gate, session, &key, value, line).await;
    Delivery {
        rewritten: answer.as_ref().is_some_and(|(_, r)| *r),
        bytes: answer.map(|(b, _)| b),
        response_to: Some(key),
    }
}

async fn response(
    gate: &Gate,
    session: &Session,
    key: &str,
    mut value: Value,
    line: Vec<u8>,
) -> Option<(Vec<u8>, bool)> {
    let Some(mut call) = lock(&session.in_flight).remove(key) else {
        // An answer to nothing we forwarded (a server echoing a wrong id): still no
        // credential passes through.
        if gate.policy.redact.enabled && !crate::redact::redact(&mut value).is_empty() {
            return serde_json::to_vec(&value).ok().map(|b| (b, true));
        }
        return Some((line, false));
    };
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
    let mut rewritten = false;
    if call.method == "tools/list"
        && let Some(result) = value.get_mut("result")
        && tools_list(gate, session, result, call.next_page).await
    {
        out = serde_json::to_vec(&value).unwrap_or(out);
        rewritten = true;
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
    if gate.policy.redact.enabled && call.tool.is_some() {
        for part in ["result", "error"] {
            if let Some(v) = value.get_mut(part) {
                redactions.extend(crate::redact::redact(v));
            }
        }
        if !redactions.is_empty() {
            out = serde_json::to_vec(&value).unwrap_or(out);
            rewritten = true;
        }
    }
    if call.tool.is_some()
        && let Some(result) = value.get("result")
    {
        extract::scan(result, &mut call.found);
    }
    let mut record = result_record(
        gate,
        session,
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
    if call.answered {
        // The fence answered the client already, but the tool ran: the ledger says so.
        record
            .attributes
            .get_or_insert_with(Map::new)
            .insert("after_fence".into(), json!(true));
    }
    if call.tool.is_some() {
        detect(gate, session, &record).await;
    }
    if let Err(e) = gate.audit.record(&record).await {
        eprintln!(
            "warden proxy: could not record the result of {}: {e}",
            call.call_id
        );
    }
    (!call.answered).then_some((out, rewritten))
}

/// Ends a call the server answered outside JSON-RPC (an HTTP error status, a broken
/// stream): records it as failed. Returns whether the client still needs an answer
/// (`false` if the fence answered it already).
pub(crate) async fn fail_call(gate: &Gate, session: &Session, key: &str, error_type: &str) -> bool {
    let Some(call) = lock(&session.in_flight).remove(key) else {
        return false;
    };
    let record = result_record(gate, session, &call, "failed", Some(error_type), 0, None);
    let _ = gate.audit.record(&record).await;
    !call.answered
}

/// Learns from a `tools/list` result (annotations, schemas, pins) and filters it to what
/// the session may call; returns whether it changed. Pins are compared once the last
/// page of a paginated list is in (a tool on page 2 is not "new", nor one on page 1
/// "removed", when page 2 arrives); a quarantined tool listed on an earlier page is still
/// refused when called.
async fn tools_list(gate: &Gate, session: &Session, result: &mut Value, next_page: bool) -> bool {
    let mut changes = Vec::new();
    if let Some(tools) = result.get("tools").and_then(Value::as_array) {
        {
            let mut cache = lock(&gate.destructive);
            for t in tools {
                if let Some(name) = t.get("name").and_then(Value::as_str) {
                    cache.insert(name.to_string(), policy::destructive_hint(t));
                }
            }
        }
        lock(&gate.schemas).learn(tools);
        if gate.policy.pins.enabled {
            let more = result.get("nextCursor").is_some_and(|c| !c.is_null());
            let whole = {
                let mut pages = lock(&session.tool_pages);
                if !next_page {
                    pages.clear();
                }
                pages.extend(tools.iter().cloned());
                (!more).then(|| std::mem::take(&mut *pages))
            };
            if let Some(all) = whole {
                changes = lock(&gate.pins).observe(&all);
            }
        }
    }
    let mut changed = gate
        .policy
        .filter_tools_list(result, session.principal.as_deref());
    if gate.policy.pins.enabled
        && let Some(tools) = result.get_mut("tools").and_then(Value::as_array_mut)
    {
        let pins = lock(&gate.pins);
        let before = tools.len();
        tools.retain(|t| {
            !pins.is_quarantined(t.get("name").and_then(Value::as_str).unwrap_or_default())
        });
        changed |= tools.len() != before;
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
        crate::webhook::send(&gate.policy.alerts, Value::Object(attrs.clone()));
        let alert = Record {
            tool_name: Some(c.tool.clone()),
            attributes: Some(attrs),
            ..base_record(session, "alert.tool_pin")
        };
        let _ = gate.audit.record(&alert).await;
    }
    changed
}

/// Fences on the proxy's own decision (the brake, a detector) and records it as an
/// automatic `admin.fence`.
async fn auto_fence(gate: &Gate, fence: Fence, scope: &str) {
    let reason = fence.reason.clone();
    let cancelled = apply_fence(gate, fence).await;
    let mut details = Map::new();
    details.insert("scope".into(), json!(scope));
    details.insert("reason".into(), json!(reason));
    details.insert("automatic".into(), json!(true));
    details.insert("cancelled_in_flight".into(), json!(cancelled));
    let _ = gate.audit.record_admin("admin.fence", details).await;
}

/// Runs the detectors over a result record; each alert goes to stderr, the alerts file,
/// the webhook and the ledger (`alert.<rule>`), and fences the session if the policy
/// says so.
async fn detect(gate: &Gate, session: &Session, record: &Record) {
    let alerts = lock(&gate.detector).observe(&gate.policy.detect, record);
    for alert in alerts {
        let line = serde_json::to_string(&alert).unwrap_or_default();
        eprintln!("warden proxy: ALERT {line}");
        if let Some(file) = &gate.alerts {
            use std::io::Write as _;
            let mut f = lock(file);
            let _ = writeln!(f, "{line}");
            let _ = f.flush();
        }
        let mut attrs = Map::new();
        if let Ok(Value::Object(m)) = serde_json::to_value(&alert) {
            attrs.extend(m);
        }
        crate::webhook::send(&gate.policy.alerts, Value::Object(attrs.clone()));
        let alert_record = Record {
            tool_name: Some(alert.tool.clone()),
            attributes: Some(attrs),
            ..base_record(session, &format!("alert.{}", alert.rule))
        };
        let _ = gate.audit.record(&alert_record).await;
        if gate.policy.detect.fence_on_alert {
            let fence = Fence {
                sessions: vec![session.id.clone()],
                reason: format!("detector {}: {}", alert.rule, alert.summary),
                ..Fence::default()
            };
            auto_fence(gate, fence, "session").await;
        }
    }
}

/// A call the fence answered: its id, whether the server saw it, its waiter, and its
/// `cancelled` result record.
type Cancelled = (Value, bool, Option<oneshot::Sender<Vec<u8>>>, Record);

/// Fences `fence` now: answers the calls in flight that it covers with an error, and
/// tells the server to cancel those it has seen; freezes the server processes if asked.
/// Returns how many calls were cancelled.
pub(crate) async fn apply_fence(gate: &Gate, fence: Fence) -> usize {
    let freeze = fence.frozen;
    let current = {
        // Fences add up: fencing a tool never lifts a wider fence.
        let mut current = lock(&gate.fence);
        current.all |= fence.all;
        for t in fence.tools {
            if !current.tools.contains(&t) {
                current.tools.push(t);
            }
        }
        for s in fence.sessions {
            if !current.sessions.contains(&s) {
                current.sessions.push(s);
            }
        }
        current.reason = fence.reason;
        current.frozen |= freeze;
        current.clone()
    };
    let sessions: Vec<Arc<Session>> = lock(&gate.sessions).values().cloned().collect();
    let mut count = 0;
    for session in sessions {
        let cancelled: Vec<Cancelled> = lock(&session.in_flight)
            .values_mut()
            .filter(|c| {
                !c.answered
                    && c.tool
                        .as_deref()
                        .is_some_and(|t| current.covers(&session.id, t))
            })
            .map(|c| {
                c.answered = true;
                let record = result_record(gate, &session, c, "cancelled", Some("fence"), 0, None);
                (c.id.clone(), c.forwarded, c.waiter.take(), record)
            })
            .collect();
        count += cancelled.len();
        for (id, forwarded, waiter, record) in cancelled {
            // Recorded now: a server that honours the cancel never answers.
            let _ = gate.audit.record(&record).await;
            // A request still waiting in line is dropped by its transport; only one the
            // server has seen needs a cancel.
            if forwarded {
                let note = json!({
                    "jsonrpc": "2.0",
                    "method": "notifications/cancelled",
                    "params": { "requestId": id, "reason": "fenced by the operator" }
                });
                session
                    .link
                    .to_server(&session, serde_json::to_vec(&note).unwrap_or_default());
            }
            let reply = jsonrpc::error_response(
                &id,
                code::REFUSED,
                &format!(
                    "cancelled by warden proxy: fenced by the operator: {}",
                    current.reason
                ),
                None,
            );
            match waiter {
                Some(w) => {
                    let _ = w.send(reply);
                }
                None => session.link.to_client(reply),
            }
        }
    }
    if freeze {
        signal_children(gate, "STOP");
    }
    count
}

/// Sends a signal to the server processes (`STOP` to freeze them for forensics, `CONT`
/// to resume). Through `kill(1)`, so the proxy keeps no unsafe code.
fn signal_children(gate: &Gate, signal: &str) {
    for pid in lock(&gate.children).iter() {
        let ok = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("warden proxy: could not send SIG{signal} to server process {pid}");
        }
    }
}

/// Lifts every fence (and thaws frozen servers).
pub(crate) fn lift_fence(gate: &Gate) {
    let was = std::mem::take(&mut *lock(&gate.fence));
    if was.frozen {
        signal_children(gate, "CONT");
    }
}

/// Revokes a session: its next message is refused. `false` if no such session is live.
pub(crate) fn revoke_session(gate: &Gate, id: &str) -> bool {
    let live = lock(&gate.sessions).values().any(|s| s.id == id);
    if live {
        lock(&gate.revoked).insert(id.to_string());
    }
    live
}

/// Blocks an address or CIDR block; returns the normalised block.
pub(crate) fn block(gate: &Gate, text: &str) -> Result<Cidr, String> {
    let c = Cidr::parse(text)?;
    let mut blocked = lock(&gate.blocked);
    if !blocked.contains(&c) {
        blocked.push(c.clone());
    }
    Ok(c)
}

/// Lifts a block; `false` if it was not blocked.
pub(crate) fn unblock(gate: &Gate, text: &str) -> Result<bool, String> {
    let c = Cidr::parse(text)?;
    let mut blocked = lock(&gate.blocked);
    let before = blocked.len();
    blocked.retain(|b| *b != c);
    Ok(blocked.len() != before)
}

/// A snapshot for `status`.
pub(crate) fn status(gate: &Gate) -> Value {
    let sessions: Vec<Value> = lock(&gate.sessions)
        .values()
        .map(|s| {
            json!({
                "id": s.id,
                "transport": s.transport,
                "client_address": s.peer.map(|p| p.to_string()),
                "principal": s.principal,
                "protocol_version": *lock(&s.protocol_version),
                "in_flight": lock(&s.in_flight).len(),
            })
        })
        .collect();
    let mut revoked: Vec<String> = lock(&gate.revoked).iter().cloned().collect();
    revoked.sort();
    json!({
        "sessions": sessions,
        "fence": *lock(&gate.fence),
        "revoked_sessions": revoked,
        "blocked": *lock(&gate.blocked),
        "tool_calls": gate.calls.load(std::sync::atomic::Ordering::Relaxed),
        "refused": gate.refused.load(std::sync::atomic::Ordering::Relaxed),
        "uptime_ms": u64::try_from(gate.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "audit_failed": gate.audit.failed(),
        "quarantined": lock(&gate.pins).quarantine(),
        "server_pids": *lock(&gate.children),
    })
}
