//! A proxied GET through the SDK's default stack beside raw hyper, over loopback HTTP/1.1.
//!
//! One hyper server on 127.0.0.1 (its own one-thread runtime) answers every request with the
//! same 259-byte JSON body, standing in for the proxy host. Two clients call
//! `GET /crm/v3/objects/contacts/42?properties=email`, on tokio's current-thread runtime and on
//! its multi-thread runtime (what `#[tokio::main]` builds):
//! - `raw_hyper`: hyper-util's legacy pooling client with the same request built by hand (the
//!   SDK's identity headers, the API key and the three proxy headers), the body collected into
//!   `Bytes`: the physical limit;
//! - `sdk_proxy`: `client.proxy(..).get(..).send()` through the SDK's whole default stack,
//!   answering `http::Response<Bytes>`.
//!
//! Both are measured with the variants taking turns (the loopback bench's method: latency as
//! the median of sequential calls in blocks of 50, throughput as calls per second with
//! [`IN_FLIGHT`] in flight, turn order shuffled), printed with the ratio to raw hyper; then
//! criterion measures each.
//!
//! ```text
//! cargo bench -p ampersand-benches --bench proxy
//! ```

use std::time::Duration;

use ampersand::proxy::{Proxy, ProxyTarget};
use ampersand::{Client, Host};
use ampersand_benches::fixtures::{API_KEY, project_json, sdk_request_headers};
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

const PATH: &str = "/crm/v3/objects/contacts/42?properties=email";
const PROJECT_ID: &str = "9f7c3e2a-61b8-4f5c-8d1a-eb24f3b05d79";
const INSTALLATION_ID: &str = "0b6d4c1e-7a2f-4e8b-9c3d-5f1a2b3c4d5e";

/// The clients, both pointed at the same server.
struct Clients {
    url: String,
    headers: Vec<(&'static str, String)>,
    hyper: HyperClient<HttpConnector, Full<Bytes>>,
    proxy: Proxy,
}

impl Clients {
    fn new(server: &Server) -> Clients {
        let origin = server.origin();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder()
            .api_key(API_KEY)
            .base_url(Host::Proxy, &origin)
            .build()
            .expect("the client builds");
        // The SDK's identity headers and key, without the platform calls' `Accept`, plus the
        // proxy's headers: what `sdk_proxy` puts on the wire.
        let mut headers: Vec<_> = sdk_request_headers()
            .into_iter()
            .filter(|(name, _)| *name != "accept")
            .collect();
        headers.extend([
            ("x-amp-proxy-version", "1".to_owned()),
            ("x-amp-project-id", PROJECT_ID.to_owned()),
            ("x-amp-installation-id", INSTALLATION_ID.to_owned()),
        ]);
        Clients {
            url: format!("{origin}{PATH}"),
            headers,
            hyper: HyperClient::builder(TokioExecutor::new()).build(connector),
            proxy: client.proxy(PROJECT_ID, ProxyTarget::installation(INSTALLATION_ID)),
        }
    }

    async fn raw_hyper(&self) -> Bytes {
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
        response
            .into_body()
            .collect()
            .await
            .expect("the body arrives")
            .to_bytes()
    }

    async fn sdk_proxy(&self) -> Bytes {
        let response = self
            .proxy
            .get(PATH)
            .send()
            .await
            .expect("the call succeeds");
        assert!(response.status().is_success());
        response.into_body()
    }
}

#[derive(Debug, Clone, Copy)]
enum Subject {
    RawHyper,
    SdkProxy,
}

impl Subject {
    const ALL: [Subject; 2] = [Subject::RawHyper, Subject::SdkProxy];

    fn name(self) -> &'static str {
        match self {
            Subject::RawHyper => "raw_hyper",
            Subject::SdkProxy => "sdk_proxy",
        }
    }

    fn call(self, clients: &Clients) -> BoxFuture<'_, Bytes> {
        match self {
            Subject::RawHyper => Box::pin(clients.raw_hyper()),
            Subject::SdkProxy => Box::pin(clients.sdk_proxy()),
        }
    }
}

/// `iters` batches of [`IN_FLIGHT`] concurrent calls of `subject`; the time of all of them.
fn batches(rt: &Runtime, clients: &Clients, subject: Subject, iters: u64) -> Duration {
    interleave::batches(rt, iters, || subject.call(clients))
}

/// The median sequential call of each variant, the variants taking turns in shuffled blocks
/// ([`interleave::latency_samples`]).
fn interleaved_latency(rt: &Runtime, clients: &Clients, flavor: &str, calls: usize) {
    let all = Subject::ALL;
    let mut samples = interleave::latency_samples(rt, all.len(), calls, |i| all[i].call(clients));
    let medians = stats::medians(&mut samples);
    for (subject, median) in all.iter().zip(&medians) {
        let ratio = median.as_secs_f64() / medians[0].as_secs_f64();
        println!(
            "interleaved proxy_latency/{flavor}/{}: median of {calls} calls {median:?}, \
             x{ratio:.3} of raw_hyper",
            subject.name()
        );
    }
}

/// Calls per second of each variant with [`IN_FLIGHT`] in flight, the variants taking turns
/// ([`interleave::throughput_turns`]), with the median of the per-turn ratios.
fn interleaved_throughput(rt: &Runtime, clients: &Clients, flavor: &str, turns: usize) {
    let all = Subject::ALL;
    let per_turn = interleave::throughput_turns(rt, all.len(), turns, |i| all[i].call(clients));
    let calls = interleave::throughput_calls(turns);
    let rates: Vec<f64> = per_turn
        .iter()
        .map(|times| calls / times.iter().sum::<Duration>().as_secs_f64())
        .collect();
    let turn_ratios = stats::median_turn_ratios(&per_turn, 0);
    for ((subject, rate), turn_ratio) in all.iter().zip(&rates).zip(&turn_ratios) {
        println!(
            "interleaved proxy_throughput_64/{flavor}/{}: {rate:.0} calls/s over {calls} calls, \
             {:.1}% of raw_hyper (median turn: {:.1}%)",
            subject.name(),
            100.0 * rate / rates[0],
            100.0 * turn_ratio
        );
    }
}

fn runtime(multi_thread: bool) -> Runtime {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().expect("the runtime starts")
}

fn proxy(c: &mut Criterion) {
    let server = Server::start(project_json());
    let test_mode = std::env::args().any(|arg| arg == "--test");
    for (flavor, multi_thread) in [("current_thread", false), ("multi_thread", true)] {
        let rt = runtime(multi_thread);
        // Fresh clients per runtime: a pool's connections are tasks of the runtime that made them.
        let clients = Clients::new(&server);
        for subject in Subject::ALL {
            batches(&rt, &clients, subject, 2);
        }
        interleaved_latency(&rt, &clients, flavor, if test_mode { 10 } else { 10_000 });
        interleaved_throughput(&rt, &clients, flavor, if test_mode { 1 } else { 200 });

        let mut group = c.benchmark_group(format!("proxy_latency/{flavor}"));
        for subject in Subject::ALL {
            group.bench_function(subject.name(), |b| {
                b.iter(|| rt.block_on(subject.call(&clients)))
            });
        }
        group.finish();

        let mut group = c.benchmark_group(format!("proxy_throughput_64/{flavor}"));
        group.throughput(Throughput::Elements(IN_FLIGHT as u64));
        for subject in Subject::ALL {
            group.bench_function(subject.name(), |b| {
                b.iter_custom(|iters| batches(&rt, &clients, subject, iters))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, proxy);
criterion_main!(benches);
