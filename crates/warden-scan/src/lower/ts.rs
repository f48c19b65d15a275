//! TypeScript, TSX and JavaScript to IR.

use super::{Cx, MAX_DEPTH, children, span, unescape};
use crate::ir::*;
use tree_sitter::Node;

/// The pseudo-variable holding what a `try` block threw.
pub const THROWN: &str = "<thrown>";

/// Lowers the statements under `n` (a program, block or class body).
pub(crate) fn lower_block(cx: &mut Cx, n: Node, class: Option<&str>) -> Vec<Stmt> {
    let mut out = Vec::new();
    for c in children(n) {
        stmt(cx, c, class, &mut out);
    }
    out
}

fn stmt(cx: &mut Cx, n: Node, class: Option<&str>, out: &mut Vec<Stmt>) {
    if cx.depth > MAX_DEPTH {
        return;
    }
    cx.depth += 1;
    stmt_inner(cx, n, class, out);
    cx.depth -= 1;
}

fn stmt_inner(cx: &mut Cx, n: Node, class: Option<&str>, out: &mut Vec<Stmt>) {
    let sp = span(n);
    match n.kind() {
        "import_statement" => import(cx, n),
        "export_statement" => {
            if let Some(src) = n.child_by_field_name("source") {
                // Re-exports: `export { a as b } from "./x"`, `export * from "./x"`.
                let module = string_value(cx, src);
                let mut any = false;
                for c in children(n) {
                    if c.kind() == "export_clause" {
                        any |= import_specifiers(cx, c, &module);
                    }
                }
                if !any {
                    cx.imports.push(Import {
                        local: "*".into(),
                        module,
                        member: None,
                    });
                }
            } else if let Some(d) = n.child_by_field_name("declaration") {
                stmt(cx, d, class, out);
                // `export default function handler(...)`: the module's `default` names it,
                // so `import handler from "./x"` resolves (a function of that name may
                // also be called directly, so it keeps its own name).
                if is_default_export(n)
                    && let Some(name) = d.child_by_field_name("name")
                {
                    out.push(Stmt::Assign {
                        target: Target::Name("default".into(), span(n)),
                        value: Expr::Name(cx.text(name).to_string(), span(name)),
                        augmented: false,
                        span: sp,
                    });
                }
            } else if let Some(v) = n.child_by_field_name("value") {
                let value = expr(cx, v);
                if is_default_export(n) {
                    // `export default handler;` and `export default async (args) => ...`.
                    out.push(Stmt::Assign {
                        target: Target::Name("default".into(), span(n)),
                        value,
                        augmented: false,
                        span: sp,
                    });
                } else {
                    out.push(Stmt::Expr(value));
                }
            }
        }
        "lexical_declaration" | "variable_declaration" => {
            for d in children(n) {
                if d.kind() != "variable_declarator" {
                    continue;
                }
                let (Some(name), Some(value)) = (
                    d.child_by_field_name("name"),
                    d.child_by_field_name("value"),
                ) else {
                    continue;
                };
                let target = pattern(cx, name);
                let value = expr(cx, value);
                require_import(cx, &target, &value);
                out.push(Stmt::Assign {
                    target,
                    value,
                    augmented: false,
                    span: span(d),
                });
            }
        }
        "expression_statement" => {
            if let Some(e) = children(n).first() {
                expr_stmt(cx, *e, out);
            }
        }
        "return_statement" => {
            let e = children(n).first().map(|e| expr(cx, *e));
            out.push(Stmt::Return(e, sp));
        }
        "throw_statement" => {
            let e = children(n).first().map(|e| expr(cx, *e));
            out.push(Stmt::Throw(e, sp));
        }
        "if_statement" => {
            let cond = n
                .child_by_field_name("condition")
                .map(|c| expr(cx, c))
                .unwrap_or(Expr::Lit(sp));
            let mut then = Vec::new();
            if let Some(c) = n.child_by_field_name("consequence") {
                stmt(cx, c, class, &mut then);
            }
            let mut els = Vec::new();
            if let Some(a) = n.child_by_field_name("alternative") {
                for c in children(a) {
                    stmt(cx, c, class, &mut els);
                }
            }
            out.push(Stmt::If {
                cond,
                then,
                els,
                span: sp,
            });
        }
        "statement_block" | "class_body" | "else_clause" | "finally_clause" => {
            let b = lower_block(cx, n, class);
            out.push(Stmt::Block(b, sp));
        }
        "for_in_statement" => {
            let mut body = Vec::new();
            if let (Some(l), Some(r)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) {
                body.push(Stmt::Assign {
                    target: pattern(cx, l),
                    // Each iteration sees one element: a piece of the iterable.
                    value: Expr::Index(Box::new(expr(cx, r)), Box::new(Expr::Lit(sp)), sp),
                    augmented: false,
                    span: sp,
                });
            }
            if let Some(b) = n.child_by_field_name("body") {
                stmt(cx, b, class, &mut body);
            }
            out.push(Stmt::Block(body, sp));
        }
        "for_statement" | "while_statement" | "do_statement" | "labeled_statement" => {
            let mut body = Vec::new();
            for c in children(n) {
                stmt(cx, c, class, &mut body);
            }
            out.push(Stmt::Block(body, sp));
        }
        "try_statement" => {
            let mut body = Vec::new();
            for c in children(n) {
                if c.kind() == "catch_clause" {
                    // The caught value is whatever the try block threw.
                    if let Some(p) = c.child_by_field_name("parameter") {
                        body.push(Stmt::Assign {
                            target: pattern(cx, p),
                            value: Expr::Name(THROWN.into(), span(p)),
                            augmented: false,
                            span: span(p),
                        });
                    }
                    if let Some(b) = c.child_by_field_name("body") {
                        stmt(cx, b, class, &mut body);
                    }
                } else {
                    stmt(cx, c, class, &mut body);
                }
            }
            out.push(Stmt::Block(body, sp));
        }
        "switch_statement" => {
            let disc = n
                .child_by_field_name("value")
                .map(|v| expr(cx, v))
                .unwrap_or(Expr::Lit(sp));
            let mut cases = Vec::new();
            if let Some(body) = n.child_by_field_name("body") {
                for c in children(body) {
                    let mut tests = Vec::new();
                    if let Some(v) = c.child_by_field_name("value") {
                        tests.push(expr(cx, v));
                    }
                    let mut stmts = Vec::new();
                    let mut cur = c.walk();
                    for (i, s) in c.named_children(&mut cur).enumerate() {
                        if i == 0 && c.kind() == "switch_case" {
                            continue; // the tested value
                        }
                        stmt(cx, s, class, &mut stmts);
                    }
                    cases.push(Case {
                        tests,
                        body: stmts,
                        span: span(c),
                    });
                }
            }
            out.push(Stmt::Switch {
                disc,
                cases,
                span: sp,
            });
        }
        "function_declaration" | "generator_function_declaration" => {
            let id = function(cx, n, class);
            out.push(Stmt::FuncDecl(id));
        }
        "class_declaration" | "abstract_class_declaration" | "class" => {
            let name = n
                .child_by_field_name("name")
                .map(|c| cx.text(c).to_string());
            if let Some(body) = n.child_by_field_name("body") {
                let b = lower_block(cx, body, name.as_deref().or(Some("<class>")));
                out.push(Stmt::Block(b, sp));
            }
        }
        "method_definition" => {
            let id = function(cx, n, class);
            out.push(Stmt::FuncDecl(id));
        }
        "public_field_definition" | "field_definition" => {
            let name = n
                .child_by_field_name("name")
                .or_else(|| n.child_by_field_name("property"));
            if let (Some(name), Some(v)) = (name, n.child_by_field_name("value")) {
                let key = cx.text(name).to_string();
                let value = expr(cx, v);
                out.push(Stmt::Assign {
                    target: Target::Path(format!("this.{key}"), span(name)),
                    value,
                    augmented: false,
                    span: sp,
                });
            }
        }
        "empty_statement"
        | "comment"
        | "type_alias_declaration"
        | "interface_declaration"
        | "enum_declaration"
        | "ambient_declaration"
        | "module"
        | "internal_module" => {}
        _ => {
            // Unknown statement kinds: lower nested statements so nothing is lost.
            for c in children(n) {
                stmt(cx, c, class, out);
            }
        }
    }
}

