//! Tool input used as the name of a module to load.

use crate::flow::{HitKind, label};
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "eval-dynamic-import",
    title: "Tool argument chooses a module to load",
    category: Category::CodeEval,
    cwe: "CWE-829",
    severity: Severity::High,
    what: "Finds tool arguments passed to `require(...)`, `import(...)`, `importlib.import_module(...)` or `__import__(...)`.",
    why: "Loading a module runs its top-level code. A model-chosen path or package name can load an attacker-written file (for example one the same server just wrote) or a module with side effects.",
    example: "server.tool(\"load_plugin\", { name: z.string() }, async ({ name }) => {\n  const plugin = await import(name);\n});",
    fix: "Map the argument to a module from a fixed table (`PLUGINS[name]`), and reject anything not in it.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if hit.kind != HitKind::Sink(Effect::DynImport)
            || hit.taint.labels & label::ARG == 0
            || cx.cleared(h, hit, 0xff)
        {
            continue;
        }
        let msg = format!(
            "Tool input names the module loaded by `{}`; loading runs the module's code.",
            hit.callee
        );
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::High));
    }
}
