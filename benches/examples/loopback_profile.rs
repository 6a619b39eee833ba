//! Runs batches of 64 concurrent getProject calls over loopback through one client, to profile
//! the throughput bench's client side:
//!
//! ```text
//! cargo build --profile bench -p ampersand-benches --example loopback_profile
//! python3 scripts/instructions_per_call.py loopback raw sdk   # callgrind, per thread
//! perf record -e cpu-clock -g target/release/examples/loopback_profile sdk 3000
//! ```
//!
//! The client's runtime runs on the main thread (callgrind's thread 1), the server on others.
//! (Counting with `--toggle-collect='*client_batches*'` undercounts: the pattern also matches
//! the async function's inner closure, and entering it toggles collection off again.)
//!
//! The first argument picks the client (`raw` for hyper-util by hand, `sdk` for the default
//! client, `sdk-retry-trace` for it without the named layers (`retry`, `ratelimit`, `trace`,
//! `identity`, `timeout`, `deadline`), `bare` for the SDK with auth and problem decoding only),
//! the second the number of batches, and a third argument `sequential` makes that many calls one
//! after the other instead, as the latency bench does. The server runs on its own thread, as in
//! the bench.

use ampersand::Client;
use ampersand::resources::projects::GetProject;
use ampersand_benches::fixtures::{API_KEY, PROJECT_NAME, PROJECT_PATH, sdk_request_headers};
use ampersand_benches::server::Server;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

const IN_FLIGHT: usize = 64;

#[allow(clippy::large_enum_variant)] // one value per run
enum Subject {
    Raw(
        HyperClient<HttpConnector, Full<Bytes>>,
        String,
        [(&'static str, String); 5],
    ),
    Sdk(Client),
}

impl Subject {
    async fn call(&self) {
        match self {
            Subject::Raw(client, url, headers) => {
                let mut request = http::Request::get(url.as_str());
                for (name, value) in headers {
                    request = request.header(*name, value.as_str());
                }
                let request = request
                    .body(Full::new(Bytes::new()))
                    .expect("a valid request");
                let response = client.request(request).await.expect("the call succeeds");
                let body = response.into_body().collect().await.expect("the body");
                let project: ampersand::resources::models::Project =
                    serde_json::from_slice(&body.to_bytes()).expect("the body decodes");
                std::hint::black_box(project);
            }
            Subject::Sdk(client) => {
                let project = client
                    .send(GetProject::new(PROJECT_NAME))
                    .await
                    .expect("the call succeeds");
                std::hint::black_box(project);
            }
        }
    }
}

#[inline(never)]
fn client_batches(rt: &tokio::runtime::Runtime, subject: &Subject, batches: usize) {
    rt.block_on(async {
        for _ in 0..batches {
            let calls = (0..IN_FLIGHT).map(|_| subject.call());
            futures_util::future::join_all(calls).await;
        }
    });
}

/// `calls` calls one after the other, each in its own `block_on`, as the latency bench does.
#[inline(never)]
fn client_sequential(rt: &tokio::runtime::Runtime, subject: &Subject, calls: usize) {
    for _ in 0..calls {
        rt.block_on(subject.call());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "sdk".to_owned());
    let batches: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let sequential = args.next().as_deref() == Some("sequential");
    let server = Server::start(ampersand_benches::fixtures::project_json());
    let origin = server.origin();
    let subject = match which.as_str() {
        "raw" => {
            let mut connector = HttpConnector::new();
            connector.set_nodelay(true);
            Subject::Raw(
                HyperClient::builder(TokioExecutor::new()).build(connector),
                format!("{origin}{PROJECT_PATH}"),
                sdk_request_headers(),
            )
        }
        "bare" => Subject::Sdk(
            Client::builder()
                .api_key(API_KEY)
                .api_origin(&origin)
                .no_retry()
                .no_rate_limit()
                .tracing(false)
                .identity_headers(false)
                .attempt_timeout(None)
                .deadline(None)
                .build()
                .expect("the client builds"),
        ),
        // `sdk-<layer>...`: the default client without the named layers, e.g. `sdk-retry-trace`.
        _ => {
            let without: Vec<&str> = which.split('-').skip(1).collect();
            let mut builder = Client::builder().api_key(API_KEY).api_origin(&origin);
            for layer in &without {
                builder = match *layer {
                    "retry" => builder.no_retry(),
                    "ratelimit" => builder.no_rate_limit(),
                    "trace" => builder.tracing(false),
                    "identity" => builder.identity_headers(false),
                    "timeout" => builder.attempt_timeout(None),
                    "deadline" => builder.deadline(None),
                    other => panic!(
                        "unknown layer {other}: retry, ratelimit, trace, identity, timeout, deadline"
                    ),
                };
            }
            Subject::Sdk(builder.build().expect("the client builds"))
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the runtime starts");
    // Warm the pool to IN_FLIGHT connections.
    client_batches(&rt, &subject, 2);
    if sequential {
        let start = std::time::Instant::now();
        client_sequential(&rt, &subject, batches);
        let per_call = start.elapsed() / batches as u32;
        println!("{which}: {batches} sequential calls: {per_call:?} per call");
        return;
    }
    let start = std::time::Instant::now();
    client_batches(&rt, &subject, batches);
    let elapsed = start.elapsed();
    let calls = (batches * IN_FLIGHT) as f64;
    println!(
        "{which}: {batches} batches of {IN_FLIGHT}: {:.0} calls/s",
        calls / elapsed.as_secs_f64()
    );
}
