//! Data flow: from tool arguments, environment reads and fetched content to the
//! places where they do harm.
//!
//! The analysis is flow-insensitive within a function (assignments are iterated to a
//! fixpoint) and context-sensitive across calls: a call to a function of the project
//! analyses the callee with the caller's argument taint, to a bounded depth, memoised
//! per taint shape. Guards (containment checks, allowlists, validators) are collected
//! for the whole run and applied to the hits at the end, so a check in a helper
//! protects the sink in its caller. Every taint carries the steps that made it, which
//! become a finding's evidence.

use crate::ir::*;
use crate::project::{FnRef, Project};
use crate::sinks::{self, Effect, Sanitizer};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

/// Where a value came from.
pub mod label {
    /// A tool argument (or resource-template variable): attacker-controlled.
    pub const ARG: u8 = 1;
    /// Content fetched from outside (HTTP body, issue text, file contents).
    pub const EXTERNAL: u8 = 2;
    /// A credential: a secret-named environment variable or config value.
    pub const SECRET: u8 = 4;
    /// The whole process environment.
    pub const ENV_ALL: u8 = 8;
}

/// Which harms a value has been neutralised for.
pub mod clear {
    pub const SHELL: u8 = 1;
    pub const PATH: u8 = 2;
    pub const SQL: u8 = 4;
    pub const SSRF: u8 = 8;
    pub const UNTRUSTED: u8 = 16;
    pub const REDACT: u8 = 32;
    pub const ARGINJ: u8 = 64;
    /// The program a process runs is checked against an allowlist.
    pub const PROGRAM: u8 = 128;
    pub const ALL: u8 = 0xff;
}

/// One evidence step.
#[derive(Debug, Clone)]
pub struct Step {
    pub module: usize,
    pub span: Span,
    pub note: String,
}

/// A tainted value.
#[derive(Debug, Clone)]
pub struct Taint {
    /// [`label`] bits.
    pub labels: u8,
    /// [`clear`] bits: harms this value was sanitised for.
    pub cleared: u8,
    /// Built by string interpolation or concatenation.
    pub built: bool,
    /// Starts with a fixed `scheme://host/` or `/`: the destination host is not chosen
    /// by the attacker.
    pub host_fixed: bool,
    /// Literal text the value was built with (capped), to recognise SQL and commands.
    pub lit: String,
    /// Only a piece of the input (`parts[0]`, `path.extname(p)`): a check on it says
    /// nothing about the whole, so it does not count as a guard.
    pub partial: bool,
    /// Joined onto a base path (`path.join(ROOT, p)`, `ROOT / p`): there is a root,
    /// even if nothing checks that the result stays inside it.
    pub joined: bool,
    /// The inputs the value derives from (tool argument names, env var names).
    pub origins: Vec<Arc<str>>,
    /// How the value got here.
    pub steps: Arc<Vec<Step>>,
}

const MAX_STEPS: usize = 12;
const MAX_LIT: usize = 400;
const MAX_DEPTH: usize = 6;
const MAX_ORIGINS: usize = 6;

impl Taint {
    fn source(labels: u8, origin: &str, module: usize, span: Span, note: String) -> Taint {
        Taint {
            labels,
            cleared: 0,
            built: false,
            host_fixed: false,
            lit: String::new(),
            partial: false,
            joined: false,
            origins: vec![Arc::from(origin)],
            steps: Arc::new(vec![Step { module, span, note }]),
        }
    }

    fn with_step(mut self, module: usize, span: Span, note: String) -> Taint {
        if self
            .steps
            .last()
            .is_some_and(|s| s.span == span && s.module == module)
        {
            return self;
        }
        let mut v = (*self.steps).clone();
        if v.len() >= MAX_STEPS {
            v.remove(1);
        }
        v.push(Step { module, span, note });
        self.steps = Arc::new(v);
        self
    }

    fn union(a: Option<Taint>, b: Option<Taint>) -> Option<Taint> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(mut a), Some(b)) => {
                // Keep the more dangerous side's evidence: tool arguments first.
                if b.labels & label::ARG != 0 && a.labels & label::ARG == 0 {
                    a.steps = b.steps.clone();
                }
                a.labels |= b.labels;
                a.cleared &= b.cleared;
                a.built |= b.built;
                a.host_fixed &= b.host_fixed;
                a.partial &= b.partial;
                a.joined &= b.joined;
                if a.lit.len() < MAX_LIT {
                    a.lit.push_str(&b.lit);
                }
                for o in b.origins {
                    if a.origins.len() < MAX_ORIGINS && !a.origins.contains(&o) {
                        a.origins.push(o);
                    }
                }
                Some(a)
            }
        }
    }

    /// A shape key for memoisation: labels and cleared bits.
    fn shape(&self) -> u16 {
        u16::from(self.labels) | (u16::from(self.cleared) << 8)
    }
}

/// What kind of event a hit is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HitKind {
    /// A sink call received a tainted input.
    Sink(Effect),
    /// A tool handler returned a tainted value.
    Return,
    /// A tainted value was thrown (it becomes the tool's error text).
    Throw,
}

/// A tainted value reaching a place of interest.
#[derive(Debug, Clone)]
pub struct Hit {
    pub kind: HitKind,
    pub module: usize,
    pub span: Span,
    /// The qualified callee, for sinks.
    pub callee: String,
    pub taint: Taint,
    /// For process sinks: which argv position the taint is at (0 = the program),
    /// and the argv entries before it (literals; "" where not a literal).
    pub argv_pos: Option<(usize, Vec<String>)>,
    /// The statement of the root handler that led here (for attributing hits to the
    /// tool whose dispatch branch contains it).
    pub root_site: Span,
}

/// A database read or write whose arguments derive from tool inputs.
#[derive(Debug, Clone)]
pub struct DataAccess {
    pub module: usize,
    pub span: Span,
    pub mutates: bool,
    /// Origins of every argument's taint.
    pub origins: Vec<Arc<str>>,
    /// Literal text of the call's arguments (SQL text, where-object keys).
    pub text: String,
    pub root_site: Span,
    /// How the first tool input got to the call.
    pub steps: Arc<Vec<Step>>,
}

/// What a handler and its callees touch.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    pub seen: HashSet<EffectSeen>,
    /// Each effect with the root-handler statement that led to it, to attribute
    /// effects to the branches of a shared dispatcher.
    pub sites: Vec<(EffectSeen, Span)>,
}

/// A touch seen in a handler run, with whether it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EffectSeen {
    pub effect: Effect,
    pub mutates: bool,
    pub destroys: bool,
}

/// Guards collected in a run.
#[derive(Debug, Default, Clone)]
pub struct Guards {
    /// (origin, clear bits) from containment checks, allowlists and validators.
    pub cleared: HashMap<Arc<str>, u8>,
    /// Prefix checks without a separator: origin → where.
    pub prefix_no_sep: HashMap<Arc<str>, (usize, Span)>,
    /// `startsWith("SELECT")`-style read-only guards on raw SQL.
    pub sql_prefix: HashMap<Arc<str>, (usize, Span)>,
}

/// The result of analysing one tool handler (or one module for module-level rules).
#[derive(Debug, Default)]
pub struct RunResult {
    pub hits: Vec<Hit>,
    pub data_access: Vec<DataAccess>,
    pub effects: Effects,
    pub guards: Guards,
    /// Every name and property read anywhere in the run (for unused-parameter and
    /// identity checks).
    pub names_read: HashSet<String>,
    /// Whether the whole argument object escaped into code we cannot see.
    pub args_escape: bool,
    /// Functions analysed.
    pub functions: HashSet<FnRef>,
}

/// How a handler's parameters receive the tool's arguments.
#[derive(Debug, Clone)]
pub enum ArgBinding {
    /// Parameter `index` is the arguments object (or destructures it).
    Object { index: usize },
    /// Each listed parameter is one argument (Python tools).
    Each { params: Vec<usize> },
    /// Nothing is tainted (module-level analysis).
    None,
}

struct Frame {
    f: FnRef,
    env: HashMap<String, Taint>,
    ret: Option<Taint>,
    /// Parameters of the closure being analysed inline, whose calls feed `ret`.
    callback_params: Vec<String>,
    is_root: bool,
    changed: bool,
    /// Parameters given a string literal by the caller (`call_tool("find", args)`):
    /// a dispatch on them (`if name == "find"`) takes only the matching branch.
    consts: HashMap<String, String>,
}

/// A function analysed with given argument shapes and constant string arguments.
type MemoKey = (FnRef, Vec<u16>, Vec<(String, String)>);

/// One analysis run.
pub struct Run<'p> {
    p: &'p Project,
    out: RunResult,
    memo: HashMap<MemoKey, Option<Taint>>,
    stack: Vec<FnRef>,
    root_site: Span,
    root_args: HashSet<String>,
    /// Module-level names already evaluated (their taint), per module.
    globals: HashMap<(usize, String), Option<Taint>>,
    /// Everything thrown so far in the run: what a `catch` may receive.
    thrown: Option<Taint>,
}

