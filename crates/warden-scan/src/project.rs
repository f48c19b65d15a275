//! The parsed repository: modules, and how names in one resolve to functions in
//! another or to well-known library paths.

use crate::ir::{Expr, FuncId, Module, Stmt, Target};
use std::collections::HashMap;

/// A function anywhere in the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnRef {
    /// Index into [`Project::modules`].
    pub module: usize,
    /// Index into that module's functions.
    pub func: FuncId,
}

/// All parsed modules with lookup tables.
pub struct Project {
    /// Parsed modules, in path order.
    pub modules: Vec<Module>,
    /// Source text of each module, same order.
    pub sources: Vec<String>,
    by_path: HashMap<String, usize>,
    /// Every `/`-boundary suffix of every module path (`pkg/mod.py` for
    /// `src/pkg/mod.py`), for absolute Python imports; the first module wins.
    by_suffix: HashMap<String, usize>,
    /// (module, function name) → functions with that name.
    by_name: HashMap<(usize, String), Vec<FuncId>>,
    /// Per module and function: local alias → qualified library path (`execAsync` →
    /// `child_process.exec`). Function 0 holds the module-level aliases.
    aliases: Vec<HashMap<(FuncId, String), String>>,
    /// Method name → every method with that name in the project.
    methods: HashMap<String, Vec<FnRef>>,
    /// TypeScript path aliases (`~/` → `src/`), from tsconfig.json or the usual defaults.
    ts_paths: Vec<(String, String)>,
}