fn expr_stmt(cx: &mut Cx, e: Node, out: &mut Vec<Stmt>) {
    match e.kind() {
        "assignment_expression" | "augmented_assignment_expression" => {
            let (Some(l), Some(r)) = (
                e.child_by_field_name("left"),
                e.child_by_field_name("right"),
            ) else {
                return;
            };
            let target = pattern(cx, l);
            if matches!(target, Target::Other(_)) {
                // `f(x).prop = v`, `obj[k] = v`: what the target evaluates still runs.
                out.push(Stmt::Expr(expr(cx, l)));
            }
            let value = expr(cx, r);
            require_import(cx, &target, &value);
            out.push(Stmt::Assign {
                target,
                value,
                augmented: e.kind() == "augmented_assignment_expression",
                span: span(e),
            });
        }
        "sequence_expression" => {
            for c in children(e) {
                expr_stmt(cx, c, out);
            }
        }
        _ => out.push(Stmt::Expr(expr(cx, e))),
    }
}

/// `import x from "m"`, `import * as x from "m"`, `import { a as b } from "m"`.
/// Records each `name as alias` of an import or re-export list as a binding of
/// `module`'s member; returns whether there was any. String names
/// (`import { "a-b" as c }`) lose their quotes.
fn import_specifiers(cx: &mut Cx, list: Node, module: &str) -> bool {
    let mut any = false;
    for spec in children(list) {
        let Some(name) = spec.child_by_field_name("name") else {
            continue;
        };
        let local = spec.child_by_field_name("alias").unwrap_or(name);
        cx.imports.push(Import {
            local: cx.text(local).to_string(),
            module: module.to_string(),
            member: Some(cx.text(name).trim_matches(['"', '\'']).to_string()),
        });
        any = true;
    }
    any
}

