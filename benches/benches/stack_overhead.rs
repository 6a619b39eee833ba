//! Bench 1: the cost of the SDK's stack without a network.
//!
//! The full default client (auth with an API key, retry with its budget and deadline, a rate
//! limit whose quota never binds, tracing, the attempt timeout, problem decoding, identity
//! headers) over an in-memory transport returning a canned getProject response, side by side
//! with calling that transport directly with the same response and decoding it with
//! `serde_json`. Tracing runs with no subscriber, with a registry whose only layer does
//! nothing (INFO), and with a `fmt` subscriber writing to `io::sink` (INFO). A "bare" client
//! (encode, auth, problem decoding and decode only) splits the cost of the layers from that
//! of encoding and decoding.
//!
//! Before criterion runs, a pre-pass prints the allocations per call of each variant, then the
//! time per call of the unsubscribed variants measured with the variants taking turns
//! ([`interleaved`]), which a change of load on a shared machine cannot skew.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use ampersand::resources::models::Project;
use ampersand::resources::projects::GetProject;
use ampersand_benches::alloc::{self, CountingAllocator};
use ampersand_benches::fixtures::{API_KEY, PROJECT_NAME};
use ampersand_benches::in_memory::{bare_client, default_client, transport};
use ampersand_benches::stats;
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use tower::ServiceExt;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const PROJECT_URL: &str = "https://api.withampersand.com/v1/projects/mailmonkey-staging";

/// What a user of the transport would write by hand: build the request, call, decode.
async fn direct(
    transport: &(
         impl tower::Service<
        http::Request<Bytes>,
        Response = http::Response<Bytes>,
        Error = Infallible,
        Future: Send,
    > + Clone
     ),
) -> Project {
    let request = http::Request::get(PROJECT_URL)
        .header(http::header::ACCEPT, "application/json")
        .header("x-api-key", API_KEY)
        .body(Bytes::new())
        .expect("a valid request");
    let response = transport
        .clone()
        .oneshot(request)
        .await
        .expect("infallible");
    serde_json::from_slice(response.body()).expect("the canned body decodes")
}

fn registry_subscriber() -> impl tracing::Subscriber + Send + Sync {
    /// A layer that does nothing: what tracing costs with a subscriber that is interested.
    struct Sink;
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Sink {}
    tracing_subscriber::registry()
        .with(LevelFilter::INFO)
        .with(Sink)
}

fn fmt_subscriber() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_max_level(LevelFilter::INFO)
        .with_writer(std::io::sink)
        .finish()
}

fn test_mode() -> bool {
    std::env::args().any(|arg| arg == "--test")
}

/// Prints the allocations per call of every variant.
fn allocation_pre_pass(rt: &Runtime) {
    let calls = if test_mode() { 10 } else { 10_000 };
    let transport = transport();
    let bare = bare_client();
    let client = default_client();
    let bench = "stack_overhead";
    let measure = |name: &str, f: &mut dyn FnMut()| {
        for _ in 0..100 {
            f();
        }
        alloc::report(bench, name, alloc::per_call(calls, f));
    };
    measure("transport_direct", &mut || {
        rt.block_on(direct(&transport));
    });
    measure("client_bare", &mut || {
        rt.block_on(bare.send(GetProject::new(PROJECT_NAME)))
            .expect("ok");
    });
    measure("client_default", &mut || {
        rt.block_on(client.send(GetProject::new(PROJECT_NAME)))
            .expect("ok");
    });
    {
        let _guard = tracing::subscriber::set_default(registry_subscriber());
        measure("client_default_registry_info", &mut || {
            rt.block_on(client.send(GetProject::new(PROJECT_NAME)))
                .expect("ok");
        });
    }
    {
        let _guard = tracing::subscriber::set_default(fmt_subscriber());
        measure("client_default_fmt_sink_info", &mut || {
            rt.block_on(client.send(GetProject::new(PROJECT_NAME)))
                .expect("ok");
        });
    }
}

/// Calls per variant per turn in [`interleaved`].
const BLOCK: u32 = 1_000;

/// The time per call of `transport_direct`, `client_bare` and `client_default`, the variants
/// taking turns of [`BLOCK`] calls for `turns` turns; prints each one's median block mean and
/// its overhead over `transport_direct`.
fn interleaved(rt: &Runtime, turns: usize) {
    let transport = transport();
    let bare = bare_client();
    let client = default_client();
    let mut variants: [(&str, &mut dyn FnMut()); 3] = [
        ("transport_direct", &mut || {
            rt.block_on(direct(&transport));
        }),
        ("client_bare", &mut || {
            rt.block_on(bare.send(GetProject::new(PROJECT_NAME)))
                .expect("ok");
        }),
        ("client_default", &mut || {
            rt.block_on(client.send(GetProject::new(PROJECT_NAME)))
                .expect("ok");
        }),
    ];
    let mut means: Vec<Vec<Duration>> = vec![Vec::with_capacity(turns); variants.len()];
    for _ in 0..turns {
        for (index, (_, call)) in variants.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..BLOCK {
                call();
            }
            means[index].push(start.elapsed() / BLOCK);
        }
    }
    let medians = stats::medians(&mut means);
    for ((name, _), median) in variants.iter().zip(&medians) {
        let overhead = median.as_nanos() as i128 - medians[0].as_nanos() as i128;
        println!(
            "interleaved stack_overhead/{name}: median of {turns} blocks of {BLOCK} calls \
             {median:?} per call, {overhead:+} ns over transport_direct"
        );
    }
}

fn stack_overhead(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the runtime starts");
    allocation_pre_pass(&rt);
    interleaved(&rt, if test_mode() { 1 } else { 300 });

    let transport = transport();
    let bare = bare_client();
    let client = default_client();
    let mut group = c.benchmark_group("stack_overhead");
    group.bench_function("transport_direct", |b| {
        b.iter(|| rt.block_on(direct(&transport)))
    });
    group.bench_function("client_bare", |b| {
        b.iter(|| {
            rt.block_on(bare.send(GetProject::new(PROJECT_NAME)))
                .expect("ok")
        })
    });
    group.bench_function("client_default", |b| {
        b.iter(|| {
            rt.block_on(client.send(GetProject::new(PROJECT_NAME)))
                .expect("ok")
        })
    });
    {
        let _guard = tracing::subscriber::set_default(registry_subscriber());
        group.bench_function("client_default_registry_info", |b| {
            b.iter(|| {
                rt.block_on(client.send(GetProject::new(PROJECT_NAME)))
                    .expect("ok")
            })
        });
    }
    {
        let _guard = tracing::subscriber::set_default(fmt_subscriber());
        group.bench_function("client_default_fmt_sink_info", |b| {
            b.iter(|| {
                rt.block_on(client.send(GetProject::new(PROJECT_NAME)))
                    .expect("ok")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stack_overhead);
criterion_main!(benches);