impl<'p> Run<'p> {
    fn new(p: &'p Project) -> Run<'p> {
        Run {
            p,
            out: RunResult::default(),
            memo: HashMap::default(),
            stack: Vec::new(),
            root_site: Span::default(),
            root_args: HashSet::default(),
            globals: HashMap::default(),
            thrown: None,
        }
    }

    /// Analyses `handler` with its parameters bound per `binding`.
    pub fn analyze(p: &'p Project, handler: FnRef, binding: &ArgBinding) -> RunResult {
        let mut run = Run::new(p);
        let func = &p.modules[handler.module].functions[handler.func];
        let mut params: Vec<(usize, Taint)> = Vec::new();
        let arg_taint = |name: &str, span: Span| {
            Taint::source(
                label::ARG,
                name,
                handler.module,
                span,
                format!("tool argument `{name}`"),
            )
        };
        match binding {
            ArgBinding::Object { index } => {
                if let Some(pd) = func.params.get(*index) {
                    let name = pd.name().unwrap_or("arguments").to_string();
                    run.root_args.insert(name.clone());
                    params.push((*index, arg_taint(&name, pd.span)));
                }
            }
            ArgBinding::Each { params: ps } => {
                for &i in ps {
                    if let Some(pd) = func.params.get(i) {
                        let name = pd.name().unwrap_or("argument").to_string();
                        params.push((i, arg_taint(&name, pd.span)));
                    }
                }
            }
            ArgBinding::None => {}
        }
        run.call_function(handler, params, Vec::new(), true);
        run.out
    }

    /// Analyses every function of module `m` with nothing tainted but what the code
    /// itself reads (environment, configuration, fetched content): for module-level
    /// rules such as secrets written to logs.
    pub fn analyze_module(p: &'p Project, m: usize) -> RunResult {
        let mut run = Run::new(p);
        // Only functions that write to a log can leak into one; the rest are skipped.
        let src = p.sources[m].as_bytes();
        for (func, f) in p.modules[m].functions.iter().enumerate() {
            let body = src
                .get(f.span.start_byte as usize..f.span.end_byte as usize)
                .unwrap_or_default();
            let logs = [&b"log"[..], b"print", b"console", b"stderr", b"warn"]
                .iter()
                .any(|k| memchr::memmem::find(body, k).is_some());
            if logs {
                run.call_function(FnRef { module: m, func }, Vec::new(), Vec::new(), false);
            }
        }
        run.out
    }

    fn call_function(
        &mut self,
        f: FnRef,
        params: Vec<(usize, Taint)>,
        consts: Vec<(String, String)>,
        is_root: bool,
    ) -> Option<Taint> {
        let key: Vec<u16> = {
            let mut k: Vec<u16> = params
                .iter()
                .map(|(i, t)| ((*i as u16) << 12) ^ t.shape())
                .collect();
            k.sort_unstable();
            k
        };
        let memo_key = (f, key, consts.clone());
        if let Some(r) = self.memo.get(&memo_key) {
            return r.clone();
        }
        if self.stack.contains(&f) || self.stack.len() >= MAX_DEPTH {
            // Recursion or too deep: assume the result derives from the arguments.
            return params
                .into_iter()
                .fold(None, |acc, (_, t)| Taint::union(acc, Some(t)));
        }
        self.stack.push(f);
        self.out.functions.insert(f);
        let func = &self.p.modules[f.module].functions[f.func];
        let mut frame = Frame {
            f,
            env: HashMap::default(),
            ret: None,
            callback_params: Vec::new(),
            is_root,
            changed: false,
            consts: consts.iter().cloned().collect(),
        };
        for (i, t) in params {
            if let Some(pd) = func.params.get(i) {
                self.bind(&mut frame, &pd.pattern, Some(t));
            }
        }
        for _ in 0..4 {
            frame.changed = false;
            self.block(&mut frame, &func.body);
            if !frame.changed {
                break;
            }
        }
        self.stack.pop();
        let ret = frame.ret;
        self.memo.insert(memo_key, ret.clone());
        ret
    }

    fn block(&mut self, fr: &mut Frame, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(fr, s);
        }
    }

    fn stmt(&mut self, fr: &mut Frame, s: &Stmt) {
        let m = fr.f.module;
        if fr.is_root && self.stack.len() == 1 {
            self.root_site = match s {
                Stmt::Assign { span, .. } | Stmt::Return(_, span) | Stmt::Throw(_, span) => *span,
                Stmt::Expr(e) => e.span(),
                Stmt::If { span, .. } | Stmt::Switch { span, .. } => *span,
                _ => self.root_site,
            };
        }
        match s {
            Stmt::Assign {
                target,
                value,
                span,
                augmented,
            } => {
                // `parsed = Schema.parse(args)`: a validated copy of the arguments object.
                if let (Target::Name(n, _), Expr::Call(c)) = (target, value)
                    && c.args.iter().any(|a| self.is_whole_args(&a.value))
                {
                    self.root_args.insert(n.clone());
                }
                let t = self.eval(fr, value);
                if matches!(value, Expr::Binary(..) | Expr::Call(..) | Expr::Not(..)) {
                    // `const ok = p.startsWith(root + sep)` guards as much as an `if` does.
                    self.note_guards(fr, value);
                }
                let mut t = t.map(|t| t.with_step(m, *span, assign_note(target)));
                // `url += "?q=" + x` appends: the start of the string, and so its host,
                // is whatever it was.
                if *augmented && let (Some(new), Target::Name(n, _)) = (t.as_mut(), target) {
                    new.host_fixed = fr.env.get(n).is_none_or(|old| old.host_fixed);
                }
                self.bind(fr, target, t);
            }
            Stmt::Expr(e) => {
                self.eval(fr, e);
            }
            Stmt::Return(e, span) => {
                let t = e.as_ref().and_then(|e| self.eval(fr, e));
                if let Some(e @ (Expr::Binary(..) | Expr::Call(..) | Expr::Not(..))) = e {
                    // A predicate helper (`return p.startsWith(root + sep)`) is a guard.
                    self.note_guards(fr, e);
                }
                if let Some(t) = &t
                    && fr.is_root
                    && self.stack.len() == 1
                {
                    self.hit(HitKind::Return, m, *span, String::new(), t.clone(), None);
                }
                if let Some(e) = e
                    && fr.is_root
                    && self.stack.len() == 1
                    && self.is_whole_args(e)
                {
                    self.out.args_escape = true;
                }
                fr.ret = Taint::union(fr.ret.take(), t);
            }
            Stmt::Throw(e, span) => {
                if let Some(t) = e.as_ref().and_then(|e| self.eval(fr, e)) {
                    self.hit(HitKind::Throw, m, *span, String::new(), t.clone(), None);
                    // A `catch`/`except` up the call chain sees what was thrown.
                    self.thrown = Taint::union(self.thrown.take(), Some(t));
                }
            }
            Stmt::If {
                cond, then, els, ..
            } => {
                self.eval(fr, cond);
                match const_dispatch(fr, cond) {
                    Some(true) => self.block(fr, then),
                    Some(false) => self.block(fr, els),
                    None => {
                        self.note_guards_exiting(fr, cond, Stmt::block_exits(then));
                        self.block(fr, then);
                        self.block(fr, els);
                    }
                }
            }
            Stmt::Switch { disc, cases, .. } => {
                self.eval(fr, disc);
                for c in cases {
                    if fr.is_root && self.stack.len() == 1 {
                        self.root_site = c.span;
                    }
                    for t in &c.tests {
                        self.eval(fr, t);
                    }
                    let saved = self.root_site;
                    self.block(fr, &c.body);
                    if fr.is_root && self.stack.len() == 1 {
                        self.root_site = saved;
                    }
                }
            }
            Stmt::Block(b, _) => self.block(fr, b),
            Stmt::FuncDecl(_) => {}
        }
    }

    /// Binds a pattern to a value's taint. Flow-insensitive: a name holds the union of
    /// everything ever assigned to it, so augmented and plain assignments are alike.
    fn bind(&mut self, fr: &mut Frame, target: &Target, t: Option<Taint>) {
        match target {
            Target::Name(n, _) | Target::Path(n, _) => {
                let prev = fr.env.get(n).cloned();
                let new = Taint::union(prev.clone(), t);
                if let Some(new) = new {
                    let grew = prev.as_ref().is_none_or(|p| {
                        p.labels != new.labels || p.cleared != new.cleared || p.built != new.built
                    });
                    if grew {
                        fr.changed = true;
                    }
                    fr.env.insert(n.clone(), new);
                }
            }
            Target::Destructure(parts, _) => {
                for (key, sub) in parts {
                    let Some(t) = t.clone() else { continue };
                    let mut t = t;
                    if let Some(k) = key {
                        self.read_name(k);
                        if t.labels & label::ARG != 0 {
                            // Each destructured argument is an input of its own.
                            t.origins = vec![Arc::from(k.as_str())];
                            let sp = match sub {
                                Target::Name(_, s) => *s,
                                _ => Span::default(),
                            };
                            t = Taint {
                                steps: Arc::new(vec![Step {
                                    module: fr.f.module,
                                    span: sp,
                                    note: format!("tool argument `{k}`"),
                                }]),
                                ..t
                            };
                        } else if t.labels & label::ENV_ALL != 0 {
                            t = if is_secret_name(k) {
                                Taint {
                                    labels: label::SECRET,
                                    origins: vec![Arc::from(k.as_str())],
                                    ..t
                                }
                            } else {
                                continue;
                            };
                        }
                    } else if let Target::Name(n, _) = sub
                        && self.root_args.contains(n)
                    {
                        self.out.args_escape = true;
                    } else if parts
                        .iter()
                        .any(|(k, _)| k.as_deref().is_some_and(is_secret_name))
                    {
                        // `{ apiKey, ...rest }`: the rest is what is left without the secret.
                        t.labels &= !label::SECRET;
                        if t.labels == 0 {
                            continue;
                        }
                    }
                    self.bind(fr, sub, Some(t));
                }
            }
            Target::Other(_) => {}
        }
    }

