//! The writer against crashes and bad disks: group commit under concurrency, segment
//! rollover, torn tails at every byte offset, zeroed sectors, flipped bits, a lost
//! directory fsync, EIO on fsync and short writes. After each: every acknowledged record
//! is present, and damage that is not a torn tail refuses to open with its location.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};
use warden_ledger::ledger::{
    FaultAction, Faults, InitOptions, IoOp, Ledger, LedgerError, OpenOptions, SEGMENTS_DIR,
};
use warden_ledger::reader::LogFiles;
use warden_ledger::segment;
use warden_ledger::verify;
use warden_ledger::{Record, merkle};

fn init(dir: &Path, segment_bytes: u64) -> String {
    Ledger::init(
        dir,
        &InitOptions {
            origin: Some("test.local/recovery".into()),
            segment_bytes,
            checkpoint_interval: Duration::from_millis(50),
            ..InitOptions::default()
        },
    )
    .expect("init")
}

fn record(seq: u64) -> Record {
    let mut attrs = Map::new();
    attrs.insert("seq".into(), Value::from(seq));
    attrs.insert("pad".into(), Value::from("x".repeat((seq % 97) as usize)));
    Record {
        attributes: Some(attrs),
        tool_name: Some("read_note".into()),
        ..Record::new("tool.intent", 1_764_000_000_000_000_000 + seq)
    }
}

fn open(dir: &Path) -> Result<Ledger, LedgerError> {
    Ledger::open(dir, OpenOptions::default())
}

/// `seq` attribute of every record, by index.
fn seqs(dir: &Path) -> Vec<(u64, Option<u64>)> {
    let files = LogFiles::open(dir).expect("files");
    let mut out = Vec::new();
    files
        .for_each(0, |i, p| {
            let v: Value = serde_json::from_slice(p).expect("json");
            out.push((i, v["attributes"]["seq"].as_u64()));
        })
        .expect("read");
    // The iterator sees exactly what the callback does.
    let iterated: Vec<(u64, Option<u64>)> = files
        .records(0)
        .map(|r| {
            let (i, p) = r.expect("record");
            let v: Value = serde_json::from_slice(&p).expect("json");
            (i, v["attributes"]["seq"].as_u64())
        })
        .collect();
    assert_eq!(iterated, out);
    out
}

fn last_segment(dir: &Path) -> std::path::PathBuf {
    segment::list(&dir.join(SEGMENTS_DIR))
        .expect("list")
        .last()
        .map(|(_, p)| p.clone())
        .expect("a segment")
}

fn verify_code(dir: &Path, vkey: &str) -> (i32, Vec<String>) {
    let keys = verify::parse_keys(&[vkey.to_string()]).expect("key");
    let r = verify::verify(dir, &keys).expect("verify");
    let lines = r
        .lines
        .iter()
        .map(|l| format!("{}: {:?}", l.object, l.status))
        .collect();
    (r.exit_code(), lines)
}

#[test]
fn concurrent_appends_get_contiguous_indices_and_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vkey = init(dir.path(), 16 * 1024);
    let ledger = Arc::new(open(dir.path()).expect("open"));
    let acked = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let ledger = ledger.clone();
            let acked = acked.clone();
            s.spawn(move || {
                for k in 0..250u64 {
                    let seq = t * 1000 + k;
                    let i = ledger.append(&record(seq)).expect("append");
                    acked.lock().expect("lock").push((i, seq));
                }
            });
        }
    });
    let ledger = Arc::try_unwrap(ledger).ok().expect("sole owner");
    let cp = ledger.close().expect("close");
    let got: std::collections::BTreeMap<u64, Option<u64>> = seqs(dir.path()).into_iter().collect();
    let acked = acked.lock().expect("lock").clone();
    assert_eq!(acked.len(), 2000);
    for (i, seq) in &acked {
        assert_eq!(
            got.get(i),
            Some(&Some(*seq)),
            "acknowledged record {i} lost or moved"
        );
    }
    let indices: BTreeSet<u64> = got.keys().copied().collect();
    assert_eq!(
        indices.len() as u64,
        cp.size,
        "indices are contiguous from 0"
    );
    assert!(
        segment::list(&dir.path().join(SEGMENTS_DIR))
            .expect("list")
            .len()
            > 5,
        "rolled over"
    );
    let tree = LogFiles::open(dir.path())
        .expect("files")
        .tree()
        .expect("tree");
    assert_eq!(tree.root(), cp.root);
    assert_eq!(verify_code(dir.path(), &vkey).0, 0);
    // Reopen appends after the old records.
    let ledger = open(dir.path()).expect("reopen");
    assert!(ledger.append(&record(99_999)).expect("append") > cp.size);
}

