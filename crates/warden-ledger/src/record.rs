//! The ledger's record schema, version 1 (documented in `docs/ledger-format.md`).
//!
//! A record is a JSON object stored as its canonical bytes (RFC 8785 with exact 64-bit
//! integers, see [`warden_core::jcs::to_string_wide_ints`]). Attribute names follow the
//! OpenTelemetry MCP semantic conventions where one exists. Tool arguments are never
//! stored: only `args_digest`, an HMAC-SHA-256 under the ledger's argument key (or a
//! plain SHA-256 where the operator chose that).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::hmac::{hex, hmac_sha256};

/// The schema version written in every record's `v`.
pub const SCHEMA_VERSION: u64 = 1;

/// Domain separation for argument digests, so they never collide with another use of
/// the same key.
const ARGS_DOMAIN: &[u8] = b"warden-ledger/args/v1\n";

/// Record kinds the schema defines; anything else must be under `app.`.
pub const KINDS: &[&str] = &[
    "tool.intent",
    "tool.result",
    "rpc.call",
    "admin.open",
    "admin.fence",
    "admin.unfence",
    "admin.revoke",
    "admin.block",
    "admin.unblock",
    "admin.repair",
    "admin.key_rotation",
    "admin.approve",
];

/// One ledger record.
///
/// Fields are declared in RFC 8785 order (by UTF-16 code units of their serialised
/// names), so serialising the struct directly yields the canonical form; the free-form
/// maps are sorted on the way out by [`sorted`]. A test checks the result against the
/// general canonicalizer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Details of an `admin.*` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "sorted")]
    pub admin: Option<Map<String, Value>>,
    /// `hmac-sha256:<hex>` or `sha256:<hex>` of the canonical arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args_digest: Option<String>,
    /// Which argument key made an `hmac-sha256` digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args_key_id: Option<String>,
    /// Anything else the producer supplied (integers, strings, booleans, nesting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "sorted")]
    pub attributes: Option<Map<String, Value>>,
    /// Links a tool call's intent and result (session and JSON-RPC id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    #[serde(
        rename = "client.address",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub client_address: Option<String>,
    #[serde(
        rename = "gen_ai.tool.name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tool_name: Option<String>,
    #[serde(
        rename = "jsonrpc.request.id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub request_id: Option<String>,
    /// `tool.intent`, `tool.result`, `rpc.call` (any other MCP request, recorded with
    /// its response), `admin.*`, or `app.*` for lines a server wrote.
    pub kind: String,
    #[serde(
        rename = "mcp.method.name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub method: Option<String>,
    #[serde(
        rename = "mcp.protocol.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol_version: Option<String>,
    #[serde(
        rename = "mcp.session.id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub session_id: Option<String>,
    #[serde(
        rename = "network.transport",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub network_transport: Option<String>,
    /// What a tool call returned (on `tool.result`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultSummary>,
    /// When the event happened, Unix nanoseconds.
    pub time_unix_nano: u64,
    /// Schema version ([`SCHEMA_VERSION`]).
    pub v: u64,
}

/// A record's canonical bytes. Only [`Record::canonical`] makes one, so the writer can
/// never be handed bytes that are not a valid record of this schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical(Vec<u8>);

impl Canonical {
    /// The bytes stored and hashed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The summary of a tool call's result. Later layers (the proxy) fill the extracted ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultSummary {
    /// Size of the result in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_classes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_nano: Option<u64>,
    #[serde(
        rename = "error.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbound_hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_ids: Vec<String>,
    /// `ok`, `error` (the tool reported an error), `denied` (policy) or `failed`
    /// (transport / JSON-RPC error).
    pub status: String,
}

/// Why a record could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("a record must be a JSON object, found {0}")]
    NotObject(&'static str),
    #[error("field `{field}`: {why}")]
    Field { field: String, why: String },
    #[error(
        "kind `{0}` is not allowed: use one of {kinds} or a name under `app.` or `alert.` (letters, digits, '.', '_', '-')",
        kinds = KINDS.join(", ")
    )]
    Kind(String),
    #[error("{0}")]
    Canonical(#[from] warden_core::jcs::JcsError),
}

impl Record {
    /// A record of `kind` at `time_unix_nano`, other fields empty.
    pub fn new(kind: &str, time_unix_nano: u64) -> Record {
        Record {
            v: SCHEMA_VERSION,
            kind: kind.to_string(),
            time_unix_nano,
            ..Record::default()
        }
    }