fn import(cx: &mut Cx, n: Node) {
    let Some(src) = n.child_by_field_name("source") else {
        return;
    };
    let module = string_value(cx, src);
    for c in children(n) {
        if c.kind() != "import_clause" {
            continue;
        }
        for part in children(c) {
            match part.kind() {
                "identifier" => cx.imports.push(Import {
                    local: cx.text(part).to_string(),
                    module: module.clone(),
                    member: None,
                }),
                "namespace_import" => {
                    if let Some(id) = children(part).first() {
                        cx.imports.push(Import {
                            local: cx.text(*id).to_string(),
                            module: module.clone(),
                            member: None,
                        });
                    }
                }
                "named_imports" => {
                    import_specifiers(cx, part, &module);
                }
                _ => {}
            }
        }
    }
}

/// `const x = require("m")` and `const { a, b: c } = require("m")` are imports too.
fn require_import(cx: &mut Cx, target: &Target, value: &Expr) {
    let Expr::Call(call) = value else { return };
    if call.callee.path().as_deref() != Some("require") {
        return;
    }
    let Some(module) = call.positional(0).and_then(|a| a.as_str()) else {
        return;
    };
    match target {
        Target::Name(n, _) => cx.imports.push(Import {
            local: n.clone(),
            module,
            member: None,
        }),
        Target::Destructure(parts, _) => {
            for (key, t) in parts {
                if let Target::Name(local, _) = t {
                    cx.imports.push(Import {
                        local: local.clone(),
                        module: module.clone(),
                        member: Some(key.clone().unwrap_or_else(|| local.clone())),
                    });
                }
            }
        }
        _ => {}
    }
}

/// Lowers a function-like node and returns its id.
fn function(cx: &mut Cx, n: Node, class: Option<&str>) -> FuncId {
    let id = cx.functions.len();
    let name_node = n.child_by_field_name("name");
    cx.functions.push(Function {
        name: name_node.map(|c| cx.text(c).to_string()),
        class: class.map(str::to_string),
        params: Vec::new(),
        body: Vec::new(),
        decorators: Vec::new(),
        docstring: None,
        span: span(n),
        name_span: name_node.map(span).unwrap_or_else(|| span(n)),
    });
    let mut params = Vec::new();
    if let Some(ps) = n.child_by_field_name("parameters") {
        for p in children(ps) {
            params.push(param(cx, p));
        }
    } else if let Some(p) = n.child_by_field_name("parameter") {
        params.push(param(cx, p));
    }
    let body = match n.child_by_field_name("body") {
        Some(b) if b.kind() == "statement_block" => lower_block(cx, b, class),
        Some(b) => {
            let e = expr(cx, b);
            vec![Stmt::Return(Some(e), span(b))]
        }
        None => Vec::new(),
    };
    let f = &mut cx.functions[id];
    f.params = params;
    f.body = body;
    id
}

