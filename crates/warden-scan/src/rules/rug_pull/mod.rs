//! rug-pull: tool definitions that change after the user approved them.
pub mod mutable_description;
