//! Tokens for Ampersand's embedded UI components, end to end, offline.
//!
//! ```sh
//! cargo run -p ampersand --features jwt --example embedded_ui_token
//! AMP_JWT_PRIVATE_KEY=backend.pem cargo run -p ampersand --features jwt --example embedded_ui_token
//! ```
//!
//! It starts `ampersand-mock` in-process (which verifies Bearer JWTs as the service does) and
//! plays both sides: the backend registers the public half of its RSA key (`createJwtKey`),
//! mints a token for one consumer and group, and the "browser" calls Ampersand with it as
//! `Authorization: Bearer`. Then the backend rotates the key: registers a new one, mints
//! with it, retires the old one, and the old token stops working.
//!
//! The key is the throwaway test key of the repository, or the PEM file named by
//! `AMP_JWT_PRIVATE_KEY` (make one with
//! `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out backend.pem`).

use ampersand::jwt::{self, MAX_LIFETIME, SigningKey, TokenCache};
use ampersand::{BearerToken, Client, Host};
use ampersand_mock::{MockServer, MockUrls};

const PROJECT: &str = "mock-project";
const CONSUMER: &str = "user-42";
const GROUP: &str = "acme-corp";

/// Throwaway test keys (see `tests/fixtures/jwt/README.md`); never register them for real.
const TEST_KEY: &str = include_str!("../tests/fixtures/jwt/rsa_a.pem");
const NEXT_TEST_KEY: &str = include_str!("../tests/fixtures/jwt/rsa_b_pkcs1.pem");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start().await?;
    let urls = server.urls();
    // The backend calls Ampersand with its API key.
    let backend = with_mock(Client::builder().api_key(server.api_key()), urls).build()?;

    // 1. Read the private key and register its public half.
    let pem = match std::env::var("AMP_JWT_PRIVATE_KEY") {
        Ok(path) => std::fs::read_to_string(path)?,
        Err(_) => TEST_KEY.to_owned(),
    };
    let key = SigningKey::from_pem(&pem)?;
    println!("read an RSA key of {} bits", key.bits());
    let signer = jwt::register(&backend, PROJECT, "backend-key-1", key).await?;
    let old_kid = signer.kid().to_owned();
    println!("registered it with createJwtKey: kid {old_kid}");

    // 2. Mint a token for a consumer and group (the handler the browser asks for a token).
    let cache = TokenCache::new(signer);
    let minted = cache.token(CONSUMER, GROUP).await?;
    println!(
        "minted a token for {CONSUMER} in {GROUP}, valid {} s",
        minted.lifetime().as_secs()
    );

    // 3. The browser calls Ampersand with it.
    let browser = browser(urls, minted.token().clone())?;
    let project = browser.projects().get(PROJECT).await?;
    let connections = browser
        .connections()
        .list(PROJECT)
        .map(|op| op.group_ref(GROUP))
        .await?;
    println!(
        "the browser read project {} and {} connection(s) of {GROUP}",
        project.name,
        connections.len()
    );

    // 4. Rotate: register a new key, mint with it, retire the old one.
    let next = SigningKey::from_pem(NEXT_TEST_KEY)?;
    let next = jwt::register(&backend, PROJECT, "backend-key-2", next).await?;
    println!("registered the next key: kid {}", next.kid());
    cache.set_minter(next);
    let fresh = cache.token(CONSUMER, GROUP).await?;
    browser_with(urls, &fresh)?.projects().get(PROJECT).await?;
    println!("a token signed with the next key is accepted");
    // In production, wait MAX_LIFETIME here so every token of the old key has expired.
    println!(
        "(in production: wait {} s before retiring the old key)",
        MAX_LIFETIME.as_secs()
    );
    jwt::retire(&backend, PROJECT, &old_kid).await?;
    match browser.projects().get(PROJECT).await {
        Err(error) if error.is_unauthorized() => println!(
            "after retiring the old key, its token is refused: {}",
            error
                .problem()
                .and_then(|p| p.problem.detail.clone())
                .unwrap_or_default()
        ),
        other => return Err(format!("the retired key's token was not refused: {other:?}").into()),
    }
    for key in backend.jwt_keys().list(PROJECT).await? {
        println!(
            "registered key: {} ({}, active: {})",
            key.label, key.algorithm, key.active
        );
    }
    Ok(())
}

/// Points a client builder at every host of the mock.
fn with_mock(builder: ampersand::ClientBuilder, urls: &MockUrls) -> ampersand::ClientBuilder {
    builder
        .base_url(Host::Api, &urls.api)
        .base_url(Host::Read, &urls.read)
        .base_url(Host::Write, &urls.write)
        .base_url(Host::Search, &urls.search)
        .no_retry()
}

/// What the browser does with the token: send it as `Authorization: Bearer`.
fn browser(urls: &MockUrls, token: BearerToken) -> Result<Client, ampersand::Error> {
    with_mock(Client::builder().bearer_token(token), urls).build()
}

fn browser_with(urls: &MockUrls, minted: &jwt::MintedToken) -> Result<Client, ampersand::Error> {
    browser(urls, minted.token().clone())
}
