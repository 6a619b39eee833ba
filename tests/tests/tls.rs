//! TLS end to end on loopback: the SDK's default transport against rustls servers with
//! certificates made at test time, counted on the server side. Every test name starts with
//! `tls_` (`cargo test -p ampersand-tests tls`).

use std::time::Duration;

use ampersand::layers::retry::RetryConfig;
use ampersand::resources::projects::GetProject;
use ampersand::{Client, ClientBuilder, ErrorKind};
use ampersand_tests::tls::{Alpn, TestCa, TlsServer, TlsServerConfig, TlsStats, Versions};
use bytes::Bytes;

const KEY: &str = "amp_test_key_1";
const GUARD: Duration = Duration::from_secs(30);

fn project(_: &http::request::Parts) -> http::Response<Bytes> {
    http::Response::builder()
        .header("content-type", "application/json")
        .body(Bytes::from_static(
            br#"{"id":"proj_1","name":"my-project","appName":"My App","orgId":"org_1","createTime":"2024-04-22T18:55:28.456076Z"}"#,
        ))
        .expect("a response")
}

async fn serve(config: TlsServerConfig) -> TlsServer {
    TlsServer::start_with(config, project).await
}

/// Retries on with short waits: a test that expects no retry proves it.
fn builder(server: &TlsServer) -> ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .retry(
            RetryConfig::default()
                .initial_backoff(Duration::from_millis(10))
                .max_backoff(Duration::from_millis(50)),
        )
}

/// A client that trusts `ca` beside the default roots.
fn trusting(server: &TlsServer, ca: &TestCa) -> Client {
    builder(server)
        .add_root_certificates_pem(ca.pem())
        .build()
        .expect("client")
}

async fn get(client: &Client) -> Result<ampersand::resources::models::Project, ampersand::Error> {
    tokio::time::timeout(GUARD, client.send(GetProject::new("my-project")))
        .await
        .expect("the call hung past its guard")
}

fn count(counter: &std::sync::atomic::AtomicUsize) -> usize {
    TlsStats::get(counter)
}

#[tokio::test]
async fn tls_alpn_negotiates_h2_when_the_server_offers_it() {
    let ca = TestCa::new("test CA");
    let server = serve(TlsServerConfig::new(ca.server())).await;
    let client = trusting(&server, &ca);
    get(&client).await.expect("a call over TLS");
    get(&client).await.expect("a second call, same connection");
    let stats = server.stats();
    assert_eq!(count(&stats.handshakes), 1);
    assert_eq!(count(&stats.h2), 1, "ALPN chose h2");
    assert_eq!(count(&stats.http11), 0);
    assert_eq!(count(&stats.requests), 2);
}

#[tokio::test]
async fn tls_alpn_falls_back_to_http11_when_the_server_has_no_h2() {
    let ca = TestCa::new("test CA");
    let mut config = TlsServerConfig::new(ca.server());
    config.alpn = Alpn::Http11;
    let server = serve(config).await;
    let client = trusting(&server, &ca);
    get(&client).await.expect("a call over TLS");
    let stats = server.stats();
    assert_eq!(count(&stats.handshakes), 1);
    assert_eq!(count(&stats.http11), 1, "ALPN chose http/1.1");
    assert_eq!(count(&stats.h2), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_64_calls_in_flight_share_one_h2_connection() {
    let ca = TestCa::new("test CA");
    let mut config = TlsServerConfig::new(ca.server());
    // The server holds each `/gated` request until all 64 are in flight together.
    config.gate = Some(64);
    let server = serve(config).await;
    let client = trusting(&server, &ca);
    // The first call opens the connection and learns (ALPN) that it is HTTP/2; until then
    // the pool cannot know that one connection could carry every call.
    get(&client).await.expect("warm-up call");
    let calls = (0..64).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.send(GetProject::new("gated")).await })
    });
    let results = tokio::time::timeout(GUARD, futures_join(calls))
        .await
        .expect("the 64 calls hung: they were not all in flight together");
    for result in results {
        result.expect("task").expect("call");
    }
    let stats = server.stats();
    assert_eq!(count(&stats.connections), 1, "one TCP connection");
    assert_eq!(count(&stats.handshakes), 1);
    assert_eq!(count(&stats.h2), 1);
    assert_eq!(count(&stats.max_in_flight), 64);
    assert_eq!(count(&stats.requests), 65);
}

async fn futures_join<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut results = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        results.push(handle.await);
    }
    results
}

#[tokio::test]
async fn tls_12_and_13_both_work() {
    let ca = TestCa::new("test CA");
    for (versions, expect12, expect13) in [(Versions::Tls12, 1, 0), (Versions::Tls13, 0, 1)] {
        let mut config = TlsServerConfig::new(ca.server());
        config.versions = versions;
        let server = serve(config).await;
        get(&trusting(&server, &ca))
            .await
            .unwrap_or_else(|e| panic!("{versions:?}: {e}"));
        let stats = server.stats();
        assert_eq!(count(&stats.tls12), expect12, "{versions:?}");
        assert_eq!(count(&stats.tls13), expect13, "{versions:?}");
    }
}

