//! getProject over TLS on loopback: the SDK beside raw hyper with the same rustls
//! configuration, HTTP/1.1 and HTTP/2 (chosen by ALPN), sequential (latency) and 64 in
//! flight (throughput), on tokio's multi-thread runtime.
//!
//! Two rustls servers on 127.0.0.1 (their own one-worker runtime, certificates from a test
//! CA made at start): one offering `h2` and `http/1.1`, one `http/1.1` only. Four variants
//! call them from a two-worker runtime:
//! - `raw_hyper_h1` / `raw_hyper_h2`: hyper-util's pooling client over hyper-rustls with the
//!   same `rustls::ClientConfig` as the SDK, sending the SDK's exact headers and decoding the
//!   same struct with `serde_json`: the physical limit;
//! - `sdk_h1` / `sdk_h2`: this SDK's default client and stack, given that `ClientConfig`
//!   (`ClientBuilder::tls_client_config`);
//! - diagnostics over HTTP/2: `sdk_h2_no_timers` (no attempt timeout or deadline) and
//!   `sdk_h2_bare` (no optional layer at all).
//!
//! The variants take turns (shuffled every turn, [`TurnOrder`]), so that a change of load on
//! the shared machine falls on all of them alike; the printed figures are medians: the
//! median call per variant, and for throughput the median over turns of the per-turn ratio
//! to raw hyper over the same protocol.
//!
//! `cargo bench -p ampersand-benches --bench tls` (add `-- --test` for a short smoke run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ampersand::resources::models::Project;
use ampersand::resources::projects::GetProject;
use ampersand::{Client, ClientBuilder};
use ampersand_benches::fixtures::{
    API_KEY, PROJECT_NAME, PROJECT_PATH, project_json, sdk_request_headers,
};
use ampersand_benches::stats;
use ampersand_benches::turns::TurnOrder;
use ampersand_tests::tls::{Alpn, TestCa, TlsServer, TlsServerConfig, provider};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const IN_FLIGHT: usize = 64;
/// Calls in a row per variant and turn, for latency.
const BLOCK: usize = 50;
/// Batches of [`IN_FLIGHT`] per variant and turn, for throughput (after one untimed batch).
const BATCHES_PER_TURN: usize = 5;

/// The variants, raw hyper first for each protocol; then three diagnostics over HTTP/2: the
/// SDK without its per-call timers (attempt timeout, deadline), and without any optional
/// layer (no retry, rate limit, tracing or timers), and raw hyper with the SDK's pool
/// settings (timers, idle timeout, no Host step, header-list limit), to show where its cost
/// is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    RawHyperH1,
    SdkH1,
    RawHyperH2,
    SdkH2,
    SdkH2NoTimers,
    SdkH2Bare,
    RawHyperH2SdkPool,
}

impl Variant {
    const ALL: [Variant; 7] = [
        Variant::RawHyperH1,
        Variant::SdkH1,
        Variant::RawHyperH2,
        Variant::SdkH2,
        Variant::SdkH2NoTimers,
        Variant::SdkH2Bare,
        Variant::RawHyperH2SdkPool,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::RawHyperH1 => "raw_hyper_h1",
            Variant::SdkH1 => "sdk_h1",
            Variant::RawHyperH2 => "raw_hyper_h2",
            Variant::SdkH2 => "sdk_h2",
            Variant::SdkH2NoTimers => "sdk_h2_no_timers",
            Variant::SdkH2Bare => "sdk_h2_bare",
            Variant::RawHyperH2SdkPool => "raw_hyper_h2_sdk_pool",
        }
    }

    /// The raw hyper variant over the same protocol: the baseline of this one's ratio.
    fn baseline(self) -> usize {
        match self {
            Variant::RawHyperH1 | Variant::SdkH1 => 0,
            _ => 2,
        }
    }
}

type RawClient = HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The clients; cheap to clone into tasks.
#[derive(Clone)]
struct Clients {
    h1_url: Arc<str>,
    h2_url: Arc<str>,
    headers: Arc<[(&'static str, String); 5]>,
    raw: RawClient,
    raw_sdk_pool: RawClient,
    sdk_h1: Client,
    sdk_h2: Client,
    sdk_h2_no_timers: Client,
    sdk_h2_bare: Client,
}

impl Clients {
    fn new(ca: &TestCa, h1: &TlsServer, h2: &TlsServer) -> Clients {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der().clone()).expect("the test CA");
        let tls = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_only()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let raw_sdk_pool = HyperClient::builder(TokioExecutor::new())
            .set_host(false)
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .http2_max_header_list_size(16 * 1024)
            .build(connector.clone());
        let sdk = |origin: String, configure: fn(ClientBuilder) -> ClientBuilder| {
            configure(
                Client::builder()
                    .api_key(API_KEY)
                    .api_origin(&origin)
                    .tls_client_config(tls.clone()),
            )
            .build()
            .expect("the client builds")
        };
        let origin = |server: &TlsServer| format!("https://localhost:{}", server.addr().port());
        Clients {
            h1_url: format!("{}{PROJECT_PATH}", origin(h1)).into(),
            h2_url: format!("{}{PROJECT_PATH}", origin(h2)).into(),
            headers: Arc::new(sdk_request_headers()),
            raw: HyperClient::builder(TokioExecutor::new()).build(connector),
            raw_sdk_pool,
            sdk_h1: sdk(origin(h1), |b| b),
            sdk_h2: sdk(origin(h2), |b| b),
            sdk_h2_no_timers: sdk(origin(h2), |b| b.attempt_timeout(None).deadline(None)),
            sdk_h2_bare: sdk(origin(h2), |b| {
                b.no_retry()
                    .no_rate_limit()
                    .tracing(false)
                    .attempt_timeout(None)
                    .deadline(None)
            }),
        }
    }

    async fn call(&self, variant: Variant) -> Project {
        match variant {
            Variant::RawHyperH1 => self.raw_hyper(&self.raw, &self.h1_url).await,
            Variant::RawHyperH2 => self.raw_hyper(&self.raw, &self.h2_url).await,
            Variant::RawHyperH2SdkPool => self.raw_hyper(&self.raw_sdk_pool, &self.h2_url).await,
            Variant::SdkH1 => sdk(&self.sdk_h1).await,
            Variant::SdkH2 => sdk(&self.sdk_h2).await,
            Variant::SdkH2NoTimers => sdk(&self.sdk_h2_no_timers).await,
            Variant::SdkH2Bare => sdk(&self.sdk_h2_bare).await,
        }
    }

    async fn raw_hyper(&self, client: &RawClient, url: &str) -> Project {
        let mut request = http::Request::get(url);
        for (name, value) in self.headers.iter() {
            request = request.header(*name, value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::new()))
            .expect("a valid request");
        let response = client.request(request).await.expect("the call succeeds");
        assert!(response.status().is_success());
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body arrives")
            .to_bytes();
        serde_json::from_slice(&body).expect("the body decodes")
    }
}

async fn sdk(client: &Client) -> Project {
    client
        .send(GetProject::new(PROJECT_NAME))
        .await
        .expect("the call succeeds")
}

/// One batch of [`IN_FLIGHT`] calls, each its own task; its duration.
async fn batch(clients: &Clients, variant: Variant) -> Duration {
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let clients = clients.clone();
        tasks.spawn(async move { clients.call(variant).await });
    }
    while let Some(project) = tasks.join_next().await {
        std::hint::black_box(project.expect("the task ends"));
    }
    start.elapsed()
}

