//! RFC 8785 JSON Canonicalization Scheme (JCS), for the integer-only JSON Warden hashes:
//! ledger records (times are Unix nanoseconds) and tool definitions for pinning.
//!
//! Objects have their members sorted by the UTF-16 code units of their names, there is
//! no whitespace, strings use the minimal escaping of RFC 8785 §3.2.2.2, and numbers
//! must be integers in the IEEE-754 exact range (|n| ≤ 2^53): a float is refused rather
//! than rendered, because float formatting is where canonicalizers disagree.

use serde_json::Value;
use std::fmt::Write;

/// A value that cannot be canonicalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    #[error("number {0} is not an integer within ±2^53; canonical records carry integers only")]
    Number(String),
}

/// The canonical form of `v`.
pub fn to_string(v: &Value) -> Result<String, JcsError> {
    let mut out = String::new();
    write_value(&mut out, v, Numbers::Strict)?;
    Ok(out)
}

/// The canonical form of `v`, with every 64-bit integer written exactly.
///
/// RFC 8785 renders numbers as ECMAScript doubles, which are exact only within ±2^53;
/// Unix-nanosecond times (≈1.8·10^18) are past that. The ledger stores its canonical
/// bytes and verifiers hash those bytes, never a re-serialisation, so an exact decimal
/// integer is both deterministic and lossless. Floats are still refused.
pub fn to_string_wide_ints(v: &Value) -> Result<String, JcsError> {
    let mut out = String::new();
    write_value(&mut out, v, Numbers::WideInts)?;
    Ok(out)
}

/// The canonical form of arbitrary JSON, for digests of tool arguments (which may hold
/// floats). Integers are exact; other numbers use Rust's shortest round-trip rendering,
/// which is deterministic, so equal values always give equal digests.
pub fn to_string_any_numbers(v: &Value) -> String {
    let mut out = String::new();
    // Infallible in this mode: only the number branch can fail, and it does not here.
    let _ = write_value(&mut out, v, Numbers::Any);
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbers {
    /// Integers within ±2^53 (RFC 8785's exact range).
    Strict,
    /// Every 64-bit integer.
    WideInts,
    /// Anything, floats included.
    Any,
}

fn write_value(out: &mut String, v: &Value, mode: Numbers) -> Result<(), JcsError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let limit: u64 = if mode == Numbers::Strict {
                1 << 53
            } else {
                u64::MAX
            };
            if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= limit) {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64().filter(|u| *u <= limit) {
                let _ = write!(out, "{u}");
            } else if mode == Numbers::Any {
                let _ = write!(out, "{n}");
            } else {
                return Err(JcsError::Number(n.to_string()));
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, mode)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            // RFC 8785 §3.2.3: sort by UTF-16 code units, not by bytes or chars.
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, val)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, val, mode)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    // Copy runs that need no escaping in one go; most strings are a single run.
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.push_str(&s[run..i]);
        run = i + 1;
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c => {
                let _ = write!(out, "\\u{:04x}", c);
            }
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_by_utf16_code_units() {
        // RFC 8785 §3.2.3's sorting example (numbers replaced by integers): "\r" < "1" <
        // "\u0080" < "ö" < "€" < "😀" (U+1F600 is the surrogate pair D83D DE00, which
        // sorts after U+FB33) < "\ufb33".
        let v = json!({"\u{20ac}": 1, "\r": 2, "\u{fb33}": 3, "1": 4, "\u{1f600}": 5, "\u{80}": 6, "\u{f6}": 7});
        assert_eq!(
            to_string(&v).unwrap_or_default(),
            "{\"\\r\":2,\"1\":4,\"\u{80}\":6,\"\u{f6}\":7,\"\u{20ac}\":1,\"\u{1f600}\":5,\"\u{fb33}\":3}"
        );
    }

    #[test]
    fn minimal_escaping_and_no_whitespace() {
        let v = json!({"b": [true, null, -5, "a\"\\\u{1f}\n\u{7f}é"], "a": {}});
        assert_eq!(
            to_string(&v).unwrap_or_default(),
            "{\"a\":{},\"b\":[true,null,-5,\"a\\\"\\\\\\u001f\\n\u{7f}é\"]}"
        );
    }

    #[test]
    fn refuses_floats_and_huge_integers() {
        assert!(to_string(&json!({"t": 1.5})).is_err());
        assert!(to_string(&json!(9_007_199_254_740_993u64)).is_err());
        assert_eq!(
            to_string(&json!(9_007_199_254_740_992u64)).unwrap_or_default(),
            "9007199254740992"
        );
        assert_eq!(
            to_string(&json!(-9_007_199_254_740_992i64)).unwrap_or_default(),
            "-9007199254740992"
        );
    }

    #[test]
    fn wide_mode_writes_64_bit_integers_exactly_and_still_refuses_floats() {
        let v = json!({"t": 1_764_081_278_123_456_789u64, "n": i64::MIN, "m": u64::MAX});
        assert_eq!(
            to_string_wide_ints(&v).unwrap_or_default(),
            "{\"m\":18446744073709551615,\"n\":-9223372036854775808,\"t\":1764081278123456789}"
        );
        assert!(to_string_wide_ints(&json!([0.5])).is_err());
    }
}
