//! Shared test support: finding and parsing the spec (independently of the generator), and the
//! generated tables that say which Rust type each spec location became.

#![allow(dead_code, unreachable_pub)]

pub mod generated;

use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A spec location and the round trip through its Rust type.
pub struct Entry {
    pub doc: &'static str,
    pub pointer: &'static str,
    pub roundtrip: fn(&Value) -> Result<Value, String>,
}

/// A `oneOf` enum: its location, its variant per branch, and a decoder that names the variant
/// a value decodes to.
pub struct OneOfEntry {
    pub doc: &'static str,
    pub pointer: &'static str,
    pub variants: &'static [&'static str],
    pub decode: fn(&Value) -> Result<&'static str, String>,
}

/// Decodes `value` as `T` (naming the failing path) and encodes it back.
pub fn roundtrip<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, String> {
    let decoded: T = serde_path_to_error::deserialize(value.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&decoded).map_err(|e| e.to_string())
}

/// The spec directory: `$AMP_SPEC_DIR`, else `../shared/spec` from the workspace root. These
/// tests check the generated code against the spec, so without it they fail (never a pass
/// that tested nothing).
pub fn spec_dir() -> PathBuf {
    let dir = match std::env::var_os("AMP_SPEC_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec"),
    };
    assert!(
        dir.is_dir(),
        "the spec directory {} is absent: set AMP_SPEC_DIR to the Ampersand OpenAPI spec",
        dir.display()
    );
    dir
}

/// The documents: short name, path, parsed content.
pub const DOCUMENTS: &[(&str, &str)] = &[
    ("api", "api/generated/api.bundled.json"),
    ("read", "api/read.yaml"),
    ("write", "api/write.yaml"),
    ("search", "api/search.yaml"),
    ("problem", "problem/problem.yaml"),
    ("webhook", "webhook/webhook.yaml"),
    ("notifications", "notifications/notifications.yaml"),
    ("manifest", "manifest/manifest.yaml"),
];

/// Reads one document as JSON.
pub fn load(dir: &std::path::Path, path: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    if path.ends_with(".json") {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    } else {
        let yaml: serde_norway::Value =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        yaml_json(yaml)
    }
}

fn yaml_json(yaml: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        Y::Number(n) => n.to_string(),
                        other => format!("{other:?}"),
                    };
                    (key, yaml_json(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => yaml_json(t.value),
    }
}

/// Every document, loaded.
pub fn load_all(dir: &std::path::Path) -> Vec<(&'static str, &'static str, Value)> {
    DOCUMENTS
        .iter()
        .map(|(name, path)| (*name, *path, load(dir, path)))
        .collect()
}

/// Resolves a `$ref` written in document `doc` to (document, pointer).
pub fn resolve_ref(doc: &str, reference: &str) -> (&'static str, String) {
    let (file, pointer) = reference.split_once('#').expect("a $ref has a fragment");
    if file.is_empty() {
        let name = DOCUMENTS
            .iter()
            .find(|(n, _)| *n == doc)
            .expect("known document")
            .0;
        return (name, pointer.to_owned());
    }
    let file_name = file.rsplit('/').next().unwrap_or(file);
    let (name, _) = DOCUMENTS
        .iter()
        .find(|(_, path)| path.ends_with(file_name))
        .unwrap_or_else(|| panic!("unknown document in $ref {reference}"));
    (name, pointer.to_owned())
}
