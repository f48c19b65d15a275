//! Ledger throughput (run by `bench/ledger.sh`; results in docs/benchmarks.md):
//!
//! 1. group commit: N threads each appending one record at a time, durable on return —
//!    records/s and per-append latency percentiles;
//! 2. `--sync every`: one thread, one `fdatasync` per record — records/s, next to the raw
//!    cost of `write + fdatasync` on the same disk;
//! 3. verify: one thread over a large ledger — records/s and MB/s, next to a plain
//!    SHA-256 pass over the same bytes (the bound).
//!
//! Not a test and not criterion: each phase runs for a fixed time or size and prints one
//! line; repeat runs (the script does) to see the spread. Set WARDEN_BENCH_DIR to choose
//! the disk (default: target/ledger-bench).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use sha2::Digest;
use warden_ledger::ledger::{InitOptions, Ledger, OpenOptions, SyncMode};
use warden_ledger::record::ResultSummary;
use warden_ledger::{Record, verify};

/// A realistic `tool.result` record (≈420 bytes canonical).
fn record(i: u64) -> Record {
    let mut attrs = Map::new();
    attrs.insert("tenant".into(), Value::from("acme-prod"));
    Record {
        call_id: Some(format!("sess-7f3a9c/{i}")),
        method: Some("tools/call".into()),
        session_id: Some("7f3a9c2e-41b8-4c55-9d0e-2b7a1c8e4f10".into()),
        tool_name: Some("query_customers".into()),
        request_id: Some(i.to_string()),
        protocol_version: Some("2025-11-25".into()),
        client_address: Some("10.2.14.7".into()),
        args_digest: Some(
            "hmac-sha256:5dfc1aabc2a2bb8da44496ce6c66444eb514740e921276203e751b018b4a06d7".into(),
        ),
        args_key_id: Some("b4e181fa".into()),
        result: Some(ResultSummary {
            status: "ok".into(),
            bytes: Some(18_442),
            duration_nano: Some(3_200_000),
            resource_ids: vec!["cust_10442".into(), "cust_10443".into()],
            outbound_hosts: vec!["db.internal:5432".into()],
            ..ResultSummary::default()
        }),
        attributes: Some(attrs),
        ..Record::new("tool.result", 1_764_081_278_000_000_000 + i)
    }
}

