//! What triage needs from a call's arguments and result: the record ids it named, the
//! e-mail addresses and the hosts in it. Bounded (a result can be megabytes) and
//! allocation-light; it reads values the proxy already parsed.

use serde_json::Value;

/// At most this many of each kind are kept per message.
const MAX_ITEMS: usize = 64;
/// Strings longer than this are not ids.
const MAX_ID_LEN: usize = 128;
/// Text beyond this many bytes of one string is not scanned.
const MAX_TEXT: usize = 1 << 20;
/// Nesting deeper than this is not walked.
const MAX_DEPTH: usize = 32;

/// What was found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub ids: Vec<String>,
    pub emails: Vec<String>,
    pub hosts: Vec<String>,
}

impl Found {
    /// Drops ids that are credentials (an `api_key_id` holding a live key, a token in an
    /// id field): what was found is written to the ledger in clear.
    pub fn drop_secrets(&mut self) {
        self.ids
            .retain(|id| warden_scan::secrets::find(id).is_empty());
    }

    /// Data classes implied by what was found (`email`).
    pub fn data_classes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.emails.is_empty() {
            out.push("email".to_string());
        }
        out
    }
}

fn push(list: &mut Vec<String>, item: &str) {
    if list.len() < MAX_ITEMS && !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

/// Walks `v`.
pub fn scan(v: &Value, found: &mut Found) {
    walk(v, None, found, 0);
}

fn is_id_key(k: &str) -> bool {
    let lower = k.to_ascii_lowercase();
    lower == "id"
        || lower == "ids"
        || lower.ends_with("_id")
        || lower.ends_with("-id")
        || lower.ends_with("_ids")
        || (k.ends_with("Id") || k.ends_with("Ids")) && k.len() > 2
}

fn walk(v: &Value, key: Option<&str>, found: &mut Found, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let id_context = key.is_some_and(is_id_key);
    match v {
        Value::String(s) => {
            if id_context && !s.trim().is_empty() && s.len() <= MAX_ID_LEN {
                push(&mut found.ids, s);
            }
            scan_text(s, found);
        }
        Value::Number(n) if id_context && (n.is_i64() || n.is_u64()) => {
            push(&mut found.ids, &n.to_string());
        }
        Value::Array(items) => {
            for item in items {
                walk(item, key, found, depth + 1);
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                walk(item, Some(k), found, depth + 1);
            }
        }
        _ => {}
    }
}

/// Finds e-mail addresses and URL hosts in free text. Tool results often embed JSON as
/// text, which this also covers.
fn scan_text(s: &str, found: &mut Found) {
    // Bounded like redaction: a multi-megabyte result is scanned up to MAX_TEXT.
    let mut limit = s.len().min(MAX_TEXT);
    while !s.is_char_boundary(limit) {
        limit -= 1;
    }
    let s = &s[..limit];
    let bytes = s.as_bytes();
    // URLs: scheme://host
    let mut authorities: Vec<std::ops::Range<usize>> = Vec::new();
    let mut from = 0;
    while let Some(pos) = s[from..].find("://") {
        let at = from + pos;
        let scheme_start = start_of_run(&s[..at], |c| {
            c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'
        });
        let scheme = &s[scheme_start..at];
        let host_start = at + 3;
        let host_end = s[host_start..]
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | ')' | ']')
                    || c.is_whitespace()
            })
            .map_or(s.len(), |i| host_start + i);
        let authority = &s[host_start..host_end];
        // Drop userinfo and port.
        let host = authority.rsplit('@').next().unwrap_or(authority);
        let host = if host.starts_with('[') {
            host.split(']')
                .next()
                .map(|h| h.trim_start_matches('['))
                .unwrap_or(host)
        } else {
            host.split(':').next().unwrap_or(host)
        };
        authorities.push(host_start..host_end);
        if !scheme.is_empty() && !host.is_empty() && host.len() <= 253 {
            push(&mut found.hosts, &host.to_ascii_lowercase());
        }
        from = host_end.max(host_start);
        if from >= s.len() {
            break;
        }
    }
    // E-mail addresses: local@domain.tld
    let mut i = 0;
    while let Some(pos) = s[i..].find('@') {
        let at = i + pos;
        let local_start = start_of_run(&s[..at], |c| {
            c.is_ascii_alphanumeric() || "._%+-".contains(c)
        });
        let domain_end = s[at + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .map_or(s.len(), |k| at + 1 + k);
        let local = &s[local_start..at];
        let domain = s[at + 1..domain_end].trim_end_matches('.');
        let preceded_by_scheme = local_start >= 3 && &bytes[local_start - 3..local_start] == b"://";
        // `user:pw@host` inside a URL is credentials, not an address.
        // Authorities were found left to right, so they are sorted: binary search.
        let slot = authorities.partition_point(|r| r.end <= at);
        let in_url = authorities.get(slot).is_some_and(|r| r.contains(&at));
        if !local.is_empty()
            && !preceded_by_scheme
            && !in_url
            && domain.contains('.')
            && domain
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            push(
                &mut found.emails,
                &format!("{local}@{}", domain.to_ascii_lowercase()),
            );
        }
        i = at + 1;
        if i >= s.len() {
            break;
        }
    }
}

/// Where the run of characters satisfying `ok` that ends `s` starts (a byte index on a
/// character boundary).
fn start_of_run(s: &str, ok: impl Fn(char) -> bool) -> usize {
    s.char_indices()
        .rev()
        .find(|(_, c)| !ok(*c))
        .map_or(0, |(k, c)| k + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_ids_emails_and_hosts() {
        let mut f = Found::default();
        scan(
            &json!({
                "customer_id": "cus_42", "orderId": 17, "ids": ["a", "b"],
                "note": "mail Bob.Smith@Example.COM or see https://user:pw@api.example.org:8443/x?y and http://[::1]:80/",
                "content": [{"type": "text", "text": "{\"id\": 99, \"url\": \"https://evil.test/c\"}"}],
                "id": "  "
            }),
            &mut f,
        );
        assert!(!f.ids.contains(&"  ".to_string()), "blank ids are not ids");
        assert!(f.ids.contains(&"cus_42".to_string()) && f.ids.contains(&"17".to_string()));
        assert!(f.ids.contains(&"a".to_string()) && f.ids.contains(&"b".to_string()));
        assert_eq!(f.emails, vec!["Bob.Smith@example.com"]);
        assert!(
            f.hosts.contains(&"api.example.org".to_string()),
            "{:?}",
            f.hosts
        );
        assert!(f.hosts.contains(&"::1".to_string()), "{:?}", f.hosts);
        assert!(f.hosts.contains(&"evil.test".to_string()), "{:?}", f.hosts);
        assert_eq!(f.data_classes(), vec!["email"]);
    }

    #[test]
    fn bounded_and_panic_free_on_odd_text() {
        let mut f = Found::default();
        let many: Vec<Value> = (0..500).map(|i| json!(format!("u{i}@x{i}.io"))).collect();
        scan(&json!({"list": many}), &mut f);
        assert_eq!(f.emails.len(), MAX_ITEMS);
        for s in [
            "@",
            "a@",
            "@b.c",
            "://",
            "x://",
            "é@é.é",
            "http://",
            "a@b",
            "😀://😀@😀.😀",
        ] {
            scan(&json!(s), &mut Found::default());
        }
    }
}
