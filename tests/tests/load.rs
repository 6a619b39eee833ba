//! Load through the full stack: many requests, many in flight, the client-side rate limiter on.
//!
//! 20,000 requests at 256 in flight against a loopback server, with a quota of 2,000 calls a
//! second (about 10 s). Checked: every request is accounted for (each call's unique id reaches
//! the server exactly once and each call returns that id), none is duplicated, peak memory
//! stays bounded (VmHWM from /proc/self/status), and the rate the server observes is within
//! 10% of the quota.
//!
//! The full size runs by default (about 10 s, also in a debug build on 2 cores, where the
//! stack handles 2,000 calls a second with room to spare). `AMP_LOAD_REQUESTS=n` changes the
//! count, e.g. for a quick local run.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ampersand::Client;
use ampersand::layers::rate_limit::{Quota, RateLimitConfig};
use ampersand::resources::projects::GetProject;
use ampersand_tests::server::{TestServer, json};
use serde_json::json as j;

const IN_FLIGHT: usize = 256;
const QUOTA_PER_SECOND: u32 = 2_000;
/// A small burst, so the steady rate dominates what is measured.
const BURST: u32 = 50;

fn total() -> usize {
    std::env::var("AMP_LOAD_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n: &usize| n > BURST as usize)
        .unwrap_or(20_000)
}

/// A field of /proc/self/status in KiB (Linux only).
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|line| line.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_requests_at_256_in_flight_with_the_rate_limiter_on() {
    let total = total();
    let rss_before = proc_status_kib("VmRSS:");
    let server = TestServer::start(|request| {
        let id = request
            .path()
            .trim_start_matches("/v1/projects/")
            .to_owned();
        json(
            j!({"id": id, "name": "load", "appName": "Load", "orgId": "org_1",
                 "createTime": "2024-04-22T18:55:28Z"}),
        )
    })
    .await;
    let client = Client::builder()
        .api_key("amp_load_key")
        .base_url_all(&server.url())
        .rate_limit(
            RateLimitConfig::new().quota(Quota::per_second(QUOTA_PER_SECOND).allow_burst(BURST)),
        )
        .build()
        .unwrap();

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let client = client.clone();
        let next = next.clone();
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let id = next.fetch_add(1, Ordering::Relaxed);
                if id >= total {
                    return done;
                }
                let wanted = format!("req-{id}");
                let project = client
                    .send(GetProject::new(wanted.clone()))
                    .await
                    .unwrap_or_else(|e| panic!("{wanted} failed: {e}"));
                assert_eq!(project.id, wanted, "a response went to the wrong call");
                done.push(id);
            }
        });
    }
    let mut completed = Vec::with_capacity(total);
    let guard = Duration::from_secs(30 + 2 * total as u64 / u64::from(QUOTA_PER_SECOND));
    while let Some(result) = tokio::time::timeout(guard, workers.join_next())
        .await
        .expect("the load run hung")
    {
        completed.extend(result.expect("a worker panicked"));
    }
    let elapsed = started.elapsed();

    // Every call returned, once.
    assert_eq!(completed.len(), total);
    let unique: HashSet<usize> = completed.iter().copied().collect();
    assert_eq!(unique.len(), total);

    // Every request reached the server, once.
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        total,
        "requests lost or duplicated on the wire"
    );
    let paths: HashSet<&str> = requests.iter().map(|r| r.path()).collect();
    assert_eq!(paths.len(), total, "a request was sent twice");
    for id in 0..total {
        assert!(
            paths.contains(format!("/v1/projects/req-{id}").as_str()),
            "req-{id} missing"
        );
    }

    // The rate the client actually achieved, from the first request to the last, without the
    // initial burst.
    let rate = (total as f64 - f64::from(BURST)) / elapsed.as_secs_f64();
    let quota = f64::from(QUOTA_PER_SECOND);
    let peak_kib = proc_status_kib("VmHWM:").unwrap_or(0);
    println!(
        "load: {total} requests, {IN_FLIGHT} in flight, quota {QUOTA_PER_SECOND}/s (burst {BURST}): \
         {:.2} s, observed {rate:.0}/s ({:+.1}% of the quota); RSS before {} KiB, peak (VmHWM) {peak_kib} KiB",
        elapsed.as_secs_f64(),
        (rate / quota - 1.0) * 100.0,
        rss_before.unwrap_or(0),
    );
    assert!(
        (rate - quota).abs() <= quota * 0.10,
        "observed {rate:.0}/s, quota {quota}/s"
    );
    // Bounded: the server keeps every request it received; the client must add little to that.
    // 20,000 recorded requests take a few tens of MiB; 512 MiB would mean something piles up.
    assert!(peak_kib < 512 * 1024, "peak RSS {peak_kib} KiB");
}