#[test]
fn truncating_the_tail_at_every_offset_loses_only_the_cut_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vkey = init(dir.path(), 1 << 20);
    {
        let ledger = open(dir.path()).expect("open");
        for seq in 0..20 {
            ledger.append(&record(seq)).expect("append");
        }
        // Drop without the final checkpoint covering the last records: simulate a crash
        // right after the acks, before any checkpoint of them.
        ledger.simulate_crash();
    }
    let seg = last_segment(dir.path());
    let full = std::fs::read(&seg).expect("read");
    let before = seqs(dir.path());
    let signed = warden_ledger::note::Checkpoint::parse(
        &warden_ledger::note::Note::parse(
            &std::fs::read_to_string(dir.path().join("checkpoint")).expect("cp"),
        )
        .expect("note")
        .text,
    )
    .expect("checkpoint")
    .size;
    // The last three frames, every byte offset.
    let scan = segment::scan(&full, 0).expect("scan");
    let start = scan.header_len + scan.frames[scan.frames.len() - 3].offset;
    let scratch = tempfile::tempdir().expect("scratch");
    // Each cut reopens a copy (fsync-bound, not CPU-bound): spread over a few threads.
    let cuts: Vec<usize> = (start..full.len()).collect();
    std::thread::scope(|s| {
        for chunk in cuts.chunks(cuts.len().div_ceil(6)) {
            let (scan, full, before, seg, vkey) = (&scan, &full, &before, &seg, &vkey);
            let (scratch, root) = (scratch.path(), dir.path());
            s.spawn(move || {
                for &cut in chunk {
                    check_cut(root, scratch, seg, full, scan, before, signed, vkey, cut);
                }
            });
        }
    });
}

#[allow(clippy::too_many_arguments)]
fn check_cut(
    dir: &Path,
    scratch: &Path,
    seg: &Path,
    full: &[u8],
    scan: &segment::Scanned<'_>,
    before: &[(u64, Option<u64>)],
    signed: u64,
    vkey: &str,
    cut: usize,
) {
    {
        let copy = scratch.join(format!("c{cut}"));
        copy_dir(dir, &copy);
        let seg_copy = copy.join(SEGMENTS_DIR).join(seg.file_name().expect("name"));
        std::fs::write(&seg_copy, &full[..cut]).expect("truncate");
        let present_before_cut = before
            .iter()
            .filter(|(i, _)| {
                let f = scan.frames.iter().find(|f| f.index == *i);
                f.is_none_or(|f| {
                    scan.header_len + f.offset + warden_ledger::frame::frame_len(f.payload.len())
                        <= cut
                })
            })
            .count() as u64;
        if present_before_cut < signed {
            // Cutting below a signed checkpoint is tampering, not a torn tail.
            let err = open(&copy).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                err.contains("truncated below a checkpoint"),
                "cut {cut}: {err}"
            );
            return;
        }
        let ledger = open(&copy).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let torn = cut != full.len() && !before_boundary(scan, cut);
        assert_eq!(!ledger.recovery().repairs.is_empty(), torn, "cut {cut}");
        drop(ledger);
        let after = seqs(&copy);
        for (i, s) in before.iter().take(present_before_cut as usize) {
            assert_eq!(
                after.get(*i as usize).map(|x| x.1),
                Some(*s),
                "cut {cut}: record {i}"
            );
        }
        // The repair is itself on the record.
        if torn {
            let text = String::from_utf8(
                LogFiles::open(&copy)
                    .expect("f")
                    .record(present_before_cut)
                    .expect("repair record"),
            )
            .expect("utf8");
            assert!(
                text.contains("admin.repair") && text.contains("torn tail"),
                "{text}"
            );
        }
        assert!(matches!(verify_code(&copy, vkey).0, 0 | 3), "cut {cut}");
        let _ = std::fs::remove_dir_all(&copy);
    }
}

