//! Redaction of credentials in what the server returns, before the client (and so the
//! model) sees them: every string in the result — `content[].text`,
//! `structuredContent`, resource text — is scanned with the scanner's credential
//! patterns, and each match is replaced by `[REDACTED <kind> <fingerprint>]`.

use serde_json::Value;
use warden_scan::secrets;

/// One replacement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Redaction {
    pub kind: &'static str,
    /// `sha256:` + 12 hex digits of the value: matches sightings, reveals nothing.
    pub fingerprint: String,
}

/// serde_json's own nesting limit: nothing it parsed is deeper. Anything deeper is
/// replaced rather than passed unscanned (fail closed).
const MAX_DEPTH: usize = 128;

/// Redacts credentials in every string of `v`; returns what was replaced.
pub fn redact(v: &mut Value) -> Vec<Redaction> {
    let mut out = Vec::new();
    walk(v, &mut out, 0);
    out
}

fn walk(v: &mut Value, out: &mut Vec<Redaction>, depth: usize) {
    if depth > MAX_DEPTH {
        *v = Value::String("[REDACTED: nested too deep to scan]".into());
        out.push(Redaction {
            kind: "unscanned (nested too deep)",
            fingerprint: String::new(),
        });
        return;
    }
    match v {
        Value::String(s) => {
            if let Some(new) = redact_text(s, out) {
                *s = new;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, out, depth + 1)),
        Value::Object(m) => m.values_mut().for_each(|i| walk(i, out, depth + 1)),
        _ => {}
    }
}

fn redact_text(s: &str, out: &mut Vec<Redaction>) -> Option<String> {
    // The whole string, however long: a credential past any cut-off would pass. (The
    // message size limit bounds it.)
    let spans = secrets::find(s);
    if spans.is_empty() {
        return None;
    }
    let mut text = String::with_capacity(s.len());
    let mut at = 0;
    for span in spans {
        if span.start < at {
            continue;
        }
        let fingerprint = secrets::fingerprint(&s[span.start..span.end]);
        text.push_str(&s[at..span.start]);
        text.push_str(&format!("[REDACTED {} {fingerprint}]", span.kind));
        out.push(Redaction {
            kind: span.kind,
            fingerprint,
        });
        at = span.end;
    }
    text.push_str(&s[at..]);
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_in_text_and_structured_content() {
        let key = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
        let mut v = json!({
            "content": [{"type": "text", "text": format!("token={key} ok")}],
            "structuredContent": {"env": {"GITHUB_TOKEN": key.clone()}},
            "isError": false
        });
        let r = redact(&mut v);
        assert_eq!(r.len(), 2, "{v}");
        let text = v.to_string();
        assert!(!text.contains(&key), "{text}");
        assert!(text.contains("[REDACTED "), "{text}");
        assert!(text.contains(" ok"), "surrounding text kept: {text}");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        let mut v = json!({"content": [{"type": "text", "text": "The sum of 2 and 3 is 5."}]});
        assert!(redact(&mut v).is_empty());
    }
}
