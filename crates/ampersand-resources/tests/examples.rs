//! Every example of the spec decodes into the type the generator chose for its schema, and
//! re-encodes to equal JSON.
//!
//! The walk is independent of the generator: it finds schema examples (`example` next to a
//! schema), media-type examples (`example`/`examples` next to a `schema`) and property examples,
//! and looks up the Rust type of the schema in the generated [`common::generated::SCHEMAS`]
//! table. Examples the spec gets wrong are listed in [`KNOWN_EXCEPTIONS`] with the reason; an
//! exception that starts passing fails the test, so the table stays honest.

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

/// (document, JSON pointer of the example, why the spec's example is wrong).
const KNOWN_EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "api",
        "/paths/~1projects~1{projectIdOrName}~1connections~1{connectionId}/patch/responses/200/content/application~1json/example",
        "its `consumer` lacks `createTime`, which `Consumer` requires",
    ),
    (
        "api",
        "/paths/~1projects~1{projectIdOrName}~1installations/get/responses/200/content/application~1json/example",
        "its read object `account` lacks `selectedFieldMappings`, which `ReadConfigObject` requires",
    ),
    (
        "api",
        "/paths/~1projects~1{projectIdOrName}~1integrations~1{integrationId}~1installations/get/responses/200/content/application~1json/example",
        "its read object `account` lacks `selectedFieldMappings`, which `ReadConfigObject` requires",
    ),
    (
        "api",
        "/paths/~1projects~1{projectIdOrName}~1integrations~1{integrationId}~1installations~1{installationId}/get/responses/200/content/application~1json/example",
        "its read object `account` lacks `selectedFieldMappings`, which `ReadConfigObject` requires",
    ),
    (
        "api",
        "/paths/~1projects~1{projectIdOrName}~1jwt-keys/post/requestBody/content/application~1json/examples/example1",
        "it lacks `label`, which `CreateJWTKeyRequest` requires",
    ),
    (
        "api",
        "/paths/~1providers/get/responses/200/content/application~1json/example",
        "it has `providerOpts`, which `ProviderInfo` does not define, so it does not survive re-encoding",
    ),
];

type Roundtrip = fn(&Value) -> Result<Value, String>;

struct Walker<'a> {
    docs: &'a BTreeMap<&'static str, Value>,
    table: BTreeMap<(&'static str, &'static str), Roundtrip>,
    checked: usize,
    failures: BTreeMap<String, String>,
}

