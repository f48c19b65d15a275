//! What `warden proxy --listen` adds on Streamable HTTP, side by side with `mcp-proxy`
//! (PyPI) in the same run (run by `bench/proxy_http.sh`; results in
//! docs/benchmarks.md):
//!
//! - reverse proxy: `examples/echo_http_server` directly, and through
//!   `warden proxy --listen --upstream` in each durability mode;
//! - a stdio server exposed over HTTP: `examples/echo_server` behind
//!   `warden proxy --listen -- CMD` and behind `mcp-proxy -- CMD`;
//!
//! sequential `tools/call` round trips on one keep-alive connection (p50/p99), calls/s
//! with 64 connections in flight, and resident memory idle and with 1,000 open
//! sessions. Needs WARDEN_BIN, ECHO_SERVER, ECHO_HTTP_SERVER; MCP_PROXY (the
//! `mcp-proxy` executable) is optional.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A process killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.0.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))?
                    .split_whitespace()
                    .nth(1)?
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn spawn(argv: &[String], port: u16) -> Proc {
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", argv[0]));
    let p = Proc(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{} did not listen", argv[0]);
        std::thread::sleep(Duration::from_millis(50));
    }
    p
}

/// One MCP session over one keep-alive HTTP/1.1 connection.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    port: u16,
    path: &'static str,
    session: Option<String>,
    next_id: u64,
}

impl Client {
    fn connect(port: u16, path: &'static str) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_nodelay(true).expect("nodelay");
        let mut c = Client {
            reader: BufReader::new(s.try_clone().expect("clone")),
            writer: s,
            port,
            path,
            session: None,
            next_id: 1,
        };
        let (_, session) = c.post(
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#,
        );
        c.session = session;
        c.post(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        c.post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#);
        c
    }

    /// POSTs `body`; returns the response body and the session header, if any.
    fn post(&mut self, body: &str) -> (Vec<u8>, Option<String>) {
        let mut req = format!(
            "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n",
            self.path,
            self.port,
            body.len()
        );
        if let Some(s) = &self.session {
            req.push_str(&format!(
                "Mcp-Session-Id: {s}\r\nMCP-Protocol-Version: 2025-11-25\r\n"
            ));
        }
        req.push_str("\r\n");
        req.push_str(body);
        self.writer.write_all(req.as_bytes()).expect("send");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status");
        assert!(line.starts_with("HTTP/1.1 2"), "status {line:?}");
        let mut len = 0usize;
        let mut session = None;
        let mut chunked = false;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').unwrap_or((l, ""));
            match k.to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().unwrap_or(0),
                "mcp-session-id" => session = Some(v.trim().to_string()),
                "transfer-encoding" => chunked = v.contains("chunked"),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).expect("chunk");
                let n = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0u8; n + 2];
                self.reader.read_exact(&mut chunk).expect("chunk");
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&chunk[..n]);
            }
        } else {
            out.resize(len, 0);
            self.reader.read_exact(&mut out).expect("body");
        }
        (out, session)
    }

    fn call(&mut self, i: u64) {
        let id = self.next_id + 1;
        self.next_id += 1;
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"message":"order {i} for customer cus_{i} alice{i}@example.com"}}}}}}"#
        );
        let (out, _) = self.post(&body);
        debug_assert!(!out.is_empty());
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6
}

fn latency(port: u16, path: &'static str, n: u64) -> (f64, f64) {
    let mut c = Client::connect(port, path);
    for i in 0..200 {
        c.call(i);
    }
    let mut lat = Vec::with_capacity(n as usize);
    for i in 0..n {
        let t0 = Instant::now();
        c.call(i);
        lat.push(t0.elapsed());
    }
    lat.sort_unstable();
    (pct(&lat, 0.5), pct(&lat, 0.99))
}