    /// Records that a name or property was read (without allocating when already known).
    fn read_name(&mut self, n: &str) {
        if !self.out.names_read.contains(n) {
            self.out.names_read.insert(n.to_string());
        }
    }

    fn is_whole_args(&self, e: &Expr) -> bool {
        matches!(e, Expr::Name(n, _) if self.root_args.contains(n))
    }

    fn hit(
        &mut self,
        kind: HitKind,
        module: usize,
        span: Span,
        callee: String,
        taint: Taint,
        argv_pos: Option<(usize, Vec<String>)>,
    ) {
        let key_of = |kind: &HitKind, pos: Option<usize>| -> u32 {
            let k = match kind {
                HitKind::Sink(e) => *e as u32 + 10,
                HitKind::Return => 1,
                HitKind::Throw => 2,
            };
            k + 100 * pos.map_or(0, |p| p as u32 + 1)
        };
        let key = key_of(&kind, argv_pos.as_ref().map(|a| a.0));
        if let Some(existing) = self.out.hits.iter_mut().find(|h| {
            key_of(&h.kind, h.argv_pos.as_ref().map(|a| a.0)) == key
                && h.module == module
                && h.span.start_byte == span.start_byte
                && h.span.end_byte == span.end_byte
        }) {
            // Later passes may see more labels; keep the union.
            existing.taint.labels |= taint.labels;
            existing.taint.cleared &= taint.cleared;
            for o in taint.origins {
                if !existing.taint.origins.contains(&o) {
                    existing.taint.origins.push(o);
                }
            }
            return;
        }
        self.out.hits.push(Hit {
            kind,
            module,
            span,
            callee,
            taint,
            argv_pos,
            root_site: self.root_site,
        });
    }

    /// Evaluates an expression to the taint of its value, recording sinks on the way.
    fn eval(&mut self, fr: &mut Frame, e: &Expr) -> Option<Taint> {
        let m = fr.f.module;
        match e {
            Expr::Name(n, _) if n == crate::lower::THROWN => self.thrown.clone(),
            Expr::Name(n, _) => {
                self.read_name(n);
                match fr.env.get(n) {
                    Some(t) => Some(t.clone()),
                    None if fr.f.func != Module::TOP => self.global(m, n),
                    None => None,
                }
            }
            Expr::Str(..) | Expr::Lit(..) => None,
            Expr::Template(parts, sp) => {
                let mut acc: Option<Taint> = None;
                let mut lit = String::new();
                let mut host_fixed = false;
                for (i, p) in parts.iter().enumerate() {
                    if let Expr::Str(s, _) = p {
                        lit.push_str(s);
                        if i == 0 {
                            host_fixed = fixes_host(s);
                        }
                    } else {
                        let t = self.eval(fr, p);
                        if i == 0 {
                            // A leading value the tool's input does not reach
                            // (`${BASE_URL}/...`) is the server's own configuration.
                            host_fixed = t.as_ref().is_none_or(|t| t.labels & label::ARG == 0);
                        }
                        acc = Taint::union(acc, t);
                    }
                }
                acc.map(|mut t| {
                    t.built = true;
                    t.host_fixed = host_fixed;
                    if t.lit.len() < MAX_LIT {
                        t.lit.push_str(&lit);
                    }
                    t.with_step(m, *sp, "interpolated into a string".into())
                })
            }
            Expr::Member(o, prop, sp) => {
                self.read_name(prop);
                if let Some(path) = e.path()
                    && let Some(t) = fr.env.get(&path)
                {
                    return Some(t.clone());
                }
                let q = self.p.qualify(m, e).unwrap_or_default();
                if q == "process.env" || q == "os.environ" {
                    return Some(Taint::source(
                        label::ENV_ALL,
                        "environment",
                        m,
                        *sp,
                        "the whole process environment".into(),
                    ));
                }
                if let Some(var) = q
                    .strip_prefix("process.env.")
                    .or_else(|| q.strip_prefix("os.environ."))
                {
                    return self.env_var(m, var, *sp);
                }
                let ot = self.eval(fr, o);
                if prop == "length" {
                    return None;
                }
                // The status of a response is the server's own observation, not content.
                if ot.as_ref().is_some_and(|t| t.labels & label::EXTERNAL != 0)
                    && matches!(
                        prop.as_str(),
                        "status"
                            | "status_code"
                            | "statusCode"
                            | "ok"
                            | "statusText"
                            | "reason"
                            | "reason_phrase"
                            | "elapsed"
                            | "is_success"
                            | "is_error"
                            | "url"
                            | "headers"
                            | "byteLength"
                            | "size"
                            | "responseUrl"
                            | "location"
                            | "content_type"
                            | "encoding"
                    )
                {
                    return None;
                }
                match ot {
                    Some(t) if t.labels & label::ENV_ALL != 0 => self.env_var(m, prop, *sp),
                    Some(mut t) if t.labels & label::ARG != 0 => {
                        // `request.params.name` is the dispatch key, not an input.
                        if prop == "name" && o.path().is_some_and(|p| p.ends_with("params")) {
                            return None;
                        }
                        if let Some(op) = o.path() {
                            let root = self.root_args.contains(&op)
                                || op.ends_with(".arguments")
                                || op.ends_with("params")
                                || op == "arguments";
                            if root && prop == "data" {
                                // `safeParse(args).data`: still the whole arguments object.
                                if let Some(p) = e.path() {
                                    self.root_args.insert(p);
                                }
                                return Some(t);
                            }
                            if !root
                                && !matches!(
                                    prop.as_str(),
                                    "hostname"
                                        | "host"
                                        | "netloc"
                                        | "origin"
                                        | "protocol"
                                        | "scheme"
                                        | "href"
                                )
                            {
                                // A field of a derived value (`result["status"]`) is a piece of it.
                                t.partial = true;
                            }
                            if root {
                                t.origins = vec![Arc::from(prop.as_str())];
                                t = Taint {
                                    steps: Arc::new(vec![Step {
                                        module: m,
                                        span: *sp,
                                        note: format!("tool argument `{prop}`"),
                                    }]),
                                    ..t
                                };
                            }
                        }
                        Some(t)
                    }
                    // `tokens["api_key"]` on data read from a file or a service is a
                    // credential too.
                    Some(t) if t.labels & label::ARG == 0 && is_strong_secret_name(prop) => {
                        Taint::union(
                            Some(t),
                            Some(Taint::source(
                                label::SECRET,
                                prop,
                                m,
                                *sp,
                                format!("credential `{prop}` read from stored data"),
                            )),
                        )
                    }
                    // Another field of an object that holds a secret is not the secret:
                    // `config.debug`, `response.status`.
                    Some(mut t)
                        if t.labels & label::SECRET != 0
                            && !is_secret_name(prop)
                            && !matches!(
                                prop.as_str(),
                                "auth" | "headers" | "credentials" | "env"
                            ) =>
                    {
                        t.labels &= !label::SECRET;
                        (t.labels != 0).then_some(t)
                    }
                    Some(t) => Some(t),
                    None if is_secret_name(prop)
                        && (is_config_like(o) || is_strong_secret_name(prop))
                        && !self.describes_a_field(m, o, prop) =>
                    {
                        Some(Taint::source(
                            label::SECRET,
                            prop,
                            m,
                            *sp,
                            format!("credential `{prop}` read from configuration"),
                        ))
                    }
                    None => None,
                }
            }
            Expr::Index(o, i, _) => {
                self.eval(fr, i);
                let ot = self.eval(fr, o);
                match ot {
                    // `process.env[name]` with a computed name: treat as a secret read.
                    Some(t) if t.labels & label::ENV_ALL != 0 => Some(Taint {
                        labels: label::SECRET,
                        ..t
                    }),
                    Some(mut t) => {
                        t.partial = true;
                        Some(t)
                    }
                    None => None,
                }
            }
            Expr::Call(c) => self.eval_call(fr, c),
            Expr::Binary(op, l, r, sp) => {
                let lt = self.eval(fr, l);
                let rt = self.eval(fr, r);
                // `n + 1`: arithmetic on a number yields a number.
                if *op == BinOp::Add
                    && (matches!(l.as_ref(), Expr::Lit(..)) || matches!(r.as_ref(), Expr::Lit(..)))
                {
                    return None;
                }
                match op {
                    BinOp::Add | BinOp::Mod => {
                        let lit: String = [l.as_ref(), r.as_ref()]
                            .iter()
                            .filter_map(|x| x.as_str())
                            .collect();
                        let host_fixed = match l.as_str() {
                            Some(s) => fixes_host(&s),
                            None => lt
                                .as_ref()
                                .is_none_or(|t| t.host_fixed || t.labels & label::ARG == 0),
                        };
                        Taint::union(lt, rt).map(|mut t| {
                            t.built = true;
                            t.host_fixed = host_fixed;
                            if t.lit.len() < MAX_LIT {
                                t.lit.push_str(&lit);
                            }
                            t.with_step(m, *sp, "concatenated into a string".into())
                        })
                    }
                    BinOp::Other => {
                        // `ROOT / p`: a path joined onto a base.
                        let one_side = lt.is_some() != rt.is_some();
                        Taint::union(lt, rt).map(|mut t| {
                            t.joined |= one_side;
                            t
                        })
                    }
                    BinOp::Or | BinOp::And => Taint::union(lt, rt),
                    _ => None,
                }
            }
            Expr::Not(x, _) => {
                self.eval(fr, x);
                None
            }
            Expr::Object(props, _) => {
                // `{ ...cfg, password: "******" }` overrides the secret fields it spreads.
                let literal = |e: &Expr| matches!(e, Expr::Str(..) | Expr::Lit(..));
                let masks = props.iter().any(|p| {
                    p.key.as_deref().is_some_and(is_secret_name)
                        && (literal(&p.value) || matches!(&p.value, Expr::Cond(_, a, b, _) if literal(a) && literal(b)))
                });
                let mut acc = None;
                for p in props {
                    if let Some(k) = &p.computed_key {
                        acc = Taint::union(acc, self.eval(fr, k));
                    }
                    if p.spread && self.is_whole_args(&p.value) {
                        self.out.args_escape = true;
                    }
                    let mut t = self.eval(fr, &p.value);
                    if p.spread
                        && masks
                        && let Some(v) = t.as_mut()
                    {
                        v.cleared |= clear::REDACT;
                    }
                    acc = Taint::union(acc, t);
                }
                acc
            }
            Expr::List(items, _) => {
                let mut acc = None;
                for x in items {
                    acc = Taint::union(acc, self.eval(fr, x));
                }
                acc
            }
            Expr::Func(id, _) => self.closure(fr, *id, None),
            Expr::Cond(c, a, b, _) => {
                self.eval(fr, c);
                self.note_guards(fr, c);
                let at = self.eval(fr, a);
                let bt = self.eval(fr, b);
                Taint::union(at, bt)
            }
            Expr::Other(kids, _) => {
                let mut acc = None;
                for k in kids {
                    acc = Taint::union(acc, self.eval(fr, k));
                }
                acc
            }
            Expr::Comprehension(binds, body, _) => {
                // The elements are the body: `[wrap(m) for m in msgs]` is as clean as `wrap`.
                for (target, it) in binds {
                    let t = self.eval(fr, it);
                    self.bind(fr, target, t);
                }
                self.eval(fr, body)
            }
        }
    }

