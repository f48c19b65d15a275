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
    /// Tool rules for one principal, applied on top of `[tools]`.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    #[serde(default)]
    pub rate: RateRules,
    #[serde(default)]
    pub auth: AuthRules,
    #[serde(default)]
    pub network: NetworkRules,
    #[serde(default)]
    pub alerts: AlertRules,
}

/// `[[scopes]]`: what one principal may call, narrowing `[tools]` (never widening it).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub principal: String,
    pub allow: Option<Vec<String>>,
    #[serde(default)]
    pub deny: Vec<String>,
    /// Destructive tools this principal may call although `[tools] deny_destructive`
    /// refuses them to everyone else.
    #[serde(default)]
    pub allow_destructive: Vec<String>,
}

/// `[rate]`: token buckets per session (all tools) and per session and tool. Zero is off.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateRules {
    /// Tool calls per second one session may make on average.
    pub per_session: f64,
    /// Calls a session may make at once before the rate applies (default: one second's).
    pub burst: f64,
    /// Calls per second per session for particular tools (names or patterns).
    pub tools: std::collections::BTreeMap<String, f64>,
}

/// `[auth]`: who the HTTP clients are. A principal is named by the SHA-256 of its
/// bearer token, so the policy file holds no usable credential.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthRules {
    /// Refuse HTTP requests without a known bearer token (401).
    pub require: bool,
    pub principals: Vec<Principal>,
}

/// One `[[auth.principals]]` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    pub name: String,
    /// Hex SHA-256 of the bearer token (`printf %s "$TOKEN" | sha256sum`).
    pub token_sha256: String,
}

/// `[network]`: client addresses refused from the start (more can be blocked at run time).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkRules {
    /// Addresses or CIDR blocks, e.g. `"203.0.113.0/24"`.
    pub block: Vec<String>,
    /// Host names the HTTP proxy answers to besides the loopback ones (`Host` and
    /// `Origin` are checked against them: DNS rebinding protection).
    pub allow_hosts: Vec<String>,
}

/// `[alerts]`: where alerts go besides stderr, the alerts file and the ledger.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertRules {
    /// An `http://` URL each alert is POSTed to as JSON (best effort, 2 s timeout).
    pub webhook: Option<String>,
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

