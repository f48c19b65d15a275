//! The rules. Each lives in its own file under a folder named for its category, and
//! declares a [`Rule`] (id, category, CWE, default severity and the four-part docs
//! that generate `docs/rules/`) and a `check` function over the analysis results.

use crate::discover::{FoundTool, Inventory, location};
use crate::flow::{Hit, RunResult, Step};
use crate::ir::Span;
use crate::manifest::Manifests;
use crate::project::Project;
use crate::secrets::SecretMatch;
use warden_core::{Category, Confidence, EvidenceStep, Severity};

pub mod authz;
pub mod code_eval;
pub mod command_injection;
pub mod deserialization;
pub mod maintenance;
pub mod path_traversal;
pub mod permissions;
pub mod prompt_injection;
pub mod rug_pull;
pub mod secrets;
pub mod sql_injection;
pub mod ssrf;
pub mod tool_poisoning;
pub mod transport;

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, used in suppressions and baselines. Never changes once published.
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    pub category: Category,
    pub cwe: &'static str,
    /// Default severity; a check may lower it for weaker evidence.
    pub severity: Severity,
    /// What it finds.
    pub what: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// A vulnerable example.
    pub example: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    pub check: fn(&Cx, &mut Vec<Raw>),
}

/// A finding before fingerprints and suppressions are applied.
#[derive(Debug, Clone)]
pub struct Raw {
    pub rule: &'static Rule,
    pub module: Option<usize>,
    /// Path for findings outside parsed modules (config files, manifests).
    pub path: Option<String>,
    pub span: Span,
    pub tool: Option<String>,
    pub message: String,
    pub evidence: Vec<EvidenceStep>,
    pub severity: Severity,
    pub confidence: Confidence,
}

/// Everything the rules look at.
pub struct Cx<'a> {
    pub p: &'a Project,
    pub inv: &'a Inventory,
    /// One run per entry of `inv.handlers`.
    pub runs: &'a [RunResult],
    /// Module-level runs (no tool arguments), one per module.
    pub module_runs: &'a [RunResult],
    pub secrets: &'a [SecretMatch],
    pub manifests: &'a Manifests,
    /// Per handler run: indices of the tools it serves.
    pub tools_of: Vec<Vec<usize>>,
    /// Per handler run: arguments constrained by their declared types.
    pub constrained_of: Vec<Vec<(String, u8)>>,
}

impl<'a> Cx<'a> {
    /// The tools handled by handler run `h`, and which of them a hit belongs to.
    pub fn tool_for(&self, h: usize, root_site: Span) -> Option<&FoundTool> {
        let tools: Vec<&FoundTool> = self.tools_of[h]
            .iter()
            .map(|&i| &self.inv.tools[i])
            .collect();
        match tools.as_slice() {
            [only] if only.branch.is_none() => Some(*only),
            many => many.iter().copied().find(|t| {
                t.branch.is_some_and(|b| {
                    b.start_byte <= root_site.start_byte && root_site.end_byte <= b.end_byte
                })
            }),
        }
    }

    /// Every (handler index, hit) pair.
    pub fn hits(&self) -> impl Iterator<Item = (usize, &Hit)> {
        self.runs
            .iter()
            .enumerate()
            .flat_map(|(h, r)| r.hits.iter().map(move |x| (h, x)))
    }

    /// Converts flow steps to report evidence.
    pub fn evidence(&self, steps: &[Step]) -> Vec<EvidenceStep> {
        steps
            .iter()
            .map(|s| EvidenceStep {
                location: location(self.p, s.module, s.span),
                note: s.note.clone(),
            })
            .collect()
    }

    /// A finding for a hit in run `h`.
    pub fn from_hit(
        &self,
        rule: &'static Rule,
        h: usize,
        hit: &Hit,
        message: String,
        confidence: Confidence,
    ) -> Raw {
        let tool = self.tool_for(h, hit.root_site).map(|t| t.def.name.clone());
        Raw {
            rule,
            module: Some(hit.module),
            path: None,
            span: hit.span,
            tool,
            message,
            evidence: self.evidence(&hit.taint.steps),
            severity: rule.severity,
            confidence,
        }
    }

    /// The bits that guards collected in run `h` clear for every origin of `hit`;
    /// a hit is sanitised only if all its origins are.
    pub fn cleared(&self, h: usize, hit: &Hit, bits: u8) -> bool {
        if hit.taint.cleared & bits == bits {
            return true;
        }
        let guards = &self.runs[h].guards.cleared;
        let seeded = &self.constrained_of[h];
        !hit.taint.origins.is_empty()
            && hit.taint.origins.iter().all(|o| {
                guards.get(o).is_some_and(|g| g & bits == bits)
                    || seeded
                        .iter()
                        .any(|(n, b)| n.as_str() == &**o && b & bits == bits)
            })
    }

