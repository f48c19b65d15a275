//! Credential detection in file text: provider formats, private keys, database URLs
//! with passwords, keyword-gated high-entropy values, and MCP client configurations.
//! Matched values are never stored: only a fingerprint (a truncated SHA-256) is kept.

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use std::sync::LazyLock;

/// A credential found in a file.
#[derive(Debug, Clone)]
pub struct SecretMatch {
    /// Path relative to the scanned root.
    pub path: String,
    pub line: u32,
    pub column: u32,
    /// Length of the match in bytes (for the end column).
    pub len: u32,
    /// What it is, e.g. "A GitHub personal access token".
    pub kind: &'static str,
    /// `sha256:` + the first 12 hex digits of the value's SHA-256.
    pub fingerprint: String,
    /// Found in an MCP client configuration file.
    pub client_config: bool,
    /// A weaker signal (keyword and entropy only, or a test-mode key).
    pub weak: bool,
}

struct Pattern {
    kind: &'static str,
    re: &'static str,
    /// Capture group holding the secret (0 = whole match).
    group: usize,
    weak: bool,
}

const PATTERNS: &[Pattern] = &[
    Pattern {
        kind: "A Stripe live secret key",
        re: r"\b[sr]k_live_[0-9a-zA-Z]{20,99}\b",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "A Stripe test secret key",
        re: r"\b[sr]k_test_[0-9a-zA-Z]{20,99}\b",
        group: 0,
        weak: true,
    },
    Pattern {
        kind: "A GitHub token",
        re: r"\bgh[pousr]_[0-9A-Za-z]{36,255}\b",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "A GitHub fine-grained token",
        re: r"\bgithub_pat_[0-9A-Za-z_]{60,255}\b",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "An AWS access key id",
        re: r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "An AWS secret access key",
        re: r#"(?i)aws.{0,20}secret.{0,20}['"=:\s]+([0-9A-Za-z/+]{40})\b"#,
        group: 1,
        weak: false,
    },
    Pattern {
        kind: "An Anthropic API key",
        re: r"\bsk-ant-(?:api|admin)\d{2}-[0-9A-Za-z_\-]{20,}",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "An OpenAI API key",
        re: r"\bsk-(?:proj|svcacct|admin)-[0-9A-Za-z_\-]{20,}|\bsk-[0-9A-Za-z]{20}T3BlbkFJ[0-9A-Za-z]{20}\b",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "A Slack token",
        re: r"\bxox[abposr]-[0-9A-Za-z\-]{10,}\b",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "A Slack webhook URL",
        re: r"https://hooks\.slack\.com/services/T[0-9A-Z]+/B[0-9A-Z]+/[0-9A-Za-z]+",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "A Google API key",
        re: r"\bAIza[0-9A-Za-z_\-]{35}\b",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "A Hugging Face token",
        re: r"\bhf_[0-9A-Za-z]{34,40}\b",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "An npm access token",
        re: r"\bnpm_[0-9A-Za-z]{36}\b",
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "A SendGrid API key",
        re: r"\bSG\.[0-9A-Za-z_\-]{22}\.[0-9A-Za-z_\-]{43}\b",
        group: 0,
        weak: false,
    },
    // The header alone is often documentation ("Begins with -----BEGIN ..."); a key has a body.
    Pattern {
        kind: "A private key",
        re: r#"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----(?:\\n|\\r|[\s"'`+,]|#[^\n]*|//[^\n]*)*[A-Za-z0-9+/=]{20,}"#,
        group: 0,
        weak: false,
    },
    Pattern {
        kind: "A database URL with a password",
        re: r#"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver)://[^:@\s'"/]+:([^@\s'"/]{3,})@[^\s'"]+"#,
        group: 1,
        weak: false,
    },
    Pattern {
        kind: "A secret-named value with high entropy",
        re: r#"(?i)\b[a-z0-9_.\-]*(?:api[_\-]?key|apikey|secret|token|password|passwd|pwd|auth[_\-]?key|access[_\-]?key|client[_\-]?secret|private[_\-]?key)[a-z0-9_\-]*["']?\s*[:=]\s*[fbr]?["']([^"'\s${}<>]{12,200})["']"#,
        group: 1,
        weak: true,
    },
];

// ASCII-only matching (the patterns are ASCII): Unicode word boundaries would force
// the slow PikeVM, which dominated scan time in profiles.
static SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSetBuilder::new(PATTERNS.iter().map(|p| p.re))
        .unicode(false)
        .build()
        .unwrap_or_else(|e| panic!("built-in secret patterns are invalid: {e}"))
});
static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|p| {
            RegexBuilder::new(p.re)
                .unicode(false)
                .build()
                .unwrap_or_else(|e| panic!("built-in secret pattern {:?} is invalid: {e}", p.re))
        })
        .collect()
});

