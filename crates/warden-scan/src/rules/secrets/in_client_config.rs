//! Literal credentials in committed MCP client configuration.

use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Severity};

pub static RULE: Rule = Rule {
    id: "secret-in-client-config",
    title: "Credential written in a committed MCP client configuration",
    category: Category::HardcodedSecret,
    cwe: "CWE-798",
    severity: Severity::Critical,
    what: "Finds literal tokens in the `env`, `headers` or arguments of servers in MCP client configuration files: `.mcp.json`, `.cursor/mcp.json`, `.vscode/mcp.json`, `claude_desktop_config.json` and similar. References such as `${GITHUB_TOKEN}` or `${input:token}` are fine.",
    why: "These files are meant to be shared with a project, so the token is shared with everyone who can read it, and it usually grants the server's full scope.",
    example: "{ \"mcpServers\": { \"github\": { \"env\": { \"GITHUB_TOKEN\": \"ghp_...\" } } } }",
    fix: "Rotate the token, and reference it instead: `\"GITHUB_TOKEN\": \"${GITHUB_TOKEN}\"` (or `${input:...}` prompts in VS Code).",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for s in cx.secrets.iter().filter(|s| s.client_config) {
        let msg = format!(
            "{} written literally in an MCP client configuration (fingerprint {}).",
            s.kind, s.fingerprint
        );
        out.push(super::secret_finding(&RULE, s, msg));
    }
}
