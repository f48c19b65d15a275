//! A deleting tool without `destructiveHint: true`.

use super::effects;
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "perm-destructive-without-hint",
    title: "Destructive tool is not annotated as destructive",
    category: Category::ExcessivePermissions,
    cwe: "CWE-1021",
    severity: Severity::Medium,
    what: "Finds tools whose handler deletes files or records (`fs.rm`, `unlink`, `shutil.rmtree`, `DELETE`, `DROP`, `TRUNCATE`, ORM deletes) but that do not declare `destructiveHint: true`.",
    why: "Annotations are how clients decide which calls need the user's confirmation. An undeclared destructive tool can be driven by injected text to delete data silently.",
    example: "server.tool(\"delete_note\", { id: z.string() }, async ({ id }) => { await db.query(\"DELETE FROM notes WHERE id = $1\", [id]); });",
    fix: "Add `annotations: { destructiveHint: true }` (Python: `ToolAnnotations(destructiveHint=True)`), and consider a soft delete.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for t in &cx.inv.tools {
        let a = &t.def.annotations;
        if a.destructive == Some(true) || a.read_only == Some(true) {
            continue;
        }
        if !effects(cx, t).into_iter().any(|e| e.destroys) {
            continue;
        }
        let msg = format!(
            "Tool `{}` deletes data but does not declare `destructiveHint: true`.",
            t.def.name
        );
        out.push(cx.at_tool(&RULE, t, msg, Confidence::High));
    }
}
