//! JSON Schema (feature `schema`) of the types whose serde form is written
//! by hand in `serde_impls.rs`; every other type derives it. The schema of
//! `rss -j` is [`socket_list_schema`].

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::model::{Detail, DetailBox, Endpoint, InlineBytes, SockOpt, State, TimerKind};
use crate::tcp_info::{MptcpInfo, TcpInfo};

/// The schema of `rss -j`'s output: an array of [`crate::Socket`]s, as JSON
/// text (pretty-printed, ending in a newline). The repository keeps it in
/// `schema/rss-socket.schema.json`.
///
/// Only with the feature `schema` (not default).
///
/// ```
/// let text = sockdiag::socket_list_schema();
/// assert!(text.contains("\"unknown\""));
/// ```
pub fn socket_list_schema() -> String {
    let mut schema = schemars::schema_for!(Vec<crate::Socket>);
    if let Some(top) = schema.as_object_mut() {
        top.values_mut().for_each(first_paragraphs);
    }
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Keeps the first paragraph of every description: the Rust docs the
/// schema is generated from go on with examples that mean nothing in JSON.
fn first_paragraphs(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "description"
                    && let serde_json::Value::String(s) = x
                {
                    let first = s.split("\n\n").next().unwrap_or_default();
                    *s = first.replace('\n', " ");
                } else {
                    first_paragraphs(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(first_paragraphs),
        _ => {}
    }
}

fn unknown_number(generator: &mut SchemaGenerator) -> Schema {
    let n = generator.subschema_for::<u8>();
    json_schema!({
        "type": "object",
        "properties": { "unknown": n },
        "required": ["unknown"],
        "additionalProperties": false,
    })
}

impl JsonSchema for State {
    fn schema_name() -> Cow<'static, str> {
        "State".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = State::KNOWN.iter().map(|s| s.name()).collect();
        let unknown = unknown_number(generator);
        json_schema!({
            "description": "Socket state: its name, or {\"unknown\": N} for a number the library does not know.",
            "oneOf": [ { "type": "string", "enum": names }, unknown ],
        })
    }
}

impl JsonSchema for TimerKind {
    fn schema_name() -> Cow<'static, str> {
        "TimerKind".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = (1..=5)
            .filter_map(TimerKind::from_kernel)
            .map(|k| k.name())
            .collect();
        let unknown = unknown_number(generator);
        json_schema!({
            "description": "Timer kind, as ss -o names it, or {\"unknown\": N}.",
            "oneOf": [ { "type": "string", "enum": names }, unknown ],
        })
    }
}

impl<const N: usize> JsonSchema for InlineBytes<N> {
    fn schema_name() -> Cow<'static, str> {
        // One definition per capacity: a unix name holds 108 bytes, a
        // congestion-control or ULP name 15.
        format!("InlineBytes{N}").into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let byte = generator.subschema_for::<u8>();
        json_schema!({
            "description": "A name: text, or its bytes when not UTF-8.",
            "oneOf": [
                { "type": "string" },
                { "type": "array", "items": byte, "maxItems": N.min(255) },
            ],
        })
    }
}

impl JsonSchema for Endpoint {
    fn schema_name() -> Cow<'static, str> {
        "Endpoint".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let name = generator.subschema_for::<InlineBytes<{ crate::consts::UNIX_PATH_MAX }>>();
        let u8s = generator.subschema_for::<u8>();
        let u16s = generator.subschema_for::<u16>();
        let u32s = generator.subschema_for::<u32>();
        let u64s = generator.subschema_for::<u64>();
        json_schema!({
            "description": "One end of a socket; the keys say the kind. null: no address.",
            "anyOf": [
                { "type": "null" },
                {
                    "title": "inet",
                    "type": "object",
                    "properties": { "addr": { "type": "string", "format": "ip" }, "port": u16s },
                    "required": ["addr", "port"],
                    "additionalProperties": false,
                },
                {
                    "title": "unix",
                    "type": "object",
                    "properties": { "path": name, "abstract": name, "inode": u64s },
                    "required": ["inode"],
                    "additionalProperties": false,
                },
                {
                    "title": "packet",
                    "type": "object",
                    "properties": { "protocol": u16s, "ifindex": u32s },
                    "required": ["protocol", "ifindex"],
                    "additionalProperties": false,
                },
                {
                    "title": "netlink",
                    "type": "object",
                    "properties": { "protocol": u8s, "portid": u32s, "group": u32s },
                    "required": ["protocol", "portid", "group"],
                    "additionalProperties": false,
                },
            ],
        })
    }
}

impl JsonSchema for SockOpt {
    fn schema_name() -> Cow<'static, str> {
        "SockOpt".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<String> = SockOpt::all()
            .iter_names()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        json_schema!({
            "type": "array",
            "items": { "type": "string", "enum": names },
        })
    }
}

fn field_object(names: Vec<&'static str>, bools: &[&str]) -> Schema {
    let mut props = serde_json::Map::new();
    for n in names {
        let v = if bools.contains(&n) {
            serde_json::json!({ "type": "boolean" })
        } else {
            serde_json::json!({ "type": "integer", "minimum": 0 })
        };
        props.insert(n.to_string(), v);
    }
    json_schema!({
        "type": "object",
        "properties": props,
        "additionalProperties": false,
    })
}

impl JsonSchema for TcpInfo {
    fn schema_name() -> Cow<'static, str> {
        "TcpInfo".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // Every field of the longest layout; a shorter kernel sends fewer.
        let full = TcpInfo::from_bytes(&[0; crate::TCP_INFO_LEN]);
        field_object(
            full.fields().map(|(n, _)| n).collect(),
            &["delivery_rate_app_limited"],
        )
    }
}

impl JsonSchema for MptcpInfo {
    fn schema_name() -> Cow<'static, str> {
        "MptcpInfo".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let full = MptcpInfo::from_bytes(&[0; crate::MPTCP_INFO_LEN]);
        field_object(full.fields().map(|(n, _)| n).collect(), &[])
    }
}

impl JsonSchema for DetailBox {
    fn schema_name() -> Cow<'static, str> {
        "Detail".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        // Flattened into the socket: its properties, inline.
        Detail::json_schema(generator)
    }
}
