//! A containment check by string prefix, without a separator.

use super::{fs_hit, prefix_without_separator, verb};
use crate::flow::clear;
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "path-prefix-check-no-separator",
    title: "Path containment is checked by a prefix without a separator",
    category: Category::PathTraversal,
    cwe: "CWE-22",
    severity: Severity::High,
    what: "Finds file access guarded by `resolved.startsWith(root)` (or `startswith`, `commonprefix`) where the prefix does not end with a path separator.",
    why: "`/srv/data-evil/secret` starts with `/srv/data`: a sibling directory whose name extends the root passes the check (the bug class of CVE-2025-53110).",
    example: "const p = path.resolve(ROOT, file);\nif (!p.startsWith(ROOT)) throw new Error(\"outside root\");\nreturn fs.readFile(p);",
    fix: "Compare with the separator appended (`p === ROOT || p.startsWith(ROOT + path.sep)`), or use `path.relative` / `Path.is_relative_to`, after resolving symlinks.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if !fs_hit(hit) || cx.cleared(h, hit, clear::PATH) || !prefix_without_separator(cx, h, hit)
        {
            continue;
        }
        let mut raw_hit = hit.clone();
        if let Some((m, sp)) = hit
            .taint
            .origins
            .iter()
            .find_map(|o| cx.runs[h].guards.prefix_no_sep.get(o))
        {
            raw_hit.taint = raw_hit.taint.clone();
            let mut steps = (*raw_hit.taint.steps).clone();
            steps.push(crate::flow::Step {
                module: *m,
                span: *sp,
                note: "prefix check without a trailing separator".into(),
            });
            raw_hit.taint.steps = std::sync::Arc::new(steps);
        }
        let msg = format!(
            "The path `{}` {} is checked with a string prefix that lacks a separator, so sibling directories sharing the prefix pass.",
            hit.callee,
            verb(hit)
        );
        out.push(cx.from_hit(&RULE, h, &raw_hit, msg, Confidence::High));
    }
}
