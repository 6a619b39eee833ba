//! HTTP/2 under faults: what the transport makes of a server's `GOAWAY`, `RST_STREAM`,
//! stream limit and an endless header block, and what the retry layer then does. The
//! client speaks HTTP/2 with prior knowledge over loopback TCP. Every test name starts with
//! `h2_`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ampersand::layers::retry::RetryConfig;
use ampersand::resources::projects::{CreateProject, GetProject};
use ampersand::transport::TransportConfig;
use ampersand::{Client, ClientBuilder, ErrorKind};
use ampersand_tests::h2_server::{RawH2, ScriptedServer, header_fragment, kind, respond_project};
use tokio::sync::Barrier;

const JWT: &str = "eyJ.test.jwt";
const KEY: &str = "amp_test_key_1";
const GUARD: Duration = Duration::from_secs(30);

fn builder(server: &ScriptedServer) -> ClientBuilder {
    let mut transport = TransportConfig::default();
    transport.http2_only = true;
    Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(&server.url())
        .transport_config(transport)
        .retry(
            RetryConfig::default()
                .initial_backoff(Duration::from_millis(10))
                .max_backoff(Duration::from_millis(50)),
        )
}

async fn guarded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, future)
        .await
        .expect("the call hung past its guard")
}

/// A POST: not idempotent, so resent only when the server said it did not process it.
async fn post(client: &Client) -> Result<ampersand::resources::models::Project, ampersand::Error> {
    guarded(client.send(CreateProject::new("My App", "my-project", "org_1"))).await
}

/// Serves every stream of `socket` with `handle`, with the h2 crate.
async fn serve_h2<F, Fut>(socket: tokio::net::TcpStream, builder: h2::server::Builder, handle: F)
where
    F: Fn(http::Request<h2::RecvStream>, h2::server::SendResponse<bytes::Bytes>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(mut connection) = builder.handshake::<_, bytes::Bytes>(socket).await else {
        return;
    };
    while let Some(Ok((request, respond))) = connection.accept().await {
        tokio::spawn(handle(request, respond));
    }
}

