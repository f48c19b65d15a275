//! Credentials returned to the model in a tool result or error.

use super::{carries_secret, secret_names};
use crate::flow::HitKind;
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "secret-leak-output",
    title: "Tool result or error contains a credential",
    category: Category::SecretLeak,
    cwe: "CWE-200",
    severity: Severity::High,
    what: "Finds tool handlers that return, or throw in an error message, a value derived from a secret-named environment variable or configuration field (`GITHUB_TOKEN`, `api_key`, `password`, ...).",
    why: "Everything a tool returns goes into the model's context, the client's logs and often a vendor's servers; an injected instruction only has to ask for it (token theft).",
    example: "@mcp.tool()\ndef diagnostics():\n    return f\"token={os.environ['API_TOKEN']}\"",
    fix: "Never return credentials. Return whether one is configured, or a fingerprint (the last four characters, or a keyed hash); redact secrets from error messages.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if !matches!(hit.kind, HitKind::Return | HitKind::Throw) || !carries_secret(hit) {
            continue;
        }
        let how = if hit.kind == HitKind::Return {
            "returns"
        } else {
            "throws an error containing"
        };
        let msg = format!("The tool {how} {} to the model.", secret_names(hit));
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::High));
    }
}
