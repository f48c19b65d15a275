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
//! Every change is recorded in the ledger (`admin.fence`, `admin.unfence`,
//! `admin.revoke`, `admin.block`, `admin.unblock`, `admin.approve`) and applied
//! even if recording fails: a containment lever must not depend on the disk.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

use crate::gate::{self, Fence, Gate, apply_fence, lift_fence, status};

/// Largest admin request.
const MAX_REQUEST: u64 = 64 * 1024;

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
        while let Ok((stream, _)) = listener.accept().await {
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
