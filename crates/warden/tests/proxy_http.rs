//! `warden proxy --listen` (Streamable HTTP) with real parts: the reference server
//! `@modelcontextprotocol/server-everything` (sessions, 2025-11-25) and a server built on
//! the official Python SDK (`mcp`, stateless 2026-07-28) as upstreams, the Python SDK
//! client on the other side; and a stdio server exposed over HTTP. Transparency,
//! recording, header checks, the admin levers, the freeze and the alert webhook.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod proxy_common;
use proxy_common::*;

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// Stops the proxy with SIGTERM (so it closes and signs the ledger) and waits.
    fn terminate(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the proxy did not exit on SIGTERM");
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    wait_until(&format!("{what} to listen on {port}"), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
}

fn spawn(cmd: &mut Command, port: u16, what: &str) -> Running {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let running = Running(child);
    wait_for_port(port, what);
    running
}

fn everything_http(parts: &Parts) -> (Running, u16) {
    let port = free_port();
    let server = spawn(
        Command::new("node")
            .arg(&parts.everything)
            .arg("streamableHttp")
            .env("PORT", port.to_string()),
        port,
        "server-everything",
    );
    (server, port)
}

fn python_http(parts: &Parts, stateless: bool) -> (Running, u16) {
    let port = free_port();
    let mut cmd = Command::new(&parts.python);
    cmd.arg(py_server(parts)).arg("http").arg(port.to_string());
    if stateless {
        cmd.arg("--stateless");
    }
    let server = spawn(&mut cmd, port, "the Python SDK server");
    (server, port)
}

/// The proxy on a port the kernel picks (`--listen 127.0.0.1:0`), read back from the
/// line it prints, so no other process can take the port in between; the rest of its
/// stderr goes on to the test's.
fn proxy(ledger: &Path, extra: &[&str], upstream: &[String]) -> (Running, u16) {
    let mut child = Command::new(warden_bin())
        .args(["proxy", "--ledger"])
        .arg(ledger)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .args(upstream)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("warden proxy");
    let stderr = child.stderr.take().expect("stderr");
    let running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let port = line
                .strip_prefix("warden proxy: listening on http://127.0.0.1:")
                .and_then(|rest| rest.split('/').next())
                .and_then(|p| p.parse::<u16>().ok());
            if let Some(port) = port {
                let _ = tx.send(port);
            }
            eprintln!("{line}");
        }
    });
    let port = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the proxy did not say where it listens");
    (running, port)
}

fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/mcp")
}

/// One HTTP/1.1 exchange on a fresh connection: (status, headers, body).
fn http(
    port: u16,
    method: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut req = format!(
        "{method} /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    // A server may answer before it has read the whole request (an oversize body is
    // refused from its Content-Length) and close; the answer is still there to read, so
    // only other write errors are failures.
    if let Err(e) = s.write_all(req.as_bytes()) {
        assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "send: {e}"
        );
    }
    let mut reader = BufReader::new(s);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).expect("status");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            head.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let chunked = head
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).expect("chunk size");
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            let mut chunk = vec![0u8; n + 2];
            reader.read_exact(&mut chunk).expect("chunk");
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        let _ = reader.read_to_end(&mut body);
    }
    (status, head, String::from_utf8_lossy(&body).into_owned())
}

/// The JSON-RPC messages in a body: a JSON object, or the `data` of SSE events.
fn messages(body: &str) -> Vec<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return vec![v];
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect()
}

fn header<'a>(head: &'a [(String, String)], name: &str) -> Option<&'a str> {
    head.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

const ACCEPT: (&str, &str) = ("Accept", "application/json, text/event-stream");
const JSON: (&str, &str) = ("Content-Type", "application/json");

/// Opens a 2025-11-25 session by hand; returns its `Mcp-Session-Id`.
fn open_session(port: u16) -> String {
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},
        "clientInfo":{"name":"warden-test","version":"1"}}});
    let (status, head, body) = http(port, "POST", &[ACCEPT, JSON], &init.to_string());
    assert_eq!(status, 200, "{body}");
    let id = header(&head, "mcp-session-id")
        .expect("session id")
        .to_string();
    let note = json!({"jsonrpc":"2.0","method":"notifications/initialized"});
    let (status, _, _) = http(
        port,
        "POST",
        &[
            ACCEPT,
            JSON,
            ("Mcp-Session-Id", &id),
            ("MCP-Protocol-Version", "2025-11-25"),
        ],
        &note.to_string(),
    );
    assert_eq!(status, 202);
    id
}

