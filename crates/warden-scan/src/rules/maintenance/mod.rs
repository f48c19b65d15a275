//! dependency-vuln and maintenance: how the server's dependencies are kept.
pub mod no_lockfile;
pub mod outdated_sdk;
pub mod unpinned_dependency;

use crate::ir::Span;

/// A span on one line.
pub(crate) fn line_span(line: u32) -> Span {
    Span {
        start_line: line,
        start_col: 1,
        end_line: line,
        end_col: 1,
        ..Span::default()
    }
}
