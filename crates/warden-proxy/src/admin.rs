//! The admin endpoint: a Unix socket (mode 0600, so only the proxy's user can reach it)
//! taking one JSON request per line and answering one JSON line. Requests:
//!
//! ```text
//! {"op":"fence","tools":["name",…]?,"sessions":["id",…]?,"freeze":bool?,"reason":"…"}
//!                                     no tools and no sessions = the whole server
//! {"op":"unfence","reason":"…"}
//! {"op":"revoke-session","session":"id","reason":"…"}
//! {"op":"block","address":"203.0.113.0/24","reason":"…"}
//! {"op":"unblock","address":"…","reason":"…"}
//! {"op":"approve","tool":"name","reason":"…"}      accept a quarantined tool's new definition
//! {"op":"status"}
//! ```
//!
//! With `--admin-listen` the same requests are also served over loopback HTTP
//! (`POST /admin`, `Authorization: Bearer <token>`); the token lives in a file (mode
//! 0600, created with 256 random bits when missing) and is compared by digest.
//!
//! Every change is recorded in the ledger (`admin.fence`, `admin.unfence`,
//! `admin.revoke`, `admin.block`, `admin.unblock`, `admin.approve`) and applied
//! even if recording fails: a containment lever must not depend on the disk.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

use crate::gate::{self, Fence, Gate, apply_fence, lift_fence, status};

/// Largest admin request.
const MAX_REQUEST: u64 = 64 * 1024;

/// Where the admin endpoint listens.
#[derive(Debug, Clone, Default)]
pub struct AdminOptions {
    /// The Unix socket (the default endpoint).
    pub socket: Option<PathBuf>,
    /// A loopback HTTP address and the bearer token its clients must present.
    pub http: Option<(SocketAddr, String)>,
}

/// Starts the admin endpoints; the returned tasks hold the gate, so the proxy aborts
/// them to shut down.
pub(crate) async fn start(
    opts: &AdminOptions,
    gate: &Arc<Gate>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, crate::gate::ProxyError> {
    let mut tasks = Vec::new();
    if let Some(path) = &opts.socket {
        tasks.push(
            serve(path, gate.clone()).map_err(|source| crate::gate::ProxyError::Admin {
                path: path.display().to_string(),
                source,
            })?,
        );
    }
    if let Some((addr, token)) = &opts.http {
        tasks.push(
            serve_http(*addr, token, gate.clone())
                .await
                .map_err(|source| crate::gate::ProxyError::Admin {
                    path: format!("http://{addr}"),
                    source,
                })?,
        );
    }
    Ok(tasks)
}

/// SHA-256 of a token, so comparisons take the same time whatever the guess.
fn token_digest(token: &str) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// Serves `POST /admin` on a loopback address; anything else, or a wrong token, is
/// refused. Plain HTTP, so only loopback: reach it from elsewhere through SSH or a TLS
/// terminator.
async fn serve_http(
    addr: SocketAddr,
    token: &str,
    gate: Arc<Gate>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    use http_body_util::{BodyExt, Full, Limited};
    use hyper::{Request, Response, StatusCode};
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::other(
            "the HTTP admin endpoint speaks plain HTTP and binds only to loopback (127.0.0.1 or [::1]); reach it through SSH or a TLS terminator",
        ));
    }
    let expected = token_digest(token);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    Ok(tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors, usually: the lever must survive it.
                    eprintln!("warden proxy: admin endpoint accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let gate = gate.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: Request<hyper::body::Incoming>| {
                        let gate = gate.clone();
                        async move {
                            let reply = |status: StatusCode, v: Value| {
                                let mut r =
                                    Response::new(Full::new(bytes::Bytes::from(v.to_string())));
                                *r.status_mut() = status;
                                r.headers_mut().insert(
                                    hyper::header::CONTENT_TYPE,
                                    hyper::header::HeaderValue::from_static("application/json"),
                                );
                                Ok::<_, std::convert::Infallible>(r)
                            };
                            let presented = req
                                .headers()
                                .get(hyper::header::AUTHORIZATION)
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.strip_prefix("Bearer "))
                                .map(token_digest);
                            let ok = presented.is_some_and(|d| {
                                d.iter()
                                    .zip(expected.iter())
                                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                                    == 0
                            });
                            if !ok {
                                return reply(
                                    StatusCode::UNAUTHORIZED,
                                    json!({"ok": false, "error": "a valid bearer token is required (--admin-token-file)"}),
                                );
                            }
                            if req.method() != hyper::Method::POST || req.uri().path() != "/admin" {
                                return reply(
                                    StatusCode::NOT_FOUND,
                                    json!({"ok": false, "error": "POST /admin with a JSON request"}),
                                );
                            }
                            let body = match Limited::new(req.into_body(), MAX_REQUEST as usize)
                                .collect()
                                .await
                            {
                                Ok(b) => b.to_bytes(),
                                Err(e) => {
                                    return reply(
                                        StatusCode::BAD_REQUEST,
                                        json!({"ok": false, "error": e.to_string()}),
                                    );
                                }
                            };
                            let line = String::from_utf8_lossy(&body);
                            reply(StatusCode::OK, handle(&gate, &line).await)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    }))
}