/// Calls `echo` in a session; returns the JSON-RPC answer.
fn echo(port: u16, session: &str, id: u64) -> (u16, Value) {
    let call = json!({"jsonrpc":"2.0","id":id,"method":"tools/call",
        "params":{"name":"echo","arguments":{"message":"hello"}}});
    let (status, _, body) = http(
        port,
        "POST",
        &[
            ACCEPT,
            JSON,
            ("Mcp-Session-Id", session),
            ("MCP-Protocol-Version", "2025-11-25"),
        ],
        &call.to_string(),
    );
    let answer = messages(&body)
        .into_iter()
        .find(|m| m.get("id").is_some())
        .unwrap_or(Value::Null);
    (status, answer)
}

fn admin(ledger: &Path, args: &[&str]) -> Value {
    let out = Command::new(warden_bin())
        .arg("proxy")
        .args(args)
        .arg("--admin-socket")
        .arg(ledger.join("proxy.sock"))
        .output()
        .expect("admin");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "admin {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn http_proxy_is_transparent_and_records_both_eras() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let key = init_ledger(&ledger);

    // Sessions (2025-11-25): the reference server.
    let (_everything, up) = everything_http(&parts);
    let (px, port) = proxy(&ledger, &[], &["--upstream".into(), url(up)]);
    let steps = json!([
        {"list": true},
        {"call": "echo", "args": {"message": "hi bob@example.com"}},
        {"call": "get-sum", "args": {"a": 2, "b": 3}},
        {"call": "no-such-tool"}
    ]);
    let direct = http_client(&parts, &url(up), "auto", &steps);
    let through = http_client(&parts, &url(port), "auto", &steps);
    assert_eq!(direct, through, "the proxy changed what the client saw");
    assert_eq!(through[1]["text"][0], "Echo: hi bob@example.com");

    // Stateless (2026-07-28): a server on the Python SDK; a credential is redacted.
    let (_py, py_up) = python_http(&parts, true);
    let (px2, port2) = {
        // A second ledger would do as well; one proxy per upstream is the deployment.
        let ledger2 = root.path().join("ledger2");
        init_ledger(&ledger2);
        let (p, port) = proxy(&ledger2, &[], &["--upstream".into(), url(py_up)]);
        (p, port)
    };
    let steps = json!([
        {"list": true},
        {"call": "echo", "args": {"message": "hi"}},
        {"call": "get_customer", "args": {"customer_id": 7}},
        {"call": "read_config"}
    ]);
    let direct = http_client(&parts, &url(py_up), "2026-07-28", &steps);
    let through = http_client(&parts, &url(port2), "2026-07-28", &steps);
    assert_eq!(direct[..3], through[..3]);
    assert!(direct[3].to_string().contains("AKIAZ3MSJV4WZKQ7XH2P"));
    assert!(
        !through[3].to_string().contains("AKIAZ3MSJV4WZKQ7XH2P"),
        "{}",
        through[3]
    );
    px.terminate();
    px2.terminate();

    assert_eq!(verify(&ledger, &key), 0);
    let recs = records(&ledger);
    let results: Vec<&Value> = recs.iter().filter(|r| r["kind"] == "tool.result").collect();
    assert_eq!(results.len(), 3, "{recs:#?}");
    for r in &results {
        assert_eq!(r["network.transport"], "tcp");
        assert_eq!(r["client.address"], "127.0.0.1");
        assert_eq!(r["mcp.protocol.version"], "2025-11-25");
    }
    assert!(recs.iter().any(|r| r["mcp.method.name"] == "initialize"));
    assert_eq!(
        results[0]["attributes"]["email_domains"],
        json!(["example.com"])
    );
    let intents = recs.iter().filter(|r| r["kind"] == "tool.intent").count();
    assert_eq!(intents, 3);

    let recs2 = records(&root.path().join("ledger2"));
    let results2: Vec<&Value> = recs2
        .iter()
        .filter(|r| r["kind"] == "tool.result")
        .collect();
    assert_eq!(results2.len(), 3, "{recs2:#?}");
    for r in &results2 {
        assert_eq!(r["mcp.protocol.version"], "2026-07-28");
    }
    // One stateless client, one session id across its requests.
    assert_eq!(results2[0]["mcp.session.id"], results2[2]["mcp.session.id"]);
    assert!(
        results2[2]["attributes"]["redactions"].is_array(),
        "{:#}",
        results2[2]
    );
    assert!(
        recs2
            .iter()
            .any(|r| r["mcp.method.name"] == "tools/list"
                && r["mcp.protocol.version"] == "2026-07-28")
    );
}