fn before_boundary(scan: &segment::Scanned<'_>, cut: usize) -> bool {
    cut == scan.header_len
        || scan.frames.iter().any(|f| {
            scan.header_len + f.offset + warden_ledger::frame::frame_len(f.payload.len()) == cut
        })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("readdir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

/// Flips `mask` in the middle byte of the last segment; returns the segment, the byte's
/// offset and the new contents.
fn flip_mid(dir: &Path, mask: u8) -> (std::path::PathBuf, usize, Vec<u8>) {
    let seg = last_segment(dir);
    let mut bytes = std::fs::read(&seg).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= mask;
    std::fs::write(&seg, &bytes).expect("write");
    (seg, at, bytes)
}

fn filled(records: u64, segment_bytes: u64) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let vkey = init(dir.path(), segment_bytes);
    let ledger = open(dir.path()).expect("open");
    for seq in 0..records {
        ledger.append(&record(seq)).expect("append");
    }
    ledger.close().expect("close");
    (dir, vkey)
}

#[test]
fn a_flipped_bit_mid_segment_refuses_to_open_and_names_the_place() {
    let (dir, vkey) = filled(200, 1 << 20);
    let (seg, at, bytes) = flip_mid(dir.path(), 0x10);
    let err = open(dir.path()).err().expect("must refuse");
    let LedgerError::Corrupt {
        segment, offset, ..
    } = &err
    else {
        panic!("unexpected {err}");
    };
    assert_eq!(segment, "00000000000000000000.wseg");
    assert!(
        (*offset as usize) <= at && at - (*offset as usize) < 2048,
        "{err}"
    );
    assert!(err.to_string().contains("CRC mismatch"), "{err}");
    let (code, lines) = verify_code(dir.path(), &vkey);
    assert_eq!(code, 1, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("crc mismatch at 00000000000000000000.wseg:")),
        "{lines:?}"
    );
    // Nothing was changed by the refused open.
    assert_eq!(std::fs::read(&seg).expect("read"), bytes);
}

#[test]
fn zeroed_sectors_fail_closed_with_their_location() {
    let (dir, _) = filled(400, 1 << 20);
    let seg = last_segment(dir.path());
    let orig = std::fs::read(&seg).expect("read");
    // Pseudo-random sectors in the middle.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..8 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let sectors = orig.len() / 512;
        let s = 1 + (x as usize) % (sectors - 2);
        let mut bytes = orig.clone();
        bytes[s * 512..(s + 1) * 512].fill(0);
        std::fs::write(&seg, &bytes).expect("write");
        let err = open(dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("00000000000000000000.wseg") && err.contains("offset"),
            "sector {s}: {err}"
        );
        std::fs::write(&seg, &orig).expect("restore");
    }
    // The last sector zeroed looks like a torn tail, but the records in it were signed:
    // truncating them would lose acknowledged data, so open refuses.
    let mut bytes = orig.clone();
    let n = bytes.len();
    bytes[n - 512..].fill(0);
    std::fs::write(&seg, &bytes).expect("write");
    let err = open(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("truncated below a checkpoint"), "{err}");
    assert_eq!(
        std::fs::read(&seg).expect("read"),
        bytes,
        "a refused open changes nothing"
    );
}

#[test]
fn a_damaged_sealed_segment_and_an_index_gap_refuse_to_open() {
    let (dir, _) = filled(300, 8 * 1024);
    let segs = segment::list(&dir.path().join(SEGMENTS_DIR)).expect("list");
    assert!(segs.len() >= 3);
    // Truncate a sealed segment: not a torn tail, because later segments exist.
    let (_, first) = &segs[0];
    let bytes = std::fs::read(first).expect("read");
    std::fs::write(first, &bytes[..bytes.len() - 10]).expect("write");
    let err = open(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("sealed segment"), "{err}");
    std::fs::write(first, &bytes).expect("restore");
    // Remove a middle segment.
    let (_, mid) = &segs[1];
    std::fs::remove_file(mid).expect("rm");
    let err = open(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("index gap"), "{err}");
}