    /// The taint of a module-level name (`API_KEY = os.environ["API_KEY"]`,
    /// `const config = { token: process.env.TOKEN }`), evaluated once.
    fn global(&mut self, m: usize, name: &str) -> Option<Taint> {
        let key = (m, name.to_string());
        if let Some(t) = self.globals.get(&key) {
            return t.clone();
        }
        self.globals.insert(key.clone(), None);
        let p = self.p;
        let value = p.modules[m].functions[Module::TOP]
            .body
            .iter()
            .find_map(|s| match s {
                Stmt::Assign {
                    target: Target::Name(n, _),
                    value,
                    ..
                } if n == name => Some(value),
                _ => None,
            });
        let t = value.and_then(|v| {
            let mut fr = Frame {
                f: FnRef {
                    module: m,
                    func: Module::TOP,
                },
                env: HashMap::default(),
                ret: None,
                callback_params: Vec::new(),
                is_root: false,
                changed: false,
                consts: HashMap::default(),
            };
            // Only what the configuration itself reads counts: secrets and environment.
            self.eval(&mut fr, v)
                .filter(|t| t.labels & (label::SECRET | label::ENV_ALL) != 0)
        });
        self.globals.insert(key, t.clone());
        t
    }

    /// The expression last assigned to `name` in function `f`, if any.
    fn definition(&self, f: FnRef, name: &str) -> Option<&'p Expr> {
        let p = self.p;
        let mut found = None;
        for s in &p.modules[f.module].functions[f.func].body {
            s.walk(&mut |s| {
                if let Stmt::Assign {
                    target: Target::Name(n, _),
                    value,
                    ..
                } = s
                    && n == name
                {
                    found = Some(value);
                }
            });
        }
        found
    }

    fn env_var(&self, m: usize, var: &str, sp: Span) -> Option<Taint> {
        if is_secret_name(var) {
            Some(Taint::source(
                label::SECRET,
                var,
                m,
                sp,
                format!("credential from environment variable `{var}`"),
            ))
        } else {
            None
        }
    }

    /// Analyses a function expression in place, sharing the enclosing environment
    /// (closures capture it). Its parameters receive `seed`.
    fn closure(&mut self, fr: &mut Frame, id: FuncId, seed: Option<Taint>) -> Option<Taint> {
        let f = FnRef {
            module: fr.f.module,
            func: id,
        };
        if self.stack.contains(&f) || self.stack.len() >= MAX_DEPTH {
            return None;
        }
        let func = &self.p.modules[f.module].functions[id];
        let saved_ret = fr.ret.take();
        let saved_cb = std::mem::take(&mut fr.callback_params);
        for pd in &func.params {
            for (n, _) in pd.pattern.names() {
                fr.callback_params.push(n);
            }
            if let Some(s) = seed.clone() {
                self.bind(fr, &pd.pattern, Some(s));
            }
        }
        self.stack.push(f);
        let was_root = fr.is_root;
        fr.is_root = false;
        self.block(fr, &func.body);
        fr.is_root = was_root;
        self.stack.pop();
        fr.callback_params = saved_cb;
        std::mem::replace(&mut fr.ret, saved_ret)
    }

    /// `FIELDS.password` where `FIELDS` is a module constant whose `password` is an
    /// object literal (`{ title: "Password", description: "..." }`): metadata about a
    /// credential field, not the credential.
    fn describes_a_field(&self, m: usize, o: &Expr, prop: &str) -> bool {
        let Expr::Name(n, _) = o else { return false };
        matches!(
            self.p.const_value(m, n),
            Some((_, obj @ Expr::Object(..))) if matches!(obj.prop(prop), Some(Expr::Object(..)))
        )
    }

    fn eval_call(&mut self, fr: &mut Frame, c: &Call) -> Option<Taint> {
        let m = fr.f.module;
        let py = self.p.modules[m].lang == crate::lang::Lang::Python;
        let method = match &c.callee {
            Expr::Member(_, p, _) => Some(p.as_str()),
            _ => None,
        };
        // A method on an expression with no path (`(root / p).read_text()`) is still
        // recognised by its name.
        let q = self
            .p
            .qualify_in(m, fr.f.func, &c.callee)
            .or_else(|| method.map(|mm| format!("?.{mm}")))
            .unwrap_or_default();
        // Receiver first, so callbacks passed to its methods can be seeded with it.
        let recv_t = match &c.callee {
            Expr::Member(o, _, _) => self.eval(fr, o),
            other => {
                if let Expr::Name(n, _) = other {
                    self.read_name(n);
                }
                None
            }
        };
        let mut arg_ts: Vec<Option<Taint>> = Vec::with_capacity(c.args.len());
        for a in &c.args {
            let t = match &a.value {
                Expr::Func(id, _) => self.closure(fr, *id, recv_t.clone()),
                v => self.eval(fr, v),
            };
            arg_ts.push(t);
        }
        if let Some(m) = method {
            self.read_name(m);
        }
        // `resolve(x)` inside `new Promise((resolve) => ...)` returns x from the closure.
        if let Expr::Name(n, _) = &c.callee
            && fr.callback_params.contains(n)
        {
            let all = arg_ts.iter().cloned().fold(None, Taint::union);
            fr.ret = Taint::union(fr.ret.take(), all);
        }

        // Listing the environment's names (`sorted(os.environ)`, `Object.keys(process.env)`)
        // reveals no values.
        let env_arg = arg_ts
            .iter()
            .flatten()
            .any(|t| t.labels & label::ENV_ALL != 0);
        if (env_arg
            && matches!(
                q.as_str(),
                "sorted" | "list" | "set" | "len" | "Object.keys" | "tuple"
            ))
            || (matches!(method, Some("keys"))
                && recv_t
                    .as_ref()
                    .is_some_and(|t| t.labels & label::ENV_ALL != 0))
        {
            return None;
        }
        // `items.append(x)`, `parts.push(x)`: the container now holds x.
        if let (Some(mm), Expr::Member(obj, _, _)) = (method, &c.callee)
            && matches!(
                mm,
                "append"
                    | "push"
                    | "extend"
                    | "add"
                    | "insert"
                    | "update"
                    | "unshift"
                    | "setdefault"
                    | "appendleft"
                    | "write"
            )
            && let Some(path) = obj.path()
            && !path.contains("()")
        {
            let added = arg_ts.iter().cloned().fold(None, Taint::union);
            if added.is_some() {
                self.bind(fr, &Target::Name(path, obj.span()), added);
            }
        }

        // Guards written as calls (`p.relative_to(root)`, `validate_url(u)`).
        self.note_call_guard(fr, c, &q, recv_t.as_ref(), &arg_ts);

        // Environment and configuration reads.
        if matches!(
            q.as_str(),
            "os.getenv" | "os.environ.get" | "environ.get" | "getenv"
        ) || (method == Some("get")
            && recv_t
                .as_ref()
                .is_some_and(|t| t.labels & label::ENV_ALL != 0))
        {
            return c
                .positional(0)
                .and_then(|a| a.as_str())
                .and_then(|name| self.env_var(m, &name, c.span));
        }
        if method == Some("get") {
            if let Some(key) = c.positional(0).and_then(|a| a.as_str()) {
                self.read_name(&key);
                if let Some(t) = &recv_t
                    && t.labels & label::ARG != 0
                    && let Expr::Member(o, _, _) = &c.callee
                    && o.path()
                        .is_some_and(|p| self.root_args.contains(&p) || p.ends_with("arguments"))
                {
                    return Some(Taint::source(
                        label::ARG,
                        &key,
                        m,
                        c.span,
                        format!("tool argument `{key}`"),
                    ));
                }
                if recv_t.as_ref().is_none_or(|t| t.labels & label::ARG == 0)
                    && is_secret_name(&key)
                    && let Expr::Member(o, _, _) = &c.callee
                    && (is_config_like(o) || is_strong_secret_name(&key))
                {
                    return Some(Taint::source(
                        label::SECRET,
                        &key,
                        m,
                        c.span,
                        format!("credential `{key}` read from configuration"),
                    ));
                }
            }
            // A lookup in a fixed table (`QUERIES.get(kind)`) yields the table's values.
            if recv_t.is_none()
                && matches!(&c.callee, Expr::Member(o, _, _) if matches!(o.as_ref(), Expr::Name(..)))
                && self.p.resolve_call(m, None, &c.callee).is_none()
                && !crate::project::is_library_path(&q)
                && sinks::classify(&q, c, &self.p.sources[m], py).is_empty()
            {
                return None;
            }
        }
        // `dsn.replace(password, "****")` masks a secret.
        if method == Some("replace")
            && c.positional(1).and_then(|a| a.as_str()).is_some_and(|r| {
                r.len() >= 3 && r.chars().all(|ch| ch == '*' || ch == 'x' || ch == '#')
            })
        {
            return recv_t.map(|mut t| {
                t.cleared |= clear::REDACT;
                t
            });
        }
        // String building by method: `"git log {}".format(x)`, `" ".join(args)`.
        if matches!(method, Some("format" | "join" | "concat" | "format_map")) {
            let lit = match &c.callee {
                Expr::Member(o, _, _) => o.as_str().unwrap_or_default(),
                _ => String::new(),
            };
            let all = Taint::union(
                recv_t.clone(),
                arg_ts.iter().cloned().fold(None, Taint::union),
            );
            return all.map(|mut t| {
                t.built = true;
                t.host_fixed = matches!(method, Some("format" | "format_map")) && fixes_host(&lit);
                if t.lit.len() < MAX_LIT {
                    t.lit.push_str(&lit);
                }
                t.with_step(m, c.span, "formatted into a string".into())
            });
        }

        // A hash digest (`createHash("sha256").update(x).digest("hex")`,
        // `hashlib.sha256(x).hexdigest()`) is fixed-alphabet output of fixed length.
        if let Expr::Member(recv, name, _) = &c.callee
            && matches!(name.as_str(), "digest" | "hexdigest")
            && is_hash_chain(recv)
        {
            return None;
        }

        // Sanitizers.
        let local_name = match &c.callee {
            Expr::Name(n, _) => n.as_str(),
            Expr::Member(_, p, _) => p.as_str(),
            _ => "",
        };
        let san = sinks::sanitizer(&q).or_else(|| sinks::sanitizer(local_name));
        let all_args = || arg_ts.iter().cloned().fold(None, Taint::union);
        if let Some(s) = san {
            let bits = match s {
                Sanitizer::All => return None,
                Sanitizer::Shell => clear::SHELL | clear::ARGINJ,
                Sanitizer::Path => clear::PATH | clear::SHELL | clear::SQL | clear::ARGINJ,
                Sanitizer::Sql => clear::SQL,
                Sanitizer::UntrustedMarker => clear::UNTRUSTED,
                Sanitizer::Redact => clear::REDACT,
            };
            return Taint::union(
                all_args(),
                if c.positional_count() == 0 {
                    recv_t.clone()
                } else {
                    None
                },
            )
            .map(|mut t| {
                t.cleared |= bits;
                t
            });
        }
        if is_pure_predicate(method.unwrap_or(&q)) {
            return None;
        }

        // Sinks.
        let text = &self.p.sources[m];
        let uses = sinks::classify(&q, c, text, py);
        let mut result_external: Option<&'static str> = None;
        for u in &uses {
            // SQL text (literal, or what a variable was built from) tells reads from writes.
            let sql_text = match u.effect {
                Effect::Sql => u.inputs.first().and_then(|e| self.literal_text(fr, e)),
                _ => None,
            };
            let destroys =
                u.effect == Effect::FsDelete || sql_text.as_deref().is_some_and(sql_destroys);
            let mutates = u.mutates
                || matches!(
                    u.effect,
                    Effect::FsWrite | Effect::FsDelete | Effect::Shell | Effect::Process
                )
                || sql_text.as_deref().is_some_and(sql_mutates);
            self.touch(u.effect, mutates, destroys);
            match u.effect {
                Effect::Http => result_external = Some("an HTTP response from a fixed service"),
                Effect::FsRead
                    if !matches!(
                        q.rsplit('.').next(),
                        Some(
                            "readdir"
                                | "readdirSync"
                                | "opendir"
                                | "listdir"
                                | "scandir"
                                | "iterdir"
                                | "glob"
                        )
                    ) =>
                {
                    result_external = Some("file contents")
                }
                _ => {}
            }
            if matches!(u.effect, Effect::Sql | Effect::Db) {
                let mut with_recv = arg_ts.clone();
                with_recv.push(recv_t.clone());
                self.data_access(fr, c, &with_recv, u.mutates || mutates);
            }
            if u.effect == Effect::Process {
                // `execFile("curl", args)` with `const args = ["-s", url]` in the same
                // function: look through the name to the list's positions.
                let mut argv: Vec<&Expr> = Vec::with_capacity(u.argv.len());
                for (i, item) in u.argv.iter().enumerate() {
                    match item {
                        Expr::Name(n, _) if i > 0 => match self.definition(fr.f, n) {
                            Some(Expr::List(items, _)) => argv.extend(items.iter()),
                            _ => argv.push(item),
                        },
                        _ => argv.push(item),
                    }
                }
                for (pos, item) in argv.iter().enumerate() {
                    if let Some(t) = self.eval(fr, item) {
                        // `sys.executable` and `process.execPath` are interpreters by name.
                        // Non-literal entries are kept as "" so positions line up.
                        let before: Vec<String> = argv[..pos]
                            .iter()
                            .map(|x| {
                                x.as_str()
                                    // `shell ?? "/bin/sh"`: the fallback names the program.
                                    .or_else(|| match x {
                                        Expr::Binary(BinOp::Or, _, r, _) => r.as_str(),
                                        _ => None,
                                    })
                                    .or_else(|| match x.path().as_deref() {
                                        Some("sys.executable") => Some("python".into()),
                                        Some("process.execPath") => Some("node".into()),
                                        _ => None,
                                    })
                                    .unwrap_or_default()
                            })
                            .collect();
                        let t = t.with_step(m, c.span, format!("passed to `{q}`"));
                        self.hit(
                            HitKind::Sink(Effect::Process),
                            m,
                            c.span,
                            q.clone(),
                            t,
                            Some((pos, before)),
                        );
                    }
                }
                continue;
            }
            let mut inputs_t: Option<Taint> = None;
            for inp in &u.inputs {
                inputs_t = Taint::union(inputs_t, self.eval(fr, inp));
            }
            if u.inputs.is_empty() {
                // Method sinks on a tainted receiver (`Path(p).read_text()`, `tar.extractall()`).
                inputs_t = recv_t.clone();
            }
            if u.effect == Effect::Http
                && inputs_t
                    .as_ref()
                    .is_some_and(|t| t.labels & label::ARG != 0 && !t.host_fixed)
            {
                result_external = Some("web content from a model-chosen URL");
            }
            if let Some(t) = inputs_t {
                let t = t.with_step(m, c.span, format!("reaches `{}`", display_callee(&q, c)));
                self.hit(HitKind::Sink(u.effect), m, c.span, q.clone(), t, None);
            }
        }
        if let Some(what) = sinks::external_content(&q) {
            result_external = Some(what);
        }
        if result_external.is_some() && uses.iter().any(|u| u.effect == Effect::Log) {
            result_external = None;
        }

        // Calls into the project.
        if uses.is_empty()
            && let Some(target) = self.p.resolve_call(
                m,
                self.p.modules[m].functions[fr.f.func].class.as_deref(),
                &c.callee,
            )
        {
            let callee_fn = &self.p.modules[target.module].functions[target.func];
            let offset = usize::from(
                callee_fn
                    .params
                    .first()
                    .and_then(|p| p.name())
                    .is_some_and(|n| n == "self" || n == "cls"),
            );
            let mut params = Vec::new();
            let mut consts = Vec::new();
            let mut pos = 0;
            for (a, t) in c.args.iter().zip(arg_ts.iter()) {
                let idx = match &a.name {
                    Some(k) => callee_fn
                        .params
                        .iter()
                        .position(|p| p.name() == Some(k.as_str())),
                    None if a.spread => None,
                    None => {
                        let i = pos + offset;
                        pos += 1;
                        Some(i)
                    }
                };
                if let (Some(i), Expr::Str(lit, _)) = (idx, &a.value)
                    && let Some(pname) = callee_fn.params.get(i).and_then(|p| p.name())
                {
                    consts.push((pname.to_string(), lit.clone()));
                }
                if let (Some(i), true) = (idx, self.is_whole_args(&a.value))
                    && let Some(pname) = callee_fn.params.get(i).and_then(|p| p.name())
                {
                    self.root_args.insert(pname.to_string());
                }
                if let (Some(i), Some(t)) = (idx, t.clone()) {
                    let pname = callee_fn
                        .params
                        .get(i)
                        .and_then(|p| p.name().map(str::to_string))
                        .unwrap_or_else(|| "an argument".into());
                    let fname = callee_fn
                        .name
                        .clone()
                        .unwrap_or_else(|| "<anonymous>".into());
                    params.push((
                        i,
                        t.with_step(m, c.span, format!("passed to `{fname}()` as `{pname}`")),
                    ));
                }
            }
            let r = self.call_function(target, params, consts, false);
            let fname = callee_fn
                .name
                .clone()
                .unwrap_or_else(|| "<anonymous>".into());
            return r.map(|t| t.with_step(m, c.span, format!("returned from `{fname}()`")));
        }

        if let Some(what) = result_external {
            return Some(Taint::source(
                label::EXTERNAL,
                what,
                m,
                c.span,
                format!("{what} from `{}`", display_callee(&q, c)),
            ));
        }
        if uses.iter().any(|u| {
            matches!(
                u.effect,
                Effect::Eval | Effect::Deser | Effect::DynImport | Effect::Archive
            )
        }) {
            return Taint::union(recv_t, all_args());
        }
        if !uses.is_empty() {
            return None;
        }
        // Unknown call: the result derives from the receiver and the arguments.
        for (a, _) in c.args.iter().zip(arg_ts.iter()) {
            if self.is_whole_args(&a.value) {
                self.out.args_escape = true;
            }
        }
        let mut result = Taint::union(recv_t, all_args());
        let leaf = q.rsplit('.').next().unwrap_or(&q);
        if matches!(
            leaf,
            "join"
                | "resolve"
                | "Path"
                | "PurePath"
                | "PosixPath"
                | "joinpath"
                | "normalize"
                | "realpath"
        ) && arg_ts.iter().any(Option::is_none)
            && arg_ts.iter().any(Option::is_some)
            && let Some(t) = result.as_mut()
        {
            t.joined = true;
        }
        if matches!(
            leaf,
            "extname"
                | "splitext"
                | "suffix"
                | "suffixes"
                | "split"
                | "rsplit"
                | "slice"
                | "substring"
                | "substr"
                | "charAt"
                | "at"
                | "partition"
                | "rpartition"
                | "splitlines"
                | "match"
                | "search"
                | "findall"
                | "exec"
                | "first"
        ) && let Some(t) = result.as_mut()
        {
            t.partial = true;
        }
        // A credential handed over as a keyword, a spread or an object field
        // (`make(**params)`, `factory({ password })`) configures what is built; unless
        // the call only serialises or formats its input, the result is not the secret.
        let secret_as_config = c.args.iter().zip(arg_ts.iter()).any(|(a, t)| {
            t.as_ref().is_some_and(|t| t.labels & label::SECRET != 0)
                && (a.name.is_some() || a.spread || matches!(a.value, Expr::Object(..)))
        });
        if creates_client(c, &q) || (secret_as_config && !serializes(&q)) || verifies_token(&q) {
            // A client built from a credential (`connect(password=...)`, `new Stripe(key)`)
            // is not the credential: what it returns is data, not the secret.
            return result.and_then(|mut t| {
                t.labels &= !(label::SECRET | label::ENV_ALL);
                (t.labels != 0).then_some(t)
            });
        }
        result
    }

    fn literal_text(&self, fr: &Frame, e: &Expr) -> Option<String> {
        if let Some(s) = e.as_str() {
            return Some(s);
        }
        match e {
            Expr::Template(parts, _) => Some(parts.iter().filter_map(|p| p.as_str()).collect()),
            Expr::Name(n, _) => fr.env.get(n).map(|t| t.lit.clone()),
            _ => None,
        }
    }

    fn data_access(&mut self, fr: &mut Frame, c: &Call, arg_ts: &[Option<Taint>], mutates: bool) {
        let mut origins = Vec::new();
        let mut steps = None;
        for t in arg_ts.iter().flatten() {
            if t.labels & label::ARG != 0 {
                origins.extend(t.origins.iter().cloned());
                steps.get_or_insert_with(|| t.steps.clone());
            }
        }
        if origins.is_empty() {
            return;
        }
        let mut text = String::new();
        for a in &c.args {
            a.value.walk(&mut |x| match x {
                Expr::Str(s, _) => {
                    text.push_str(s);
                    text.push(' ');
                }
                Expr::Object(props, _) => {
                    for p in props {
                        if let Some(k) = &p.key {
                            text.push_str(k);
                            text.push(' ');
                        }
                    }
                }
                _ => {}
            });
            if let Expr::Name(n, _) = &a.value
                && let Some(t) = fr.env.get(n)
            {
                text.push_str(&t.lit);
            }
        }
        self.out.data_access.push(DataAccess {
            module: fr.f.module,
            span: c.span,
            mutates,
            origins,
            text,
            root_site: self.root_site,
            steps: steps.unwrap_or_default(),
        });
    }

    /// Records what a handler run does (for the inventory and the permission rules).
    /// Environment reads are seen through `names_read`, not here.
    fn touch(&mut self, effect: Effect, mutates: bool, destroys: bool) {
        let e = EffectSeen {
            effect,
            mutates,
            destroys,
        };
        if self.out.effects.seen.insert(e)
            || !self
                .out
                .effects
                .sites
                .iter()
                .any(|(x, s)| *x == e && *s == self.root_site)
        {
            self.out.effects.sites.push((e, self.root_site));
        }
    }

    fn origins_of(t: Option<&Taint>) -> Vec<Arc<str>> {
        t.filter(|t| t.labels & (label::ARG | label::EXTERNAL) != 0)
            .map(|t| t.origins.clone())
            .unwrap_or_default()
    }

    /// Adds a guard for the origins of `t`. A check on a piece of the input (its first
    /// word, its extension) proves nothing about the rest, except that a check of a URL's
    /// host does restrict where a request goes.
    fn guard_value(&mut self, fr: &mut Frame, e: &Expr, t: Option<&Taint>, bits: u8) {
        let Some(t) = t else { return };
        // The checked variable itself is constrained from here on (flow-insensitively),
        // even when it is only a piece of an input: `name = parts[0]; validate(name);
        // return name` returns a validated value.
        if let Expr::Name(n, _) = e
            && let Some(v) = fr.env.get_mut(n)
        {
            v.cleared |= bits;
        }
        let bits = if t.partial {
            bits & (clear::SSRF | clear::PROGRAM)
        } else {
            bits
        };
        if bits != 0 {
            let o = Self::origins_of(Some(t));
            self.add_guard(&o, bits);
        }
    }

    fn add_guard(&mut self, origins: &[Arc<str>], bits: u8) {
        if !origins.is_empty() && std::env::var_os("WARDEN_DEBUG_FLOW").is_some() {
            eprintln!(
                "  guard {origins:?} bits={bits} at {}:{}",
                self.p.modules[self.stack.last().map_or(0, |f| f.module)].path,
                self.root_site.start_line
            );
        }
        for o in origins {
            *self.out.guards.cleared.entry(o.clone()).or_insert(0) |= bits;
        }
    }

    /// Guards written as conditions: containment checks, allowlists, comparisons with
    /// literals, address-class checks.
    fn note_guards(&mut self, fr: &mut Frame, cond: &Expr) {
        self.note_guards_exiting(fr, cond, false)
    }

    /// `exits`: the guarded branch leaves the function (`if (...) throw`), which is what
    /// makes a comparison a rejection rather than a dispatch.
    fn note_guards_exiting(&mut self, fr: &mut Frame, cond: &Expr, exits: bool) {
        let m = fr.f.module;
        let mut calls: Vec<&Call> = Vec::new();
        let mut others: Vec<&Expr> = Vec::new();
        let mut negated: Vec<Span> = Vec::new();
        cond.walk(&mut |x| match x {
            Expr::Call(c) => calls.push(c),
            Expr::Binary(..) | Expr::Member(..) => others.push(x),
            Expr::Not(inner, _) => negated.push(inner.span()),
            _ => {}
        });
        // A membership test guards when it is an allowlist: the exiting branch runs for
        // values *not* in the list (`if (!ALLOWED.includes(x)) throw`), or the branch
        // does not exit (the work happens inside it). `if (BLOCKED.includes(x)) throw`
        // is a denylist: everything not listed passes.
        let allowlist_polarity = |member_negated: bool| !exits || member_negated;
        let denylist_name = |e: &Expr| {
            e.path().is_some_and(|p| {
                let l = p.to_ascii_lowercase();
                [
                    "block",
                    "deny",
                    "denied",
                    "forbid",
                    "banned",
                    "dangerous",
                    "blacklist",
                    "disallow",
                    "reject",
                ]
                .iter()
                .any(|k| l.contains(k))
            })
        };
        for c in calls {
            let Expr::Member(recv, method, _) = &c.callee else {
                continue;
            };
            let rt = self.eval(fr, recv);
            let origins = Self::origins_of(rt.as_ref());
            match method.as_str() {
                "startsWith" | "startswith" => {
                    if origins.is_empty() {
                        continue;
                    }
                    let lits: Vec<String> = match c.positional(0) {
                        Some(Expr::List(items, _)) => {
                            items.iter().filter_map(|i| i.as_str()).collect()
                        }
                        Some(e) => e.as_str().into_iter().collect(),
                        None => Vec::new(),
                    };
                    if let Some(arg) = c.positional(0)
                        && lits.is_empty()
                    {
                        let defined = match arg {
                            Expr::Name(n, _) => self.definition(fr.f, n),
                            _ => None,
                        };
                        if has_separator(arg) || defined.is_some_and(has_separator) {
                            self.add_guard(&origins, clear::PATH);
                        } else {
                            for o in &origins {
                                self.out
                                    .guards
                                    .prefix_no_sep
                                    .entry(o.clone())
                                    .or_insert((m, c.span));
                            }
                        }
                        continue;
                    }
                    for l in lits {
                        let up = l.trim().to_ascii_uppercase();
                        if l == "-" || l == "--" {
                            self.add_guard(&origins, clear::ARGINJ);
                        } else if l.starts_with("..") {
                            self.add_guard(&origins, clear::PATH);
                        } else if l.contains("://") {
                            if fixes_host(&l) {
                                self.add_guard(&origins, clear::SSRF);
                            }
                        } else if ["SELECT", "WITH", "SHOW", "EXPLAIN", "DESCRIBE", "PRAGMA"]
                            .iter()
                            .any(|k| up.starts_with(k))
                        {
                            for o in &origins {
                                self.out
                                    .guards
                                    .sql_prefix
                                    .entry(o.clone())
                                    .or_insert((m, c.span));
                            }
                        } else if l.starts_with('/') && l.matches('/').count() >= 2 && l.len() > 2 {
                            // A literal root (`/srv/data/`); `"~/"`, `"/"` and `"./"` only
                            // dispatch on the form of the path.
                            self.add_guard(&origins, clear::PATH);
                        } else if l == "/" || l == "~/" || l == "./" || l == "~" || l == "\\" {
                        } else {
                            for o in &origins {
                                self.out
                                    .guards
                                    .prefix_no_sep
                                    .entry(o.clone())
                                    .or_insert((m, c.span));
                            }
                        }
                    }
                }
                "includes" | "has" | "indexOf" | "contains" | "__contains__" | "hasOwnProperty" => {
                    // `ALLOWED.includes(x)`: an allowlist when the collection is not tainted.
                    if rt.is_none()
                        && allowlist_polarity(negated.contains(&c.span))
                        && !denylist_name(recv)
                        && let Some(a) = c.positional(0)
                    {
                        let at = self.eval(fr, a);
                        self.guard_value(fr, a, at.as_ref(), clear::ALL);
                    }
                }
                "test" | "match" | "fullmatch" => {
                    // `/^[a-z]+$/.test(x)`, `re.fullmatch(p, x)`, `x.match(/^...$/)`.
                    let anchored = |e: &Expr, text: &str| -> bool {
                        let sp = e.span();
                        let t = text
                            .get(sp.start_byte as usize..sp.end_byte as usize)
                            .unwrap_or("");
                        let t = t.trim_matches(|ch| ch == '"' || ch == '\'' || ch == 'r');
                        (t.starts_with("/^") || t.starts_with('^'))
                            && (t.contains("$/") || t.ends_with('$'))
                    };
                    let text: &str = &self.p.sources[m];
                    if method == "fullmatch" && rt.is_none() && recv.path().as_deref() != Some("re")
                    {
                        // `PATTERN.fullmatch(x)` anchors both ends by definition.
                        if let Some(a) = c.positional(0) {
                            let at = self.eval(fr, a);
                            self.guard_value(fr, a, at.as_ref(), clear::ALL);
                        }
                    } else if method == "test" && rt.is_none() && anchored(recv, text) {
                        if let Some(a) = c.positional(0) {
                            let at = self.eval(fr, a);
                            self.guard_value(fr, a, at.as_ref(), clear::ALL);
                        }
                    } else if !origins.is_empty()
                        && c.positional(0).is_some_and(|p| anchored(p, text))
                    {
                        self.guard_value(fr, recv, rt.as_ref(), clear::ALL);
                    } else if recv.path().as_deref() == Some("re")
                        && let (Some(p), Some(a)) = (c.positional(0), c.positional(1))
                        && (method == "fullmatch" || anchored(p, text))
                    {
                        let at = self.eval(fr, a);
                        self.guard_value(fr, a, at.as_ref(), clear::ALL);
                    }
                }
                _ => {}
            }
        }
        for x in others {
            match x {
                Expr::Binary(
                    op @ (BinOp::In | BinOp::NotIn | BinOp::Eq | BinOp::NotEq),
                    l,
                    r,
                    _,
                ) => {
                    let lt = self.eval(fr, l);
                    let rt = self.eval(fr, r);
                    let allowlist = match op {
                        BinOp::In | BinOp::NotIn => {
                            lt.is_some()
                                && rt.is_none()
                                && !matches!(r.as_ref(), Expr::Str(..))
                                && allowlist_polarity(
                                    *op == BinOp::NotIn || negated.contains(&x.span()),
                                )
                                && !denylist_name(r)
                        }
                        // `if (x !== "ls") throw ...` rejects everything else; `x === "~"`
                        // only picks a branch.
                        BinOp::NotEq => {
                            exits
                                && ((lt.is_some() && matches!(r.as_ref(), Expr::Str(..)))
                                    || (rt.is_some() && matches!(l.as_ref(), Expr::Str(..))))
                        }
                        _ => false,
                    };
                    if allowlist {
                        let (e, t) = if lt.is_some() {
                            (l.as_ref(), lt.as_ref())
                        } else {
                            (r.as_ref(), rt.as_ref())
                        };
                        self.guard_value(fr, e, t, clear::ALL);
                    }
                }
                Expr::Member(o, p, _)
                    if matches!(
                        p.as_str(),
                        "is_private"
                            | "is_loopback"
                            | "is_link_local"
                            | "is_reserved"
                            | "is_global"
                            | "is_multicast"
                            | "is_unspecified"
                    ) =>
                {
                    let t = self.eval(fr, o);
                    let origins = Self::origins_of(t.as_ref());
                    self.add_guard(&origins, clear::SSRF);
                }
                _ => {}
            }
        }
    }

    /// Guards written as calls anywhere: `p.relative_to(root)` raises outside the root,
    /// `validate_url(u)` and friends raise or return false on bad input.
    fn note_call_guard(
        &mut self,
        fr: &mut Frame,
        c: &Call,
        q: &str,
        recv_t: Option<&Taint>,
        arg_ts: &[Option<Taint>],
    ) {
        let name = q.rsplit('.').next().unwrap_or(q);
        let tainted_args: Vec<Arc<str>> = arg_ts
            .iter()
            .flat_map(|t| Self::origins_of(t.as_ref()))
            .collect();
        if matches!(name, "relative_to" | "is_relative_to") {
            let o = Self::origins_of(recv_t);
            self.add_guard(&o, clear::PATH);
            return;
        }
        if q == "os.path.commonpath" {
            self.add_guard(&tainted_args, clear::PATH);
            return;
        }
        if q == "os.path.commonprefix" {
            for o in &tainted_args {
                self.out
                    .guards
                    .prefix_no_sep
                    .entry(o.clone())
                    .or_insert((fr.f.module, c.span));
            }
            return;
        }
        // A validator we can read is judged by its body (its guards are recorded when it
        // is analysed); only library validators are trusted by name.
        let local = self.p.resolve_call(fr.f.module, None, &c.callee).is_some();
        if !local && is_validator_name(name) && !tainted_args.is_empty() {
            let bits = validator_bits(name);
            self.add_guard(&tainted_args, bits);
        }
        // zod: `z.string().regex(/^...$/)` in a schema is handled by discovery; a
        // `.parse(x)` of a strict schema is not assumed to sanitise.
    }
}

