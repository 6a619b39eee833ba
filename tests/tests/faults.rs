//! A loopback server that misbehaves on cue, and what the SDK does about each misbehaviour.
//!
//! The server is a raw `tokio::net::TcpListener`, so it can fail at the byte level: reset the
//! connection before or in the middle of a response, promise more body than it sends, never
//! send headers at all. It counts every request it receives. For each case the test checks
//! that the call ends with a typed error (or succeeds after a retry that was safe), never
//! panics, ends before a generous guard (no hang past the deadline), and that a non-idempotent
//! request (a POST) is never sent twice unless the server said the failure is retryable.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ampersand::layers::retry::{BudgetConfig, RetryConfig};
use ampersand::resources::oauth::OauthConnect;
use ampersand::resources::projects::{CreateProject, GetProject};
use ampersand::{Client, Error, ErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const KEY: &str = "amp_fault_key_9c1d";
const JWT: &str = "eyJfault.token.5e7a";
/// No call in this file may take longer than this, whatever the server does.
const GUARD: Duration = Duration::from_secs(20);

const PROJECT: &str = r#"{"id":"proj_1","name":"my-project","appName":"My App","orgId":"org_1","createTime":"2024-04-22T18:55:28.456076Z"}"#;

// ---------------------------------------------------------------------------------------------
// The misbehaving server.

/// What the server does with one request.
enum Act {
    /// Writes these bytes (a whole response) and keeps the connection for the next request.
    Write(Vec<u8>),
    /// Writes these bytes, then resets the connection (RST).
    WriteThenReset(Vec<u8>),
    /// Writes these bytes, then closes the connection cleanly (FIN).
    WriteThenClose(Vec<u8>),
    /// Resets the connection without answering.
    Reset,
    /// Never answers; the connection stays open until the client gives up.
    Hang,
}

/// A request as the raw server read it.
#[derive(Debug, Clone)]
struct RawRequest {
    head: String,
    body: Vec<u8>,
    at: Instant,
}

impl RawRequest {
    fn method(&self) -> &str {
        self.head.split(' ').next().unwrap_or_default()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

type Script = dyn Fn(usize, &RawRequest) -> Act + Send + Sync;

struct FaultServer {
    addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<RawRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultServer {
    /// Starts a server that answers the n-th request (from 0) as `script` says.
    async fn start(script: impl Fn(usize, &RawRequest) -> Act + Send + Sync + 'static) -> Self {
        Self::start_on("127.0.0.1:0", script).await
    }

    async fn start_on(
        bind: &str,
        script: impl Fn(usize, &RawRequest) -> Act + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind(bind).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve(stream, script.clone(), recorded.clone()));
            }
        });
        FaultServer {
            addr,
            requests,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    fn requests(&self) -> Vec<RawRequest> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, script: Arc<Script>, recorded: Arc<Mutex<Vec<RawRequest>>>) {
    let mut buffer = Vec::new();
    loop {
        // Read one request: the head, then as many body bytes as Content-Length says.
        let head_end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let mut request = RawRequest {
            head,
            body: Vec::new(),
            at: Instant::now(),
        };
        let body_len: usize = request
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + body_len {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        request.body = buffer[head_end..head_end + body_len].to_vec();
        buffer.drain(..head_end + body_len);
        let index = {
            let mut requests = recorded.lock().unwrap();
            requests.push(request.clone());
            requests.len() - 1
        };
        match script(index, &request) {
            Act::Write(bytes) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Act::WriteThenReset(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.flush().await;
                reset(stream);
                return;
            }
            Act::WriteThenClose(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return;
            }
            Act::Reset => {
                reset(stream);
                return;
            }
            Act::Hang => {
                // Hold the connection open until the client closes it.
                let mut sink = [0u8; 1024];
                while let Ok(n) = stream.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
                return;
            }
        }
    }
}

/// Drops the connection with an RST rather than a FIN.
fn reset(stream: TcpStream) {
    let stream = stream.into_std().expect("std stream");
    let socket = socket2_free_linger(stream);
    drop(socket);
}

/// Sets `SO_LINGER` to zero (so closing sends RST) without extra dependencies: tokio's
/// `set_linger` does exactly this.
fn socket2_free_linger(stream: std::net::TcpStream) -> TcpStream {
    let stream = TcpStream::from_std(stream).expect("tokio stream");
    #[allow(deprecated)]
    stream.set_linger(Some(Duration::ZERO)).expect("SO_LINGER");
    stream
}

/// A raw HTTP/1.1 response.
fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn ok_json(body: &str) -> Vec<u8> {
    http(
        "200 OK",
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
}

// ---------------------------------------------------------------------------------------------
// Clients.

/// The default stack, with short waits so the tests run fast: 4 attempts, 10-50 ms backoff.
fn retry_fast() -> RetryConfig {
    RetryConfig::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(50))
}

fn client(url: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(url)
        .retry(retry_fast())
        .attempt_timeout(Duration::from_secs(5))
        .deadline(Duration::from_secs(15))
        .build()
        .expect("client")
}

async fn guarded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, future)
        .await
        .expect("the call hung past its guard")
}

async fn get(client: &Client) -> Result<ampersand::resources::models::Project, Error> {
    guarded(client.send(GetProject::new("my-project"))).await
}

async fn post(client: &Client) -> Result<ampersand::resources::models::Project, Error> {
    guarded(client.send(CreateProject::new("My App", "my-project", "org_1"))).await
}

// ---------------------------------------------------------------------------------------------
// The cases.

#[tokio::test]
async fn connection_refused_is_a_connect_error_after_safe_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = client(&format!("http://{addr}/v1"));
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
    assert_eq!(
        error.attempts(),
        4,
        "nothing was sent, so every attempt is safe"
    );
    // A POST that never reached a server may be retried too; it still ends typed.
    let error = post(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
}

#[tokio::test]
async fn reset_before_the_response_get_retries_and_succeeds() {
    let server = FaultServer::start(|n, _| match n {
        0 => Act::Reset,
        _ => Act::Write(ok_json(PROJECT)),
    })
    .await;
    let project = get(&client(&server.url()))
        .await
        .expect("success after a retry");
    assert_eq!(project.id, "proj_1");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn reset_before_the_response_post_is_not_resent() {
    let server = FaultServer::start(|_, _| Act::Reset).await;
    let error = post(&client(&server.url())).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert_eq!(
        server.count(),
        1,
        "a POST that may have arrived is never resent"
    );
}

#[tokio::test]
async fn reset_mid_body() {
    let head_and_part = || {
        let mut bytes = http(
            "200 OK",
            &[("content-type", "application/json")],
            PROJECT.as_bytes(),
        );
        bytes.truncate(bytes.len() - PROJECT.len() / 2);
        bytes
    };
    let server = FaultServer::start(move |n, request| match (request.method(), n) {
        ("GET", 0) | ("POST", _) => Act::WriteThenReset(head_and_part()),
        _ => Act::Write(ok_json(PROJECT)),
    })
    .await;
    let client = client(&server.url());
    let project = get(&client).await.expect("GET succeeds after a retry");
    assert_eq!(project.name, "my-project");
    assert_eq!(server.count(), 2);

    let error = post(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert_eq!(server.count(), 3, "the POST was sent once");
}

#[tokio::test]
async fn truncated_body_with_a_larger_content_length() {
    let server = FaultServer::start(|_, _| {
        let mut bytes = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            PROJECT.len() + 500
        )
        .into_bytes();
        bytes.extend_from_slice(PROJECT.as_bytes());
        Act::WriteThenClose(bytes)
    })
    .await;
    let client = client(&server.url());
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert_eq!(
        error.attempts(),
        4,
        "a GET is retried up to the attempt limit"
    );
    assert_eq!(server.count(), 4);

    let error = post(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert_eq!(server.count(), 5, "the POST was sent once");
}

#[tokio::test]
async fn headers_that_never_come_time_out() {
    let server = FaultServer::start(|_, _| Act::Hang).await;
    let client = Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(&server.url())
        .retry(retry_fast().max_attempts(3))
        .attempt_timeout(Duration::from_millis(300))
        .deadline(Duration::from_secs(10))
        .build()
        .unwrap();
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(error.attempts(), 3);
    assert_eq!(server.count(), 3);

    let error = post(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(server.count(), 4, "a POST that timed out is never resent");
}

#[tokio::test]
async fn the_overall_deadline_ends_a_hanging_call() {
    let server = FaultServer::start(|_, _| Act::Hang).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .retry(retry_fast())
        .attempt_timeout(None)
        .deadline(Duration::from_millis(500))
        .build()
        .unwrap();
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_503_storm_is_capped_by_the_retry_budget() {
    let server = FaultServer::start(|_, _| {
        Act::Write(http(
            "503 Service Unavailable",
            &[("content-type", "application/problem+json")],
            br#"{"title":"Service Unavailable","status":503}"#,
        ))
    })
    .await;
    // 25 tokens at 5 per retry: 5 retries in all, however many calls fail.
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .retry(retry_fast().budget(BudgetConfig::default().capacity(25).retry_cost(5)))
        .build()
        .unwrap();
    let calls = 20;
    for _ in 0..calls {
        let error = get(&client).await.unwrap_err();
        assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
        assert!(error.problem().is_some());
    }
    let without_budget = calls * 4;
    println!(
        "503 storm: {calls} calls, {} requests (without the budget: {without_budget})",
        server.count()
    );
    assert_eq!(server.count(), calls + 5);
}

fn too_many(retry_after: &str, body: &str) -> Vec<u8> {
    http(
        "429 Too Many Requests",
        &[
            ("content-type", "application/problem+json"),
            ("retry-after", retry_after),
        ],
        body.as_bytes(),
    )
}

#[tokio::test]
async fn status_429_with_retry_after_in_seconds() {
    let server = FaultServer::start(|n, _| match n {
        0 => Act::Write(too_many(
            "1",
            r#"{"title":"Too Many Requests","status":429}"#,
        )),
        _ => Act::Write(ok_json(PROJECT)),
    })
    .await;
    get(&client(&server.url()))
        .await
        .expect("success after waiting");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_millis(900),
        "Retry-After: 1 honoured, waited {waited:?}"
    );
}

#[tokio::test]
async fn status_429_with_retry_after_as_an_http_date() {
    let server = FaultServer::start(|n, _| match n {
        0 => {
            let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
            Act::Write(too_many(
                &at,
                r#"{"title":"Too Many Requests","status":429}"#,
            ))
        }
        _ => Act::Write(ok_json(PROJECT)),
    })
    .await;
    get(&client(&server.url()))
        .await
        .expect("success after waiting");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    // The date has a resolution of one second, so the wait is between 1 and 2 s.
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_millis(900), "waited {waited:?}");
}

#[tokio::test]
async fn status_429_on_a_post_is_resent_only_when_the_server_says_retryable() {
    let server = FaultServer::start(|_, _| {
        Act::Write(too_many(
            "0",
            r#"{"title":"Too Many Requests","status":429}"#,
        ))
    })
    .await;
    let error = post(&client(&server.url())).await.unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::TOO_MANY_REQUESTS));
    assert!(error.is_rate_limited());
    assert_eq!(server.count(), 1);

    let server = FaultServer::start(|n, _| match n {
        0 => Act::Write(too_many(
            "0",
            r#"{"title":"Too Many Requests","status":429,"retryable":true}"#,
        )),
        _ => Act::Write(http(
            "201 Created",
            &[("content-type", "application/json")],
            PROJECT.as_bytes(),
        )),
    })
    .await;
    post(&client(&server.url()))
        .await
        .expect("retried: the server said so");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let server = FaultServer::start(|_, _| Act::Write(ok_json(r#"{"id":"proj_1","name":"#))).await;
    let error = get(&client(&server.url())).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    assert_eq!(error.status(), Some(http::StatusCode::OK));
    assert_eq!(error.body().unwrap().as_ref(), br#"{"id":"proj_1","name":"#);
    assert_eq!(server.count(), 1, "a decode error is not retried");
}

#[tokio::test]
async fn valid_json_of_the_wrong_shape_is_a_decode_error() {
    let server = FaultServer::start(|_, _| Act::Write(ok_json(r#"[{"id":"proj_1"}]"#))).await;
    let error = get(&client(&server.url())).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    assert_eq!(server.count(), 1);

    let server = FaultServer::start(|_, _| {
        Act::Write(ok_json(
            r#"{"id":"proj_1","name":"p","appName":"A","orgId":["org_1"],"createTime":"2024-04-22T18:55:28Z"}"#,
        ))
    })
    .await;
    let error = get(&client(&server.url())).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.decode_path(), Some("orgId"));
}

#[tokio::test]
async fn html_502_page() {
    let page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let server = FaultServer::start(move |_, _| {
        Act::Write(http(
            "502 Bad Gateway",
            &[("content-type", "text/html")],
            page,
        ))
    })
    .await;
    let client = client(&server.url());
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(http::StatusCode::BAD_GATEWAY));
    assert_eq!(error.body().unwrap().as_ref(), page);
    assert!(
        error.problem().is_some(),
        "a non-problem body still yields a problem"
    );
    assert_eq!(server.count(), 4, "a GET is retried on 502");

    let error = post(&client).await.unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::BAD_GATEWAY));
    assert_eq!(server.count(), 5, "a POST is not");
}

#[tokio::test]
async fn a_body_over_the_size_limit() {
    // Chunked, so the limit is found while reading, not from Content-Length.
    let server = FaultServer::start(|_, _| {
        let chunk = vec![b'x'; 8 * 1024];
        let mut bytes = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..8 {
            bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            bytes.extend_from_slice(&chunk);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"0\r\n\r\n");
        Act::Write(bytes)
    })
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .retry(retry_fast())
        .max_response_body(16 * 1024)
        .build()
        .unwrap();
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BodyTooLarge, "{error}");
    assert_eq!(error.status(), Some(http::StatusCode::OK));
    assert_eq!(server.count(), 1, "not retried");

    // Declared too large by Content-Length: refused before reading.
    let server = FaultServer::start(|_, _| {
        Act::WriteThenClose(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 99999999\r\n\r\n{"
                .to_vec(),
        )
    })
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .max_response_body(16 * 1024)
        .build()
        .unwrap();
    let error = get(&client).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BodyTooLarge, "{error}");
}

#[tokio::test]
async fn non_utf8_bytes_in_a_text_plain_response() {
    let server = FaultServer::start(|_, _| {
        Act::Write(http(
            "200 OK",
            &[("content-type", "text/plain; charset=utf-8")],
            b"https://login.example.com/\xff\xfe\xc3(",
        ))
    })
    .await;
    let error = guarded(client(&server.url()).send(OauthConnect::new(
        "my-project",
        "group_1",
        "user_1",
        "salesforce",
    )))
    .await
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    assert_eq!(error.status(), Some(http::StatusCode::OK));
    assert_eq!(
        error.body().unwrap().as_ref(),
        b"https://login.example.com/\xff\xfe\xc3("
    );
    assert_eq!(server.count(), 1, "oauthConnect is a POST: sent once");
}

#[tokio::test]
async fn a_redirect_to_another_host_never_receives_credentials() {
    // `localhost` and 127.0.0.1 are different hosts to an HTTP client.
    let elsewhere = FaultServer::start(|_, _| Act::Write(ok_json(PROJECT))).await;
    let target = format!(
        "http://localhost:{}/v1/projects/my-project",
        elsewhere.addr.port()
    );
    let location = target.clone();
    let server = FaultServer::start(move |_, _| {
        Act::Write(http("302 Found", &[("location", location.as_str())], b""))
    })
    .await;
    let result = get(&client(&server.url())).await;
    // Not followed: the redirect is reported with its status and Location. (Followed: the
    // other host must have received no credentials, checked below.)
    if let Err(error) = &result {
        assert_eq!(error.status(), Some(http::StatusCode::FOUND), "{error}");
        assert_eq!(
            error.headers().unwrap().get("location").unwrap(),
            target.as_str()
        );
    }
    for request in elsewhere.requests() {
        assert_eq!(
            request.header("x-api-key"),
            None,
            "API key leaked to another host"
        );
        assert_eq!(
            request.header("authorization"),
            None,
            "token leaked to another host"
        );
    }
    println!(
        "redirect: followed = {}, requests to the other host = {}",
        result.is_ok(),
        elsewhere.count()
    );
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_redirect_on_a_post_is_not_replayed() {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let server = FaultServer::start(move |_, request| {
        seen.fetch_add(1, Ordering::SeqCst);
        assert_eq!(request.method(), "POST");
        Act::Write(http(
            "307 Temporary Redirect",
            &[("location", "/v1/projects")],
            b"",
        ))
    })
    .await;
    let error = post(&client(&server.url())).await.unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::TEMPORARY_REDIRECT));
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// A resend is the same request as the first send: made again from the operation by the
/// default client, copied when layers of yours sit above the retry layer (and may have
/// changed it, as this one does).
#[tokio::test]
async fn a_resend_is_the_first_request_again_with_or_without_layers_of_yours() {
    let script = |n: usize, _: &RawRequest| match n {
        0 => Act::Write(too_many(
            "0",
            r#"{"title":"Too Many Requests","status":429,"retryable":true}"#,
        )),
        _ => Act::Write(http(
            "201 Created",
            &[("content-type", "application/json")],
            PROJECT.as_bytes(),
        )),
    };
    let mark = tower::util::MapRequestLayer::new(|mut request: http::Request<bytes::Bytes>| {
        request
            .headers_mut()
            .insert("x-mine", http::HeaderValue::from_static("kept"));
        request
    });

    let made_again = FaultServer::start(script).await;
    post(&client(&made_again.url())).await.expect("resent");
    let get_made_again = FaultServer::start(script).await;
    get(&client(&get_made_again.url())).await.expect("resent");
    let copied = FaultServer::start(script).await;
    let with_layer = Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(&copied.url())
        .retry(retry_fast())
        .layer(mark)
        .build()
        .expect("client");
    post(&with_layer).await.expect("resent");

    for server in [&made_again, &copied] {
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].head, requests[1].head);
        assert_eq!(requests[0].body, requests[1].body);
        assert!(
            requests[0].head.starts_with("POST "),
            "{}",
            requests[0].head
        );
        assert!(!requests[0].body.is_empty());
    }
    let requests = get_made_again.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].head, requests[1].head);
    assert!(requests[0].head.starts_with("GET "), "{}", requests[0].head);
    assert_eq!(copied.requests()[1].header("x-mine"), Some("kept"));
    assert_eq!(made_again.requests()[1].header("x-mine"), None);
}
