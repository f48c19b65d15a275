//! `warden proxy` over stdio with real parts: the reference server
//! `@modelcontextprotocol/server-everything` (npm) as the upstream and the official Python
//! SDK (`mcp`, PyPI) as the client, both installed by `scripts/setup-mcp-test-deps.sh`
//! (which `.ci/run` runs). Transparency, recording, policy and the fence.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod proxy_common;
use proxy_common::*;

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
    assert_eq!(echo["attributes"]["email_domains"], json!(["example.com"]));
    assert!(
        echo["attributes"]["email_digests"][0]
            .as_str()
            .is_some_and(|d| d.starts_with("hmac-sha256:")),
        "{echo}"
    );
    assert!(!all.contains("alice@"), "an address stored in clear");
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
    let fenced_marker = root.path().join("fenced");
    let steps = json!([
        {"list": true},
        {"call": "get-env"},
        {"call": "echo", "args": {"message": "before"}},
        {"wait_file": fenced_marker},
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
        let (p, steps) = (parts.clone(), steps.clone());
        std::thread::spawn(move || client(&p, &server, &steps))
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
    std::fs::write(&fenced_marker, b"").expect("marker");
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

#[test]
fn strict_arguments_redaction_and_the_loop_brake() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let key = init_ledger(&ledger);
    let policy = root.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[strict]\nenabled = true\n\n[brake]\nmax_identical = 2\nwindow_ms = 60000\n",
    )
    .expect("policy");
    let token = format!("ghp_{}", "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8B");
    let steps = json!([
        {"list": true},
        {"call": "get-sum", "args": {"a": "two", "b": 3}},
        {"call": "get-sum", "args": {"a": 2, "b": 3, "cmd": "rm -rf /"}},
        {"call": "get-env"},
        {"call": "echo", "args": {"message": "x"}},
        {"call": "echo", "args": {"message": "x"}},
        {"call": "echo", "args": {"message": "x"}},
        {"call": "get-sum", "args": {"a": 2, "b": 3}}
    ]);
    let argv = proxied(
        &parts,
        &ledger,
        &["--policy", policy.to_str().unwrap_or_default()],
    );
    let got = client_env(
        &parts,
        &argv,
        &steps,
        &json!({"WARDEN_TEST_LEAKED_TOKEN": token}),
    );
    assert_eq!(got.len(), 8, "{got:#?}");
    let wrong_type = got[1].to_string();
    assert!(
        wrong_type.contains("strict arguments") && wrong_type.contains("/a"),
        "{wrong_type}"
    );
    let unknown_key = got[2].to_string();
    assert!(
        unknown_key.contains("does not declare `cmd`"),
        "{unknown_key}"
    );
    let env = got[3].to_string();
    assert!(!env.contains(&token), "the token reached the client: {env}");
    assert!(env.contains("[REDACTED "), "{env}");
    assert_eq!(got[4]["text"], json!(["Echo: x"]));
    assert_eq!(got[5]["text"], json!(["Echo: x"]));
    let braked = got[6].to_string();
    assert!(braked.contains("loop brake"), "{braked}");
    let after = got[7].to_string();
    assert!(
        after.contains("fenced by the operator: loop brake"),
        "{after}"
    );

    let recs = records(&ledger);
    let all = recs.iter().map(Value::to_string).collect::<String>();
    assert!(!all.contains(&token), "the token reached the ledger");
    let env_result = recs
        .iter()
        .find(|r| r["kind"] == "tool.result" && r["gen_ai.tool.name"] == "get-env")
        .expect("get-env result");
    assert!(
        env_result["attributes"]["redactions"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{env_result}"
    );
    let denied: Vec<&str> = recs
        .iter()
        .filter(|r| r["kind"] == "tool.result" && r["result"]["status"] == "denied")
        .filter_map(|r| r["result"]["error.type"].as_str())
        .collect();
    assert_eq!(
        denied,
        vec!["strict_arguments", "strict_arguments", "brake", "fence"]
    );
    assert!(
        recs.iter()
            .any(|r| r["kind"] == "admin.fence" && r["admin"]["automatic"] == true)
    );
    assert_eq!(verify(&ledger, &key), 0);
}

#[test]
fn a_changed_tool_is_quarantined_until_approved() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let key = init_ledger(&ledger);
    let socket = root.path().join("admin.sock");
    let sock = socket.to_str().unwrap_or_default().to_string();
    // First run pins every tool.
    let got = client(
        &parts,
        &proxied(&parts, &ledger, &[]),
        &json!([{"list": true}]),
    );
    assert!(
        got[0]["tools"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("echo")))
    );
    let pins_path = ledger.join("tool-pins.json");
    let mut pins: Value =
        serde_json::from_slice(&std::fs::read(&pins_path).expect("pins")).expect("json");
    // Pretend `echo` was reviewed with another definition: the server's is now a change.
    pins["tools"]["echo"] =
        json!("sha256:0000000000000000000000000000000000000000000000000000000000000000");
    std::fs::write(&pins_path, pins.to_string()).expect("write pins");

    let approved_marker = root.path().join("approved");
    let steps = json!([
        {"list": true},
        {"call": "echo", "args": {"message": "q"}},
        {"wait_file": approved_marker},
        {"list": true},
        {"call": "echo", "args": {"message": "q"}}
    ]);
    let argv = proxied(&parts, &ledger, &["--admin-socket", &sock]);
    let p = parts.clone();
    let handle = std::thread::spawn(move || client(&p, &argv, &steps));
    let t0 = Instant::now();
    while !records_if_any(&ledger)
        .iter()
        .any(|r| r["kind"] == "tool.result" && r["result"]["error.type"] == "quarantine")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the quarantined call never got recorded"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = Command::new(warden_bin())
        .args([
            "proxy",
            "approve",
            "--admin-socket",
            &sock,
            "--tool",
            "echo",
        ])
        .output()
        .expect("approve");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::write(&approved_marker, b"").expect("marker");
    let got = handle.join().expect("client");
    assert!(
        !got[0]["tools"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("echo"))),
        "quarantined tool listed"
    );
    assert!(got[1].to_string().contains("quarantined"), "{}", got[1]);
    assert!(
        got[2]["tools"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("echo"))),
        "approved tool hidden"
    );
    assert_eq!(got[3]["text"], json!(["Echo: q"]));
    let recs = records(&ledger);
    assert!(recs.iter().any(|r| r["kind"] == "alert.tool_pin"
        && r["attributes"]["tool"] == "echo"
        && r["attributes"]["change"] == "changed"));
    assert!(recs.iter().any(|r| r["kind"] == "admin.approve"));
    assert_eq!(verify(&ledger, &key), 0);
}

