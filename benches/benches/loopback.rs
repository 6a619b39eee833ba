//! Benches 2 and 3: getProject over loopback HTTP/1.1, sequential (latency) and with 64
//! requests in flight (throughput).
//!
//! One hyper server on 127.0.0.1 (its own one-thread runtime) serves getProject's JSON. Three
//! clients call it, on each of the two runtimes backends use ([`Flavor`]): tokio's
//! current-thread runtime and its multi-thread runtime with the default worker count (what
//! `#[tokio::main]` builds):
//! - `raw_hyper`: hyper-util's legacy pooling client building the same request by hand and
//!   decoding the same struct with `serde_json`: the physical limit;
//! - `reqwest_serde`: reqwest (http only) and its `.json()`, what a user would write by hand;
//! - `sdk_default`: this SDK's default client and its whole default stack.
//!
//! The hand-written clients send the SDK's exact headers
//! ([`sdk_request_headers`], held equal to the SDK's by a test), so that all three put the
//! same request on the wire and the server does the same work for each.
//!
//! Before criterion runs, a pre-pass prints allocations per sequential call, process-wide (the
//! server's included: the same for every client, so the differences are the clients'), then
//! latency and throughput measured with the variants taking turns ([`interleaved_latency`],
//! [`interleaved_throughput`]), which also covers the [`DIAGNOSTICS`]: a second default client
//! (how far two identical clients differ in one pass) and the default client without one
//! layer, to show what each costs over a real socket.

use std::time::Duration;

use ampersand::resources::models::Project;
use ampersand::resources::projects::GetProject;
use ampersand::{Client, ClientBuilder};
use ampersand_benches::alloc::{self, CountingAllocator};
use ampersand_benches::fixtures::{
    API_KEY, PROJECT_NAME, PROJECT_PATH, project_json, sdk_request_headers,
};
use ampersand_benches::interleave::{self, IN_FLIGHT};
use ampersand_benches::server::Server;
use ampersand_benches::stats;
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::runtime::Runtime;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

/// A change to the default client's builder.
type Configure = fn(ClientBuilder) -> ClientBuilder;

/// For the interleaved pre-pass: the SDK's default client again (the pass's own noise), then
/// without one layer (or all but auth, identity and problem decoding): what each layer costs
/// over loopback.
const DIAGNOSTICS: [(&str, Configure); 6] = [
    // The default client again: how far two identical clients differ in one pass.
    ("sdk_default_again", |b| b),
    ("sdk_no_timers", |b| b.attempt_timeout(None).deadline(None)),
    ("sdk_no_retry", |b| b.no_retry()),
    ("sdk_no_rate_limit", |b| b.no_rate_limit()),
    ("sdk_no_tracing", |b| b.tracing(false)),
    ("sdk_bare", |b| {
        b.no_retry()
            .no_rate_limit()
            .tracing(false)
            .attempt_timeout(None)
            .deadline(None)
    }),
];

/// The clients, all pointed at the same server.
struct Clients {
    url: String,
    /// What the hand-written clients send: the SDK's exact headers.
    headers: [(&'static str, String); 5],
    hyper: HyperClient<HttpConnector, Full<Bytes>>,
    reqwest: reqwest::Client,
    sdk: Client,
    /// The [`DIAGNOSTICS`] clients, in the interleaved pre-pass only.
    diagnostics: Vec<Client>,
}

impl Clients {
    fn new(server: &Server) -> Clients {
        let origin = server.origin();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let sdk = |configure: Configure| {
            configure(Client::builder().api_key(API_KEY).api_origin(&origin))
                .build()
                .expect("the client builds")
        };
        Clients {
            url: format!("{origin}{PROJECT_PATH}"),
            headers: sdk_request_headers(),
            hyper: HyperClient::builder(TokioExecutor::new()).build(connector),
            reqwest: reqwest::Client::new(),
            sdk: sdk(|b| b),
            diagnostics: DIAGNOSTICS
                .iter()
                .map(|(_, configure)| sdk(*configure))
                .collect(),
        }
    }

    async fn raw_hyper(&self) -> Project {
        let mut request = http::Request::get(self.url.as_str());
        for (name, value) in &self.headers {
            request = request.header(*name, value.as_str());
        }
        let request = request
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
        let mut request = self.reqwest.get(self.url.as_str());
        for (name, value) in &self.headers {
            request = request.header(*name, value.as_str());
        }
        request
            .send()
            .await
            .expect("the call succeeds")
            .error_for_status()
            .expect("a success")
            .json()
            .await
            .expect("the body decodes")
    }

    async fn sdk(client: &Client) -> Project {
        client
            .send(GetProject::new(PROJECT_NAME))
            .await
            .expect("the call succeeds")
    }
}

/// Who makes the calls.
#[derive(Debug, Clone, Copy)]
enum Subject {
    RawHyper,
    ReqwestSerde,
    SdkDefault,
    /// The [`DIAGNOSTICS`] client at this index.
    Diagnostic(usize),
}

impl Subject {
    /// The subjects of the criterion benches.
    const COMPARED: [Subject; 3] = [
        Subject::RawHyper,
        Subject::ReqwestSerde,
        Subject::SdkDefault,
    ];

    /// The subjects of the interleaved pre-pass: the compared ones, then the diagnostics.
    fn all() -> Vec<Subject> {
        let diagnostics = (0..DIAGNOSTICS.len()).map(Subject::Diagnostic);
        Subject::COMPARED.into_iter().chain(diagnostics).collect()
    }

    fn name(self) -> &'static str {
        match self {
            Subject::RawHyper => "raw_hyper",
            Subject::ReqwestSerde => "reqwest_serde",
            Subject::SdkDefault => "sdk_default",
            Subject::Diagnostic(index) => DIAGNOSTICS[index].0,
        }
    }

    fn call(self, clients: &Clients) -> BoxFuture<'_, Project> {
        match self {
            Subject::RawHyper => Box::pin(clients.raw_hyper()),
            Subject::ReqwestSerde => Box::pin(clients.reqwest_serde()),
            Subject::SdkDefault => Box::pin(Clients::sdk(&clients.sdk)),
            Subject::Diagnostic(index) => Box::pin(Clients::sdk(&clients.diagnostics[index])),
        }
    }
}

