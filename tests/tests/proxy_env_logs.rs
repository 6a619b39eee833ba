//! Proxy credentials never reach logs or spans: alone in its test binary, because `tracing`
//! caches per call site whether anyone listens, and tests running beside it on other threads
//! (with no subscriber) could make this test's thread-local subscriber miss the SDK's spans.
//! The test name starts with `proxy_env_`.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ampersand::Client;
use ampersand::resources::projects::GetProject;
use ampersand::transport::ProxyConfig;
use ampersand_tests::h2_server::PROJECT_JSON;
use ampersand_tests::proxy::{ConnectProxy, base64};
use ampersand_tests::server::{TestServer, json};

const KEY: &str = "amp_test_key_1";
const CREDENTIALS: &str = "proxyuser:s3cret-pass";
const GUARD: Duration = Duration::from_secs(30);

fn project_body() -> &'static [u8] {
    PROJECT_JSON
}

fn env(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    move |name| vars.get(name).cloned()
}

fn builder(base_url: &str) -> ampersand::ClientBuilder {
    Client::builder().api_key(KEY).base_url_all(base_url)
}

async fn get(client: &Client) -> Result<ampersand::resources::models::Project, ampersand::Error> {
    tokio::time::timeout(GUARD, client.send(GetProject::new("my-project")))
        .await
        .expect("the call hung past its guard")
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn proxy_env_credentials_stay_out_of_logs_spans_and_errors() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server =
        TestServer::start(|_| json(serde_json::from_slice(project_body()).expect("json"))).await;
    let proxy = ConnectProxy::start(Some(CREDENTIALS)).await;
    let client = builder(&server.url())
        .from_env_with(env(&[("ALL_PROXY", proxy.url_with(CREDENTIALS))]))
        .build()
        .expect("client");
    get(&client).await.expect("a forwarded call");
    let wrong = builder(&server.url())
        .no_retry()
        .proxy(ProxyConfig::none().all(proxy.url_with("proxyuser:other-secret")))
        .build()
        .expect("client");
    let error = get(&wrong).await.expect_err("407");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).expect("utf-8");
    assert!(
        logs.contains("getProject"),
        "the spans were captured:\n{logs}"
    );
    for secret in [
        "s3cret-pass".to_owned(),
        "other-secret".to_owned(),
        base64(CREDENTIALS.as_bytes()),
        base64(b"proxyuser:other-secret"),
    ] {
        assert!(!logs.contains(&secret), "{secret} in the logs:\n{logs}");
        assert!(!error.to_string().contains(&secret));
        assert!(!format!("{error:?}").contains(&secret));
        assert!(!format!("{client:?}").contains(&secret));
    }
}
