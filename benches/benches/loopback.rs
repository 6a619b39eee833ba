//! Benches 2 and 3: getProject over loopback HTTP/1.1, sequential (latency) and with 64
//! requests in flight (throughput).
//!
//! One hyper server on 127.0.0.1 (its own one-thread runtime) serves getProject's JSON. Three
//! clients, each in its default configuration, call it from one current-thread runtime:
//! - `raw_hyper`: hyper-util's legacy pooling client building the same request by hand and
//!   decoding the same struct with `serde_json`: the physical limit;
//! - `reqwest_serde`: reqwest (http only) and its `.json()`, what a user would write by hand;
//! - `sdk_default`: this SDK's default client and its whole default stack.
//!
//! The pre-pass prints allocations per sequential call, process-wide (the server's included:
//! the same for every client, so the differences are the clients').

use std::time::{Duration, Instant};

use ampersand::Client;
use ampersand::resources::models::Project;
use ampersand::resources::projects::GetProject;
use ampersand_benches::alloc::{self, CountingAllocator};
use ampersand_benches::fixtures::{API_KEY, PROJECT_NAME, PROJECT_PATH, project_json};
use ampersand_benches::server::Server;
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::runtime::Runtime;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const IN_FLIGHT: usize = 64;

/// The three clients, all pointed at the same server.
struct Clients {
    url: String,
    hyper: HyperClient<HttpConnector, Full<Bytes>>,
    reqwest: reqwest::Client,
    sdk: Client,
    /// Diagnostics, in the interleaved pre-pass only: the SDK without the attempt timeout and
    /// the deadline (no timers), and with no layer but auth and problem decoding.
    sdk_no_timers: Client,
    sdk_bare: Client,
}

impl Clients {
    fn new(server: &Server) -> Clients {
        let origin = server.origin();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Clients {
            url: format!("{origin}{PROJECT_PATH}"),
            hyper: HyperClient::builder(TokioExecutor::new()).build(connector),
            reqwest: reqwest::Client::new(),
            sdk: Client::builder()
                .api_key(API_KEY)
                .api_origin(&origin)
                .build()
                .expect("the client builds"),
            sdk_no_timers: Client::builder()
                .api_key(API_KEY)
                .api_origin(&origin)
                .attempt_timeout(None)
                .deadline(None)
                .build()
                .expect("the client builds"),
            sdk_bare: Client::builder()
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
        }
    }

    async fn raw_hyper(&self) -> Project {
        let request = http::Request::get(self.url.as_str())
            .header(http::header::ACCEPT, "application/json")
            .header("x-api-key", API_KEY)
            .body(Full::new(Bytes::new()))
            .expect("a valid request");
        let response = self
            .hyper
            .request(request)
            .await
            .expect("the call succeeds");
        assert!(response.status().is_success());
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body arrives")
            .to_bytes();
        serde_json::from_slice(&body).expect("the body decodes")
    }

    async fn reqwest_serde(&self) -> Project {
        self.reqwest
            .get(self.url.as_str())
            .header(reqwest::header::ACCEPT, "application/json")
            .header("x-api-key", API_KEY)
            .send()
            .await
            .expect("the call succeeds")
            .error_for_status()
            .expect("a success")
            .json()
            .await
            .expect("the body decodes")
    }

    async fn sdk_default(&self) -> Project {
        self.sdk
            .send(GetProject::new(PROJECT_NAME))
            .await
            .expect("the call succeeds")
    }
}

type Variant = for<'a> fn(&'a Clients) -> futures_util::future::BoxFuture<'a, Project>;