/// `iters` batches of [`IN_FLIGHT`] concurrent calls of `subject`; the time of all of them.
fn batches(rt: &Runtime, clients: &Clients, subject: Subject, iters: u64) -> Duration {
    interleave::batches(rt, iters, || subject.call(clients))
}

/// Latency measured call by call, the variants taking turns ([`interleave::latency_samples`]);
/// prints each variant's median call and its ratio to raw hyper's. A median rather than a
/// mean: it leaves out the rare slow wake-ups of a virtual machine.
fn interleaved_latency(rt: &Runtime, clients: &Clients, calls: usize) {
    let all = Subject::all();
    let mut samples = interleave::latency_samples(rt, all.len(), calls, |i| all[i].call(clients));
    let medians = stats::medians(&mut samples);
    for (subject, median) in all.iter().zip(&medians) {
        let name = subject.name();
        let ratio = median.as_secs_f64() / medians[0].as_secs_f64();
        println!(
            "interleaved loopback_latency/{name}: median of {calls} calls {median:?}, \
             x{ratio:.3} of raw_hyper"
        );
    }
}

/// Throughput measured the same way ([`interleave::throughput_turns`]): each variant's calls
/// per second over all `turns` turns and its ratio to raw hyper's, and beside it the median of
/// the per-turn ratios ([`stats::median_turn_ratios`]), which a few turns slowed by the host
/// cannot move.
fn interleaved_throughput(rt: &Runtime, clients: &Clients, turns: usize) {
    let all = Subject::all();
    let per_turn = interleave::throughput_turns(rt, all.len(), turns, |i| all[i].call(clients));
    let calls = interleave::throughput_calls(turns);
    let rates: Vec<f64> = per_turn
        .iter()
        .map(|times| calls / times.iter().sum::<Duration>().as_secs_f64())
        .collect();
    let turn_ratios = stats::median_turn_ratios(&per_turn, 0);
    for ((subject, rate), turn_ratio) in all.iter().zip(&rates).zip(&turn_ratios) {
        let name = subject.name();
        println!(
            "interleaved loopback_throughput_64/{name}: {rate:.0} calls/s over {calls} calls, \
             {:.1}% of raw_hyper (median turn: {:.1}%)",
            100.0 * rate / rates[0],
            100.0 * turn_ratio
        );
    }
}

/// The tokio runtime the clients run on.
#[derive(Debug, Clone, Copy)]
enum Flavor {
    /// `new_current_thread`: one thread polls everything.
    CurrentThread,
    /// `new_multi_thread` with the default worker count, as `#[tokio::main]` builds it: the
    /// calls are made from `block_on`, the connections' tasks run on the workers.
    MultiThread,
}

impl Flavor {
    const ALL: [Flavor; 2] = [Flavor::CurrentThread, Flavor::MultiThread];

    fn name(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current_thread",
            Flavor::MultiThread => "multi_thread",
        }
    }

    fn runtime(self) -> Runtime {
        let mut builder = match self {
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Flavor::MultiThread => tokio::runtime::Builder::new_multi_thread(),
        };
        builder.enable_all().build().expect("the runtime starts")
    }
}

fn loopback(c: &mut Criterion) {
    let server = Server::start(project_json());
    let test_mode = std::env::args().any(|arg| arg == "--test");
    let calls = if test_mode { 10 } else { 2_000 };

    for flavor in Flavor::ALL {
        let rt = flavor.runtime();
        // Fresh clients per runtime: a pool's connections are tasks of the runtime that made them.
        let clients = Clients::new(&server);
        let flavor = flavor.name();
        println!("--- runtime: {flavor}");
        for subject in Subject::all() {
            // Warm the pools to IN_FLIGHT connections, then count sequential calls.
            batches(&rt, &clients, subject, 2);
            let (allocations, bytes) = alloc::per_call(calls, || {
                rt.block_on(subject.call(&clients));
            });
            let group = format!("loopback_latency/{flavor}");
            alloc::report(&group, subject.name(), (allocations, bytes));
        }

        interleaved_latency(&rt, &clients, if test_mode { 10 } else { 20_000 });
        interleaved_throughput(&rt, &clients, if test_mode { 1 } else { 400 });

        let mut group = c.benchmark_group(format!("loopback_latency/{flavor}"));
        for subject in Subject::COMPARED {
            group.bench_function(subject.name(), |b| {
                b.iter(|| rt.block_on(subject.call(&clients)))
            });
        }
        group.finish();

        let mut group = c.benchmark_group(format!("loopback_throughput_64/{flavor}"));
        group.throughput(Throughput::Elements(IN_FLIGHT as u64));
        for subject in Subject::COMPARED {
            group.bench_function(subject.name(), |b| {
                b.iter_custom(|iters| batches(&rt, &clients, subject, iters))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, loopback);
criterion_main!(benches);
