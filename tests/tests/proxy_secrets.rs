//! Secrets stay out of the traces, logs and errors of proxied calls: the client's API key, and
//! credentials a provider takes in its query string. Its own binary, so that its global
//! tracing subscriber sees everything.

use std::sync::Arc;

use ampersand::proxy::ProxyTarget;
use ampersand::{Client, Host};
use ampersand_tests::server::{TestServer, json, respond};
use serde_json::json as j;

const KEY: &str = "amp_PROXYSECRET_93be71";

#[tokio::test]
async fn proxy_secrets_absent_from_spans_logs_and_errors() {
    use std::io::Write;
    use std::sync::Mutex;
    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::fmt::format::FmtSpan;

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
    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    // The only test of this binary: a global subscriber sees every callsite from the start
    // (a thread-local one loses callsites that other tests' threads met first).
    tracing::subscriber::set_global_default(subscriber).unwrap();

    const TOKEN: &str = "PROVIDERSECRET_77aa";
    let server = TestServer::start(|request| match request.path() {
        "/denied" => respond(
            401,
            "application/problem+json",
            r#"{"title":"Unauthorized","status":401,"detail":"bad key"}"#,
        ),
        _ => json(j!({})),
    })
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .bearer_token("eyJPROXYJWT.payload.sig")
        .base_url(Host::Proxy, &format!("http://{}", server.addr()))
        .build()
        .unwrap();
    let proxy = client.proxy("proj-1", ProxyTarget::installation("inst-secret-test"));
    proxy
        .get(format!("/contacts?access_token={TOKEN}&limit=1"))
        .query(&[("api_key", TOKEN), ("hapikey", TOKEN)])
        .path_template("/contacts")
        .send()
        .await
        .unwrap();
    let error = proxy
        .get(format!("/denied?token={TOKEN}"))
        .send()
        .await
        .unwrap_err();

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("ampersand.installation_id=\"inst-secret-test\""),
        "{text}"
    );
    assert!(text.contains("GET /contacts"), "{text}");
    assert!(text.contains("access_token=REDACTED"), "{text}");
    for (what, text) in [
        ("the traces", text),
        ("the error's Display", error.to_string()),
        ("the error's Debug", format!("{error:?}")),
        ("the proxy's Debug", format!("{proxy:?}")),
        ("the client's Debug", format!("{client:?}")),
    ] {
        for secret in [KEY, TOKEN, "PROXYSECRET", "PROVIDERSECRET"] {
            assert!(!text.contains(secret), "{what} contains {secret}:\n{text}");
        }
    }
    // The server did get them: the redaction is in telemetry only.
    assert!(server.requests()[0].path_and_query.contains(TOKEN));
}