#[test]
fn headers_that_disagree_with_the_body_are_refused_and_recorded() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    init_ledger(&ledger);
    let (_py, up) = python_http(&parts, true);
    let (px, port) = proxy(&ledger, &[], &["--upstream".into(), url(up)]);
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}});
    let call = json!({"jsonrpc":"2.0","id":5,"method":"tools/call",
        "params":{"name":"read_config","arguments":{},"_meta":meta}});
    let v = ("MCP-Protocol-Version", "2026-07-28");
    // The header says echo; the body runs read_config.
    let (status, _, body) = http(
        port,
        "POST",
        &[
            ACCEPT,
            JSON,
            v,
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "echo"),
        ],
        &call.to_string(),
    );
    assert_eq!(status, 400, "{body}");
    let err: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(err["error"]["code"], -32020);
    assert_eq!(err["id"], 5);
    // No Mcp-Method at all on a 2026-07-28 request.
    let (status, _, _) = http(port, "POST", &[ACCEPT, JSON, v], &call.to_string());
    assert_eq!(status, 400);
    // Agreeing headers pass.
    let (status, _, body) = http(
        port,
        "POST",
        &[
            ACCEPT,
            JSON,
            v,
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "read_config"),
        ],
        &call.to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("region=eu-west-1"), "{body}");
    // Bad bodies get JSON-RPC errors, not a dropped connection.
    let (status, _, body) = http(port, "POST", &[ACCEPT, JSON], "{not json");
    assert_eq!(status, 400);
    assert!(body.contains("-32700"), "{body}");
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(17 * 1024 * 1024));
    let (status, _, _) = http(port, "POST", &[ACCEPT, JSON], &big);
    assert_eq!(status, 413);
    // Refused from its declared length: a client that waits for `100 Continue` is told
    // 413 without sending a byte of the body.
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        s,
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nExpect: 100-continue\r\n\
         Content-Length: {}\r\n\r\n",
        big.len()
    )
    .expect("send");
    let mut status_line = String::new();
    BufReader::new(s)
        .read_line(&mut status_line)
        .expect("status");
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line:?}");
    let (status, _, _) = http(port, "PUT", &[], "");
    assert_eq!(status, 405);
    // Not JSON by its type (what a cross-site form post would be), a duplicated header,
    // a page from elsewhere, or a sandboxed one (Origin: null).
    let plain = ("Content-Type", "text/plain");
    assert_eq!(
        http(port, "POST", &[ACCEPT, plain], &call.to_string()).0,
        415
    );
    let twice = [
        ACCEPT,
        JSON,
        ("Mcp-Method", "tools/call"),
        ("Mcp-Method", "tools/list"),
    ];
    assert_eq!(http(port, "POST", &twice, &call.to_string()).0, 400);
    for origin in ["http://evil.example", "null"] {
        let o = ("Origin", origin);
        assert_eq!(
            http(port, "POST", &[ACCEPT, JSON, o], &call.to_string()).0,
            403
        );
    }
    let local = ("Origin", "http://localhost:3000");
    let (status, _, _) = http(
        port,
        "POST",
        &[
            ACCEPT,
            JSON,
            local,
            v,
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "read_config"),
        ],
        &call.to_string(),
    );
    assert_eq!(status, 200);
    px.terminate();
    let recs = records(&ledger);
    let mismatches: Vec<&Value> = recs
        .iter()
        .filter(|r| r["result"]["error.type"] == "header_mismatch")
        .collect();
    assert_eq!(mismatches.len(), 2, "{recs:#?}");
    assert_eq!(mismatches[0]["gen_ai.tool.name"], "read_config");
    assert_eq!(mismatches[0]["result"]["status"], "denied");
}

