//! Credentials written to logs.

use super::{carries_secret, secret_names};
use crate::flow::HitKind;
use crate::rules::{Cx, Raw, Rule, capitalize};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "secret-leak-log",
    title: "Credential written to a log",
    category: Category::SecretLeak,
    cwe: "CWE-532",
    severity: Severity::Medium,
    what: "Finds values derived from secret-named environment variables or configuration fields passed to `console.*`, `logging.*`, loggers or `print`.",
    why: "Logs are copied to many places with weaker access control than the secret store: log aggregators, support bundles, CI output. For a stdio MCP server, stdout is the protocol channel and stderr is shown by clients.",
    example: "console.error(`starting with key ${process.env.API_KEY}`);",
    fix: "Log that a credential is configured, or a fingerprint of it, never the value. Add a redaction filter to the logger.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    let mut seen = std::collections::HashSet::new();
    let runs = cx.runs.iter().enumerate().chain(
        cx.module_runs
            .iter()
            .enumerate()
            .map(|(i, r)| (usize::MAX - i, r)),
    );
    for (h, run) in runs {
        for hit in &run.hits {
            if hit.kind != HitKind::Sink(Effect::Log)
                || !carries_secret(hit)
                || !seen.insert((hit.module, hit.span.start_byte))
            {
                continue;
            }
            let msg = format!(
                "{} is written to a log by `{}`.",
                secret_names(hit),
                hit.callee
            );
            let mut raw = if h < cx.runs.len() {
                cx.from_hit(&RULE, h, hit, msg, Confidence::High)
            } else {
                Raw {
                    rule: &RULE,
                    module: Some(hit.module),
                    path: None,
                    span: hit.span,
                    tool: None,
                    message: msg,
                    evidence: cx.evidence(&hit.taint.steps),
                    severity: RULE.severity,
                    confidence: Confidence::High,
                }
            };
            raw.message = capitalize(&raw.message);
            out.push(raw);
        }
    }
}
