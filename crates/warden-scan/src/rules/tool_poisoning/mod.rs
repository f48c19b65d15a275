//! tool-poisoning: tool metadata that speaks to the model instead of describing the tool.
pub mod hidden_unicode;
pub mod model_directive;
pub mod sensitive_path;
pub mod tool_shadowing;
pub mod unused_parameter;

use crate::discover::FoundTool;
use crate::ir::Span;
use regex::Regex;
use std::sync::LazyLock;

/// Every model-facing text of a tool: its description and its parameters'
/// descriptions, each with where it is and what it is.
pub(crate) fn texts(t: &FoundTool) -> Vec<(String, usize, Span, String)> {
    let mut out = Vec::new();
    if let (Some(d), Some((m, sp))) = (&t.def.description, t.description_span) {
        out.push((
            d.clone(),
            m,
            sp,
            format!("description of tool `{}`", t.def.name),
        ));
    }
    for (name, d, m, sp) in &t.param_descriptions {
        out.push((
            d.clone(),
            *m,
            *sp,
            format!("description of parameter `{name}` of tool `{}`", t.def.name),
        ));
    }
    out
}

/// A compiled case-insensitive pattern.
pub(crate) fn re(p: &str) -> Regex {
    Regex::new(&format!("(?is){p}"))
        .unwrap_or_else(|e| panic!("built-in pattern {p:?} is invalid: {e}"))
}

/// Imperative verbs that turn a mention into an instruction.
pub(crate) static INSTRUCTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(read|open|cat|include|send|pass|upload|attach|provide|forward|copy|extract|retrieve|fetch|load|contents? of)\b",
    )
});

/// The first match of any pattern, with the matched text.
pub(crate) fn first_match(patterns: &[Regex], text: &str) -> Option<String> {
    patterns
        .iter()
        .find_map(|p| p.find(text).map(|m| m.as_str().to_string()))
}
