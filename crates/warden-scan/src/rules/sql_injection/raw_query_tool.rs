//! A tool that runs model-supplied SQL behind a guard that does not hold.

use super::is_raw_tool;
use crate::flow::{clear, label};
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "sql-raw-query-tool",
    title: "Tool runs model-supplied SQL without an enforced read-only boundary",
    category: Category::SqlInjection,
    cwe: "CWE-89",
    severity: Severity::High,
    what: "Finds tools that pass their input as a whole SQL statement to the database, when the only \"read-only\" protection is a prefix check (`startsWith(\"SELECT\")`) or a `BEGIN READ ONLY; ...; ROLLBACK` wrapper in the same string, or when there is none.",
    why: "`SELECT 1; DROP TABLE users` starts with SELECT, and `COMMIT; DELETE FROM users` ends the read-only transaction from inside it. A model following injected text can then change or destroy data.",
    example: "if (!sql.trim().toUpperCase().startsWith(\"SELECT\")) throw new Error(\"read-only\");\nawait pool.query(sql);",
    fix: "Enforce read-only in the database: connect as a role with only SELECT grants, or set `default_transaction_read_only` on the session, and reject multi-statement input with a real SQL parser.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if hit.taint.labels & label::ARG == 0 || !is_raw_tool(hit) || cx.cleared(h, hit, clear::SQL)
        {
            continue;
        }
        let src = &cx.p.sources[hit.module];
        let lower = src.to_ascii_lowercase();
        // A read-only role or session set up in the same module is the real boundary.
        let enforced = [
            "default_transaction_read_only",
            "set session characteristics as transaction read only",
            "readonly=true",
            "read_only=true",
            "mode=ro",
            "query_only",
            "set_session(readonly",
            "readonly: true",
            "access_mode=read_only",
        ]
        .iter()
        .any(|k| lower.contains(k));
        if enforced {
            continue;
        }
        let guard = hit
            .taint
            .origins
            .iter()
            .find_map(|o| cx.runs[h].guards.sql_prefix.get(o));
        let msg = if guard.is_some() {
            format!(
                "The tool runs model-supplied SQL with `{}`; its read-only check is a prefix test, which `SELECT 1; DROP ...` passes.",
                hit.callee
            )
        } else if hit.taint.built {
            format!(
                "The tool wraps model-supplied SQL in a transaction inside the same string passed to `{}`; a `COMMIT;` in the input escapes it.",
                hit.callee
            )
        } else {
            format!(
                "The tool runs model-supplied SQL with `{}` and nothing enforces read-only access.",
                hit.callee
            )
        };
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::High));
    }
}
