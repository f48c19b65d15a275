//! hardcoded-secret and secret-leak: credentials in source, configs, outputs and logs.
pub mod env_dump;
pub mod hardcoded;
pub mod in_client_config;
pub mod leak_log;
pub mod leak_output;

use crate::flow::{Hit, clear, label};

/// A hit carrying a credential that was not masked.
pub(crate) fn carries_secret(hit: &Hit) -> bool {
    hit.taint.labels & label::SECRET != 0 && hit.taint.cleared & clear::REDACT == 0
}

/// The credential names in a hit, for messages.
pub(crate) fn secret_names(hit: &Hit) -> String {
    let names: Vec<String> = hit
        .taint
        .origins
        .iter()
        .filter(|o| crate::flow::is_secret_name(o))
        .map(|o| format!("`{o}`"))
        .collect();
    if names.is_empty() {
        "a credential".into()
    } else {
        names.join(", ")
    }
}

/// A finding for a credential found in file text.
pub(crate) fn secret_finding(
    rule: &'static crate::rules::Rule,
    s: &crate::secrets::SecretMatch,
    message: String,
) -> crate::rules::Raw {
    use warden_core::{Confidence, Severity};
    crate::rules::Raw {
        rule,
        module: None,
        path: Some(s.path.clone()),
        span: crate::ir::Span {
            start_line: s.line,
            start_col: s.column,
            end_line: s.line,
            end_col: s.column + s.len,
            ..crate::ir::Span::default()
        },
        tool: None,
        message,
        evidence: Vec::new(),
        severity: if s.weak && !s.client_config {
            Severity::Medium
        } else {
            rule.severity
        },
        confidence: if s.weak {
            Confidence::Medium
        } else {
            Confidence::High
        },
    }
}
