//! excessive-permissions: declared capability that disagrees with what the code does.
pub mod closed_world_network;
pub mod destructive_without_hint;
pub mod readonly_hint_contradicted;
pub mod unrestricted_fs_root;

use crate::discover::FoundTool;
use crate::flow::EffectSeen;
use crate::rules::Cx;

/// The effects seen in a tool's handler run.
pub(crate) fn effects<'a>(cx: &'a Cx, t: &FoundTool) -> Vec<&'a EffectSeen> {
    match t.handler {
        // A handler that serves several tools without a branch per tool (a dispatcher
        // in a helper, a table lookup): its effects cannot be pinned on one tool.
        Some(h) if t.branch.is_none() && cx.tools_of[h].len() > 1 => Vec::new(),
        Some(h) if t.branch.is_none() => cx.runs[h].effects.seen.iter().collect(),
        // Tools that share a dispatcher get the effects reached from their own branch.
        Some(h) => cx.runs[h]
            .effects
            .sites
            .iter()
            .filter(|(_, site)| {
                cx.tool_for(h, *site)
                    .is_some_and(|x| x.def.name == t.def.name)
            })
            .map(|(e, _)| e)
            .collect(),
        None => Vec::new(),
    }
}
