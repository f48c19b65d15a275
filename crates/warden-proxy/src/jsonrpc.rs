//! JSON-RPC 2.0 message classification, on a value parsed once. The proxy forwards the
//! original bytes; this only tells it what a line is.

use serde_json::Value;

/// What a message is.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'a> {
    /// A request: has a method and an id.
    Request { id: &'a Value, method: &'a str },
    /// A notification: a method and no id.
    Notification { method: &'a str },
    /// A response: an id and `result` or `error`.
    Response { id: &'a Value },
    /// Anything else (not an object, no `jsonrpc: "2.0"`, a batch array, ...).
    Invalid(&'static str),
}

/// Classifies a parsed message.
pub fn classify(v: &Value) -> Kind<'_> {
    let Value::Object(m) = v else {
        return Kind::Invalid(if v.is_array() {
            "JSON-RPC batches are not supported by MCP since 2025-06-18"
        } else {
            "a JSON-RPC message must be an object"
        });
    };
    if m.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Kind::Invalid("missing \"jsonrpc\": \"2.0\"");
    }
    match (m.get("method"), m.get("id")) {
        (Some(Value::String(method)), Some(id)) if valid_id(id) => Kind::Request { id, method },
        (Some(Value::String(method)), None) => Kind::Notification { method },
        (Some(_), _) => Kind::Invalid("method must be a string and id a string or integer"),
        (None, Some(id)) if m.contains_key("result") || m.contains_key("error") => {
            Kind::Response { id }
        }
        _ => Kind::Invalid("neither a request, a notification nor a response"),
    }
}

fn valid_id(id: &Value) -> bool {
    id.is_string() || id.is_i64() || id.is_u64()
}

/// A JSON-RPC error response, serialised.
pub fn error_response(id: &Value, code: i64, message: &str, data: Option<Value>) -> Vec<u8> {
    let mut err = serde_json::json!({ "code": code, "message": message });
    if let Some(d) = data {
        err["data"] = d;
    }
    let v = serde_json::json!({ "jsonrpc": "2.0", "id": id, "error": err });
    let mut out = serde_json::to_vec(&v).unwrap_or_default();
    out.push(b'\n');
    out
}

/// A stable text form of an id, for maps and records (`"7"` for 7, `"s:abc"` for "abc",
/// so the number 7 and the string "7" stay distinct).
pub fn id_key(id: &Value) -> String {
    match id {
        Value::String(s) => format!("s:{s}"),
        other => other.to_string(),
    }
}

/// JSON-RPC error codes the proxy uses.
pub mod code {
    /// Invalid JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// Not a valid request.
    pub const INVALID_REQUEST: i64 = -32600;
    /// Refused by the proxy: policy, fence, revoked session, quarantined tool.
    pub const REFUSED: i64 = -32001;
    /// The audit log could not record the call, so it was not forwarded.
    pub const AUDIT_UNAVAILABLE: i64 = -32002;
    /// The upstream server went away.
    pub const UPSTREAM_GONE: i64 = -32003;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_messages() {
        let req = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}});
        assert!(matches!(
            classify(&req),
            Kind::Request {
                method: "tools/call",
                ..
            }
        ));
        let note = json!({"jsonrpc":"2.0","method":"notifications/initialized"});
        assert!(matches!(classify(&note), Kind::Notification { .. }));
        let resp = json!({"jsonrpc":"2.0","id":"a","result":{}});
        assert!(matches!(classify(&resp), Kind::Response { .. }));
        for bad in [
            json!([1]),
            json!("x"),
            json!({"id":1,"method":"m"}),
            json!({"jsonrpc":"2.0","id":1.5,"method":"m"}),
            json!({"jsonrpc":"2.0","id":{},"method":"m"}),
            json!({"jsonrpc":"2.0","id":1}),
        ] {
            assert!(matches!(classify(&bad), Kind::Invalid(_)), "{bad}");
        }
    }

    #[test]
    fn id_keys_keep_numbers_and_strings_apart() {
        assert_ne!(id_key(&json!(7)), id_key(&json!("7")));
    }
}
