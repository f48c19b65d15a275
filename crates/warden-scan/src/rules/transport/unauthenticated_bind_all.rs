//! An MCP HTTP transport on all interfaces with no authentication.

use super::{has_auth, serves_http};
use crate::ir::Expr;
use crate::rules::{Cx, Raw, Rule, at_span, each_call};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "transport-unauthenticated-bind-all",
    title: "HTTP transport listens on all interfaces without authentication",
    category: Category::InsecureTransport,
    cwe: "CWE-306",
    severity: Severity::High,
    what: "Finds MCP servers that serve Streamable HTTP or SSE on `0.0.0.0`/`::` (or, for Node's `listen(port)`, on every interface by default) with no authentication middleware in the module.",
    why: "Anyone on the network can then call every tool with the server's credentials; on a laptop that includes the coffee-shop Wi-Fi.",
    example: "app.listen(3000); // StreamableHTTPServerTransport behind it, no auth",
    fix: "Bind to `127.0.0.1` for local use. For remote use, put OAuth or bearer-token authentication in front of the transport (`requireBearerAuth`, a token verifier) and use TLS.",
    check,
};

fn all_interfaces(e: Option<&Expr>) -> bool {
    e.and_then(|h| h.as_str())
        .is_some_and(|h| h == "0.0.0.0" || h == "::" || h == "[::]" || h.is_empty())
}

/// Whether `app` registers a route that looks like an MCP endpoint, or the file has one
/// app only.
fn serves_mcp_routes(src: &str, app: &str) -> bool {
    if src.matches(".listen(").count() <= 1 {
        return true;
    }
    src.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with(&format!("{app}."))
            && ["mcp", "sse", "message"]
                .iter()
                .any(|k| l.to_ascii_lowercase().contains(k))
    })
}

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    // Per module, once: whether it serves MCP over HTTP with no authentication.
    let candidate: Vec<bool> =
        cx.p.sources
            .iter()
            .map(|src| serves_http(src) && !has_auth(src))
            .collect();
    each_call(cx.p, |mi, c| {
        if !candidate[mi] {
            return;
        }
        let src = &cx.p.sources[mi];
        let Some(path) = c.callee.path() else { return };
        let name = path.rsplit('.').next().unwrap_or(&path);
        let bad = if cx.p.modules[mi].lang == crate::lang::Lang::Python {
            matches!(
                name,
                "run"
                    | "run_http_async"
                    | "run_sse_async"
                    | "run_streamable_http_async"
                    | "FastMCP"
            ) && all_interfaces(c.keyword("host"))
        } else {
            name == "listen"
                && c.positional(0).is_some()
                && match c.positional(1) {
                    // Node's `listen(port)` binds every interface.
                    None | Some(Expr::Func(..)) => true,
                    Some(h) => all_interfaces(Some(h)),
                }
        };
        // In JS, the listening app must be the one with the MCP routes (a separate health
        // or metrics app may listen anywhere).
        if bad
            && let Expr::Member(recv, _, _) = &c.callee
            && let Some(app) = recv.path()
            && !serves_mcp_routes(src, &app)
        {
            return;
        }
        if bad {
            let msg = "The MCP HTTP transport listens on all network interfaces and nothing authenticates callers.";
            out.push(at_span(&RULE, mi, c.span, msg.into(), Confidence::Medium));
        }
    });
}
