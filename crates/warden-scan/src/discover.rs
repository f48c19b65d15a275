//! Finds the MCP tools a server registers, per SDK shape, and the handler code behind
//! each. What cannot be resolved (a name computed at run time, a handler passed in
//! from elsewhere) is listed, never silently dropped.

use crate::flow::ArgBinding;
use crate::ir::*;
use crate::project::{FnRef, Project};
use std::collections::HashMap;
use warden_core::{Annotations, Location, Param, ToolDef, Touches};

/// A tool found in source, with what the analyses need about it.
#[derive(Debug, Clone)]
pub struct FoundTool {
    /// The public definition (touches are filled in after data flow).
    pub def: ToolDef,
    /// Index into [`Inventory::handlers`], when the handler was found.
    pub handler: Option<usize>,
    /// For tools dispatched by name inside a shared handler: the branch's span.
    pub branch: Option<Span>,
    /// The module the tool is registered in.
    pub module: usize,
    /// Where the description literal is (for poisoning findings).
    pub description_span: Option<(usize, Span)>,
    /// Parameter descriptions with where they are.
    pub param_descriptions: Vec<(String, String, usize, Span)>,
    /// Arguments whose declared type already constrains them (numbers, enums, anchored
    /// regexes), with the sanitisation bits that implies.
    pub constrained: Vec<(String, u8)>,
}

/// A handler function and how tool arguments bind to it.
#[derive(Debug, Clone)]
pub struct Handler {
    pub func: FnRef,
    pub binding: ArgBinding,
}

/// A registration that was seen but could not be resolved.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unresolved {
    pub location: Location,
    pub reason: String,
}

/// Everything discovery found.
#[derive(Debug, Default)]
pub struct Inventory {
    pub tools: Vec<FoundTool>,
    pub handlers: Vec<Handler>,
    pub unresolved: Vec<Unresolved>,
    /// Whether any module looks like an MCP server at all.
    pub is_mcp: bool,
    handler_index: HashMap<FnRef, usize>,
}

impl Inventory {
    fn handler(&mut self, func: FnRef, binding: ArgBinding) -> usize {
        if let Some(&i) = self.handler_index.get(&func) {
            return i;
        }
        self.handlers.push(Handler { func, binding });
        self.handler_index.insert(func, self.handlers.len() - 1);
        self.handlers.len() - 1
    }
}

/// The location of a span in a module, for reports.
pub fn location(p: &Project, module: usize, sp: Span) -> Location {
    Location {
        path: p.modules[module].path.clone(),
        start_line: sp.start_line,
        start_column: sp.start_col,
        end_line: sp.end_line,
        end_column: sp.end_col,
    }
}

struct Cx<'p> {
    p: &'p Project,
    /// Per module: top-level name → assigned value.
    consts: Vec<HashMap<&'p str, &'p Expr>>,
    inv: Inventory,
    /// Call-tool dispatchers: (handler index, function).
    dispatchers: Vec<(usize, FnRef)>,
    /// Per module: names assigned inside functions (first assignment wins), used
    /// when a registration inside a function refers to a local constant.
    locals: Vec<HashMap<&'p str, &'p Expr>>,
    /// Call-tool handlers that name no tool, reported as unresolved unless tool
    /// objects were found for them to dispatch.
    runtime_dispatchers: Vec<Location>,
    /// A TypeScript registration is named by `this.<field>` (see `ts_tool_classes`).
    this_named_registration: bool,
}

/// How a tool written as data (`{ name, inputSchema, handler }`) was registered.
const TOOL_OBJECT: &str = "ts:tool-object";

/// Runs discovery over the project.
pub fn discover(p: &Project) -> Inventory {
    let consts = p
        .modules
        .iter()
        .map(|m| {
            let mut map = HashMap::new();
            for s in &m.functions[Module::TOP].body {
                collect_consts(s, &mut map);
            }
            map
        })
        .collect();
    let locals = p
        .modules
        .iter()
        .map(|m| {
            let mut map = HashMap::new();
            for f in m.functions.iter().skip(1) {
                for s in &f.body {
                    s.walk(&mut |s| {
                        if let Stmt::Assign {
                            target: Target::Name(n, _),
                            value,
                            ..
                        } = s
                        {
                            map.entry(n.as_str()).or_insert(value);
                        }
                    });
                }
            }
            map
        })
        .collect();
    let mut cx = Cx {
        p,
        consts,
        inv: Inventory::default(),
        dispatchers: Vec::new(),
        locals,
        runtime_dispatchers: Vec::new(),
        this_named_registration: false,
    };
    for mi in 0..p.modules.len() {
        let m = &p.modules[mi];
        cx.inv.is_mcp |= m.imports.iter().any(|i| is_mcp_module(&i.module));
        for fi in 0..m.functions.len() {
            let f = &m.functions[fi];
            if m.lang == crate::lang::Lang::Python && !f.decorators.is_empty() {
                cx.python_decorated(mi, fi);
            }
            for s in &f.body {
                s.walk(&mut |s| {
                    for e in s.exprs() {
                        e.walk(&mut |x| {
                            if let Expr::Call(c) = x {
                                cx.call(mi, c);
                                if m.lang == crate::lang::Lang::Python
                                    && c.callee
                                        .path()
                                        .is_some_and(|p| p == "Tool" || p.ends_with(".Tool"))
                                {
                                    cx.py_tool_object(mi, fi, c);
                                }
                            }
                        });
                    }
                });
            }
        }
    }
    cx.link_dispatch();
    cx.tool_registries();
    cx.ts_tool_classes();
    if !cx.inv.tools.iter().any(|t| t.def.sdk == TOOL_OBJECT) {
        for location in std::mem::take(&mut cx.runtime_dispatchers) {
            cx.inv.unresolved.push(Unresolved {
                location,
                reason: "call-tool handler dispatches tools registered at run time; they are analysed together, not listed".into(),
            });
        }
    }
    cx.inv.tools.sort_by(|a, b| {
        (&a.def.location.path, a.def.location.start_line, &a.def.name).cmp(&(
            &b.def.location.path,
            b.def.location.start_line,
            &b.def.name,
        ))
    });
    cx.inv
}

fn collect_consts<'p>(s: &'p Stmt, map: &mut HashMap<&'p str, &'p Expr>) {
    match s {
        Stmt::Assign {
            target: Target::Name(n, _),
            value,
            ..
        } => {
            map.entry(n.as_str()).or_insert(value);
        }
        Stmt::Block(b, _) => b.iter().for_each(|s| collect_consts(s, map)),
        _ => {}
    }
}

/// The names tool objects and tool classes give their input schema.
const SCHEMA_KEYS: &[&str] = &[
    "inputSchema",
    "parameters",
    "zodSchema",
    "argsSchema",
    "argsShape",
    "schema",
];

