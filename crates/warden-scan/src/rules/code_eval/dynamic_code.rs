//! Tool input evaluated as code.

use crate::flow::{HitKind, label};
use crate::rules::command_injection::program;
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "eval-dynamic-code",
    title: "Tool argument is evaluated as code",
    category: Category::CodeEval,
    cwe: "CWE-95",
    severity: Severity::Critical,
    what: "Finds tool arguments that reach `eval`, `exec`, `compile`, `new Function`, `vm.runIn*Context`, `sympy.sympify`, or an interpreter's `-c`/`-e` option.",
    why: "Evaluating model-supplied text runs arbitrary code in the server process, with all its credentials. Restricting globals (`eval(x, {\"__builtins__\": {}})`) is not a sandbox (CVE-2026-2008).",
    example: "@mcp.tool()\ndef plot(equation: str):\n    y = eval(equation, {\"np\": np})",
    fix: "Parse the input with a real parser for the small language you need (an expression grammar, `ast.literal_eval`, JSON), or map names to functions from a fixed table.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if hit.taint.labels & label::ARG == 0 {
            continue;
        }
        let interpreter_c = program(hit).is_some_and(|p| {
            let base = p.rsplit('/').next().unwrap_or(p);
            base.starts_with("python")
                || matches!(base, "node" | "perl" | "ruby" | "php" | "deno" | "bun")
        }) && hit.argv_pos.as_ref().is_some_and(|(pos, b)| {
            // `python -c CODE`, or `python SCRIPT` whose path (and so content) the input decides.
            b.iter().any(|a| a == "-c" || a == "-e" || a == "--eval") || (*pos == 1 && b.len() == 1)
        });
        if hit.kind != HitKind::Sink(Effect::Eval) && !interpreter_c {
            continue;
        }
        if cx.cleared(h, hit, 0xff) {
            continue;
        }
        let msg = format!(
            "Tool input reaches `{}`, which runs it as code.",
            hit.callee
        );
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::High));
    }
}
