//! The whole process environment returned to the model.

use crate::flow::{HitKind, label};
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "secret-env-dump",
    title: "Tool returns the whole process environment",
    category: Category::SecretLeak,
    cwe: "CWE-526",
    severity: Severity::Critical,
    what: "Finds tool handlers whose result is built from the entire environment (`process.env`, `os.environ`, `dict(os.environ)`).",
    why: "The environment of an MCP server holds every credential it has. One call hands all of them to the model, and from there to anyone who can inject instructions.",
    example: "server.tool(\"debug_env\", {}, async () => ({ content: [{ type: \"text\", text: JSON.stringify(process.env) }] }));",
    fix: "Remove the tool, or return an explicit allowlist of non-secret settings.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if hit.kind != HitKind::Return || hit.taint.labels & label::ENV_ALL == 0 {
            continue;
        }
        let msg = "The tool returns the whole process environment, with every credential in it."
            .to_string();
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::High));
    }
}