#[test]
fn repair_truncates_at_damage_and_records_the_loss() {
    let (dir, vkey) = filled(200, 1 << 20);
    flip_mid(dir.path(), 1);
    let ledger = Ledger::open(
        dir.path(),
        OpenOptions {
            repair: true,
            ..OpenOptions::default()
        },
    )
    .expect("repair opens");
    let repairs = ledger.recovery().repairs.clone();
    assert!(
        repairs
            .iter()
            .any(|r| r["reason"].as_str().is_some_and(|s| s.contains("--repair"))),
        "{repairs:?}"
    );
    drop(ledger);
    let all: Vec<String> = {
        let mut v = Vec::new();
        LogFiles::open(dir.path())
            .expect("f")
            .for_each(0, |_, p| v.push(String::from_utf8_lossy(p).into_owned()))
            .expect("read");
        v
    };
    assert!(all.iter().any(|r| r.contains("admin.repair")));
    // The old checkpoints signed more than survives: verify says so, forever.
    let (code, lines) = verify_code(dir.path(), &vkey);
    assert_eq!(code, 1, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("truncated below a checkpoint")),
        "{lines:?}"
    );
    // The repaired ledger opens again without --repair and keeps recording.
    let ledger = open(dir.path()).expect("reopen after repair");
    ledger.append(&record(7)).expect("append");
}

#[test]
fn a_record_rewritten_with_a_valid_crc_is_caught_by_the_signed_root() {
    let (dir, _) = filled(50, 1 << 20);
    let seg = last_segment(dir.path());
    let bytes = std::fs::read(&seg).expect("read");
    let scan = segment::scan(&bytes, 0).expect("scan");
    // Re-encode the whole body with record 10 altered (same length), CRCs recomputed.
    let mut body = Vec::new();
    for f in &scan.frames {
        let mut p = f.payload.to_vec();
        if f.index == 10 {
            let s = String::from_utf8(p)
                .expect("utf8")
                .replace("read_note", "read_nope");
            p = s.into_bytes();
        }
        warden_ledger::frame::encode(f.index, &p, &mut body);
    }
    let mut forged = bytes[..scan.header_len].to_vec();
    forged.extend_from_slice(&body);
    std::fs::write(&seg, forged).expect("write");
    let err = open(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("disagrees with its last signed checkpoint") && err.contains("hash mismatch"),
        "{err}"
    );
}

/// Injects faults by rule.
struct Inject {
    fail_sync_after: AtomicU64,
    short_write: AtomicBool,
    skip_dir_sync: AtomicBool,
}

impl Faults for Inject {
    fn before(&self, op: IoOp) -> FaultAction {
        match op {
            IoOp::Sync { .. } => {
                let left = self.fail_sync_after.load(Ordering::SeqCst);
                if left == 0 {
                    return FaultAction::Fail;
                }
                self.fail_sync_after.store(left - 1, Ordering::SeqCst);
                FaultAction::Proceed
            }
            IoOp::Write { len, .. } if self.short_write.load(Ordering::SeqCst) => {
                FaultAction::ShortWrite(len / 2)
            }
            IoOp::SyncDir if self.skip_dir_sync.load(Ordering::SeqCst) => FaultAction::Skip,
            _ => FaultAction::Proceed,
        }
    }
}

fn inject() -> Arc<Inject> {
    Arc::new(Inject {
        fail_sync_after: AtomicU64::new(u64::MAX),
        short_write: AtomicBool::new(false),
        skip_dir_sync: AtomicBool::new(false),
    })
}

fn open_with(dir: &Path, f: Arc<Inject>) -> Ledger {
    Ledger::open(
        dir,
        OpenOptions {
            faults: Some(f),
            ..OpenOptions::default()
        },
    )
    .expect("open")
}

