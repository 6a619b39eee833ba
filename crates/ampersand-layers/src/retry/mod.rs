//! Retry with exponential backoff, full jitter, `Retry-After`, an overall deadline and a shared
//! retry budget.
//!
//! [`RetryLayer`] runs each call as one loop (`retry_loop` below, the whole algorithm):
//!
//! 1. fix the call's deadline (the earliest of one set above, the call's
//!    [`CallOptions::deadline`](ampersand_core::CallOptions::deadline) and
//!    [`RetryConfig::deadline`]) and write it into the request's
//!    [`CallContext`], for the layers below;
//! 2. send the attempt, cut off at the deadline, keeping a clone of the request for the next
//!    one (the body is `Bytes`: the clone shares it);
//! 3. on a failure, [`classify`] it once (may it be retried, for a call that is idempotent or
//!    not?), then decide: attempts left, a wait that ends before the deadline
//!    ([`ExponentialBackoff::next_wait`]: backoff, `Retry-After`, the problem's `retryAfter`),
//!    a token from the shared [`RetryBudget`];
//! 4. wait, number the next attempt in its context, and go to 2.
//!
//! The call's result is the last attempt's: its response, or its error with the status,
//! headers, body and problem it had and the number of attempts made ([`Error::attempts`]). A
//! resend that the layers below refuse before sending it (the rate limiter, when its wait
//! would pass the deadline) does not count: the call ends with the server's last answer.
//!
//! A proxied call ([`Answers::Proxied`]) gets the provider's non-2xx answers back as responses;
//! the loop classifies them as the error a platform call would have seen (so a provider's 503
//! to a GET is retried), and when it does not retry, the answer is the call's result. The
//! Proxy API's `X-Amp-Retryable` header decides before the table, and its `X-Amp-Retry-After`
//! counts as a `Retry-After` ([`Error::retry_after`]).
//!
//! Place it above the problem-decoding layer (failures are classified from decoded problems)
//! and above auth, rate limiting, tracing and the attempt timeout (they act on each attempt).
//! The deadline bounds everything below it, token minting and rate-limit waits included.
//!
//! ```
//! use std::time::Duration;
//! use ampersand_core::{CallContext, CallOptions};
//! use ampersand_layers::retry::{RetryConfig, RetryLayer};
//! use tower::{ServiceBuilder, ServiceExt};
//! # use bytes::Bytes;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! # let transport = tower::service_fn(|_req: http::Request<Bytes>| async {
//! #     Ok::<_, ampersand_core::Error>(http::Response::new(Bytes::from_static(b"ok")))
//! # });
//! let service = ServiceBuilder::new()
//!     .layer(RetryLayer::new(RetryConfig::default().max_attempts(5)))
//!     .service(transport);
//!
//! // This call is sent once, and must finish within 2 s.
//! let mut request = http::Request::get("https://api.withampersand.com/v1/providers")
//!     .body(Bytes::new())
//!     .unwrap();
//! request.extensions_mut().insert(
//!     CallContext::new().with_options(CallOptions::new().no_retry().deadline(Duration::from_secs(2))),
//! );
//! let response = service.oneshot(request).await.unwrap();
//! assert_eq!(response.body(), "ok");
//! # }
//! ```

mod backoff;
mod budget;
mod classify;
mod config;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ampersand_core::{Answers, BoxError, CallContext, Error, ErrorKind};
use bytes::Bytes;
use http::{Request, Response};
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

pub use backoff::{ExponentialBackoff, Jitter};
pub use budget::{BudgetConfig, RetryBudget};
pub use classify::{RetryReason, classify};
pub use config::RetryConfig;

use crate::timeout::call_deadline;

/// Retries failed attempts; see the [module docs](self).
///
/// The layer owns one [`RetryBudget`]: every service it builds, and every clone of those, share
/// it, so all the clones of a client draw from one bucket.
#[derive(Debug, Clone)]
pub struct RetryLayer {
    policy: Arc<Policy>,
}

/// The settings and the budget every call of a layer's services shares.
#[derive(Debug)]
struct Policy {
    config: RetryConfig,
    budget: Option<RetryBudget>,
}

impl RetryLayer {
    /// A layer with a fresh budget sized by the config.
    pub fn new(config: RetryConfig) -> Self {
        let budget = config.budget.map(RetryBudget::new);
        RetryLayer {
            policy: Arc::new(Policy { config, budget }),
        }
    }

    /// A layer drawing from an existing budget (to share it between several clients).
    pub fn with_budget(config: RetryConfig, budget: RetryBudget) -> Self {
        RetryLayer {
            policy: Arc::new(Policy {
                config,
                budget: Some(budget),
            }),
        }
    }

    /// The shared budget, if any.
    pub fn budget(&self) -> Option<&RetryBudget> {
        self.policy.budget.as_ref()
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            policy: Arc::clone(&self.policy),
        }
    }
}

/// The service made by [`RetryLayer`]. Each call takes the ready inner service (a clone
/// awaits the next `poll_ready`) into its loop.
#[derive(Debug, Clone)]
pub struct RetryService<S> {
    inner: S,
    policy: Arc<Policy>,
}

