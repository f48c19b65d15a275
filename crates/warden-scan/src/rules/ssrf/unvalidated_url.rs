//! A model-chosen URL fetched with no destination check.

use crate::flow::{HitKind, clear, label};
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "ssrf-unvalidated-url",
    title: "Tool argument chooses the destination of an outbound request",
    category: Category::Ssrf,
    cwe: "CWE-918",
    severity: Severity::High,
    what: "Finds tool arguments that decide the host of `fetch`, `axios`, `got`, `http.request`, `requests`, `httpx`, `aiohttp`, `urllib.request.urlopen` or a browser `page.goto`, with no host allowlist and no check that rejects loopback, private, link-local and cloud-metadata addresses.",
    why: "The server can reach what the model's user cannot: `http://169.254.169.254/` returns cloud credentials, `http://localhost:…` reaches admin ports and databases (CVE-2025-5276).",
    example: "server.tool(\"fetch\", { url: z.string() }, async ({ url }) => {\n  const res = await fetch(url);\n  return { content: [{ type: \"text\", text: await res.text() }] };\n});",
    fix: "Parse the URL, allow only http(s), check the host against an allowlist, or resolve it and reject private, loopback, link-local and metadata addresses — at connection time, so that redirects and DNS rebinding cannot bypass the check.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if hit.kind != HitKind::Sink(Effect::Http)
            || hit.taint.labels & label::ARG == 0
            || hit.taint.host_fixed
        {
            continue;
        }
        if cx.cleared(h, hit, clear::SSRF) {
            continue;
        }
        let msg = format!(
            "Tool input decides where `{}` connects; nothing restricts it to allowed public hosts.",
            hit.callee
        );
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::High));
    }
}
