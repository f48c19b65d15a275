//! A record looked up by a caller-supplied id with no ownership check.

use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "authz-missing-ownership-check",
    title: "Data tool reads or changes a record by id without checking who owns it",
    category: Category::MissingAuthz,
    cwe: "CWE-639",
    severity: Severity::High,
    what: "Finds tools that take a record identifier (`id`, `*_id`, `*Id`, `uuid`) and pass it to a database query or ORM lookup, while neither the handler nor its helpers consult the caller's identity (`extra.authInfo`, the request context's access token, a session user) and the query has no owner or tenant condition.",
    why: "Every caller of the server can read, change or delete every record by guessing or enumerating ids (broken object-level authorization). Under prompt injection the model does the enumeration, at machine speed.",
    example: "server.tool(\"get_invoice\", { invoiceId: z.string() }, async ({ invoiceId }) => {\n  const { rows } = await pool.query(\"SELECT * FROM invoices WHERE id = $1\", [invoiceId]);\n});",
    fix: "Scope every lookup to the authenticated caller: `WHERE id = $1 AND owner_id = $2` with the owner taken from the verified token (`extra.authInfo`), never from a tool argument.",
    check,
};

/// Whether an argument name is a record identifier. Identifiers of plumbing — which
/// connection to use, which request or trace a call belongs to — name no record a
/// caller could own.
pub(crate) fn is_id_name(n: &str) -> bool {
    let l = n.to_ascii_lowercase();
    const PLUMBING: &[&str] = &[
        "connection",
        "request",
        "trace",
        "correlation",
        "span",
        "idempotency",
    ];
    if PLUMBING.iter().any(|p| l.starts_with(p)) {
        return false;
    }
    l == "id"
        || l == "uuid"
        || l == "pk"
        || l.ends_with("_id")
        || l.ends_with("_uuid")
        || (n.ends_with("Id") && n.len() > 2)
        || l.ends_with("_key") && l.contains("record")
}

/// Words that show the code knows who the caller is.
pub(crate) fn identity_seen(names: &rustc_hash::FxHashSet<String>) -> bool {
    const WORDS: &[&str] = &[
        "authinfo",
        "requestcontext",
        "accesstoken",
        "currentuser",
        "principal",
        "caller",
        "sessionuser",
        "userid",
        "tenant",
        "owner",
        "clientid",
        "claims",
        "getuser",
        "whoami",
        "authenticateduser",
        "requestuser",
        "authuser",
    ];
    names.iter().any(|n| {
        let l: String = n
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        l == "sub" || WORDS.iter().any(|w| l.contains(w))
    })
}

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, run) in cx.runs.iter().enumerate() {
        if identity_seen(&run.names_read) {
            continue;
        }
        for da in &run.data_access {
            let Some(id) = da.origins.iter().find(|o| is_id_name(o)) else {
                continue;
            };
            let text = da.text.to_ascii_lowercase();
            if text.contains("owner")
                || text.contains("tenant")
                || text.contains("user_id")
                || text.contains("userid")
                || text.contains("account_id")
            {
                continue;
            }
            let tool = cx.tool_for(h, da.root_site);
            let verb = if da.mutates { "changes" } else { "reads" };
            let msg = format!(
                "The tool {verb} the record whose id is the tool argument `{id}`, and nothing checks that the caller owns it."
            );
            out.push(Raw {
                rule: &RULE,
                module: Some(da.module),
                path: None,
                span: da.span,
                tool: tool.map(|t| t.def.name.clone()),
                message: msg,
                evidence: cx.evidence(&da.steps),
                severity: RULE.severity,
                confidence: Confidence::Medium,
            });
        }
    }
}
