//! ssrf: tool input choosing where the server sends requests.
pub mod unvalidated_url;
