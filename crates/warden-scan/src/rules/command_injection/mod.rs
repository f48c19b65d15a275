//! command-injection: tool input reaching a shell or a process.
pub mod arbitrary_command;
pub mod argument_injection;
pub mod shell_injection;

use crate::flow::{Hit, HitKind};
use crate::sinks::Effect;

/// The program of a process hit, when it is a literal.
pub(crate) fn program(hit: &Hit) -> Option<&str> {
    match (&hit.kind, &hit.argv_pos) {
        (HitKind::Sink(Effect::Process), Some((pos, before))) if *pos > 0 => {
            before.first().map(String::as_str).filter(|p| !p.is_empty())
        }
        _ => None,
    }
}

/// Shells that run their `-c` argument as a command line.
pub(crate) fn is_shell(program: &str) -> bool {
    let base = program.rsplit('/').next().unwrap_or(program);
    matches!(
        base,
        "sh" | "bash" | "zsh" | "dash" | "ksh" | "cmd" | "cmd.exe" | "powershell" | "pwsh"
    )
}