/// Calls that turn their input into text or plain data, keeping what is in it.
fn serializes(q: &str) -> bool {
    let leaf = q.rsplit('.').next().unwrap_or(q);
    matches!(
        leaf,
        "dumps"
            | "dump"
            | "stringify"
            | "str"
            | "repr"
            | "String"
            | "format"
            | "dict"
            | "list"
            | "toString"
            | "encode"
            | "b64encode"
            | "urlencode"
            | "jsonify"
            | "JSONResponse"
            | "TextContent"
            | "print"
            | "join"
            | "f"
    )
}

/// Calls that construct a client, connection or session object.
fn creates_client(c: &Call, q: &str) -> bool {
    let name = q.rsplit('.').next().unwrap_or(q).trim_start_matches('?');
    let l = name.to_ascii_lowercase();
    // Constructors of data (errors, messages, strings) carry their contents.
    let data = [
        "content",
        "error",
        "exception",
        "result",
        "response",
        "message",
        "string",
        "object",
        "array",
        "map",
        "set",
        "buffer",
        "url",
        "path",
        "date",
        "json",
        "text",
        "dict",
        "list",
        "tuple",
        "record",
        "event",
        "blob",
        "headers",
        "request",
    ]
    .iter()
    .any(|k| l.ends_with(k))
        || l.len() <= 3;
    let constructor = c.is_new
        || name
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_uppercase());
    (constructor && !data)
        || [
            "connect",
            "client",
            "session",
            "cursor",
            "pool",
            "engine",
            "login",
            "authenticate",
            "driver",
        ]
        .iter()
        .any(|k| l.contains(k))
}

