//! Loading the spec documents: JSON as it is, YAML converted to `serde_json::Value`.

use std::path::Path;

use serde_json::{Map, Number, Value};
use serde_norway::Value as YamlValue;

/// One spec document and where it lives, relative to the spec directory.
#[derive(Debug, Clone)]
pub struct Document {
    /// The short name the generator uses for the document (`api`, `read`, `manifest`...).
    pub name: &'static str,
    /// The path relative to the spec directory.
    pub path: &'static str,
    /// The parsed content.
    pub value: Value,
}

/// The documents the generator reads, by short name and path.
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

/// Reads every document of [`DOCUMENTS`] from `spec_dir`.
pub fn load(spec_dir: &Path) -> Result<Vec<Document>, String> {
    DOCUMENTS
        .iter()
        .map(|&(name, path)| {
            let full = spec_dir.join(path);
            let text = std::fs::read_to_string(&full)
                .map_err(|e| format!("cannot read {}: {e}", full.display()))?;
            let value = if path.ends_with(".json") {
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", full.display()))?
            } else {
                yaml_to_json(&text).map_err(|e| format!("{}: {e}", full.display()))?
            };
            Ok(Document { name, path, value })
        })
        .collect()
}

/// Parses a YAML document into JSON. Mapping keys become strings (`201:` -> `"201"`).
pub fn yaml_to_json(text: &str) -> Result<Value, String> {
    let yaml: YamlValue = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    convert(&yaml)
}

fn convert(yaml: &YamlValue) -> Result<Value, String> {
    Ok(match yaml {
        YamlValue::Null => Value::Null,
        YamlValue::Bool(b) => Value::Bool(*b),
        YamlValue::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        YamlValue::String(s) => Value::String(s.clone()),
        YamlValue::Sequence(items) => {
            Value::Array(items.iter().map(convert).collect::<Result<_, _>>()?)
        }
        YamlValue::Mapping(mapping) => {
            let mut map = Map::new();
            for (k, v) in mapping {
                let key = match k {
                    YamlValue::String(s) => s.clone(),
                    YamlValue::Number(n) => n.to_string(),
                    YamlValue::Bool(b) => b.to_string(),
                    other => return Err(format!("unsupported mapping key {other:?}")),
                };
                map.insert(key, convert(v)?);
            }
            Value::Object(map)
        }
        YamlValue::Tagged(tagged) => convert(&tagged.value)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_keys_become_strings() {
        let value = yaml_to_json("responses:\n  201:\n    x: [1, 2.5, true, ~, 'a']\n").unwrap();
        assert_eq!(
            value,
            serde_json::json!({"responses": {"201": {"x": [1, 2.5, true, null, "a"]}}})
        );
    }
}
