//! An MCP HTTP transport with no Host/Origin validation (DNS rebinding).

use super::{has_host_check, serves_http};
use crate::rules::{Cx, Raw, Rule, at_span, each_call};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "transport-no-origin-check",
    title: "HTTP transport does not validate Host or Origin (DNS rebinding)",
    category: Category::InsecureTransport,
    cwe: "CWE-346",
    severity: Severity::High,
    what: "Finds Streamable HTTP and SSE transports created without DNS-rebinding protection: `new StreamableHTTPServerTransport(...)`/`SSEServerTransport` without `enableDnsRebindingProtection: true` and `allowedHosts`, Python transports with `enable_dns_rebinding_protection=False`, and fastmcp HTTP apps with no trusted-host middleware.",
    why: "A web page the user visits can resolve its own domain to 127.0.0.1 and call the local server's tools from the browser (CVE-2025-10193, CVE-2025-66414).",
    example: "const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });",
    fix: "Enable the SDK's protection (`enableDnsRebindingProtection: true, allowedHosts: [\"127.0.0.1:3000\"]`; Python `TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=[...])`), or add middleware that rejects unexpected Host and Origin headers.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    // Per module, once. A transport behind authentication cannot be driven by a page in
    // a browser, which has no token to send.
    let candidate: Vec<bool> =
        cx.p.sources
            .iter()
            .map(|src| serves_http(src) && !has_host_check(src) && !super::has_auth(src))
            .collect();
    each_call(cx.p, |mi, c| {
        if !candidate[mi] {
            return;
        }
        let src = &cx.p.sources[mi];
        // The official Python SDK (mcp >= 1.23) validates Host by default; only fastmcp 2.x
        // apps and an explicit opt-out are open.
        let fastmcp2 = src.contains("from fastmcp") || src.contains("import fastmcp");
        let explicit_off = src.contains("enable_dns_rebinding_protection=False")
            || src.contains("enableDnsRebindingProtection: false");
        let Some(path) = c.callee.path() else { return };
        let name = path.rsplit('.').next().unwrap_or(&path);
        let bad = match name {
            "StreamableHTTPServerTransport" | "SSEServerTransport" => c.is_new,
            "SseServerTransport" | "StreamableHTTPSessionManager" => true,
            "TransportSecuritySettings" => explicit_off,
            "run_http_async"
            | "run_sse_async"
            | "run_streamable_http_async"
            | "http_app"
            | "sse_app"
            | "streamable_http_app" => fastmcp2 && c.keyword("middleware").is_none(),
            "run" => {
                c.keyword("transport")
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| t == "sse" || t == "http" || t == "streamable-http")
                    && fastmcp2
            }
            _ => false,
        };
        if bad {
            let msg = "This MCP HTTP transport does not check the Host or Origin header, so a web page can reach it through DNS rebinding.";
            out.push(at_span(&RULE, mi, c.span, msg.into(), Confidence::Medium));
        }
    });
}
