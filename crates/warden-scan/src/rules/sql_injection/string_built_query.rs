//! Tool input spliced into SQL text.

use super::is_raw_tool;
use crate::flow::{HitKind, clear, label, looks_like_sql};
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "sql-string-built-query",
    title: "Tool argument is built into a SQL statement",
    category: Category::SqlInjection,
    cwe: "CWE-89",
    severity: Severity::High,
    what: "Finds SQL text built from tool input by interpolation, concatenation, `%` or `.format`, then passed to `execute`, `query`, `prepare`, `raw`, `$queryRawUnsafe`, `sqlalchemy.text` and similar.",
    why: "A quote in the value ends the literal and the rest runs as SQL: read every table, change data, or on some databases run commands, with the server's database role. Identifiers (table names) are as dangerous as values.",
    example: "cursor.execute(f\"SELECT * FROM {table} WHERE id = {record_id}\")",
    fix: "Pass values as parameters (`execute(\"... WHERE id = %s\", (record_id,))`, `query(\"... $1\", [id])`, `prisma.$queryRaw` tagged templates). Validate identifiers against the list of known tables and quote them with the driver's identifier quoting.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if hit.kind != HitKind::Sink(Effect::Sql)
            || hit.taint.labels & label::ARG == 0
            || !hit.taint.built
            || is_raw_tool(hit)
        {
            continue;
        }
        if cx.cleared(h, hit, clear::SQL) {
            continue;
        }
        let conf = if looks_like_sql(&hit.taint.lit) {
            Confidence::High
        } else {
            Confidence::Medium
        };
        if conf == Confidence::Medium
            && !hit.callee.contains("Unsafe")
            && !hit.callee.ends_with("text")
        {
            // Without SQL-looking text the receiver name is the only evidence; require SQL text.
            continue;
        }
        let msg = format!(
            "Tool input is built into the SQL text passed to `{}` instead of being bound as a parameter.",
            hit.callee
        );
        out.push(cx.from_hit(&RULE, h, hit, msg, conf));
    }
}