/// A tool object's input schema.
fn schema_prop(obj: &Expr) -> Option<&Expr> {
    SCHEMA_KEYS.iter().find_map(|k| obj.prop(k))
}

fn is_mcp_module(m: &str) -> bool {
    m.starts_with("@modelcontextprotocol/")
        || m == "mcp"
        || m.starts_with("mcp.")
        || m == "fastmcp"
        || m.starts_with("fastmcp.")
        || m == "agents/mcp"
        || m == "mcp-handler"
        || m == "@vercel/mcp-adapter"
        || m == "fastmcp"
        || m.contains("mcp-framework")
}

impl<'p> Cx<'p> {
    /// Resolves an expression to the constant it stands for: follows names to
    /// module-level assignments (also across imports) and members into object literals.
    fn resolve(&self, m: usize, e: &'p Expr, depth: u32) -> Option<(usize, &'p Expr)> {
        if depth > 8 {
            return None;
        }
        match e {
            Expr::Name(n, _) => {
                if let Some(v) = self.consts[m]
                    .get(n.as_str())
                    .or_else(|| self.locals[m].get(n.as_str()))
                {
                    return self.resolve(m, v, depth + 1).or(Some((m, v)));
                }
                let imp = self.p.modules[m].imports.iter().find(|i| &i.local == n)?;
                // A default import names the module's `default` export.
                let member = imp.member.as_deref().unwrap_or("default");
                let t = self.p.resolve_module(m, &imp.module)?;
                let t = self.p.defining_module(t, member);
                let v = self.consts[t].get(member)?;
                self.resolve(t, v, depth + 1).or(Some((t, v)))
            }
            Expr::Member(o, prop, _) => {
                // `tools.search.name` through `import * as tools`.
                if let Expr::Name(n, _) = o.as_ref()
                    && let Some(imp) = self.p.modules[m]
                        .imports
                        .iter()
                        .find(|i| &i.local == n && i.member.is_none())
                    && let Some(t) = self.p.resolve_module(m, &imp.module)
                    && let Some(v) = self.consts[self.p.defining_module(t, prop)].get(prop.as_str())
                {
                    return self.resolve(t, v, depth + 1).or(Some((t, v)));
                }
                let (om, obj) = self.resolve(m, o, depth + 1)?;
                let v = obj.prop(prop)?;
                self.resolve(om, v, depth + 1).or(Some((om, v)))
            }
            Expr::Call(c)
                if c.positional_count() == 1
                    && c.callee.path().is_some_and(|p| {
                        let l = p.rsplit('.').next().unwrap_or(&p).to_ascii_lowercase();
                        l == "object"
                            || l == "strict"
                            || l == "parse"
                            || l == "freeze"
                            || l.starts_with("define")
                            || l.starts_with("create")
                            || l == "tool"
                    }) =>
            {
                // `z.object({...})`, `ToolSchema.parse({...})`, `defineTool({...})` stand
                // for the object they are given.
                c.positional(0).and_then(|a| self.resolve(m, a, depth + 1))
            }
            _ => Some((m, e)),
        }
    }

    /// The string a constant expression evaluates to.
    fn string(&self, m: usize, e: &'p Expr) -> Option<String> {
        self.string_d(m, e, 0)
    }

    fn string_d(&self, m: usize, e: &'p Expr, depth: u32) -> Option<String> {
        if depth > 8 {
            return None;
        }
        match e {
            Expr::Str(s, _) => Some(s.clone()),
            Expr::Binary(BinOp::Add, l, r, _) => {
                Some(self.string_d(m, l, depth + 1)? + &self.string_d(m, r, depth + 1)?)
            }
            Expr::Binary(BinOp::Or, l, r, _) => self
                .string_d(m, l, depth + 1)
                .or_else(|| self.string_d(m, r, depth + 1)),
            Expr::Template(parts, _) => {
                let mut out = String::new();
                for p in parts {
                    out.push_str(&self.string_d(m, p, depth + 1)?);
                }
                Some(out)
            }
            Expr::Call(c) => {
                // `"...".trim()`, `dedent("...")`, `textwrap.dedent("...")`.
                let name = c.callee.path().unwrap_or_default();
                if name.ends_with("dedent") || name.ends_with("trim") || name.ends_with("strip") {
                    if let Expr::Member(o, _, _) = &c.callee
                        && let Some(s) = self.string_d(m, o, depth + 1)
                    {
                        return Some(s.trim().to_string());
                    }
                    return c.positional(0).and_then(|a| self.string_d(m, a, depth + 1));
                }
                None
            }
            Expr::Name(..) | Expr::Member(..) => {
                let (rm, v) = self.resolve(m, e, depth + 1)?;
                if std::ptr::eq(v, e) {
                    return None;
                }
                self.string_d(rm, v, depth + 1)
            }
            _ => None,
        }
    }

    fn span_of_string(&self, m: usize, e: &'p Expr) -> (usize, Span) {
        match e {
            Expr::Name(..) | Expr::Member(..) => match self.resolve(m, e, 0) {
                Some((rm, v)) => (rm, v.span()),
                None => (m, e.span()),
            },
            _ => (m, e.span()),
        }
    }

    fn unresolved(&mut self, m: usize, sp: Span, reason: &str) {
        self.inv.unresolved.push(Unresolved {
            location: location(self.p, m, sp),
            reason: reason.to_string(),
        });
    }

