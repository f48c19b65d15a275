//! sql-injection: tool input in SQL text.
pub mod raw_query_tool;
pub mod string_built_query;

use crate::flow::{Hit, HitKind};
use crate::sinks::Effect;

/// Whether the query is the tool's own input with, at most, a transaction wrapper
/// around it (a "run this SQL" tool) rather than a value spliced into fixed SQL.
pub(crate) fn is_raw_tool(hit: &Hit) -> bool {
    if hit.kind != HitKind::Sink(Effect::Sql) {
        return false;
    }
    if !hit.taint.built {
        return true;
    }
    let up = hit.taint.lit.to_ascii_uppercase();
    if up.contains("READ ONLY") || up.contains("ROLLBACK") || up.trim_start().starts_with("BEGIN") {
        return true;
    }
    // Only wrapper words around the input (`EXPLAIN {sql}`, `{sql};`): the input is
    // the whole statement.
    let words: Vec<&str> = up
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    !words.is_empty()
        && words.iter().all(|w| {
            matches!(
                *w,
                "EXPLAIN"
                    | "ANALYZE"
                    | "VERBOSE"
                    | "FORMAT"
                    | "JSON"
                    | "COMMIT"
                    | "SET"
                    | "TRANSACTION"
            )
        })
}
