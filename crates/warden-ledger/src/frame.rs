//! Record framing inside a segment file:
//!
//! ```text
//! len: u32 LE | crc32c: u32 LE | index: u64 LE | payload: len bytes | zero padding to 8
//! ```
//!
//! The CRC-32C covers the index and the payload, so a frame moved to another position
//! or with a flipped bit is caught. Scanning a segment tells a **torn tail** (the last
//! frame runs past the end, or fails its CRC with only zeros after it — what a crash
//! mid-write leaves, safe to truncate) from **corruption** (a bad frame followed by
//! data, an index gap): the first is repaired on open, the second refuses to open and
//! names the offset.

/// Bytes before the payload.
pub const HEADER: usize = 16;
/// Largest payload accepted (a record is a tool call summary, not a file).
pub const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// CRC-32C (Castagnoli), as used by ext4, iSCSI and LevelDB. The `crc32c` crate uses the
/// SSE 4.2 / ARMv8 instruction where the CPU has it (verification reads every byte of the
/// log, and the table-driven version cost a sixth of verify's time); the known answers
/// and a bitwise reference in the tests pin the result.
pub fn crc32c(data: &[u8]) -> u32 {
    ::crc32c::crc32c(data)
}

fn frame_crc(index: u64, payload: &[u8]) -> u32 {
    ::crc32c::crc32c_append(::crc32c::crc32c(&index.to_le_bytes()), payload)
}

/// The encoded size of a frame with `len` payload bytes.
pub fn frame_len(len: usize) -> usize {
    (HEADER + len).div_ceil(8) * 8
}

/// Appends one frame to `out`.
pub fn encode(index: u64, payload: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&frame_crc(index, payload).to_le_bytes());
    out.extend_from_slice(&index.to_le_bytes());
    out.extend_from_slice(payload);
    out.resize(start + frame_len(payload.len()), 0);
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Byte offset of the frame in the segment body.
    pub offset: usize,
    pub index: u64,
    pub payload: &'a [u8],
}

/// How a scan of a segment body ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// The body ends exactly after the last frame.
    Clean,
    /// A crash left a partial or unsynced frame at `offset`; truncating there loses
    /// nothing that was acknowledged.
    Torn { offset: usize },
}

/// Damage that must not be repaired silently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("CRC mismatch at offset {offset} (index {index}) with valid data after it")]
    Crc { offset: usize, index: u64 },
    #[error("index gap at offset {offset}: expected {expected}, found {found}")]
    IndexGap {
        offset: usize,
        expected: u64,
        found: u64,
    },
    #[error("frame at offset {offset} declares {len} bytes, over the {MAX_PAYLOAD}-byte limit")]
    TooLarge { offset: usize, len: usize },
    #[error("non-zero padding after the frame at offset {offset}")]
    Padding { offset: usize },
}

