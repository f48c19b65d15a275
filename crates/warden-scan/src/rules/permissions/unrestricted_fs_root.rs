//! A file server whose allowed root is the whole disk or the home directory.

use crate::ir::{Expr, Stmt, Target};
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "perm-unrestricted-fs-root",
    title: "File access is rooted at `/` or the home directory",
    category: Category::ExcessivePermissions,
    cwe: "CWE-250",
    severity: Severity::High,
    what: "Finds a server with file tools whose allowed root (a variable named like `ROOT`, `BASE_DIR`, `ALLOWED_DIRECTORIES`, `workspace`) is `/`, `~`, `os.homedir()`, `Path.home()` or `os.path.expanduser(\"~\")`, and file tools that open the path argument as given, joined to no root at all.",
    why: "A containment check against `/` or the home directory contains nothing: SSH keys, cloud credentials and every other project are inside it.",
    example: "ALLOWED_ROOT = Path.home()",
    fix: "Root file access at a dedicated directory passed in explicitly (a command-line argument or MCP roots), and refuse to start without one.",
    check,
};

fn root_name(n: &str) -> bool {
    let l = n.to_ascii_lowercase();
    [
        "root",
        "base_dir",
        "basedir",
        "base_path",
        "allowed",
        "workspace",
        "sandbox",
        "directories",
        "allowed_dirs",
        "home_dir",
        "serve_dir",
        "data_dir",
    ]
    .iter()
    .any(|k| l.contains(k))
}

fn unrestricted(e: &Expr) -> bool {
    match e {
        Expr::Str(s, _) => s == "/" || s == "~" || s == "C:\\",
        Expr::Call(c) => {
            let p = c.callee.path().unwrap_or_default();
            p.ends_with("homedir")
                || p.ends_with("Path.home")
                || p == "home"
                || (p.ends_with("expanduser")
                    && c.positional(0).and_then(|a| a.as_str()).as_deref() == Some("~"))
                || ((p == "Path" || p.ends_with("resolve"))
                    && c.args.len() == 1
                    && c.positional(0).is_some_and(unrestricted))
        }
        Expr::List(items, _) => items.iter().any(unrestricted),
        // `process.env.ROOT || "/"`; but `Path.home() / "Notes"` is a subdirectory.
        Expr::Binary(crate::ir::BinOp::Or, l, r, _) => unrestricted(l) || unrestricted(r),
        Expr::Cond(_, a, b, _) => unrestricted(a) || unrestricted(b),
        _ => false,
    }
}

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    // A path argument used as is: the tool's root is the whole filesystem.
    for (h, hit) in cx.hits() {
        if !crate::rules::path_traversal::fs_hit(hit)
            || hit.taint.built
            || hit.taint.joined
            || hit.taint.host_fixed
        {
            continue;
        }
        if cx.cleared(h, hit, crate::flow::clear::PATH)
            || crate::rules::path_traversal::prefix_without_separator(cx, h, hit)
        {
            continue;
        }
        let msg = format!(
            "`{}` opens whatever path the tool is given: its file access is rooted at `/`.",
            hit.callee
        );
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::Medium));
    }
    let has_fs = cx.runs.iter().any(|r| {
        r.effects.seen.iter().any(|e| {
            matches!(
                e.effect,
                Effect::FsRead | Effect::FsWrite | Effect::FsDelete
            )
        })
    });
    if !has_fs {
        return;
    }
    for (mi, m) in cx.p.modules.iter().enumerate() {
        for f in &m.functions {
            let mut check_assign = |name: &str, value: &Expr| {
                if root_name(name) && unrestricted(value) {
                    out.push(Raw {
                        rule: &RULE,
                        module: Some(mi),
                        path: None,
                        span: value.span(),
                        tool: None,
                        message: format!(
                            "The file root `{name}` is the whole disk or the home directory."
                        ),
                        evidence: Vec::new(),
                        severity: RULE.severity,
                        confidence: Confidence::Medium,
                    });
                }
            };
            for p in &f.params {
                if let (Some(n), Some(d)) = (p.name(), &p.default) {
                    check_assign(n, d);
                }
            }
            for s in &f.body {
                s.walk(&mut |s| {
                    if let Stmt::Assign {
                        target: Target::Name(n, _) | Target::Path(n, _),
                        value,
                        ..
                    } = s
                    {
                        check_assign(n.rsplit('.').next().unwrap_or(n), value);
                    }
                    // `parser.add_argument("--root", default=Path.home())`, `.option("--root", ..., "/")`.
                    for e in s.exprs() {
                        e.walk(&mut |x| {
                            if let Expr::Call(c) = x
                                && c.callee.path().is_some_and(|p| {
                                    p.ends_with("add_argument") || p.ends_with("option")
                                })
                                && let Some(flag) = c.positional(0).and_then(|a| a.as_str())
                                && let Some(default) =
                                    c.keyword("default").or_else(|| c.positional(2))
                            {
                                check_assign(flag.trim_start_matches('-'), default);
                            }
                        });
                    }
                });
            }
        }
    }
}