impl Walker<'_> {
    fn node(&self, doc: &str, pointer: &str) -> Option<&Value> {
        self.docs.get(doc)?.pointer(pointer)
    }

    /// Checks `example` against the schema at (doc, pointer); `at` names the example.
    fn check(&mut self, doc: &'static str, pointer: &str, example: &Value, at: String) {
        let Some(schema) = self.node(doc, pointer).cloned() else {
            self.failures
                .insert(at, format!("no schema at {doc}#{pointer}"));
            return;
        };
        if let Some(f) = self.table.get(&(doc, pointer)).copied() {
            self.checked += 1;
            match f(example) {
                Ok(encoded) => {
                    if !same_json(example, &encoded) {
                        self.failures.insert(
                            at,
                            format!(
                                "re-encodes differently:\n  spec: {example}\n  ours: {encoded}"
                            ),
                        );
                    }
                }
                Err(error) => {
                    self.failures
                        .insert(at, format!("does not decode: {error}"));
                }
            }
            return;
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let (target_doc, target) = common::resolve_ref(doc, reference);
            return self.check(target_doc, &target, example, at);
        }
        if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            && schema.get("properties").is_none()
        {
            let _ = only;
            return self.check(doc, &format!("{pointer}/allOf/0"), example, at);
        }
        if schema.get("type").and_then(Value::as_str) == Some("array") {
            match example.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check(doc, &format!("{pointer}/items"), item, format!("{at}[{i}]"));
                    }
                }
                None => {
                    self.failures
                        .insert(at, "an array schema with a non-array example".into());
                }
            }
            return;
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            // An inline `oneOf` without a type of its own (error bodies): some branch must fit.
            let mut errors = Vec::new();
            for i in 0..branches.len() {
                let mut probe = Walker {
                    docs: self.docs,
                    table: self.table.clone(),
                    checked: 0,
                    failures: BTreeMap::new(),
                };
                probe.check(doc, &format!("{pointer}/oneOf/{i}"), example, at.clone());
                if probe.failures.is_empty() && probe.checked > 0 {
                    self.checked += 1;
                    return;
                }
                errors.extend(probe.failures.into_values());
            }
            self.failures
                .insert(at, format!("fits no branch: {}", errors.join("; ")));
            return;
        }
        let has_structure = schema.get("properties").is_some()
            || schema.get("oneOf").is_some()
            || schema.get("enum").is_some();
        if has_structure {
            self.failures
                .insert(at, format!("no Rust type for {doc}#{pointer}"));
        }
        // Primitives and free-form objects: nothing typed to check.
    }

    fn walk(&mut self, doc: &'static str, value: &Value, pointer: String) {
        let Value::Object(map) = value else {
            if let Value::Array(items) = value {
                for (i, item) in items.iter().enumerate() {
                    self.walk(doc, item, format!("{pointer}/{i}"));
                }
            }
            return;
        };
        let is_parameter = map.contains_key("in") && map.contains_key("name");
        let is_media = map.contains_key("schema") && !is_parameter;
        if is_media {
            let schema_pointer = format!("{pointer}/schema");
            if let Some(example) = map.get("example") {
                self.check(
                    doc,
                    &schema_pointer,
                    &example.clone(),
                    format!("{doc}#{pointer}/example"),
                );
            }
            if let Some(Value::Object(examples)) = map.get("examples") {
                for (name, example) in examples.clone() {
                    if let Some(value) = example.get("value") {
                        self.check(
                            doc,
                            &schema_pointer,
                            value,
                            format!("{doc}#{pointer}/examples/{name}"),
                        );
                    }
                }
            }
        } else if !is_parameter && let Some(example) = map.get("example") {
            self.check(
                doc,
                &pointer,
                &example.clone(),
                format!("{doc}#{pointer}/example"),
            );
        }
        for (key, child) in map {
            if key == "example" || key == "examples" {
                continue;
            }
            let token = key.replace('~', "~0").replace('/', "~1");
            self.walk(doc, child, format!("{pointer}/{token}"));
        }
    }
}

/// JSON equality where timestamps compare as instants and numbers by value.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_json(v, w))
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) if x != y => {
            let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
            matches!((parse(x), parse(y)), (Some(p), Some(q)) if p == q)
        }
        _ => a == b,
    }
}

#[test]
fn every_example_decodes_and_reencodes() {
    let dir = common::spec_dir();
    let docs: BTreeMap<&'static str, Value> = common::load_all(&dir)
        .into_iter()
        .map(|(name, _, value)| (name, value))
        .collect();
    let table = common::generated::SCHEMAS
        .iter()
        .map(|e| ((e.doc, e.pointer), e.roundtrip))
        .collect();
    let mut walker = Walker {
        docs: &docs,
        table,
        checked: 0,
        failures: BTreeMap::new(),
    };
    for (name, value) in &docs {
        if *name == "problem" {
            // The problem types are the core crate's, tested there.
            continue;
        }
        walker.walk(name, value, String::new());
    }
    let mut unexpected = Vec::new();
    for (at, failure) in &walker.failures {
        if !KNOWN_EXCEPTIONS
            .iter()
            .any(|(doc, pointer, _)| at == &format!("{doc}#{pointer}"))
        {
            unexpected.push(format!("{at}: {failure}"));
        }
    }
    for (doc, pointer, reason) in KNOWN_EXCEPTIONS {
        assert!(
            walker.failures.contains_key(&format!("{doc}#{pointer}")),
            "known exception {doc}#{pointer} ({reason}) now passes: remove it from the table"
        );
    }
    assert!(
        unexpected.is_empty(),
        "{} of {} examples fail:\n{}",
        unexpected.len(),
        walker.checked,
        unexpected.join("\n")
    );
    assert!(
        walker.checked > 100,
        "only {} examples were checked",
        walker.checked
    );
    eprintln!(
        "{} typed examples checked, {} known exceptions",
        walker.checked,
        KNOWN_EXCEPTIONS.len()
    );
}
