//! Tokens minted by the `jwt` feature, sent as `Authorization: Bearer` to `ampersand-mock`,
//! which verifies them against the keys registered with it: acceptance, each rejection (a
//! 401 problem naming the check that failed), and the rotation flow.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ampersand::jwt::{self, JwtSigner, SigningKey, TokenCache};
use ampersand::resources::jwt_keys::JwtKeyAlgorithm;
use ampersand::{BearerToken, Client, ClientBuilder, Error, Host};
use ampersand_mock::MockServer;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const RSA_A: &str = include_str!("fixtures/jwt/rsa_a.pem");
const RSA_B_PKCS1: &str = include_str!("fixtures/jwt/rsa_b_pkcs1.pem");
const PROJECT: &str = "mock-project";
const CONSUMER: &str = "user-42";
const GROUP: &str = "acme-corp";

fn with_mock(builder: ClientBuilder, server: &MockServer) -> Client {
    let urls = server.urls();
    builder
        .base_url(Host::Api, &urls.api)
        .base_url(Host::Read, &urls.read)
        .base_url(Host::Write, &urls.write)
        .base_url(Host::Search, &urls.search)
        .no_retry()
        .build()
        .unwrap()
}

fn backend(server: &MockServer) -> Client {
    with_mock(Client::builder().api_key(server.api_key()), server)
}

fn browser(server: &MockServer, token: impl Into<BearerToken>) -> Client {
    with_mock(Client::builder().bearer_token(token), server)
}

fn key_a() -> SigningKey {
    SigningKey::from_pem(RSA_A).unwrap()
}