    /// Builds the rule context, with per-handler indexes.
    pub fn new(
        p: &'a Project,
        inv: &'a Inventory,
        runs: &'a [RunResult],
        module_runs: &'a [RunResult],
        secrets: &'a [SecretMatch],
        manifests: &'a Manifests,
    ) -> Cx<'a> {
        let mut tools_of = vec![Vec::new(); inv.handlers.len()];
        let mut constrained_of = vec![Vec::new(); inv.handlers.len()];
        for (i, t) in inv.tools.iter().enumerate() {
            if let Some(h) = t.handler {
                tools_of[h].push(i);
                constrained_of[h].extend(t.constrained.iter().cloned());
            }
        }
        Cx {
            p,
            inv,
            runs,
            module_runs,
            secrets,
            manifests,
            tools_of,
            constrained_of,
        }
    }

    /// A finding at a tool's registration.
    pub fn at_tool(
        &self,
        rule: &'static Rule,
        t: &FoundTool,
        message: String,
        confidence: Confidence,
    ) -> Raw {
        Raw {
            rule,
            module: Some(t.module),
            path: Some(t.def.location.path.clone()),
            span: Span {
                start_line: t.def.location.start_line,
                start_col: t.def.location.start_column,
                end_line: t.def.location.end_line,
                end_col: t.def.location.end_column,
                ..Span::default()
            },
            tool: Some(t.def.name.clone()),
            message,
            evidence: Vec::new(),
            severity: rule.severity,
            confidence,
        }
    }
}

/// Calls `f(module, statement)` for every statement of every function of the project
/// (nested statements included, nested functions visited as functions of their own).
pub fn each_stmt<'p>(p: &'p Project, mut f: impl FnMut(usize, &'p crate::ir::Stmt)) {
    for (mi, m) in p.modules.iter().enumerate() {
        for func in &m.functions {
            for s in &func.body {
                s.walk(&mut |s| f(mi, s));
            }
        }
    }
}

/// Calls `f(module, call)` for every call expression of the project.
pub fn each_call<'p>(p: &'p Project, mut f: impl FnMut(usize, &'p crate::ir::Call)) {
    each_stmt(p, |mi, s| {
        for e in s.exprs() {
            e.walk(&mut |x| {
                if let crate::ir::Expr::Call(c) = x {
                    f(mi, c);
                }
            });
        }
    });
}

/// A finding at a module's span with no tool and no evidence (module-level rules).
pub fn at_span(
    rule: &'static Rule,
    module: usize,
    span: Span,
    message: String,
    confidence: Confidence,
) -> Raw {
    Raw {
        rule,
        module: Some(module),
        path: None,
        span,
        tool: None,
        message,
        evidence: Vec::new(),
        severity: rule.severity,
        confidence,
    }
}

/// Upper-cases the first letter of a message.
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Every rule, in id order within categories. The order is the order of the docs.
pub fn all() -> Vec<&'static Rule> {
    vec![
        &command_injection::shell_injection::RULE,
        &command_injection::arbitrary_command::RULE,
        &command_injection::argument_injection::RULE,
        &code_eval::dynamic_code::RULE,
        &code_eval::dynamic_import::RULE,
        &deserialization::unsafe_load::RULE,
        &sql_injection::string_built_query::RULE,
        &sql_injection::raw_query_tool::RULE,
        &path_traversal::unchecked_access::RULE,
        &path_traversal::prefix_check_no_separator::RULE,
        &path_traversal::archive_extraction::RULE,
        &ssrf::unvalidated_url::RULE,
        &prompt_injection::untrusted_content_returned::RULE,
        &prompt_injection::lethal_trifecta::RULE,
        &tool_poisoning::model_directive::RULE,
        &tool_poisoning::tool_shadowing::RULE,
        &tool_poisoning::sensitive_path::RULE,
        &tool_poisoning::hidden_unicode::RULE,
        &tool_poisoning::unused_parameter::RULE,
        &rug_pull::mutable_description::RULE,
        &authz::missing_ownership_check::RULE,
        &authz::fail_open_guard::RULE,
        &secrets::hardcoded::RULE,
        &secrets::in_client_config::RULE,
        &secrets::leak_output::RULE,
        &secrets::leak_log::RULE,
        &secrets::env_dump::RULE,
        &permissions::readonly_hint_contradicted::RULE,
        &permissions::destructive_without_hint::RULE,
        &permissions::closed_world_network::RULE,
        &permissions::unrestricted_fs_root::RULE,
        &transport::unauthenticated_bind_all::RULE,
        &transport::no_origin_check::RULE,
        &maintenance::no_lockfile::RULE,
        &maintenance::unpinned_dependency::RULE,
        &maintenance::outdated_sdk::RULE,
    ]
}

/// Looks a rule up by id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.id == id)
}