impl Project {
    /// Builds the lookup tables.
    pub fn new(mut pairs: Vec<(Module, String)>) -> Project {
        pairs.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        let (modules, sources): (Vec<Module>, Vec<String>) = pairs.into_iter().unzip();
        let by_path = modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.path.clone(), i))
            .collect();
        let mut by_suffix = HashMap::new();
        let mut by_name: HashMap<(usize, String), Vec<FuncId>> = HashMap::new();
        for (i, m) in modules.iter().enumerate() {
            let mut rest = m.path.as_str();
            while let Some((_, tail)) = rest.split_once('/') {
                by_suffix.entry(tail.to_string()).or_insert(i);
                rest = tail;
            }
            for (fi, f) in m.functions.iter().enumerate() {
                if let Some(n) = &f.name {
                    by_name.entry((i, n.clone())).or_default().push(fi);
                }
            }
        }
        let mut methods: HashMap<String, Vec<FnRef>> = HashMap::new();
        for (mi, m) in modules.iter().enumerate() {
            for (fi, f) in m.functions.iter().enumerate() {
                if let (Some(name), Some(_)) = (&f.name, &f.class) {
                    methods.entry(name.clone()).or_default().push(FnRef {
                        module: mi,
                        func: fi,
                    });
                }
            }
        }
        let mut p = Project {
            modules,
            sources,
            by_path,
            by_suffix,
            by_name,
            aliases: Vec::new(),
            methods,
            ts_paths: vec![("~/".into(), "src/".into()), ("@/".into(), "src/".into())],
        };
        p.aliases = (0..p.modules.len()).map(|i| p.collect_aliases(i)).collect();
        p
    }

    /// Reads `compilerOptions.paths` (and `baseUrl`) from a tsconfig.json text, so that
    /// `import x from "~/utils/a.js"` resolves. Comments and trailing commas are allowed.
    pub fn set_tsconfig(&mut self, text: &str) {
        let mut clean = String::with_capacity(text.len());
        let mut in_str = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    in_str = !in_str;
                    clean.push(c);
                }
                '\\' if in_str => {
                    clean.push(c);
                    if let Some(n) = chars.next() {
                        clean.push(n);
                    }
                }
                '/' if !in_str && chars.peek() == Some(&'/') => {
                    for n in chars.by_ref() {
                        if n == '\n' {
                            break;
                        }
                    }
                }
                '/' if !in_str && chars.peek() == Some(&'*') => {
                    chars.next();
                    let mut prev = ' ';
                    for n in chars.by_ref() {
                        if prev == '*' && n == '/' {
                            break;
                        }
                        prev = n;
                    }
                }
                _ => clean.push(c),
            }
        }
        let clean = clean.replace(",}", "}").replace(",]", "]");
        let clean: String = {
            // Trailing commas before a closing bracket, with whitespace in between.
            let re = regex::Regex::new(r",(\s*[}\]])").ok();
            match re {
                Some(re) => re.replace_all(&clean, "$1").into_owned(),
                None => clean,
            }
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&clean) else {
            return;
        };
        let opts = &v["compilerOptions"];
        let base = opts["baseUrl"]
            .as_str()
            .unwrap_or(".")
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        if let Some(paths) = opts["paths"].as_object() {
            for (k, targets) in paths {
                let Some(t) = targets
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(|t| t.as_str())
                else {
                    continue;
                };
                let prefix = k.trim_end_matches('*').to_string();
                let target = t.trim_end_matches('*').trim_start_matches("./");
                let target = if base.is_empty() || base == "." {
                    target.to_string()
                } else {
                    format!("{base}/{target}")
                };
                self.ts_paths.insert(0, (prefix, target));
            }
        }
    }

    /// The module that really defines `name` when module `m` re-exports it
    /// (`export * from "./a"`, `export { name } from "./a"`); `m` itself otherwise.
    pub fn defining_module(&self, m: usize, name: &str) -> usize {
        let mut cur = m;
        for _ in 0..6 {
            let module = &self.modules[cur];
            if self.defines(cur, name) {
                return cur;
            }
            let next = module
                .imports
                .iter()
                .find(|i| i.local == name && i.member.is_some())
                .and_then(|i| self.resolve_module(cur, &i.module))
                .or_else(|| {
                    module
                        .imports
                        .iter()
                        .filter(|i| i.local == "*")
                        .filter_map(|i| self.resolve_module(cur, &i.module))
                        .find(|t| {
                            self.defines(*t, name)
                                || self.modules[*t]
                                    .imports
                                    .iter()
                                    .any(|i| i.local == name || i.local == "*")
                        })
                });
            match next {
                Some(n) if n != cur => cur = n,
                _ => return cur,
            }
        }
        cur
    }

    /// Whether module `m` assigns or declares `name` at its top level.
    fn defines(&self, m: usize, name: &str) -> bool {
        let module = &self.modules[m];
        module.functions[Module::TOP].body.iter().any(|s| {
            matches!(s, Stmt::Assign { target: Target::Name(n, _), .. } if n == name)
                || matches!(s, Stmt::FuncDecl(f) if module.functions[*f].name.as_deref() == Some(name))
        })
    }

    /// The value assigned at module level to `name` in module `m`, following imports of
    /// local modules: `(module, expression)`.
    pub fn const_value(&self, m: usize, name: &str) -> Option<(usize, &Expr)> {
        self.const_value_d(m, name, 0)
    }

    fn const_value_d(&self, m: usize, name: &str, depth: u32) -> Option<(usize, &Expr)> {
        if depth > 4 {
            return None;
        }
        for s in &self.modules[m].functions[Module::TOP].body {
            if let Stmt::Assign {
                target: Target::Name(n, _),
                value,
                ..
            } = s
                && n == name
            {
                return Some((m, value));
            }
        }
        let imp = self.modules[m].imports.iter().find(|i| i.local == name)?;
        let member = imp.member.as_deref()?;
        let t = self.resolve_module(m, &imp.module)?;
        let t = self.defining_module(t, member);
        self.const_value_d(t, member, depth + 1)
    }

    /// Resolves a module specifier written in `from` to a module of the project.
    pub fn resolve_module(&self, from: usize, spec: &str) -> Option<usize> {
        let m = &self.modules[from];
        let dir = m.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        if m.lang.is_js_family() {
            let joined = if spec.starts_with('.') {
                normalize(&format!("{dir}/{spec}"))
            } else {
                let (prefix, target) = self
                    .ts_paths
                    .iter()
                    .find(|(p, _)| spec.starts_with(p.as_str()))?;
                normalize(&format!("{target}{}", &spec[prefix.len()..]))
            };
            let stem = joined
                .strip_suffix(".js")
                .or_else(|| joined.strip_suffix(".mjs"))
                .or_else(|| joined.strip_suffix(".cjs"))
                .unwrap_or(&joined);
            for cand in [
                joined.clone(),
                format!("{stem}.ts"),
                format!("{stem}.tsx"),
                format!("{stem}.js"),
                format!("{stem}.mjs"),
                format!("{stem}/index.ts"),
                format!("{stem}/index.js"),
            ] {
                if let Some(i) = self.by_path.get(&cand) {
                    return Some(*i);
                }
            }
            None
        } else {
            // Python: `.helpers`, `..pkg.mod`, or an absolute dotted name inside the repo.
            let dots = spec.chars().take_while(|c| *c == '.').count();
            let rest = spec[dots..].replace('.', "/");
            let candidates: Vec<String> = if dots > 0 {
                let mut base: Vec<&str> = if dir.is_empty() {
                    Vec::new()
                } else {
                    dir.split('/').collect()
                };
                for _ in 1..dots {
                    base.pop();
                }
                let base = base.join("/");
                let p = match (base.is_empty(), rest.is_empty()) {
                    (true, _) => rest.clone(),
                    (false, true) => base,
                    (false, false) => format!("{base}/{rest}"),
                };
                vec![format!("{p}.py"), format!("{p}/__init__.py")]
            } else {
                vec![format!("{rest}.py"), format!("{rest}/__init__.py")]
            };
            for c in &candidates {
                if let Some(i) = self.by_path.get(c.trim_start_matches('/')) {
                    return Some(*i);
                }
            }
            if dots == 0 {
                // Absolute imports resolve against any source root (`src/`, the repo root, ...).
                return candidates
                    .iter()
                    .find_map(|c| self.by_suffix.get(c).copied());
            }
            None
        }
    }

    /// The top-level (module-scope) function named `name` in module `m`.
    pub fn top_function(&self, m: usize, name: &str) -> Option<FnRef> {
        let module = &self.modules[m];
        self.named(m, name)
            .iter()
            .copied()
            .find(|&f| module.functions[f].class.is_none())
            .map(|func| FnRef { module: m, func })
    }

    /// Functions of module `m` named `name` (methods included).
    pub fn named(&self, m: usize, name: &str) -> &[FuncId] {
        self.by_name
            .get(&(m, name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Resolves a callee expression in module `m` (inside a function of class
    /// `class`) to a function defined in the project.
    pub fn resolve_call(&self, m: usize, class: Option<&str>, callee: &Expr) -> Option<FnRef> {
        match callee {
            Expr::Name(n, _) => {
                if let Some(f) = self.top_function(m, n) {
                    return Some(f);
                }
                let imp = self.modules[m].imports.iter().find(|i| &i.local == n)?;
                let member = imp.member.as_deref().unwrap_or("default");
                let target = self.resolve_module(m, &imp.module)?;
                let target = self.defining_module(target, member);
                self.top_function(target, member).or_else(|| {
                    // `export default handler;`, `export default async (args) => ...`
                    // (lowered as an assignment to `default`), `export const h = h2`.
                    match self.const_value(target, member)? {
                        (t, Expr::Func(func, _)) => Some(FnRef {
                            module: t,
                            func: *func,
                        }),
                        (t, Expr::Name(name, _)) => self.top_function(t, name),
                        _ => None,
                    }
                })
            }
            Expr::Member(obj, method, _) => {
                if let Expr::Name(o, _) = obj.as_ref() {
                    if o == "this" || o == "self" || o == "cls" {
                        let module = &self.modules[m];
                        if let Some(&f) = self.named(m, method).iter().find(|&&f| {
                            module.functions[f].class.as_deref() == class && class.is_some()
                        }) {
                            return Some(FnRef { module: m, func: f });
                        }
                        // A function nested in a method (tools registered inside
                        // `def register(self, mcp)`) sees the method's `self` but has no
                        // class of its own: take the one method of that name here.
                        if class.is_none() {
                            let mut methods = self
                                .named(m, method)
                                .iter()
                                .filter(|&&f| module.functions[f].class.is_some());
                            if let (Some(&f), None) = (methods.next(), methods.next()) {
                                return Some(FnRef { module: m, func: f });
                            }
                        }
                    }
                    // `lib.helper(...)` where `lib` is a local module (also `from . import lib`),
                    // or `Class.method` for an imported class.
                    if let Some(imp) = self.modules[m].imports.iter().find(|i| &i.local == o) {
                        if let Some(member) = &imp.member {
                            let sub = if imp.module.ends_with('.') {
                                format!("{}{member}", imp.module)
                            } else {
                                format!("{}.{member}", imp.module)
                            };
                            if self.modules[m].lang == crate::lang::Lang::Python
                                && let Some(t2) = self.resolve_module(m, &sub)
                                && let Some(f) = self.top_function(t2, method)
                            {
                                return Some(f);
                            }
                        }
                        if let Some(target) = self.resolve_module(m, &imp.module) {
                            let target = match &imp.member {
                                Some(member) => self.defining_module(target, member),
                                None => target,
                            };
                            match &imp.member {
                                // `import * as handlers from "./handlers/index.js"`: the barrel
                                // may only re-export the function.
                                None => {
                                    return self.top_function(
                                        self.defining_module(target, method),
                                        method,
                                    );
                                }
                                Some(class_name) => {
                                    let tm = &self.modules[target];
                                    if let Some(&f) =
                                        self.named(target, method).iter().find(|&&f| {
                                            tm.functions[f].class.as_deref() == Some(class_name)
                                        })
                                    {
                                        return Some(FnRef {
                                            module: target,
                                            func: f,
                                        });
                                    }
                                }
                            }
                        }
                    }
                    // `toolObject.handler(...)` where the object is a constant whose property
                    // is a function (`export const tool = { handler: getData }`).
                    if let Some((cm, Expr::Object(props, _))) = self.const_value(m, o)
                        && let Some(p) = props
                            .iter()
                            .find(|p| p.key.as_deref() == Some(method.as_str()))
                    {
                        match &p.value {
                            Expr::Func(id, _) => {
                                return Some(FnRef {
                                    module: cm,
                                    func: *id,
                                });
                            }
                            Expr::Name(n, _) => {
                                if let Some(f) = self.top_function(cm, n) {
                                    return Some(f);
                                }
                                if let Some(f) = self.resolve_call(cm, None, &p.value) {
                                    return Some(f);
                                }
                            }
                            _ => {}
                        }
                    }
                    // `terminal.run(...)` where `terminal` is a module-level `new Terminal()`,
                    // here or in an imported module.
                    if let Some((cm, Expr::Call(ctor))) = self.const_value(m, o)
                        && ctor.is_new
                        && let Some(class) = ctor.callee.path()
                    {
                        let class = class.rsplit('.').next().unwrap_or(&class).to_string();
                        let home = match self.modules[cm].imports.iter().find(|i| i.local == class)
                        {
                            Some(imp) => self.resolve_module(cm, &imp.module).map(|t| {
                                self.defining_module(t, imp.member.as_deref().unwrap_or(&class))
                            }),
                            None => Some(cm),
                        };
                        if let Some(hm) = home
                            && let Some(&f) = self.named(hm, method).iter().find(|&&f| {
                                self.modules[hm].functions[f].class.as_deref()
                                    == Some(class.as_str())
                            })
                        {
                            return Some(FnRef {
                                module: hm,
                                func: f,
                            });
                        }
                    }
                    // `Class.method(...)` for a class in the same module.
                    let module = &self.modules[m];
                    if let Some(&f) = self
                        .named(m, method)
                        .iter()
                        .find(|&&f| module.functions[f].class.as_deref() == Some(o.as_str()))
                    {
                        return Some(FnRef { module: m, func: f });
                    }
                }
                // An instance method called on some object: resolve only when the name is
                // unique among the project's methods, so a guess never picks between two.
                if self
                    .qualify(m, callee)
                    .is_some_and(|q| q.contains('.') && is_library_path(&q))
                {
                    return None;
                }
                match self.methods.get(method.as_str()).map(Vec::as_slice) {
                    Some([only]) if !is_common_method(method) => Some(*only),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The qualified library path of an expression in module `m`: imports and
    /// aliases are expanded, so `cp.exec` becomes `child_process.exec`, and
    /// `requests.Session().get` becomes `requests.Session.get`.
    pub fn qualify(&self, m: usize, e: &Expr) -> Option<String> {
        self.qualify_in(m, Module::TOP, e)
    }

    /// [`Project::qualify`] inside function `f`, whose local aliases come first.
    pub fn qualify_in(&self, m: usize, f: FuncId, e: &Expr) -> Option<String> {
        match e {
            Expr::Name(n, _) => {
                if let Some(aliases) = self.aliases.get(m) {
                    let key = (f, n.clone());
                    if let Some(a) = aliases
                        .get(&key)
                        .or_else(|| aliases.get(&(Module::TOP, n.clone())))
                    {
                        return Some(a.clone());
                    }
                }
                if let Some(a) = self.imported_alias(m, n, None) {
                    return Some(a);
                }
                Some(self.qualify_import(m, n).unwrap_or_else(|| n.clone()))
            }
            Expr::Member(o, p, _) => {
                // `lib.execAsync(...)` through `import * as lib from "./lib.js"`.
                if let Expr::Name(n, _) = o.as_ref()
                    && let Some(a) = self.imported_alias(m, n, Some(p))
                {
                    return Some(a);
                }
                Some(format!("{}.{p}", self.qualify_in(m, f, o)?))
            }
            Expr::Call(c) => self.qualify_in(m, f, &c.callee),
            _ => None,
        }
    }

    /// A module-level alias of another project module, reached through an import:
    /// `import { execAsync } from "./exec.js"` where that module has
    /// `export const execAsync = promisify(exec)`. `member` is the property read on a
    /// namespace import; without it, the imported binding itself.
    fn imported_alias(&self, m: usize, local: &str, member: Option<&str>) -> Option<String> {
        let imp = self.modules[m].imports.iter().find(|i| i.local == local)?;
        let name = match (&imp.member, member) {
            (Some(mem), None) => mem.as_str(),
            (None, Some(prop)) => prop,
            (None, None) => "default",
            (Some(_), Some(_)) => return None,
        };
        let target = self.resolve_module(m, &imp.module)?;
        let target = self.defining_module(target, name);
        self.aliases
            .get(target)?
            .get(&(Module::TOP, name.to_string()))
            .cloned()
    }

    /// Aliases from assignments anywhere in the module: `x = promisify(exec)`,
    /// `client = httpx.AsyncClient()`, `run = subprocess.run`.
    fn collect_aliases(&self, m: usize) -> HashMap<(FuncId, String), String> {
        let mut out = HashMap::new();
        let module = &self.modules[m];
        for (fi, f) in module.functions.iter().enumerate() {
            for s in &f.body {
                s.walk(&mut |s| {
                    let Stmt::Assign {
                        target: Target::Name(name, _),
                        value,
                        ..
                    } = s
                    else {
                        return;
                    };
                    let aliased = match value {
                        Expr::Call(c) => {
                            let callee = self.qualify_no_alias(m, &c.callee);
                            match callee.as_deref() {
                                Some("util.promisify" | "promisify") => {
                                    c.positional(0).and_then(|a| self.qualify_no_alias(m, a))
                                }
                                // Only objects that are clients (`httpx.AsyncClient()`,
                                // `sqlite3.connect()`), not results (`axios.get(...)`).
                                Some(q)
                                    if is_library_path(q) && q.contains('.') && is_factory(q) =>
                                {
                                    Some(q.to_string())
                                }
                                _ => None,
                            }
                        }
                        Expr::Member(..) => self
                            .qualify_no_alias(m, value)
                            .filter(|q| is_library_path(q)),
                        _ => None,
                    };
                    if let Some(a) = aliased {
                        out.entry((fi, name.clone())).or_insert(a);
                    }
                });
            }
        }
        out
    }

    /// The qualified path from imports alone (used while the aliases are being built).
    fn qualify_no_alias(&self, m: usize, e: &Expr) -> Option<String> {
        match e {
            Expr::Name(n, _) => Some(self.qualify_import(m, n).unwrap_or_else(|| n.clone())),
            Expr::Member(o, p, _) => Some(format!("{}.{p}", self.qualify_no_alias(m, o)?)),
            Expr::Call(c) => self.qualify_no_alias(m, &c.callee),
            _ => None,
        }
    }

    /// `module.member` for a name bound by an import.
    fn qualify_import(&self, m: usize, n: &str) -> Option<String> {
        let imp = self.modules[m].imports.iter().find(|i| i.local == n)?;
        let module = normalize_module(&imp.module);
        Some(match &imp.member {
            Some(mem) => format!("{module}.{mem}"),
            None => module,
        })
    }
}

/// Whether a qualified path starts with a library we model, so an alias to it is
/// worth keeping.
pub fn is_library_path(q: &str) -> bool {
    const ROOTS: &[&str] = &[
        "child_process",
        "fs",
        "path",
        "vm",
        "http",
        "https",
        "axios",
        "got",
        "undici",
        "node-fetch",
        "execa",
        "subprocess",
        "os",
        "asyncio",
        "requests",
        "httpx",
        "aiohttp",
        "urllib",
        "pickle",
        "yaml",
        "js-yaml",
        "marshal",
        "shutil",
        "tarfile",
        "zipfile",
        "pathlib",
        "sqlite3",
        "psycopg2",
        "psycopg",
        "pymysql",
        "mysql",
        "pg",
        "better-sqlite3",
        "sqlalchemy",
        "importlib",
        "dill",
        "jsonpickle",
        "shelljs",
        "node-serialize",
        "adm-zip",
        "tar",
        "io",
        "logging",
        "sympy",
        "numexpr",
        "mysql2",
        "sqlite",
        "aiosqlite",
        "asyncpg",
        "cryo",
        "superagent",
        "needle",
        "ky",
        "playwright",
        "puppeteer",
    ];
    let root = q.split('.').next().unwrap_or(q);
    ROOTS.contains(&root)
}

/// Whether a library call returns a client-like object whose methods we model.
fn is_factory(q: &str) -> bool {
    let last = q.rsplit('.').next().unwrap_or(q);
    last.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        || matches!(
            last,
            "connect"
                | "create_connection"
                | "createConnection"
                | "createPool"
                | "cursor"
                | "getLogger"
                | "open"
                | "Session"
                | "client"
                | "create_client"
                | "create"
                | "promisify"
                | "session"
                | "create_engine"
        )
}

/// Methods too common for a unique-name guess to be meaningful.
fn is_common_method(name: &str) -> bool {
    matches!(
        name,
        "get"
            | "set"
            | "run"
            | "call"
            | "execute"
            | "query"
            | "send"
            | "read"
            | "write"
            | "list"
            | "open"
            | "close"
            | "init"
            | "start"
            | "stop"
            | "handle"
            | "process"
            | "main"
            | "toString"
            | "then"
            | "catch"
            | "map"
            | "filter"
            | "push"
            | "update"
            | "delete"
            | "create"
            | "connect"
            | "fetch"
            | "load"
            | "save"
            | "parse"
            | "format"
            | "render"
            | "__init__"
            | "__call__"
            | "apply"
            | "emit"
            | "on"
            | "request"
            | "post"
            | "put"
    )
}

/// Canonical names for module specifiers: `node:fs` and `fs/promises` are `fs`.
pub fn normalize_module(spec: &str) -> String {
    let s = spec.strip_prefix("node:").unwrap_or(spec);
    match s {
        "fs/promises" | "fs-extra" | "graceful-fs" | "mz/fs" => "fs".to_string(),
        "child-process-promise" | "child_process_promise" => "child_process".to_string(),
        "js-yaml" => "yaml".to_string(),
        "node-fetch" | "cross-fetch" | "isomorphic-fetch" => "fetch".to_string(),
        "mysql2" | "mysql2/promise" => "mysql".to_string(),
        other => other.to_string(),
    }
}

/// Collapses `.` and `..` segments of a `/`-separated path.
fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("src/./lib/../util.ts"), "src/util.ts");
        assert_eq!(normalize_module("node:fs/promises"), "fs");
    }
}
