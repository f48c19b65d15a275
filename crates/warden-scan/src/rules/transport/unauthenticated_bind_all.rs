//! An MCP HTTP transport on all interfaces with no authentication.

use super::{has_auth, serves_http};
use crate::ir::Expr;
use crate::rules::{Cx, Raw, Rule};
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

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (mi, m) in cx.p.modules.iter().enumerate() {
        let src = &cx.p.sources[mi];
        if !serves_http(src) || has_auth(src) {
            continue;
        }
        let py = m.lang == crate::lang::Lang::Python;
        for f in &m.functions {
            for s in &f.body {
                s.walk(&mut |s| {
                    for e in s.exprs() {
                        e.walk(&mut |x| {
                            let Expr::Call(c) = x else { return };
                            let Some(path) = c.callee.path() else { return };
                            let name = path.rsplit('.').next().unwrap_or(&path);
                            let bad = if py {
                                matches!(name, "run" | "run_http_async" | "run_sse_async" | "run_streamable_http_async" | "FastMCP")
                                    && all_interfaces(c.keyword("host"))
                            } else {
                                name == "listen"
                                    && c.positional(0).is_some()
                                    && match c.positional(1) {
                                        // Node's `listen(port)` binds every interface.
                                        None | Some(Expr::Func(..)) => true,
                                        Some(h) => all_interfaces(Some(h)),
                                    }
                            };
                            if bad {
                                out.push(Raw {
                                    rule: &RULE,
                                    module: Some(mi),
                                    path: None,
                                    span: c.span,
                                    tool: None,
                                    message: "The MCP HTTP transport listens on all network interfaces and nothing authenticates callers.".into(),
                                    evidence: Vec::new(),
                                    severity: RULE.severity,
                                    confidence: Confidence::Medium,
                                });
                            }
                        });
                    }
                });
            }
        }
    }
}