    /// An `admin.*` record with its details.
    pub fn admin(kind: &str, time_unix_nano: u64, details: Map<String, Value>) -> Record {
        Record {
            admin: Some(details),
            ..Record::new(kind, time_unix_nano)
        }
    }

    /// The canonical bytes stored in the ledger (and hashed into the tree).
    pub fn to_canonical(&self) -> Result<Vec<u8>, RecordError> {
        check_kind(&self.kind)?;
        let mut out = Vec::with_capacity(512);
        serde_json::to_writer(&mut out, self).map_err(|e| {
            let msg = e.to_string();
            match msg.strip_prefix(FLOAT_REFUSED) {
                Some(n) => {
                    RecordError::Canonical(warden_core::jcs::JcsError::Number(n.trim().to_string()))
                }
                None => RecordError::Json(msg),
            }
        })?;
        Ok(out)
    }

    /// The canonical form, typed for [`crate::Ledger::append_canonical`].
    pub fn canonical(&self) -> Result<Canonical, RecordError> {
        self.to_canonical().map(Canonical)
    }

    /// Reads stored canonical bytes.
    pub fn from_canonical(bytes: &[u8]) -> Result<Record, RecordError> {
        serde_json::from_slice(bytes).map_err(|e| RecordError::Json(e.to_string()))
    }

    /// Builds a record from a producer's JSON object (one line of `warden log append`).
    ///
    /// Known fields are taken as they are; `arguments` (clear tool arguments) is replaced
    /// by its digest; `kind` defaults to `app.event` and `time_unix_nano` to `now`; every
    /// other field moves under `attributes`. Floats are refused (integers only).
    pub fn from_producer(
        value: Value,
        digester: &ArgsDigester,
        now_unix_nano: u64,
    ) -> Result<Record, RecordError> {
        let Value::Object(mut map) = value else {
            return Err(RecordError::NotObject(json_type(&value)));
        };
        if let Some(v) = map.remove("v")
            && v.as_u64() != Some(SCHEMA_VERSION)
        {
            return Err(RecordError::Field {
                field: "v".into(),
                why: format!(
                    "schema version {v} is not supported; this Warden writes {SCHEMA_VERSION}"
                ),
            });
        }
        let arguments = map.remove("arguments");
        if arguments.is_some() && map.contains_key("args_digest") {
            return Err(RecordError::Field {
                field: "arguments".into(),
                why: "give either `arguments` (Warden digests them) or `args_digest`, not both"
                    .into(),
            });
        }
        let mut known = Map::new();
        for name in [
            "kind",
            "time_unix_nano",
            "call_id",
            "mcp.method.name",
            "mcp.session.id",
            "gen_ai.tool.name",
            "mcp.protocol.version",
            "client.address",
            "network.transport",
            "args_digest",
            "args_key_id",
            "result",
            "admin",
        ] {
            if let Some(v) = map.remove(name) {
                known.insert(name.to_string(), v);
            }
        }
        // JSON-RPC ids may be numbers or strings; the attribute is a string.
        if let Some(id) = map.remove("jsonrpc.request.id") {
            let s = match id {
                Value::String(s) => s,
                Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
                other => {
                    return Err(RecordError::Field {
                        field: "jsonrpc.request.id".into(),
                        why: format!(
                            "must be a string or an integer, found {}",
                            json_type(&other)
                        ),
                    });
                }
            };
            known.insert("jsonrpc.request.id".into(), Value::String(s));
        }
        known
            .entry("kind")
            .or_insert_with(|| Value::String("app.event".into()));
        known
            .entry("time_unix_nano")
            .or_insert_with(|| Value::from(now_unix_nano));
        known.insert("v".into(), Value::from(SCHEMA_VERSION));
        if let Some(attrs) = map.remove("attributes") {
            let Value::Object(attrs) = attrs else {
                return Err(RecordError::Field {
                    field: "attributes".into(),
                    why: "must be an object".into(),
                });
            };
            for (k, v) in attrs {
                map.entry(k).or_insert(v);
            }
        }
        if !map.is_empty() {
            known.insert("attributes".into(), Value::Object(map));
        }
        for (name, value) in &known {
            let expected = match name.as_str() {
                "v" | "time_unix_nano" if value.as_u64().is_none() => "a non-negative integer",
                "result" | "admin" if !value.is_object() => "an object",
                "v" | "time_unix_nano" | "result" | "admin" | "attributes" => continue,
                _ if !value.is_string() => "a string",
                _ => continue,
            };
            return Err(RecordError::Field {
                field: name.clone(),
                why: format!("must be {expected}, found {}", json_type(value)),
            });
        }
        let mut record: Record =
            serde_json::from_value(Value::Object(known)).map_err(|e| RecordError::Field {
                field: "result".into(),
                why: e.to_string(),
            })?;
        if let Some(args) = arguments {
            let (digest, key_id) = digester.digest(&args);
            record.args_digest = Some(digest);
            record.args_key_id = key_id;
        }
        check_kind(&record.kind)?;
        Ok(record)
    }
}

