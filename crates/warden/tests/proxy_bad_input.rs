//! The proxy against bad input from both sides: malformed JSON, non-UTF-8, oversize
//! messages, unknown methods, a flood, a slow client, a server that prints garbage and a
//! server that crashes. Each gets a clear error or a clean recovery, and everything the
//! proxy acknowledged is in the ledger. The server is `tests/clients/fake_server.py`
//! (plain Python, no packages).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};
use warden_ledger::reader::LogFiles;

fn warden() -> String {
    assert_cmd::cargo::cargo_bin("warden").display().to_string()
}

fn fake_server() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../warden-proxy/tests/clients/fake_server.py")
}

struct Proxy {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Proxy {
    fn start(ledger: &Path, mode: &str, extra: &[&str]) -> Proxy {
        let ok = Command::new(warden())
            .args(["log", "init"])
            .arg(ledger)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("init")
            .success();
        assert!(ok);
        let mut child = Command::new(warden())
            .args(["proxy", "--ledger"])
            .arg(ledger)
            .args(extra)
            .args(["--", "python3"])
            .arg(fake_server())
            .arg(mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("proxy");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Proxy {
            child,
            stdin,
            stdout,
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let w = self.stdin.as_mut().expect("stdin open");
        w.write_all(bytes).expect("write");
        w.flush().expect("flush");
    }

    fn send(&mut self, v: Value) {
        let mut line = serde_json::to_vec(&v).expect("json");
        line.push(b'\n');
        self.send_raw(&line);
    }

    fn recv(&mut self) -> Value {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read");
        assert!(!line.is_empty(), "the proxy closed its output");
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not JSON from the proxy ({e}): {line}"))
    }

    fn call(&mut self, id: u64, args: Value) -> Value {
        self.send(json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":"echo","arguments":args}}));
        self.recv()
    }

    fn finish(mut self) -> Option<i32> {
        drop(self.stdin.take());
        self.child.wait().ok().and_then(|s| s.code())
    }
}

fn records(ledger: &Path) -> Vec<Value> {
    LogFiles::open(ledger)
        .expect("ledger")
        .records(0)
        .map(|r| serde_json::from_slice(&r.expect("record").1).expect("json"))
        .collect()
}

#[test]
fn malformed_oversize_and_unknown_input_get_errors_and_the_session_goes_on() {
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let mut p = Proxy::start(&ledger, "echo", &["--max-message", "2000"]);
    p.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\n");
    let e = p.recv();
    assert_eq!(e["error"]["code"], -32700, "{e}");
    p.send_raw(b"\xff\xfe{}\n");
    assert_eq!(p.recv()["error"]["code"], -32700);
    p.send_raw(&[b"{\"pad\":\"".as_slice(), &[b'x'; 5000], b"\"}\n"].concat());
    let e = p.recv();
    assert_eq!(e["error"]["code"], -32600, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("over the proxy"),
        "{e}"
    );
    p.send(json!([{"jsonrpc":"2.0","id":2,"method":"ping"}]));
    assert!(
        p.recv()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("batches")
    );
    p.send(json!({"jsonrpc":"2.0","id":3,"method":"no/such/method"}));
    let e = p.recv();
    assert_eq!(
        e["error"]["code"], -32601,
        "forwarded and answered by the server: {e}"
    );
    p.send(json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{}}));
    assert_eq!(p.recv()["error"]["code"], -32602);
    // A tools/call without an id is not a notification: dropped, never forwarded.
    p.send(json!({"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo","arguments":{"sneaky":1}}}));
    let ok = p.call(5, json!({"n": 1}));
    assert_eq!(ok["result"]["isError"], false, "{ok}");
    assert_eq!(p.finish(), Some(0));
    let recs = records(&ledger);
    assert!(recs.iter().any(|r| r["kind"] == "rpc.call"
        && r["mcp.method.name"] == "no/such/method"
        && r["result"]["status"] == "failed"));
    assert!(
        recs.iter()
            .any(|r| r["kind"] == "tool.result" && r["jsonrpc.request.id"] == "5")
    );
}

#[test]
fn a_flood_and_a_slow_reader_lose_nothing() {
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let mut p = Proxy::start(&ledger, "echo", &[]);
    let n = 3000u64;
    // Write everything before reading anything: the proxy must push back, not drop.
    let mut stdin = p.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        for id in 0..n {
            let line = format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"echo\",\"arguments\":{{\"i\":{id},\"pad\":\"{}\"}}}}}}\n",
                "p".repeat(512)
            );
            stdin.write_all(line.as_bytes()).expect("write");
        }
        stdin
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut seen = std::collections::HashSet::new();
    for _ in 0..n {
        let v = p.recv();
        assert!(v.get("result").is_some(), "{v}");
        seen.insert(v["id"].as_u64().expect("id"));
    }
    assert_eq!(seen.len() as u64, n);
    p.stdin = Some(writer.join().expect("writer"));
    assert_eq!(p.finish(), Some(0));
    let results = records(&ledger)
        .iter()
        .filter(|r| r["kind"] == "tool.result" && r["result"]["status"] == "ok")
        .count() as u64;
    assert_eq!(results, n, "every answered call is recorded");
}