fn variants() -> [(&'static str, Variant); 3] {
    [
        ("raw_hyper", |c| Box::pin(c.raw_hyper())),
        ("reqwest_serde", |c| Box::pin(c.reqwest_serde())),
        ("sdk_default", |c| Box::pin(c.sdk_default())),
    ]
}

/// The variants of the interleaved pre-pass: the criterion ones and two diagnostics.
fn diagnostic_variants() -> Vec<(&'static str, Variant)> {
    let mut all = variants().to_vec();
    all.push(("sdk_no_timers", |c| {
        Box::pin(async {
            c.sdk_no_timers
                .send(GetProject::new(PROJECT_NAME))
                .await
                .expect("ok")
        })
    }));
    all.push(("sdk_bare", |c| {
        Box::pin(async {
            c.sdk_bare
                .send(GetProject::new(PROJECT_NAME))
                .await
                .expect("ok")
        })
    }));
    all
}

/// `iters` batches of [`IN_FLIGHT`] concurrent calls; the time of all of them.
fn batches(rt: &Runtime, clients: &Clients, variant: Variant, iters: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let mut in_flight: FuturesUnordered<_> =
                (0..IN_FLIGHT).map(|_| variant(clients)).collect();
            while let Some(project) = in_flight.next().await {
                std::hint::black_box(project);
            }
        }
        start.elapsed()
    })
}

/// Calls in a row per variant in [`interleaved_latency`].
const BLOCK: usize = 50;

/// Latency measured call by call, the variants taking turns in blocks of [`BLOCK`] calls (50
/// raw, 50 reqwest, 50 SDK, ..., 50 raw, ...), so that the load of a busy machine falls on all
/// of them alike; prints each variant's median call and its ratio to raw hyper's. Criterion
/// measures one variant after the other, which a change of load in between can skew, and a
/// mean takes in the rare slow wake-ups of a virtual machine.
///
/// Blocks rather than single calls: a variant that runs right after another one starts with
/// the other's code and data in the CPU caches, and alternating call by call charged that to
/// whichever variant came after reqwest (5-7% slower than in any other place).
fn interleaved_latency(rt: &Runtime, clients: &Clients, calls: usize) {
    let all = diagnostic_variants();
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(calls); all.len()];
    for _ in 0..calls.div_ceil(BLOCK) {
        for (index, (_, variant)) in all.iter().enumerate() {
            for _ in 0..BLOCK.min(calls) {
                let start = Instant::now();
                rt.block_on(variant(clients));
                samples[index].push(start.elapsed());
            }
        }
    }
    let medians: Vec<Duration> = samples
        .iter_mut()
        .map(|calls| {
            calls.sort();
            calls[calls.len() / 2]
        })
        .collect();
    for ((name, _), median) in all.iter().zip(&medians) {
        let ratio = median.as_secs_f64() / medians[0].as_secs_f64();
        println!(
            "interleaved loopback_latency/{name}: median of {calls} calls {median:?}, \
             x{ratio:.3} of raw_hyper"
        );
    }
}

fn loopback(c: &mut Criterion) {
    let server = Server::start(project_json());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the runtime starts");
    let clients = Clients::new(&server);
    let test_mode = std::env::args().any(|arg| arg == "--test");
    let calls = if test_mode { 10 } else { 2_000 };

    for (name, variant) in variants() {
        // Warm the pools to IN_FLIGHT connections, then count sequential calls.
        batches(&rt, &clients, variant, 2);
        let (allocations, bytes) = alloc::per_call(calls, || {
            rt.block_on(variant(&clients));
        });
        alloc::report("loopback_latency", name, (allocations, bytes));
    }

    interleaved_latency(&rt, &clients, if test_mode { 10 } else { 20_000 });

    let mut group = c.benchmark_group("loopback_latency");
    for (name, variant) in variants() {
        group.bench_function(name, |b| b.iter(|| rt.block_on(variant(&clients))));
    }
    group.finish();

    let mut group = c.benchmark_group("loopback_throughput_64");
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    for (name, variant) in variants() {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| batches(&rt, &clients, variant, iters))
        });
    }
    group.finish();
}

criterion_group!(benches, loopback);
criterion_main!(benches);
