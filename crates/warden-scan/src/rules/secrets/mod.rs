//! hardcoded-secret and secret-leak: credentials in source, configs, outputs and logs.
pub mod env_dump;
pub mod hardcoded;
pub mod in_client_config;
pub mod leak_log;
pub mod leak_output;

use crate::flow::{Hit, clear, label};

/// A hit carrying a credential that was not masked.
pub(crate) fn carries_secret(hit: &Hit) -> bool {
    hit.taint.labels & label::SECRET != 0 && hit.taint.cleared & clear::REDACT == 0
}

/// The credential names in a hit, for messages.
pub(crate) fn secret_names(hit: &Hit) -> String {
    let names: Vec<String> = hit
        .taint
        .origins
        .iter()
        .filter(|o| crate::flow::is_secret_name(o))
        .map(|o| format!("`{o}`"))
        .collect();
    if names.is_empty() {
        "a credential".into()
    } else {
        names.join(", ")
    }
}
