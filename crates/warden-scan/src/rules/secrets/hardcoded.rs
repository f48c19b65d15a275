//! Credentials written into source and configuration files.

use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Severity};

pub static RULE: Rule = Rule {
    id: "secret-hardcoded",
    title: "Credential written in a file of the repository",
    category: Category::HardcodedSecret,
    cwe: "CWE-798",
    severity: Severity::Critical,
    what: "Finds provider-format credentials (Stripe, GitHub, AWS, Anthropic, OpenAI, Slack, Google, Hugging Face, npm, SendGrid), private keys, database URLs with passwords, and values of secret-named variables with high entropy, in source and configuration files. Values are never printed: the report shows a fingerprint.",
    why: "Anyone with read access to the repository, its forks, packages or build logs has the credential, and an MCP server's credentials are usually broad. Rotating it is the only fix once it is committed.",
    example: "const stripe = new Stripe(\"sk_live_...\");",
    fix: "Rotate the credential now. Read it from the environment or a secret manager (`process.env.STRIPE_KEY`, `os.environ[\"STRIPE_KEY\"]`), and keep `.env` files out of version control.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for s in cx.secrets.iter().filter(|s| !s.client_config) {
        let msg = format!(
            "{} written in the file (fingerprint {}).",
            s.kind, s.fingerprint
        );
        out.push(super::secret_finding(&RULE, s, msg));
    }
}