/// File names of MCP client configurations.
pub fn is_client_config(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        ".mcp.json"
            | "mcp.json"
            | "claude_desktop_config.json"
            | "cline_mcp_settings.json"
            | "mcp_config.json"
            | "mcp_settings.json"
    ) || path.ends_with(".gemini/settings.json")
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Values that are clearly not real credentials.
fn is_placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "example",
        "placeholder",
        "your",
        "xxxx",
        "****",
        "changeme",
        "change_me",
        "dummy",
        "sample",
        "redacted",
        "<",
        "${",
        "{{",
        "process.env",
        "os.environ",
        "getenv",
        "password",
        "secret",
        "token",
        "insert",
        "replace",
        "todo",
        "here",
        "none",
        "null",
        "undefined",
        "test1234",
        "abcdef",
        "123456",
        "foobar",
        "localhost",
    ];
    if WORDS.iter().any(|w| l.contains(w)) {
        return true;
    }
    // A run of one repeated character or an all-lowercase word is not a key.
    let distinct: std::collections::HashSet<char> = v.chars().collect();
    distinct.len() < 6
}

/// A provider-format value that is a documentation placeholder: `sk_live_xxxx…`,
/// `xoxb-your-bot-token`.
fn provider_placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    if [
        "your",
        "xxxx",
        "placeholder",
        "example",
        "changeme",
        "dummy",
        "redacted",
        "<",
        "${",
        "****",
    ]
    .iter()
    .any(|w| l.contains(w))
    {
        return true;
    }
    let tail: std::collections::HashSet<char> = v.chars().rev().take(16).collect();
    tail.len() < 5
}

/// Whether a generic high-entropy candidate looks like a real key.
fn strong_generic(v: &str) -> bool {
    let has_digit = v.chars().any(|c| c.is_ascii_digit());
    let has_alpha = v.chars().any(|c| c.is_ascii_alphabetic());
    let looks_like_path = v.contains('/') && !v.contains('+')
        || v.contains(' ')
        || v.ends_with(".json")
        || v.ends_with(".pem");
    has_digit && has_alpha && !looks_like_path && entropy(v) >= 3.5 && !is_placeholder(v)
}

/// `sha256:` + the first 12 hex digits of the value's SHA-256: enough to match two sightings,
/// useless for recovering a high-entropy secret.
pub fn fingerprint(value: &str) -> String {
    format!(
        "sha256:{}",
        &warden_core::sha256_hex(value.as_bytes())[..12]
    )
}

/// Where a credential is in a text, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Byte range of the secret value (character boundaries).
    pub start: usize,
    pub end: usize,
    pub kind: &'static str,
    /// A weaker signal (keyword and entropy only, or a test-mode key).
    pub weak: bool,
}

