//! `warden proxy` over stdio with real parts: the reference server
//! `@modelcontextprotocol/server-everything` (npm) as the upstream and the official Python
//! SDK (`mcp`, PyPI) as the client, both installed by `scripts/setup-mcp-test-deps.sh`
//! (which `.ci/run` runs). Transparency, recording, policy and the fence.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warden_ledger::reader::LogFiles;

struct Parts {
    python: String,
    everything: String,
    client: PathBuf,
}

fn parts() -> Option<Parts> {
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

fn warden_bin() -> String {
    assert_cmd::cargo::cargo_bin("warden").display().to_string()
}

/// Runs the Python client against `server` (argv) with `steps`; returns one JSON value
/// per printed line.
fn client(parts: &Parts, server: &[String], steps: &Value) -> Vec<Value> {
    let mut child = Command::new(&parts.python)
        .arg(&parts.client)
        .args(server)
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

fn init_ledger(dir: &Path) -> PathBuf {
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

fn proxied(parts: &Parts, ledger: &Path, extra: &[&str]) -> Vec<String> {
    let mut argv = vec![
        warden_bin(),
        "proxy".into(),
        "--ledger".into(),
        ledger.display().to_string(),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    argv.extend([
        "--".into(),
        "node".into(),
        parts.everything.clone(),
        "stdio".into(),
    ]);
    argv
}

fn records(ledger: &Path) -> Vec<Value> {
    LogFiles::open(ledger)
        .expect("ledger")
        .records(0)
        .map(|r| serde_json::from_slice(&r.expect("record").1).expect("json"))
        .collect()
}

fn verify(ledger: &Path, key: &Path) -> i32 {
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

#[test]
fn proxy_is_transparent_and_records_every_call() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let key = init_ledger(&ledger);
    let steps = json!([
        {"list": true},
        {"call": "echo", "args": {"message": "hi alice@example.com see https://files.example.net/x"}},
        {"call": "get-sum", "args": {"a": 2, "b": 3}},
        {"call": "no-such-tool"}
    ]);
    let direct_server = vec!["node".to_string(), parts.everything.clone(), "stdio".into()];
    let direct = client(&parts, &direct_server, &steps);
    let through = client(&parts, &proxied(&parts, &ledger, &[]), &steps);
    assert_eq!(through, direct, "the proxy changed what the client saw");

    let recs = records(&ledger);
    let intents: Vec<&Value> = recs.iter().filter(|r| r["kind"] == "tool.intent").collect();
    let results: Vec<&Value> = recs.iter().filter(|r| r["kind"] == "tool.result").collect();
    assert_eq!(intents.len(), 3, "{recs:#?}");
    assert_eq!(results.len(), 3, "{recs:#?}");
    for i in &intents {
        assert!(
            results.iter().any(|r| r["call_id"] == i["call_id"]),
            "intent without result: {i}"
        );
        let digest = i["args_digest"].as_str().unwrap_or_default();
        assert!(digest.starts_with("hmac-sha256:"), "{i}");
    }
    // Arguments never appear in clear.
    let all = recs.iter().map(Value::to_string).collect::<String>();
    assert!(!all.contains("hi alice"), "arguments stored in clear");
    let echo = results
        .iter()
        .find(|r| r["gen_ai.tool.name"] == "echo")
        .expect("echo result");
    assert_eq!(echo["result"]["status"], "ok");
    assert_eq!(echo["result"]["data_classes"], json!(["email"]));
    assert_eq!(
        echo["result"]["outbound_hosts"],
        json!(["files.example.net"])
    );
    assert_eq!(echo["mcp.method.name"], "tools/call");
    assert_eq!(echo["network.transport"], "pipe");
    assert!(echo["mcp.protocol.version"].is_string(), "{echo}");
    let missing = results
        .iter()
        .find(|r| r["gen_ai.tool.name"] == "no-such-tool")
        .expect("result");
    assert_ne!(missing["result"]["status"], "ok");
    assert!(
        recs.iter()
            .any(|r| r["kind"] == "rpc.call" && r["mcp.method.name"] == "tools/list"),
        "tools/list recorded"
    );
    assert_eq!(verify(&ledger, &key), 0);
}

#[test]
fn policy_denies_and_filters_and_the_fence_stops_calls() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let key = init_ledger(&ledger);
    let socket = root.path().join("admin.sock");
    let steps = json!([
        {"list": true},
        {"call": "get-env"},
        {"call": "echo", "args": {"message": "before"}},
        {"sleep": 3.0},
        {"call": "echo", "args": {"message": "after"}}
    ]);
    let server = proxied(
        &parts,
        &ledger,
        &[
            "--deny-tool",
            "get-env",
            "--admin-socket",
            socket.to_str().unwrap_or_default(),
        ],
    );
    let handle = {
        let python = parts.python.clone();
        let client_path = parts.client.clone();
        let steps = steps.clone();
        std::thread::spawn(move || {
            let p = Parts {
                python,
                everything: String::new(),
                client: client_path,
            };
            client(&p, &server, &steps)
        })
    };
    // Fence once the first echo is recorded.
    let t0 = Instant::now();
    while !records_if_any(&ledger)
        .iter()
        .any(|r| r["kind"] == "tool.result" && r["gen_ai.tool.name"] == "echo")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the first echo never got recorded"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = Command::new(warden_bin())
        .args(["proxy", "fence", "--admin-socket"])
        .arg(&socket)
        .args(["--reason", "test incident"])
        .output()
        .expect("fence");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let reply: Value = serde_json::from_slice(&out.stdout).expect("reply");
    assert_eq!(reply["recorded"], true, "{reply}");
    let got = handle.join().expect("client thread");

    let tools = got[0]["tools"].as_array().expect("tool list");
    assert!(
        !tools.contains(&json!("get-env")),
        "denied tool still listed"
    );
    assert!(tools.contains(&json!("echo")));
    let denied = got[1].to_string();
    assert!(denied.contains("refused by warden proxy"), "{denied}");
    assert_eq!(got[2]["text"], json!(["Echo: before"]));
    let fenced = got[3].to_string();
    assert!(
        fenced.contains("fenced by the operator: test incident"),
        "{fenced}"
    );

    let recs = records(&ledger);
    let statuses: Vec<(String, String)> = recs
        .iter()
        .filter(|r| r["kind"] == "tool.result")
        .map(|r| {
            (
                r["gen_ai.tool.name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                r["result"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("get-env".to_string(), "denied".to_string()),
            ("echo".to_string(), "ok".to_string()),
            ("echo".to_string(), "denied".to_string()),
        ]
    );
    assert!(
        recs.iter()
            .any(|r| r["kind"] == "admin.fence" && r["admin"]["reason"] == "test incident")
    );
    assert_eq!(verify(&ledger, &key), 0);
}

fn records_if_any(ledger: &Path) -> Vec<Value> {
    let Ok(files) = LogFiles::open(ledger) else {
        return Vec::new();
    };
    files
        .records(0)
        .filter_map(Result::ok)
        .filter_map(|(_, p)| serde_json::from_slice(&p).ok())
        .collect()
}