fn fresh(root: &Path, name: &str, sync: SyncMode) -> PathBuf {
    let dir = root.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    Ledger::init(
        &dir,
        &InitOptions {
            origin: Some(format!("bench.local/{name}")),
            sync,
            ..InitOptions::default()
        },
    )
    .expect("init");
    dir
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn group_commit(root: &Path, threads: usize, secs: u64) {
    let dir = fresh(root, &format!("group-{threads}"), SyncMode::Group);
    let ledger = Arc::new(Ledger::open(&dir, OpenOptions::default()).expect("open"));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let ledger = ledger.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity(1 << 16);
                let mut i = t as u64 * 1_000_000_000;
                // Pre-encode outside the timed call, as the proxy would build the record.
                while !stop.load(Ordering::Relaxed) {
                    let r = record(i);
                    let t0 = Instant::now();
                    ledger.append(&r).expect("append");
                    lat.push(t0.elapsed());
                    i += 1;
                }
                lat
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let mut lat: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("join"))
        .collect();
    let elapsed = start.elapsed();
    lat.sort_unstable();
    println!(
        "group-commit threads={threads:<4} records={:<8} rate={:>9.0}/s  p50={:>6.3}ms p99={:>6.3}ms p999={:>6.3}ms max={:>6.3}ms",
        lat.len(),
        lat.len() as f64 / elapsed.as_secs_f64(),
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        percentile(&lat, 0.999).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    drop(Arc::try_unwrap(ledger).ok().map(Ledger::close));
}

fn batched(root: &Path, batch: usize, total: usize) {
    let dir = fresh(root, "batched", SyncMode::Group);
    let ledger = Ledger::open(&dir, OpenOptions::default()).expect("open");
    let records: Vec<Record> = (0..batch as u64).map(record).collect();
    let start = Instant::now();
    let mut n = 0;
    while n < total {
        ledger.append_batch(&records).expect("append");
        n += batch;
    }
    let elapsed = start.elapsed();
    println!(
        "append_batch batch={batch:<5} records={n:<8} rate={:>9.0}/s (one producer, as `warden log append` does)",
        n as f64 / elapsed.as_secs_f64()
    );
    ledger.close().expect("close");
}

fn sync_every(root: &Path, total: u64) {
    let dir = fresh(root, "every", SyncMode::Every);
    let ledger = Ledger::open(&dir, OpenOptions::default()).expect("open");
    let start = Instant::now();
    for i in 0..total {
        ledger.append(&record(i)).expect("append");
    }
    let elapsed = start.elapsed();
    println!(
        "sync-every  records={total:<8} rate={:>9.0}/s  mean={:.3}ms",
        total as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e3 / total as f64
    );
    ledger.close().expect("close");
    // The floor: the same disk, 512-byte write + fdatasync, nothing else.
    let path = root.join("raw-fdatasync");
    let mut f = std::fs::File::create(&path).expect("create");
    let buf = [7u8; 512];
    let start = Instant::now();
    for _ in 0..total {
        f.write_all(&buf).expect("write");
        f.sync_data().expect("fdatasync");
    }
    let elapsed = start.elapsed();
    println!(
        "raw write+fdatasync       rate={:>9.0}/s  mean={:.3}ms (the floor for sync-every)",
        total as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e3 / total as f64
    );
}

fn verify_speed(root: &Path, total: usize) {
    let dir = fresh(root, "verify", SyncMode::Group);
    {
        let ledger = Ledger::open(&dir, OpenOptions::default()).expect("open");
        let records: Vec<Record> = (0..4096u64).map(record).collect();
        let mut n = 0;
        while n < total {
            ledger.append_batch(&records).expect("append");
            n += records.len();
        }
        ledger.close().expect("close");
    }
    let vkey = Ledger::read_config(&dir).expect("config").verifier_key;
    let keys = verify::parse_keys(&[vkey]).expect("key");
    let bytes: u64 = std::fs::read_dir(dir.join("segments"))
        .expect("segments")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    // Warm the page cache so both passes read from memory.
    let _ = verify::verify(&dir, &keys).expect("verify");
    let mut best = Duration::MAX;
    let mut report = None;
    for _ in 0..3 {
        let t0 = Instant::now();
        let r = verify::verify(&dir, &keys).expect("verify");
        best = best.min(t0.elapsed());
        report = Some(r);
    }
    let report = report.expect("ran");
    assert_eq!(report.exit_code(), 0, "the benchmark ledger must verify");
    let records = report.summary.records_verified;
    println!(
        "verify      records={records:<8} bytes={bytes} time={:.3}s rate={:>10.0} records/s {:>7.1} MB/s (one core)",
        best.as_secs_f64(),
        records as f64 / best.as_secs_f64(),
        bytes as f64 / best.as_secs_f64() / 1e6
    );
    // The bound: one SHA-256 pass over the same bytes, read the same way.
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t0 = Instant::now();
        let mut h = sha2::Sha256::new();
        for e in std::fs::read_dir(dir.join("segments")).expect("segments") {
            let data = std::fs::read(e.expect("entry").path()).expect("read");
            h.update(&data);
        }
        std::hint::black_box(h.finalize());
        best = best.min(t0.elapsed());
    }
    println!(
        "sha256 bound                               time={:.3}s           {:>7.1} MB/s (read + one SHA-256 pass)",
        best.as_secs_f64(),
        bytes as f64 / best.as_secs_f64() / 1e6
    );
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let root = std::env::var_os("WARDEN_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ledger-bench")
        });
    std::fs::create_dir_all(&root).expect("bench dir");
    let secs = std::env::var("WARDEN_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let only = std::env::var("WARDEN_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "group" {
        let threads: Vec<usize> = std::env::var("WARDEN_BENCH_THREADS")
            .ok()
            .map(|s| s.split(',').filter_map(|t| t.parse().ok()).collect())
            .unwrap_or_else(|| vec![1, 16, 64, 128, 256]);
        for threads in threads {
            group_commit(&root, threads, secs);
        }
        batched(&root, 512, 500_000);
    }
    if only.is_empty() || only == "encode" {
        let n = 200_000u64;
        let t0 = Instant::now();
        let mut bytes = 0;
        for i in 0..n {
            bytes += record(i).to_canonical().expect("canonical").len();
        }
        let e = t0.elapsed();
        println!(
            "encode      records={n} rate={:>9.0}/s mean={:.2}µs ({} bytes/record)",
            n as f64 / e.as_secs_f64(),
            e.as_secs_f64() * 1e6 / n as f64,
            bytes as u64 / n
        );
    }
    if only.is_empty() || only == "every" {
        sync_every(&root, 5_000);
    }
    if only.is_empty() || only == "verify" {
        verify_speed(&root, 1_000_000);
    }
    let _ = std::fs::remove_dir_all(&root);
}