/// Reads the admin token from `path`, creating it (mode 0600, 256 random bits in hex)
/// when it does not exist.
pub fn load_or_create_token(path: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => {
            let t = t.trim().to_string();
            if t.len() < 32 {
                return Err(std::io::Error::other(format!(
                    "{}: the admin token must be at least 32 characters",
                    path.display()
                )));
            }
            Ok(t)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut raw = [0u8; 32];
            getrandom::fill(&mut raw).map_err(|e| std::io::Error::other(e.to_string()))?;
            let token = warden_ledger::hmac::hex(&raw);
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
            writeln!(f, "{token}")?;
            f.sync_all()?;
            Ok(token)
        }
        Err(e) => Err(e),
    }
}

/// Sends one request to a running proxy's HTTP admin endpoint (`http://127.0.0.1:PORT`).
pub async fn request_http(url: &str, token: &str, req: &Value) -> std::io::Result<Value> {
    let url = format!("{}/admin", url.trim_end_matches('/'));
    let body = serde_json::to_vec(req).map_err(std::io::Error::other)?;
    let (status, reply) = crate::webhook::post_json(&url, Some(token), &body)
        .await
        .map_err(std::io::Error::other)?;
    let v: Value = serde_json::from_slice(&reply)
        .map_err(|e| std::io::Error::other(format!("HTTP {status}, not a JSON answer: {e}")))?;
    Ok(v)
}

/// Binds `path` and serves requests in the background until the returned task is
/// aborted (it holds the proxy's shared state, so the proxy aborts it to shut down).
pub(crate) fn serve(
    path: &Path,
    shared: Arc<Gate>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    if path.exists() {
        // A stale socket from a previous run; refuse anything that is not a socket.
        use std::os::unix::fs::FileTypeExt;
        if std::fs::symlink_metadata(path)?.file_type().is_socket() {
            std::fs::remove_file(path)?;
        } else {
            return Err(std::io::Error::other(
                "exists and is not a socket; refusing to replace it",
            ));
        }
    }
    let listener = UnixListener::bind(path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let path = path.to_path_buf();
    Ok(tokio::spawn(async move {
        let _remove_on_exit = RemoveOnDrop(path);
        // Our own uid: only it may use the socket, whatever the file mode was in the
        // moment between bind and chmod.
        let own_uid = {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata("/proc/self").map(|m| m.uid()).ok()
        };
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    eprintln!("warden proxy: admin socket accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let peer_ok = match (stream.peer_cred(), own_uid) {
                (Ok(cred), Some(uid)) => cred.uid() == uid || cred.uid() == 0,
                _ => false,
            };
            if !peer_ok {
                continue;
            }
            let shared = shared.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut line = String::new();
                let mut reader = BufReader::new(tokio::io::AsyncReadExt::take(read, MAX_REQUEST));
                if reader.read_line(&mut line).await.is_err() {
                    return;
                }
                let reply = handle(&shared, &line).await;
                let mut out = serde_json::to_vec(&reply).unwrap_or_default();
                out.push(b'\n');
                let _ = write.write_all(&out).await;
            });
        }
    }))
}

