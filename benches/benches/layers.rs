//! Bench 5: the per-call cost of the rate limiter and of the retry policy on the happy path.
//!
//! Each layer alone over an in-memory service that answers at once, side by side with that
//! service called directly. Every variant encodes the same getProject request (its metadata
//! in the extensions, as the client sends it), so the differences are the layers' own cost.

use std::convert::Infallible;
use std::time::Duration;

use ampersand::Operation;
use ampersand::layers::rate_limit::{Quota, RateLimitConfig, RateLimitLayer};
use ampersand::layers::retry::{RetryConfig, RetryLayer};
use ampersand::resources::projects::GetProject;
use ampersand_benches::alloc::{self, CountingAllocator};
use ampersand_benches::fixtures::{PROJECT_NAME, project_json};
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::util::BoxCloneSyncService;
use tower::{Layer, ServiceExt};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

type Service = BoxCloneSyncService<http::Request<Bytes>, http::Response<Bytes>, ampersand::Error>;

fn inner() -> Service {
    let body = project_json();
    BoxCloneSyncService::new(
        tower::service_fn(move |_request: http::Request<Bytes>| {
            std::future::ready(Ok::<_, Infallible>(http::Response::new(body.clone())))
        })
        .map_err(|never: Infallible| -> ampersand::Error { match never {} }),
    )
}

fn variants() -> Vec<(&'static str, Service)> {
    vec![
        ("inner_only", inner()),
        (
            "rate_limit_no_quota",
            BoxCloneSyncService::new(
                RateLimitLayer::new(RateLimitConfig::default()).layer(inner()),
            ),
        ),
        (
            "rate_limit_quota_1M_per_s",
            BoxCloneSyncService::new(
                RateLimitLayer::new(RateLimitConfig::default().quota(Quota::per_second(1_000_000)))
                    .layer(inner()),
            ),
        ),
        (
            "retry_no_deadline",
            BoxCloneSyncService::new(RetryLayer::new(RetryConfig::default()).layer(inner())),
        ),
        (
            "retry_deadline_120s",
            BoxCloneSyncService::new(
                RetryLayer::new(RetryConfig::default().deadline(Duration::from_secs(120)))
                    .layer(inner()),
            ),
        ),
    ]
}

fn call(rt: &tokio::runtime::Runtime, service: &Service) -> http::Response<Bytes> {
    let request = GetProject::new(PROJECT_NAME)
        .to_request()
        .expect("the request encodes");
    rt.block_on(service.clone().oneshot(request)).expect("ok")
}

fn layers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the runtime starts");
    let calls = if std::env::args().any(|arg| arg == "--test") {
        10
    } else {
        10_000
    };
    let variants = variants();
    for (name, service) in &variants {
        for _ in 0..100 {
            call(&rt, service);
        }
        alloc::report(
            "layers_happy_path",
            name,
            alloc::per_call(calls, || {
                call(&rt, service);
            }),
        );
    }
    let mut group = c.benchmark_group("layers_happy_path");
    for (name, service) in &variants {
        group.bench_function(*name, |b| b.iter(|| call(&rt, service)));
    }
    group.finish();
}

criterion_group!(benches, layers);
criterion_main!(benches);
