//! Secrets never leak, path parameters never escape their segment, oversized responses are
//! never read whole.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ampersand::core::{ApiKey, BearerToken};
use ampersand::layers::auth::{Credentials, Token};
use ampersand::layers::rate_limit::{Quota, RateLimitConfig};
use ampersand::layers::retry::RetryConfig;
use ampersand::resources::connections::GetConnection;
use ampersand::resources::installations::GetInstallation;
use ampersand::resources::objects_and_fields::GetObjectMetadataForConnection;
use ampersand::resources::orgs::GetOrg;
use ampersand::resources::projects::{CreateProject, GetProject, ListProjects};
use ampersand::transport::TransportConfig;
use ampersand::{Client, Error, ErrorKind, Host};
use ampersand_tests::server::{TestServer, json, respond};
use serde_json::json as j;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Distinctive secrets, so that any leak is found by a plain substring search.
const KEY: &str = "amp_SECRETKEY_4f1c9e7a2b";
const JWT: &str = "eyJSECRETJWT.payload7d3e.signature9a1b";
const MINTED: &str = "eyJMINTEDSECRET.payload.sig55";
/// Pieces a partial redaction could leave behind.
const FRAGMENTS: &[&str] = &[
    "SECRETKEY",
    "SECRETJWT",
    "MINTEDSECRET",
    "4f1c9e7a2b",
    "signature9a1b",
];

fn assert_clean(what: &str, text: &str) {
    for secret in [KEY, JWT, MINTED].iter().chain(FRAGMENTS) {
        assert!(
            !text.contains(secret),
            "{what} contains the secret fragment {secret:?}:\n{text}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tracing capture.

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

/// Every event and span (opened, entered, closed, with all fields) of the whole test binary,
/// at TRACE level.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::FULL)
            .with_writer(captured.clone())
            .with_ansi(false)
            .with_target(true)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        captured
    })
}

fn client(url: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(url)
        .retry(RetryConfig::default().initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap()
}

fn project() -> serde_json::Value {
    j!({"id": "proj_1", "name": "p", "appName": "A", "orgId": "org_1",
        "createTime": "2024-04-22T18:55:28Z"})
}

/// Errors of every kind, each made by a client that holds the secrets.
async fn errors_of_every_kind() -> Vec<Error> {
    let mut errors = Vec::new();
    // Api: a problem (a 401, a 503 after retries).
    let server = TestServer::start(|request| match request.path() {
        "/v1/projects/unauthorized" => respond(
            401,
            "application/problem+json",
            r#"{"title":"Unauthorized","status":401,"detail":"bad credentials"}"#,
        ),
        "/v1/projects/unavailable" => respond(503, "text/html", "<h1>down</h1>"),
        "/v1/projects/garbled" => respond(200, "application/json", "{not json"),
        "/v1/projects/slow" => {
            std::thread::sleep(Duration::from_millis(300));
            json(project())
        }
        "/v1/projects/large" => respond(200, "application/json", vec![b' '; 64 * 1024]),
        _ => json(project()),
    })
    .await;
    let c = client(&server.url());
    errors.push(c.send(GetProject::new("unauthorized")).await.unwrap_err());
    errors.push(c.send(GetProject::new("unavailable")).await.unwrap_err());
    // Decode.
    errors.push(c.send(GetProject::new("garbled")).await.unwrap_err());
    // Encode: an empty path parameter.
    errors.push(c.send(GetProject::new("")).await.unwrap_err());
    // Timeout.
    let slow = Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(&server.url())
        .no_retry()
        .attempt_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    errors.push(slow.send(GetProject::new("slow")).await.unwrap_err());
    // BodyTooLarge.
    let small = Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(&server.url())
        .max_response_body(1024)
        .build()
        .unwrap();
    errors.push(small.send(GetProject::new("large")).await.unwrap_err());
    // RateLimited: a fail-fast quota of one call.
    let limited = Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(&server.url())
        .rate_limit(
            RateLimitConfig::new()
                .quota(Quota::per_minute(1))
                .fail_fast(true),
        )
        .build()
        .unwrap();
    let _ = limited.send(GetProject::new("ok")).await;
    errors.push(limited.send(GetProject::new("ok")).await.unwrap_err());
    // Auth: a Bearer-only operation with only an API key; a failing token provider.
    let key_only = Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .build()
        .unwrap();
    errors.push(
        key_only
            .send(CreateProject::new("A", "p", "org_1"))
            .await
            .unwrap_err(),
    );
    let failing = Client::builder()
        .api_key(KEY)
        .token_provider(|| async {
            Err::<Token, _>(format!("could not mint {MINTED}: refused").into())
        })
        .base_url_all(&server.url())
        .build()
        .unwrap();
    let error = failing.send(GetOrg::new("org_1")).await.unwrap_err();
    // The provider's own message is the provider's business; the SDK must not add secrets.
    // Keep it out of the scan by checking only what the SDK formats around the source.
    assert_eq!(error.kind(), ErrorKind::Auth);
    // Config: a bad base URL.
    errors.push(
        Client::builder()
            .api_key(KEY)
            .bearer_token(JWT)
            .base_url(Host::Api, "ftp://example.com/v1")
            .build()
            .unwrap_err(),
    );
    // Connect: nothing listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let refused = Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(&format!("http://{addr}/v1"))
        .no_retry()
        .build()
        .unwrap();
    errors.push(refused.send(ListProjects::new()).await.unwrap_err());
    // Auth: credentials over plain http to a non-loopback host are refused.
    let insecure = Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all("http://example.invalid/v1")
        .no_retry()
        .build()
        .unwrap();
    errors.push(insecure.send(ListProjects::new()).await.unwrap_err());
    // Transport: the server resets mid-response.
    let reset = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let reset_addr = reset.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = reset.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"id\"")
                .await;
            drop(stream);
        }
    });
    let transport = Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(&format!("http://{reset_addr}/v1"))
        .no_retry()
        .build()
        .unwrap();
    errors.push(transport.send(ListProjects::new()).await.unwrap_err());

    let kinds: std::collections::BTreeSet<String> =
        errors.iter().map(|e| format!("{:?}", e.kind())).collect();
    for kind in [
        ErrorKind::Api,
        ErrorKind::Decode,
        ErrorKind::Encode,
        ErrorKind::Connect,
        ErrorKind::Transport,
        ErrorKind::Timeout,
        ErrorKind::BodyTooLarge,
        ErrorKind::RateLimited,
        ErrorKind::Auth,
        ErrorKind::Config,
    ] {
        assert!(
            kinds.contains(&format!("{kind:?}")),
            "no {kind:?} error made: {kinds:?}"
        );
    }
    errors
}