const FLOAT_REFUSED: &str = "float refused:";

/// Serialises a free-form map with its members (and nested objects' members) in RFC 8785
/// order, refusing floats.
fn sorted<S: serde::Serializer>(map: &Option<Map<String, Value>>, s: S) -> Result<S::Ok, S::Error> {
    match map {
        Some(m) => s.serialize_some(&CanonObject(m)),
        None => s.serialize_none(),
    }
}

struct CanonObject<'a>(&'a Map<String, Value>);
struct Canon<'a>(&'a Value);

impl Serialize for CanonObject<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut members: Vec<(&String, &Value)> = self.0.iter().collect();
        members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
        let mut out = s.serialize_map(Some(members.len()))?;
        for (k, v) in members {
            out.serialize_entry(k, &Canon(v))?;
        }
        out.end()
    }
}

impl Serialize for Canon<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        match self.0 {
            Value::Number(n) if !(n.is_i64() || n.is_u64()) => {
                Err(S::Error::custom(format!("{FLOAT_REFUSED} {n}")))
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Canon(item))?;
                }
                seq.end()
            }
            Value::Object(m) => CanonObject(m).serialize(s),
            other => other.serialize(s),
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_kind(kind: &str) -> Result<(), RecordError> {
    let ok = KINDS.contains(&kind)
        || kind
            .strip_prefix("app.")
            .or_else(|| kind.strip_prefix("alert."))
            .is_some_and(|rest| {
                !rest.is_empty()
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            });
    if ok {
        Ok(())
    } else {
        Err(RecordError::Kind(kind.to_string()))
    }
}

/// How tool arguments become `args_digest`.
#[derive(Clone)]
pub enum ArgsDigester {
    /// HMAC-SHA-256 under a secret key (the default): a guess at the arguments cannot be
    /// confirmed without the key.
    Hmac { key: [u8; 32], key_id: String },
    /// Plain SHA-256, for deployments whose arguments are not sensitive.
    Sha256,
}

impl std::fmt::Debug for ArgsDigester {
    // Never print the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgsDigester::Hmac { key_id, .. } => write!(f, "Hmac {{ key_id: {key_id} }}"),
            ArgsDigester::Sha256 => f.write_str("Sha256"),
        }
    }
}

impl ArgsDigester {
    /// An HMAC digester; the key id is derived from the key (it reveals nothing of it).
    pub fn hmac(key: [u8; 32]) -> ArgsDigester {
        let id = Sha256::new()
            .chain_update(b"warden-ledger/args-key-id/v1\n")
            .chain_update(key)
            .finalize();
        ArgsDigester::Hmac {
            key,
            key_id: hex(&id[..4]),
        }
    }

