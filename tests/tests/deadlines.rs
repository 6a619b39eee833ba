//! A call's deadline bounds the whole call, whatever the stack: token minting, a refresh after
//! a 401 and rate-limit waits included, on the default stack and under layers of the user's.
//! And a resend that is never sent does not hide the server's last answer.
//!
//! The client runs its real default stack over a scripted transport (no socket, so paused
//! tokio time is exact and nothing depends on the machine's speed).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ampersand::layers::auth::Token;
use ampersand::layers::rate_limit::{Quota, RateLimitConfig};
use ampersand::layers::retry::RetryConfig;
use ampersand::resources::projects::ListProjects;
use ampersand::{BoxError, CallOptions, Client, ClientBuilder, Error, ErrorKind, Operation};
use bytes::Bytes;
use tokio::time::Instant;

const JWT: &str = "eyJdeadline.token.1f2e";

/// A transport answering every request with `status`, `headers` and a problem body, counting
/// the requests it receives.
#[derive(Clone)]
struct Scripted {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    requests: Arc<AtomicUsize>,
}

impl Scripted {
    fn new(status: u16, headers: &[(&'static str, &'static str)]) -> Self {
        Scripted {
            status,
            headers: headers.to_vec(),
            requests: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn service(
        &self,
    ) -> impl tower::Service<
        http::Request<Bytes>,
        Response = http::Response<Bytes>,
        Error = Error,
        Future = std::future::Ready<Result<http::Response<Bytes>, Error>>,
    > + Clone
    + Send
    + Sync
    + 'static {
        let script = self.clone();
        tower::service_fn(move |_request: http::Request<Bytes>| {
            script.requests.fetch_add(1, Ordering::SeqCst);
            let mut response = http::Response::builder().status(script.status);
            for (name, value) in &script.headers {
                response = response.header(*name, *value);
            }
            let body = if script.status == 200 {
                Bytes::from_static(b"[]")
            } else {
                Bytes::from(format!(
                    r#"{{"title":"scripted","status":{},"requestId":"req_scripted"}}"#,
                    script.status
                ))
            };
            let response = response
                .header(
                    "content-type",
                    if script.status == 200 {
                        "application/json"
                    } else {
                        "application/problem+json"
                    },
                )
                .body(body)
                .unwrap();
            std::future::ready(Ok(response))
        })
    }
}

/// A token provider whose first `quick` calls answer at once and every later call hangs for
/// `hang`.
fn provider(quick: usize, hang: Duration) -> impl Fn() -> TokenFuture + Send + Sync + 'static {
    let calls = Arc::new(AtomicUsize::new(0));
    move || {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if n >= quick {
                tokio::time::sleep(hang).await;
            }
            Ok::<_, BoxError>(Token::new(JWT))
        })
    }
}

type TokenFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Token, BoxError>> + Send>>;

/// The client on the default stack, or with a layer of the user's around it.
fn build(builder: ClientBuilder, user_layer: bool) -> Client {
    if user_layer {
        builder
            .layer(tower::util::MapRequestLayer::new(
                |request: http::Request<Bytes>| request,
            ))
            .build()
            .expect("client")
    } else {
        builder.build().expect("client")
    }
}