fn param(cx: &mut Cx, p: Node) -> ParamDecl {
    let sp = span(p);
    match p.kind() {
        "required_parameter" | "optional_parameter" => {
            let pat = p
                .child_by_field_name("pattern")
                .map(|x| pattern(cx, x))
                .unwrap_or(Target::Other(sp));
            let type_text = p
                .child_by_field_name("type")
                .map(|t| cx.text(t).trim_start_matches(':').trim().to_string());
            let default = p.child_by_field_name("value").map(|v| expr(cx, v));
            ParamDecl {
                pattern: pat,
                type_text,
                default,
                span: sp,
            }
        }
        "assignment_pattern" => {
            let pat = p
                .child_by_field_name("left")
                .map(|x| pattern(cx, x))
                .unwrap_or(Target::Other(sp));
            let default = p.child_by_field_name("right").map(|v| expr(cx, v));
            ParamDecl {
                pattern: pat,
                type_text: None,
                default,
                span: sp,
            }
        }
        _ => ParamDecl {
            pattern: pattern(cx, p),
            type_text: None,
            default: None,
            span: sp,
        },
    }
}

/// A binding or assignment pattern.
fn pattern(cx: &mut Cx, n: Node) -> Target {
    let sp = span(n);
    match n.kind() {
        "identifier" | "shorthand_property_identifier_pattern" | "this" => {
            Target::Name(cx.text(n).to_string(), sp)
        }
        "member_expression" => match expr(cx, n).path() {
            Some(p) => Target::Path(p, sp),
            None => Target::Other(sp),
        },
        "object_pattern" => {
            let mut parts = Vec::new();
            for c in children(n) {
                match c.kind() {
                    "shorthand_property_identifier_pattern" => {
                        let name = cx.text(c).to_string();
                        parts.push((Some(name.clone()), Target::Name(name, span(c))));
                    }
                    "pair_pattern" => {
                        let key = c.child_by_field_name("key").map(|k| key_text(cx, k));
                        if let Some(v) = c.child_by_field_name("value") {
                            parts.push((key, pattern(cx, v)));
                        }
                    }
                    "object_assignment_pattern" => {
                        if let Some(l) = c.child_by_field_name("left") {
                            let t = pattern(cx, l);
                            let key = match &t {
                                Target::Name(n, _) => Some(n.clone()),
                                _ => None,
                            };
                            parts.push((key, t));
                        }
                    }
                    "rest_pattern" => {
                        if let Some(id) = children(c).first() {
                            parts.push((None, pattern(cx, *id)));
                        }
                    }
                    _ => {}
                }
            }
            Target::Destructure(parts, sp)
        }
        "array_pattern" => {
            let parts = children(n)
                .into_iter()
                .map(|c| (None, pattern(cx, c)))
                .collect();
            Target::Destructure(parts, sp)
        }
        "assignment_pattern" => n
            .child_by_field_name("left")
            .map(|l| pattern(cx, l))
            .unwrap_or(Target::Other(sp)),
        "rest_pattern" => children(n)
            .first()
            .map(|c| pattern(cx, *c))
            .unwrap_or(Target::Other(sp)),
        _ => Target::Other(sp),
    }
}

fn key_text(cx: &Cx, k: Node) -> String {
    match k.kind() {
        "string" => string_value(cx, k),
        _ => cx.text(k).to_string(),
    }
}

/// Whether an `export` statement is `export default ...` (the keyword is an unnamed
/// child of the statement).
fn is_default_export(n: Node) -> bool {
    let mut cursor = n.walk();
    n.children(&mut cursor).any(|c| c.kind() == "default")
}

fn string_value(cx: &Cx, n: Node) -> String {
    let raw = cx.text(n);
    let inner = raw
        .strip_prefix(['"', '\''])
        .and_then(|s| s.strip_suffix(['"', '\'']))
        .unwrap_or(raw);
    unescape(inner)
}