/// Scans one file's text.
pub fn scan_text(path: &str, text: &str) -> Vec<SecretMatch> {
    if is_client_config(path) {
        return scan_client_config(path, text);
    }
    let mut out: Vec<SecretMatch> = find(text)
        .into_iter()
        .map(|span| {
            let line_start = text[..span.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
            SecretMatch {
                path: path.to_string(),
                line: text[..span.start].matches('\n').count() as u32 + 1,
                column: (span.start - line_start) as u32 + 1,
                len: (span.end - span.start) as u32,
                kind: span.kind,
                fingerprint: fingerprint(&text[span.start..span.end]),
                client_config: false,
                weak: span.weak,
            }
        })
        .collect();
    out.sort_by_key(|s| (s.line, s.column));
    out
}

/// The credentials in any text (file contents, a tool's result): provider formats,
/// private keys, database URLs with passwords, keyword-gated high-entropy values.
pub fn find(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let matched = SET.matches(bytes);
    if !matched.matched_any() {
        return out;
    }
    let mut seen_spans: Vec<(usize, usize)> = Vec::new();
    for i in matched.iter() {
        let pat = &PATTERNS[i];
        for caps in COMPILED[i].captures_iter(bytes) {
            let Some(m) = caps.get(pat.group) else {
                continue;
            };
            // Matches are ASCII-delimited, so these offsets are character boundaries.
            let Some(value) = text.get(m.start()..m.end()) else {
                continue;
            };
            let whole = caps
                .get(0)
                .map(|w| (w.start(), w.end()))
                .unwrap_or((m.start(), m.end()));
            if seen_spans.iter().any(|(s, e)| *s < whole.1 && whole.0 < *e) {
                continue;
            }
            if pat.weak && pat.group > 0 && !strong_generic(value) {
                continue;
            }
            if pat.kind.starts_with("A database URL") && is_placeholder(value) {
                continue;
            }
            if value == "AKIAIOSFODNN7EXAMPLE"
                || value.contains("EXAMPLEKEY")
                || provider_placeholder(value)
            {
                continue;
            }
            // A line that reads a secret from the environment is a reference, not a value.
            let line_start = text[..m.start()].rfind('\n').map(|i| i + 1).unwrap_or(0);
            let line_end = text[m.end()..]
                .find('\n')
                .map(|i| m.end() + i)
                .unwrap_or(text.len());
            let line_text = &text[line_start..line_end];
            if pat.weak
                && (line_text.contains("process.env")
                    || line_text.contains("os.environ")
                    || line_text.contains("getenv"))
            {
                continue;
            }
            seen_spans.push(whole);
            out.push(Span {
                start: m.start(),
                end: m.end(),
                kind: pat.kind,
                weak: pat.weak,
            });
        }
    }
    out.sort_by_key(|s| s.start);
    out
}

/// MCP client configs: every literal in a server's `env`, `headers`, `args` or `url`
/// that is secret-named or has a provider format. `${VAR}`/`${input:x}` are references.
fn scan_client_config(path: &str, text: &str) -> Vec<SecretMatch> {
    let mut out = Vec::new();
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return out;
    };
    let servers = v
        .get("mcpServers")
        .or_else(|| v.get("servers"))
        .or_else(|| v.get("mcp").and_then(|m| m.get("servers")))
        .and_then(|s| s.as_object());
    let Some(servers) = servers else { return out };
    let mut candidates: Vec<(String, String)> = Vec::new();
    for server in servers.values() {
        for section in ["env", "headers"] {
            if let Some(obj) = server.get(section).and_then(|e| e.as_object()) {
                for (k, val) in obj {
                    if let Some(s) = val.as_str() {
                        candidates.push((k.clone(), s.to_string()));
                    }
                }
            }
        }
        if let Some(args) = server.get("args").and_then(|a| a.as_array()) {
            for a in args.iter().filter_map(|a| a.as_str()) {
                candidates.push((String::new(), a.to_string()));
            }
        }
        if let Some(u) = server.get("url").and_then(|a| a.as_str()) {
            candidates.push(("url".into(), u.to_string()));
        }
    }
    for (key, value) in candidates {
        if value.contains("${") || value.starts_with('$') || value.trim().is_empty() {
            continue;
        }
        let provider = scan_text("-", &value).into_iter().find(|s| !s.weak);
        let secret_key = crate::flow::is_secret_name(&key);
        let bearer = value.to_ascii_lowercase().starts_with("bearer ") && value.len() > 15;
        let kind = match (&provider, secret_key || bearer) {
            (Some(p), _) => p.kind,
            (None, true) if !is_placeholder(&value) && value.len() >= 8 => "A secret-named value",
            _ => continue,
        };
        let Some(pos) = text.find(&value) else {
            continue;
        };
        let line_start = text[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
        out.push(SecretMatch {
            path: path.to_string(),
            line: text[..pos].matches('\n').count() as u32 + 1,
            column: (pos - line_start) as u32 + 1,
            len: value.len() as u32,
            kind,
            fingerprint: fingerprint(&value),
            client_config: true,
            weak: provider.is_none(),
        });
    }
    out.sort_by_key(|s| (s.line, s.column));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_provider_keys_and_skips_references() {
        let text = "const a = \"ghp_0123456789abcdefghijABCDEFGHIJ012345\";\nconst b = process.env.GITHUB_TOKEN;\nconst url = \"postgres://app:hunter2pass@db:5432/x\";\n";
        let found = scan_text("a.ts", text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].line, 1);
        assert_eq!(found[1].kind, "A database URL with a password");
        assert!(!found.iter().any(|f| f.fingerprint.contains("hunter")));
    }

    #[test]
    fn generic_needs_entropy_and_no_placeholder() {
        assert_eq!(
            scan_text("a.py", "API_KEY = \"your-api-key-here\"\n").len(),
            0
        );
        assert_eq!(
            scan_text("a.py", "API_SECRET = \"q8X2mZ4vLp9Rt7Wk3Nc6Hj1Bs5Df0Ga\"\n").len(),
            1
        );
    }

    #[test]
    fn client_config_literal_vs_reference() {
        let cfg = r#"{"mcpServers":{"gh":{"command":"npx","env":{"GITHUB_TOKEN":"ghp_0123456789abcdefghijABCDEFGHIJ012345","OTHER":"${GITHUB_TOKEN}"}}}}"#;
        let found = scan_text(".mcp.json", cfg);
        assert_eq!(found.len(), 1);
        assert!(found[0].client_config);
    }
}