fn assign_note(t: &Target) -> String {
    match t {
        Target::Name(n, _) | Target::Path(n, _) => format!("assigned to `{n}`"),
        Target::Destructure(..) => "destructured".into(),
        Target::Other(_) => "assigned".into(),
    }
}

fn display_callee(q: &str, c: &Call) -> String {
    if q.is_empty() {
        c.callee.path().unwrap_or_else(|| "call".into())
    } else {
        q.to_string()
    }
}

/// Whether a literal prefix pins the destination: `https://host/...` or a path `/...`.
pub fn fixes_host(prefix: &str) -> bool {
    if let Some(rest) = prefix.split_once("://").map(|(_, r)| r) {
        return rest.contains('/') && !rest.starts_with('/');
    }
    prefix.starts_with('/') && !prefix.starts_with("//")
}

/// Whether a prefix expression ends with a path separator: `root + path.sep`,
/// `` `${root}/` ``, `os.path.join(root, "")`, `root + os.sep`.
fn has_separator(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| match x {
        Expr::Member(_, p, _) if p == "sep" => found = true,
        Expr::Str(s, _) if s.ends_with('/') || s.ends_with('\\') => found = true,
        _ => {}
    });
    found
}

fn is_pure_predicate(name: &str) -> bool {
    let n = name.rsplit('.').next().unwrap_or(name);
    matches!(
        n,
        "includes"
            | "startsWith"
            | "endsWith"
            | "startswith"
            | "endswith"
            | "test"
            | "has"
            | "isFile"
            | "isDirectory"
            | "exists"
            | "existsSync"
            | "isfile"
            | "isdir"
            | "is_file"
            | "is_dir"
            | "isinstance"
            | "hasattr"
            | "callable"
            | "isArray"
            | "isInteger"
            | "indexOf"
            | "size"
            | "count"
            | "isdigit"
            | "isalnum"
            | "isalpha"
            | "is_absolute"
            | "isabs"
            | "isAbsolute"
            | "typeof"
    )
}

