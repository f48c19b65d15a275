//! Every parser a ledger reader runs on bytes an attacker may have written: segment
//! headers and frames, signed notes and checkpoints, verifier keys, proofs, records and
//! producer lines. None may panic; the first byte picks the parser so one corpus covers
//! all of them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use warden_ledger::{note, proof, record, segment};

const VKEY: &str = "fuzz.example/log+ab9414dd+AXIK0voyRSWnaKr17BSea6rS9I38FsxNJuRIpSzDAfTz";

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let text = std::str::from_utf8(rest).unwrap_or("");
    let trusted: Vec<note::NoteVerifier> = note::NoteVerifier::parse(VKEY).into_iter().collect();
    match which % 8 {
        0 => {
            let _ = segment::scan(rest, 0);
        }
        1 => {
            let _ = warden_ledger::frame::scan(rest, u64::from(which));
        }
        2 => {
            if let Ok(n) = note::Note::parse(text) {
                let _ = n.verify(&trusted);
                let _ = note::Checkpoint::parse(&n.text);
            }
        }
        3 => {
            let _ = note::NoteVerifier::parse(text);
        }
        4 => {
            let _ = proof::check_inclusion(text, &trusted);
        }
        5 => {
            let mut mid = text.len() / 2;
            while !text.is_char_boundary(mid) {
                mid -= 1;
            }
            let (a, b) = text.split_at(mid);
            let _ = proof::check_consistency(a, b, &trusted);
        }
        6 => {
            if let Ok(r) = record::Record::from_canonical(rest) {
                let _ = r.to_canonical();
            }
        }
        _ => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(rest) {
                if let Ok(r) = record::Record::from_producer(v, &record::ArgsDigester::Sha256, 0) {
                    let _ = r.to_canonical();
                }
            }
        }
    }
});