#[test]
fn revoke_block_and_fence_take_effect_on_the_next_message() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let key = init_ledger(&ledger);
    let (_everything, up) = everything_http(&parts);
    let admin_port = free_port();
    let admin_addr = format!("127.0.0.1:{admin_port}");
    let (px, port) = proxy(
        &ledger,
        &["--admin-listen", &admin_addr],
        &["--upstream".into(), url(up)],
    );

    let s1 = open_session(port);
    let (status, answer) = echo(port, &s1, 1);
    assert_eq!(status, 200);
    assert_eq!(answer["result"]["content"][0]["text"], "Echo: hello");

    let status_reply = admin(&ledger, &["status"]);
    let sessions = status_reply["status"]["sessions"]
        .as_array()
        .expect("sessions");
    assert_eq!(sessions.len(), 1, "{status_reply:#}");
    let session_id = sessions[0]["id"].as_str().expect("id").to_string();
    assert_eq!(sessions[0]["client_address"], "127.0.0.1");

    // The loopback HTTP admin endpoint answers the same, with the token only.
    let token_file = ledger.join("admin.token");
    let over_http = |token_file: &Path| -> Value {
        let out = Command::new(warden_bin())
            .args(["proxy", "status", "--admin-url"])
            .arg(format!("http://{admin_addr}"))
            .arg("--admin-token-file")
            .arg(token_file)
            .output()
            .expect("status");
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    };
    assert_eq!(
        over_http(&token_file)["status"]["sessions"][0]["id"],
        session_id
    );
    let wrong = root.path().join("wrong.token");
    std::fs::write(&wrong, "0".repeat(64)).expect("token");
    let refused = over_http(&wrong);
    assert_eq!(refused["ok"], json!(false), "{refused}");
    assert!(refused["status"].is_null());

    // Fence one tool: refused; lifted: allowed again.
    assert_eq!(
        admin(&ledger, &["fence", "--tool", "echo"])["ok"],
        json!(true)
    );
    let (_, answer) = echo(port, &s1, 2);
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    assert_eq!(admin(&ledger, &["unfence"])["ok"], json!(true));
    assert_eq!(
        echo(port, &s1, 3).1["result"]["content"][0]["text"],
        "Echo: hello"
    );

    // Revoke the session: its next message is refused; a new session still works.
    let r = admin(&ledger, &["revoke-session", "--session", &session_id]);
    assert_eq!(r["ok"], json!(true), "{r}");
    let (_, answer) = echo(port, &s1, 4);
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("revoked")
    );
    let s2 = open_session(port);
    assert_eq!(
        echo(port, &s2, 1).1["result"]["content"][0]["text"],
        "Echo: hello"
    );
    assert_eq!(
        admin(&ledger, &["revoke-session", "--session", "nope"])["ok"],
        json!(false)
    );

    // Block the client's address: refused before anything else; unblock: back.
    assert_eq!(admin(&ledger, &["block", "127.0.0.0/8"])["ok"], json!(true));
    let (status, _, body) = http(port, "POST", &[ACCEPT, JSON], "{}");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("blocked"), "{body}");
    let bad = admin(&ledger, &["block", "127.0.0.1/8"]);
    assert_eq!(bad["ok"], json!(false), "host bits set must be refused");
    assert_eq!(
        admin(&ledger, &["unblock", "127.0.0.0/8"])["ok"],
        json!(true)
    );
    assert_eq!(
        echo(port, &s2, 2).1["result"]["content"][0]["text"],
        "Echo: hello"
    );

    // DELETE ends the session at the upstream and in the proxy.
    let (status, _, _) = http(
        port,
        "DELETE",
        &[
            ("Mcp-Session-Id", &s2),
            ("MCP-Protocol-Version", "2025-11-25"),
        ],
        "",
    );
    assert!(status == 200 || status == 204, "{status}");
    px.terminate();

    assert_eq!(verify(&ledger, &key), 0);
    let recs = records(&ledger);
    for kind in [
        "admin.fence",
        "admin.unfence",
        "admin.revoke",
        "admin.block",
        "admin.unblock",
    ] {
        assert!(recs.iter().any(|r| r["kind"] == kind), "no {kind}");
    }
    let denied: Vec<&str> = recs
        .iter()
        .filter(|r| r["result"]["status"] == "denied")
        .filter_map(|r| r["result"]["error.type"].as_str())
        .collect();
    assert_eq!(denied, ["fence", "revoked"], "{recs:#?}");
}