#[test]
fn a_server_that_prints_garbage_is_filtered() {
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let mut p = Proxy::start(&ledger, "garbage", &[]);
    for id in 1..=3 {
        let v = p.call(id, json!({"k": id}));
        assert_eq!(v["id"], id, "only the valid answers reach the client: {v}");
    }
    assert_eq!(p.finish(), Some(0));
}

#[test]
fn a_crashing_server_fails_calls_cleanly_and_they_are_recorded() {
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let mut p = Proxy::start(&ledger, "crash", &[]);
    let v = p.call(7, json!({"a": 1}));
    assert_eq!(v["error"]["code"], -32003, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("exited"),
        "{v}"
    );
    assert_eq!(
        p.finish(),
        Some(3),
        "the proxy exits with the server's status"
    );
    let recs = records(&ledger);
    let intent = recs
        .iter()
        .any(|r| r["kind"] == "tool.intent" && r["jsonrpc.request.id"] == "7");
    let failed = recs.iter().any(|r| {
        r["kind"] == "tool.result"
            && r["jsonrpc.request.id"] == "7"
            && r["result"]["status"] == "failed"
    });
    assert!(intent && failed, "{recs:#?}");
}

#[test]
fn a_paginated_tool_list_is_pinned_whole() {
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let mut p = Proxy::start(&ledger, "paged", &[]);
    p.send(json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}));
    assert_eq!(p.recv()["result"]["nextCursor"], "p2");
    p.send(json!({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"p2"}}));
    assert_eq!(p.recv()["result"]["tools"][0]["name"], "second");
    // Pinned with the first page on first sight, the tool on page 2 is not "new".
    p.send(json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"second","arguments":{}}}));
    let r = p.recv();
    assert_eq!(r["result"]["isError"], false, "{r}");
    // Listing again: page 1 alone does not make `second` "removed".
    p.send(json!({"jsonrpc":"2.0","id":4,"method":"tools/list"}));
    p.recv();
    p.send(json!({"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"cursor":"p2"}}));
    p.recv();
    assert_eq!(p.finish(), Some(0));
    let recs = records(&ledger);
    assert!(
        !recs.iter().any(|r| r["kind"] == "alert.tool_pin"),
        "{recs:#?}"
    );
    let pins: Value = serde_json::from_str(
        &std::fs::read_to_string(ledger.join("tool-pins.json")).expect("pins"),
    )
    .expect("json");
    assert!(pins.to_string().contains("second"), "{pins}");
}

/// A client stopping its server sends SIGTERM (the MCP SDKs do): the proxy closes the
/// server's input (it exits on its own), and the log is closed and signed to its last
/// record — SIGTERM comes right after the last answer, before the background
/// checkpointer's next tick could have signed it.
#[test]
fn sigterm_closes_and_signs_the_log() {
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let mut p = Proxy::start(&ledger, "echo", &[]);
    for id in 1..=3 {
        let ok = p.call(id, json!({"n": id}));
        assert_eq!(ok["result"]["isError"], false, "{ok}");
    }
    let killed = Command::new("kill")
        .args(["-TERM", &p.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = p.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the proxy did not exit after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    // The server's own exit code: it saw its input end and exited, it was not killed.
    assert_eq!(status.code(), Some(0), "{status:?}");
    let out = Command::new(warden())
        .args(["log", "verify"])
        .arg(&ledger)
        .arg("--key")
        .arg(ledger.join("ledger.pub"))
        .output()
        .expect("verify");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = records(&ledger);
    assert_eq!(
        recs.iter().filter(|r| r["kind"] == "tool.result").count(),
        3
    );
}
