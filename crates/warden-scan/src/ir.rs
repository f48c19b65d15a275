//! A small intermediate representation shared by every language.
//!
//! Each parser front end (`lower::ts`, `lower::py`) turns a tree-sitter tree into
//! this IR, so discovery, data flow and rules are written once. The IR keeps only
//! what the analyses need: calls with their callee paths, string building,
//! assignments and destructuring, control flow that guards, returns, and functions
//! with their parameters and decorators. Everything else becomes [`Expr::Other`],
//! whose children are still visited so taint is never silently lost.

use crate::lang::Lang;

/// A source range. Lines and columns are 1-based; columns count bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start_byte: u32,
    pub end_byte: u32,
    pub start_line: u32,
    pub start_col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

/// Index of a function in [`Module::functions`].
pub type FuncId = usize;

/// Binary operators the analyses distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+` (string concatenation or addition).
    Add,
    /// `%` (Python `%`-formatting).
    Mod,
    /// `||`, `or`, `??`.
    Or,
    /// `&&`, `and`.
    And,
    /// `==`, `===`, `is`.
    Eq,
    /// `!=`, `!==`, `is not`.
    NotEq,
    /// `in` (Python membership, JS `in`).
    In,
    /// `not in`.
    NotIn,
    /// Anything else.
    Other,
}

/// An expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// An identifier (including `this`/`self`).
    Name(String, Span),
    /// A string with no interpolation. The value is decoded where cheap.
    Str(String, Span),
    /// A template literal or f-string: literal parts as [`Expr::Str`], holes as other exprs.
    Template(Vec<Expr>, Span),
    /// `object.property` (and `object["literal"]`).
    Member(Box<Expr>, String, Span),
    /// `object[index]` with a non-literal index.
    Index(Box<Expr>, Box<Expr>, Span),
    /// A call or `new` expression.
    Call(Box<Call>),
    /// A binary or boolean operation.
    Binary(BinOp, Box<Expr>, Box<Expr>, Span),
    /// `!x`, `not x`.
    Not(Box<Expr>, Span),
    /// Object or dict literal.
    Object(Vec<Prop>, Span),
    /// Array, list, tuple or set literal.
    List(Vec<Expr>, Span),
    /// A function expression (arrow, lambda, function expression).
    Func(FuncId, Span),
    /// Number, boolean, null, undefined, None.
    Lit(Span),
    /// `cond ? a : b`, `a if cond else b`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>, Span),
    /// A comprehension: each `(target, iterable)` binds, then `body` is the element.
    Comprehension(Vec<(Target, Expr)>, Box<Expr>, Span),
    /// Anything not modelled; its children are kept.
    Other(Vec<Expr>, Span),
}

impl Expr {
    /// The source span of the expression.
    pub fn span(&self) -> Span {
        match self {
            Expr::Name(_, s)
            | Expr::Str(_, s)
            | Expr::Template(_, s)
            | Expr::Member(_, _, s)
            | Expr::Index(_, _, s)
            | Expr::Binary(_, _, _, s)
            | Expr::Not(_, s)
            | Expr::Object(_, s)
            | Expr::List(_, s)
            | Expr::Func(_, s)
            | Expr::Lit(s)
            | Expr::Cond(_, _, _, s)
            | Expr::Comprehension(_, _, s)
            | Expr::Other(_, s) => *s,
            Expr::Call(c) => c.span,
        }
    }

