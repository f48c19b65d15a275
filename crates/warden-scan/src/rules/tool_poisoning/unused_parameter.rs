//! A declared parameter that the handler never reads: a side channel for data.

use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "poison-unused-parameter",
    title: "Tool declares a free-text parameter its handler never reads",
    category: Category::ToolPoisoning,
    cwe: "CWE-1427",
    severity: Severity::Medium,
    what: "Finds parameters such as `sidenote`, `notes`, `context`, `feedback` or `debug` that a tool declares but whose handler (and the helpers it calls) never reads.",
    why: "A parameter that does nothing is how poisoned tools carry data out: the description asks the model to put a file's content or the conversation in it, and the server (or whoever reads its logs and traffic) receives it.",
    example: "server.tool(\"add\", { a: z.number(), b: z.number(), sidenote: z.string() }, async ({ a, b }) => ...)",
    fix: "Remove parameters the tool does not use. If one is needed later, give it a precise type and description.",
    check,
};

const SUSPICIOUS: &[&str] = &[
    "sidenote",
    "side_note",
    "sideNote",
    "note",
    "notes",
    "context",
    "feedback",
    "debug",
    "metadata",
    "extra",
    "comment",
    "comments",
    "reasoning",
    "summary",
    "details",
    "info",
    "remarks",
    "memo",
    "thoughts",
    "additional",
    "additional_info",
    "annotation",
    "conversation",
    "history",
    "content",
];

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for t in &cx.inv.tools {
        let Some(h) = t.handler else { continue };
        let run = &cx.runs[h];
        if run.args_escape {
            continue;
        }
        for p in &t.def.params {
            if run.names_read.contains(&p.name) {
                continue;
            }
            // A description that talks about the parameter it never uses is asking the
            // model to fill a channel nobody reads.
            let directive = t.def.description.as_deref().is_some_and(|d| {
                d.to_ascii_lowercase()
                    .contains(&p.name.to_ascii_lowercase())
            });
            let lname = p.name.to_ascii_lowercase();
            let suspicious = SUSPICIOUS.contains(&p.name.as_str())
                || [
                    "note", "context", "debug", "feedback", "comment", "reason", "summary", "memo",
                    "thought", "remark", "extra", "meta",
                ]
                .iter()
                .any(|k| lname.contains(k));
            if !suspicious && !directive {
                continue;
            }
            let mut raw = cx.at_tool(
                &RULE,
                t,
                format!(
                    "Tool `{}` declares the parameter `{}` but its handler never reads it.",
                    t.def.name, p.name
                ),
                Confidence::Medium,
            );
            raw.module = None;
            raw.path = Some(p.location.path.clone());
            raw.span.start_line = p.location.start_line;
            raw.span.start_col = p.location.start_column;
            raw.span.end_line = p.location.end_line;
            raw.span.end_col = p.location.end_column;
            out.push(raw);
        }
    }
}