/// Calls/s with `conns` sessions calling at once, `per` calls each.
fn throughput(port: u16, path: &'static str, conns: u64, per: u64) -> f64 {
    let clients: Vec<Client> = (0..conns).map(|_| Client::connect(port, path)).collect();
    let t0 = Instant::now();
    let handles: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            std::thread::spawn(move || {
                for i in 0..per {
                    c.call(i);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    (conns * per) as f64 / t0.elapsed().as_secs_f64()
}

fn init_ledger(warden: &str, dir: &std::path::Path) {
    let ok = Command::new(warden)
        .args(["log", "init"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("init")
        .success();
    assert!(ok, "warden log init failed");
}

/// Measures one front and prints a line; returns its (p50, p99).
/// Starts `warden proxy --listen` on a free port with a fresh ledger; `upstream` is
/// `--upstream URL` or `-- COMMAND`.
fn warden_proxy(
    warden: &str,
    ledger: &std::path::Path,
    mode: &str,
    upstream: &[String],
) -> (Proc, u16) {
    init_ledger(warden, ledger);
    let port = free_port();
    let mut argv = vec![
        warden.to_string(),
        "proxy".into(),
        "--ledger".into(),
        ledger.display().to_string(),
        "--commit".into(),
        mode.into(),
        "--listen".into(),
        format!("127.0.0.1:{port}"),
    ];
    argv.extend_from_slice(upstream);
    (spawn(&argv, port), port)
}

fn report(
    name: &str,
    p: &Proc,
    port: u16,
    path: &'static str,
    n: u64,
    base: Option<(f64, f64)>,
) -> (f64, f64) {
    std::thread::sleep(Duration::from_millis(300));
    let idle = p.rss_kib();
    let (p50, p99) = latency(port, path, n);
    let thr = throughput(port, path, 64, n / 16);
    let added = base.map_or(String::new(), |(b50, b99)| {
        format!(
            "  added p50 {:>6.1} µs p99 {:>7.1} µs",
            p50 - b50,
            p99 - b99
        )
    });
    println!(
        "{name:<34} p50 {p50:>7.1} µs  p99 {p99:>7.1} µs  {thr:>8.0} calls/s (64 conns){added}  RSS idle {:.1} MB",
        idle as f64 / 1024.0
    );
    (p50, p99)
}

/// RSS after `sessions` sessions are opened and left open.
fn sessions_rss(p: &Proc, port: u16, path: &'static str, sessions: usize) -> f64 {
    let clients: Vec<Client> = (0..sessions).map(|_| Client::connect(port, path)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let after = p.rss_kib();
    drop(clients);
    after as f64 / 1024.0
}

/// One admin request over the proxy's socket: (round trip µs, `applied_in_us`).
fn admin(socket: &std::path::Path, req: &str) -> (f64, f64) {
    use std::os::unix::net::UnixStream;
    let t0 = Instant::now();
    let mut s = UnixStream::connect(socket).expect("admin socket");
    s.write_all(req.as_bytes()).expect("admin write");
    s.write_all(b"\n").expect("admin write");
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).expect("admin read");
    let rtt = t0.elapsed().as_secs_f64() * 1e6;
    let applied = line
        .split("\"applied_in_us\":")
        .nth(1)
        .and_then(|r| r.split([',', '}']).next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0.0);
    (rtt, applied)
}

/// Fences and unfences `rounds` times while 16 sessions keep calling; prints the median
/// and worst round trip of the fence request and the time the proxy took to apply it.
fn fence_latency(socket: &std::path::Path, port: u16, rounds: usize) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..16)
        .map(|_| {
            let stop = stop.clone();
            let mut c = Client::connect(port, "/mcp");
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    c.call(i);
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut rtts = Vec::new();
    let mut applied = Vec::new();
    for _ in 0..rounds {
        let (rtt, took) = admin(socket, r#"{"op":"fence","reason":"bench"}"#);
        rtts.push(rtt);
        applied.push(took);
        admin(socket, r#"{"op":"unfence","reason":"bench"}"#);
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for h in load {
        let _ = h.join();
    }
    rtts.sort_by(f64::total_cmp);
    applied.sort_by(f64::total_cmp);
    println!(
        "fence under load (16 sessions calling): applied in p50 {:.0} µs / max {:.0} µs; admin round trip incl. the durable admin.fence record p50 {:.0} µs / max {:.0} µs",
        applied[applied.len() / 2],
        applied[applied.len() - 1],
        rtts[rtts.len() / 2],
        rtts[rtts.len() - 1]
    );
}

fn main() {
    let warden = std::env::var("WARDEN_BIN").expect("WARDEN_BIN: the release warden binary");
    let echo = std::env::var("ECHO_SERVER").expect("ECHO_SERVER: the echo_server example");
    let echo_http =
        std::env::var("ECHO_HTTP_SERVER").expect("ECHO_HTTP_SERVER: the echo_http_server example");
    let mcp_proxy = std::env::var("MCP_PROXY").ok();
    let n: u64 = std::env::var("WARDEN_BENCH_CALLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    let root = std::env::temp_dir().join(format!("warden-http-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("dir");

    let up = free_port();
    let upstream = spawn(&[echo_http.clone(), up.to_string()], up);
    let direct = report("direct (echo_http_server)", &upstream, up, "/mcp", n, None);

    for mode in ["async", "before-forward"] {
        let ledger = root.join(format!("reverse-{mode}"));
        let upstream_url = ["--upstream".into(), format!("http://127.0.0.1:{up}/mcp")];
        let (p, port) = warden_proxy(&warden, &ledger, mode, &upstream_url);
        report(
            &format!("warden --upstream, {mode}"),
            &p,
            port,
            "/mcp",
            n,
            Some(direct),
        );
        if mode == "async" {
            let mb = sessions_rss(&p, port, "/mcp", 1000);
            println!("warden --upstream with 1,000 open sessions: RSS {mb:.1} MB");
            fence_latency(&ledger.join("proxy.sock"), port, 20);
        }
    }

    // A stdio server over HTTP: warden and mcp-proxy in front of the same server.
    let (p, port) = warden_proxy(
        &warden,
        &root.join("bridge"),
        "async",
        &["--".into(), echo.clone()],
    );
    report("warden --listen -- echo_server", &p, port, "/mcp", n, None);
    drop(p);
    if let Some(mcp_proxy) = mcp_proxy {
        let port = free_port();
        let p = spawn(
            &[
                mcp_proxy,
                "--port".into(),
                port.to_string(),
                "--host".into(),
                "127.0.0.1".into(),
                "--".into(),
                echo.clone(),
            ],
            port,
        );
        report("mcp-proxy -- echo_server", &p, port, "/mcp", n, None);
        let mb = sessions_rss(&p, port, "/mcp", 1000);
        println!("mcp-proxy with 1,000 open sessions: RSS {mb:.1} MB");
    } else {
        println!("mcp-proxy: MCP_PROXY not set; skipped");
    }
    drop(upstream);
    let _ = std::fs::remove_dir_all(&root);
}