/// Whether `name` matches a tool pattern (`name`, `prefix*` or `*suffix`).
pub fn matches(pattern: &str, name: &str) -> bool {
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
        let policy: Policy = toml::from_str(&text).map_err(|e| PolicyError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        policy.validate().map_err(|message| PolicyError::Invalid {
            path: path.display().to_string(),
            message,
        })?;
        Ok(policy)
    }

    /// Checks what the types cannot: addresses, hashes, rates.
    pub fn validate(&self) -> Result<(), String> {
        for b in &self.network.block {
            crate::net::Cidr::parse(b).map_err(|e| format!("[network] block: {e}"))?;
        }
        for p in &self.auth.principals {
            if p.token_sha256.len() != 64 || !p.token_sha256.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(format!(
                    "[[auth.principals]] `{}`: token_sha256 must be 64 hex digits (printf %s \"$TOKEN\" | sha256sum)",
                    p.name
                ));
            }
        }
        let rates = [self.rate.per_session, self.rate.burst]
            .into_iter()
            .chain(self.rate.tools.values().copied());
        if rates.into_iter().any(|r| !r.is_finite() || r < 0.0) {
            return Err("[rate]: rates must be finite and not negative".into());
        }
        if let Some(url) = &self.alerts.webhook
            && !url.starts_with("http://")
        {
            return Err(format!(
                "[alerts] webhook `{url}`: only http:// URLs are supported (put a local relay in front of an https endpoint)"
            ));
        }
        Ok(())
    }

    /// The principal a bearer token names, if any.
    pub fn principal_for_token(&self, token: &str) -> Option<&str> {
        use sha2::Digest as _;
        let digest = warden_ledger::hmac::hex(&sha2::Sha256::digest(token.as_bytes()));
        self.auth
            .principals
            .iter()
            .find(|p| p.token_sha256.eq_ignore_ascii_case(&digest))
            .map(|p| p.name.as_str())
    }

    /// `Err(reason)` if `tool` may not be called by `principal`. `destructive` is the
    /// server's own `destructiveHint` for it, when known.
    pub fn check_tool(
        &self,
        tool: &str,
        destructive: bool,
        principal: Option<&str>,
    ) -> Result<(), String> {
        if let Some(allow) = &self.tools.allow
            && !allow.iter().any(|p| matches(p, tool))
        {
            return Err(format!("tool `{tool}` is not in the policy's allow list"));
        }
        if self.tools.deny.iter().any(|p| matches(p, tool)) {
            return Err(format!("tool `{tool}` is denied by policy"));
        }
        if let Some(who) = principal {
            for scope in self.scopes.iter().filter(|s| s.principal == who) {
                if let Some(allow) = &scope.allow
                    && !allow.iter().any(|p| matches(p, tool))
                {
                    return Err(format!("tool `{tool}` is outside the scope of `{who}`"));
                }
                if scope.deny.iter().any(|p| matches(p, tool)) {
                    return Err(format!("tool `{tool}` is denied to `{who}`"));
                }
            }
        }
        let allowed_for_principal = principal.is_some_and(|who| {
            self.scopes
                .iter()
                .filter(|s| s.principal == who)
                .any(|s| s.allow_destructive.iter().any(|p| matches(p, tool)))
        });
        if destructive
            && self.tools.deny_destructive
            && !allowed_for_principal
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
    pub fn filter_tools_list(&self, result: &mut Value, principal: Option<&str>) -> bool {
        let Some(tools) = result.get_mut("tools").and_then(Value::as_array_mut) else {
            return false;
        };
        let before = tools.len();
        tools.retain(|t| {
            let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
            self.check_tool(name, destructive_hint(t), principal)
                .is_ok()
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
        assert!(p.check_tool("echo", true, None).is_ok());
        assert!(p.check_tool("get-sum", false, None).is_ok());
        assert!(p.check_tool("get-sum", true, None).is_err());
        assert!(
            p.check_tool("get-env", false, None)
                .unwrap_err()
                .contains("denied")
        );
        assert!(
            p.check_tool("rm", false, None)
                .unwrap_err()
                .contains("allow list")
        );
        let mut list = json!({"tools": [{"name": "echo"}, {"name": "get-env"}, {"name": "rm"}]});
        assert!(p.filter_tools_list(&mut list, None));
        assert_eq!(list, json!({"tools": [{"name": "echo"}]}));
    }

    #[test]
    fn scopes_narrow_per_principal() {
        let p = policy(
            "[[scopes]]\nprincipal = \"bot\"\nallow = [\"get-*\"]\n[[scopes]]\nprincipal = \"ops\"\ndeny = [\"rm\"]\n",
        );
        assert!(p.check_tool("rm", false, None).is_ok());
        assert!(
            p.check_tool("rm", false, Some("bot"))
                .unwrap_err()
                .contains("scope")
        );
        assert!(p.check_tool("get-x", false, Some("bot")).is_ok());
        assert!(
            p.check_tool("rm", false, Some("ops"))
                .unwrap_err()
                .contains("denied to")
        );
        let mut list = json!({"tools": [{"name": "get-x"}, {"name": "rm"}]});
        assert!(p.filter_tools_list(&mut list, Some("bot")));
        let d = policy(
            "[tools]\ndeny_destructive = true\n[[scopes]]\nprincipal = \"ops\"\nallow_destructive = [\"drop-*\"]\n",
        );
        assert!(d.check_tool("drop-table", true, None).is_err());
        assert!(d.check_tool("drop-table", true, Some("ops")).is_ok());
        assert!(d.check_tool("drop-table", true, Some("bot")).is_err());
        assert_eq!(list, json!({"tools": [{"name": "get-x"}]}));
    }

    #[test]
    fn principals_are_found_by_token_digest_and_checked() {
        // sha256("s3cret")
        let p = policy(
            "[auth]\nrequire = true\n[[auth.principals]]\nname = \"alice\"\ntoken_sha256 = \"1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0\"\n",
        );
        assert!(p.validate().is_ok());
        assert_eq!(p.principal_for_token("s3cret"), Some("alice"));
        assert_eq!(p.principal_for_token("other"), None);
        let bad = policy("[[auth.principals]]\nname = \"x\"\ntoken_sha256 = \"abc\"\n");
        assert!(bad.validate().unwrap_err().contains("64 hex"));
        let bad = policy("[network]\nblock = [\"10.0.0.0/33\"]\n");
        assert!(bad.validate().is_err());
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = toml::from_str::<Policy>("[tools]\nalow = [\"x\"]\n").expect_err("typo");
        assert!(e.to_string().contains("alow"), "{e}");
    }
}
