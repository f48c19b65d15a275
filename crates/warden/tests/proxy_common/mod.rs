//! Helpers shared by the proxy's integration tests (stdio and HTTP): the real parts
//! installed by `scripts/setup-mcp-test-deps.sh`, the Python SDK client, the ledger.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use warden_ledger::reader::LogFiles;

#[derive(Clone)]
pub struct Parts {
    pub python: String,
    pub everything: String,
    pub client: PathBuf,
}

pub fn parts() -> Option<Parts> {
    match (
        std::env::var("WARDEN_TEST_PYTHON"),
        std::env::var("WARDEN_TEST_EVERYTHING"),
    ) {
        (Ok(python), Ok(everything)) => Some(Parts {
            python,
            everything,
            client: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../warden-proxy/tests/clients/py_client.py"),
        }),
        _ if std::env::var_os("CI").is_some() => panic!(
            "CI is set but WARDEN_TEST_PYTHON / WARDEN_TEST_EVERYTHING are not: .ci/run must run scripts/setup-mcp-test-deps.sh"
        ),
        _ => {
            eprintln!(
                "skipping: eval \"$(bash scripts/setup-mcp-test-deps.sh)\" to run the proxy tests"
            );
            None
        }
    }
}

pub fn warden_bin() -> String {
    assert_cmd::cargo::cargo_bin("warden").display().to_string()
}

/// Runs the Python client against `server` (argv) with `steps`; returns one JSON value
/// per printed line.
pub fn client(parts: &Parts, server: &[String], steps: &Value) -> Vec<Value> {
    client_env(parts, server, steps, &json!({}))
}

/// [`client`], with extra environment variables for the server.
pub fn client_env(parts: &Parts, server: &[String], steps: &Value, env: &Value) -> Vec<Value> {
    run_client(
        parts,
        server,
        ("MCP_CLIENT_SERVER_ENV", &env.to_string()),
        steps,
    )
}

fn run_client(parts: &Parts, args: &[String], env: (&str, &str), steps: &Value) -> Vec<Value> {
    let mut child = Command::new(&parts.python)
        .arg(&parts.client)
        .args(args)
        .env(env.0, env.1)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python client");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(steps.to_string().as_bytes())
        .expect("steps");
    let out = child.wait_with_output().expect("client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client failed: {}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("client line is JSON"))
        .collect()
}

pub fn init_ledger(dir: &Path) -> PathBuf {
    let out = Command::new(warden_bin())
        .args(["log", "init"])
        .arg(dir)
        .args(["--origin", "test.local/proxy"])
        .output()
        .expect("init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("ledger.pub")
}

pub fn records(ledger: &Path) -> Vec<Value> {
    LogFiles::open(ledger)
        .expect("ledger")
        .records(0)
        .map(|r| serde_json::from_slice(&r.expect("record").1).expect("json"))
        .collect()
}

/// The records so far, tolerating a ledger the proxy is still writing (for polling).
pub fn records_if_any(ledger: &Path) -> Vec<Value> {
    let Ok(files) = LogFiles::open(ledger) else {
        return Vec::new();
    };
    files
        .records(0)
        .filter_map(Result::ok)
        .filter_map(|(_, p)| serde_json::from_slice(&p).ok())
        .collect()
}

/// Whether the ledger holds a record of `kind` for JSON-RPC id `id`.
pub fn has_record(ledger: &Path, kind: &str, id: &str) -> bool {
    records_if_any(ledger)
        .iter()
        .any(|r| r["kind"] == kind && r["jsonrpc.request.id"] == id)
}

/// Polls `ready` every 50 ms until it holds; fails after 30 s naming `what`. Tests wait
/// for what they need this way, never for a fixed time.
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "gave up after 30 s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub fn verify(ledger: &Path, key: &Path) -> i32 {
    Command::new(warden_bin())
        .args(["log", "verify"])
        .arg(ledger)
        .arg("--key")
        .arg(key)
        .status()
        .expect("verify")
        .code()
        .unwrap_or(-1)
}

/// The Python SDK's test server (`py_server.py`).
pub fn py_server(parts: &Parts) -> PathBuf {
    parts.client.with_file_name("py_server.py")
}

/// Runs the Python client against a Streamable HTTP `url` in protocol `mode` (`legacy`,
/// `auto` or `2026-07-28`); one JSON value per printed line.
pub fn http_client(parts: &Parts, url: &str, mode: &str, steps: &Value) -> Vec<Value> {
    run_client(parts, &[url.to_string()], ("MCP_CLIENT_MODE", mode), steps)
}