    /// The literal string value, if the expression is a plain string or a
    /// concatenation of plain strings.
    pub fn as_str(&self) -> Option<String> {
        match self {
            Expr::Str(s, _) => Some(s.clone()),
            Expr::Binary(BinOp::Add, l, r, _) => Some(l.as_str()? + &r.as_str()?),
            Expr::Template(parts, _) => {
                let mut out = String::new();
                for p in parts {
                    out.push_str(&p.as_str()?);
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// The dotted path of a name or member chain, e.g. `child_process.exec`,
    /// `this.server.tool`. `None` for anything else.
    pub fn path(&self) -> Option<String> {
        match self {
            Expr::Name(n, _) => Some(n.clone()),
            Expr::Member(o, p, _) => Some(format!("{}.{p}", o.path()?)),
            Expr::Call(c) => Some(format!("{}()", c.callee.path()?)),
            _ => None,
        }
    }

    /// The value for `key` in an object literal.
    pub fn prop(&self, key: &str) -> Option<&Expr> {
        match self {
            Expr::Object(props, _) => props
                .iter()
                .find(|p| p.key.as_deref() == Some(key))
                .map(|p| &p.value),
            _ => None,
        }
    }

    /// Calls `f` on every direct child expression.
    pub fn for_each_child<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        match self {
            Expr::Name(..) | Expr::Str(..) | Expr::Lit(..) | Expr::Func(..) => {}
            Expr::Template(parts, _) | Expr::List(parts, _) | Expr::Other(parts, _) => {
                parts.iter().for_each(f)
            }
            Expr::Member(o, _, _) | Expr::Not(o, _) => f(o),
            Expr::Index(o, i, _) => {
                f(o);
                f(i)
            }
            Expr::Call(c) => {
                f(&c.callee);
                for a in &c.args {
                    f(&a.value)
                }
            }
            Expr::Binary(_, l, r, _) => {
                f(l);
                f(r)
            }
            Expr::Object(props, _) => {
                for p in props {
                    if let Some(k) = &p.computed_key {
                        f(k)
                    }
                    f(&p.value)
                }
            }
            Expr::Cond(c, a, b, _) => {
                f(c);
                f(a);
                f(b)
            }
            Expr::Comprehension(binds, body, _) => {
                for (_, it) in binds {
                    f(it)
                }
                f(body)
            }
        }
    }

    /// Visits this expression and all nested ones (not entering nested functions).
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        self.for_each_child(&mut |c| c.walk(f));
    }
}

/// A call or `new`.
#[derive(Debug, Clone)]
pub struct Call {
    /// What is called.
    pub callee: Expr,
    /// Positional and keyword arguments in source order.
    pub args: Vec<Arg>,
    /// `new X(...)`.
    pub is_new: bool,
    /// A tagged template, `` sql`...${x}` ``: the holes are passed as separate values.
    pub tagged: bool,
    /// The whole call.
    pub span: Span,
}

impl Call {
    /// The n-th positional argument.
    pub fn positional(&self, n: usize) -> Option<&Expr> {
        self.args
            .iter()
            .filter(|a| a.name.is_none() && !a.spread)
            .nth(n)
            .map(|a| &a.value)
    }

    /// The keyword argument `name` (Python).
    pub fn keyword(&self, name: &str) -> Option<&Expr> {
        self.args
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
            .map(|a| &a.value)
    }

    /// Number of positional arguments.
    pub fn positional_count(&self) -> usize {
        self.args
            .iter()
            .filter(|a| a.name.is_none() && !a.spread)
            .count()
    }
}

/// A call argument.
#[derive(Debug, Clone)]
pub struct Arg {
    /// The keyword, for Python `f(x=1)`.
    pub name: Option<String>,
    /// The value.
    pub value: Expr,
    /// `...x`, `*x`, `**x`.
    pub spread: bool,
}

/// One property of an object/dict literal.
#[derive(Debug, Clone)]
pub struct Prop {
    /// A literal key (identifier or string), if known.
    pub key: Option<String>,
    /// A computed key expression, if any.
    pub computed_key: Option<Expr>,
    /// The value (for shorthand `{ a }` this is `Name("a")`).
    pub value: Expr,
    /// `...x` / `**x`.
    pub spread: bool,
    /// The property's span.
    pub span: Span,
}

/// The left side of an assignment, or a parameter pattern.
#[derive(Debug, Clone)]
pub enum Target {
    /// A plain name.
    Name(String, Span),
    /// `obj.prop = ...` — stored under the dotted path.
    Path(String, Span),
    /// `{ a, b: c, ...rest }` or `[a, b]`: each part with the key it takes, if any.
    Destructure(Vec<(Option<String>, Target)>, Span),
    /// Something else (subscript assignment and the like).
    Other(Span),
}

impl Target {
    /// Every name the target binds.
    pub fn names(&self) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        self.collect_names(&mut out);
        out
    }

    fn collect_names(&self, out: &mut Vec<(String, Span)>) {
        match self {
            Target::Name(n, s) | Target::Path(n, s) => out.push((n.clone(), *s)),
            Target::Destructure(parts, _) => parts.iter().for_each(|(_, t)| t.collect_names(out)),
            Target::Other(_) => {}
        }
    }
}

/// A statement.
#[derive(Debug, Clone)]
pub enum Stmt {
    /// `target = value` (also declarations, `for x of xs`, `with ... as x`).
    Assign {
        target: Target,
        value: Expr,
        /// `+=` and friends: the target keeps its old value too.
        augmented: bool,
        span: Span,
    },
    /// An expression evaluated for effect.
    Expr(Expr),
    /// `return`; `None` for a bare return. Arrow expression bodies become returns.
    Return(Option<Expr>, Span),
    /// `throw` / `raise`.
    Throw(Option<Expr>, Span),
    /// `if`.
    If {
        cond: Expr,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
        span: Span,
    },
    /// `switch`/`match`: `cases` hold the tested values (empty for default).
    Switch {
        disc: Expr,
        cases: Vec<Case>,
        span: Span,
    },
    /// A loop, try, with or plain block: statements run in some order.
    Block(Vec<Stmt>, Span),
    /// A nested function or method declaration.
    FuncDecl(FuncId),
}

/// One arm of a switch.
#[derive(Debug, Clone)]
pub struct Case {
    /// Tested values.
    pub tests: Vec<Expr>,
    /// The arm's statements.
    pub body: Vec<Stmt>,
    /// The arm's span.
    pub span: Span,
}

impl Stmt {
    /// Visits this statement and all nested statements (not entering nested functions).
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Stmt)) {
        f(self);
        match self {
            Stmt::If { then, els, .. } => {
                then.iter().for_each(|s| s.walk(f));
                els.iter().for_each(|s| s.walk(f));
            }
            Stmt::Switch { cases, .. } => cases
                .iter()
                .flat_map(|c| c.body.iter())
                .for_each(|s| s.walk(f)),
            Stmt::Block(b, _) => b.iter().for_each(|s| s.walk(f)),
            _ => {}
        }
    }

    /// The expressions directly held by this statement (not nested statements').
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            Stmt::Assign { value, .. } => vec![value],
            Stmt::Expr(e) => vec![e],
            Stmt::Return(e, _) | Stmt::Throw(e, _) => e.iter().collect(),
            Stmt::If { cond, .. } => vec![cond],
            Stmt::Switch { disc, cases, .. } => {
                let mut v = vec![disc];
                v.extend(cases.iter().flat_map(|c| c.tests.iter()));
                v
            }
            Stmt::Block(..) | Stmt::FuncDecl(_) => Vec::new(),
        }
    }

    /// Whether the statement list always leaves the function (return/throw) at its end.
    pub fn block_exits(stmts: &[Stmt]) -> bool {
        match stmts.last() {
            Some(Stmt::Return(..)) | Some(Stmt::Throw(..)) => true,
            Some(Stmt::Block(b, _)) => Stmt::block_exits(b),
            Some(Stmt::If { then, els, .. }) => Stmt::block_exits(then) && Stmt::block_exits(els),
            Some(Stmt::Expr(Expr::Call(c))) => {
                // `process.exit(1)`, `sys.exit()`, `abort(403)` end the handler too.
                matches!(
                    c.callee.path().as_deref(),
                    Some("process.exit" | "sys.exit" | "exit" | "abort")
                )
            }
            _ => false,
        }
    }
}