/// Removes the socket file when the admin task ends.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn handle(shared: &Gate, line: &str) -> Value {
    let req: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return json!({"ok": false, "error": format!("not JSON: {e}")}),
    };
    let reason = req
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("no reason given")
        .to_string();
    match req.get("op").and_then(Value::as_str) {
        Some("status") => json!({"ok": true, "status": status(shared)}),
        Some("fence") => {
            let tools = strings(&req, "tools");
            let sessions = strings(&req, "sessions");
            let freeze = req.get("freeze").and_then(Value::as_bool).unwrap_or(false);
            let fence = Fence {
                all: tools.is_empty() && sessions.is_empty(),
                tools: tools.clone(),
                sessions: sessions.clone(),
                reason: reason.clone(),
                frozen: freeze,
            };
            let t0 = std::time::Instant::now();
            let cancelled = apply_fence(shared, fence).await;
            let took_us = t0.elapsed().as_micros() as u64;
            let mut details = Map::new();
            let scope = match (tools.is_empty(), sessions.is_empty()) {
                (true, true) => json!("server"),
                _ => json!({"tools": tools, "sessions": sessions}),
            };
            details.insert("scope".into(), scope);
            details.insert("frozen".into(), json!(freeze));
            details.insert("reason".into(), json!(reason));
            details.insert("cancelled_in_flight".into(), json!(cancelled));
            let recorded = shared.audit.record_admin("admin.fence", details).await;
            json!({"ok": true, "cancelled_in_flight": cancelled, "applied_in_us": took_us,
                   "recorded": recorded.is_ok(), "record_error": recorded.err()})
        }
        Some("unfence") => {
            lift_fence(shared);
            let mut details = Map::new();
            details.insert("reason".into(), json!(reason));
            let recorded = shared.audit.record_admin("admin.unfence", details).await;
            json!({"ok": true, "recorded": recorded.is_ok(), "record_error": recorded.err()})
        }
        Some("revoke-session") => {
            let Some(id) = req.get("session").and_then(Value::as_str) else {
                return json!({"ok": false, "error": "revoke-session needs \"session\" (see `warden proxy status`)"});
            };
            if !gate::revoke_session(shared, id) {
                return json!({"ok": false, "error": format!("no live session `{id}`; `warden proxy status` lists them")});
            }
            let mut details = Map::new();
            details.insert("session".into(), json!(id));
            details.insert("reason".into(), json!(reason));
            let recorded = shared.audit.record_admin("admin.revoke", details).await;
            json!({"ok": true, "session": id, "recorded": recorded.is_ok(), "record_error": recorded.err()})
        }
        Some(op @ ("block" | "unblock")) => {
            let Some(address) = req.get("address").and_then(Value::as_str) else {
                return json!({"ok": false, "error": format!("{op} needs \"address\" (an IP address or CIDR block)")});
            };
            let applied = if op == "block" {
                gate::block(shared, address).map(|c| (c.to_string(), true))
            } else {
                gate::unblock(shared, address).map(|was| (address.to_string(), was))
            };
            let (block, changed) = match applied {
                Ok(v) => v,
                Err(e) => return json!({"ok": false, "error": e}),
            };
            let mut details = Map::new();
            details.insert("address".into(), json!(block));
            details.insert("reason".into(), json!(reason));
            let recorded = shared
                .audit
                .record_admin(&format!("admin.{op}"), details)
                .await;
            json!({"ok": true, "address": block, "changed": changed, "recorded": recorded.is_ok(), "record_error": recorded.err()})
        }
        Some("approve") => {
            let Some(tool) = req.get("tool").and_then(Value::as_str) else {
                return json!({"ok": false, "error": "approve needs \"tool\""});
            };
            let approved = lock_pins(shared).approve(tool);
            match approved {
                Ok(hash) => {
                    let mut details = Map::new();
                    details.insert("tool".into(), json!(tool));
                    details.insert("hash".into(), json!(hash));
                    details.insert("reason".into(), json!(reason));
                    let recorded = shared.audit.record_admin("admin.approve", details).await;
                    json!({"ok": true, "tool": tool, "hash": hash, "recorded": recorded.is_ok()})
                }
                Err(e) => json!({"ok": false, "error": e}),
            }
        }
        other => json!({"ok": false, "error": format!(
            "unknown op {other:?}; use fence, unfence, revoke-session, block, unblock, approve or status"
        )}),
    }
}

/// A list of strings under `key` (absent = empty).
fn strings(req: &Value, key: &str) -> Vec<String> {
    req.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn lock_pins(shared: &Gate) -> std::sync::MutexGuard<'_, crate::pins::Pins> {
    shared
        .pins
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sends one request to a running proxy's admin socket and returns its reply (for the
/// `warden proxy fence|unfence|status` commands).
pub async fn request(path: &Path, req: &Value) -> std::io::Result<Value> {
    let stream = tokio::net::UnixStream::connect(path).await?;
    let (read, mut write) = stream.into_split();
    let mut out = serde_json::to_vec(req).map_err(std::io::Error::other)?;
    out.push(b'\n');
    write.write_all(&out).await?;
    let mut line = String::new();
    BufReader::new(read).read_line(&mut line).await?;
    serde_json::from_str(&line).map_err(std::io::Error::other)
}
