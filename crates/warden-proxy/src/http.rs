//! Streamable HTTP: the proxy listens for MCP clients and passes each message through
//! the [`gate`](crate::gate) to an upstream, which is either
//!
//! - another Streamable HTTP server (`--listen ADDR --upstream URL`, a reverse proxy:
//!   POST answered with JSON or an SSE stream, GET streams, DELETE, `Mcp-Session-Id` and
//!   `MCP-Protocol-Version` passed through untouched), or
//! - a stdio server started per session (`--listen ADDR -- COMMAND`): `initialize` starts
//!   a child and the proxy issues the `Mcp-Session-Id`; DELETE or the child's exit ends it.
//!
//! Both protocol eras pass: sessions (2025-06-18, 2025-11-25) and the stateless
//! 2026-07-28 era, whose `Mcp-Method`/`Mcp-Name` headers must agree with the body — a
//! request where they do not is refused (400, -32020) and recorded. Bodies are bounded
//! (`--max-message`), SSE streams are relayed event by event through bounded queues, so
//! a slow client slows the upstream read instead of growing memory.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::io::BufReader;
use tokio::sync::{mpsc, oneshot};

use crate::audit::Audit;
use crate::gate::{
    self, Gate, GateOptions, Link, META_VERSION, ProxyError, Session, Verdict, lock,
};
use crate::jsonrpc::{self, code};
use crate::stdio::{Line, QUEUE, pump, read_line};

/// The body of every response the proxy sends.
type Body = BoxBody<Bytes, Infallible>;

/// The session header (HTTP header names are case-insensitive).
const SESSION: &str = "mcp-session-id";
const PROTOCOL: &str = "mcp-protocol-version";
const MCP_METHOD: &str = "mcp-method";
const MCP_NAME: &str = "mcp-name";
/// The first protocol version without sessions, whose requests carry `Mcp-Method`.
const STATELESS_ERA: &str = "2026-07-28";
/// JSON-RPC error for headers that disagree with the body (2026-07-28).
const HEADER_MISMATCH: i64 = -32020;

/// Where the proxy sends what it admits.
pub enum UpstreamSpec {
    /// A Streamable HTTP endpoint, e.g. `http://127.0.0.1:3001/mcp`.
    Url(String),
    /// A stdio server command, started once per session.
    Command(Vec<String>),
}

/// HTTP proxy settings.
pub struct HttpOptions {
    pub listen: SocketAddr,
    pub upstream: UpstreamSpec,
    /// Largest request body or SSE event accepted, in bytes.
    pub max_message: usize,
    /// The admin endpoints (fence, status, ...).
    pub admin: crate::admin::AdminOptions,
    /// Sessions no request names for this long are ended (their stdio server stopped).
    pub session_idle: std::time::Duration,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The upstream, resolved. (One value per process: its size does not matter.)
#[allow(clippy::large_enum_variant)]
enum Upstream {
    Http { client: HttpClient, uri: Uri },
    Command(Vec<String>),
}

/// One client session as the front knows it.
struct FrontSession {
    session: Arc<Session>,
    /// The stdio child behind it (bridge mode).
    child: Option<Arc<ChildLink>>,
    /// When a request last named it, in milliseconds since the proxy started.
    last_used: std::sync::atomic::AtomicU64,
}

impl FrontSession {
    fn new(front: &Front, session: Arc<Session>, child: Option<Arc<ChildLink>>) -> FrontSession {
        FrontSession {
            session,
            child,
            last_used: front.now_millis().into(),
        }
    }
}

struct Front {
    gate: Arc<Gate>,
    upstream: Upstream,
    /// By `Mcp-Session-Id`.
    sessions: Mutex<HashMap<String, FrontSession>>,
    /// Stateless requests, one session per principal or client address.
    stateless: Mutex<HashMap<String, Arc<Session>>>,
    /// Upstream session ids of revoked or fenced sessions the proxy has forgotten.
    tombstones: Mutex<std::collections::HashSet<String>>,
    max: usize,
    /// Listening on a loopback address: only loopback host names are accepted.
    loopback: bool,
    started: std::time::Instant,
}

impl Front {
    /// Forgets session `id`; one the operator revoked or fenced leaves a tombstone, so
    /// it cannot come back by adoption under a fresh id.
    fn forget(&self, id: &str) -> Option<FrontSession> {
        let mut sessions = lock(&self.sessions);
        self.forget_locked(&mut sessions, id)
    }

    fn forget_locked(
        &self,
        sessions: &mut HashMap<String, FrontSession>,
        id: &str,
    ) -> Option<FrontSession> {
        let f = sessions.remove(id)?;
        if self.gate.is_contained(&f.session.id) {
            lock(&self.tombstones).insert(id.to_string());
        }
        Some(f)
    }