/// Decodes the frames of a segment body whose first record has index `base`.
pub fn scan(body: &[u8], base: u64) -> Result<(Vec<Frame<'_>>, Tail), FrameError> {
    let mut frames = Vec::new();
    let mut off = 0usize;
    let mut expected = base;
    while off < body.len() {
        let rest = &body[off..];
        // Only zeros from here: a preallocated or never-written tail.
        if rest.iter().all(|b| *b == 0) {
            return Ok((frames, Tail::Torn { offset: off }));
        }
        if rest.len() < HEADER {
            return Ok((frames, Tail::Torn { offset: off }));
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        let mut idx = [0u8; 8];
        idx.copy_from_slice(&rest[8..16]);
        let index = u64::from_le_bytes(idx);
        if len > MAX_PAYLOAD {
            return if after_is_empty(body, off + HEADER) {
                Ok((frames, Tail::Torn { offset: off }))
            } else {
                Err(FrameError::TooLarge { offset: off, len })
            };
        }
        let total = frame_len(len);
        if rest.len() < total {
            // Runs past the end of the file: the write did not finish.
            return Ok((frames, Tail::Torn { offset: off }));
        }
        let payload = &rest[HEADER..HEADER + len];
        if frame_crc(index, payload) != crc {
            return if after_is_empty(body, off + total) {
                Ok((frames, Tail::Torn { offset: off }))
            } else {
                Err(FrameError::Crc { offset: off, index })
            };
        }
        if index != expected {
            return Err(FrameError::IndexGap {
                offset: off,
                expected,
                found: index,
            });
        }
        if rest[HEADER + len..total].iter().any(|b| *b != 0) {
            return Err(FrameError::Padding { offset: off });
        }
        frames.push(Frame {
            offset: off,
            index,
            payload,
        });
        off += total;
        let Some(next) = expected.checked_add(1) else {
            // Index u64::MAX was the last one possible.
            return if off < body.len() {
                Err(FrameError::IndexGap {
                    offset: off,
                    expected: u64::MAX,
                    found: u64::MAX,
                })
            } else {
                Ok((frames, Tail::Clean))
            };
        };
        expected = next;
    }
    Ok((frames, Tail::Clean))
}

fn after_is_empty(body: &[u8], from: usize) -> bool {
    body.get(from..).is_none_or(|r| r.iter().all(|b| *b == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_equals_the_bitwise_definition() {
        fn bitwise(data: &[u8]) -> u32 {
            let mut crc = !0u32;
            for &b in data {
                crc ^= u32::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 != 0 {
                        0x82F6_3B78 ^ (crc >> 1)
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        let data: Vec<u8> = (0u32..300)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for start in 0..9 {
            for end in start..data.len() {
                assert_eq!(crc32c(&data[start..end]), bitwise(&data[start..end]));
            }
        }
        // A frame's CRC covers its index (little-endian) then its payload.
        let mut framed = 77u64.to_le_bytes().to_vec();
        framed.extend_from_slice(&data[..100]);
        assert_eq!(frame_crc(77, &data[..100]), bitwise(&framed));
    }

    #[test]
    fn crc32c_known_answers() {
        // RFC 3720 (iSCSI) appendix B.4 test vectors.
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(&[0xffu8; 32]), 0x62A8_AB43);
        let inc: Vec<u8> = (0u8..32).collect();
        assert_eq!(crc32c(&inc), 0x46DD_794E);
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    fn body(n: u64) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..n {
            encode(
                10 + i,
                format!("record {i} {}", "x".repeat(i as usize)).as_bytes(),
                &mut out,
            );
        }
        out
    }

    #[test]
    fn round_trip_and_alignment() {
        let b = body(5);
        assert_eq!(b.len() % 8, 0);
        let (frames, tail) = scan(&b, 10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tail, Tail::Clean);
        assert_eq!(frames.len(), 5);
        assert_eq!(frames[3].payload, b"record 3 xxx");
        assert_eq!(frames[3].index, 13);
    }

    #[test]
    fn every_truncation_of_the_last_frame_is_a_torn_tail() {
        let b = body(4);
        let (frames, _) = scan(&b, 10).unwrap_or_else(|e| panic!("{e}"));
        let last = frames[3].offset;
        for cut in last..b.len() {
            let (kept, tail) = scan(&b[..cut], 10).unwrap_or_else(|e| panic!("cut {cut}: {e}"));
            assert_eq!(kept.len(), 3, "cut {cut}");
            assert_eq!(
                tail,
                if cut == last {
                    Tail::Clean
                } else {
                    Tail::Torn { offset: last }
                },
                "cut {cut}"
            );
        }
    }

    #[test]
    fn zeroed_tail_is_torn_but_a_bad_frame_before_data_is_corruption() {
        let mut b = body(4);
        b.extend_from_slice(&[0u8; 4096]);
        let (frames, tail) = scan(&b, 10).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(frames.len(), 4);
        assert!(matches!(tail, Tail::Torn { .. }));

        let clean = body(4);
        let (frames, _) = scan(&clean, 10).unwrap_or_else(|e| panic!("{e}"));
        let second = frames[1].offset;
        let mut bad = clean.clone();
        bad[second + HEADER] ^= 0x01; // a bit flip in the second payload
        assert_eq!(
            scan(&bad, 10),
            Err(FrameError::Crc {
                offset: second,
                index: 11
            })
        );
    }

    #[test]
    fn reordered_or_missing_frames_are_index_gaps() {
        let mut a = Vec::new();
        encode(0, b"a", &mut a);
        encode(2, b"c", &mut a);
        assert_eq!(
            scan(&a, 0),
            Err(FrameError::IndexGap {
                offset: 24,
                expected: 1,
                found: 2
            })
        );
        let mut b = Vec::new();
        encode(1, b"b", &mut b);
        assert_eq!(
            scan(&b, 0),
            Err(FrameError::IndexGap {
                offset: 0,
                expected: 0,
                found: 1
            })
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for n in 0..2000usize {
            let mut buf = body((n % 5) as u64);
            for _ in 0..(n % 7) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if !buf.is_empty() {
                    let i = (seed as usize) % buf.len();
                    buf[i] = (seed >> 32) as u8;
                }
            }
            let _ = scan(&buf, 10);
        }
    }
}