/// Lowers an expression.
pub(crate) fn expr(cx: &mut Cx, n: Node) -> Expr {
    if cx.depth > MAX_DEPTH {
        return Expr::Other(Vec::new(), span(n));
    }
    cx.depth += 1;
    let e = expr_inner(cx, n);
    cx.depth -= 1;
    e
}

fn expr_inner(cx: &mut Cx, n: Node) -> Expr {
    let sp = span(n);
    match n.kind() {
        "identifier"
        | "this"
        | "property_identifier"
        | "shorthand_property_identifier"
        | "super"
        | "import" => Expr::Name(cx.text(n).to_string(), sp),
        "string" => Expr::Str(string_value(cx, n), sp),
        "template_string" => {
            let mut parts = Vec::new();
            let mut c = n.walk();
            for ch in n.named_children(&mut c) {
                match ch.kind() {
                    "string_fragment" => parts.push(Expr::Str(unescape(cx.text(ch)), span(ch))),
                    "escape_sequence" => parts.push(Expr::Str(unescape(cx.text(ch)), span(ch))),
                    "template_substitution" => {
                        if let Some(e) = children(ch).first() {
                            parts.push(expr(cx, *e));
                        }
                    }
                    _ => {}
                }
            }
            if parts.iter().all(|p| matches!(p, Expr::Str(..))) {
                let s: String = parts.iter().filter_map(|p| p.as_str()).collect();
                return Expr::Str(s, sp);
            }
            Expr::Template(parts, sp)
        }
        "number" | "true" | "false" | "null" | "undefined" | "regex" => Expr::Lit(sp),
        "member_expression" => {
            let obj = n
                .child_by_field_name("object")
                .map(|o| expr(cx, o))
                .unwrap_or(Expr::Lit(sp));
            let prop = n
                .child_by_field_name("property")
                .map(|p| cx.text(p).to_string())
                .unwrap_or_default();
            Expr::Member(Box::new(obj), prop, sp)
        }
        "subscript_expression" => {
            let obj = n
                .child_by_field_name("object")
                .map(|o| expr(cx, o))
                .unwrap_or(Expr::Lit(sp));
            let idx = n
                .child_by_field_name("index")
                .map(|i| expr(cx, i))
                .unwrap_or(Expr::Lit(sp));
            match idx {
                Expr::Str(s, _) => Expr::Member(Box::new(obj), s, sp),
                other => Expr::Index(Box::new(obj), Box::new(other), sp),
            }
        }
        "call_expression" => {
            let callee = n
                .child_by_field_name("function")
                .map(|f| expr(cx, f))
                .unwrap_or(Expr::Lit(sp));
            let args = match n.child_by_field_name("arguments") {
                // A tagged template: sql`...${x}` keeps the template as one argument.
                Some(a) if a.kind() == "template_string" => vec![Arg {
                    name: None,
                    value: expr(cx, a),
                    spread: false,
                }],
                Some(a) => arguments(cx, a),
                None => Vec::new(),
            };
            let is_tagged = n
                .child_by_field_name("arguments")
                .is_some_and(|a| a.kind() == "template_string");
            Expr::Call(Box::new(Call {
                callee,
                args,
                is_new: false,
                tagged: is_tagged,
                span: sp,
            }))
        }
        "new_expression" => {
            let callee = n
                .child_by_field_name("constructor")
                .map(|f| expr(cx, f))
                .unwrap_or(Expr::Lit(sp));
            let args = n
                .child_by_field_name("arguments")
                .map(|a| arguments(cx, a))
                .unwrap_or_default();
            Expr::Call(Box::new(Call {
                callee,
                args,
                is_new: true,
                tagged: false,
                span: sp,
            }))
        }
        "binary_expression" => {
            let op = n
                .child_by_field_name("operator")
                .map(|o| cx.text(o).to_string())
                .unwrap_or_default();
            let l = n
                .child_by_field_name("left")
                .map(|x| expr(cx, x))
                .unwrap_or(Expr::Lit(sp));
            let r = n
                .child_by_field_name("right")
                .map(|x| expr(cx, x))
                .unwrap_or(Expr::Lit(sp));
            let op = match op.as_str() {
                "+" => BinOp::Add,
                "%" => BinOp::Mod,
                "||" | "??" => BinOp::Or,
                "&&" => BinOp::And,
                "==" | "===" => BinOp::Eq,
                "!=" | "!==" => BinOp::NotEq,
                "in" => BinOp::In,
                _ => BinOp::Other,
            };
            Expr::Binary(op, Box::new(l), Box::new(r), sp)
        }
        "unary_expression" => {
            let op = n
                .child_by_field_name("operator")
                .map(|o| cx.text(o).to_string())
                .unwrap_or_default();
            let arg = n
                .child_by_field_name("argument")
                .map(|x| expr(cx, x))
                .unwrap_or(Expr::Lit(sp));
            if op == "!" {
                Expr::Not(Box::new(arg), sp)
            } else if op == "typeof" || op == "void" {
                Expr::Other(Vec::new(), sp)
            } else {
                Expr::Other(vec![arg], sp)
            }
        }
        "ternary_expression" => {
            let c = n.child_by_field_name("condition").map(|x| expr(cx, x));
            let a = n.child_by_field_name("consequence").map(|x| expr(cx, x));
            let b = n.child_by_field_name("alternative").map(|x| expr(cx, x));
            match (c, a, b) {
                (Some(c), Some(a), Some(b)) => {
                    Expr::Cond(Box::new(c), Box::new(a), Box::new(b), sp)
                }
                _ => Expr::Other(Vec::new(), sp),
            }
        }
        "object" => {
            let mut props = Vec::new();
            for c in children(n) {
                let psp = span(c);
                match c.kind() {
                    "pair" => {
                        let k = c.child_by_field_name("key");
                        let (key, computed_key) = match k {
                            Some(k) if k.kind() == "computed_property_name" => {
                                (None, children(k).first().map(|e| expr(cx, *e)))
                            }
                            Some(k) => (Some(key_text(cx, k)), None),
                            None => (None, None),
                        };
                        let value = c
                            .child_by_field_name("value")
                            .map(|v| expr(cx, v))
                            .unwrap_or(Expr::Lit(psp));
                        props.push(Prop {
                            key,
                            computed_key,
                            value,
                            spread: false,
                            span: psp,
                        });
                    }
                    "shorthand_property_identifier" => {
                        let name = cx.text(c).to_string();
                        props.push(Prop {
                            key: Some(name.clone()),
                            computed_key: None,
                            value: Expr::Name(name, psp),
                            spread: false,
                            span: psp,
                        });
                    }
                    "spread_element" => {
                        if let Some(e) = children(c).first() {
                            let value = expr(cx, *e);
                            props.push(Prop {
                                key: None,
                                computed_key: None,
                                value,
                                spread: true,
                                span: psp,
                            });
                        }
                    }
                    "method_definition" => {
                        let key = c.child_by_field_name("name").map(|k| key_text(cx, k));
                        let id = function(cx, c, None);
                        props.push(Prop {
                            key,
                            computed_key: None,
                            value: Expr::Func(id, psp),
                            spread: false,
                            span: psp,
                        });
                    }
                    _ => {}
                }
            }
            Expr::Object(props, sp)
        }
        "array" => Expr::List(children(n).into_iter().map(|c| expr(cx, c)).collect(), sp),
        "arrow_function" | "function_expression" | "function" | "generator_function" => {
            Expr::Func(function(cx, n, None), sp)
        }
        "class" => {
            let mut stmts = Vec::new();
            stmt(cx, n, None, &mut stmts);
            Expr::Other(Vec::new(), sp)
        }
        "parenthesized_expression"
        | "await_expression"
        | "as_expression"
        | "satisfies_expression"
        | "non_null_expression"
        | "type_assertion"
        | "spread_element"
        | "yield_expression" => match children(n).first() {
            Some(c) => expr(cx, *c),
            None => Expr::Lit(sp),
        },
        "assignment_expression" | "augmented_assignment_expression" => {
            // An assignment used as a value: its value is the right side.
            match n.child_by_field_name("right") {
                Some(r) => expr(cx, r),
                None => Expr::Lit(sp),
            }
        }
        _ => Expr::Other(children(n).into_iter().map(|c| expr(cx, c)).collect(), sp),
    }
}

fn arguments(cx: &mut Cx, a: Node) -> Vec<Arg> {
    children(a)
        .into_iter()
        .map(|c| {
            let spread = c.kind() == "spread_element";
            Arg {
                name: None,
                value: expr(cx, c),
                spread,
            }
        })
        .collect()
}