fn render_error(error: &Error) -> String {
    let mut text = format!("{error}\n{error:?}\n{error:#?}\n");
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(&format!("{inner}\n{inner:?}\n"));
        source = inner.source();
    }
    text
}

#[tokio::test]
async fn secrets_appear_in_no_trace_and_no_debug_or_display() {
    let captured = captured();

    // A run with both credentials, through every layer, with retries and errors.
    let server = TestServer::start(|request| {
        if request.path().ends_with("/flaky") {
            respond(
                503,
                "application/problem+json",
                r#"{"title":"down","status":503}"#,
            )
        } else {
            json(project())
        }
    })
    .await;
    let client = client(&server.url());
    client.send(GetProject::new("p")).await.unwrap();
    client
        .send(CreateProject::new("A", "p", "org_1"))
        .await
        .unwrap();
    let _ = client.send(GetProject::new("flaky")).await;
    let errors = errors_of_every_kind().await;

    // The server did receive the secrets, so they were in play.
    let received = server.requests();
    assert!(received.iter().any(|r| r.header("x-api-key") == Some(KEY)));
    assert!(
        received
            .iter()
            .any(|r| r.header("authorization") == Some(&*format!("Bearer {JWT}")))
    );

    let trace = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        trace.contains("getProject") || trace.contains("GET"),
        "the run produced no trace output; is the tracing layer on?\n{trace}"
    );
    println!("captured {} bytes of TRACE output", trace.len());
    assert_clean("the TRACE output", &trace);

    for error in &errors {
        assert_clean(&format!("{:?} error", error.kind()), &render_error(error));
    }

    let builder = Client::builder().api_key(KEY).bearer_token(JWT);
    assert_clean("ClientBuilder", &format!("{builder:?} {builder:#?}"));
    let built = builder.base_url_all(&server.url()).build().unwrap();
    assert_clean("Client", &format!("{built:?} {built:#?}"));
    let credentials = Credentials::default().with_api_key(KEY).with_bearer(JWT);
    assert_clean("Credentials", &format!("{credentials:?} {credentials:#?}"));
    let key = ApiKey::new(KEY);
    let bearer = BearerToken::new(JWT);
    assert_clean(
        "ApiKey/BearerToken",
        &format!("{key:?} {bearer:?} {key:#?}"),
    );
    let token = Token::new(MINTED).expires_in(Duration::from_secs(60));
    assert_clean("Token", &format!("{token:?}"));
    assert_clean(
        "TransportConfig",
        &format!("{:?}", TransportConfig::default()),
    );
    assert_clean("RetryConfig", &format!("{:?}", RetryConfig::default()));
}