    /// Milliseconds since the proxy started (whole seconds would let a session expire
    /// up to a second early).
    fn now_millis(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Ends the sessions no request has named for `idle` (clients that went away
    /// without DELETE), so sessions cannot pile up; calls in flight keep theirs alive.
    async fn expire_idle(&self, idle: std::time::Duration) {
        let now = self.now_millis();
        let idle = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
        let expired: Vec<FrontSession> = {
            let mut sessions = lock(&self.sessions);
            let ids: Vec<String> = sessions
                .iter()
                .filter(|(_, f)| {
                    now.saturating_sub(f.last_used.load(std::sync::atomic::Ordering::Relaxed))
                        >= idle
                        && lock(&f.session.in_flight).values().all(|c| c.answered)
                })
                .map(|(k, _)| k.clone())
                .collect();
            ids.iter()
                .filter_map(|k| self.forget_locked(&mut sessions, k))
                .collect()
        };
        for f in expired {
            end_session(self, &f.session, f.child.as_deref()).await;
        }
    }
}

/// Runs the HTTP proxy until SIGINT or SIGTERM.
pub async fn run(
    opts: HttpOptions,
    gate_opts: GateOptions,
    audit: Audit,
) -> Result<i32, ProxyError> {
    let upstream = match opts.upstream {
        UpstreamSpec::Url(url) => {
            let uri: Uri = url.parse().map_err(|e| ProxyError::Upstream {
                url: url.clone(),
                why: format!("not a URL: {e}"),
            })?;
            if uri.scheme_str() != Some("http") || uri.authority().is_none() {
                return Err(ProxyError::Upstream {
                    url,
                    why: "use an http://host:port/path URL (https upstreams: put the proxy next to the server, or terminate TLS in front of it)".into(),
                });
            }
            let client = Client::builder(TokioExecutor::new())
                .pool_idle_timeout(std::time::Duration::from_secs(30))
                .build_http();
            Upstream::Http { client, uri }
        }
        UpstreamSpec::Command(cmd) if cmd.is_empty() => return Err(ProxyError::NoCommand),
        UpstreamSpec::Command(cmd) => Upstream::Command(cmd),
    };
    let gate = Gate::new(gate_opts, audit)?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| ProxyError::Listen {
            addr: opts.listen.to_string(),
            source,
        })?;
    let local = listener.local_addr()?;
    eprintln!("warden proxy: listening on http://{local}/ (Streamable HTTP)");
    let admin = crate::admin::start(&opts.admin, &gate).await?;
    let front = Arc::new(Front {
        gate: gate.clone(),
        upstream,
        sessions: Mutex::new(HashMap::new()),
        stateless: Mutex::new(HashMap::new()),
        tombstones: Mutex::new(Default::default()),
        max: opts.max_message,
        loopback: local.ip().is_loopback(),
        started: std::time::Instant::now(),
    });
    let reaper = {
        let front = front.clone();
        let idle = opts.session_idle;
        tokio::spawn(async move {
            let every = (idle / 4).clamp(
                std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(60),
            );
            loop {
                tokio::time::sleep(every).await;
                front.expire_idle(idle).await;
            }
        })
    };
    let connections = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors, usually: wait instead of spinning.
                        eprintln!("warden proxy: accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                // Over the cap a connection is closed at once: the proxy's memory and
                // descriptors (and with them the admin endpoint) stay available.
                let Ok(permit) = connections.clone().try_acquire_owned() else {
                    drop(stream);
                    continue;
                };
                let front = front.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    let service = hyper::service::service_fn(move |req| {
                        let front = front.clone();
                        async move { Ok::<_, Infallible>(handle(&front, peer.ip(), req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(std::time::Duration::from_secs(30))
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        }
    }
    reaper.abort();
    for task in admin {
        task.abort();
        let _ = task.await;
    }
    let sessions: Vec<FrontSession> = lock(&front.sessions).drain().map(|(_, s)| s).collect();
    for s in sessions {
        if let Some(child) = &s.child {
            child.kill();
        }
        gate.close_session(&s.session, "the proxy is shutting down")
            .await;
    }
    Ok(0)
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A JSON response.
fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A JSON-RPC error as an HTTP response.
fn rpc_error(status: StatusCode, id: &Value, code: i64, message: &str) -> Response<Body> {
    json_response(status, jsonrpc::error_response(id, code, message, None))
}

fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = status;
    r
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn handle(front: &Arc<Front>, peer: IpAddr, req: Request<Incoming>) -> Response<Body> {
    if let Err(reason) = front.gate.admits_address(Some(peer)) {
        return rpc_error(StatusCode::FORBIDDEN, &Value::Null, code::REFUSED, &reason);
    }
    if let Err(reason) = check_host(front, req.headers()) {
        return rpc_error(StatusCode::FORBIDDEN, &Value::Null, code::REFUSED, &reason);
    }
    // The proxy and the upstream must read the same value: one of each, or none.
    for name in [SESSION, PROTOCOL, MCP_METHOD, MCP_NAME, "authorization"] {
        if req.headers().get_all(name).iter().count() > 1 {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                &Value::Null,
                code::INVALID_REQUEST,
                &format!("the {name} header appears more than once"),
            );
        }
    }
    let principal = match authenticate(&front.gate, req.headers()) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match *req.method() {
        Method::POST => {
            let json = header_str(req.headers(), "content-type")
                .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"));
            if !json {
                // Also what makes a browser ask before a cross-site POST (CORS).
                return rpc_error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    &Value::Null,
                    code::INVALID_REQUEST,
                    "POST bodies must be Content-Type: application/json",
                );
            }
            // In its own task: a client that hangs up mid-call must not cut the
            // recording, the session bookkeeping or a server start short.
            let front = front.clone();
            match tokio::spawn(async move { post(&front, peer, principal, req).await }).await {
                Ok(resp) => resp,
                Err(_) => empty(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        Method::GET => get(front, principal, req).await,
        Method::DELETE => delete(front, principal, req).await,
        _ => {
            let mut r = empty(StatusCode::METHOD_NOT_ALLOWED);
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, POST, DELETE"));
            r
        }
    }
}

/// DNS rebinding protection: a web page the user visits can make the browser send
/// requests to a proxy on 127.0.0.1 under the page's own host name, so on loopback only
/// loopback names (and `[network] allow_hosts`) are accepted in `Host`, and always in
/// `Origin` when a browser sends one.
fn check_host(front: &Front, headers: &HeaderMap) -> Result<(), String> {
    let allowed = |host: &str| -> bool {
        let host = host.to_ascii_lowercase();
        matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]" | "::1")
            || front
                .gate
                .policy
                .network
                .allow_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&host))
    };
    if front.loopback
        && let Some(host) = header_str(headers, "host")
        && !allowed(strip_port(host))
    {
        return Err(format!(
            "Host `{host}` is not accepted on a loopback listener (DNS rebinding protection); add it to [network] allow_hosts if it is yours"
        ));
    }
    if let Some(origin) = header_str(headers, "origin") {
        let host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        let host = host.split('/').next().unwrap_or_default();
        if !allowed(strip_port(host)) {
            return Err(format!(
                "Origin `{origin}` is not accepted (DNS rebinding protection); add its host to [network] allow_hosts if it is yours"
            ));
        }
    }
    Ok(())
}

/// `host:port` → `host` (IPv6 literals keep their brackets).
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(h, _)| &host[..h.len() + 1]);
    }
    host.rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
}

/// The principal named by the bearer token; 401 when the policy requires one and the
/// token is missing or unknown.
#[allow(clippy::result_large_err)]
fn authenticate(gate: &Gate, headers: &HeaderMap) -> Result<Option<String>, Response<Body>> {
    let token = header_str(headers, "authorization").and_then(|v| {
        v.strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
    });
    let principal = token.and_then(|t| gate.policy.principal_for_token(t.trim()));
    if gate.policy.auth.require && principal.is_none() {
        let mut r = rpc_error(
            StatusCode::UNAUTHORIZED,
            &Value::Null,
            code::REFUSED,
            "a bearer token the proxy knows is required (see [auth] in the policy)",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Err(r);
    }
    Ok(principal.map(str::to_string))
}

/// Reads a body of at most `max` bytes. A body whose declared length is already over
/// the limit is refused before any of it is read (and a client that sent
/// `Expect: 100-continue` is never asked for it).
async fn read_body(body: Incoming, max: usize) -> Result<Bytes, Response<Body>> {
    let too_large = || {
        rpc_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &Value::Null,
            code::INVALID_REQUEST,
            &format!("the request body is over the proxy's {max}-byte limit"),
        )
    };
    if http_body::Body::size_hint(&body).lower() > max as u64 {
        return Err(too_large());
    }
    match Limited::new(body, max).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(rpc_error(
            StatusCode::BAD_REQUEST,
            &Value::Null,
            code::INVALID_REQUEST,
            &format!("could not read the request body: {e}"),
        )),
    }
}

/// Decodes an `Mcp-Name` value: plain ASCII, or `=?base64?…?=` for anything else.
fn header_value(v: &str) -> Option<String> {
    use base64::Engine as _;
    match v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .and_then(|b| String::from_utf8(b).ok()),
        None => Some(v.to_string()),
    }
}

