//! Short property tests of the decoders (the long runs are the `cargo fuzz` targets in
//! `fuzz/`): problem decoding and the response decoding of the largest models never panic,
//! and an error always keeps the response's status.
//!
//! Inputs come from a small seeded generator: random JSON (deep, wide, every type, odd numbers
//! and strings), mutations of realistic documents (a subtree replaced, a member removed or
//! added), and random bytes. The seed is printed; `AMP_PROPTEST_SEED` replays a run and
//! `AMP_PROPTEST_CASES` changes its length.

use ampersand::core::InputValidationProblem;
use ampersand::resources::connections::{CustomAuthConnect, GetConnection};
use ampersand::resources::installations::GetInstallation;
use ampersand::resources::integrations::{GetIntegration, ListIntegrations};
use ampersand::resources::oauth::OauthConnect;
use ampersand::resources::operations::ListOperations;
use ampersand::resources::revisions::GetHydratedRevision;
use ampersand::{Error, Operation};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value, json};

fn cases() -> usize {
    std::env::var("AMP_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3_000)
}

fn rng(test: &str) -> fastrand::Rng {
    let seed = std::env::var("AMP_PROPTEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("{test}: seed {seed} (replay with AMP_PROPTEST_SEED={seed})");
    fastrand::Rng::with_seed(seed)
}

// ---------------------------------------------------------------------------------------------
// Generators.

const WORDS: &[&str] = &[
    "id",
    "name",
    "type",
    "title",
    "status",
    "detail",
    "issues",
    "remedy",
    "requestId",
    "retryable",
    "instance",
    "in",
    "content",
    "read",
    "objects",
    "provider",
    "createTime",
    "latestRevision",
    "config",
    "connection",
    "redirect",
    "providerApp",
    "scopes",
    "group",
    "consumer",
    "fields",
    "",
];

fn string(rng: &mut fastrand::Rng) -> String {
    match rng.u8(..6) {
        0 => WORDS[rng.usize(..WORDS.len())].to_owned(),
        1 => "2024-04-22T18:55:28.456076Z".to_owned(),
        2 => "not-a-date".to_owned(),
        3 => "é日本🦀\u{0}\u{7f}\"\\".to_owned(),
        4 => "x".repeat(rng.usize(..2_000)),
        _ => (0..rng.usize(..12)).map(|_| rng.alphanumeric()).collect(),
    }
}

fn number(rng: &mut fastrand::Rng) -> Value {
    match rng.u8(..7) {
        0 => json!(rng.i64(..)),
        1 => json!(rng.u64(..)),
        2 => json!(rng.f64() * 1e300),
        3 => json!(-0.5),
        4 => json!(i64::MIN),
        5 => json!(u64::MAX),
        _ => json!(rng.u16(..)),
    }
}

fn value(rng: &mut fastrand::Rng, depth: usize) -> Value {
    let leaf = depth >= 6 || rng.u8(..3) == 0;
    match if leaf { rng.u8(..4) } else { rng.u8(..6) } {
        0 => Value::Null,
        1 => Value::Bool(rng.bool()),
        2 => number(rng),
        3 => Value::String(string(rng)),
        4 => Value::Array((0..rng.usize(..5)).map(|_| value(rng, depth + 1)).collect()),
        _ => Value::Object(
            (0..rng.usize(..6))
                .map(|_| (string(rng), value(rng, depth + 1)))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// A document with one random change somewhere.
fn mutate(rng: &mut fastrand::Rng, document: &Value, depth: usize) -> Value {
    if depth > 0 && rng.u8(..4) == 0 {
        return value(rng, depth);
    }
    match document {
        Value::Object(members) if !members.is_empty() => {
            let mut members = members.clone();
            let keys: Vec<String> = members.keys().cloned().collect();
            let key = &keys[rng.usize(..keys.len())];
            match rng.u8(..4) {
                0 => {
                    members.remove(key);
                }
                1 => {
                    members.insert(string(rng), value(rng, depth + 1));
                }
                _ => {
                    let inner = mutate(rng, &members[key], depth + 1);
                    members.insert(key.clone(), inner);
                }
            }
            Value::Object(members)
        }
        Value::Array(items) if !items.is_empty() => {
            let mut items = items.clone();
            let index = rng.usize(..items.len());
            items[index] = mutate(rng, &items[index], depth + 1);
            Value::Array(items)
        }
        _ => value(rng, depth),
    }
}

/// Realistic documents the mutations start from.
fn seeds() -> Vec<Value> {
    let read_object = json!({"objectName": "contact", "destination": "my-webhook",
        "schedule": "*/10 * * * *", "selectedFields": {"email": true},
        "selectedFieldMappings": {"mail": "email"}, "backfill": {"defaultPeriod": {"fullHistory": true}}});
    let revision = json!({"id": "rev_1", "specVersion": "1.0.0", "createTime": "2024-04-22T18:55:28Z",
        "content": {"provider": "salesforce", "read": {"objects": [{"objectName": "contact",
        "destination": "d", "schedule": "*/10 * * * *", "requiredFields": [{"fieldName": "id"}],
        "optionalFields": [{"mapToName": "x", "default": "y"}]}]}}});
    let connection = json!({"id": "conn_1", "projectId": "p", "provider": "salesforce",
        "group": {"groupRef": "g", "groupName": "G", "projectId": "p", "createTime": "2024-04-22T18:55:28Z"},
        "consumer": {"consumerRef": "c", "consumerName": "C", "projectId": "p", "createTime": "2024-04-22T18:55:28Z"},
        "providerApp": {"id": "app", "projectId": "p", "provider": "salesforce", "clientId": "cid",
            "scopes": ["read"], "createTime": "2024-04-22T18:55:28Z"},
        "createTime": "2024-04-22T18:55:28Z", "authScheme": "oauth2/authorizationCode", "status": "working"});
    vec![
        json!({"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "d",
               "issues": [{"in": "body", "name": "name", "detail": "missing"}], "retryable": false,
               "requestId": "r", "remedy": "fix it"}),
        json!({"id": "int_1", "projectId": "p", "name": "n", "provider": "salesforce",
               "createTime": "2024-04-22T18:55:28Z", "latestRevision": revision}),
        json!({"id": "inst_1", "projectId": "p", "integrationId": "int_1", "groupRef": "g",
               "healthStatus": "healthy", "connection": connection.clone(), "createTime": "2024-04-22T18:55:28Z",
               "createdBy": "api:x", "config": {"id": "cfg", "revisionId": "rev_1", "createTime": "2024-04-22T18:55:28Z",
               "createdBy": "api:x", "content": {"provider": "salesforce", "read": {"objects": {"contact": read_object}}}}}),
        connection.clone(),
        json!({"connection": connection}),
        json!({"redirect": {"url": "https://example.com", "sessionId": "s"}}),
        json!([]),
        json!({"operations": [], "pagination": {"done": true}}),
    ]
}

/// A body: random JSON, a mutated seed, or random bytes.
fn body(rng: &mut fastrand::Rng, seeds: &[Value]) -> Vec<u8> {
    match rng.u8(..5) {
        0 => serde_json::to_vec(&value(rng, 0)).unwrap(),
        1 => (0..rng.usize(..256)).map(|_| rng.u8(..)).collect(),
        2 => {
            // Valid JSON cut short.
            let mut bytes = serde_json::to_vec(&seeds[rng.usize(..seeds.len())]).unwrap();
            bytes.truncate(rng.usize(..=bytes.len()));
            bytes
        }
        _ => {
            let seed = &seeds[rng.usize(..seeds.len())];
            serde_json::to_vec(&mutate(rng, seed, 0)).unwrap()
        }
    }
}

fn status(rng: &mut fastrand::Rng, range: std::ops::Range<u16>) -> StatusCode {
    StatusCode::from_u16(rng.u16(range)).unwrap()
}

fn headers(rng: &mut fastrand::Rng) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let media = [
        "application/problem+json",
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/PROBLEM+JSON",
        "text/html",
        "text/plain",
        "application/vnd.custom+json",
        "",
    ];
    let chosen = media[rng.usize(..media.len())];
    if !chosen.is_empty() {
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(chosen));
    }
    if rng.bool() {
        let retry_after = [
            "1",
            "0",
            "-5",
            "99999999999",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "soon",
        ];
        headers.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_static(retry_after[rng.usize(..retry_after.len())]),
        );
    }
    headers
}

// ---------------------------------------------------------------------------------------------
// Properties.

#[test]
fn problem_decoding_never_panics_and_keeps_the_status() {
    let mut rng = rng("problem decoding");
    let seeds = seeds();
    for _ in 0..cases() {
        let status = status(&mut rng, 400..600);
        let headers = headers(&mut rng);
        let body = body(&mut rng, &seeds);

        let problem = InputValidationProblem::from_response(status, &headers, &body);
        assert!(problem.status.is_some(), "a problem always has a status");

        let error = Error::api(status, headers.clone(), Bytes::from(body.clone()));
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.body().map(|b| b.as_ref()), Some(body.as_slice()));
        assert!(error.problem().is_some());
        let _ = error.issues();
        let _ = error.request_id();
        let _ = error.retry_after(std::time::SystemTime::now());
        let _ = error.is_retryable();
        let _ = format!("{error} {error:?}");
    }
}

/// Decodes a random 2xx response with an operation's decoder.
fn decode_with<O: Operation>(rng: &mut fastrand::Rng, seeds: &[Value]) -> bool
where
    O::Output: std::fmt::Debug,
{
    let status = status(rng, 200..300);
    let mut response = http::Response::new(Bytes::from(body(rng, seeds)));
    *response.status_mut() = status;
    *response.headers_mut() = headers(rng);
    match O::decode(response) {
        Ok(output) => {
            let _ = format!("{output:?}");
            true
        }
        Err(error) => {
            assert_eq!(error.status(), Some(status), "{error}");
            assert!(error.body().is_some(), "the body is kept: {error}");
            let _ = format!("{error} {error:?}");
            false
        }
    }
}

/// Decodes one random response; true when it decoded.
type Decoder = fn(&mut fastrand::Rng, &[Value]) -> bool;

#[test]
fn response_decoding_of_the_largest_models_never_panics_and_keeps_the_status() {
    let mut rng = rng("response decoding");
    let seeds = seeds();
    let decoders: &[(&str, Decoder)] = &[
        ("getIntegration", decode_with::<GetIntegration>),
        ("listIntegrations", decode_with::<ListIntegrations>),
        ("getInstallation", decode_with::<GetInstallation>),
        ("getConnection", decode_with::<GetConnection>),
        ("getHydratedRevision", decode_with::<GetHydratedRevision>),
        ("customAuthConnect", decode_with::<CustomAuthConnect>),
        ("listOperations", decode_with::<ListOperations>),
        ("oauthConnect (text)", decode_with::<OauthConnect>),
    ];
    for (name, decode) in decoders {
        let decoded = (0..cases() / 2)
            .filter(|_| decode(&mut rng, &seeds))
            .count();
        println!(
            "  {name}: {decoded} of {} random responses decoded",
            cases() / 2
        );
    }
}