    /// The key id of an HMAC digester.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            ArgsDigester::Hmac { key_id, .. } => Some(key_id),
            ArgsDigester::Sha256 => None,
        }
    }

    /// `(args_digest, args_key_id)` for `arguments`.
    pub fn digest(&self, arguments: &Value) -> (String, Option<String>) {
        let canonical = warden_core::jcs::to_string_any_numbers(arguments);
        match self {
            ArgsDigester::Hmac { key, key_id } => (
                format!(
                    "hmac-sha256:{}",
                    hex(&hmac_sha256(key, &[ARGS_DOMAIN, canonical.as_bytes()]))
                ),
                Some(key_id.clone()),
            ),
            ArgsDigester::Sha256 => {
                let d = Sha256::new()
                    .chain_update(ARGS_DOMAIN)
                    .chain_update(canonical.as_bytes())
                    .finalize();
                (format!("sha256:{}", hex(&d)), None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hmac() -> ArgsDigester {
        ArgsDigester::hmac([7u8; 32])
    }

    #[test]
    fn producer_line_becomes_a_canonical_record_without_clear_arguments() {
        let line = json!({
            "kind": "tool.intent",
            "time_unix_nano": 1_764_081_278_123_456_789u64,
            "gen_ai.tool.name": "read_note",
            "jsonrpc.request.id": 7,
            "arguments": {"id": "alice@example.com"},
            "tenant": "acme"
        });
        let r = Record::from_producer(line, &hmac(), 0).unwrap_or_default();
        let bytes = r.to_canonical().unwrap_or_default();
        let text = String::from_utf8(bytes.clone()).unwrap_or_default();
        assert!(!text.contains("alice"), "{text}");
        assert!(
            text.starts_with("{\"args_digest\":\"hmac-sha256:"),
            "{text}"
        );
        assert!(text.contains("\"attributes\":{\"tenant\":\"acme\"}"));
        assert!(text.contains("\"jsonrpc.request.id\":\"7\""));
        assert!(text.contains("\"time_unix_nano\":1764081278123456789"));
        assert_eq!(Record::from_canonical(&bytes).ok(), Some(r));
    }

    #[test]
    fn hmac_digest_depends_on_the_key_and_not_on_member_order() {
        let a = json!({"x": 1, "y": [1.5, "z"]});
        let b: Value = serde_json::from_str(r#"{"y":[1.5,"z"],"x":1}"#).unwrap_or_default();
        assert_eq!(hmac().digest(&a), hmac().digest(&b));
        assert_ne!(
            hmac().digest(&a).0,
            ArgsDigester::hmac([8u8; 32]).digest(&a).0
        );
        assert!(ArgsDigester::Sha256.digest(&a).0.starts_with("sha256:"));
        assert_eq!(ArgsDigester::Sha256.digest(&a).1, None);
    }

    #[test]
    fn bad_producer_lines_name_the_problem() {
        let err = |v: Value| {
            Record::from_producer(v, &hmac(), 1)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(json!([1])).contains("must be a JSON object"));
        assert!(err(json!({"kind": "tool.exec"})).contains("kind `tool.exec` is not allowed"));
        assert!(err(json!({"time_unix_nano": "soon"})).contains("time_unix_nano"));
        assert!(err(json!({"v": 2})).contains("schema version 2"));
        assert!(err(json!({"arguments": {}, "args_digest": "x"})).contains("not both"));
        let float = Record::from_producer(json!({"latency": 1.5}), &hmac(), 1)
            .and_then(|r| r.to_canonical());
        assert!(matches!(float, Err(RecordError::Canonical(_))), "{float:?}");
    }

    #[test]
    fn direct_serialisation_equals_the_general_canonicalizer() {
        let mut records = vec![Record::new("tool.intent", 1), Record::default()];
        records[1].kind = "app.x".into();
        let mut full = Record::from_producer(
            json!({
                "kind": "tool.result", "time_unix_nano": u64::MAX, "call_id": "c\u{1f}\"\\é😀",
                "mcp.method.name": "tools/call", "mcp.session.id": "s", "gen_ai.tool.name": "t",
                "jsonrpc.request.id": -3, "mcp.protocol.version": "2025-11-25",
                "client.address": "::1", "network.transport": "pipe",
                "result": {"status": "error", "error.type": "tool_error", "bytes": 5, "duration_nano": 9,
                           "resource_ids": ["a"], "outbound_hosts": ["h"], "data_classes": ["email"]},
                "admin": {"z": 1, "a": {"\u{20ac}": [1, {"y": true, "b": null}], "\r": "x"}},
                "zeta": [], "alpha": {"k": -9_007_199_254_740_993i64}, "arguments": {"q": 1.5}
            }),
            &hmac(),
            0,
        )
        .unwrap_or_default();
        records.push(full.clone());
        full.attributes = None;
        records.push(full);
        for r in records {
            let general = serde_json::to_value(&r)
                .ok()
                .and_then(|v| warden_core::jcs::to_string_wide_ints(&v).ok())
                .unwrap_or_default();
            let direct =
                String::from_utf8(r.to_canonical().unwrap_or_default()).unwrap_or_default();
            assert_eq!(direct, general);
            assert!(!direct.is_empty());
        }
    }

    #[test]
    fn defaults_fill_kind_and_time() {
        let r = Record::from_producer(json!({"msg": "hi"}), &hmac(), 42).unwrap_or_default();
        assert_eq!((r.kind.as_str(), r.time_unix_nano), ("app.event", 42));
    }
}
