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
    write_value(&mut out, v)?;
    Ok(out)
}

fn write_value(out: &mut String, v: &Value) -> Result<(), JcsError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            const LIMIT: u64 = 1 << 53;
            if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= LIMIT) {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64().filter(|u| *u <= LIMIT) {
                let _ = write!(out, "{u}");
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
                write_value(out, item)?;
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
                write_value(out, val)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
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
}