#[test]
fn eio_on_fsync_poisons_and_acknowledged_records_survive() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path(), 1 << 20);
    let faults = inject();
    let ledger = open_with(dir.path(), faults.clone());
    let mut acked = Vec::new();
    for seq in 0..30 {
        acked.push((ledger.append(&record(seq)).expect("append"), seq));
    }
    faults.fail_sync_after.store(0, Ordering::SeqCst);
    let err = ledger
        .append(&record(1000))
        .expect_err("sync failure is reported");
    assert!(matches!(err, LedgerError::Poisoned(_)), "{err}");
    // Never retried: later appends are refused even once the disk "recovers".
    faults.fail_sync_after.store(u64::MAX, Ordering::SeqCst);
    let again = ledger.append(&record(1001)).expect_err("refused");
    assert!(
        again.to_string().contains("stopped accepting records"),
        "{again}"
    );
    ledger.simulate_crash();
    let got: std::collections::BTreeMap<u64, Option<u64>> = seqs(dir.path()).into_iter().collect();
    for (i, seq) in acked {
        assert_eq!(got.get(&i), Some(&Some(seq)));
    }
}

#[test]
fn a_short_write_poisons_and_the_torn_frame_is_repaired_on_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vkey = init(dir.path(), 1 << 20);
    let faults = inject();
    let ledger = open_with(dir.path(), faults.clone());
    let mut acked = Vec::new();
    for seq in 0..10 {
        acked.push((ledger.append(&record(seq)).expect("append"), seq));
    }
    faults.short_write.store(true, Ordering::SeqCst);
    assert!(ledger.append(&record(50)).is_err());
    ledger.simulate_crash();
    let ledger = open(dir.path()).expect("reopen repairs the torn tail");
    assert!(!ledger.recovery().repairs.is_empty());
    drop(ledger);
    let got: std::collections::BTreeMap<u64, Option<u64>> = seqs(dir.path()).into_iter().collect();
    for (i, seq) in acked {
        assert_eq!(got.get(&i), Some(&Some(seq)));
    }
    assert!(
        !got.values().any(|s| *s == Some(50)),
        "an unacknowledged half frame must not surface"
    );
    assert_eq!(verify_code(dir.path(), &vkey).0, 0);
}

#[test]
fn a_lost_directory_fsync_is_detected_against_the_checkpoint() {
    // The disk claims the new segment's directory entry is durable but loses it in the
    // crash: the records in that segment vanish. That loss cannot be prevented from
    // user space, but it must not go unnoticed: the signed checkpoint covers them.
    let dir = tempfile::tempdir().expect("tempdir");
    let vkey = init(dir.path(), 4096);
    let faults = inject();
    let ledger = open_with(dir.path(), faults.clone());
    for seq in 0..20 {
        ledger.append(&record(seq)).expect("append");
    }
    faults.skip_dir_sync.store(true, Ordering::SeqCst);
    let segs_before = segment::list(&dir.path().join(SEGMENTS_DIR))
        .expect("list")
        .len();
    let mut seq = 100;
    while segment::list(&dir.path().join(SEGMENTS_DIR))
        .expect("list")
        .len()
        == segs_before
    {
        ledger.append(&record(seq)).expect("append");
        seq += 1;
    }
    ledger.append(&record(seq)).expect("append");
    ledger.checkpoint().expect("checkpoint");
    ledger.simulate_crash();
    // The crash: the unsynced directory entry is gone.
    std::fs::remove_file(last_segment(dir.path())).expect("lose it");
    let err = open(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("truncated below a checkpoint"), "{err}");
    let (code, lines) = verify_code(dir.path(), &vkey);
    assert_eq!(code, 1);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("truncated below a checkpoint")),
        "{lines:?}"
    );
}

#[test]
fn a_crash_while_creating_a_segment_leaves_a_removable_stub() {
    let (dir, vkey) = filled(20, 1 << 20);
    let n = seqs(dir.path()).len() as u64;
    // A stub past the end is an index gap: refused.
    let far = dir
        .path()
        .join(SEGMENTS_DIR)
        .join(segment::file_name(n + 1000));
    std::fs::write(&far, [0u8; 10]).expect("stub");
    let err = open(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("index gap"), "{err}");
    std::fs::remove_file(&far).expect("rm");
    // A stub at exactly the next index is an unfinished creation (the header is synced
    // before any record goes in): removed, and the removal recorded.
    let stub = dir.path().join(SEGMENTS_DIR).join(segment::file_name(n));
    std::fs::write(&stub, [0u8; 10]).expect("stub");
    assert_eq!(seqs(dir.path()).len() as u64, n, "readers skip the stub");
    let ledger = open(dir.path()).expect("opens");
    assert!(
        ledger
            .recovery()
            .repairs
            .iter()
            .any(|r| r["reason"] == json!("unfinished segment removed"))
    );
    drop(ledger);
    assert_eq!(verify_code(dir.path(), &vkey).0, 0);
}

