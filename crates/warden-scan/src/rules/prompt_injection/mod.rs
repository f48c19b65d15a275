//! prompt-injection-exposure: external text handed to the model as if it were trusted.
pub mod lethal_trifecta;
pub mod untrusted_content_returned;

use crate::flow::{Hit, HitKind, label};

/// A handler return carrying external content.
pub(crate) fn returns_external(hit: &Hit) -> bool {
    hit.kind == HitKind::Return && hit.taint.labels & label::EXTERNAL != 0
}