/// The future of [`RetryService`]: the call's loop.
pub type RetryFuture = Pin<Box<dyn Future<Output = Result<Response<Bytes>, Error>> + Send>>;

impl<S> Service<Request<Bytes>> for RetryService<S>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    type Response = Response<Bytes>;
    type Error = Error;
    type Future = RetryFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(into_error)
    }

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(retry_loop(inner, Arc::clone(&self.policy), request))
    }
}

/// One call: attempts until one succeeds, a failure may not be retried, the attempts or the
/// budget are spent, or the deadline passes.
async fn retry_loop<S>(
    mut inner: S,
    policy: Arc<Policy>,
    mut request: Request<Bytes>,
) -> Result<Response<Bytes>, Error>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>>,
    S::Error: Into<BoxError>,
{
    let config = &policy.config;
    let method = request.method().clone();
    let context = CallContext::of_mut(&mut request);
    let deadline = call_deadline(context, config.deadline, Instant::now());
    context.set_deadline(deadline.map(Instant::into_std));
    let max_attempts = context
        .options()
        .max_attempts_override()
        .unwrap_or(config.max_attempts);
    let idempotent = context.is_idempotent(&method);
    let answers = context.answers();

    // The last failure, and the provider's answer it came from on a proxied call.
    let mut last: Option<(Error, Option<Response<Bytes>>)> = None;
    let mut attempt = 1;
    loop {
        let next = (attempt < max_attempts).then(|| request.clone());
        // The first attempt's service is the one `poll_ready` readied; a resend waits for it.
        if attempt > 1 {
            inner.ready().await.map_err(into_error)?;
        }
        let call = inner.call(request);
        let result = match deadline {
            Some(at) => match tokio::time::timeout_at(at, call).await {
                Ok(result) => result.map_err(into_error),
                Err(_elapsed) => Err(deadline_elapsed(attempt)),
            },
            None => call.await.map_err(into_error),
        };
        let (error, answer) = match result {
            // A provider's non-2xx answer to a proxied call is the caller's result, unless the
            // table retries its status (a 503, a 429 to an idempotent call): classified as the
            // same error a platform call would have seen.
            Ok(response) if answers == Answers::Proxied && !response.status().is_success() => {
                let (parts, body) = response.into_parts();
                let error = Error::api(parts.status, parts.headers.clone(), body.clone());
                (error, Some(Response::from_parts(parts, body)))
            }
            Ok(response) => {
                if let Some(budget) = &policy.budget {
                    budget.record_success(attempt);
                }
                return Ok(response);
            }
            // A resend refused before it was sent: the server's last answer stands.
            Err(error) if error.kind() == ErrorKind::RateLimited && last.is_some() => {
                tracing::debug!(attempt, %error, "the resend was not sent");
                return match last.take() {
                    Some((_, Some(answer))) => Ok(answer),
                    Some((last, None)) => Err(last.with_attempts(attempt - 1)),
                    None => Err(error),
                };
            }
            Err(error) => (error, None),
        };
        let finish = |error: Error, answer: Option<Response<Bytes>>| match answer {
            Some(answer) => Ok(answer),
            None => Err(error.with_attempts(attempt)),
        };
        let Some(mut next) = next else {
            tracing::debug!(attempt, max_attempts, "no attempts left");
            return finish(error, answer);
        };
        let Some(wait) = policy.decide(&error, idempotent, attempt, deadline) else {
            return finish(error, answer);
        };
        tokio::time::sleep(wait).await;
        CallContext::of_mut(&mut next).set_attempt(attempt + 1);
        request = next;
        last = Some((error, answer));
        attempt += 1;
    }
}

impl Policy {
    /// The wait before retrying after attempt number `attempt` failed with `error`, or `None`
    /// to stop: the failure may not be retried, the wait would pass the deadline, or the
    /// budget is spent.
    fn decide(
        &self,
        error: &Error,
        idempotent: bool,
        attempt: u32,
        deadline: Option<Instant>,
    ) -> Option<std::time::Duration> {
        let Some(reason) = classify(error, idempotent) else {
            tracing::debug!(attempt, error.kind = error.kind().as_str(), "not retryable");
            return None;
        };
        let hint = error.retry_after((self.config.wall_clock)());
        let remaining = deadline.map(|at| at.saturating_duration_since(Instant::now()));
        let Some(wait) = self
            .config
            .backoff
            .next_wait(attempt, fastrand::f64(), hint, remaining)
        else {
            tracing::debug!(
                attempt,
                ?hint,
                ?remaining,
                "the wait would pass the deadline"
            );
            return None;
        };
        if let Some(budget) = &self.budget
            && !budget.try_withdraw(reason)
        {
            tracing::debug!(attempt, "the retry budget is spent");
            return None;
        }
        tracing::debug!(attempt, reason = reason.as_str(), ?wait, "retrying");
        Some(wait)
    }
}

/// The error of a call whose deadline passed during attempt number `attempt`.
#[cold]
fn deadline_elapsed(attempt: u32) -> Error {
    Error::timeout(format!(
        "the call's deadline elapsed during attempt {attempt}"
    ))
    .with_attempts(attempt)
}

fn into_error<E: Into<BoxError>>(error: E) -> Error {
    Error::from_boxed(error.into())
}
