//! The rate limiter: a quota shared by every clone, fail-fast mode, per-host limits and the
//! shared 429 cooldown. All on paused tokio time, which drives both the limiter's clock and
//! its waits.

mod retry_support;

use std::time::Duration;

use ampersand_core::{ErrorKind, Host};
use ampersand_layers::rate_limit::{Quota, RateLimitConfig, RateLimitLayer};
use ampersand_layers::retry::{Jitter, RetryConfig, RetryLayer};
use retry_support::*;
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

#[tokio::test(start_paused = true)]
async fn a_quota_shared_by_clones_holds_within_ten_percent() {
    const CLONES: usize = 8;
    const TASKS_PER_CLONE: usize = 4;
    let script = Script::new([Reply::Status(200)]);
    let layer = RateLimitLayer::new(RateLimitConfig::default().quota(Quota::per_second(10)));
    let clients: Vec<_> = (0..CLONES).map(|_| layer.layer(script.clone())).collect();
    let start = Instant::now();
    let window = Duration::from_secs(10);
    let mut tasks = Vec::new();
    for client in &clients {
        for _ in 0..TASKS_PER_CLONE {
            let mut client = client.clone();
            tasks.push(tokio::spawn(async move {
                while start.elapsed() < window {
                    client
                        .ready()
                        .await
                        .unwrap()
                        .call(request(&GET_THING))
                        .await
                        .unwrap();
                }
            }));
        }
    }
    tokio::time::sleep(window + Duration::from_secs(1)).await;
    for task in &tasks {
        task.abort();
    }
    let in_window = script
        .seen()
        .iter()
        .filter(|s| s.at - start < window)
        .count() as f64;
    // A burst of 10, then 10 per second: 110 calls in 10 s. Unshared limiters would let
    // each of the 8 clones send that much.
    let expected = 10.0 + 10.0 * window.as_secs_f64();
    assert!(
        (in_window - expected).abs() <= expected * 0.10,
        "{in_window} calls in {window:?}, expected about {expected}"
    );
}

#[tokio::test(start_paused = true)]
async fn fail_fast_refuses_instead_of_waiting() {
    let script = Script::new([Reply::Status(200)]);
    let config = RateLimitConfig::default()
        .quota(Quota::per_second(1))
        .fail_fast(true);
    let service = RateLimitLayer::new(config).layer(script.clone());
    service.clone().oneshot(request(&GET_THING)).await.unwrap();
    let error = service
        .clone()
        .oneshot(request(&GET_THING))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert!(error.is_rate_limited());
    assert_eq!(script.calls(), 1, "the refused call was not sent");
    tokio::time::advance(Duration::from_secs(1)).await;
    service.oneshot(request(&GET_THING)).await.unwrap();
    assert_eq!(script.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn quotas_are_per_host() {
    let script = Script::new([Reply::Status(200)]);
    let config = RateLimitConfig::default().host_quota(Host::Write, Quota::per_second(1));
    let service = RateLimitLayer::new(config).layer(script.clone());
    let start = Instant::now();
    for _ in 0..3 {
        service
            .clone()
            .oneshot(request(&WRITE_RECORD))
            .await
            .unwrap();
    }
    for _ in 0..5 {
        service.clone().oneshot(request(&GET_THING)).await.unwrap();
    }
    let seen = script.seen();
    let write: Vec<_> = seen
        .iter()
        .filter(|s| s.host == Some(Host::Write))
        .map(|s| s.at - start)
        .collect();
    let api: Vec<_> = seen
        .iter()
        .filter(|s| s.host == Some(Host::Api))
        .map(|s| s.at - start)
        .collect();
    assert_eq!(write.len(), 3);
    assert!(
        write[1] >= Duration::from_secs(1) && write[2] >= Duration::from_secs(2),
        "{write:?}"
    );
    // The API host has no quota: its calls went at once after the writes.
    assert!(api.iter().all(|t| *t == api[0]), "{api:?}");
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_every_task_calling_that_host_until_retry_after() {
    let script = Script::new([
        Reply::fail(|| api_error(429, &[("retry-after", "5")], "slow down")),
        Reply::Status(200),
    ]);
    let layer = RateLimitLayer::new(RateLimitConfig::default());
    let service = layer.layer(script.clone());
    let start = Instant::now();
    let error = service
        .clone()
        .oneshot(request(&GET_THING))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));

    // A thousand tasks, on clones of the client, call the same host...
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let client = layer.layer(script.clone());
            tokio::spawn(async move { client.oneshot(request(&GET_THING)).await.unwrap() })
        })
        .collect();
    // ...while a call to another host is not held.
    service
        .clone()
        .oneshot(request(&READ_RECORDS))
        .await
        .unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    let seen = script.seen();
    assert_eq!(seen.len(), 1 + 1 + 1000);
    for s in &seen[1..] {
        let at = s.at - start;
        match s.host {
            Some(Host::Read) => assert_eq!(at, Duration::ZERO),
            _ => assert!(at >= Duration::from_secs(5), "a call went out at {at:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_holds_for_the_default_cooldown() {
    let script = Script::new([Reply::fail(|| api_error(429, &[], "")), Reply::Status(200)]);
    let config = RateLimitConfig::default().default_cooldown(Duration::from_secs(2));
    let service = RateLimitLayer::new(config).layer(script.clone());
    let start = Instant::now();
    service
        .clone()
        .oneshot(request(&GET_THING))
        .await
        .unwrap_err();
    service.oneshot(request(&GET_THING)).await.unwrap();
    let at = script.seen()[1].at - start;
    assert!(
        at >= Duration::from_secs(2) && at < Duration::from_millis(2005),
        "{at:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_cooldown_past_the_deadline_fails_at_once() {
    let script = Script::new([
        Reply::fail(|| api_error(429, &[("retry-after", "30")], "")),
        Reply::Status(200),
    ]);
    let service = RateLimitLayer::new(RateLimitConfig::default()).layer(script.clone());
    service
        .clone()
        .oneshot(request(&GET_THING))
        .await
        .unwrap_err();
    let mut call = request(&GET_THING);
    ampersand_core::CallContext::of_mut(&mut call)
        .set_deadline(Some((Instant::now() + Duration::from_secs(10)).into_std()));
    let start = Instant::now();
    let error = service.oneshot(call).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(script.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_cooldown_holds_a_retrying_stack_over_loopback() {
    // One call gets a 429 with Retry-After: 3; fifty calls then made through the full stack
    // (retry over the same limiter) are held until the cooldown ends, so the throttled server
    // sees nothing from them for 3 s, and then exactly one request each.
    let server = Loopback::start(|n, _| match n {
        1 => response(429, &[("retry-after", "3")], ""),
        _ => response(200, &[], "ok"),
    })
    .await;
    let limiter = RateLimitLayer::new(RateLimitConfig::default());
    let start = Instant::now();
    let error = limiter
        .layer(HyperTransport::new())
        .oneshot(request_to(&server.base(), &GET_THING))
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));

    let service = tower::ServiceBuilder::new()
        .layer(RetryLayer::new(
            RetryConfig::default()
                .jitter(Jitter::None)
                .initial_backoff(Duration::from_millis(10)),
        ))
        .layer(limiter)
        .service(HyperTransport::new());
    let calls: Vec<_> = (0..50)
        .map(|_| {
            tokio::spawn(
                service
                    .clone()
                    .oneshot(request_to(&server.base(), &GET_THING)),
            )
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(server.requests(), 1 + 50);
    for at in &server.arrivals()[1..] {
        assert!(*at - start >= Duration::from_secs(3), "{:?}", *at - start);
    }
}
