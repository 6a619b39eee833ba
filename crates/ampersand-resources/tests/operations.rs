//! Every operationId of the spec has a request type whose metadata (method, path template,
//! host, auth schemes, idempotency) matches the spec, read here independently of the generator.

mod common;

use std::collections::BTreeMap;

use ampersand_core::{AuthSchemes, Host};
use ampersand_resources::OPERATIONS;
use serde_json::Value;

fn auth_of(security: &Value) -> AuthSchemes {
    let names: Vec<&str> = security
        .as_array()
        .expect("security is a list")
        .iter()
        .flat_map(|req| {
            req.as_object()
                .expect("requirement")
                .keys()
                .map(String::as_str)
        })
        .collect();
    AuthSchemes {
        api_key: names.iter().any(|n| n.starts_with("APIKey")),
        bearer: names.contains(&"Bearer"),
    }
}

#[test]
fn every_operation_matches_the_spec() {
    let dir = common::spec_dir();
    let mut expected = BTreeMap::new();
    for (doc, host) in [
        ("api", Host::Api),
        ("read", Host::Read),
        ("write", Host::Write),
        ("search", Host::Search),
    ] {
        let path = common::DOCUMENTS.iter().find(|(n, _)| *n == doc).unwrap().1;
        let spec = common::load(&dir, path);
        let global = spec
            .get("security")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        for (template, item) in spec["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let auth = auth_of(op.get("security").unwrap_or(&global));
                let method = method.to_uppercase();
                let idempotent = matches!(method.as_str(), "GET" | "PUT" | "DELETE");
                let previous = expected.insert(
                    id.to_owned(),
                    (method, template.clone(), host, auth, idempotent),
                );
                assert!(previous.is_none(), "operationId {id} appears twice");
            }
        }
    }
    assert_eq!(
        expected.len(),
        88,
        "the spec this suite was written for has 88 operations"
    );

    let mut actual = BTreeMap::new();
    for meta in OPERATIONS {
        let previous = actual.insert(
            meta.operation_id.to_owned(),
            (
                meta.method.to_string(),
                meta.path_template.to_owned(),
                meta.host,
                meta.auth,
                meta.idempotent,
            ),
        );
        assert!(previous.is_none(), "{} is listed twice", meta.operation_id);
    }
    for (id, want) in &expected {
        let got = actual
            .get(id)
            .unwrap_or_else(|| panic!("no request type for operationId {id}"));
        assert_eq!(got, want, "metadata of {id}");
    }
    for id in actual.keys() {
        assert!(expected.contains_key(id), "{id} is not in the spec");
    }
}

#[test]
fn read_and_write_share_a_route_on_different_hosts() {
    use ampersand_core::Operation;
    use ampersand_resources::{read::TriggerRead, write::WriteRecords};
    assert_eq!(
        TriggerRead::META.path_template,
        WriteRecords::META.path_template
    );
    assert_eq!(TriggerRead::META.method, WriteRecords::META.method);
    assert_eq!(TriggerRead::META.host, Host::Read);
    assert_eq!(WriteRecords::META.host, Host::Write);
}
