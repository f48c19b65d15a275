//! What `warden proxy` adds on stdio (run by `bench/proxy.sh`; results in
//! docs/benchmarks.md): round-trip latency of `tools/call` sequentially, direct and
//! through the proxy in each durability mode, calls/s with many requests in flight, and
//! the proxy's resident memory at idle. The server is `examples/echo_server.rs`, which
//! answers as fast as a server can, so the difference is the proxy's own cost.
//!
//! Needs WARDEN_BIN (the release `warden`) and ECHO_SERVER (the release example).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Session {
    fn start(argv: &[String]) -> Session {
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut s = Session {
            child,
            stdin,
            stdout,
            next_id: 1,
        };
        s.request("initialize", r#"{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}"#);
        s.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        s.request("tools/list", "{}");
        s
    }

    fn send(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).expect("write");
        self.stdin.write_all(b"\n").expect("write");
        self.stdin.flush().expect("flush");
    }

    fn call_line(&mut self, i: u64) -> String {
        let id = self.next_id;
        self.next_id += 1;
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"message":"order {i} for customer cus_{i} alice{i}@example.com"}}}}}}"#
        )
    }

    fn request(&mut self, method: &str, params: &str) -> String {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#
        ));
        self.read()
    }

    fn read(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read");
        assert!(!line.is_empty(), "the server closed its output");
        line
    }

    fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6
}

/// Sequential round trips: (p50 µs, p99 µs).
fn latency(s: &mut Session, n: u64) -> (f64, f64) {
    for i in 0..200 {
        let l = s.call_line(i);
        s.send(&l);
        s.read();
    }
    let mut lat = Vec::with_capacity(n as usize);
    for i in 0..n {
        let l = s.call_line(i);
        let t0 = Instant::now();
        s.send(&l);
        s.read();
        lat.push(t0.elapsed());
    }
    lat.sort_unstable();
    (pct(&lat, 0.5), pct(&lat, 0.99))
}

/// Calls/s with `window` requests in flight.
fn throughput(s: &mut Session, n: u64, window: u64) -> f64 {
    let t0 = Instant::now();
    let mut sent = 0;
    let mut got = 0;
    while got < n {
        while sent < n && sent - got < window {
            let l = s.call_line(sent);
            s.send(&l);
            sent += 1;
        }
        s.read();
        got += 1;
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

fn main() {
    let warden = std::env::var("WARDEN_BIN").expect("WARDEN_BIN: the release warden binary");
    let echo = std::env::var("ECHO_SERVER").expect("ECHO_SERVER: the echo_server example");
    let n: u64 = std::env::var("WARDEN_BENCH_CALLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    let root = std::env::temp_dir().join(format!("warden-proxy-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("dir");

    let mut direct = Session::start(std::slice::from_ref(&echo));
    let (d50, d99) = latency(&mut direct, n);
    let dthr = throughput(&mut direct, n * 4, 64);
    drop(direct);
    println!(
        "direct                       p50 {d50:>7.1} µs  p99 {d99:>7.1} µs  {dthr:>9.0} calls/s (64 in flight)"
    );

    for mode in ["async", "before-forward"] {
        let ledger = root.join(mode);
        let ok = Command::new(&warden)
            .args(["log", "init"])
            .arg(&ledger)
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .expect("init")
            .success();
        assert!(ok, "warden log init failed");
        let argv = vec![
            warden.clone(),
            "proxy".into(),
            "--ledger".into(),
            ledger.display().to_string(),
            "--commit".into(),
            mode.into(),
            "--".into(),
            echo.clone(),
        ];
        let mut s = Session::start(&argv);
        std::thread::sleep(Duration::from_millis(300));
        let idle = s.rss_kib().unwrap_or(0);
        let (p50, p99) = latency(&mut s, n);
        let thr = throughput(&mut s, n * 4, 64);
        let busy = s.rss_kib().unwrap_or(0);
        drop(s);
        println!(
            "proxy --commit {mode:<14} p50 {p50:>7.1} µs  p99 {p99:>7.1} µs  {thr:>9.0} calls/s  added p50 {:>6.1} µs p99 {:>7.1} µs  RSS idle {:.1} MB, after {:.1} MB",
            p50 - d50,
            p99 - d99,
            idle as f64 / 1024.0,
            busy as f64 / 1024.0
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
