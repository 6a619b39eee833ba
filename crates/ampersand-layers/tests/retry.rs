//! The retry layer: what is retried, how long it waits, the deadline, the budget, per-call
//! overrides. Waits run on paused tokio time; the storm and `Retry-After` tests go through a
//! real loopback server.

mod retry_support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ampersand_core::{CallOptions, Error, ErrorKind};
use ampersand_layers::retry::{BudgetConfig, Jitter, RetryBudget, RetryConfig, RetryLayer};
use retry_support::*;
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

/// Predictable waits: 100 ms, 200 ms, 400 ms, ... (no jitter), no budget, no deadline.
fn plain() -> RetryConfig {
    RetryConfig::default()
        .initial_backoff(Duration::from_millis(100))
        .multiplier(2.0)
        .jitter(Jitter::None)
        .no_budget()
}

/// Wed, 21 Oct 2015 07:28:00 GMT.
fn fixed_wall_clock() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_445_412_480)
}

fn gaps(times: &[Instant]) -> Vec<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

fn assert_about(actual: Duration, expected: Duration) {
    // Paused tokio time: the only slack is the timer's millisecond rounding.
    assert!(
        actual >= expected && actual < expected + Duration::from_millis(5),
        "waited {actual:?}, expected {expected:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_delta_seconds_is_honoured_over_loopback() {
    let server = Loopback::start(|n, _| match n {
        1 => response(503, &[("retry-after", "7")], "busy"),
        _ => response(200, &[], "ok"),
    })
    .await;
    let service = RetryLayer::new(plain()).layer(HyperTransport::new());
    let response = service
        .oneshot(request_to(&server.base(), &GET_THING))
        .await
        .unwrap();
    assert_eq!(response.body(), "ok");
    assert_eq!(server.requests(), 2);
    // The backoff alone would have waited 100 ms.
    assert_about(gaps(&server.arrivals())[0], Duration::from_secs(7));
}

#[tokio::test(start_paused = true)]
async fn retry_after_http_date_is_honoured_over_loopback() {
    let server = Loopback::start(|n, _| match n {
        1 => response(429, &[("retry-after", "Wed, 21 Oct 2015 07:28:12 GMT")], ""),
        _ => response(200, &[], "ok"),
    })
    .await;
    let config = plain().wall_clock(fixed_wall_clock);
    let service = RetryLayer::new(config).layer(HyperTransport::new());
    service
        .oneshot(request_to(&server.base(), &GET_THING))
        .await
        .unwrap();
    assert_eq!(server.requests(), 2);
    assert_about(gaps(&server.arrivals())[0], Duration::from_secs(12));
}

#[tokio::test(start_paused = true)]
async fn problem_retry_after_and_max_delay() {
    // The problem's retryAfter (RFC 3339) counts too, and every hint is clamped to the max.
    let script = Script::new([
        Reply::fail(|| problem_error(503, r#""retryAfter":"2015-10-21T07:28:03Z""#)),
        Reply::fail(|| api_error(503, &[("retry-after", "3600")], "")),
        Reply::Status(200),
    ]);
    let config = plain()
        .wall_clock(fixed_wall_clock)
        .max_backoff(Duration::from_secs(20));
    let service = RetryLayer::new(config).layer(script.clone());
    service.oneshot(request(&GET_THING)).await.unwrap();
    let times: Vec<_> = script.seen().iter().map(|s| s.at).collect();
    let gaps = gaps(&times);
    assert_about(gaps[0], Duration::from_secs(3));
    assert_about(gaps[1], Duration::from_secs(20));
}

#[tokio::test(start_paused = true)]
async fn a_post_is_not_retried_on_500_or_503() {
    for status in [500, 503, 429, 504] {
        let script = Script::new([Reply::fail(move || api_error(status, &[], "boom"))]);
        let service = RetryLayer::new(plain().max_attempts(5)).layer(script.clone());
        let error = service.oneshot(request(&CREATE_THING)).await.unwrap_err();
        assert_eq!(script.calls(), 1, "status {status}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.attempts(), 1);
    }
    // The same 503 on an idempotent GET is retried.
    let script = Script::new([Reply::fail(|| api_error(503, &[], ""))]);
    let service = RetryLayer::new(plain().max_attempts(5)).layer(script.clone());
    let error = service.oneshot(request(&GET_THING)).await.unwrap_err();
    assert_eq!(script.calls(), 5);
    assert_eq!(error.attempts(), 5);
}

#[tokio::test(start_paused = true)]
async fn a_get_is_not_retried_on_500_or_other_4xx() {
    for status in [500, 400, 401, 404, 409, 422] {
        let script = Script::new([Reply::fail(move || api_error(status, &[], ""))]);
        let service = RetryLayer::new(plain()).layer(script.clone());
        service.oneshot(request(&GET_THING)).await.unwrap_err();
        assert_eq!(script.calls(), 1, "status {status}");
    }
}

#[tokio::test(start_paused = true)]
async fn retryable_false_stops_retries() {
    let script = Script::new([Reply::fail(|| {
        problem_error(503, r#""title":"Maintenance","retryable":false"#)
    })]);
    let service = RetryLayer::new(plain().max_attempts(5)).layer(script.clone());
    let error = service.oneshot(request(&GET_THING)).await.unwrap_err();
    assert_eq!(script.calls(), 1);
    assert_eq!(error.attempts(), 1);
    assert_eq!(error.problem().and_then(|p| p.retryable), Some(false));
}

#[tokio::test(start_paused = true)]
async fn a_post_whose_problem_says_retryable_is_retried() {
    let script = Script::new([
        Reply::fail(|| problem_error(500, r#""title":"Flaky","retryable":true"#)),
        Reply::Status(201),
    ]);
    let service = RetryLayer::new(plain()).layer(script.clone());
    let response = service.oneshot(request(&CREATE_THING)).await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(script.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn connect_failures_are_retried_even_for_a_post_but_timeouts_are_not() {
    let script = Script::new([
        Reply::fail(|| Error::connect("connection refused")),
        Reply::Status(201),
    ]);
    let service = RetryLayer::new(plain()).layer(script.clone());
    service.oneshot(request(&CREATE_THING)).await.unwrap();
    assert_eq!(script.calls(), 2);

    for (meta, expected) in [(&CREATE_THING, 1), (&GET_THING, 3)] {
        let script = Script::new([Reply::fail(|| Error::timeout("slow"))]);
        let service = RetryLayer::new(plain().max_attempts(3)).layer(script.clone());
        let error = service.oneshot(request(meta)).await.unwrap_err();
        assert!(error.is_timeout());
        assert_eq!(script.calls(), expected, "{}", meta.operation_id);
    }
}

#[tokio::test(start_paused = true)]
async fn idempotency_can_be_declared_per_call() {
    let script = Script::new([Reply::fail(|| api_error(503, &[], "")), Reply::Status(201)]);
    let service = RetryLayer::new(plain()).layer(script.clone());
    let declared = with_options(request(&CREATE_THING), CallOptions::new().idempotent(true));
    service.oneshot(declared).await.unwrap();
    assert_eq!(script.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_final_error_keeps_the_last_status_problem_and_attempt_count() {
    let script = Script::new([
        Reply::fail(|| api_error(503, &[], "first")),
        Reply::fail(|| api_error(502, &[], "second")),
        Reply::fail(|| problem_error(504, r#""title":"Upstream slow","requestId":"req-3""#)),
    ]);
    let service = RetryLayer::new(plain().max_attempts(3)).layer(script.clone());
    let error = service.oneshot(request(&GET_THING)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(504));
    assert_eq!(error.attempts(), 3);
    assert_eq!(
        error.problem().and_then(|p| p.problem.title.as_deref()),
        Some("Upstream slow")
    );
    assert_eq!(error.request_id(), Some("req-3"));
    assert!(error.to_string().contains("3 attempts"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn each_attempt_carries_its_number_and_the_same_deadline() {
    let script = Script::new([
        Reply::fail(|| api_error(503, &[], "")),
        Reply::fail(|| api_error(503, &[], "")),
        Reply::Status(200),
    ]);
    let start = Instant::now();
    let service = RetryLayer::new(plain().deadline(Duration::from_secs(30))).layer(script.clone());
    service.oneshot(request(&GET_THING)).await.unwrap();
    let seen = script.seen();
    assert_eq!(
        seen.iter().map(|s| s.attempt).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    for attempt in &seen {
        assert_eq!(attempt.deadline, Some(start + Duration::from_secs(30)));
    }
    // 100 ms then 200 ms, without jitter.
    let times: Vec<_> = seen.iter().map(|s| s.at).collect();
    let gaps = gaps(&times);
    assert_about(gaps[0], Duration::from_millis(100));
    assert_about(gaps[1], Duration::from_millis(200));
}

#[tokio::test(start_paused = true)]
async fn full_jitter_waits_at_most_the_ceiling() {
    let script = Script::new([Reply::fail(|| api_error(503, &[], ""))]);
    let config = RetryConfig::default()
        .initial_backoff(Duration::from_secs(1))
        .multiplier(2.0)
        .max_attempts(6)
        .no_budget();
    let service = RetryLayer::new(config).layer(script.clone());
    service.oneshot(request(&GET_THING)).await.unwrap_err();
    let times: Vec<_> = script.seen().iter().map(|s| s.at).collect();
    for (retry, gap) in gaps(&times).into_iter().enumerate() {
        let ceiling = Duration::from_secs(1 << retry);
        assert!(
            gap <= ceiling + Duration::from_millis(5),
            "retry {retry}: {gap:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_overall_deadline_stops_retries_before_a_wait_would_pass_it() {
    // Waits of 1 s, 2 s, 4 s bring the call to 7 s; the next (8 s) would end after the 10 s
    // deadline, so the call ends at 7 s with the last 503 rather than sleeping.
    let script = Script::new([Reply::fail(|| api_error(503, &[], ""))]);
    let config = plain()
        .initial_backoff(Duration::from_secs(1))
        .max_attempts(100)
        .deadline(Duration::from_secs(10));
    let service = RetryLayer::new(config).layer(script.clone());
    let start = Instant::now();
    let error = service.oneshot(request(&GET_THING)).await.unwrap_err();
    assert_about(start.elapsed(), Duration::from_secs(7));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.attempts(), 4);
    assert_eq!(script.calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn the_overall_deadline_ends_a_hanging_attempt() {
    let script = Script::new([Reply::fail(|| api_error(503, &[], "")), Reply::Hang]);
    let config = plain().deadline(Duration::from_secs(5));
    let service = RetryLayer::new(config).layer(script.clone());
    let start = Instant::now();
    let error = service.oneshot(request(&GET_THING)).await.unwrap_err();
    assert_about(start.elapsed(), Duration::from_secs(5));
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(error.attempts(), 2);
}

#[tokio::test(start_paused = true)]
async fn per_call_max_attempts_overrides_the_config() {
    let script = Script::new([Reply::fail(|| api_error(503, &[], ""))]);
    let service = RetryLayer::new(plain().max_attempts(4)).layer(script.clone());
    let once = with_options(request(&GET_THING), CallOptions::new().no_retry());
    let error = service.clone().oneshot(once).await.unwrap_err();
    assert_eq!(script.calls(), 1);
    assert_eq!(error.attempts(), 1);

    let more = with_options(request(&GET_THING), CallOptions::new().max_attempts(6));
    let error = service.oneshot(more).await.unwrap_err();
    assert_eq!(script.calls(), 1 + 6);
    assert_eq!(error.attempts(), 6);
}

#[tokio::test(start_paused = true)]
async fn per_call_deadline_overrides_the_config() {
    // The server asks for 5 s; the call allows 3 s in all: give up at once.
    let script = Script::new([Reply::fail(|| api_error(503, &[("retry-after", "5")], ""))]);
    let service = RetryLayer::new(plain().deadline(Duration::from_secs(60))).layer(script.clone());
    let call = with_options(
        request(&GET_THING),
        CallOptions::new().deadline(Duration::from_secs(3)),
    );
    let start = Instant::now();
    let error = service.oneshot(call).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(script.calls(), 1);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    let deadline = script.seen()[0].deadline.unwrap();
    assert_eq!(deadline - start, Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn clones_share_one_budget() {
    let script = Script::new([Reply::fail(|| api_error(503, &[], ""))]);
    let config = plain()
        .max_attempts(10)
        .budget(BudgetConfig::default().capacity(10).retry_cost(5));
    let layer = RetryLayer::new(config);
    let service = layer.layer(script.clone());
    service
        .clone()
        .oneshot(request(&GET_THING))
        .await
        .unwrap_err();
    service
        .clone()
        .oneshot(request(&GET_THING))
        .await
        .unwrap_err();
    // Two first attempts and the two retries the bucket could pay for.
    assert_eq!(script.calls(), 4);
    assert_eq!(layer.budget().unwrap().available(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_budget_stops_a_retry_storm_against_a_loopback_server() {
    const CALLS: u32 = 20;
    const ATTEMPTS: u32 = 5;
    async fn storm(layer: RetryLayer) -> u32 {
        let server = Loopback::start(|_, _| response(503, &[], "down")).await;
        let service = layer.layer(HyperTransport::new());
        let tasks: Vec<_> = (0..CALLS)
            .map(|_| {
                let mut client = service.clone();
                let request = request_to(&server.base(), &GET_THING);
                tokio::spawn(async move {
                    let error = client
                        .ready()
                        .await
                        .unwrap()
                        .call(request)
                        .await
                        .unwrap_err();
                    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
                    error.attempts()
                })
            })
            .collect();
        let mut attempts = 0;
        for task in tasks {
            attempts += task.await.unwrap();
        }
        assert_eq!(
            attempts,
            server.requests(),
            "every attempt reached the server"
        );
        server.requests()
    }

    let config = RetryConfig::default()
        .initial_backoff(Duration::from_millis(10))
        .max_attempts(ATTEMPTS);
    // Without a budget, the outage sees five times the load.
    let unbudgeted = storm(RetryLayer::new(config.clone().no_budget())).await;
    assert_eq!(unbudgeted, CALLS * ATTEMPTS);
    // With a bucket that pays for 10 retries, the server sees the 20 calls and 10 retries.
    let budget = RetryBudget::new(BudgetConfig::default().capacity(50).retry_cost(5));
    let budgeted = storm(RetryLayer::with_budget(config, budget.clone())).await;
    assert_eq!(budgeted, CALLS + 10);
    assert_eq!(budget.available(), 0);
}

#[tokio::test(start_paused = true)]
async fn successes_refill_the_budget() {
    let script = Script::new([Reply::fail(|| api_error(503, &[], "")), Reply::Status(200)]);
    let budget = RetryBudget::new(BudgetConfig::default().capacity(20).retry_cost(5));
    let service = RetryLayer::with_budget(plain(), budget.clone()).layer(script.clone());
    service.clone().oneshot(request(&GET_THING)).await.unwrap();
    // The retry was paid for, then refunded when it succeeded.
    assert_eq!(budget.available(), 20);
}

#[tokio::test(start_paused = true)]
async fn the_layers_box_into_a_clone_sync_service() {
    use ampersand_layers::rate_limit::{RateLimitConfig, RateLimitLayer};
    use ampersand_layers::timeout::{AttemptTimeoutLayer, DeadlineLayer};
    use bytes::Bytes;
    use tower::util::BoxCloneSyncService;

    type Boxed = BoxCloneSyncService<http::Request<Bytes>, http::Response<Bytes>, Error>;
    let script = Script::new([Reply::fail(|| api_error(503, &[], "")), Reply::Status(200)]);
    let stack = tower::ServiceBuilder::new()
        .layer(DeadlineLayer::new(Duration::from_secs(60)))
        .layer(RetryLayer::new(plain()))
        .layer(RateLimitLayer::new(RateLimitConfig::default()))
        .layer(AttemptTimeoutLayer::new(Duration::from_secs(5)))
        .service(Boxed::new(script.clone()));
    let boxed = Boxed::new(stack);
    let response = boxed.clone().oneshot(request(&GET_THING)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(script.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_call_allowed_one_attempt_is_sent_once_and_reports_it() {
    let script = Script::new([Reply::fail(|| api_error(503, &[], ""))]);
    let service = RetryLayer::new(plain().max_attempts(1)).layer(script.clone());
    let error = service.oneshot(request(&GET_THING)).await.unwrap_err();
    assert_eq!(script.calls(), 1);
    assert_eq!(error.attempts(), 1);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test(start_paused = true)]
async fn each_resend_is_a_copy_numbered_and_carrying_the_deadline() {
    let script = Script::new([
        Reply::fail(|| api_error(503, &[], "")),
        Reply::fail(|| api_error(503, &[], "")),
        Reply::Status(200),
    ]);
    let start = Instant::now();
    let service = RetryLayer::new(plain().deadline(Duration::from_secs(30))).layer(script.clone());
    let mut call = request(&GET_THING);
    call.headers_mut()
        .insert("x-made", http::HeaderValue::from_static("by the caller"));
    service.oneshot(call).await.unwrap();
    let seen = script.seen();
    assert_eq!(
        seen.iter()
            .map(|s| (s.attempt, s.made.as_deref()))
            .collect::<Vec<_>>(),
        [
            (1, Some("by the caller")),
            (2, Some("by the caller")),
            (3, Some("by the caller"))
        ]
    );
    for attempt in &seen {
        assert_eq!(attempt.deadline, Some(start + Duration::from_secs(30)));
    }
}