fn key_b() -> SigningKey {
    SigningKey::from_pem(RSA_B_PKCS1).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A token the signer refuses to mint, signed by key A with `kid`.
fn forge(kid: &str, claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(RSA_A.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// base64url without padding, as JWT parts are encoded.
fn b64(value: &Value) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Calls getProject with `token` and returns the 401's detail.
async fn refused(server: &MockServer, token: impl Into<BearerToken>) -> String {
    let error: Error = browser(server, token)
        .projects()
        .get(PROJECT)
        .await
        .expect_err("the mock accepted the token");
    assert!(error.is_unauthorized(), "{error:?}");
    error
        .problem()
        .and_then(|p| p.problem.detail.clone())
        .expect("a problem with a detail")
}

#[tokio::test]
async fn a_minted_token_is_accepted_where_bearer_tokens_are() {
    let server = MockServer::start().await.unwrap();
    let backend = backend(&server);
    let signer = jwt::register(&backend, PROJECT, "backend-key", key_a())
        .await
        .unwrap();
    let minted = signer.mint(CONSUMER, GROUP).unwrap();
    let browser = browser(&server, minted.token().clone());

    let project = browser.projects().get(PROJECT).await.unwrap();
    assert_eq!(project.name, PROJECT);
    browser
        .connections()
        .list(PROJECT)
        .map(|op| op.group_ref(GROUP))
        .await
        .unwrap();
    // Listing projects shows only the key's project.
    let projects = browser.projects().list().await.unwrap();
    assert_eq!(projects.len(), 1);

    // The key as the mock stores it: the algorithm decodes (the response says `RSA`).
    let key = backend.jwt_keys().get(PROJECT, signer.kid()).await.unwrap();
    assert_eq!(key.algorithm, JwtKeyAlgorithm::Rsa);
    assert_eq!(key.public_key_pem, signer.key().public_key_pem());
}

#[tokio::test]
async fn each_failed_check_is_a_401_problem_that_names_it() {
    let server = MockServer::start().await.unwrap();
    let backend = backend(&server);
    let signer = jwt::register(&backend, PROJECT, "backend-key", key_a())
        .await
        .unwrap();
    let kid = signer.kid().to_owned();

    // Bad signature: key B signs, with key A's kid.
    let wrong_key = JwtSigner::new(key_b(), &kid).unwrap();
    let detail = refused(
        &server,
        wrong_key.mint(CONSUMER, GROUP).unwrap().token().clone(),
    )
    .await;
    assert!(detail.contains("signature"), "{detail}");

    // Unknown kid.
    let unknown = JwtSigner::new(key_a(), "no-such-kid").unwrap();
    let detail = refused(
        &server,
        unknown.mint(CONSUMER, GROUP).unwrap().token().clone(),
    )
    .await;
    assert!(detail.contains("unknown kid"), "{detail}");

    // Expired: a 600 s token issued 700 s ago.
    let issued = SystemTime::now() - Duration::from_secs(700);
    let expired = signer.mint_at(CONSUMER, GROUP, issued).unwrap();
    let detail = refused(&server, expired.token().clone()).await;
    assert!(detail.contains("expired"), "{detail}");

    // Lifetime over 600 s (which the signer refuses to mint, so forged).
    let long = forge(
        &kid,
        json!({"sub": CONSUMER, "consumerRef": CONSUMER, "groupRef": GROUP, "iat": now(), "exp": now() + 900}),
    );
    let detail = refused(&server, long).await;
    assert!(detail.contains("lifetime"), "{detail}");

    // Missing claims, one at a time.
    let full = json!({"sub": CONSUMER, "consumerRef": CONSUMER, "groupRef": GROUP, "iat": now(), "exp": now() + 300});
    for claim in ["consumerRef", "groupRef", "sub", "iat", "exp"] {
        let mut claims = full.clone();
        claims.as_object_mut().unwrap().remove(claim);
        let detail = refused(&server, forge(&kid, claims)).await;
        assert!(detail.contains(claim), "{claim}: {detail}");
    }

    // Another algorithm (HS256 with the kid of an RSA key).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.clone());
    let hs256 =
        jsonwebtoken::encode(&header, &full, &EncodingKey::from_secret(b"s").unwrap()).unwrap();
    let detail = refused(&server, hs256).await;
    assert!(detail.contains("RS256"), "{detail}");

    // An unsigned token (`alg: none`) is a JWT too, so it is verified, not waved through.
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT", "kid": kid})),
        b64(&full)
    );
    let detail = refused(&server, unsigned).await;
    assert!(detail.contains("header"), "{detail}");

    // A well-formed token is accepted, but not on a builder (Bearer-only) operation, and not
    // for another group.
    let good = signer.mint(CONSUMER, GROUP).unwrap();
    let browser = browser(&server, good.token().clone());
    browser.projects().get(PROJECT).await.unwrap();
    let error = browser.users().get_my_info().await.unwrap_err();
    assert!(error.is_unauthorized(), "{error:?}");
    let error = browser
        .connections()
        .list(PROJECT)
        .map(|op| op.group_ref("another-group"))
        .await
        .unwrap_err();
    assert!(error.is_forbidden(), "{error:?}");

    // A deactivated key's tokens are refused.
    backend
        .jwt_keys()
        .update(
            PROJECT,
            &kid,
            vec![ampersand::resources::jwt_keys::PatchJwtKeyField::Active],
            ampersand::resources::jwt_keys::JwtKeyPatch {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let detail = refused(&server, good.token().clone()).await;
    assert!(detail.contains("inactive"), "{detail}");
}

#[tokio::test]
async fn rotation_registers_mints_with_the_new_key_and_retires_the_old_one() {
    let server = MockServer::start().await.unwrap();
    let backend = backend(&server);
    let first = jwt::register(&backend, PROJECT, "key-1", key_a())
        .await
        .unwrap();
    let old_kid = first.kid().to_owned();
    let cache = TokenCache::new(first);
    let old = cache.token(CONSUMER, GROUP).await.unwrap();

    let second = jwt::register(&backend, PROJECT, "key-2", key_b())
        .await
        .unwrap();
    let new_kid = second.kid().to_owned();
    cache.set_minter(second);
    let new = cache.token(CONSUMER, GROUP).await.unwrap();
    let kid_of = |t: &jwt::MintedToken| {
        jsonwebtoken::decode_header(t.token().secret().expose())
            .unwrap()
            .kid
            .unwrap()
    };
    assert_eq!(kid_of(&new), new_kid);

    // Both keys are live until the old one is retired.
    browser(&server, old.token().clone())
        .projects()
        .get(PROJECT)
        .await
        .unwrap();
    browser(&server, new.token().clone())
        .projects()
        .get(PROJECT)
        .await
        .unwrap();

    jwt::retire(&backend, PROJECT, &old_kid).await.unwrap();
    let detail = refused(&server, old.token().clone()).await;
    assert!(detail.contains("unknown kid"), "{detail}");
    browser(&server, new.token().clone())
        .projects()
        .get(PROJECT)
        .await
        .unwrap();
    let keys = backend.jwt_keys().list(PROJECT).await.unwrap();
    let ids: Vec<&str> = keys.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, [new_kid.as_str()]);
}

#[tokio::test]
async fn the_cache_is_a_token_provider_for_a_client() {
    let server = MockServer::start().await.unwrap();
    let signer = jwt::register(&backend(&server), PROJECT, "backend-key", key_a())
        .await
        .unwrap();
    let cache = TokenCache::new(signer);
    let client = with_mock(
        Client::builder().token_provider(cache.provider(CONSUMER, GROUP)),
        &server,
    );
    client.projects().get(PROJECT).await.unwrap();
    client
        .connections()
        .list(PROJECT)
        .map(|op| op.group_ref(GROUP))
        .await
        .unwrap();
}
