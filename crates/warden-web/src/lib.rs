//! The scan-history dashboard (`warden serve`) and the self-contained HTML report
//! (`warden scan --format html`).
//!
//! - [`pages`]: the pages over a store (and an incident case), as plain functions from a
//!   path and query to a status and HTML; and [`pages::render_report`] for a report file;
//! - [`server`]: hyper 1 on a loopback address (GET/HEAD only, Host check, strict CSP);
//! - [`view`] and [`chart`]: what the templates read (code context read safely from the
//!   scanned tree; the chart's coordinates for inline SVG).
//!
//! Everything from the store, a report or a case is attacker-influenced (the scanned
//! repository chooses file names, messages, tool descriptions), so the templates escape
//! every value (autoescape on for every template), no script is inline, and nothing is
//! ever loaded from another origin.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chart;
pub mod pages;
pub mod server;
pub mod view;

pub use pages::{Dashboard, Page, render_report};

/// Why a page or the server could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The request is malformed (a bad id, a missing parameter): 400.
    #[error("{0}")]
    BadRequest(String),
    /// No such scan, target or page: 404.
    #[error("{0}")]
    NotFound(String),
    /// The store failed: 500.
    #[error(transparent)]
    Store(#[from] warden_history::store::StoreError),
    /// A template failed to render (a bug: the tests render every page): 500.
    #[error("a page template failed: {0}")]
    Template(String),
    /// The incident case could not be read: 500.
    #[error("cannot read the incident case in {dir}: {why}; check the directory given to --case")]
    Case {
        /// The case directory.
        dir: String,
        /// What failed.
        why: String,
    },
    /// The scan report could not be turned into a page.
    #[error("the scan report cannot be rendered as HTML: {0}")]
    Report(String),
    /// The listening address is refused or unusable.
    #[error("{0}")]
    Listen(String),
}

impl WebError {
    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            WebError::BadRequest(_) => 400,
            WebError::NotFound(_) => 404,
            _ => 500,
        }
    }
}
