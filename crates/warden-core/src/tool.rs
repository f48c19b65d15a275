//! Tool definitions as discovery finds them in source.

use crate::finding::Location;
use serde::{Deserialize, Serialize};

/// The behaviour hints of the MCP `ToolAnnotations` object, as declared in source.
/// `None` means the hint is not declared (the protocol then assumes the worst).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotations {
    /// `readOnlyHint`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub read_only: Option<bool>,
    /// `destructiveHint`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub destructive: Option<bool>,
    /// `idempotentHint`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub idempotent: Option<bool>,
    /// `openWorldHint`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub open_world: Option<bool>,
}

/// One input parameter of a tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    /// The argument's name.
    pub name: String,
    /// The declared type, as written (`string`, `z.string()`, `int`), if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub r#type: Option<String>,
    /// The parameter description shown to the model, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// Whether the handler ever reads the parameter; `None` when it cannot be told.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub used: Option<bool>,
    /// Where the parameter is declared.
    pub location: Location,
}

/// What a tool's handler touches, seen from the calls it and its helpers make.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touches {
    /// Reads or writes files.
    pub filesystem: bool,
    /// Makes outbound network requests.
    pub network: bool,
    /// Starts processes.
    pub subprocess: bool,
    /// Queries a database.
    pub database: bool,
    /// Reads environment variables or configuration secrets.
    pub environment: bool,
    /// Evaluates or loads code at run time.
    pub dynamic_code: bool,
}

impl Touches {
    /// The names of what is touched, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (on, name) in [
            (self.filesystem, "filesystem"),
            (self.network, "network"),
            (self.subprocess, "subprocess"),
            (self.database, "database"),
            (self.environment, "environment"),
            (self.dynamic_code, "dynamic-code"),
        ] {
            if on {
                out.push(name);
            }
        }
        out
    }
}

/// An MCP tool (or resource template) found in source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDef {
    /// The tool name the model sees.
    pub name: String,
    /// `tool` or `resource-template`.
    pub kind: String,
    /// The description the model sees, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// Declared input parameters (for a resource template, its URI variables).
    pub params: Vec<Param>,
    /// Declared annotations.
    pub annotations: Annotations,
    /// Where the tool is registered.
    pub location: Location,
    /// Where its handler is, if it was found.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub handler: Option<Location>,
    /// What the handler touches.
    pub touches: Touches,
    /// The SDK shape that registered it, e.g. `ts:registerTool`, `py:fastmcp-decorator`.
    pub sdk: String,
}
