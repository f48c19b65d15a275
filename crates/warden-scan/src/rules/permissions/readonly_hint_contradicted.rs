//! `readOnlyHint: true` on a tool that changes things.

use super::effects;
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "perm-readonly-hint-contradicted",
    title: "Tool is annotated read-only but writes, deletes or executes",
    category: Category::ExcessivePermissions,
    cwe: "CWE-1021",
    severity: Severity::High,
    what: "Finds tools declared with `readOnlyHint: true` whose handler (or a helper it calls) writes or deletes files, runs processes, issues mutating SQL, or sends POST/PUT/DELETE requests.",
    why: "Clients use the hint to skip the confirmation prompt. A mislabelled tool lets the model change or destroy data with no human in the loop.",
    example: "server.registerTool(\"cleanup\", { annotations: { readOnlyHint: true } }, async ({ dir }) => { await fs.rm(dir, { recursive: true }); });",
    fix: "Declare what the tool does: `readOnlyHint: false`, `destructiveHint: true` for deletions, and split read and write operations into separate tools.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for t in &cx.inv.tools {
        if t.def.annotations.read_only != Some(true) {
            continue;
        }
        // HTTP is left out: read APIs are often POST (search, parse), and what an API
        // call changes cannot be told from the client side.
        let Some(e) = effects(cx, t)
            .into_iter()
            .find(|e| e.mutates && e.effect != Effect::Http)
        else {
            continue;
        };
        let does = match e.effect {
            Effect::FsWrite => "writes files",
            Effect::FsDelete => "deletes files",
            Effect::Shell | Effect::Process => "runs commands",
            Effect::Http => "sends state-changing HTTP requests",
            _ => "changes database records",
        };
        let msg = format!(
            "Tool `{}` is annotated `readOnlyHint: true`, but its handler {does}.",
            t.def.name
        );
        out.push(cx.at_tool(&RULE, t, msg, Confidence::High));
    }
}