/// The 2026-07-28 rule: `Mcp-Method` (and `Mcp-Name` for the methods that name
/// something) must agree with the body, as must `MCP-Protocol-Version` with the
/// request's `_meta`. Required when the request is of that era; checked whenever sent,
/// since an intermediary that routes on headers must not see something else than the
/// server executes.
fn check_headers(headers: &HeaderMap, value: &Value) -> Result<(), String> {
    let method = value.get("method").and_then(Value::as_str);
    let meta_version = value
        .pointer("/params/_meta")
        .and_then(|m| m.get(META_VERSION))
        .and_then(Value::as_str);
    if headers.get(PROTOCOL).is_some_and(|v| v.to_str().is_err()) {
        return Err("the MCP-Protocol-Version header is not plain ASCII".into());
    }
    let header_version = header_str(headers, PROTOCOL);
    match (header_version, meta_version) {
        (Some(h), Some(m)) if h != m => {
            return Err(format!(
                "MCP-Protocol-Version header `{h}` differs from _meta `{m}` in the body"
            ));
        }
        (None, Some(m)) if m >= STATELESS_ERA => {
            return Err(format!(
                "MCP-Protocol-Version header missing (the body's _meta says `{m}`)"
            ));
        }
        _ => {}
    }
    let stateless = header_version
        .or(meta_version)
        .is_some_and(|v| v >= STATELESS_ERA);
    match (headers.get(MCP_METHOD), method) {
        (Some(h), Some(m)) => {
            if h.to_str().ok() != Some(m) {
                return Err(format!(
                    "Mcp-Method header `{}` differs from the body's method `{m}`",
                    String::from_utf8_lossy(h.as_bytes())
                ));
            }
        }
        (Some(_), None) => return Err("Mcp-Method header on a message without a method".into()),
        (None, Some(m)) if stateless => {
            return Err(format!(
                "Mcp-Method header missing (the body's method is `{m}`)"
            ));
        }
        (None, _) => {}
    }
    let named = match method {
        Some("tools/call" | "prompts/get") => value.pointer("/params/name"),
        Some("resources/read") => value.pointer("/params/uri"),
        _ => None,
    }
    .and_then(Value::as_str);
    match (headers.get(MCP_NAME), named) {
        (Some(h), Some(n)) => {
            let decoded = h.to_str().ok().and_then(header_value);
            if decoded.as_deref() != Some(n) {
                return Err(format!(
                    "Mcp-Name header `{}` differs from the body's `{n}`",
                    String::from_utf8_lossy(h.as_bytes())
                ));
            }
        }
        (None, Some(n)) if stateless => {
            return Err(format!("Mcp-Name header missing (the body names `{n}`)"));
        }
        _ => {}
    }
    Ok(())
}

/// The session a POST belongs to, created when needed.
enum Resolved {
    Known(Arc<Session>),
    /// An `initialize` without a session: a new session, not yet registered under an id.
    New(Arc<Session>, Option<Arc<ChildLink>>, Option<Arc<HttpLink>>),
    /// One request of a stateless client: ends with its response.
    Request(Arc<Session>),
    /// A session id the upstream issued before the proxy started: kept if the upstream
    /// accepts the request, forgotten otherwise (so made-up ids cannot fill memory).
    Adopted(Arc<Session>, String),
}

impl Resolved {
    fn session(&self) -> &Arc<Session> {
        match self {
            Resolved::Known(s)
            | Resolved::New(s, ..)
            | Resolved::Request(s)
            | Resolved::Adopted(s, ..) => s,
        }
    }
}

/// When the session of a forwarded request ends.
#[derive(Clone, Copy, PartialEq)]
enum EndAfter {
    Never,
    /// With this response (a stateless request).
    Response,
    /// With this response, unless the upstream named a session in it (`initialize`).
    ResponseWithoutSession,
}

async fn resolve(
    front: &Arc<Front>,
    headers: &HeaderMap,
    value: &Value,
    peer: IpAddr,
    principal: Option<String>,
) -> Result<Resolved, Response<Body>> {
    let gate = &front.gate;
    if let Some(id) = header_str(headers, SESSION) {
        let known = lock(&front.sessions).get(id).map(|s| {
            s.last_used
                .store(front.now_millis(), std::sync::atomic::Ordering::Relaxed);
            s.session.clone()
        });
        if let Some(session) = known {
            // A session id is not a credential: presenting another principal's id
            // must not lend its scope.
            if session.principal != principal {
                return Err(rpc_error(
                    StatusCode::FORBIDDEN,
                    value.get("id").unwrap_or(&Value::Null),
                    code::REFUSED,
                    "this session belongs to another principal",
                ));
            }
            return Ok(Resolved::Known(session));
        }
        return match &front.upstream {
            // The proxy issued the ids here: an unknown one is an ended session.
            Upstream::Command(_) => Err(rpc_error(
                StatusCode::NOT_FOUND,
                value.get("id").unwrap_or(&Value::Null),
                code::INVALID_REQUEST,
                "unknown or ended session; start a new one with initialize",
            )),
            Upstream::Http { .. } if lock(&front.tombstones).contains(id) => Err(rpc_error(
                StatusCode::FORBIDDEN,
                value.get("id").unwrap_or(&Value::Null),
                code::REFUSED,
                "this session was revoked or fenced by the operator",
            )),
            // A session the upstream issued before the proxy (re)started: adopt it, so
            // its calls are recorded; the upstream decides whether it is still valid.
            Upstream::Http { client, uri } => {
                let link = Arc::new(HttpLink::new(client, uri, Some(id.to_string()), headers));
                let session = gate.open_session("tcp", Some(peer), principal, Box::new(link));
                Ok(Resolved::Adopted(session, id.to_string()))
            }
        };
    }
    let method = value.get("method").and_then(Value::as_str);
    if method == Some("initialize") {
        return match &front.upstream {
            Upstream::Command(_) if gate.child_count() >= MAX_SERVERS => Err(rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                value.get("id").unwrap_or(&Value::Null),
                code::REFUSED,
                &format!(
                    "the proxy already runs {MAX_SERVERS} server processes; end a session first"
                ),
            )),
            Upstream::Command(cmd) => {
                let child = Arc::new(ChildLink::new());
                let session =
                    gate.open_session("tcp", Some(peer), principal, Box::new(child.clone()));
                if let Err(e) = child.start(cmd, gate.clone(), session.clone()) {
                    gate.close_session(&session, "the server could not start")
                        .await;
                    return Err(rpc_error(
                        StatusCode::BAD_GATEWAY,
                        value.get("id").unwrap_or(&Value::Null),
                        code::UPSTREAM_GONE,
                        &e.to_string(),
                    ));
                }
                Ok(Resolved::New(session, Some(child), None))
            }
            Upstream::Http { client, uri } => {
                let link = Arc::new(HttpLink::new(client, uri, None, headers));
                let session =
                    gate.open_session("tcp", Some(peer), principal, Box::new(link.clone()));
                Ok(Resolved::New(session, None, Some(link)))
            }
        };
    }
    match &front.upstream {
        Upstream::Command(_) => Err(rpc_error(
            StatusCode::BAD_REQUEST,
            value.get("id").unwrap_or(&Value::Null),
            code::INVALID_REQUEST,
            "Mcp-Session-Id header required (send initialize first); stateless requests need an HTTP upstream",
        )),
        Upstream::Http { client, uri } => Ok(Resolved::Request(
            stateless_request(front, client, uri, headers, peer, principal).await,
        )),
    }
}

/// Client connections served at once.
const MAX_CONNECTIONS: usize = 4096;

/// Stdio server processes (one per session) the bridge runs at most.
const MAX_SERVERS: usize = 512;

/// Stateless clients remembered at most (their ids and limits); past it the oldest
/// idle one is forgotten, so a client spraying addresses cannot grow memory.
const MAX_STATELESS_CLIENTS: usize = 10_000;

