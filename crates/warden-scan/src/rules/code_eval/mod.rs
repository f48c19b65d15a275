//! code-eval: tool input evaluated or imported as code.
pub mod dynamic_code;
pub mod dynamic_import;