/// A failed handshake: its kind, its message, and that it was tried once.
async fn assert_handshake_error(server: &TlsServer, client: &Client, cause: &str) {
    let error = get(client).await.expect_err("the handshake must fail");
    assert_eq!(error.kind(), ErrorKind::Tls, "{error:?}");
    let message = error.to_string();
    assert!(message.contains(cause), "{message}");
    assert!(!error.is_retryable(), "{message}");
    assert_eq!(
        count(&server.stats().connections),
        1,
        "not retried: one connection attempt ({message})"
    );
    assert_eq!(count(&server.stats().handshakes), 0);
}

#[tokio::test]
async fn tls_unknown_ca_is_a_typed_error_not_retried() {
    let ca = TestCa::new("test CA");
    let server = serve(TlsServerConfig::new(ca.server())).await;
    // The default roots (the Mozilla bundle) do not hold the test CA.
    let client = builder(&server).build().expect("client");
    assert_handshake_error(
        &server,
        &client,
        "not signed by a trusted certificate authority",
    )
    .await;
}

#[tokio::test]
async fn tls_wrong_name_is_a_typed_error_not_retried() {
    let ca = TestCa::new("test CA");
    let server = serve(TlsServerConfig::new(ca.server_for(&["api.example.com"]))).await;
    let client = trusting(&server, &ca);
    assert_handshake_error(&server, &client, "not valid for the host name").await;
}

#[tokio::test]
async fn tls_expired_certificate_is_a_typed_error_not_retried() {
    let ca = TestCa::new("test CA");
    let server = serve(TlsServerConfig::new(ca.expired_server())).await;
    let client = trusting(&server, &ca);
    assert_handshake_error(&server, &client, "has expired").await;
}

#[tokio::test]
async fn tls_private_root_from_a_pem_with_several_certificates() {
    let ca = TestCa::new("test CA");
    let other = TestCa::new("another CA");
    let server = serve(TlsServerConfig::new(ca.server())).await;
    let bundle = format!("{}\n{}", other.pem(), ca.pem());
    let client = builder(&server)
        .add_root_certificates_pem(bundle)
        .build()
        .expect("client");
    get(&client)
        .await
        .expect("the second root of the bundle is trusted");
}

#[tokio::test]
async fn tls_invalid_root_pem_fails_the_build() {
    let error = Client::builder()
        .add_root_certificates_pem("no certificate here")
        .build()
        .expect_err("no certificate");
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.to_string().contains("BEGIN CERTIFICATE"), "{error}");
}

fn client_config(
    ca: &TestCa,
    identity: Option<ampersand_tests::tls::Identity>,
) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).expect("root");
    let builder = rustls::ClientConfig::builder_with_provider(ampersand_tests::tls::provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    match identity {
        Some(identity) => builder
            .with_client_auth_cert(identity.chain, identity.key)
            .expect("client certificate"),
        None => builder.with_no_client_auth(),
    }
}

#[tokio::test]
async fn tls_custom_client_config_with_a_client_certificate_for_mutual_tls() {
    let ca = TestCa::new("test CA");
    let mut config = TlsServerConfig::new(ca.server());
    config.client_ca = Some(ca.der().clone());
    let server = serve(config).await;
    let client = builder(&server)
        .tls_client_config(client_config(&ca, Some(ca.client())))
        .build()
        .expect("client");
    get(&client).await.expect("mutual TLS");
    let stats = server.stats();
    assert_eq!(count(&stats.client_certificates), 1);
    assert_eq!(
        count(&stats.h2),
        1,
        "the transport set ALPN on the user's config"
    );
}

#[tokio::test]
async fn tls_mutual_tls_without_a_client_certificate_is_refused() {
    let ca = TestCa::new("test CA");
    let mut config = TlsServerConfig::new(ca.server());
    config.client_ca = Some(ca.der().clone());
    let server = serve(config).await;
    let client = builder(&server)
        .tls_client_config(client_config(&ca, None))
        .no_retry()
        .build()
        .expect("client");
    let error = get(&client).await.expect_err("no client certificate");
    // TLS 1.3: the client's handshake ends before the server checks the client's
    // certificate, so the refusal (an alert) arrives while the response is read; the
    // message still names the cause.
    assert!(
        format!("{error:#}").contains("CertificateRequired"),
        "{error:#}"
    );
    assert_eq!(count(&server.stats().handshakes), 0);
}

#[tokio::test]
async fn tls_custom_client_config_and_private_roots_do_not_mix() {
    let ca = TestCa::new("test CA");
    let error = Client::builder()
        .tls_client_config(client_config(&ca, None))
        .add_root_certificates_pem(ca.pem())
        .build()
        .expect_err("ambiguous roots");
    assert_eq!(error.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn tls_settings_show_in_debug_without_key_material() {
    let ca = TestCa::new("test CA");
    let identity = ca.client();
    let builder = Client::builder()
        .tls_client_config(client_config(&ca, Some(identity)))
        .api_key(KEY);
    let shown = format!("{builder:?}");
    assert!(shown.contains("custom_client_config: true"), "{shown}");
    assert!(!shown.contains(KEY), "{shown}");
}