#[tokio::test]
async fn h2_goaway_below_the_stream_lets_even_a_post_be_resent() {
    let headers_seen = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let (seen, done) = (headers_seen.clone(), answered.clone());
    let server = ScriptedServer::start(move |index, socket| {
        let (seen, done) = (seen.clone(), done.clone());
        async move {
            if index == 0 {
                // The POST's HEADERS arrive; the server answers GOAWAY(last stream 0): it
                // processed nothing.
                let Ok(mut raw) = RawH2::accept(socket).await else {
                    return;
                };
                if raw.until_headers().await.is_ok() {
                    seen.fetch_add(1, Ordering::SeqCst);
                    let _ = raw.go_away(0, 0).await;
                }
            } else {
                serve_h2(
                    socket,
                    h2::server::Builder::new(),
                    move |request, respond| {
                        let done = done.clone();
                        async move {
                            let _ = respond_project(request, respond).await;
                            done.fetch_add(1, Ordering::SeqCst);
                        }
                    },
                )
                .await;
            }
        }
    })
    .await;
    let client = builder(&server).build().expect("client");
    let project = post(&client).await.expect("resent after the GOAWAY");
    assert_eq!(project.name, "my-project");
    assert_eq!(
        headers_seen.load(Ordering::SeqCst),
        1,
        "the first attempt reached the server"
    );
    assert_eq!(
        answered.load(Ordering::SeqCst),
        1,
        "the resend was answered"
    );
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn h2_goaway_after_the_stream_was_processed_does_not_resend_a_post() {
    let received = Arc::new(AtomicUsize::new(0));
    let seen = received.clone();
    let server = ScriptedServer::start(move |_, socket| {
        let seen = seen.clone();
        async move {
            let Ok(mut connection) = h2::server::handshake(socket).await else {
                return;
            };
            // Take the POST (stream 1), then go away: GOAWAY(last stream 1), no answer.
            let Some(Ok((_request, _respond))) = connection.accept().await else {
                return;
            };
            seen.fetch_add(1, Ordering::SeqCst);
            connection.abrupt_shutdown(h2::Reason::NO_ERROR);
            while connection.accept().await.is_some() {}
        }
    })
    .await;
    let client = builder(&server).build().expect("client");
    let error = post(&client)
        .await
        .expect_err("the stream was processed, then the connection closed");
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert_eq!(
        received.load(Ordering::SeqCst),
        1,
        "a processed POST is not sent again"
    );
}

#[tokio::test]
async fn h2_refused_stream_is_retried_even_for_a_post() {
    let streams = Arc::new(AtomicUsize::new(0));
    let seen = streams.clone();
    let server = ScriptedServer::start(move |_, socket| {
        let seen = seen.clone();
        serve_h2(
            socket,
            h2::server::Builder::new(),
            move |request, mut respond| {
                let first = seen.fetch_add(1, Ordering::SeqCst) == 0;
                async move {
                    if first {
                        respond.send_reset(h2::Reason::REFUSED_STREAM);
                    } else {
                        let _ = respond_project(request, respond).await;
                    }
                }
            },
        )
    })
    .await;
    let client = builder(&server).build().expect("client");
    post(&client).await.expect("resent after REFUSED_STREAM");
    assert_eq!(streams.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn h2_other_resets_of_a_post_are_not_retried() {
    let streams = Arc::new(AtomicUsize::new(0));
    let seen = streams.clone();
    let server = ScriptedServer::start(move |_, socket| {
        let seen = seen.clone();
        serve_h2(
            socket,
            h2::server::Builder::new(),
            move |_request, mut respond| {
                seen.fetch_add(1, Ordering::SeqCst);
                async move { respond.send_reset(h2::Reason::INTERNAL_ERROR) }
            },
        )
    })
    .await;
    let client = builder(&server).build().expect("client");
    let error = post(&client).await.expect_err("INTERNAL_ERROR");
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert_eq!(streams.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_max_concurrent_streams_queues_calls_instead_of_failing_them() {
    const LIMIT: u32 = 2;
    const CALLS: usize = 10;
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    // Each request waits until LIMIT are in flight together: the client must keep the
    // connection full, and never above the limit.
    let gate = Arc::new(Barrier::new(LIMIT as usize));
    let (now, max, done) = (in_flight.clone(), max_in_flight.clone(), answered.clone());
    let server = ScriptedServer::start(move |_, socket| {
        let (now, max, done, gate) = (now.clone(), max.clone(), done.clone(), gate.clone());
        let mut builder = h2::server::Builder::new();
        builder.max_concurrent_streams(LIMIT);
        serve_h2(socket, builder, move |request, respond| {
            let (now, max, done, gate) = (now.clone(), max.clone(), done.clone(), gate.clone());
            async move {
                let gated = request.uri().path().ends_with("/gated");
                let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(current, Ordering::SeqCst);
                if gated {
                    gate.wait().await;
                }
                now.fetch_sub(1, Ordering::SeqCst);
                let _ = respond_project(request, respond).await;
                done.fetch_add(1, Ordering::SeqCst);
            }
        })
    })
    .await;
    let client = builder(&server).no_retry().build().expect("client");
    // The first call learns the server's SETTINGS (its stream limit).
    guarded(client.send(GetProject::new("warm-up")))
        .await
        .expect("warm-up");
    let calls: Vec<_> = (0..CALLS)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(GetProject::new("gated")).await })
        })
        .collect();
    for call in calls {
        guarded(call)
            .await
            .expect("task")
            .expect("a queued call succeeds");
    }
    assert_eq!(answered.load(Ordering::SeqCst), CALLS + 1);
    assert_eq!(max_in_flight.load(Ordering::SeqCst), LIMIT as usize);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn h2_continuation_flood_ends_with_a_typed_error_and_bounded_memory() {
    /// What the server would send if the client never stopped it.
    const CAP: usize = 256 * 1024 * 1024;
    let written = Arc::new(AtomicUsize::new(0));
    let total = written.clone();
    let server = ScriptedServer::start(move |_, socket| {
        let total = total.clone();
        async move {
            let Ok(mut raw) = RawH2::accept(socket).await else {
                return;
            };
            let Ok(stream) = raw.until_headers().await else {
                return;
            };
            // The response's HEADERS never end: CONTINUATION after CONTINUATION, none with
            // END_HEADERS.
            let fragment = header_fragment(16 * 1024);
            let mut result = raw.write_frame(kind::HEADERS, 0, stream, &fragment).await;
            while result.is_ok() && raw.written < CAP {
                result = raw
                    .write_frame(kind::CONTINUATION, 0, stream, &fragment)
                    .await;
            }
            total.store(raw.written, Ordering::SeqCst);
        }
    })
    .await;
    let client = builder(&server).no_retry().build().expect("client");
    let error = guarded(client.send(GetProject::new("my-project")))
        .await
        .expect_err("an endless header block");
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    // The server stops when the client has closed the connection.
    let sent = guarded(async {
        loop {
            let sent = written.load(Ordering::SeqCst);
            if sent > 0 {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(
        sent < 32 * 1024 * 1024,
        "the client read {sent} bytes of one header block before giving up"
    );
}
