//! An ownership check that passes when the identity is missing.

use crate::ir::{BinOp, Expr, Stmt};
use crate::rules::{Cx, Raw, Rule, at_span, each_stmt};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "authz-fail-open-guard",
    title: "Ownership check fails open when the identity is missing",
    category: Category::MissingAuthz,
    cwe: "CWE-636",
    severity: Severity::High,
    what: "Finds conditions such as `if (!ownerId || doc.ownerId === ownerId)` or `if owner_id == \"\" or ...` where an empty or missing caller identity lets the check pass.",
    why: "Requests without a token, or with an empty user claim, get access to every record. Real MCP servers shipped this bug (an `ownerID == \"\"` guard).",
    example: "if (!callerId || invoice.ownerId === callerId) {\n  return invoice;\n}",
    fix: "Fail closed: reject the request when the identity is missing (`if (!callerId) throw new Error(\"unauthenticated\")`), then compare.",
    check,
};

fn ownerish(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| {
        let name = match x {
            Expr::Name(n, _) => n.as_str(),
            Expr::Member(_, p, _) => p.as_str(),
            _ => return,
        };
        let l = name.to_ascii_lowercase();
        if l.contains("owner")
            || l.contains("user")
            || l.contains("tenant")
            || l.contains("caller")
            || l.contains("account")
        {
            found = true;
        }
    });
    found
}

/// `!x`, `x == ""`, `x is None`, `not x` where x is an identity.
fn missing_identity(e: &Expr, src: &str) -> bool {
    match e {
        Expr::Not(x, _) => ownerish(x),
        Expr::Binary(BinOp::Eq, l, r, _) => {
            let empty = |x: &Expr| match x {
                Expr::Str(s, _) => s.is_empty(),
                Expr::Lit(sp) => matches!(
                    src.get(sp.start_byte as usize..sp.end_byte as usize),
                    Some("None" | "null" | "undefined")
                ),
                _ => false,
            };
            (empty(r) && ownerish(l)) || (empty(l) && ownerish(r))
        }
        // `owner in (None, "")`
        Expr::Binary(BinOp::In, l, r, _) => {
            ownerish(l)
                && matches!(r.as_ref(), Expr::List(items, _) if items.iter().any(|i| match i {
                    Expr::Str(s, _) => s.is_empty(),
                    Expr::Lit(sp) => matches!(src.get(sp.start_byte as usize..sp.end_byte as usize), Some("None" | "null")),
                    _ => false,
                }))
        }
        _ => false,
    }
}

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    each_stmt(cx.p, |mi, s| {
        let src = &cx.p.sources[mi];
        let Stmt::If {
            cond, then, span, ..
        } = s
        else {
            return;
        };
        // `missing || matches` guarding a grant, or `missing` alone returning data.
        let fail_open = match cond {
            // `!id || owner == id` grants on a match; `!id || owner != id` denies.
            Expr::Binary(BinOp::Or, l, r, _) => {
                missing_identity(l, src)
                    && matches!(r.as_ref(), Expr::Binary(BinOp::Eq, ..))
                    && ownerish(r)
            }
            c => {
                missing_identity(c, src)
                    && then.len() == 1
                    && matches!(then.last(), Some(Stmt::Return(Some(Expr::Name(n, _) | Expr::Member(_, n, _)), _))
                        if !n.to_ascii_lowercase().contains("err"))
            }
        };
        if fail_open {
            let msg = "This ownership check passes when the caller's identity is empty or missing.";
            out.push(at_span(&RULE, mi, *span, msg.into(), Confidence::Medium));
        }
    });
}
