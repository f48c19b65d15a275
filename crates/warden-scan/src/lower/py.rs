//! Python to IR.

use super::{Cx, MAX_DEPTH, children, span, unescape};
use crate::ir::*;
use tree_sitter::Node;

/// Lowers the statements under `n` (a module or block).
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

fn block_of(cx: &mut Cx, n: Option<Node>, class: Option<&str>) -> Vec<Stmt> {
    match n {
        Some(b) => lower_block(cx, b, class),
        None => Vec::new(),
    }
}

fn stmt_inner(cx: &mut Cx, n: Node, class: Option<&str>, out: &mut Vec<Stmt>) {
    let sp = span(n);
    match n.kind() {
        "import_statement" => {
            for c in children(n) {
                let (name, alias) = match c.kind() {
                    "aliased_import" => (
                        c.child_by_field_name("name")
                            .map(|x| cx.text(x).to_string()),
                        c.child_by_field_name("alias")
                            .map(|x| cx.text(x).to_string()),
                    ),
                    "dotted_name" => (Some(cx.text(c).to_string()), None),
                    _ => (None, None),
                };
                let Some(name) = name else { continue };
                // `import os.path` binds `os`; `import a.b as c` binds `c` to `a.b`.
                let (local, module) = match alias {
                    Some(a) => (a, name),
                    None => {
                        let first = name.split('.').next().unwrap_or(&name).to_string();
                        (first.clone(), first)
                    }
                };
                cx.imports.push(Import {
                    local,
                    module,
                    member: None,
                });
            }
        }
        "import_from_statement" => {
            let module = n
                .child_by_field_name("module_name")
                .map(|m| cx.text(m).to_string())
                .unwrap_or_default();
            let mut cur = n.walk();
            for c in n.children_by_field_name("name", &mut cur) {
                let (name, alias) = match c.kind() {
                    "aliased_import" => (
                        c.child_by_field_name("name")
                            .map(|x| cx.text(x).to_string()),
                        c.child_by_field_name("alias")
                            .map(|x| cx.text(x).to_string()),
                    ),
                    _ => (Some(cx.text(c).to_string()), None),
                };
                let Some(name) = name else { continue };
                cx.imports.push(Import {
                    local: alias.unwrap_or_else(|| name.clone()),
                    module: module.clone(),
                    member: Some(name),
                });
            }
        }
        "expression_statement" => {
            for c in children(n) {
                expr_stmt(cx, c, out);
            }
        }
        "return_statement" => {
            let e = children(n).first().map(|e| expr(cx, *e));
            out.push(Stmt::Return(e, sp));
        }
        "raise_statement" => {
            let e = children(n).first().map(|e| expr(cx, *e));
            out.push(Stmt::Throw(e, sp));
        }
        "if_statement" => {
            let cond = n
                .child_by_field_name("condition")
                .map(|c| expr(cx, c))
                .unwrap_or(Expr::Lit(sp));
            let then = block_of(cx, n.child_by_field_name("consequence"), class);
            // elif/else chains nest as the else branch.
            let mut els = Vec::new();
            let mut cur = n.walk();
            let alts: Vec<Node> = n.children_by_field_name("alternative", &mut cur).collect();
            for a in alts.into_iter().rev() {
                match a.kind() {
                    "elif_clause" => {
                        let cond = a
                            .child_by_field_name("condition")
                            .map(|c| expr(cx, c))
                            .unwrap_or(Expr::Lit(sp));
                        let then = block_of(cx, a.child_by_field_name("consequence"), class);
                        els = vec![Stmt::If {
                            cond,
                            then,
                            els,
                            span: span(a),
                        }];
                    }
                    _ => {
                        els = block_of(cx, a.child_by_field_name("body"), class);
                    }
                }
            }
            out.push(Stmt::If {
                cond,
                then,
                els,
                span: sp,
            });
        }
        "for_statement" => {
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
            body.extend(block_of(cx, n.child_by_field_name("body"), class));
            if let Some(a) = n.child_by_field_name("alternative") {
                body.extend(block_of(cx, a.child_by_field_name("body"), class));
            }
            out.push(Stmt::Block(body, sp));
        }
        "while_statement" => {
            let mut body = Vec::new();
            if let Some(c) = n.child_by_field_name("condition") {
                body.push(Stmt::Expr(expr(cx, c)));
            }
            body.extend(block_of(cx, n.child_by_field_name("body"), class));
            out.push(Stmt::Block(body, sp));
        }
        "try_statement" => {
            let mut body = block_of(cx, n.child_by_field_name("body"), class);
            for c in children(n) {
                match c.kind() {
                    "except_clause" | "except_group_clause" | "else_clause" | "finally_clause" => {
                        // `except E as e:` binds what the try block raised.
                        for b in children(c) {
                            if b.kind() == "as_pattern"
                                && let Some(alias) = b.child_by_field_name("alias")
                            {
                                body.push(Stmt::Assign {
                                    target: alias_target(cx, alias),
                                    value: Expr::Name(super::ts::THROWN.into(), span(b)),
                                    augmented: false,
                                    span: span(b),
                                });
                            }
                        }
                        for b in children(c) {
                            if b.kind() == "block" {
                                body.extend(lower_block(cx, b, class));
                            }
                        }
                    }
                    _ => {}
                }
            }
            out.push(Stmt::Block(body, sp));
        }
        "with_statement" => {
            let mut body = Vec::new();
            for c in children(n) {
                if c.kind() != "with_clause" {
                    continue;
                }
                for item in children(c) {
                    let Some(v) = item.child_by_field_name("value") else {
                        continue;
                    };
                    if v.kind() == "as_pattern" {
                        let value = children(v).first().map(|x| expr(cx, *x));
                        let alias = v.child_by_field_name("alias");
                        if let (Some(value), Some(alias)) = (value, alias) {
                            body.push(Stmt::Assign {
                                target: alias_target(cx, alias),
                                value,
                                augmented: false,
                                span: span(item),
                            });
                        }
                    } else {
                        body.push(Stmt::Expr(expr(cx, v)));
                    }
                }
            }
            body.extend(block_of(cx, n.child_by_field_name("body"), class));
            out.push(Stmt::Block(body, sp));
        }
        "match_statement" => {
            let disc = n
                .child_by_field_name("subject")
                .map(|s| expr(cx, s))
                .unwrap_or(Expr::Lit(sp));
            let mut cases = Vec::new();
            if let Some(body) = n.child_by_field_name("body") {
                for c in children(body) {
                    if c.kind() != "case_clause" {
                        continue;
                    }
                    let mut tests = Vec::new();
                    for p in children(c) {
                        if p.kind() == "case_pattern" {
                            let t = cx.text(p);
                            if let Some(s) = t
                                .strip_prefix(['"', '\''])
                                .and_then(|s| s.strip_suffix(['"', '\'']))
                            {
                                tests.push(Expr::Str(s.to_string(), span(p)));
                            }
                        }
                    }
                    let body = block_of(cx, c.child_by_field_name("consequence"), class);
                    cases.push(Case {
                        tests,
                        body,
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
        "function_definition" => {
            let id = function(cx, n, class, Vec::new(), sp);
            out.push(Stmt::FuncDecl(id));
        }
        "decorated_definition" => {
            let mut decorators = Vec::new();
            for c in children(n) {
                if c.kind() == "decorator"
                    && let Some(e) = children(c).first()
                {
                    decorators.push(expr(cx, *e));
                }
            }
            if let Some(def) = n.child_by_field_name("definition") {
                match def.kind() {
                    "function_definition" => {
                        let id = function(cx, def, class, decorators, sp);
                        out.push(Stmt::FuncDecl(id));
                    }
                    _ => stmt(cx, def, class, out),
                }
            }
        }
        "class_definition" => {
            let name = n
                .child_by_field_name("name")
                .map(|c| cx.text(c).to_string());
            let mut body = block_of(cx, n.child_by_field_name("body"), name.as_deref());
            // Class attributes (`name = "disk_usage"`) are `Class.name`, not module names.
            if let Some(cls) = &name {
                for st in body.iter_mut() {
                    if let Stmt::Assign { target, .. } = st
                        && let Target::Name(attr, sp) = target
                    {
                        *target = Target::Path(format!("{cls}.{attr}"), *sp);
                    }
                }
            }
            out.push(Stmt::Block(body, sp));
        }
        "block" => {
            let b = lower_block(cx, n, class);
            out.push(Stmt::Block(b, sp));
        }
        "pass_statement"
        | "comment"
        | "break_statement"
        | "continue_statement"
        | "global_statement"
        | "nonlocal_statement"
        | "future_import_statement" => {}
        _ => {
            for c in children(n) {
                stmt(cx, c, class, out);
            }
        }
    }
}

fn expr_stmt(cx: &mut Cx, e: Node, out: &mut Vec<Stmt>) {
    match e.kind() {
        "assignment" | "augmented_assignment" => {
            let (Some(l), Some(r)) = (
                e.child_by_field_name("left"),
                e.child_by_field_name("right"),
            ) else {
                return;
            };
            let target = pattern(cx, l);
            if matches!(target, Target::Other(_))
                || (matches!(target, Target::Path(..)) && l.kind() != "identifier")
            {
                // `f(x).attr = v`, `d[k] = v`: what the target evaluates still runs.
                out.push(Stmt::Expr(expr(cx, l)));
            }
            // `a = b = value` nests assignments on the right.
            let value = if r.kind() == "assignment" {
                let mut inner = Vec::new();
                expr_stmt(cx, r, &mut inner);
                let v = match inner.last() {
                    Some(Stmt::Assign { value, .. }) => value.clone(),
                    _ => Expr::Lit(span(r)),
                };
                out.extend(inner);
                v
            } else {
                expr(cx, r)
            };
            out.push(Stmt::Assign {
                target,
                value,
                augmented: e.kind() == "augmented_assignment",
                span: span(e),
            });
        }
        _ => out.push(Stmt::Expr(expr(cx, e))),
    }
}

fn function(
    cx: &mut Cx,
    n: Node,
    class: Option<&str>,
    decorators: Vec<Expr>,
    whole: Span,
) -> FuncId {
    let id = cx.functions.len();
    let name_node = n.child_by_field_name("name");
    cx.functions.push(Function {
        name: name_node.map(|c| cx.text(c).to_string()),
        class: class.map(str::to_string),
        params: Vec::new(),
        body: Vec::new(),
        decorators,
        docstring: None,
        span: whole,
        name_span: name_node.map(span).unwrap_or_else(|| span(n)),
    });
    let mut params = Vec::new();
    if let Some(ps) = n.child_by_field_name("parameters") {
        for p in children(ps) {
            if let Some(d) = param(cx, p) {
                params.push(d);
            }
        }
    }
    let mut docstring = None;
    let body = match n.child_by_field_name("body") {
        Some(b) if n.kind() == "lambda" => vec![Stmt::Return(Some(expr(cx, b)), span(b))],
        Some(b) => {
            if let Some(first) = children(b).first()
                && first.kind() == "expression_statement"
                && let Some(s) = children(*first).first()
                && s.kind() == "string"
            {
                docstring = Some((string_value(cx, *s), span(*s)));
            }
            lower_block(cx, b, None)
        }
        None => Vec::new(),
    };
    let f = &mut cx.functions[id];
    f.params = params;
    f.body = body;
    f.docstring = docstring;
    id
}

fn param(cx: &mut Cx, p: Node) -> Option<ParamDecl> {
    let sp = span(p);
    let (name, type_text, default) = match p.kind() {
        "identifier" => (Some(p), None, None),
        "typed_parameter" => (
            children(p).into_iter().find(|c| c.kind() == "identifier"),
            p.child_by_field_name("type"),
            None,
        ),
        "default_parameter" => (
            p.child_by_field_name("name"),
            None,
            p.child_by_field_name("value"),
        ),
        "typed_default_parameter" => (
            p.child_by_field_name("name"),
            p.child_by_field_name("type"),
            p.child_by_field_name("value"),
        ),
        "list_splat_pattern" | "dictionary_splat_pattern" => (
            children(p).into_iter().find(|c| c.kind() == "identifier"),
            None,
            None,
        ),
        _ => return None,
    };
    let name = name?;
    Some(ParamDecl {
        pattern: Target::Name(cx.text(name).to_string(), span(name)),
        type_text: type_text.map(|t| cx.text(t).to_string()),
        default: default.map(|d| expr(cx, d)),
        span: sp,
    })
}

/// The target bound by `as` in `except E as e` and `with x as (a, b)`: the grammar
/// wraps it in an `as_pattern_target` node whose child is the real pattern.
fn alias_target(cx: &mut Cx, alias: Node) -> Target {
    match children(alias).first() {
        Some(t) => pattern(cx, *t),
        None => pattern(cx, alias),
    }
}

fn pattern(cx: &mut Cx, n: Node) -> Target {
    let sp = span(n);
    match n.kind() {
        "identifier" => Target::Name(cx.text(n).to_string(), sp),
        "attribute" => match expr(cx, n).path() {
            Some(p) => Target::Path(p, sp),
            None => Target::Other(sp),
        },
        "pattern_list" | "tuple_pattern" | "list_pattern" | "expression_list" | "tuple"
        | "list" => Target::Destructure(
            children(n)
                .into_iter()
                .map(|c| (None, pattern(cx, c)))
                .collect(),
            sp,
        ),
        "list_splat_pattern" => children(n)
            .first()
            .map(|c| pattern(cx, *c))
            .unwrap_or(Target::Other(sp)),
        _ => Target::Other(sp),
    }
}

fn string_value(cx: &Cx, n: Node) -> String {
    let mut out = String::new();
    let raw_prefix = cx
        .text(n)
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .any(|c| c == 'r' || c == 'R');
    for c in children(n) {
        if c.kind() == "string_content" {
            let t = cx.text(c);
            if raw_prefix {
                out.push_str(t);
            } else {
                out.push_str(&unescape(t));
            }
        } else if c.kind() == "escape_sequence" {
            out.push_str(&unescape(cx.text(c)));
        }
    }
    out
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
        "identifier" => Expr::Name(cx.text(n).to_string(), sp),
        "string" => {
            let has_interp = children(n).iter().any(|c| c.kind() == "interpolation");
            if !has_interp {
                return Expr::Str(string_value(cx, n), sp);
            }
            let mut parts = Vec::new();
            for c in children(n) {
                match c.kind() {
                    "string_content" | "escape_sequence" => {
                        parts.push(Expr::Str(unescape(cx.text(c)), span(c)))
                    }
                    "interpolation" => {
                        if let Some(e) = c.child_by_field_name("expression") {
                            parts.push(expr(cx, e));
                        }
                    }
                    _ => {}
                }
            }
            Expr::Template(parts, sp)
        }
        "concatenated_string" => {
            let parts: Vec<Expr> = children(n).into_iter().map(|c| expr(cx, c)).collect();
            if let Some(s) = parts.iter().map(|p| p.as_str()).collect::<Option<String>>() {
                return Expr::Str(s, sp);
            }
            Expr::Template(parts, sp)
        }
        "integer" | "float" | "true" | "false" | "none" | "ellipsis" => Expr::Lit(sp),
        "attribute" => {
            let obj = n
                .child_by_field_name("object")
                .map(|o| expr(cx, o))
                .unwrap_or(Expr::Lit(sp));
            let attr = n
                .child_by_field_name("attribute")
                .map(|a| cx.text(a).to_string())
                .unwrap_or_default();
            Expr::Member(Box::new(obj), attr, sp)
        }
        "subscript" => {
            let obj = n
                .child_by_field_name("value")
                .map(|o| expr(cx, o))
                .unwrap_or(Expr::Lit(sp));
            let idx = n
                .child_by_field_name("subscript")
                .map(|i| expr(cx, i))
                .unwrap_or(Expr::Lit(sp));
            match idx {
                Expr::Str(s, _) => Expr::Member(Box::new(obj), s, sp),
                other => Expr::Index(Box::new(obj), Box::new(other), sp),
            }
        }
        "call" => {
            let callee = n
                .child_by_field_name("function")
                .map(|f| expr(cx, f))
                .unwrap_or(Expr::Lit(sp));
            let mut args = Vec::new();
            let arguments = n.child_by_field_name("arguments");
            if let Some(a) = arguments.filter(|a| a.kind() == "generator_expression") {
                // `"".join(x for x in xs)`: the generator is the one argument.
                args.push(Arg {
                    name: None,
                    value: expr(cx, a),
                    spread: false,
                });
            } else if let Some(a) = arguments {
                for c in children(a) {
                    match c.kind() {
                        "keyword_argument" => {
                            let name = c
                                .child_by_field_name("name")
                                .map(|x| cx.text(x).to_string());
                            let value = c
                                .child_by_field_name("value")
                                .map(|v| expr(cx, v))
                                .unwrap_or(Expr::Lit(span(c)));
                            args.push(Arg {
                                name,
                                value,
                                spread: false,
                            });
                        }
                        "list_splat" | "dictionary_splat" => {
                            let value = children(c)
                                .first()
                                .map(|v| expr(cx, *v))
                                .unwrap_or(Expr::Lit(span(c)));
                            args.push(Arg {
                                name: None,
                                value,
                                spread: true,
                            });
                        }
                        _ => args.push(Arg {
                            name: None,
                            value: expr(cx, c),
                            spread: false,
                        }),
                    }
                }
            }
            Expr::Call(Box::new(Call {
                callee,
                args,
                is_new: false,
                tagged: false,
                span: sp,
            }))
        }
        "binary_operator" | "boolean_operator" | "comparison_operator" => {
            let kids = children(n);
            let op_text: String = {
                let mut cur = n.walk();
                n.children(&mut cur)
                    .filter(|c| !c.is_named())
                    .map(|c| cx.text(c).to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let op = match op_text.as_str() {
                "+" => BinOp::Add,
                "%" => BinOp::Mod,
                "or" => BinOp::Or,
                "and" => BinOp::And,
                "==" | "is" => BinOp::Eq,
                "!=" | "is not" => BinOp::NotEq,
                "in" => BinOp::In,
                "not in" => BinOp::NotIn,
                _ => BinOp::Other,
            };
            if kids.len() == 2 {
                let l = expr(cx, kids[0]);
                let r = expr(cx, kids[1]);
                Expr::Binary(op, Box::new(l), Box::new(r), sp)
            } else {
                Expr::Other(kids.into_iter().map(|c| expr(cx, c)).collect(), sp)
            }
        }
        "not_operator" => {
            let arg = n
                .child_by_field_name("argument")
                .map(|x| expr(cx, x))
                .unwrap_or(Expr::Lit(sp));
            Expr::Not(Box::new(arg), sp)
        }
        "conditional_expression" => {
            let k = children(n);
            if k.len() == 3 {
                let a = expr(cx, k[0]);
                let c = expr(cx, k[1]);
                let b = expr(cx, k[2]);
                Expr::Cond(Box::new(c), Box::new(a), Box::new(b), sp)
            } else {
                Expr::Other(k.into_iter().map(|c| expr(cx, c)).collect(), sp)
            }
        }
        "dictionary" => {
            let mut props = Vec::new();
            for c in children(n) {
                let psp = span(c);
                match c.kind() {
                    "pair" => {
                        let k = c.child_by_field_name("key").map(|k| expr(cx, k));
                        let value = c
                            .child_by_field_name("value")
                            .map(|v| expr(cx, v))
                            .unwrap_or(Expr::Lit(psp));
                        let (key, computed_key) = match k {
                            Some(Expr::Str(s, _)) => (Some(s), None),
                            other => (None, other),
                        };
                        props.push(Prop {
                            key,
                            computed_key,
                            value,
                            spread: false,
                            span: psp,
                        });
                    }
                    "dictionary_splat" => {
                        if let Some(v) = children(c).first() {
                            let value = expr(cx, *v);
                            props.push(Prop {
                                key: None,
                                computed_key: None,
                                value,
                                spread: true,
                                span: psp,
                            });
                        }
                    }
                    _ => {}
                }
            }
            Expr::Object(props, sp)
        }
        "list" | "tuple" | "set" | "expression_list" => {
            Expr::List(children(n).into_iter().map(|c| expr(cx, c)).collect(), sp)
        }
        "lambda" => {
            let id = function(cx, n, None, Vec::new(), sp);
            Expr::Func(id, sp)
        }
        "list_comprehension"
        | "set_comprehension"
        | "generator_expression"
        | "dictionary_comprehension" => {
            let mut binds = Vec::new();
            let mut body = None;
            for c in children(n) {
                match c.kind() {
                    "for_in_clause" => {
                        if let (Some(l), Some(r)) = (
                            c.child_by_field_name("left"),
                            c.child_by_field_name("right"),
                        ) {
                            binds.push((
                                pattern(cx, l),
                                Expr::Index(
                                    Box::new(expr(cx, r)),
                                    Box::new(Expr::Lit(span(c))),
                                    span(c),
                                ),
                            ));
                        }
                    }
                    "if_clause" => {}
                    _ if body.is_none() => body = Some(expr(cx, c)),
                    _ => {}
                }
            }
            match body {
                Some(b) => Expr::Comprehension(binds, Box::new(b), sp),
                None => Expr::Other(Vec::new(), sp),
            }
        }
        "parenthesized_expression"
        | "await"
        | "keyword_argument"
        | "list_splat"
        | "dictionary_splat"
        | "named_expression"
        | "type" => match children(n).last() {
            Some(c) => expr(cx, *c),
            None => Expr::Lit(sp),
        },
        _ => Expr::Other(children(n).into_iter().map(|c| expr(cx, c)).collect(), sp),
    }
}