#[test]
fn a_stdio_server_over_http_with_freeze_and_the_alert_webhook() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let key = init_ledger(&ledger);
    // The webhook receiver: collects POST bodies.
    let hook = TcpListener::bind("127.0.0.1:0").expect("hook");
    let hook_port = hook.local_addr().expect("addr").port();
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    {
        let received = received.clone();
        std::thread::spawn(move || {
            for conn in hook.incoming() {
                let Ok(mut conn) = conn else { break };
                let mut buf = vec![0u8; 65536];
                let mut got = Vec::new();
                conn.set_read_timeout(Some(Duration::from_secs(2))).ok();
                while let Ok(n) = conn.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                    if got.ends_with(b"}") {
                        break;
                    }
                }
                // Kept before answering, so whoever sees the answer can look.
                received
                    .lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&got).into_owned());
                let _ = conn.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
            }
        });
    }
    let policy = root.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!("[alerts]\nwebhook = \"http://127.0.0.1:{hook_port}/alerts\"\n"),
    )
    .expect("policy");
    let server = [
        "--".to_string(),
        parts.python.clone(),
        py_server(&parts).display().to_string(),
        "stdio".into(),
    ];
    let (px, port) = proxy(
        &ledger,
        &["--policy", policy.to_str().expect("utf8")],
        &server,
    );
    // Sequential ids: bulk enumeration.
    let mut steps = vec![json!({"list": true}), json!({"call": "read_config"})];
    for id in 1..=6 {
        steps.push(json!({"call": "get_customer", "args": {"customer_id": id}}));
    }
    let out = http_client(&parts, &url(port), "legacy", &json!(steps));
    assert_eq!(
        out[0]["tools"],
        json!(["echo", "get_customer", "read_config"])
    );
    let config = out[1]["text"][0].as_str().expect("text");
    assert!(config.contains("region=eu-west-1"), "{config}");
    assert!(!config.contains("AKIAZ3MSJV4WZKQ7XH2P"), "{config}");
    assert!(
        out[7]["text"][0]
            .as_str()
            .expect("text")
            .contains("c6@example.org")
    );

    // Freeze: the server process is stopped; unfence resumes it. (The client ended its
    // session with DELETE, which stopped that server; a new session starts another.)
    let _session = open_session(port);
    let status = admin(&ledger, &["status"]);
    let pid = status["status"]["server_pids"][0].as_u64().expect("pid");
    let state = |pid: u64| -> char {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let after = stat.rsplit_once(')').expect("comm").1;
        after.trim_start().chars().next().expect("state")
    };
    assert_eq!(admin(&ledger, &["fence", "--freeze"])["ok"], json!(true));
    // SIGSTOP is sent before the reply; the kernel stops the process when it next runs.
    let deadline = Instant::now() + Duration::from_secs(5);
    while state(pid) != 'T' {
        assert!(Instant::now() < deadline, "not stopped: {}", state(pid));
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(admin(&ledger, &["unfence"])["ok"], json!(true));
    let deadline = Instant::now() + Duration::from_secs(5);
    while state(pid) == 'T' {
        assert!(Instant::now() < deadline, "still stopped after unfence");
        std::thread::sleep(Duration::from_millis(20));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while !received
        .lock()
        .expect("lock")
        .iter()
        .any(|r| r.contains("bulk_enumeration"))
    {
        assert!(
            Instant::now() < deadline,
            "no webhook delivery: {:?}",
            received.lock().expect("lock")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        received.lock().expect("lock")[0].starts_with("POST /alerts HTTP/1.1"),
        "{:?}",
        received.lock().expect("lock")
    );
    px.terminate();
    assert_eq!(verify(&ledger, &key), 0);
    let recs = records(&ledger);
    assert!(recs.iter().any(|r| r["kind"] == "alert.bulk_enumeration"));
    let fence = recs
        .iter()
        .find(|r| r["kind"] == "admin.fence")
        .expect("fence record");
    assert_eq!(fence["admin"]["frozen"], json!(true));
    assert_eq!(
        recs.iter()
            .filter(|r| r["kind"] == "tool.result" && r["result"]["status"] == "ok")
            .count(),
        7
    );
}

#[test]
fn bearer_principals_get_their_scope_and_rate_limits_apply() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    init_ledger(&ledger);
    let (_everything, up) = everything_http(&parts);
    // The policy names the principal by its token's SHA-256: it holds no usable credential.
    let hash = |token: &[u8]| {
        use sha2::Digest as _;
        let d = sha2::Sha256::digest(token);
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let (token_hash, other_hash) = (hash(b"bot-token"), hash(b"other-token"));
    let policy = root.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[auth]\nrequire = true\n[[auth.principals]]\nname = \"ci-bot\"\n\
             token_sha256 = \"{token_hash}\"\n\
             [[auth.principals]]\nname = \"other\"\ntoken_sha256 = \"{other_hash}\"\n\
             [[scopes]]\nprincipal = \"ci-bot\"\nallow = [\"get-*\"]\n\
             [rate]\nper_session = 0.01\nburst = 2\n"
        ),
    )
    .expect("policy");
    let (px, port) = proxy(
        &ledger,
        &[
            "--policy",
            policy.to_str().expect("utf8"),
            "--session-idle-secs",
            "4",
        ],
        &["--upstream".into(), url(up)],
    );
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    // No token, or an unknown one: 401.
    let (status, head, _) = http(port, "POST", &[ACCEPT, JSON], &init.to_string());
    assert_eq!(status, 401);
    assert_eq!(header(&head, "www-authenticate"), Some("Bearer"));
    let wrong = ("Authorization", "Bearer nope");
    assert_eq!(
        http(port, "POST", &[ACCEPT, JSON, wrong], &init.to_string()).0,
        401
    );
    let auth = ("Authorization", "Bearer bot-token");
    let (status, head, body) = http(port, "POST", &[ACCEPT, JSON, auth], &init.to_string());
    assert_eq!(status, 200, "{body}");
    let sid = header(&head, "mcp-session-id")
        .expect("session")
        .to_string();
    let h = [
        ACCEPT,
        JSON,
        auth,
        ("Mcp-Session-Id", sid.as_str()),
        ("MCP-Protocol-Version", "2025-11-25"),
    ];
    let call = |id: u64, tool: &str, args: Value| -> Value {
        let req = json!({"jsonrpc":"2.0","id":id,"method":"tools/call",
            "params":{"name":tool,"arguments":args}});
        let (_, _, body) = http(port, "POST", &h, &req.to_string());
        messages(&body)
            .into_iter()
            .find(|m| m.get("id").is_some())
            .unwrap_or(Value::Null)
    };
    // The scope: get-* only; tools/list is filtered to match.
    let list = json!({"jsonrpc":"2.0","id":1,"method":"tools/list"});
    let (_, _, body) = http(port, "POST", &h, &list.to_string());
    let names: Vec<String> = messages(&body)[0]["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(names.iter().all(|n| n.starts_with("get-")), "{names:?}");
    let refused = call(2, "echo", json!({"message": "x"}));
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("outside the scope of `ci-bot`"),
        "{refused}"
    );
    // The rate: a burst of 2 (a call the policy refused takes no token), then refused
    // (a token comes back every 100 s, so no refill in between on a slow machine).
    for id in [3, 4] {
        assert_eq!(
            call(id, "get-sum", json!({"a": 1, "b": 2}))["result"]["content"][0]["text"],
            "The sum of 1 and 2 is 3."
        );
    }
    let limited = call(5, "get-sum", json!({"a": 1, "b": 2}));
    assert!(
        limited["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("rate limit"),
        "{limited}"
    );
    // Another principal presenting this session's id does not get its scope.
    let other = ("Authorization", "Bearer other-token");
    let hijack = [ACCEPT, JSON, other, ("Mcp-Session-Id", sid.as_str())];
    let list = json!({"jsonrpc":"2.0","id":6,"method":"tools/list"});
    assert_eq!(http(port, "POST", &hijack, &list.to_string()).0, 403);
    // A session nobody uses is ended after --session-idle-secs.
    wait_until("the idle session to be ended", || {
        admin(&ledger, &["status"])["status"]["sessions"]
            .as_array()
            .is_some_and(Vec::is_empty)
    });
    px.terminate();
    let recs = records(&ledger);
    let denied: Vec<&str> = recs
        .iter()
        .filter(|r| r["result"]["status"] == "denied")
        .filter_map(|r| r["result"]["error.type"].as_str())
        .collect();
    assert_eq!(denied, ["policy", "rate_limit"]);
    assert!(
        recs.iter()
            .filter(|r| r["kind"] == "tool.intent")
            .all(|r| r["attributes"]["principal"] == "ci-bot")
    );
}

#[test]
fn a_stdio_server_that_crashes_or_prints_garbage_behind_http() {
    let Some(parts) = parts() else { return };
    let fake = parts.client.with_file_name("fake_server.py");
    for mode in ["garbage", "crash"] {
        let root = tempfile::tempdir().expect("tempdir");
        let ledger = root.path().join("ledger");
        let key = init_ledger(&ledger);
        let server = [
            "--".to_string(),
            "python3".into(),
            fake.display().to_string(),
            mode.into(),
        ];
        let (px, port) = proxy(&ledger, &[], &server);
        let sid = open_session(port);
        let (status, answer) = echo(port, &sid, 7);
        assert_eq!(status, 200);
        assert_eq!(answer["id"], 7, "{answer}");
        if mode == "crash" {
            assert_eq!(answer["error"]["code"], -32003, "{answer}");
            // The session is gone with its server: 404, as the protocol says.
            let (status, _) = echo(port, &sid, 8);
            assert_eq!(status, 404);
        } else {
            assert_eq!(answer["result"]["isError"], false, "{answer}");
        }
        px.terminate();
        assert_eq!(verify(&ledger, &key), 0);
        let recs = records(&ledger);
        let result = recs
            .iter()
            .find(|r| r["kind"] == "tool.result")
            .expect("the call is recorded");
        let expected = if mode == "crash" { "failed" } else { "ok" };
        assert_eq!(result["result"]["status"], expected, "{result:#}");
    }
}

/// Sends a `tools/call` of the long-running tool in `session` on a raw connection and
/// returns the connection (the answer arrives later, on its SSE stream).
fn start_long_call(port: u16, session: &str, id: u64, seconds: f64) -> TcpStream {
    let call = json!({"jsonrpc":"2.0","id":id,"method":"tools/call",
        "params":{"name":"trigger-long-running-operation","arguments":{"duration":seconds,"steps":2}}});
    let body = call.to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let req = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nMcp-Session-Id: {session}\r\n\
         MCP-Protocol-Version: 2025-11-25\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send");
    s
}

#[test]
fn calls_are_recorded_when_the_client_leaves_and_cancelled_when_fenced() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let key = init_ledger(&ledger);
    let (_everything, up) = everything_http(&parts);
    let (px, port) = proxy(&ledger, &[], &["--upstream".into(), url(up)]);
    let sid = open_session(port);

    // The client hangs up while the call runs: the result is still recorded.
    let gone = start_long_call(port, &sid, 10, 0.4);
    wait_until("call 10's intent record", || {
        has_record(&ledger, "tool.intent", "10")
    });
    drop(gone);
    wait_until("call 10's result, recorded after its client left", || {
        has_record(&ledger, "tool.result", "10")
    });

    // A call in flight when the fence comes: the client gets the fence's error at once,
    // long before the tool's 30 s are up.
    let mut fenced = start_long_call(port, &sid, 11, 30.0);
    wait_until("call 11 in flight", || {
        admin(&ledger, &["status"])["status"]["sessions"][0]["in_flight"] == 1
    });
    let t0 = Instant::now();
    let fence = admin(
        &ledger,
        &["fence", "--tool", "trigger-long-running-operation"],
    );
    assert_eq!(fence["ok"], json!(true), "{fence}");
    assert_eq!(fence["cancelled_in_flight"], json!(1), "{fence}");
    fenced
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut answer = String::new();
    let _ = fenced.read_to_string(&mut answer);
    assert!(
        t0.elapsed() < Duration::from_secs(15),
        "the fenced call waited for the tool"
    );
    assert!(
        answer.contains("-32001") && answer.contains("fenced"),
        "{answer}"
    );
    wait_until("call 11's cancellation record", || {
        has_record(&ledger, "tool.result", "11")
    });
    px.terminate();

    assert_eq!(verify(&ledger, &key), 0);
    let recs = records(&ledger);
    let result_of = |id: &str| -> Vec<&Value> {
        recs.iter()
            .filter(|r| r["kind"] == "tool.result" && r["jsonrpc.request.id"] == id)
            .collect()
    };
    let left = result_of("10");
    assert_eq!(left.len(), 1, "{recs:#?}");
    assert_eq!(left[0]["result"]["status"], "ok");
    let cancelled = result_of("11");
    assert!(
        cancelled
            .iter()
            .any(|r| r["result"]["status"] == "cancelled"),
        "{cancelled:#?}"
    );
}