fn is_validator_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase().replace('_', "");
    l.starts_with("validate")
        || l.starts_with("isallowed")
        || l.starts_with("isvalid")
        || l.starts_with("issafe")
        || l.starts_with("assertsafe")
        || l.starts_with("ensuresafe")
        || l.starts_with("ensurewithin")
        || l.starts_with("assertwithin")
        || l.starts_with("checkpath")
        || l.starts_with("checkurl")
        || l.starts_with("checkhost")
        || l.starts_with("checkallowed")
        || l.starts_with("isprivate")
        || l.starts_with("isinternal")
        || l.starts_with("isloopback")
        || l.starts_with("ispublic")
        || l.starts_with("sanitize")
        || l.starts_with("safejoin")
        || l.starts_with("resolvesafe")
        || l.starts_with("resolvewithin")
        || l.ends_with("allowlisted")
        || l.ends_with("whitelisted")
}

fn validator_bits(name: &str) -> u8 {
    let l = name.to_ascii_lowercase();
    if l.contains("path")
        || l.contains("file")
        || l.contains("dir")
        || l.contains("within")
        || l.contains("join")
    {
        clear::PATH
    } else if l.contains("url")
        || l.contains("host")
        || l.contains("private")
        || l.contains("internal")
        || l.contains("loopback")
        || l.contains("public")
    {
        clear::SSRF
    } else if l.contains("sql") || l.contains("query") {
        clear::SQL
    } else if l.contains("command") || l.contains("cmd") || l.contains("arg") {
        clear::SHELL | clear::ARGINJ
    } else {
        clear::ALL
    }
}