/// A session for one stateless request. Requests of one client (its principal, or its
/// address) share an id and limits, kept by an anchor session that `status` lists and
/// `revoke-session` accepts; each request has its own in-flight table, so two clients
/// behind one address may both use id 1.
async fn stateless_request(
    front: &Arc<Front>,
    client: &HttpClient,
    uri: &Uri,
    headers: &HeaderMap,
    peer: IpAddr,
    principal: Option<String>,
) -> Arc<Session> {
    let key = principal
        .clone()
        .map_or_else(|| format!("addr:{peer}"), |p| format!("principal:{p}"));
    let (anchor, evicted) = {
        let mut stateless = lock(&front.stateless);
        let mut evicted = None;
        if stateless.len() >= MAX_STATELESS_CLIENTS && !stateless.contains_key(&key) {
            // Arbitrary but cheap, never a contained one (its revocation must hold);
            // requests in flight keep their own sessions.
            let victim = stateless
                .iter()
                .find(|(_, s)| !front.gate.is_contained(&s.id))
                .map(|(k, _)| k.clone());
            evicted = victim.and_then(|k| stateless.remove(&k));
        }
        let anchor = stateless
            .entry(key)
            .or_insert_with(|| {
                let link = Arc::new(HttpLink::new(client, uri, None, headers));
                front
                    .gate
                    .open_session("tcp", Some(peer), principal.clone(), Box::new(link))
            })
            .clone();
        (anchor, evicted)
    };
    if let Some(old) = evicted {
        front.gate.close_session(&old, "forgotten").await;
    }
    let link = Arc::new(HttpLink::new(client, uri, None, headers));
    front.gate.open_session_as(
        anchor.id.clone(),
        Some(anchor.limits.clone()),
        "tcp",
        Some(peer),
        principal,
        Box::new(link),
    )
}

async fn post(
    front: &Arc<Front>,
    peer: IpAddr,
    principal: Option<String>,
    req: Request<Incoming>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let bytes = match read_body(body, front.max).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let value = match gate::parse(&bytes) {
        Ok(v) => v,
        Err(e) => return json_response(StatusCode::BAD_REQUEST, e),
    };
    let resolved = match resolve(front, &parts.headers, &value, peer, principal).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let session = resolved.session().clone();
    if let Some(v) = header_str(&parts.headers, PROTOCOL) {
        *lock(&session.protocol_version) = Some(v.to_string());
    }
    if let Err(reason) = check_headers(&parts.headers, &value) {
        gate::record_rejected(&front.gate, &session, &value, "header_mismatch", &reason).await;
        abandon(front, &resolved).await;
        let id = value.get("id").cloned().unwrap_or(Value::Null);
        return rpc_error(StatusCode::BAD_REQUEST, &id, HEADER_MISMATCH, &reason);
    }
    // Errors the proxy makes for this request answer its id.
    let request_id = value.get("id").cloned().unwrap_or(Value::Null);
    let verdict = gate::from_client(&front.gate, &session, value, bytes.to_vec()).await;
    let (body, call) = match verdict {
        Verdict::Reply(bytes) => {
            abandon(front, &resolved).await;
            return json_response(StatusCode::OK, bytes);
        }
        Verdict::Drop => {
            abandon(front, &resolved).await;
            return empty(StatusCode::ACCEPTED);
        }
        Verdict::Forward { bytes, call } => (bytes, call),
    };
    match &front.upstream {
        Upstream::Http { client, uri } => {
            let (link, end) = match &resolved {
                Resolved::New(_, _, link) => (link.clone(), EndAfter::ResponseWithoutSession),
                Resolved::Known(_) => (None, EndAfter::Never),
                Resolved::Request(_) => (None, EndAfter::Response),
                Resolved::Adopted(..) => (None, EndAfter::Never),
            };
            let resp = forward_http(
                front,
                client,
                uri,
                &parts.headers,
                &session,
                body,
                call,
                &request_id,
                end,
            )
            .await;
            // Ended here unless an SSE relay still carries the response (it ends it then).
            if !is_event_stream(resp.headers())
                && ends_with_headers(end, resp.headers(), resp.status())
            {
                front
                    .gate
                    .close_session(&session, "the request ended")
                    .await;
            }
            // The upstream's answer to initialize names the session.
            if let Some(link) = link
                && let Some(id) = resp
                    .headers()
                    .get(SESSION)
                    .and_then(|v| v.to_str().ok())
                    .filter(|_| resp.status().is_success())
            {
                *lock(&link.session_id) = Some(id.to_string());
                if !register(front, id, &session, None) {
                    end_session(front, &session, None).await;
                }
            }
            match &resolved {
                // Kept only once the upstream accepted it (and the id is free).
                Resolved::Adopted(_, id)
                    if resp.status().is_success() && register(front, id, &session, None) => {}
                Resolved::Adopted(..) => end_session(front, &session, None).await,
                // The upstream no longer knows the session (404): forget it too. (Some
                // servers answer 400 instead; the idle expiry collects those.)
                Resolved::Known(_)
                    if resp.status() == StatusCode::NOT_FOUND
                        && lock(&session.in_flight).is_empty() =>
                {
                    if let Some(id) = header_str(&parts.headers, SESSION) {
                        front.forget(id);
                    }
                    end_session(front, &session, None).await;
                }
                _ => {}
            }
            resp
        }
        Upstream::Command(_) => {
            let child = match &resolved {
                Resolved::New(_, child, _) => child.clone(),
                Resolved::Request(_) | Resolved::Adopted(..) => None,
                Resolved::Known(s) => lock(&front.sessions)
                    .values()
                    .find(|f| Arc::ptr_eq(&f.session, s))
                    .and_then(|f| f.child.clone()),
            };
            let Some(child) = child else {
                return rpc_error(
                    StatusCode::NOT_FOUND,
                    &Value::Null,
                    code::INVALID_REQUEST,
                    "unknown or ended session",
                );
            };
            let mut resp =
                forward_child(&front.gate, &child, &session, body, call, &request_id).await;
            // The server of this session has exited: forget the session.
            if resp.status() == StatusCode::NOT_FOUND
                && let Some(id) = header_str(&parts.headers, SESSION)
            {
                front.forget(id);
            }
            if let Resolved::New(..) = resolved {
                let id = format!("{}{}", gate::new_id(), gate::new_id());
                if let Ok(v) = HeaderValue::from_str(&id) {
                    resp.headers_mut().insert(SESSION, v);
                }
                if !register(front, &id, &session, Some(child.clone())) {
                    end_session(front, &session, Some(&child)).await;
                }
            }
            resp
        }
    }
}

/// Registers a session under its `Mcp-Session-Id`; `false` if the id is taken (two
/// requests adopting one id at once, or an upstream reusing one).
fn register(
    front: &Front,
    id: &str,
    session: &Arc<Session>,
    child: Option<Arc<ChildLink>>,
) -> bool {
    let mut sessions = lock(&front.sessions);
    if sessions.contains_key(id) {
        return false;
    }
    sessions.insert(
        id.to_string(),
        FrontSession::new(front, session.clone(), child),
    );
    true
}

