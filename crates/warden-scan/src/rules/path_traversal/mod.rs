//! path-traversal: tool input naming files outside the intended root.
pub mod archive_extraction;
pub mod prefix_check_no_separator;
pub mod unchecked_access;

use crate::flow::{Hit, HitKind, label};
use crate::rules::Cx;
use crate::sinks::Effect;

/// A filesystem sink reached by tool input.
pub(crate) fn fs_hit(hit: &Hit) -> bool {
    matches!(
        hit.kind,
        HitKind::Sink(Effect::FsRead | Effect::FsWrite | Effect::FsDelete)
    ) && hit.taint.labels & label::ARG != 0
}

/// Whether one of the hit's inputs was checked with a prefix test lacking a separator.
pub(crate) fn prefix_without_separator(cx: &Cx, h: usize, hit: &Hit) -> bool {
    hit.taint
        .origins
        .iter()
        .any(|o| cx.runs[h].guards.prefix_no_sep.contains_key(o))
}

/// A few words for what the sink does.
pub(crate) fn verb(hit: &Hit) -> &'static str {
    match hit.kind {
        HitKind::Sink(Effect::FsWrite) => "writes",
        HitKind::Sink(Effect::FsDelete) => "deletes",
        _ => "reads",
    }
}