/// A declared parameter.
#[derive(Debug, Clone)]
pub struct ParamDecl {
    /// The binding pattern.
    pub pattern: Target,
    /// The type annotation text, if any.
    pub type_text: Option<String>,
    /// The default value, if any.
    pub default: Option<Expr>,
    /// The whole parameter's span.
    pub span: Span,
}

impl ParamDecl {
    /// The plain name, if the parameter is not destructured.
    pub fn name(&self) -> Option<&str> {
        match &self.pattern {
            Target::Name(n, _) => Some(n),
            _ => None,
        }
    }
}

/// A function, method, arrow or lambda.
#[derive(Debug, Clone)]
pub struct Function {
    /// The declared name (for methods, the method name).
    pub name: Option<String>,
    /// The enclosing class, for methods.
    pub class: Option<String>,
    /// Parameters in order (Python `self` included).
    pub params: Vec<ParamDecl>,
    /// The body; an expression body is a single `Return`.
    pub body: Vec<Stmt>,
    /// Decorators (Python), outermost first.
    pub decorators: Vec<Expr>,
    /// The docstring (Python), if any.
    pub docstring: Option<(String, Span)>,
    /// The whole function's span (decorators included).
    pub span: Span,
    /// The span of the name, or of the function head.
    pub name_span: Span,
}

/// An import binding: `local` refers to `imported` of `module`.
#[derive(Debug, Clone)]
pub struct Import {
    /// The local name.
    pub local: String,
    /// The module specifier as written (`child_process`, `./lib.js`, `os.path`, `.helpers`).
    pub module: String,
    /// The imported member; `None` for the module object itself (namespace/default/plain import).
    pub member: Option<String>,
}

/// One parsed source file in IR form.
#[derive(Debug, Clone)]
pub struct Module {
    /// Path relative to the scanned root.
    pub path: String,
    /// The source language.
    pub lang: Lang,
    /// All functions, nested ones included. Index 0 is the module's top level.
    pub functions: Vec<Function>,
    /// Import bindings.
    pub imports: Vec<Import>,
    /// Whether the parser reported syntax errors (the tree is still used).
    pub has_errors: bool,
}

impl Module {
    /// The top-level pseudo-function.
    pub const TOP: FuncId = 0;

    /// Functions whose declared name is `name` (methods included).
    pub fn functions_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = FuncId> + 'a {
        self.functions
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.name.as_deref() == Some(name))
            .map(|(i, _)| i)
    }
}
