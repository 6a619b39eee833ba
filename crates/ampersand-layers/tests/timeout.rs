//! Attempt timeouts and the overall deadline, alone and under the retry layer, on paused
//! tokio time.

mod retry_support;

use std::time::Duration;

use ampersand_core::CallOptions;
use ampersand_layers::retry::{Jitter, RetryConfig, RetryLayer};
use ampersand_layers::timeout::{AttemptTimeoutLayer, DeadlineLayer};
use retry_support::*;
use tokio::time::Instant;
use tower::{Layer, ServiceBuilder, ServiceExt};

#[tokio::test(start_paused = true)]
async fn an_attempt_that_takes_too_long_times_out() {
    let script = Script::new([Reply::Slow(Duration::from_secs(10))]);
    let service = AttemptTimeoutLayer::new(Duration::from_secs(2)).layer(script.clone());
    let start = Instant::now();
    let error = service.oneshot(request(&GET_THING)).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert!(error.to_string().contains("timed out after 2s"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn a_fast_attempt_is_untouched() {
    let script = Script::new([Reply::Slow(Duration::from_millis(500))]);
    let service = AttemptTimeoutLayer::new(Duration::from_secs(2)).layer(script);
    let response = service.oneshot(request(&GET_THING)).await.unwrap();
    assert_eq!(response.body(), "slow");
}

#[tokio::test(start_paused = true)]
async fn an_attempt_gets_no_more_than_the_time_left() {
    let script = Script::new([Reply::Hang]);
    let service = AttemptTimeoutLayer::new(Duration::from_secs(30)).layer(script);
    let start = Instant::now();
    let call = with_deadline(request(&GET_THING), start + Duration::from_secs(3));
    let error = service.oneshot(call).await.unwrap_err();
    assert!(error.is_timeout());
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert!(error.to_string().contains("deadline"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn per_call_options_set_the_attempt_timeout_and_deadline() {
    let script = Script::new([Reply::Hang]);
    let service = AttemptTimeoutLayer::new(Duration::from_secs(30)).layer(script);
    let start = Instant::now();
    let call = with_options(
        request(&GET_THING),
        CallOptions::new().attempt_timeout(Duration::from_secs(4)),
    );
    service.clone().oneshot(call).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(4));

    // Without a retry layer above, the per-call deadline still caps the attempt.
    let start = Instant::now();
    let call = with_options(
        request(&GET_THING),
        CallOptions::new().deadline(Duration::from_secs(1)),
    );
    service.oneshot(call).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn an_attempt_past_its_deadline_is_not_sent() {
    let script = Script::new([Reply::Status(200)]);
    let service = AttemptTimeoutLayer::new(Duration::from_secs(30)).layer(script.clone());
    let call = with_deadline(request(&GET_THING), Instant::now());
    let error = service.oneshot(call).await.unwrap_err();
    assert!(error.is_timeout());
    assert_eq!(script.calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn each_retry_gets_min_of_attempt_timeout_and_remaining_time() {
    // Deadline 7 s, 4 s per attempt, 1 s backoff: attempt 1 runs 0-4 s and times out; attempt
    // 2 starts at 5 s with 2 s left, so it is cut at 7 s, and the call ends there.
    let script = Script::new([Reply::Hang]);
    let service = ServiceBuilder::new()
        .layer(RetryLayer::new(
            RetryConfig::default()
                .initial_backoff(Duration::from_secs(1))
                .jitter(Jitter::None)
                .max_attempts(10)
                .deadline(Duration::from_secs(7)),
        ))
        .layer(AttemptTimeoutLayer::new(Duration::from_secs(4)))
        .service(script.clone());
    let start = Instant::now();
    let error = service.oneshot(request(&GET_THING)).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(error.attempts(), 2);
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(7) && elapsed < Duration::from_millis(7005),
        "{elapsed:?}"
    );
    let starts: Vec<_> = script.seen().iter().map(|s| s.at - start).collect();
    assert_eq!(starts.len(), 2);
    assert!(starts[1] >= Duration::from_secs(5) && starts[1] < Duration::from_millis(5005));
}

#[tokio::test(start_paused = true)]
async fn the_deadline_layer_bounds_a_call_without_retries() {
    let script = Script::new([Reply::Hang]);
    let service = DeadlineLayer::new(Duration::from_secs(3)).layer(script.clone());
    let start = Instant::now();
    let error = service
        .clone()
        .oneshot(request(&GET_THING))
        .await
        .unwrap_err();
    assert!(error.is_timeout());
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(
        script.seen()[0].deadline,
        Some(start + Duration::from_secs(3))
    );

    // A shorter per-call deadline wins.
    let start = Instant::now();
    let call = with_options(
        request(&GET_THING),
        CallOptions::new().deadline(Duration::from_secs(1)),
    );
    service.oneshot(call).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

/// The retry layer fixes the call's deadline in its context, and the attempt ends at it.
#[tokio::test(start_paused = true)]
async fn the_deadline_goes_into_the_call_context() {
    use std::sync::{Arc, Mutex};

    use ampersand_core::CallContext;

    let seen = Arc::new(Mutex::new(Vec::new()));
    let transport = {
        let seen = Arc::clone(&seen);
        tower::service_fn(move |request: http::Request<bytes::Bytes>| {
            seen.lock()
                .unwrap()
                .push(CallContext::of(&request).deadline());
            std::future::pending::<Result<http::Response<bytes::Bytes>, ampersand_core::Error>>()
        })
    };
    let service = ServiceBuilder::new()
        .layer(RetryLayer::new(
            RetryConfig::default()
                .max_attempts(1)
                .deadline(Duration::from_secs(3)),
        ))
        .layer(AttemptTimeoutLayer::new(Duration::from_secs(30)))
        .service(transport);
    let mut call = http::Request::get("/things/1")
        .body(bytes::Bytes::new())
        .unwrap();
    call.extensions_mut()
        .insert(CallContext::for_operation(&GET_THING));
    let start = Instant::now();

    let error = service.oneshot(call).await.unwrap_err();

    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    let deadline = start + Duration::from_secs(3);
    assert_eq!(*seen.lock().unwrap(), [Some(deadline.into_std())]);
}

/// Without an attempt timeout below it, the retry layer still ends the call at its deadline.
#[tokio::test(start_paused = true)]
async fn the_retry_layer_alone_ends_a_hanging_call_at_the_deadline() {
    let script = Script::new([Reply::Hang]);
    let service = RetryLayer::new(RetryConfig::default().deadline(Duration::from_secs(2)))
        .layer(script.clone());
    let start = Instant::now();
    let error = service.oneshot(request(&GET_THING)).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(error.attempts(), 1);
}
