//! The answers of the benchmark's echo server, shared by its stdio and HTTP forms.

use serde_json::{Value, json};

/// The reply to one message, or `None` for a notification.
pub fn answer(msg: &Value) -> Option<Value> {
    let id = msg.get("id")?.clone();
    let result = match msg.get("method").and_then(Value::as_str) {
        Some("initialize") => json!({
            "protocolVersion": "2025-11-25",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "echo", "version": "1"}
        }),
        Some("tools/list") => json!({"tools": [{
            "name": "echo",
            "description": "Echoes its message.",
            "inputSchema": {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]}
        }]}),
        Some("tools/call") => {
            let text = msg
                .pointer("/params/arguments/message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            json!({"content": [{"type": "text", "text": text}], "isError": false})
        }
        _ => json!({}),
    };
    Some(json!({"jsonrpc": "2.0", "id": id, "result": result}))
}