/// Ends the session a request would have opened, when the request goes no further (a
/// known session stays).
async fn abandon(front: &Front, resolved: &Resolved) {
    match resolved {
        Resolved::Known(_) => {}
        Resolved::New(s, child, _) => end_session(front, s, child.as_deref()).await,
        Resolved::Request(s) | Resolved::Adopted(s, _) => end_session(front, s, None).await,
    }
}

/// Ends a session the front opened: forgets it everywhere and stops its child.
async fn end_session(front: &Front, session: &Arc<Session>, child: Option<&ChildLink>) {
    if let Some(c) = child {
        c.kill();
    }
    front.gate.close_session(session, "the session ended").await;
}

/// Headers that describe one hop, not the message: never forwarded.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "proxy-authorization"
            | "proxy-authenticate"
            | "host"
            | "content-length"
    )
}

fn upstream_request(
    uri: &Uri,
    method: Method,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Request<Full<Bytes>>, String> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri.clone())
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    for (name, value) in headers {
        if !hop_by_hop(name) && name != header::ACCEPT_ENCODING {
            req.headers_mut().append(name.clone(), value.clone());
        }
    }
    // The gate reads every answer: no compressed bodies.
    req.headers_mut().insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("identity"),
    );
    Ok(req)
}

/// The response headers to pass back (hop-by-hop ones and the length dropped; the body
/// may change length when the gate redacts or filters).
fn copy_response_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !hop_by_hop(name) {
            to.append(name.clone(), value.clone());
        }
    }
}

/// Whether a response is an SSE stream.
fn is_event_stream(headers: &HeaderMap) -> bool {
    header_str(headers, "content-type")
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/event-stream"))
}

/// Whether the session ends with this response.
fn ends_with_headers(end: EndAfter, headers: &HeaderMap, status: StatusCode) -> bool {
    match end {
        EndAfter::Never => false,
        EndAfter::Response => true,
        EndAfter::ResponseWithoutSession => !(status.is_success() && headers.contains_key(SESSION)),
    }
}

/// Forwards a POST to the upstream and relays its answer through the gate. A session
/// that ends with this response (`end`) is closed here, or by the SSE relay once the
/// stream is done.
#[allow(clippy::too_many_arguments)]
async fn forward_http(
    front: &Arc<Front>,
    client: &HttpClient,
    uri: &Uri,
    headers: &HeaderMap,
    session: &Arc<Session>,
    body: Vec<u8>,
    call: Option<String>,
    id: &Value,
    end: EndAfter,
) -> Response<Body> {
    let gate = &front.gate;
    let mut waiter = None;
    if let Some(key) = &call {
        waiter = session.wait_for_answer(key);
        if !session.mark_forwarded(key) {
            return fenced_reply(id);
        }
    }
    let req = match upstream_request(uri, Method::POST, headers, Bytes::from(body)) {
        Ok(r) => r,
        Err(e) => {
            return upstream_failed(front, session, call.as_deref(), id, "bad_request", &e).await;
        }
    };
    let sent = client.request(req);
    tokio::pin!(sent);
    let upstream = loop {
        let Some(w) = waiter.as_mut() else {
            break (&mut sent).await;
        };
        tokio::select! {
            r = &mut sent => break r,
            answer = w => match answer {
                // The fence answered the call; the upstream request is dropped.
                Ok(answer) => return json_response(StatusCode::OK, answer),
                // Closed: the call ended the ordinary way. A finished receiver must
                // not be polled again.
                Err(_) => waiter = None,
            },
        }
    };
    let upstream = match upstream {
        Ok(r) => r,
        Err(e) => {
            return upstream_failed(
                front,
                session,
                call.as_deref(),
                id,
                "upstream_unreachable",
                &e.to_string(),
            )
            .await;
        }
    };
    let (parts, body) = upstream.into_parts();
    let content_type = header_str(&parts.headers, "content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut resp = Response::new(full(Bytes::new()));
    *resp.status_mut() = parts.status;
    copy_response_headers(&parts.headers, resp.headers_mut());
    if is_event_stream(&parts.headers) {
        let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
        let (gate, session, max) = (gate.clone(), session.clone(), front.max);
        let end_with_stream = ends_with_headers(end, &parts.headers, parts.status);
        let call = call.map(|key| (key, id.clone()));
        tokio::spawn(async move {
            relay_sse(gate.clone(), session.clone(), body, tx, waiter, call, max).await;
            if end_with_stream {
                gate.close_session(&session, "the request ended").await;
            }
        });
        *resp.body_mut() = ChannelBody { rx }.boxed();
        return resp;
    }
    let bytes = match read_upstream(body, front.max).await {
        Ok(b) => b,
        Err(e) => {
            return upstream_failed(front, session, call.as_deref(), id, "upstream_body", &e).await;
        }
    };
    if content_type.starts_with("application/json") && !bytes.is_empty() {
        let delivery = gate::from_server(gate, session, bytes.to_vec()).await;
        if let Some(key) = &call
            && delivery.response_to.as_deref() != Some(key.as_str())
        {
            // An answer that is not to this call leaves the call without one.
            gate::fail_call(gate, session, key, "no_answer").await;
        }
        let out = match delivery.bytes {
            Some(b) => b,
            // The fence answered the call while its answer was on the way.
            None => match waiter.as_mut().map(oneshot::Receiver::try_recv) {
                Some(Ok(answer)) => answer,
                _ => fenced_answer(id),
            },
        };
        *resp.body_mut() = full(out);
        return resp;
    }
    // Anything else (202 for a notification, an HTTP error, a body that is not JSON)
    // passes as it is; a call it leaves unanswered is recorded as failed.
    if let Some(key) = &call {
        let why = if parts.status.is_success() {
            "no_answer".to_string()
        } else {
            format!("http_{}", parts.status.as_u16())
        };
        gate::fail_call(gate, session, key, &why).await;
    }
    *resp.body_mut() = full(bytes);
    resp
}

async fn read_upstream(body: Incoming, max: usize) -> Result<Bytes, String> {
    Limited::new(body, max)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| format!("upstream body: {e}"))
}

/// The answer to a call the fence stopped.
fn fenced_reply(id: &Value) -> Response<Body> {
    json_response(StatusCode::OK, fenced_answer(id))
}

fn fenced_answer(id: &Value) -> Vec<u8> {
    jsonrpc::error_response(
        id,
        code::REFUSED,
        "cancelled by warden proxy: fenced by the operator",
        None,
    )
}

async fn upstream_failed(
    front: &Front,
    session: &Session,
    call: Option<&str>,
    id: &Value,
    error_type: &str,
    detail: &str,
) -> Response<Body> {
    if let Some(key) = call {
        gate::fail_call(&front.gate, session, key, error_type).await;
    }
    rpc_error(
        StatusCode::BAD_GATEWAY,
        id,
        code::UPSTREAM_GONE,
        &format!("the MCP server could not be reached: {detail}"),
    )
}

/// A response body fed from a bounded queue (backpressure: the relay waits while the
/// client is slow).
struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

/// Splits an SSE byte stream into events, bounded by `max` bytes per event.
#[derive(Default)]
pub(crate) struct SseParser {
    buf: Vec<u8>,
}

/// One SSE event: its raw text (to pass through unchanged) and its joined `data`.
#[derive(Debug, PartialEq)]
pub(crate) struct SseEvent {
    pub(crate) raw: Vec<u8>,
    pub(crate) data: Option<Vec<u8>>,
}