/// When the client goes away the proxy closes the server's stdin, waits for it, and exits
/// with its code, even with the admin socket open. Needs no MCP parts: `cat` will do.
#[test]
fn the_proxy_exits_when_the_client_closes_its_input() {
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    init_ledger(&ledger);
    let mut child = Command::new(warden_bin())
        .args(["proxy", "--ledger"])
        .arg(&ledger)
        .args(["--", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("proxy");
    drop(child.stdin.take());
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the proxy did not exit after EOF"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !ledger.join("proxy.sock").exists(),
        "the admin socket is removed on exit"
    );
}

/// A scripted attack through the proxy raises each detector's alert, in the alerts file
/// and in the ledger.
#[test]
fn each_detector_fires_on_a_scripted_attack() {
    let Some(parts) = parts() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let key = init_ledger(&ledger);
    let alerts = root.path().join("alerts.jsonl");
    // Working hours that exclude the current hour, so `out_of_hours` fires.
    let hour = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        / 3600)
        % 24;
    let policy = root.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[detect]\nwarmup_calls = 10\nbaseline_calls = 5\nenumeration_sequential_run = 5\nworking_hours_utc = [{}, {}]\n",
            (hour + 2) % 24,
            (hour + 3) % 24
        ),
    )
    .expect("policy");
    let mut steps = vec![json!({"list": true})];
    for i in 0..3 {
        steps.push(json!({"call": "echo", "args": {"message": format!("hello {i}")}}));
    }
    for i in 0..2 {
        steps.push(json!({"call": "get-sum", "args": {"a": i, "b": 1}}));
    }
    for id in 1..=6 {
        steps.push(json!({"call": "get-resource-reference", "args": {"resourceType": "Text", "resourceId": id}}));
    }
    steps.push(json!({"call": "get-env"}));
    steps.push(json!({"call": "echo", "args": {"message": "see https://exfil.evil.test/c?d=x"}}));
    steps.push(json!({"call": "toggle-simulated-logging"}));
    let argv = proxied(
        &parts,
        &ledger,
        &[
            "--policy",
            policy.to_str().unwrap_or_default(),
            "--alerts",
            alerts.to_str().unwrap_or_default(),
        ],
    );
    let got = client(&parts, &argv, &Value::Array(steps));
    assert!(got.iter().all(|g| g.get("error").is_none()), "{got:#?}");
    let lines = std::fs::read_to_string(&alerts).expect("alerts file");
    let fired: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).expect("alert json"))
        .collect();
    for rule in [
        "bulk_enumeration",
        "credential_exfiltration",
        "data_modification",
        "lateral_tool_abuse",
        "out_of_hours",
    ] {
        assert!(
            fired.iter().any(|a| a["rule"] == rule),
            "no {rule} alert in {lines}"
        );
    }
    let exfil = fired
        .iter()
        .find(|a| a["rule"] == "credential_exfiltration")
        .expect("exfil");
    assert!(
        exfil["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("exfil.evil.test"),
        "{exfil}"
    );
    let recs = records(&ledger);
    for rule in [
        "bulk_enumeration",
        "credential_exfiltration",
        "data_modification",
    ] {
        assert!(
            recs.iter().any(|r| r["kind"] == format!("alert.{rule}")),
            "alert.{rule} not in the ledger"
        );
    }
    assert_eq!(verify(&ledger, &key), 0);
}