    /// The function a handler expression refers to.
    fn handler_fn(&self, m: usize, e: &'p Expr) -> Option<FnRef> {
        match e {
            Expr::Func(id, _) => Some(FnRef {
                module: m,
                func: *id,
            }),
            Expr::Name(..) | Expr::Member(..) => {
                if let Some(f) = self.p.resolve_call(m, None, e) {
                    return Some(f);
                }
                let (rm, v) = self.resolve(m, e, 0)?;
                match v {
                    Expr::Func(id, _) => Some(FnRef {
                        module: rm,
                        func: *id,
                    }),
                    // `find_foo = find`: an alias of a function defined by name.
                    Expr::Name(..) | Expr::Member(..) if !std::ptr::eq(v, e) => {
                        self.p.resolve_call(rm, None, v)
                    }
                    _ => None,
                }
            }
            // `timed(async (request) => ...)`: a wrapper around the handler function.
            Expr::Call(c) => {
                let funcs: Vec<&Expr> = c
                    .args
                    .iter()
                    .map(|a| &a.value)
                    .filter(|v| matches!(v, Expr::Func(..)))
                    .collect();
                match funcs.as_slice() {
                    [only] => self.handler_fn(m, only),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn call(&mut self, m: usize, c: &'p Call) {
        let Expr::Member(_, method, _) = &c.callee else {
            if let Expr::Name(n, _) = &c.callee
                && n == "ResourceTemplate"
            {
                // Handled at the registering call.
            }
            return;
        };
        let lang_py = self.p.modules[m].lang == crate::lang::Lang::Python;
        match method.as_str() {
            "registerTool" if !lang_py => self.ts_register_tool(m, c),
            "addTool" if !lang_py => self.ts_add_tool(m, c),
            "tool" if !lang_py => self.ts_legacy_tool(m, c),
            "resource" | "registerResource" if !lang_py => self.ts_resource(m, c),
            "setRequestHandler" if !lang_py => self.ts_set_request_handler(m, c),
            "add_tool" | "tool" if lang_py => self.py_add_tool(m, c),
            _ => {}
        }
    }

    fn ts_register_tool(&mut self, m: usize, c: &'p Call) {
        if c.positional_count() < 2 {
            return;
        }
        let (Some(name_e), Some(handler_e)) = (c.positional(0), c.args.last().map(|a| &a.value))
        else {
            return;
        };
        let config = c.positional(1).and_then(|e| self.resolve(m, e, 0));
        let Some(name) = self.string(m, name_e) else {
            self.note_this_named(name_e);
            self.unresolved(m, c.span, "tool name is not a constant");
            return;
        };
        let mut tool = self.new_tool(m, c.span, name, "ts:registerTool");
        if let Some((cm, cfg)) = config {
            self.apply_config(&mut tool, cm, cfg);
        }
        self.attach_handler(&mut tool, m, handler_e, ArgBinding::Object { index: 0 });
        self.inv.tools.push(tool);
    }

    /// Description, input schema (`inputSchema` or `parameters`) and annotations from a
    /// tool's configuration object.
    fn apply_config(&self, tool: &mut FoundTool, m: usize, cfg: &'p Expr) {
        if let Some(d) = cfg.prop("description") {
            self.set_description(tool, m, d);
        }
        if let Some(s) = schema_prop(cfg) {
            self.ts_schema(tool, m, s);
        }
        if let Some(a) = cfg.prop("annotations") {
            tool.def.annotations = self.annotations(m, a);
        }
    }

    /// The TypeScript `fastmcp` framework: `server.addTool({ name, description,
    /// parameters: z.object({...}), annotations, execute: async (args) => ... })`.
    fn ts_add_tool(&mut self, m: usize, c: &'p Call) {
        let Some((om, obj)) = c.positional(0).and_then(|a| self.resolve(m, a, 0)) else {
            return;
        };
        let Some(execute) = obj.prop("execute") else {
            return;
        };
        let Some(name) = obj.prop("name").and_then(|n| self.string(om, n)) else {
            self.unresolved(m, c.span, "tool name is not a constant");
            return;
        };
        let mut tool = self.new_tool(m, c.span, name, "ts:fastmcp-addTool");
        self.apply_config(&mut tool, om, obj);
        self.attach_handler(&mut tool, om, execute, ArgBinding::Object { index: 0 });
        self.inv.tools.push(tool);
    }

    fn ts_legacy_tool(&mut self, m: usize, c: &'p Call) {
        let n = c.positional_count();
        if !(2..=5).contains(&n) {
            return;
        }
        let Some(handler_e) = c.positional(n - 1) else {
            return;
        };
        let is_fn = matches!(handler_e, Expr::Func(..)) || self.handler_fn(m, handler_e).is_some();
        let Some(name_e) = c.positional(0) else {
            return;
        };
        let imports_sdk = self.p.modules[m]
            .imports
            .iter()
            .any(|i| is_mcp_module(&i.module));
        // A handler that cannot be followed (a package's function) still makes a
        // registration in a file that imports an MCP SDK: the tool is listed and its
        // handler reported as unresolved rather than the tool going missing.
        let followable = is_fn
            || matches!(handler_e, Expr::Call(..))
            || (imports_sdk && matches!(handler_e, Expr::Name(..) | Expr::Member(..)));
        if !followable {
            return;
        }
        // Only a `.tool(...)` whose receiver looks like an MCP server, in a file that
        // imports an MCP SDK, is a registration.
        if !imports_sdk
            && !c
                .callee
                .path()
                .is_some_and(|p| p.to_ascii_lowercase().contains("server") || p.contains("mcp"))
        {
            return;
        }
        let Some(name) = self.string(m, name_e) else {
            self.note_this_named(name_e);
            self.unresolved(m, c.span, "tool name is not a constant");
            return;
        };
        let mut tool = self.new_tool(m, c.span, name, "ts:tool");
        for i in 1..n - 1 {
            let Some(a) = c.positional(i) else { continue };
            if self.string(m, a).is_some() && tool.def.description.is_none() {
                self.set_description(&mut tool, m, a);
                continue;
            }
            let Some((am, obj)) = self.resolve(m, a, 0) else {
                continue;
            };
            if let Expr::Object(props, _) = obj {
                let is_annotations = !props.is_empty()
                    && props.iter().all(|p| {
                        p.key
                            .as_deref()
                            .is_some_and(|k| k.ends_with("Hint") || k == "title")
                    });
                if is_annotations {
                    tool.def.annotations = self.annotations(am, obj);
                } else {
                    self.ts_schema(&mut tool, am, obj);
                }
            }
        }
        self.attach_handler(&mut tool, m, handler_e, ArgBinding::Object { index: 0 });
        self.inv.tools.push(tool);
    }

    fn ts_resource(&mut self, m: usize, c: &'p Call) {
        // server.resource(name, new ResourceTemplate("x://{v}", ...), [meta], handler)
        let Some(tmpl) = c.positional(1) else { return };
        let tmpl = match self.resolve(m, tmpl, 0) {
            Some((_, Expr::Call(t)))
                if t.callee
                    .path()
                    .is_some_and(|p| p.ends_with("ResourceTemplate")) =>
            {
                t
            }
            _ => return,
        };
        let Some(uri) = tmpl.positional(0).and_then(|u| self.string(m, u)) else {
            self.unresolved(m, c.span, "resource template URI is not a constant");
            return;
        };
        let name = c
            .positional(0)
            .and_then(|n| self.string(m, n))
            .unwrap_or_else(|| uri.clone());
        let Some(handler_e) = c.args.last().map(|a| &a.value) else {
            return;
        };
        let mut tool = self.new_tool(m, c.span, name, "ts:resource-template");
        tool.def.kind = "resource-template".into();
        tool.def.params = uri_vars(&uri)
            .into_iter()
            .map(|v| Param {
                name: v,
                r#type: Some("uri-variable".into()),
                description: None,
                used: None,
                location: location(self.p, m, tmpl.span),
            })
            .collect();
        self.attach_handler(
            &mut tool,
            m,
            handler_e,
            ArgBinding::Each { params: vec![0, 1] },
        );
        self.inv.tools.push(tool);
    }

    fn ts_set_request_handler(&mut self, m: usize, c: &'p Call) {
        let (Some(schema), Some(handler_e)) = (c.positional(0), c.positional(1)) else {
            return;
        };
        let schema = schema.path().unwrap_or_default();
        if schema.ends_with("ListToolsRequestSchema") {
            let Some(f) = self.handler_fn(m, handler_e) else {
                return;
            };
            let mut objs = Vec::new();
            self.tool_objects(f.module, f.func, &mut objs);
            if objs.is_empty() {
                // The list is built elsewhere and passed in (`setupHandlers(server, defs())`):
                // tool definitions are object literals with a name and a schema anywhere in
                // the project.
                self.project_tool_objects(&mut objs);
            }
            for (om, obj) in objs {
                self.tool_from_object(om, obj, "ts:list-tools");
            }
        } else if schema.ends_with("CallToolRequestSchema")
            && let Some(f) = self.handler_fn(m, handler_e)
        {
            let h = self.inv.handler(f, ArgBinding::Object { index: 0 });
            self.dispatchers.push((h, f));
        }
    }

    /// Object literals with `name` and (`description` or `inputSchema`) reachable from
    /// a list-tools handler: inline, or through constants.
    fn tool_objects(&self, m: usize, f: FuncId, out: &mut Vec<(usize, &'p Expr)>) {
        let func = &self.p.modules[m].functions[f];
        let mut seen: Vec<*const Expr> = Vec::new();
        let mut visit = |e: &'p Expr, out: &mut Vec<(usize, &'p Expr)>, this: &Self| {
            e.walk(&mut |x| {
                let targets: Vec<(usize, &'p Expr)> = match x {
                    Expr::Name(..) | Expr::Member(..) => {
                        this.resolve(m, x, 0).into_iter().collect()
                    }
                    _ => vec![(m, x)],
                };
                for (tm, t) in targets {
                    t.walk(&mut |y| {
                        if let Expr::Object(..) = y
                            && y.prop("name").is_some()
                            && (y.prop("description").is_some() || y.prop("inputSchema").is_some())
                            && !seen.contains(&(y as *const Expr))
                        {
                            seen.push(y as *const Expr);
                            out.push((tm, y));
                        }
                    });
                }
            });
        };
        for s in &func.body {
            s.walk(&mut |s| {
                for e in s.exprs() {
                    visit(e, out, self);
                }
            });
        }
    }

    /// Tool registries written as data: `{ name, description, inputSchema, handler }`
    /// objects, and helper calls keyed by a property (`{ list_tables: tool({
    /// description, parameters, execute }) }`). Only objects with a handler function
    /// count, and only in files that import an MCP package or a tool helper.
    fn tool_registries(&mut self) {
        let p = self.p;
        for (mi, module) in p.modules.iter().enumerate() {
            // A tool object's own file often imports only zod and the project's types;
            // in a project that imports an MCP SDK, the object's shape is the signal.
            if !module.lang.is_js_family()
                || !(self.inv.is_mcp
                    || module
                        .imports
                        .iter()
                        .any(|i| is_mcp_module(&i.module) || i.module.contains("mcp")))
            {
                continue;
            }
            let mut found: Vec<(String, &'p Expr, Span)> = Vec::new();
            for f in &module.functions {
                for s in &f.body {
                    s.walk(&mut |s| {
                        for e in s.exprs() {
                            e.walk(&mut |y| {
                                let Expr::Object(props, _) = y else { return };
                                for prop in props {
                                    // `key: tool({...})`
                                    if let (Some(k), Expr::Call(c)) = (&prop.key, &prop.value)
                                        && c.callee.path().is_some_and(|cp| {
                                            let l = cp
                                                .rsplit('.')
                                                .next()
                                                .unwrap_or(&cp)
                                                .to_ascii_lowercase();
                                            l == "tool" || l == "definetool" || l == "createtool"
                                        })
                                        && let Some(obj @ Expr::Object(..)) = c.positional(0)
                                        && (obj.prop("execute").is_some()
                                            || obj.prop("handler").is_some())
                                    {
                                        let name = obj
                                            .prop("name")
                                            .and_then(|n| n.as_str())
                                            .unwrap_or_else(|| k.clone());
                                        found.push((name, obj, c.span));
                                    }
                                }
                                // `{ name: "x", inputSchema, handler }`
                                if let Some(Expr::Str(name, _)) = y.prop("name")
                                    && schema_prop(y).is_some()
                                    && (y.prop("handler").is_some() || y.prop("execute").is_some())
                                {
                                    found.push((name.clone(), y, y.span()));
                                }
                            });
                        }
                    });
                }
            }
            for (name, obj, sp) in found {
                if self.inv.tools.iter().any(|t| t.def.name == name) {
                    continue;
                }
                let mut tool = self.new_tool(mi, sp, name, TOOL_OBJECT);
                self.apply_config(&mut tool, mi, obj);
                if let Some(h) = obj.prop("execute").or_else(|| obj.prop("handler")) {
                    self.attach_handler(&mut tool, mi, h, ArgBinding::Object { index: 0 });
                }
                self.inv.tools.push(tool);
            }
        }
    }

    /// Remembers a registration named by a field of `this` (a base class registering
    /// its subclasses' tools).
    fn note_this_named(&mut self, name_e: &Expr) {
        if let Expr::Member(o, _, _) = name_e
            && matches!(o.as_ref(), Expr::Name(n, _) if n == "this")
        {
            self.this_named_registration = true;
        }
    }

    /// Tools written as classes in TypeScript/JavaScript: `class FindTool extends
    /// ToolBase { name = "find"; description = "..."; argsShape = {...}; async
    /// execute(args) {...} }`, registered by a base class through `this.name`, which
    /// reading the registration cannot resolve. A class with a constant name, a
    /// description and a method that runs the tool is a tool; that method is its
    /// handler, taking the arguments object.
    fn ts_tool_classes(&mut self) {
        // Only where a base class registers tools by `this.name`: elsewhere a class
        // with a name, a description and `run` is more likely a CLI command.
        if !self.inv.is_mcp || !self.this_named_registration {
            return;
        }
        let p = self.p;
        for (mi, module) in p.modules.iter().enumerate() {
            if !module.lang.is_js_family() {
                continue;
            }
            let mut classes: Vec<&'p [Stmt]> = Vec::new();
            for s in &module.functions[Module::TOP].body {
                s.walk(&mut |s| {
                    if let Stmt::Block(b, _) = s {
                        classes.push(b);
                    }
                });
            }
            for body in classes {
                let field = |names: &[&str]| {
                    body.iter().find_map(|s| match s {
                        Stmt::Assign {
                            target: Target::Path(path, _),
                            value,
                            span,
                            ..
                        } => path
                            .strip_prefix("this.")
                            .filter(|f| names.contains(f))
                            .map(|_| (value, *span)),
                        _ => None,
                    })
                };
                let run = body.iter().find_map(|s| match s {
                    Stmt::FuncDecl(id) => {
                        let f = &module.functions[*id];
                        (f.class.is_some()
                            && !f.params.is_empty()
                            && f.name.as_deref().is_some_and(|n| {
                                matches!(n, "execute" | "handler" | "handle" | "run" | "call")
                            }))
                        .then_some(*id)
                    }
                    _ => None,
                });
                let (Some((name_e, sp)), Some((desc_e, _)), Some(run)) =
                    (field(&["name", "toolName"]), field(&["description"]), run)
                else {
                    continue;
                };
                let Some(name) = self.string(mi, name_e) else {
                    continue;
                };
                if self.inv.tools.iter().any(|t| t.def.name == name) {
                    continue;
                }
                let mut tool = self.new_tool(mi, sp, name, "ts:tool-class");
                self.set_description(&mut tool, mi, desc_e);
                if let Some((schema, _)) = field(SCHEMA_KEYS) {
                    self.ts_schema(&mut tool, mi, schema);
                }
                if let Some((a, _)) = field(&["annotations"]) {
                    tool.def.annotations = self.annotations(mi, a);
                }
                let func = FnRef {
                    module: mi,
                    func: run,
                };
                tool.def.handler = Some(location(p, mi, module.functions[run].span));
                tool.handler = Some(self.inv.handler(func, ArgBinding::Object { index: 0 }));
                self.inv.tools.push(tool);
            }
        }
    }

    fn project_tool_objects(&self, out: &mut Vec<(usize, &'p Expr)>) {
        for (mi, module) in self.p.modules.iter().enumerate() {
            if !module.lang.is_js_family() {
                continue;
            }
            for f in &module.functions {
                for s in &f.body {
                    s.walk(&mut |s| {
                        for e in s.exprs() {
                            e.walk(&mut |y| {
                                if let Expr::Object(..) = y
                                    && y.prop("name").is_some_and(|n| matches!(n, Expr::Str(..)))
                                    && y.prop("inputSchema").is_some()
                                {
                                    out.push((mi, y));
                                }
                            });
                        }
                    });
                }
            }
        }
    }

    fn tool_from_object(&mut self, m: usize, obj: &'p Expr, sdk: &str) {
        let Some(name) = obj.prop("name").and_then(|n| self.string(m, n)) else {
            self.unresolved(m, obj.span(), "tool name is not a constant");
            return;
        };
        let mut tool = self.new_tool(m, obj.span(), name, sdk);
        if let Some(d) = obj.prop("description") {
            self.set_description(&mut tool, m, d);
        }
        if let Some(s) = obj.prop("inputSchema").or_else(|| obj.prop("input_schema")) {
            self.json_schema(&mut tool, m, s);
        }
        if let Some(a) = obj.prop("annotations") {
            tool.def.annotations = self.annotations(m, a);
        }
        self.inv.tools.push(tool);
    }

    fn new_tool(&self, m: usize, sp: Span, name: String, sdk: &str) -> FoundTool {
        FoundTool {
            def: ToolDef {
                name,
                kind: "tool".into(),
                description: None,
                params: Vec::new(),
                annotations: Annotations::default(),
                location: location(self.p, m, sp),
                handler: None,
                touches: Touches::default(),
                sdk: sdk.into(),
            },
            handler: None,
            branch: None,
            module: m,
            description_span: None,
            param_descriptions: Vec::new(),
            constrained: Vec::new(),
        }
    }

    fn set_description(&self, tool: &mut FoundTool, m: usize, d: &'p Expr) {
        if let Some(s) = self.string(m, d) {
            tool.def.description = Some(s);
            tool.description_span = Some(self.span_of_string(m, d));
        }
    }

    fn attach_handler(
        &mut self,
        tool: &mut FoundTool,
        m: usize,
        handler_e: &'p Expr,
        binding: ArgBinding,
    ) {
        match self.handler_fn(m, handler_e) {
            Some(f) => {
                let func = &self.p.modules[f.module].functions[f.func];
                tool.def.handler = Some(location(self.p, f.module, func.span));
                tool.handler = Some(self.inv.handler(f, binding));
            }
            None => {
                let loc = location(self.p, m, handler_e.span());
                self.inv.unresolved.push(Unresolved {
                    location: loc,
                    reason: format!("handler of tool `{}` could not be followed", tool.def.name),
                });
            }
        }
    }

    /// A zod raw shape (`{ a: z.string().describe(..) }`) or `z.object({...})`.
    fn ts_schema(&self, tool: &mut FoundTool, m: usize, s: &'p Expr) {
        let Some((sm, obj)) = self.resolve(m, s, 0) else {
            return;
        };
        let Expr::Object(props, _) = obj else { return };
        if obj.prop("properties").is_some()
            || obj.prop("type").and_then(|t| t.as_str()).as_deref() == Some("object")
        {
            self.json_schema(tool, sm, obj);
            return;
        }
        for p in props {
            let Some(key) = &p.key else { continue };
            let mut desc = None;
            let mut ty = None;
            let mut constrained = 0u8;
            // `{ ticketId }` or `{ id: TicketId }` with the zod type in a constant.
            let value = match &p.value {
                Expr::Name(..) | Expr::Member(..) => self
                    .resolve(sm, &p.value, 0)
                    .map(|(_, v)| v)
                    .unwrap_or(&p.value),
                v => v,
            };
            value.walk(&mut |x| {
                if let Expr::Call(c) = x
                    && let Expr::Member(_, method, _) = &c.callee
                {
                    match method.as_str() {
                        "describe" => {
                            if let Some(a) = c.positional(0)
                                && let Some(s) = self.string(sm, a)
                            {
                                desc = Some((s, a.span()));
                            }
                        }
                        "regex" => {
                            let src = &self.p.sources[sm];
                            if let Some(a) = c.positional(0) {
                                let sp = a.span();
                                let t = src
                                    .get(sp.start_byte as usize..sp.end_byte as usize)
                                    .unwrap_or("");
                                if t.starts_with("/^") && t.contains("$/") {
                                    constrained |= crate::flow::clear::ALL;
                                }
                            }
                        }
                        "enum" | "number" | "boolean" | "int" | "literal" | "uuid"
                        | "nativeEnum" | "bigint" => {
                            if ty.is_none() {
                                ty = Some(method.clone());
                            }
                            constrained |= crate::flow::clear::ALL;
                        }
                        "string" | "array" | "object" | "record" | "any" | "unknown" => {
                            ty.get_or_insert_with(|| method.clone());
                        }
                        "url" => {
                            ty = Some("url".into());
                        }
                        _ => {}
                    }
                }
            });
            if constrained != 0 {
                tool.constrained.push((key.clone(), constrained));
            }
            if let Some((d, dsp)) = &desc {
                tool.param_descriptions
                    .push((key.clone(), d.clone(), sm, *dsp));
            }
            tool.def.params.push(Param {
                name: key.clone(),
                r#type: ty,
                description: desc.map(|d| d.0),
                used: None,
                location: location(self.p, sm, p.span),
            });
        }
    }

    /// A JSON Schema object: `{ type: "object", properties: { a: { type, description } } }`.
    fn json_schema(&self, tool: &mut FoundTool, m: usize, s: &'p Expr) {
        let Some((sm, obj)) = self.resolve(m, s, 0) else {
            return;
        };
        let props = match obj.prop("properties").and_then(|p| self.resolve(sm, p, 0)) {
            Some((_, Expr::Object(props, _))) => props,
            _ => return,
        };
        for p in props {
            let Some(key) = &p.key else { continue };
            let ty = p.value.prop("type").and_then(|t| t.as_str());
            let desc = p
                .value
                .prop("description")
                .and_then(|d| self.string(sm, d).map(|s| (s, d.span())));
            if matches!(ty.as_deref(), Some("integer" | "number" | "boolean"))
                || p.value.prop("enum").is_some()
            {
                tool.constrained
                    .push((key.clone(), crate::flow::clear::ALL));
            }
            if let Some((d, dsp)) = &desc {
                tool.param_descriptions
                    .push((key.clone(), d.clone(), sm, *dsp));
            }
            tool.def.params.push(Param {
                name: key.clone(),
                r#type: ty,
                description: desc.map(|d| d.0),
                used: None,
                location: location(self.p, sm, p.span),
            });
        }
    }

    fn annotations(&self, m: usize, a: &'p Expr) -> Annotations {
        let mut out = Annotations::default();
        let (am, obj) = self.resolve(m, a, 0).unwrap_or((m, a));
        let src = &self.p.sources[am];
        let flag = |e: &Expr| -> Option<bool> {
            let sp = e.span();
            match src.get(sp.start_byte as usize..sp.end_byte as usize)? {
                "true" | "True" => Some(true),
                "false" | "False" => Some(false),
                _ => None,
            }
        };
        let get = |key: &str, snake: &str| -> Option<bool> {
            match obj {
                Expr::Object(..) => obj.prop(key).or_else(|| obj.prop(snake)).and_then(flag),
                Expr::Call(c) => c.keyword(key).or_else(|| c.keyword(snake)).and_then(flag),
                _ => None,
            }
        };
        out.read_only = get("readOnlyHint", "read_only_hint");
        out.destructive = get("destructiveHint", "destructive_hint");
        out.idempotent = get("idempotentHint", "idempotent_hint");
        out.open_world = get("openWorldHint", "open_world_hint");
        out
    }

    // ----- Python -----

    fn python_decorated(&mut self, m: usize, fi: FuncId) {
        let f = &self.p.modules[m].functions[fi];
        for d in &f.decorators {
            let (callee, call) = match d {
                Expr::Call(c) => (&c.callee, Some(c.as_ref())),
                other => (other, None),
            };
            let path = callee.path().unwrap_or_default();
            let last = path.rsplit('.').next().unwrap_or(&path);
            let is_member = matches!(callee, Expr::Member(..));
            match last {
                "tool" if is_member || self.imports_fastmcp(m) => {
                    self.py_tool(m, fi, call, d.span(), "py:fastmcp-decorator")
                }
                "resource" if is_member => {
                    let uri = call
                        .and_then(|c| c.positional(0).or_else(|| c.keyword("uri")))
                        .and_then(|u| self.string(m, u));
                    if let Some(uri) = uri.filter(|u| u.contains('{')) {
                        let name = call
                            .and_then(|c| c.keyword("name"))
                            .and_then(|n| self.string(m, n))
                            .or_else(|| f.name.clone())
                            .unwrap_or(uri.clone());
                        let mut tool = self.new_tool(m, d.span(), name, "py:resource-template");
                        tool.def.kind = "resource-template".into();
                        let (params, constrained) = self.py_params(m, fi);
                        tool.def.params = params;
                        tool.constrained = constrained;
                        let idx: Vec<usize> = (0..f.params.len()).collect();
                        let h = self.inv.handler(
                            FnRef {
                                module: m,
                                func: fi,
                            },
                            ArgBinding::Each { params: idx },
                        );
                        tool.handler = Some(h);
                        tool.def.handler = Some(location(self.p, m, f.span));
                        self.inv.tools.push(tool);
                    }
                }
                "call_tool" if is_member => {
                    // Low-level server: `async def handle(name, arguments)`.
                    let args_idx = if f.params.len() >= 2 { 1 } else { 0 };
                    let h = self.inv.handler(
                        FnRef {
                            module: m,
                            func: fi,
                        },
                        ArgBinding::Each {
                            params: vec![args_idx],
                        },
                    );
                    self.dispatchers.push((
                        h,
                        FnRef {
                            module: m,
                            func: fi,
                        },
                    ));
                }
                // `Tool(...)` objects are found wherever they are built (see `call`).
                "list_tools" if is_member => {}
                "read_resource" if is_member => {
                    let mut tool = self.new_tool(
                        m,
                        d.span(),
                        "read_resource".into(),
                        "py:lowlevel-read-resource",
                    );
                    tool.def.kind = "resource-template".into();
                    let h = self.inv.handler(
                        FnRef {
                            module: m,
                            func: fi,
                        },
                        ArgBinding::Each { params: vec![0] },
                    );
                    tool.handler = Some(h);
                    tool.def.handler = Some(location(self.p, m, f.span));
                    self.inv.tools.push(tool);
                }
                _ => {}
            }
        }
    }

    fn imports_fastmcp(&self, m: usize) -> bool {
        self.p.modules[m]
            .imports
            .iter()
            .any(|i| i.module.starts_with("fastmcp") || i.module.starts_with("mcp"))
    }

    fn py_tool(&mut self, m: usize, fi: FuncId, call: Option<&'p Call>, reg_span: Span, sdk: &str) {
        let f = &self.p.modules[m].functions[fi];
        let name = match call.and_then(|c| {
            c.keyword("name").or_else(|| {
                c.positional(0)
                    .filter(|a| matches!(a, Expr::Str(..) | Expr::Binary(..) | Expr::Template(..)))
            })
        }) {
            Some(n) => match self.string(m, n) {
                Some(s) => s,
                None => {
                    self.unresolved(m, reg_span, "tool name is not a constant");
                    return;
                }
            },
            None => f.name.clone().unwrap_or_default(),
        };
        let mut tool = self.new_tool(m, reg_span, name, sdk);
        if let Some(d) = call.and_then(|c| c.keyword("description")) {
            self.set_description(&mut tool, m, d);
        } else if let Some((doc, sp)) = &f.docstring {
            tool.def.description = Some(doc.clone());
            tool.description_span = Some((m, *sp));
        }
        if let Some(a) = call.and_then(|c| c.keyword("annotations")) {
            tool.def.annotations = self.annotations(m, a);
        }
        let (params, constrained) = self.py_params(m, fi);
        for p in &params {
            if let Some(d) = &p.description {
                let f = &self.p.modules[m].functions[fi];
                let mut sp = f
                    .params
                    .iter()
                    .find(|x| x.name() == Some(p.name.as_str()))
                    .map(|x| x.span)
                    .unwrap_or_default();
                // Point at the `description=` text inside the annotation.
                let src = &self.p.sources[m];
                if let Some(text) = src.get(sp.start_byte as usize..sp.end_byte as usize)
                    && let Some(off) = text.find("description=")
                {
                    sp.start_line += text[..off].matches('\n').count() as u32;
                }
                tool.param_descriptions
                    .push((p.name.clone(), d.clone(), m, sp));
            }
        }
        tool.def.params = params;
        tool.constrained = constrained;
        let idx: Vec<usize> = f
            .params
            .iter()
            .enumerate()
            .filter(|(_, p)| !is_injected_py_param(p))
            .map(|(i, _)| i)
            .collect();
        let h = self.inv.handler(
            FnRef {
                module: m,
                func: fi,
            },
            ArgBinding::Each { params: idx },
        );
        tool.handler = Some(h);
        tool.def.handler = Some(location(self.p, m, f.span));
        self.inv.tools.push(tool);
    }

    /// `mcp.add_tool(fn, name=..., description=...)` and `mcp.tool(fn)`.
    fn py_add_tool(&mut self, m: usize, c: &'p Call) {
        let Some(fn_e) = c.positional(0) else { return };
        // `mcp.add_tool(Tool.from_function(fn, ...))`.
        let fn_e = match fn_e {
            Expr::Call(inner)
                if inner
                    .callee
                    .path()
                    .is_some_and(|p| p.ends_with("from_function")) =>
            {
                match inner.positional(0) {
                    Some(f) => f,
                    None => return,
                }
            }
            other => other,
        };
        if matches!(fn_e, Expr::Str(..)) {
            return;
        }
        let Some(f) = self.handler_fn(m, fn_e) else {
            if matches!(fn_e, Expr::Name(..)) {
                self.unresolved(m, c.span, "function passed to add_tool could not be found");
            }
            return;
        };
        self.py_tool(f.module, f.func, Some(c), c.span, "py:add_tool");
        // The registration is where the call is.
        if let Some(t) = self.inv.tools.last_mut() {
            t.def.location = location(self.p, m, c.span);
            t.module = f.module;
        }
    }

    /// `types.Tool(name=..., description=..., inputSchema={...})` in a list-tools handler.
    fn py_tool_object(&mut self, m: usize, fi: FuncId, c: &'p Call) {
        let class = self.p.modules[m].functions[fi].class.clone();
        let name = c.keyword("name").and_then(|n| {
            self.string(m, n).or_else(|| match (n, &class) {
                // `Tool(name=self.name)` in a handler class.
                (Expr::Member(o, attr, _), Some(cls)) if matches!(o.as_ref(), Expr::Name(s, _) if s == "self" || s == "cls") => {
                    self.class_attr(m, cls, attr, 0)
                }
                _ => None,
            })
        });
        let Some(name) = name else {
            self.unresolved(m, c.span, "tool name is not a constant");
            return;
        };
        if self.inv.tools.iter().any(|t| {
            t.def.location.path == self.p.modules[m].path
                && t.def.location.start_line == c.span.start_line
        }) {
            return;
        }
        let mut tool = self.new_tool(m, c.span, name, "py:list-tools");
        if let Some(d) = c.keyword("description") {
            self.set_description(&mut tool, m, d);
        }
        if let Some(s) = c
            .keyword("inputSchema")
            .or_else(|| c.keyword("input_schema"))
        {
            self.json_schema(&mut tool, m, s);
        }
        if let Some(a) = c.keyword("annotations") {
            tool.def.annotations = self.annotations(m, a);
        }
        // A handler class: the method that runs the tool takes the arguments dict.
        if let Some(cls) = &class {
            let module = &self.p.modules[m];
            let run = module.functions.iter().enumerate().find(|(_, f)| {
                f.class.as_deref() == Some(cls.as_str())
                    && f.params.len() >= 2
                    && f.name.as_deref().is_some_and(|n| {
                        matches!(
                            n,
                            "run_tool"
                                | "run"
                                | "call"
                                | "execute"
                                | "handle"
                                | "__call__"
                                | "call_tool"
                                | "invoke"
                        )
                    })
            });
            if let Some((rf, f)) = run {
                let h = self.inv.handler(
                    FnRef {
                        module: m,
                        func: rf,
                    },
                    ArgBinding::Each { params: vec![1] },
                );
                tool.handler = Some(h);
                tool.def.handler = Some(location(self.p, m, f.span));
            }
        }
        self.inv.tools.push(tool);
    }

    /// The value of `self.<attr>` for instances of `class`: a class attribute, an
    /// assignment in `__init__`, or an argument passed up through `super().__init__`.
    fn class_attr(&self, m: usize, class: &str, attr: &str, depth: u32) -> Option<String> {
        if depth > 3 {
            return None;
        }
        let module = &self.p.modules[m];
        let key = format!("{class}.{attr}");
        let mut found = None;
        for s in &module.functions[Module::TOP].body {
            s.walk(&mut |s| {
                if let Stmt::Assign {
                    target: Target::Path(p, _),
                    value,
                    ..
                } = s
                    && p == &key
                    && found.is_none()
                {
                    found = self.string(m, value);
                }
            });
        }
        if found.is_some() {
            return found;
        }
        for f in module
            .functions
            .iter()
            .filter(|f| f.class.as_deref() == Some(class) && f.name.as_deref() == Some("__init__"))
        {
            for s in &f.body {
                s.walk(&mut |s| match s {
                    Stmt::Assign {
                        target: Target::Path(p, _),
                        value,
                        ..
                    } if p == &format!("self.{attr}") && found.is_none() => {
                        found = self.string(m, value);
                    }
                    Stmt::Expr(Expr::Call(c))
                        if found.is_none()
                            && c.callee.path().is_some_and(|p| {
                                p.ends_with("super().__init__") || p.ends_with("__init__")
                            }) =>
                    {
                        // `super().__init__(TOOL_NAME)`: the parent stores it.
                        if let Some(arg) = c.positional(0) {
                            found = self.string(m, arg);
                        }
                    }
                    _ => {}
                });
            }
        }
        found
    }

    fn py_params(&self, m: usize, fi: FuncId) -> (Vec<Param>, Vec<(String, u8)>) {
        let f = &self.p.modules[m].functions[fi];
        let mut out = Vec::new();
        let mut constrained = Vec::new();
        for p in &f.params {
            if is_injected_py_param(p) {
                continue;
            }
            let Some(name) = p.name() else { continue };
            let ty = p.type_text.clone();
            let description = ty.as_deref().and_then(field_description);
            if let Some(t) = ty.as_deref() {
                let base = t
                    .trim_start_matches("Annotated[")
                    .trim_start_matches("Optional[");
                if base.starts_with("int")
                    || base.starts_with("float")
                    || base.starts_with("bool")
                    || base.starts_with("Literal[")
                    || base.starts_with("UUID")
                {
                    constrained.push((name.to_string(), crate::flow::clear::ALL));
                }
                if t.contains("pattern=") && t.contains("^") {
                    constrained.push((name.to_string(), crate::flow::clear::ALL));
                }
            }
            out.push(Param {
                name: name.to_string(),
                r#type: ty,
                description,
                used: None,
                location: location(self.p, m, p.span),
            });
        }
        (out, constrained)
    }

    /// Joins tools listed by a list-tools handler with the branches of a call-tool
    /// dispatcher, by the tool-name string.
    fn link_dispatch(&mut self) {
        let dispatchers = std::mem::take(&mut self.dispatchers);
        for (h, f) in dispatchers {
            let branches = self.branches(f);
            let listed = self
                .inv
                .tools
                .iter()
                .any(|t| t.def.sdk.contains("list-tools"));
            if branches.is_empty() && !listed {
                // A call handler that names no tool: tools come from data at run time
                // (an OpenAPI spec, a registry), which source reading cannot list
                // unless they are written as tool objects (see `tool_registries`).
                let func = &self.p.modules[f.module].functions[f.func];
                self.runtime_dispatchers
                    .push(location(self.p, f.module, func.span));
            }
            let mut matched = vec![false; branches.len()];
            for t in self.inv.tools.iter_mut() {
                if t.handler.is_some() || !t.def.sdk.contains("list-tools") {
                    continue;
                }
                if let Some(i) = branches.iter().position(|(n, _)| n == &t.def.name) {
                    matched[i] = true;
                    t.branch = Some(branches[i].1);
                }
                t.handler = Some(h);
                let func = &self.p.modules[f.module].functions[f.func];
                t.def.handler = Some(location(self.p, f.module, t.branch.unwrap_or(func.span)));
            }
            // Branches for names no list handler declared still are tools.
            for (i, (name, sp)) in branches.into_iter().enumerate() {
                if matched[i] || self.inv.tools.iter().any(|t| t.def.name == name) {
                    continue;
                }
                let mut tool = self.new_tool(f.module, sp, name, "dispatch-branch");
                tool.handler = Some(h);
                tool.branch = Some(sp);
                tool.def.handler = Some(location(self.p, f.module, sp));
                self.inv.tools.push(tool);
            }
        }
    }

    /// `case "x":` arms and `if name == "x"` branches of a dispatcher.
    fn branches(&self, f: FnRef) -> Vec<(String, Span)> {
        let func = &self.p.modules[f.module].functions[f.func];
        let mut out = Vec::new();
        for s in &func.body {
            s.walk(&mut |s| match s {
                Stmt::Switch { cases, .. } => {
                    // Grouped cases (`case "a": case "b": ...`) share the next body.
                    let mut pending: Vec<String> = Vec::new();
                    for c in cases {
                        for t in &c.tests {
                            if let Some(n) = self.string(f.module, t) {
                                pending.push(n);
                            }
                        }
                        if !c.body.is_empty() {
                            for n in pending.drain(..) {
                                out.push((n, c.span));
                            }
                        }
                    }
                }
                Stmt::If { cond, span, .. } => {
                    let mut names = Vec::new();
                    cond.walk(&mut |x| {
                        if let Expr::Binary(BinOp::Eq, l, r, _) = x {
                            let name_side = |e: &Expr| {
                                e.path().is_some_and(|p| {
                                    p == "name" || p.ends_with(".name") || p.ends_with("tool_name")
                                })
                            };
                            if name_side(l) {
                                names.extend(self.string(f.module, r));
                            } else if name_side(r) {
                                names.extend(self.string(f.module, l));
                            }
                        }
                    });
                    for n in names {
                        out.push((n, *span));
                    }
                }
                _ => {}
            });
        }
        out
    }
}

fn is_injected_py_param(p: &ParamDecl) -> bool {
    let name = p.name().unwrap_or("");
    name == "self"
        || name == "cls"
        || p.type_text
            .as_deref()
            .is_some_and(|t| t.contains("Context"))
        || (name == "ctx" && p.type_text.is_none())
}

/// `Annotated[str, Field(description="...")]` → the description.
fn field_description(t: &str) -> Option<String> {
    let i = t.find("description=")?;
    let rest = &t[i + "description=".len()..];
    let q = rest.chars().next()?;
    if q != '"' && q != '\'' {
        return None;
    }
    let body = &rest[1..];
    let end = body.find(q)?;
    Some(body[..end].to_string())
}

/// The `{var}` names of a URI template (RFC 6570 level 1–4 operators stripped).
pub fn uri_vars(uri: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = uri;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        let inner = rest[i + 1..i + j].trim_start_matches(['+', '#', '.', '/', ';', '?', '&']);
        for v in inner.split(',') {
            let v = v.trim_end_matches('*');
            if !v.is_empty() {
                out.push(v.to_string());
            }
        }
        rest = &rest[i + j + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_template_vars() {
        assert_eq!(uri_vars("file://{path}"), vec!["path"]);
        assert_eq!(uri_vars("x://{+a}/{b,c}{?q*}"), vec!["a", "b", "c", "q"]);
    }

    #[test]
    fn annotated_field_description() {
        assert_eq!(
            field_description(r#"Annotated[str, Field(description="The path")]"#).as_deref(),
            Some("The path")
        );
    }
}