impl SseParser {
    /// Adds bytes; returns the complete events, or `Err` if one grows over `max`.
    pub(crate) fn push(&mut self, chunk: &[u8], max: usize) -> Result<Vec<SseEvent>, String> {
        self.buf.extend_from_slice(chunk);
        let mut events = Vec::new();
        while let Some((end, sep)) = find_event_end(&self.buf) {
            let raw: Vec<u8> = self.buf.drain(..end + sep).collect();
            events.push(parse_event(raw));
        }
        if self.buf.len() > max {
            return Err(format!("an SSE event is over the {max}-byte limit"));
        }
        Ok(events)
    }
}

/// The end of the first event (a blank line), as (offset, separator length).
fn find_event_end(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' {
            if b.get(i + 1) == Some(&b'\n') {
                return Some((i, 2));
            }
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                return Some((i, 3));
            }
        }
        i += 1;
    }
    None
}

fn parse_event(raw: Vec<u8>) -> SseEvent {
    let mut data: Option<Vec<u8>> = None;
    for line in raw.split(|c| *c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(b"data:") {
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            let d = data.get_or_insert_with(Vec::new);
            if !d.is_empty() {
                d.push(b'\n');
            }
            d.extend_from_slice(rest);
        }
    }
    SseEvent { raw, data }
}

/// The event with its data replaced (other fields kept: `id` for resumption, `event`).
fn rewrite_event(raw: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 32);
    for line in raw.split(|c| *c == b'\n') {
        let l = line.strip_suffix(b"\r").unwrap_or(line);
        if l.is_empty() || l.starts_with(b"data:") {
            continue;
        }
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\n\n");
    out
}

/// Relays an upstream SSE stream to the client, passing each event's message through
/// the gate. Ends with the upstream's stream, or when the fence answers the call. A
/// client that goes away does not end it before the call's answer is in (so the result
/// is recorded); a stream that ends without the answer fails the call, recorded and
/// told to the client.
async fn relay_sse(
    gate: Arc<Gate>,
    session: Arc<Session>,
    mut body: Incoming,
    tx: mpsc::Sender<Bytes>,
    mut waiter: Option<oneshot::Receiver<Vec<u8>>>,
    call: Option<(String, Value)>,
    max: usize,
) {
    let mut parser = SseParser::default();
    let mut client_gone = false;
    let mut answered = call.is_none();
    let ended: Result<(), &str> = loop {
        if client_gone && answered {
            return;
        }
        let frame = match waiter.as_mut() {
            Some(w) => tokio::select! {
                f = body.frame() => f,
                answer = w => {
                    match answer {
                        // The fence answered (and recorded) the call.
                        Ok(answer) => {
                            if !client_gone {
                                let _ = tx.send(Bytes::from(rewrite_event(b"event: message\n", &answer))).await;
                            }
                            return;
                        }
                        // Closed: answered the ordinary way. Not to be polled again.
                        Err(_) => {
                            waiter = None;
                            continue;
                        }
                    }
                }
            },
            None => body.frame().await,
        };
        let frame = match frame {
            None => break Ok(()),
            Some(Err(_)) => break Err("upstream_stream_error"),
            Some(Ok(f)) => f,
        };
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        let events = match parser.push(&chunk, max) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("warden proxy: {e}; the stream is closed");
                break Err("upstream_event_too_large");
            }
        };
        for ev in events {
            let out = match ev.data {
                None => Some(ev.raw),
                // A priming event (an id and empty data, for resumption) passes as is.
                Some(d) if d.iter().all(u8::is_ascii_whitespace) => Some(ev.raw),
                Some(d) => {
                    let delivery = gate::from_server(&gate, &session, d).await;
                    if let (Some(to), Some((key, _))) = (&delivery.response_to, &call)
                        && to == key
                    {
                        answered = true;
                    }
                    // Unchanged bytes go out in the event as it came (its `id`, `event`).
                    let rewritten = delivery.rewritten;
                    delivery.bytes.map(|b| {
                        if rewritten {
                            rewrite_event(&ev.raw, &b)
                        } else {
                            ev.raw
                        }
                    })
                }
            };
            if let Some(out) = out
                && !client_gone
                && tx.send(Bytes::from(out)).await.is_err()
            {
                client_gone = true;
            }
        }
    };
    if let Some((key, id)) = &call
        && !answered
    {
        let why = ended.err().unwrap_or("stream_ended");
        if gate::fail_call(&gate, &session, key, why).await && !client_gone {
            let err = jsonrpc::error_response(
                id,
                code::UPSTREAM_GONE,
                "the MCP server's stream ended before it answered",
                None,
            );
            let _ = tx
                .send(Bytes::from(rewrite_event(b"event: message\n", &err)))
                .await;
        }
    }
}

async fn get(
    front: &Arc<Front>,
    principal: Option<String>,
    req: Request<Incoming>,
) -> Response<Body> {
    let id = header_str(req.headers(), SESSION).map(str::to_string);
    let found = id.as_deref().and_then(|id| {
        lock(&front.sessions).get(id).map(|f| {
            f.last_used
                .store(front.now_millis(), std::sync::atomic::Ordering::Relaxed);
            (f.session.clone(), f.child.clone())
        })
    });
    let Some((session, child)) = found else {
        return match &front.upstream {
            // No session: the upstream answers (usually 405 in the stateless era).
            Upstream::Http { .. } if id.is_none() => passthrough(front, req).await,
            // A session the proxy does not know would stream unrecorded, unredacted
            // messages: the client starts over.
            Upstream::Http { .. } => rpc_error(
                StatusCode::NOT_FOUND,
                &Value::Null,
                code::INVALID_REQUEST,
                "unknown session; start a new one",
            ),
            Upstream::Command(_) if id.is_none() => rpc_error(
                StatusCode::BAD_REQUEST,
                &Value::Null,
                code::INVALID_REQUEST,
                "Mcp-Session-Id header required",
            ),
            Upstream::Command(_) => rpc_error(
                StatusCode::NOT_FOUND,
                &Value::Null,
                code::INVALID_REQUEST,
                "unknown or ended session",
            ),
        };
    };
    if session.principal != principal {
        return rpc_error(
            StatusCode::FORBIDDEN,
            &Value::Null,
            code::REFUSED,
            "this session belongs to another principal",
        );
    }
    if let Err((_, reason)) = front.gate.admits(&session) {
        return rpc_error(StatusCode::FORBIDDEN, &Value::Null, code::REFUSED, &reason);
    }
    match (&front.upstream, child) {
        (Upstream::Command(_), Some(child)) => {
            let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
            *lock(&child.stream) = Some(tx);
            let mut r = Response::new(ChannelBody { rx }.boxed());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r
        }
        (Upstream::Http { client, uri }, _) => {
            let (parts, _) = req.into_parts();
            let sent = match upstream_request(uri, Method::GET, &parts.headers, Bytes::new()) {
                Ok(r) => client
                    .request(r)
                    .await
                    .map_err(|e| ("upstream_unreachable", e.to_string())),
                Err(e) => Err(("bad_request", e)),
            };
            let upstream = match sent {
                Ok(r) => r,
                Err((why, detail)) => {
                    return upstream_failed(front, &session, None, &Value::Null, why, &detail)
                        .await;
                }
            };
            let (parts, body) = upstream.into_parts();
            let mut resp = Response::new(full(Bytes::new()));
            *resp.status_mut() = parts.status;
            copy_response_headers(&parts.headers, resp.headers_mut());
            if is_event_stream(&parts.headers) {
                let (tx, rx) = mpsc::channel::<Bytes>(QUEUE);
                tokio::spawn(relay_sse(
                    front.gate.clone(),
                    session,
                    body,
                    tx,
                    None,
                    None,
                    front.max,
                ));
                *resp.body_mut() = ChannelBody { rx }.boxed();
            } else {
                *resp.body_mut() = full(read_upstream(body, front.max).await.unwrap_or_default());
            }
            resp
        }
        (Upstream::Command(_), None) => empty(StatusCode::NOT_FOUND),
    }
}

