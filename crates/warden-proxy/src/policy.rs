//! The proxy's policy file (TOML) and the decisions it makes. See
//! `docs/proxy-policy.md` for the format and an example.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// The whole policy.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub tools: ToolRules,
    #[serde(default)]
    pub audit: AuditRules,
    #[serde(default)]
    pub strict: StrictRules,
    #[serde(default)]
    pub redact: RedactRules,
    #[serde(default)]
    pub pins: PinRules,
    #[serde(default)]
    pub brake: crate::brake::BrakeRules,
    #[serde(default)]
    pub detect: warden_detect::Rules,
}

/// `[strict]`: check arguments against the server's own `inputSchema`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StrictRules {
    pub enabled: bool,
    /// No string in the arguments may be longer.
    pub max_string_bytes: usize,
}

impl Default for StrictRules {
    fn default() -> StrictRules {
        StrictRules {
            enabled: false,
            max_string_bytes: 64 * 1024,
        }
    }
}

/// `[redact]`: replace credentials in results before the client sees them (on by default).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactRules {
    pub enabled: bool,
}

impl Default for RedactRules {
    fn default() -> RedactRules {
        RedactRules { enabled: true }
    }
}

/// `[pins]`: pin tool definitions and quarantine changes (on by default).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PinRules {
    pub enabled: bool,
}

impl Default for PinRules {
    fn default() -> PinRules {
        PinRules { enabled: true }
    }
}

/// Which tools may be called.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolRules {
    /// If set, only these tools (names or `prefix*` / `*suffix` patterns) may be called.
    pub allow: Option<Vec<String>>,
    /// These may never be called (checked after `allow`).
    #[serde(default)]
    pub deny: Vec<String>,
    /// Refuse tools the server annotates `destructiveHint: true` (unless allowed by name
    /// in `allow_destructive`).
    #[serde(default)]
    pub deny_destructive: bool,
    #[serde(default)]
    pub allow_destructive: Vec<String>,
}

/// What happens when the audit log cannot record a call.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRules {
    /// Forward calls even when they cannot be recorded (default: refuse them).
    #[serde(default)]
    pub fail_open: bool,
}

/// Why a policy file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read the policy file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the policy file {path} is invalid: {message}")]
    Invalid { path: String, message: String },
}

fn matches(pattern: &str, name: &str) -> bool {
    match (pattern.strip_suffix('*'), pattern.strip_prefix('*')) {
        (Some(prefix), _) => name.starts_with(prefix),
        (None, Some(suffix)) => name.ends_with(suffix),
        (None, None) => pattern == name,
    }
}

impl Policy {
    /// Reads a policy file; any unknown key or wrong type is an error naming it.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| PolicyError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// `Err(reason)` if `tool` may not be called. `destructive` is the server's own
    /// `destructiveHint` for it, when known.
    pub fn check_tool(&self, tool: &str, destructive: bool) -> Result<(), String> {
        if let Some(allow) = &self.tools.allow
            && !allow.iter().any(|p| matches(p, tool))
        {
            return Err(format!("tool `{tool}` is not in the policy's allow list"));
        }
        if self.tools.deny.iter().any(|p| matches(p, tool)) {
            return Err(format!("tool `{tool}` is denied by policy"));
        }
        if destructive
            && self.tools.deny_destructive
            && !self
                .tools
                .allow_destructive
                .iter()
                .any(|p| matches(p, tool))
        {
            return Err(format!(
                "tool `{tool}` is marked destructive by the server and the policy refuses destructive tools"
            ));
        }
        Ok(())
    }

    /// Removes the tools that may not be called from a `tools/list` result; returns
    /// whether anything was removed.
    pub fn filter_tools_list(&self, result: &mut Value) -> bool {
        let Some(tools) = result.get_mut("tools").and_then(Value::as_array_mut) else {
            return false;
        };
        let before = tools.len();
        tools.retain(|t| {
            let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
            self.check_tool(name, destructive_hint(t)).is_ok()
        });
        tools.len() != before
    }
}

/// A tool definition's `annotations.destructiveHint`.
pub fn destructive_hint(tool: &Value) -> bool {
    tool.pointer("/annotations/destructiveHint")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(text: &str) -> Policy {
        toml::from_str(text).expect("policy")
    }

    #[test]
    fn allow_deny_and_destructive() {
        let p = policy(
            "[tools]\nallow = [\"get-*\", \"echo\"]\ndeny = [\"get-env\"]\ndeny_destructive = true\nallow_destructive = [\"echo\"]\n",
        );
        assert!(p.check_tool("echo", true).is_ok());
        assert!(p.check_tool("get-sum", false).is_ok());
        assert!(p.check_tool("get-sum", true).is_err());
        assert!(
            p.check_tool("get-env", false)
                .unwrap_err()
                .contains("denied")
        );
        assert!(
            p.check_tool("rm", false)
                .unwrap_err()
                .contains("allow list")
        );
        let mut list = json!({"tools": [{"name": "echo"}, {"name": "get-env"}, {"name": "rm"}]});
        assert!(p.filter_tools_list(&mut list));
        assert_eq!(list, json!({"tools": [{"name": "echo"}]}));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = toml::from_str::<Policy>("[tools]\nalow = [\"x\"]\n").expect_err("typo");
        assert!(e.to_string().contains("alow"), "{e}");
    }
}
