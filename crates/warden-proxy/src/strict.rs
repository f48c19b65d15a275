//! Strict arguments: every call is checked against the `inputSchema` the server itself
//! advertised in `tools/list` (JSON Schema, 2020-12 unless the schema says otherwise),
//! and beyond it: keys the schema does not name are refused even if it would allow them,
//! and no string may exceed a size limit. The model gets a precise error instead of the
//! server getting a surprise.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

/// Compiled schemas by tool name.
#[derive(Default)]
pub struct Schemas {
    tools: HashMap<String, Result<Arc<Tool>, String>>,
}

/// One tool's compiled schema.
pub struct Tool {
    validator: jsonschema::Validator,
    /// The property names, when the schema lists them.
    properties: Option<Vec<String>>,
}

impl Schemas {
    /// Learns the tools of a `tools/list` result.
    pub fn learn(&mut self, tools: &[Value]) {
        for t in tools {
            let Some(name) = t.get("name").and_then(Value::as_str) else {
                continue;
            };
            let schema = t.get("inputSchema").cloned().unwrap_or(Value::Bool(true));
            let compiled = jsonschema::validator_for(&schema)
                .map(|validator| {
                    let properties = schema
                        .get("properties")
                        .and_then(Value::as_object)
                        .map(|p| p.keys().cloned().collect());
                    Arc::new(Tool {
                        validator,
                        properties,
                    })
                })
                .map_err(|e| {
                    format!("the server's inputSchema for `{name}` does not compile: {e}")
                });
            self.tools.insert(name.to_string(), compiled);
        }
    }

    /// `Err(reason)` if `args` may not be sent to `tool`.
    pub fn check(&self, tool: &str, args: &Value, max_string: usize) -> Result<(), String> {
        let compiled = match self.tools.get(tool) {
            None => {
                return Err(format!(
                    "strict arguments: no inputSchema is known for `{tool}` (the client has not listed tools, or the server does not offer it)"
                ));
            }
            Some(Err(e)) => return Err(e.clone()),
            Some(Ok(t)) => t.clone(),
        };
        let empty = Value::Object(Default::default());
        let args = if args.is_null() { &empty } else { args };
        if let Some(long) = longest_string(args, 0)
            && long > max_string
        {
            return Err(format!(
                "strict arguments: a string of {long} bytes is over the {max_string}-byte limit"
            ));
        }
        if let (Some(props), Some(obj)) = (&compiled.properties, args.as_object()) {
            let unknown: Vec<&str> = obj
                .keys()
                .filter(|k| !props.iter().any(|p| p == *k))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                return Err(format!(
                    "strict arguments: `{tool}` does not declare {}",
                    unknown
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        let errors: Vec<String> = compiled
            .validator
            .iter_errors(args)
            .take(3)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!(
                    "{}{e}",
                    if at.is_empty() {
                        String::new()
                    } else {
                        format!("{at}: ")
                    }
                )
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "strict arguments: the arguments do not match `{tool}`'s inputSchema: {}",
                errors.join("; ")
            ))
        }
    }
}

fn longest_string(v: &Value, depth: usize) -> Option<usize> {
    if depth > 64 {
        return None;
    }
    match v {
        Value::String(s) => Some(s.len()),
        Value::Array(a) => a.iter().filter_map(|x| longest_string(x, depth + 1)).max(),
        Value::Object(m) => m
            .values()
            .filter_map(|x| longest_string(x, depth + 1))
            .max(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas() -> Schemas {
        let mut s = Schemas::default();
        s.learn(&[json!({
            "name": "add",
            "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                            "required": ["a", "b"]}
        })]);
        s
    }

    #[test]
    fn valid_arguments_pass() {
        assert!(
            schemas()
                .check("add", &json!({"a": 1, "b": 2.5}), 100)
                .is_ok()
        );
    }

    #[test]
    fn wrong_types_unknown_keys_missing_and_oversize_are_refused() {
        let s = schemas();
        let e = s.check("add", &json!({"a": "1", "b": 2}), 100).unwrap_err();
        assert!(e.contains("/a"), "{e}");
        let e = s
            .check("add", &json!({"a": 1, "b": 2, "cmd": "rm"}), 100)
            .unwrap_err();
        assert!(e.contains("`cmd`"), "{e}");
        assert!(s.check("add", &json!({"a": 1}), 100).is_err());
        let e = s
            .check("add", &json!({"a": 1, "b": 2, "x": "y".repeat(200)}), 100)
            .unwrap_err();
        assert!(e.contains("200 bytes"), "{e}");
        assert!(
            s.check("unknown", &json!({}), 100)
                .unwrap_err()
                .contains("no inputSchema")
        );
    }
}