/// Counts `fdatasync`s of segment data.
#[derive(Default)]
struct CountSyncs(AtomicU64);

impl Faults for CountSyncs {
    fn before(&self, op: IoOp) -> FaultAction {
        if matches!(op, IoOp::Sync { .. }) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        FaultAction::Proceed
    }
}

#[test]
fn sync_every_mode_syncs_each_record_and_group_mode_does_not() {
    for (mode, at_least, at_most) in [
        (warden_ledger::ledger::SyncMode::Every, 100, u64::MAX),
        (warden_ledger::ledger::SyncMode::Group, 1, 10),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        Ledger::init(
            dir.path(),
            &InitOptions {
                sync: mode,
                segment_bytes: 4096,
                ..InitOptions::default()
            },
        )
        .expect("init");
        let syncs = Arc::new(CountSyncs::default());
        let ledger = Ledger::open(
            dir.path(),
            OpenOptions {
                faults: Some(syncs.clone()),
                ..OpenOptions::default()
            },
        )
        .expect("open");
        let before = syncs.0.load(Ordering::SeqCst);
        let r = ledger
            .append_batch(&(0..100).map(record).collect::<Vec<_>>())
            .expect("batch");
        assert_eq!(r.end - r.start, 100);
        let n = syncs.0.load(Ordering::SeqCst) - before;
        assert!(
            (at_least..=at_most).contains(&n),
            "{mode:?}: {n} syncs for one batch of 100"
        );
        let cp = ledger.close().expect("close");
        let mut range = merkle::CompactRange::new();
        LogFiles::open(dir.path())
            .expect("f")
            .for_each(0, |_, p| range.push(merkle::leaf_hash(p)))
            .expect("r");
        assert_eq!(range.root(), cp.root);
    }
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path(), 1 << 20);
    let _first = open(dir.path()).expect("open");
    let err = open(dir.path()).err().expect("second writer");
    assert!(matches!(err, LedgerError::Locked(_)), "{err}");
}

#[test]
fn a_damaged_checkpoint_log_refuses_to_open_and_repair_sets_it_aside() {
    let (dir, vkey) = filled(300, 8 * 1024);
    let log = dir.path().join("checkpoints.log");
    let mut bytes = std::fs::read(&log).expect("read");
    let at = bytes.len() / 3;
    bytes[at] ^= 0x40;
    std::fs::write(&log, &bytes).expect("write");
    let err = open(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("checkpoints.log") && err.contains("CRC mismatch"),
        "{err}"
    );
    let (code, lines) = verify_code(dir.path(), &vkey);
    assert_eq!(code, 1, "{lines:?}");
    let ledger = Ledger::open(
        dir.path(),
        OpenOptions {
            repair: true,
            ..OpenOptions::default()
        },
    )
    .expect("repair opens");
    assert!(ledger.recovery().repairs.iter().any(|r| {
        r["reason"]
            .as_str()
            .is_some_and(|s| s.contains("damaged checkpoint log set aside"))
    }));
    drop(ledger);
    assert!(
        dir.path().join("checkpoints.log.damaged").exists(),
        "kept as evidence"
    );
    // A fresh log under the same key: the records verify again.
    assert_eq!(verify_code(dir.path(), &vkey).0, 0);
    open(dir.path()).expect("opens without --repair afterwards");
}

#[test]
fn a_zeroed_header_with_records_after_it_is_damage_not_a_stub() {
    let (dir, _) = filled(30, 1 << 20);
    let seg = last_segment(dir.path());
    let mut bytes = std::fs::read(&seg).expect("read");
    bytes[..40].fill(0);
    std::fs::write(&seg, &bytes).expect("write");
    let err = open(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("header"), "{err}");
    assert_eq!(std::fs::read(&seg).expect("read"), bytes, "not removed");
}
