//! Tool input passed as an argument that can start with `-` to a program that takes options.

use super::program;
use crate::flow::{clear, label};
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::option_injectable;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "cmd-argument-injection",
    title: "Tool argument can inject options into a command",
    category: Category::CommandInjection,
    cwe: "CWE-88",
    severity: Severity::High,
    what: "Finds tool arguments placed in the argument vector of programs such as git, curl, kubectl, ssh, rsync, find or tar, with no `--` before them and no check that they do not start with `-`.",
    why: "Even without a shell, a value like `--upload-pack=touch /tmp/pwned` (git) or `-o /etc/cron.d/x` (curl) is read as an option and can run commands or overwrite files.",
    example: "execFile(\"git\", [\"checkout\", branch]) // branch = \"--orphan=x\" or \"-c core.sshCommand=...\"",
    fix: "Put `--` before positional arguments (`[\"checkout\", \"--\", branch]`), or reject values that start with `-`, or validate them against an anchored pattern.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        let Some(prog) = program(hit) else { continue };
        if hit.taint.labels & label::ARG == 0 || !option_injectable(prog) {
            continue;
        }
        let Some((_, before)) = &hit.argv_pos else {
            continue;
        };
        if before.iter().any(|a| a == "--" || a == "--end-of-options")
            || before.iter().any(|a| a == "-c" || a == "-e")
        {
            continue;
        }
        // `["-name", pattern]`: the value of an option cannot start another option.
        let pos = hit.argv_pos.as_ref().map_or(0, |(p, _)| *p);
        if before.len() == pos
            && before
                .last()
                .is_some_and(|a| a.starts_with('-') && !a.contains('='))
        {
            continue;
        }
        // `--branch=${x}` or `${BASE_URL}/${x}` cannot become a new option.
        if hit.taint.built && (hit.taint.lit.starts_with('-') || hit.taint.host_fixed) {
            continue;
        }
        if cx.cleared(h, hit, clear::ARGINJ) {
            continue;
        }
        let msg = format!(
            "Tool input is passed to `{prog}` as an argument with no `--` before it; a value starting with `-` is read as an option."
        );
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::Medium));
    }
}
