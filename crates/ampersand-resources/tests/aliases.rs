//! The generator's alias tables (`xtask/src/codegen/aliases.rs`): where the service answers
//! differently from the spec, both spellings decode through the operation's own decoder.

use ampersand_core::Operation;
use ampersand_core::{Bytes, http};
use ampersand_resources::jwt_keys::{GetJwtKey, JwtKeyAlgorithm};
use ampersand_resources::search::{SearchRecords, SearchResponse};
use serde_json::{Value, json};

fn response(body: Value) -> http::Response<Bytes> {
    http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

fn entries() -> Value {
    json!([
        {"fields": {"email": "a@example.com"}, "raw": {"Id": "1"}},
        {"fields": {"email": "b@example.com"}},
    ])
}

fn emails(decoded: &SearchResponse) -> Vec<Value> {
    decoded
        .result
        .as_ref()
        .expect("the list decoded")
        .iter()
        .map(|e| e.fields.as_ref().unwrap()["email"].clone())
        .collect()
}

#[test]
fn search_response_decodes_the_spec_spelling_result() {
    let decoded = SearchRecords::decode(response(json!({"result": entries()}))).unwrap();
    assert_eq!(emails(&decoded), ["a@example.com", "b@example.com"]);
}

#[test]
fn search_response_decodes_the_documented_spelling_results() {
    let decoded = SearchRecords::decode(response(json!({"results": entries()}))).unwrap();
    assert_eq!(emails(&decoded), ["a@example.com", "b@example.com"]);
}

#[test]
fn search_response_is_sent_back_with_the_spec_spelling() {
    let decoded: SearchResponse = serde_json::from_value(json!({"results": entries()})).unwrap();
    let encoded = serde_json::to_value(&decoded).unwrap();
    assert!(encoded.get("result").is_some() && encoded.get("results").is_none());
}

#[test]
fn search_response_with_both_spellings_is_refused_rather_than_merged() {
    let both = json!({"result": entries(), "results": entries()});
    let error = SearchRecords::decode(response(both)).unwrap_err();
    assert!(
        format!("{error:#}").contains("duplicate field"),
        "{error:#}"
    );
}

#[test]
fn jwt_key_algorithm_decodes_both_names_of_the_contradicting_spec() {
    let key = |algorithm: &str| {
        json!({
            "id": "k1", "projectId": "p", "label": "l", "algorithm": algorithm,
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
            "active": true, "createTime": "2026-12-02T10:00:00Z", "updateTime": "2026-12-02T10:00:00Z",
        })
    };
    let rsa = GetJwtKey::decode(response(key("RSA"))).unwrap();
    assert_eq!(rsa.algorithm, JwtKeyAlgorithm::Rsa);
    let rs256 = GetJwtKey::decode(response(key("RS256"))).unwrap();
    assert_eq!(rs256.algorithm, JwtKeyAlgorithm::Rs256);
    assert_eq!(rs256.algorithm.as_str(), "RS256");
    let other = GetJwtKey::decode(response(key("ES256"))).unwrap();
    assert_eq!(
        other.algorithm,
        JwtKeyAlgorithm::Unknown("ES256".to_owned())
    );
}