fn latency(rt: &Runtime, clients: &Clients, turns: usize) {
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); Variant::ALL.len()];
    let mut orders = TurnOrder::new(Variant::ALL.len());
    for _ in 0..turns {
        for index in orders.next_turn() {
            let variant = Variant::ALL[index];
            rt.block_on(async {
                for _ in 0..BLOCK {
                    let start = Instant::now();
                    std::hint::black_box(clients.call(variant).await);
                    samples[index].push(start.elapsed());
                }
            });
        }
    }
    let medians = stats::medians(&mut samples);
    for (index, variant) in Variant::ALL.iter().enumerate() {
        let median = medians[index];
        let ratio = median.as_secs_f64() / medians[variant.baseline()].as_secs_f64();
        println!(
            "tls_latency/{}: median of {} calls {median:?}, x{ratio:.3} of raw hyper",
            variant.name(),
            samples[index].len()
        );
    }
}

fn throughput(rt: &Runtime, clients: &Clients, turns: usize) {
    let mut per_turn: Vec<Vec<Duration>> = vec![Vec::new(); Variant::ALL.len()];
    let mut orders = TurnOrder::new(Variant::ALL.len());
    for _ in 0..turns {
        for index in orders.next_turn() {
            let variant = Variant::ALL[index];
            let time = rt.block_on(async {
                batch(clients, variant).await;
                let mut total = Duration::ZERO;
                for _ in 0..BATCHES_PER_TURN {
                    total += batch(clients, variant).await;
                }
                total
            });
            per_turn[index].push(time);
        }
    }
    let calls = (turns * BATCHES_PER_TURN * IN_FLIGHT) as f64;
    for (index, variant) in Variant::ALL.iter().enumerate() {
        let rate = calls / per_turn[index].iter().sum::<Duration>().as_secs_f64();
        let ratio = stats::median_turn_ratios(&per_turn, variant.baseline())[index];
        println!(
            "tls_throughput_64/{}: {rate:.0} calls/s over {calls} calls, median turn {:.1}% of raw hyper",
            variant.name(),
            100.0 * ratio
        );
    }
}

fn main() {
    let smoke = std::env::args().any(|arg| arg == "--test");
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bench-tls-server")
        .enable_all()
        .build()
        .expect("the server runtime starts");
    let ca = TestCa::new("bench CA");
    let body = project_json();
    let answer = move |_: &http::request::Parts| {
        http::Response::builder()
            .header("content-type", "application/json")
            .body(body.clone())
            .expect("a response")
    };
    let h2 = server_rt.block_on(TlsServer::start_with(
        TlsServerConfig::new(ca.server()),
        answer.clone(),
    ));
    let mut h1_only = TlsServerConfig::new(ca.server());
    h1_only.alpn = Alpn::Http11;
    let h1 = server_rt.block_on(TlsServer::start_with(h1_only, answer));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the client runtime starts");
    let clients = Clients::new(&ca, &h1, &h2);
    // Warm every pool: handshakes are not what is measured. One call first, so that the
    // HTTP/2 clients learn (ALPN) that one connection carries every call before a batch
    // would open 64.
    for variant in Variant::ALL {
        rt.block_on(clients.call(variant));
        rt.block_on(batch(&clients, variant));
    }
    let (latency_turns, throughput_turns) = if smoke { (1, 1) } else { (200, 100) };
    latency(&rt, &clients, latency_turns);
    throughput(&rt, &clients, throughput_turns);
    let h1_handshakes = h1
        .stats()
        .handshakes
        .load(std::sync::atomic::Ordering::SeqCst);
    let h2_connections = h2.stats().h2.load(std::sync::atomic::Ordering::SeqCst);
    println!(
        "tls connections: {h1_handshakes} on the http/1.1 server, {h2_connections} on the h2 \
         server (both clients)"
    );
}