/// Passes a request the gate has nothing to say about (no session) straight through.
async fn passthrough(front: &Front, req: Request<Incoming>) -> Response<Body> {
    let Upstream::Http { client, uri } = &front.upstream else {
        return empty(StatusCode::NOT_FOUND);
    };
    let (parts, body) = req.into_parts();
    let bytes = match read_body(body, front.max).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let req = match upstream_request(uri, parts.method, &parts.headers, bytes) {
        Ok(r) => r,
        Err(_) => return empty(StatusCode::BAD_REQUEST),
    };
    match client.request(req).await {
        Ok(r) => {
            let (parts, body) = r.into_parts();
            let mut resp = Response::new(full(
                read_upstream(body, front.max).await.unwrap_or_default(),
            ));
            *resp.status_mut() = parts.status;
            copy_response_headers(&parts.headers, resp.headers_mut());
            resp
        }
        Err(e) => rpc_error(
            StatusCode::BAD_GATEWAY,
            &Value::Null,
            code::UPSTREAM_GONE,
            &format!("the MCP server could not be reached: {e}"),
        ),
    }
}

async fn delete(
    front: &Arc<Front>,
    principal: Option<String>,
    req: Request<Incoming>,
) -> Response<Body> {
    let Some(id) = header_str(req.headers(), SESSION).map(str::to_string) else {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            &Value::Null,
            code::INVALID_REQUEST,
            "Mcp-Session-Id header required",
        );
    };
    let removed = {
        let mut sessions = lock(&front.sessions);
        if sessions
            .get(&id)
            .is_some_and(|f| f.session.principal != principal)
        {
            return rpc_error(
                StatusCode::FORBIDDEN,
                &Value::Null,
                code::REFUSED,
                "this session belongs to another principal",
            );
        }
        front.forget_locked(&mut sessions, &id)
    };
    let resp = match &front.upstream {
        Upstream::Http { .. } => passthrough(front, req).await,
        Upstream::Command(_) if removed.is_some() => empty(StatusCode::OK),
        Upstream::Command(_) => empty(StatusCode::NOT_FOUND),
    };
    if let Some(f) = removed {
        end_session(front, &f.session, f.child.as_deref()).await;
    }
    resp
}

/// The reverse proxy's link to one upstream session: cancellations are POSTed to it.
struct HttpLink {
    client: HttpClient,
    uri: Uri,
    session_id: Mutex<Option<String>>,
    /// The `Authorization` of the request that opened the session, for cancellations.
    authorization: Option<HeaderValue>,
}

impl HttpLink {
    fn new(
        client: &HttpClient,
        uri: &Uri,
        session_id: Option<String>,
        headers: &HeaderMap,
    ) -> HttpLink {
        HttpLink {
            client: client.clone(),
            uri: uri.clone(),
            session_id: Mutex::new(session_id),
            authorization: headers.get(header::AUTHORIZATION).cloned(),
        }
    }
}

impl Link for Arc<HttpLink> {
    fn to_client(&self, bytes: Vec<u8>) {
        // Every call waits on its own POST here, so the gate's answers go through the
        // call's waiter; a message with no one waiting has nowhere to go.
        let _ = bytes;
    }

    fn to_server(&self, session: &Session, bytes: Vec<u8>) {
        // What the upstream needs to accept it: the client's credentials, the session,
        // the protocol version, and (2026-07-28) the method header.
        let mut headers = HeaderMap::new();
        if let Some(auth) = &self.authorization {
            headers.insert(header::AUTHORIZATION, auth.clone());
        }
        if let Some(v) = lock(&session.protocol_version).as_deref()
            && let Ok(v) = HeaderValue::from_str(v)
        {
            headers.insert(PROTOCOL, v);
        }
        headers.insert(
            MCP_METHOD,
            HeaderValue::from_static("notifications/cancelled"),
        );
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        if let Some(id) = lock(&self.session_id).as_deref()
            && let Ok(v) = HeaderValue::from_str(id)
        {
            headers.insert(SESSION, v);
        }
        let Ok(req) = upstream_request(&self.uri, Method::POST, &headers, Bytes::from(bytes))
        else {
            return;
        };
        let client = self.client.clone();
        tokio::spawn(async move {
            let _ = client.request(req).await;
        });
    }
}

/// A stdio server behind one HTTP session (bridge mode).
struct ChildLink {
    to_child: Mutex<Option<mpsc::Sender<Vec<u8>>>>,
    /// Calls waiting for their response, by in-flight key.
    pending: Mutex<HashMap<String, oneshot::Sender<Vec<u8>>>>,
    /// The session's GET stream, for what the server sends on its own.
    stream: Mutex<Option<mpsc::Sender<Bytes>>>,
    kill: Mutex<Option<oneshot::Sender<()>>>,
}

impl ChildLink {
    fn new() -> ChildLink {
        ChildLink {
            to_child: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
            stream: Mutex::new(None),
            kill: Mutex::new(None),
        }
    }

    /// Starts the server and the tasks that move its lines.
    fn start(
        self: &Arc<Self>,
        cmd: &[String],
        gate: Arc<Gate>,
        session: Arc<Session>,
    ) -> Result<(), ProxyError> {
        let (mut child, stdin, stdout) = crate::stdio::spawn_server(cmd)?;
        let pid = child.id();
        gate.add_child(pid);
        let (tx, rx) = mpsc::channel::<Vec<u8>>(QUEUE);
        *lock(&self.to_child) = Some(tx);
        let (kill_tx, kill_rx) = oneshot::channel();
        *lock(&self.kill) = Some(kill_tx);
        tokio::spawn(pump(rx, stdin));
        let link = self.clone();
        tokio::spawn(async move {
            let reader = async {
                let mut reader = BufReader::with_capacity(1 << 16, stdout);
                loop {
                    match read_line(&mut reader, 16 * 1024 * 1024).await {
                        Ok(Line::Message(m)) => {
                            let d = gate::from_server(&gate, &session, m).await;
                            let Some(bytes) = d.bytes else { continue };
                            match d.response_to {
                                Some(key) => {
                                    if let Some(w) = lock(&link.pending).remove(&key) {
                                        let _ = w.send(bytes);
                                    }
                                }
                                None => link.to_stream(bytes).await,
                            }
                        }
                        Ok(Line::TooLong(n)) => {
                            eprintln!("warden proxy: dropped a {n}-byte message from the server");
                        }
                        Ok(Line::Eof) | Err(_) => break,
                    }
                }
            };
            tokio::select! {
                _ = reader => {}
                _ = kill_rx => { let _ = child.start_kill(); }
            }
            let _ = child.wait().await;
            gate.remove_child(pid);
            lock(&link.to_child).take();
            lock(&link.pending).clear();
            gate.close_session(&session, "the MCP server exited before answering")
                .await;
        });
        Ok(())
    }

