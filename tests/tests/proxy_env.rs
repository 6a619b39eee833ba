//! Egress proxies end to end: the SDK reads the proxy variables through `from_env_with` (no
//! test touches the process environment, which parallel tests share), opens `CONNECT`
//! tunnels for https and forwards plain http, against a loopback proxy that counts tunnels
//! and checks credentials. Every test name starts with `proxy_env_`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ampersand::layers::retry::RetryConfig;
use ampersand::resources::projects::GetProject;
use ampersand::transport::ProxyConfig;
use ampersand::{Client, ClientBuilder, ErrorKind, Host};
use ampersand_mock::MockServer;
use ampersand_tests::proxy::{ConnectProxy, base64};
use ampersand_tests::server::{TestServer, json};
use ampersand_tests::tls::{TestCa, TlsServer, TlsServerConfig, TlsStats};
use bytes::Bytes;

const KEY: &str = "amp_test_key_1";
const CREDENTIALS: &str = "proxyuser:s3cret-pass";
const GUARD: Duration = Duration::from_secs(30);

fn project_body() -> &'static [u8] {
    br#"{"id":"proj_1","name":"my-project","appName":"My App","orgId":"org_1","createTime":"2024-04-22T18:55:28.456076Z"}"#
}

fn project(_: &http::request::Parts) -> http::Response<Bytes> {
    http::Response::builder()
        .header("content-type", "application/json")
        .body(Bytes::from_static(project_body()))
        .expect("a response")
}

/// A lookup over `vars`, standing in for the process environment.
fn env(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    move |name| vars.get(name).cloned()
}

fn builder(base_url: &str) -> ClientBuilder {
    Client::builder().api_key(KEY).base_url_all(base_url).retry(
        RetryConfig::default()
            .initial_backoff(Duration::from_millis(10))
            .max_backoff(Duration::from_millis(50)),
    )
}

async fn get(client: &Client) -> Result<ampersand::resources::models::Project, ampersand::Error> {
    tokio::time::timeout(GUARD, client.send(GetProject::new("my-project")))
        .await
        .expect("the call hung past its guard")
}

async fn tls_server(ca: &TestCa) -> TlsServer {
    TlsServer::start_with(TlsServerConfig::new(ca.server()), project).await
}