async fn call_with_deadline(client: &Client, deadline: Duration) -> (Error, Duration) {
    let start = Instant::now();
    let error = client
        .send(ListProjects::new().with_options(CallOptions::new().deadline(deadline)))
        .await
        .unwrap_err();
    (error, start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn a_hanging_token_provider_is_bounded_by_the_deadline() {
    for user_layer in [false, true] {
        let transport = Scripted::new(200, &[]);
        let builder = Client::builder()
            .token_provider(provider(0, Duration::from_secs(25)))
            .transport(transport.service());
        let client = build(builder, user_layer);
        let (error, elapsed) = call_with_deadline(&client, Duration::from_secs(2)).await;
        assert!(error.is_timeout(), "{error:?}");
        assert_eq!(elapsed, Duration::from_secs(2), "user layer: {user_layer}");
        assert_eq!(transport.requests(), 0, "nothing was sent");
    }
}

#[tokio::test(start_paused = true)]
async fn a_hanging_refresh_after_a_401_is_bounded_by_the_deadline() {
    for user_layer in [false, true] {
        let transport = Scripted::new(401, &[]);
        let builder = Client::builder()
            .token_provider(provider(1, Duration::from_secs(25)))
            .transport(transport.service());
        let client = build(builder, user_layer);
        let (error, elapsed) = call_with_deadline(&client, Duration::from_secs(2)).await;
        assert!(error.is_timeout(), "{error:?}");
        assert_eq!(elapsed, Duration::from_secs(2), "user layer: {user_layer}");
        assert_eq!(transport.requests(), 1, "the first token was sent once");
    }
}

#[tokio::test(start_paused = true)]
async fn a_long_rate_limit_wait_is_bounded_by_the_deadline() {
    for user_layer in [false, true] {
        let transport = Scripted::new(200, &[]);
        let builder = Client::builder()
            .bearer_token(JWT)
            .rate_limit(RateLimitConfig::default().quota(Quota::per_minute(1)))
            .transport(transport.service());
        let client = build(builder, user_layer);
        client
            .send(ListProjects::new())
            .await
            .expect("the first call passes");
        // The next permit is a minute away: the call does not wait past its deadline.
        let (error, elapsed) = call_with_deadline(&client, Duration::from_secs(2)).await;
        assert_eq!(error.kind(), ErrorKind::RateLimited, "{error:?}");
        assert!(elapsed <= Duration::from_secs(2), "{elapsed:?}");
        assert_eq!(transport.requests(), 1);
    }
}

/// A 429 whose `Retry-After` outlasts what the call may wait: the caller gets the server's
/// answer (status, headers, problem) and the number of attempts really sent, not the local
/// refusal of a resend that never left.
#[tokio::test(start_paused = true)]
async fn a_429_longer_than_the_call_ends_with_the_server_s_answer() {
    for user_layer in [false, true] {
        let transport = Scripted::new(429, &[("retry-after", "100")]);
        let builder = Client::builder()
            .bearer_token(JWT)
            .retry(RetryConfig::default().no_budget())
            .rate_limit(RateLimitConfig::default().max_cooldown(Duration::from_secs(300)))
            .transport(transport.service());
        let client = build(builder, user_layer);
        let (error, _) = call_with_deadline(&client, Duration::from_secs(90)).await;
        assert_eq!(error.status().map(|s| s.as_u16()), Some(429), "{error:?}");
        assert_eq!(error.request_id(), Some("req_scripted"));
        assert!(
            error
                .headers()
                .is_some_and(|h| h.contains_key("retry-after"))
        );
        assert_eq!(error.attempts(), transport.requests() as u32);
        assert_eq!(error.attempts(), 1);
    }
}

// -------------------------------------------------------------------------------------------
// The same bounds over a real socket: a loopback server, real time. The hang is 30 s and the
// deadline 300 ms; the check is that the call ends with the deadline's timeout long before
// the hang would (a bound, not a measurement of speed).

mod over_loopback {
    use super::*;
    use ampersand_tests::server::{TestServer, json, respond};

    const HANG: Duration = Duration::from_secs(30);
    const DEADLINE: Duration = Duration::from_millis(300);

    async fn bounded(client: &Client) -> Error {
        let start = std::time::Instant::now();
        let error = client
            .send(ListProjects::new().with_options(CallOptions::new().deadline(DEADLINE)))
            .await
            .unwrap_err();
        assert!(
            start.elapsed() < HANG / 3,
            "the call outlived its deadline: {error:?}"
        );
        error
    }

    #[tokio::test]
    async fn a_hanging_token_provider_is_bounded_over_loopback() {
        for user_layer in [false, true] {
            let server = TestServer::start(|_| json(serde_json::json!([]))).await;
            let builder = Client::builder()
                .token_provider(provider(0, HANG))
                .base_url_all(&server.url());
            let error = bounded(&build(builder, user_layer)).await;
            assert!(error.is_timeout(), "{error:?}");
            assert_eq!(server.request_count(), 0, "nothing was sent");
        }
    }

    #[tokio::test]
    async fn a_hanging_refresh_after_a_401_is_bounded_over_loopback() {
        for user_layer in [false, true] {
            let server = TestServer::start(|_| {
                respond(
                    401,
                    "application/problem+json",
                    r#"{"title":"Unauthorized","status":401}"#,
                )
            })
            .await;
            let builder = Client::builder()
                .token_provider(provider(1, HANG))
                .base_url_all(&server.url());
            let error = bounded(&build(builder, user_layer)).await;
            assert!(error.is_timeout(), "{error:?}");
            assert_eq!(server.request_count(), 1, "the first token was sent once");
        }
    }

    #[tokio::test]
    async fn a_long_rate_limit_wait_is_bounded_over_loopback() {
        for user_layer in [false, true] {
            let server = TestServer::start(|_| json(serde_json::json!([]))).await;
            let builder = Client::builder()
                .bearer_token(JWT)
                .rate_limit(RateLimitConfig::default().quota(Quota::per_minute(1)))
                .base_url_all(&server.url());
            let client = build(builder, user_layer);
            client
                .send(ListProjects::new())
                .await
                .expect("the first call passes");
            let error = bounded(&client).await;
            assert_eq!(error.kind(), ErrorKind::RateLimited, "{error:?}");
            assert_eq!(server.request_count(), 1);
        }
    }
}