    /// Sends a server-initiated message on the GET stream, if the client opened one.
    async fn to_stream(&self, bytes: Vec<u8>) {
        let tx = lock(&self.stream).clone();
        match tx {
            Some(tx) => {
                let event = rewrite_event(b"event: message\n", &bytes);
                if tx.send(Bytes::from(event)).await.is_err() {
                    lock(&self.stream).take();
                }
            }
            None => eprintln!(
                "warden proxy: the server sent a message outside a response and the client has no GET stream open; dropped"
            ),
        }
    }

    fn kill(&self) {
        if let Some(k) = lock(&self.kill).take() {
            let _ = k.send(());
        }
    }
}

impl Link for Arc<ChildLink> {
    fn to_client(&self, bytes: Vec<u8>) {
        let link = self.clone();
        tokio::spawn(async move { link.to_stream(bytes).await });
    }

    fn to_server(&self, _session: &Session, bytes: Vec<u8>) {
        let tx = lock(&self.to_child).clone();
        if let Some(tx) = tx {
            tokio::spawn(async move {
                let _ = tx.send(bytes).await;
            });
        }
    }
}

async fn forward_child(
    gate: &Gate,
    child: &Arc<ChildLink>,
    session: &Arc<Session>,
    body: Vec<u8>,
    call: Option<String>,
    id: &Value,
) -> Response<Body> {
    let Some(tx) = lock(&child.to_child).clone() else {
        if let Some(key) = &call {
            gate::fail_call(gate, session, key, "upstream_gone").await;
        }
        return rpc_error(
            StatusCode::NOT_FOUND,
            id,
            code::UPSTREAM_GONE,
            "the MCP server of this session has exited",
        );
    };
    let Some(key) = call else {
        let _ = tx.send(body).await;
        return empty(StatusCode::ACCEPTED);
    };
    let (done_tx, done_rx) = oneshot::channel();
    lock(&child.pending).insert(key.clone(), done_tx);
    let waiter = session.wait_for_answer(&key);
    if !session.mark_forwarded(&key) {
        lock(&child.pending).remove(&key);
        return fenced_reply(id);
    }
    if tx.send(body).await.is_err() {
        lock(&child.pending).remove(&key);
    }
    let answer = match waiter {
        Some(w) => tokio::select! {
            done = done_rx => done.ok(),
            // A closed waiter only means the call was answered the ordinary way.
            Ok(fenced) = w => Some(fenced),
        },
        None => done_rx.await.ok(),
    };
    match answer {
        Some(bytes) => json_response(StatusCode::OK, bytes),
        None => rpc_error(
            StatusCode::OK,
            id,
            code::UPSTREAM_GONE,
            "the MCP server exited before answering",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    #[test]
    fn headers_must_agree_with_the_body() {
        let call = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",
            "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}});
        let ok = headers(&[
            ("mcp-method", "tools/call"),
            ("mcp-name", "echo"),
            ("mcp-protocol-version", "2026-07-28"),
        ]);
        assert!(check_headers(&ok, &call).is_ok());
        let b64 = headers(&[
            ("mcp-method", "tools/call"),
            ("mcp-name", "=?base64?ZWNobw==?="),
            ("mcp-protocol-version", "2026-07-28"),
        ]);
        assert!(check_headers(&b64, &call).is_ok());
        let wrong_name = headers(&[
            ("mcp-method", "tools/call"),
            ("mcp-name", "rm"),
            ("mcp-protocol-version", "2026-07-28"),
        ]);
        assert!(
            check_headers(&wrong_name, &call)
                .unwrap_err()
                .contains("Mcp-Name")
        );
        let wrong_method = headers(&[
            ("mcp-method", "tools/list"),
            ("mcp-name", "echo"),
            ("mcp-protocol-version", "2026-07-28"),
        ]);
        let no_version = headers(&[("mcp-method", "tools/call"), ("mcp-name", "echo")]);
        assert!(
            check_headers(&no_version, &call)
                .unwrap_err()
                .contains("header missing")
        );
        assert!(
            check_headers(&wrong_method, &call)
                .unwrap_err()
                .contains("Mcp-Method")
        );
        // The stateless era requires them.
        assert!(
            check_headers(&HeaderMap::new(), &call)
                .unwrap_err()
                .contains("missing")
        );
        let version = headers(&[
            ("mcp-method", "tools/call"),
            ("mcp-name", "echo"),
            ("mcp-protocol-version", "2025-11-25"),
        ]);
        assert!(
            check_headers(&version, &call)
                .unwrap_err()
                .contains("_meta")
        );
        // The session era does not.
        let old = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}});
        assert!(check_headers(&headers(&[("mcp-protocol-version", "2025-11-25")]), &old).is_ok());
        let read =
            json!({"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"file:///a"}});
        assert!(check_headers(&headers(&[("mcp-name", "file:///b")]), &read).is_err());
    }

    #[test]
    fn upstream_requests_drop_hop_headers_and_ask_for_plain_bodies() {
        let h = headers(&[
            ("connection", "keep-alive"),
            ("host", "proxy.local"),
            ("accept-encoding", "gzip, br"),
            ("mcp-session-id", "abc"),
            ("authorization", "Bearer t"),
        ]);
        let uri: Uri = "http://127.0.0.1:9/mcp".parse().expect("uri");
        let req = upstream_request(&uri, Method::POST, &h, Bytes::new()).expect("request");
        let got = req.headers();
        assert!(got.get("connection").is_none() && got.get("host").is_none());
        assert_eq!(
            got.get("accept-encoding").map(|v| v.as_bytes()),
            Some(&b"identity"[..])
        );
        assert_eq!(got.get_all("accept-encoding").iter().count(), 1);
        assert_eq!(
            got.get("mcp-session-id").map(|v| v.as_bytes()),
            Some(&b"abc"[..])
        );
        assert_eq!(
            got.get("authorization").map(|v| v.as_bytes()),
            Some(&b"Bearer t"[..])
        );
    }

    #[test]
    fn ports_are_stripped_from_hosts() {
        assert_eq!(strip_port("localhost:8080"), "localhost");
        assert_eq!(strip_port("[::1]:8080"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
        assert_eq!(strip_port("example.com"), "example.com");
    }

    #[test]
    fn sse_events_are_split_and_rewritten() {
        let mut p = SseParser::default();
        let events = p
            .push(b"id: 1\nevent: message\ndata: {\"a\":1}\n\ndata: x", 1024)
            .expect("events");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data.as_deref(), Some(&b"{\"a\":1}"[..]));
        let events = p.push(b"\r\ndata: y\r\n\r\n", 1024).expect("events");
        assert_eq!(events[0].data.as_deref(), Some(&b"x\ny"[..]));
        assert_eq!(
            rewrite_event(b"id: 1\nevent: message\ndata: old\n\n", b"new"),
            b"id: 1\nevent: message\ndata: new\n\n".to_vec()
        );
        assert!(SseParser::default().push(&[b'a'; 2000], 1024).is_err());
    }
}
