//! Each branch of each `oneOf` decodes to its own variant.
//!
//! For every `oneOf` of the spec, the test builds two values per branch from the branch's
//! schema (one with only the required properties, one with every property) and checks that
//! the generated enum decodes both to the variant the generator assigned to that branch.

mod common;

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

struct Samples<'a> {
    docs: &'a BTreeMap<&'static str, Value>,
}

impl Samples<'_> {
    fn resolve(&self, doc: &'static str, schema: &Value) -> (&'static str, Value) {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let (d, p) = common::resolve_ref(doc, reference);
                let target = self.docs[d].pointer(&p).cloned().unwrap_or(Value::Null);
                self.resolve(d, &target)
            }
            None => (doc, schema.clone()),
        }
    }

    /// A value of the schema: required properties only, or all of them.
    fn sample(&self, doc: &'static str, schema: &Value, all: bool, depth: usize) -> Value {
        let (doc, schema) = self.resolve(doc, schema);
        if depth > 6 {
            return Value::Null;
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return values[0].clone();
        }
        if let Some(branch) = schema.get("oneOf").and_then(|b| b.get(0)) {
            return self.sample(doc, branch, all, depth + 1);
        }
        let mut object = Map::new();
        if let Some(branches) = schema.get("allOf").and_then(Value::as_array) {
            for branch in branches {
                if let Value::Object(part) = self.sample(doc, branch, all, depth + 1) {
                    object.extend(part);
                }
            }
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => json!("2024-01-01T00:00:00Z"),
                _ => json!("text"),
            },
            Some("integer") => json!(1),
            Some("number") => json!(1.5),
            Some("boolean") => json!(true),
            Some("array") => json!([self.sample(doc, &schema["items"], all, depth + 1)]),
            _ => {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                    for (name, property) in properties {
                        if all || required.contains(&name.as_str()) {
                            object.insert(name.clone(), self.sample(doc, property, all, depth + 1));
                        }
                    }
                }
                Value::Object(object)
            }
        }
    }
}

#[test]
fn each_branch_decodes_to_its_own_variant() {
    let dir = common::spec_dir();
    let docs: BTreeMap<&'static str, Value> = common::load_all(&dir)
        .into_iter()
        .map(|(name, _, value)| (name, value))
        .collect();
    let samples = Samples { docs: &docs };
    let mut checked = 0;
    for entry in common::generated::ONE_OFS {
        let node = docs[entry.doc]
            .pointer(entry.pointer)
            .unwrap_or_else(|| panic!("{}#{}", entry.doc, entry.pointer));
        let branches = node
            .get("oneOf")
            .or_else(|| node.pointer("/allOf/0/oneOf"))
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{}#{} is not a oneOf", entry.doc, entry.pointer));
        assert_eq!(
            branches.len(),
            entry.variants.len(),
            "{}#{}",
            entry.doc,
            entry.pointer
        );
        for (i, branch) in branches.iter().enumerate() {
            for all in [false, true] {
                let value = samples.sample(entry.doc, branch, all, 0);
                let got = (entry.decode)(&value).unwrap_or_else(|e| {
                    panic!("{}#{} branch {i} ({value}): {e}", entry.doc, entry.pointer)
                });
                assert_eq!(
                    got, entry.variants[i],
                    "{}#{} branch {i} decodes {value} to the wrong variant",
                    entry.doc, entry.pointer
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} branches were checked");
}

#[test]
fn every_one_of_of_the_spec_has_an_enum() {
    let dir = common::spec_dir();
    let known: Vec<(&str, &str)> = common::generated::ONE_OFS
        .iter()
        .map(|e| (e.doc, e.pointer))
        .collect();
    fn walk(
        doc: &'static str,
        value: &Value,
        pointer: String,
        out: &mut Vec<(&'static str, String)>,
    ) {
        match value {
            Value::Object(map) => {
                let branches = map
                    .get("oneOf")
                    .or_else(|| map.get("anyOf"))
                    .and_then(Value::as_array);
                // Branches that only list `required` constrain which optional properties are
                // present ("exactly one of"); the struct's `Option` fields express them.
                let constraint_only = branches.is_some_and(|b| {
                    b.iter().all(|branch| {
                        branch
                            .as_object()
                            .is_some_and(|o| o.keys().all(|k| k == "required"))
                    })
                });
                if branches.is_some() && !constraint_only {
                    out.push((doc, pointer.clone()));
                }
                for (k, v) in map {
                    walk(
                        doc,
                        v,
                        format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(doc, v, format!("{pointer}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for (name, _, value) in common::load_all(&dir) {
        walk(name, &value, String::new(), &mut found);
    }
    for (doc, pointer) in found {
        // Error bodies (non-2xx responses) are not typed by the resources crate.
        if pointer.contains("/responses/4") || pointer.contains("/responses/5") {
            continue;
        }
        let parent = pointer.strip_suffix("/allOf/0").unwrap_or(&pointer);
        assert!(
            known
                .iter()
                .any(|(d, p)| *d == doc && (*p == pointer || *p == parent)),
            "{doc}#{pointer} has no generated enum"
        );
    }
}

/// A single-member branch still decodes when the server adds members the spec allows (the
/// oneOf does not forbid additional properties); found by Prism's dynamic mode.
#[test]
fn single_member_branches_tolerate_extra_members() {
    use ampersand_resources::connections::CustomAuthConnectResponse;
    let body = serde_json::json!({"redirect": {"url": "https://x", "sessionId": "s"}, "extra": 1});
    let decoded: CustomAuthConnectResponse = serde_json::from_value(body).unwrap();
    match decoded {
        CustomAuthConnectResponse::Redirect { redirect } => assert_eq!(redirect.session_id, "s"),
        other => panic!("decoded as {other:?}"),
    }
    let encoded = serde_json::to_value(CustomAuthConnectResponse::Redirect {
        redirect: serde_json::from_value(serde_json::json!({"url": "u", "sessionId": "s"}))
            .unwrap(),
    })
    .unwrap();
    assert_eq!(
        encoded,
        serde_json::json!({"redirect": {"url": "u", "sessionId": "s"}})
    );
}