// ---------------------------------------------------------------------------------------------
// Path parameters.

fn percent_decode(segment: &str) -> Vec<u8> {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("valid percent-escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

const NASTY: &[&str] = &[
    "a/b",
    "../../orgs/org_1",
    "..",
    ".",
    "what?x=1",
    "frag#ment",
    "100%",
    "%2F",
    "%2e%2e",
    "with space",
    "tab\there",
    "café",
    "日本語",
    "emoji🦀",
    "semi;colon",
    "plus+sign",
    "back\\slash",
    "quote\"'",
    "{braces}",
    "line\nbreak",
];

#[tokio::test]
async fn path_parameters_stay_inside_their_segment() {
    let server = TestServer::start(|_| json(j!({}))).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .no_retry()
        .build()
        .unwrap();
    for nasty in NASTY {
        // Several operations and parameter positions; the responses need not decode.
        let _ = client.send(GetProject::new(*nasty)).await;
        let _ = client.send(GetConnection::new(*nasty, *nasty)).await;
        let _ = client.send(GetInstallation::new("p", *nasty, "inst")).await;
        let _ = client
            .send(GetObjectMetadataForConnection::new(
                *nasty,
                "salesforce",
                *nasty,
                "g",
            ))
            .await;
    }
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        NASTY.len() * 4,
        "every request reached the server"
    );
    for (index, request) in requests.iter().enumerate() {
        let nasty = NASTY[index / 4];
        let path = request.path();
        let segments: Vec<&str> = path.split('/').collect();
        let (expected_segments, positions): (usize, &[usize]) = match index % 4 {
            0 => (4, &[3]),    // /v1/projects/{p}
            1 => (6, &[3, 5]), // /v1/projects/{p}/connections/{c}
            2 => (8, &[5]),    // /v1/projects/p/integrations/{i}/installations/inst
            _ => (9, &[3, 7]), // /v1/projects/{p}/providers/salesforce/objects/{o}/metadata
        };
        assert_eq!(
            segments.len(),
            expected_segments,
            "{nasty:?} changed the path's shape: {}",
            request.path_and_query
        );
        for &position in positions {
            let segment = segments[position];
            assert_eq!(
                percent_decode(segment),
                nasty.as_bytes(),
                "{nasty:?} arrived as {segment:?} in {}",
                request.path_and_query
            );
            assert!(segment != "." && segment != "..", "dot segment {segment:?}");
            assert!(!segment.contains(['?', '#', ' ', '/']), "{segment:?}");
        }
        if index % 4 == 3 {
            assert_eq!(
                request.query(),
                Some("groupRef=g"),
                "{}",
                request.path_and_query
            );
        } else {
            assert_eq!(request.query(), None, "{}", request.path_and_query);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Oversized responses.

#[tokio::test]
async fn an_oversized_response_is_cut_without_reading_the_rest() {
    const FULL: u64 = 1 << 30; // what the server would send: 1 GiB, chunked
    const LIMIT: usize = 1 << 20; // what the client accepts: 1 MiB
    let written = Arc::new(AtomicU64::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = written.clone();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        let chunk = vec![b' '; 64 * 1024];
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        while counter.load(Ordering::Relaxed) < FULL {
            if stream.write_all(&framed).await.is_err() {
                break;
            }
            counter.fetch_add(64 * 1024, Ordering::Relaxed);
        }
    });
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&format!("http://{addr}/v1"))
        .no_retry()
        .max_response_body(LIMIT)
        .build()
        .unwrap();
    let error = tokio::time::timeout(Duration::from_secs(30), client.send(ListProjects::new()))
        .await
        .expect("the client gave up in time")
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BodyTooLarge, "{error}");
    drop(client);
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the server stopped writing once the client hung up")
        .unwrap();
    let sent = written.load(Ordering::Relaxed);
    println!(
        "oversized response: the server wrote {} KiB of a {} MiB body before the client hung up (limit {} KiB)",
        sent / 1024,
        FULL >> 20,
        LIMIT / 1024
    );
    // The limit plus what the kernel's socket buffers absorb: far below the full size.
    assert!(sent < 64 << 20, "the client kept reading: {sent} bytes");
}