#[tokio::test]
async fn proxy_env_https_goes_through_a_connect_tunnel_with_credentials() {
    let ca = TestCa::new("test CA");
    let server = tls_server(&ca).await;
    let proxy = ConnectProxy::start(Some(CREDENTIALS)).await;
    let builder = builder(&server.url())
        .add_root_certificates_pem(ca.pem())
        .from_env_with(env(&[("https_proxy", proxy.url_with(CREDENTIALS))]));
    let shown = format!("{builder:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    let client = builder.build().expect("client");
    get(&client).await.expect("a call through the tunnel");
    get(&client).await.expect("a second call, same tunnel");

    assert_eq!(proxy.tunnels(), 1, "one tunnel, reused");
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    let connect = &seen[0];
    assert_eq!(connect.method, "CONNECT");
    assert_eq!(
        connect.target,
        format!("localhost:{}", server.addr().port())
    );
    assert_eq!(
        connect.header("proxy-authorization"),
        Some(format!("Basic {}", base64(CREDENTIALS.as_bytes())).as_str())
    );
    assert_eq!(
        connect.header("x-api-key"),
        None,
        "the API key stays inside TLS"
    );
    // TLS ran end to end through the tunnel: the server did the handshake, with h2.
    assert_eq!(TlsStats::get(&server.stats().handshakes), 1);
    assert_eq!(TlsStats::get(&server.stats().h2), 1);
    assert_eq!(TlsStats::get(&server.stats().requests), 2);
}

#[tokio::test]
async fn proxy_env_wrong_credentials_are_a_typed_proxy_error_not_retried() {
    let ca = TestCa::new("test CA");
    let server = tls_server(&ca).await;
    let proxy = ConnectProxy::start(Some(CREDENTIALS)).await;
    let client = builder(&server.url())
        .add_root_certificates_pem(ca.pem())
        .from_env_with(env(&[(
            "HTTPS_PROXY",
            proxy.url_with("proxyuser:wrong-pass"),
        )]))
        .build()
        .expect("client");
    let error = get(&client).await.expect_err("407");
    assert_eq!(error.kind(), ErrorKind::Proxy, "{error:?}");
    let message = format!("{error:#}");
    assert!(
        message.contains("proxy authorization required"),
        "{message}"
    );
    assert!(!message.contains("wrong-pass"), "{message}");
    assert!(!format!("{error:?}").contains("wrong-pass"));
    assert_eq!(proxy.refused(), 1, "not retried");
    assert_eq!(TlsStats::get(&server.stats().connections), 0);
}

#[tokio::test]
async fn proxy_env_unreachable_proxy_is_a_connect_error() {
    let ca = TestCa::new("test CA");
    let server = tls_server(&ca).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let client = builder(&server.url())
        .add_root_certificates_pem(ca.pem())
        .no_retry()
        .proxy(ProxyConfig::none().all(url))
        .build()
        .expect("client");
    let error = get(&client).await.expect_err("no proxy listening");
    assert_eq!(error.kind(), ErrorKind::Connect, "{error:?}");
    assert_eq!(TlsStats::get(&server.stats().connections), 0);
}

#[tokio::test]
async fn proxy_env_no_proxy_reaches_the_host_directly() {
    let ca = TestCa::new("test CA");
    let server = tls_server(&ca).await;
    let proxy = ConnectProxy::start(None).await;
    for no_proxy in [
        ("NO_PROXY", "localhost"),
        ("no_proxy", ".example.com, localhost"),
    ] {
        let client = builder(&server.url())
            .add_root_certificates_pem(ca.pem())
            .from_env_with(env(&[
                ("HTTPS_PROXY", proxy.url()),
                (no_proxy.0, no_proxy.1.to_owned()),
            ]))
            .build()
            .expect("client");
        get(&client).await.expect("a direct call");
    }
    assert_eq!(proxy.tunnels(), 0);
    assert!(proxy.requests().is_empty());
    assert_eq!(TlsStats::get(&server.stats().requests), 2);
}

#[tokio::test]
async fn proxy_env_without_proxy_turns_the_environment_off() {
    let ca = TestCa::new("test CA");
    let server = tls_server(&ca).await;
    let proxy = ConnectProxy::start(None).await;
    let client = builder(&server.url())
        .add_root_certificates_pem(ca.pem())
        .from_env_with(env(&[("ALL_PROXY", proxy.url())]))
        .without_proxy()
        .build()
        .expect("client");
    get(&client).await.expect("a direct call");
    assert!(proxy.requests().is_empty());
}

#[tokio::test]
async fn proxy_env_builder_proxy_wins_over_nothing_in_the_environment() {
    let ca = TestCa::new("test CA");
    let server = tls_server(&ca).await;
    let proxy = ConnectProxy::start(None).await;
    let client = builder(&server.url())
        .add_root_certificates_pem(ca.pem())
        .proxy(ProxyConfig::none().https(proxy.url()))
        .from_env_with(env(&[]))
        .build()
        .expect("client");
    get(&client).await.expect("a call through the tunnel");
    assert_eq!(proxy.tunnels(), 1);
}

#[tokio::test]
async fn proxy_env_plain_http_is_forwarded_with_proxy_authorization() {
    let server =
        TestServer::start(|_| json(serde_json::from_slice(project_body()).expect("json"))).await;
    let proxy = ConnectProxy::start(Some(CREDENTIALS)).await;
    let client = builder(&server.url())
        .from_env_with(env(&[("HTTP_PROXY", proxy.url_with(CREDENTIALS))]))
        .build()
        .expect("client");
    get(&client).await.expect("a forwarded call");
    assert_eq!(proxy.forwarded(), 1);
    assert_eq!(proxy.tunnels(), 0);
    let seen = &proxy.requests()[0];
    assert_eq!(seen.method, "GET");
    assert_eq!(
        seen.target,
        format!(
            "http://127.0.0.1:{}/v1/projects/my-project",
            server.addr().port()
        ),
        "absolute-form"
    );
    assert_eq!(
        seen.header("proxy-authorization"),
        Some(format!("Basic {}", base64(CREDENTIALS.as_bytes())).as_str())
    );
    // The origin never sees the proxy's credentials (the proxy removes them, and the SDK
    // adds them only to requests that go to the proxy).
    assert_eq!(server.requests()[0].header("proxy-authorization"), None);
}

#[tokio::test]
async fn proxy_env_https_requests_never_carry_proxy_authorization_to_the_server() {
    let ca = TestCa::new("test CA");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let server = TlsServer::start_with(TlsServerConfig::new(ca.server()), move |parts| {
        recorded.lock().unwrap().push(parts.headers.clone());
        project(parts)
    })
    .await;
    let proxy = ConnectProxy::start(Some(CREDENTIALS)).await;
    let client = builder(&server.url())
        .add_root_certificates_pem(ca.pem())
        .proxy(ProxyConfig::none().all(proxy.url_with(CREDENTIALS)))
        .build()
        .expect("client");
    get(&client).await.expect("a call through the tunnel");
    let headers = seen.lock().unwrap();
    assert_eq!(headers.len(), 1);
    assert!(headers[0].get("proxy-authorization").is_none());
    assert_eq!(headers[0]["x-api-key"], KEY);
}

#[tokio::test]
async fn proxy_env_deploy_upload_goes_through_the_proxy_without_ampersand_credentials() {
    const AMP_YAML: &str = "\
specVersion: 1.0.0
integrations:
  - name: apollo-enrich
    provider: apollo
    read:
      objects:
        - objectName: people
          destination: peopleWebhook
          schedule: \"*/10 * * * *\"
";
    let server = MockServer::start().await.expect("mock");
    let proxy = ConnectProxy::start(Some(CREDENTIALS)).await;
    let urls = server.urls();
    let client = Client::builder()
        .api_key(server.api_key())
        .base_url(Host::Api, &urls.api)
        .base_url(Host::Read, &urls.read)
        .base_url(Host::Write, &urls.write)
        .base_url(Host::Search, &urls.search)
        .from_env_with(env(&[("HTTP_PROXY", proxy.url_with(CREDENTIALS))]))
        .build()
        .expect("client");
    let integrations = tokio::time::timeout(GUARD, client.deploy("mock-project", AMP_YAML))
        .await
        .expect("the deploy hung")
        .expect("deploy through the proxy");
    assert_eq!(integrations[0].name, "apollo-enrich");

    let seen = proxy.requests();
    let upload = seen
        .iter()
        .find(|r| r.method == "PUT")
        .unwrap_or_else(|| panic!("the upload did not go through the proxy: {seen:?}"));
    assert!(upload.target.contains("/upload/"), "{}", upload.target);
    assert!(upload.header("proxy-authorization").is_some());
    for credential in ["x-api-key", "authorization"] {
        assert_eq!(
            upload.header(credential),
            None,
            "{credential} sent with the upload"
        );
    }
    // The API calls (signed URL, then the deploy) went through it too, with the key.
    assert!(
        seen.iter()
            .filter(|r| r.method != "PUT")
            .all(|r| r.header("x-api-key").is_some()),
        "{seen:?}"
    );
    assert_eq!(proxy.forwarded(), seen.len());
    assert!(seen.len() >= 3, "{seen:?}");
}
