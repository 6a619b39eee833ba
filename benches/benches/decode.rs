//! Bench 4: decoding a large response, 10,000 installations in one list (and, for scale, the
//! small getProject body).
//!
//! `ListInstallations::decode` (what the client runs on every listInstallations response)
//! side by side with `serde_json::from_slice::<Vec<Installation>>` on the same bytes. The
//! pre-pass prints allocations and bytes allocated per decode: had the SDK copied the body,
//! its bytes per decode would exceed serde's by the body's size (about 17 MB here).

use ampersand::Operation;
use ampersand::resources::installations::{Installation, ListInstallations};
use ampersand::resources::models::Project;
use ampersand::resources::projects::GetProject;
use ampersand_benches::alloc::{self, CountingAllocator};
use ampersand_benches::fixtures::{installations_json, project_json};
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[global_allocator]
static ALLOC: CountingAllocator = CountingAllocator;

const COUNT: usize = 10_000;

fn sdk(body: &Bytes) -> Vec<Installation> {
    let response = http::Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body.clone())
        .expect("a valid response");
    ListInstallations::decode(response).expect("the list decodes")
}

fn serde(body: &Bytes) -> Vec<Installation> {
    serde_json::from_slice(body).expect("the list decodes")
}

fn decode(c: &mut Criterion) {
    let body = installations_json(COUNT);
    println!(
        "decode: body of {COUNT} installations, {} bytes",
        body.len()
    );
    assert_eq!(sdk(&body), serde(&body), "both decode the same list");
    let calls = if std::env::args().any(|arg| arg == "--test") {
        1
    } else {
        10
    };
    let bench = "decode_10k_installations";
    alloc::report(
        bench,
        "serde_json_from_slice",
        alloc::per_call(calls, || drop(serde(&body))),
    );
    alloc::report(
        bench,
        "sdk_list_installations_decode",
        alloc::per_call(calls, || drop(sdk(&body))),
    );

    let mut group = c.benchmark_group(bench);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.sample_size(20);
    group.bench_function("serde_json_from_slice", |b| b.iter(|| serde(&body)));
    group.bench_function("sdk_list_installations_decode", |b| b.iter(|| sdk(&body)));
    group.finish();
}

/// The same comparison on the small getProject body of the other benches (259 bytes).
fn decode_project(c: &mut Criterion) {
    let body = project_json();
    let response = || {
        http::Response::builder()
            .status(200)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body.clone())
            .expect("a valid response")
    };
    let calls = if std::env::args().any(|arg| arg == "--test") {
        10
    } else {
        10_000
    };
    let bench = "decode_project";
    alloc::report(
        bench,
        "serde_json_from_slice",
        alloc::per_call(calls, || {
            let response = response();
            drop(serde_json::from_slice::<Project>(response.body()).expect("decodes"));
        }),
    );
    alloc::report(
        bench,
        "sdk_get_project_decode",
        alloc::per_call(calls, || {
            drop(GetProject::decode(response()).expect("decodes"));
        }),
    );
    let mut group = c.benchmark_group(bench);
    group.bench_function("serde_json_from_slice", |b| {
        b.iter(|| {
            let response = response();
            serde_json::from_slice::<Project>(response.body()).expect("decodes")
        })
    });
    group.bench_function("sdk_get_project_decode", |b| {
        b.iter(|| GetProject::decode(response()).expect("decodes"))
    });
    group.finish();
}

criterion_group!(benches, decode, decode_project);
criterion_main!(benches);