/// The MCP Inspector CLI (Node) as a second real client: the same answers direct and
/// through the proxy, and the call recorded.
#[test]
fn the_inspector_cli_sees_the_same_through_the_proxy() {
    let Some(parts) = parts() else { return };
    let Ok(inspector) = std::env::var("WARDEN_TEST_INSPECTOR") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must provide the Inspector CLI"
        );
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let ledger = root.path().join("ledger");
    let key = init_ledger(&ledger);
    // The Inspector has no `--` for its target, so the proxied server is a script.
    let wrapper = root.path().join("proxied-server.sh");
    let argv = proxied(&parts, &ledger, &[]);
    let quoted: Vec<String> = argv
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    std::fs::write(&wrapper, format!("#!/bin/sh\nexec {}\n", quoted.join(" "))).expect("wrapper");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let inspect = |target: &[String], method: &[&str]| -> Value {
        let out = Command::new("node")
            .arg(&inspector)
            .args(target)
            .args(method)
            .output()
            .expect("inspector");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("inspector prints JSON")
    };
    let direct = vec!["node".to_string(), parts.everything.clone(), "stdio".into()];
    let through = vec![wrapper.display().to_string()];
    let call = [
        "--method",
        "tools/call",
        "--tool-name",
        "get-sum",
        "--tool-arg",
        "a=4",
        "--tool-arg",
        "b=5",
    ];
    assert_eq!(inspect(&through, &call), inspect(&direct, &call));
    let list = ["--method", "tools/list"];
    assert_eq!(inspect(&through, &list), inspect(&direct, &list));
    let recs = records(&ledger);
    assert!(recs.iter().any(|r| r["kind"] == "tool.result"
        && r["gen_ai.tool.name"] == "get-sum"
        && r["result"]["status"] == "ok"));
    assert_eq!(verify(&ledger, &key), 0);
}