/// Whether a name looks like a credential: `GITHUB_TOKEN`, `apiKey`, `db_password`.
pub fn is_secret_name(name: &str) -> bool {
    let l: String = name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if l.contains("tokens")
        || l.starts_with("max")
        || l.starts_with("next")
        || l.contains("page")
        || l.contains("cursor")
        || l.contains("csrf")
        || l.contains("count")
        || l.contains("limit")
        || l.contains("tokenizer")
        || l.contains("path")
        || l.contains("file")
        || l.contains("url") && !l.contains("password")
        || l.ends_with("name")
        || l.ends_with("id")
        || l.ends_with("type")
    {
        return false;
    }
    l.contains("password")
        || l.contains("passwd")
        || l.contains("secret")
        || l.contains("apikey")
        || l.contains("accesskey")
        || l.contains("privatekey")
        || l.ends_with("token")
        || l.contains("credential")
        || l.ends_with("pat")
        || l == "auth"
        || l.ends_with("authorization")
}

/// Names that are credentials wherever they appear: `api_key`, `access_token`,
/// `password`, `client_secret` (not a bare `token`, which is often a page cursor).
pub fn is_strong_secret_name(name: &str) -> bool {
    let l: String = name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    is_secret_name(name)
        && [
            "apikey",
            "accesstoken",
            "refreshtoken",
            "password",
            "passwd",
            "clientsecret",
            "privatekey",
            "secretkey",
            "authtoken",
            "bearertoken",
            "sessiontoken",
            "idtoken",
        ]
        .iter()
        .any(|k| l.contains(k))
}

/// Whether an expression names a configuration or credentials object (`config`,
/// `settings`, `creds`, `self.config`), so that `config.api_key` is a credential.
fn is_config_like(e: &Expr) -> bool {
    let Some(p) = e.path() else { return false };
    let l = p.to_ascii_lowercase();
    let leaf = l.rsplit('.').next().unwrap_or(&l).trim_end_matches("()");
    [
        "config",
        "conf",
        "cfg",
        "settings",
        "creds",
        "credentials",
        "secrets",
        "options",
        "opts",
        "env",
        "auth",
        "tokens",
        "keys",
    ]
    .iter()
    .any(|k| leaf == *k || leaf.ends_with(&format!("_{k}")) || leaf.ends_with(k))
}

fn sql_mutates(s: &str) -> bool {
    let up = s.to_ascii_uppercase();
    [
        "INSERT ",
        "UPDATE ",
        "DELETE ",
        "DROP ",
        "TRUNCATE ",
        "ALTER ",
        "CREATE ",
        "REPLACE ",
        "MERGE ",
    ]
    .iter()
    .any(|k| {
        up.trim_start().starts_with(k)
            || up.contains(&format!(" {k}"))
            || up.contains(&format!(";{k}"))
    })
}

fn sql_destroys(s: &str) -> bool {
    let up = s.to_ascii_uppercase();
    ["DELETE ", "DROP ", "TRUNCATE "]
        .iter()
        .any(|k| up.trim_start().starts_with(k) || up.contains(&format!(" {k}")))
}

/// Whether literal text looks like SQL.
pub fn looks_like_sql(s: &str) -> bool {
    let up = s.to_ascii_uppercase();
    let kw = [
        "SELECT ",
        "INSERT ",
        "UPDATE ",
        "DELETE ",
        "FROM ",
        "WHERE ",
        "DROP ",
        "CREATE ",
        "ALTER ",
        "TABLE ",
        "SHOW ",
        "DESCRIBE ",
        "PRAGMA ",
        "VALUES",
        "ORDER BY",
        "LIMIT ",
        "JOIN ",
        "MATCH ",
        "RETURN ",
    ];
    kw.iter().any(|k| up.contains(k))
}

/// Whether a receiver chain starts at a hash constructor (`crypto.createHash(..)`,
/// `createHmac`, `hashlib.sha256(..)`, `hmac.new(..)`), through `.update(..)` calls.
fn is_hash_chain(mut e: &Expr) -> bool {
    for _ in 0..8 {
        match e {
            Expr::Call(c) => {
                if c.callee.path().is_some_and(|p| {
                    let l = p.rsplit('.').next().unwrap_or(&p).to_ascii_lowercase();
                    l.contains("hash")
                        || l.contains("hmac")
                        || l.starts_with("sha")
                        || l.starts_with("blake")
                        || l == "md5"
                        || p.starts_with("hmac.")
                }) {
                    return true;
                }
                e = &c.callee;
            }
            Expr::Member(o, _, _) => e = o,
            _ => return false,
        }
    }
    false
}

/// A token checked with a key (`jwt.decode(token, key)`, `jwt.verify(token, secret)`,
/// `jose.jwtVerify`): the result is the token's claims, not the key. (`jwt.encode`
/// and `sign` are left out: the token they mint is a credential itself.)
fn verifies_token(q: &str) -> bool {
    let l = q.to_ascii_lowercase();
    let last = l.rsplit('.').next().unwrap_or(&l);
    (l.contains("jwt") || l.contains("jose"))
        && matches!(last, "decode" | "verify" | "decode_complete" | "jwtverify")
}

/// Whether `if name == "find"` holds, when the caller passed `name` a literal: the
/// dispatch then runs one branch, so each tool's run reaches only its own code.
fn const_dispatch(fr: &Frame, cond: &Expr) -> Option<bool> {
    let Expr::Binary(op @ (BinOp::Eq | BinOp::NotEq), l, r, _) = cond else {
        return None;
    };
    let (name, lit) = match (l.as_ref(), r.as_ref()) {
        (Expr::Name(n, _), Expr::Str(v, _)) | (Expr::Str(v, _), Expr::Name(n, _)) => (n, v),
        _ => return None,
    };
    let equal = fr.consts.get(name)? == lit;
    Some(if *op == BinOp::Eq { equal } else { !equal })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "GITHUB_TOKEN",
            "apiKey",
            "db_password",
            "STRIPE_SECRET_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "client_secret",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "PORT",
            "max_tokens",
            "TOKEN_PATH",
            "username",
            "BASE_URL",
            "token_type",
            "KEY_ID",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn host_prefix() {
        assert!(fixes_host("https://api.github.com/repos/"));
        assert!(!fixes_host("https://"));
        assert!(!fixes_host("https://api.example.com"));
        assert!(fixes_host("/api/v1/"));
        assert!(!fixes_host("//evil"));
    }
}
