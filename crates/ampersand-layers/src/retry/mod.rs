//! Retry with exponential backoff, full jitter, `Retry-After`, an overall deadline and a shared
//! retry budget.
//!
//! [`RetryLayer`] is tower's [`Retry`](tower::retry::Retry) driven by our
//! [`RetryPolicy`], plus two things a `Policy` cannot do on its own: it fixes the call's
//! [`Deadline`] before the first attempt (so each attempt and each wait can be measured
//! against it), and it stops an attempt that is still running when the deadline elapses.
//! tower's `Policy` can express everything else, including the deadline-aware wait: the
//! policy sees the copy of the request kept for the next attempt, reads the deadline and the
//! attempt number from its extensions, and returns no wait (so the last error) when waiting
//! would pass the deadline.
//!
//! Each resend's request carries its [`AttemptNumber`] (2, 3, ...; absent on the first send,
//! which [`AttemptNumber::of`] reads as 1) and every attempt the [`Deadline`], for the layers
//! below (tracing reports `http.request.resend_count`; the attempt timeout ends the
//! attempt at the deadline). The final error carries the number of attempts made
//! ([`Error::attempts`]) and is the last attempt's error, with its status, headers, body and
//! problem.
//!
//! Place it above the problem-decoding layer (the policy reads decoded problems) and above
//! auth, rate limiting, tracing and the attempt timeout (they act on each attempt).
//!
//! ```
//! use std::time::Duration;
//! use ampersand_core::CallOptions;
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
//! request
//!     .extensions_mut()
//!     .insert(CallOptions::new().no_retry().deadline(Duration::from_secs(2)));
//! let response = service.oneshot(request).await.unwrap();
//! assert_eq!(response.body(), "ok");
//! # }
//! ```
//!
//! [`AttemptNumber`]: crate::attempt::AttemptNumber
//! [`AttemptNumber::of`]: crate::attempt::AttemptNumber::of
//! [`Deadline`]: crate::timeout::Deadline

pub mod backoff;
pub mod budget;
pub mod policy;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::task::{Context, Poll, ready};
use std::time::{Duration, SystemTime};

use ampersand_core::{BoxError, Error};
use bytes::Bytes;
use futures_util::TryFutureExt;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

pub use backoff::{ExponentialBackoff, Jitter};
pub use budget::{BudgetConfig, RetryBudget};
pub use policy::{RetryPolicy, RetryReason, classify, is_idempotent};

use crate::timeout::Deadline;
use policy::Progress;

/// The retry settings.
///
/// | setting | default | official SDKs |
/// |---|---|---|
/// | attempts | 4 (3 retries) | unlimited within 1 h (sdk-node); none at all (sdk-node-platform, the CLI) |
/// | first backoff | 500 ms | 500 ms |
/// | growth | x2, exponential | `500 ms * n^1.5` (n = retry index from 0) |
/// | jitter | full: uniform in `[0, backoff]` | plus uniform `[0, 1 s]` |
/// | maximum wait | 60 s (also caps `Retry-After`) | 60 s |
/// | overall deadline | none here; the client sets 120 s | 1 h elapsed (sdk-node) |
/// | budget | 500-token bucket shared by all clones | none |
///
/// (The official figures are from Speakeasy's `src/lib/retries.ts` in sdk-node and the
/// `x-speakeasy-retries` overlay of the platform spec.)
///
/// Why ours differ: the attempt limit and the deadline bound how long a library call can
/// block, where an hour of silent retries surprises the caller. Full jitter spreads the
/// retries of many clients over the whole window after an outage; an additive jitter of up to
/// 1 s still lets them arrive in waves. Because full jitter waits half the ceiling on average,
/// we grow it by 2 rather than 1.5, so the mean waits are 0.25 s, 0.5 s and 1 s. The maximum
/// stays at 60 s so that a server's `Retry-After` of up to a minute is honoured. The budget
/// caps the extra load retries can add during an outage, which no attempt limit does.
///
/// ```
/// use std::time::Duration;
/// use ampersand_layers::retry::RetryConfig;
///
/// let config = RetryConfig::default()
///     .max_attempts(6)
///     .initial_backoff(Duration::from_millis(200))
///     .max_backoff(Duration::from_secs(10))
///     .deadline(Duration::from_secs(30));
/// assert_eq!(config.max_attempts_value(), 6);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetryConfig {
    max_attempts: u32,
    backoff: ExponentialBackoff,
    deadline: Option<Duration>,
    budget: Option<BudgetConfig>,
    wall_clock: fn() -> SystemTime,
    deadline_enforced_below: bool,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 4,
            backoff: ExponentialBackoff::default(),
            deadline: None,
            budget: Some(BudgetConfig::default()),
            wall_clock: SystemTime::now,
            deadline_enforced_below: false,
        }
    }
}

impl RetryConfig {
    /// The defaults (see the table above).
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `attempts` attempts per call, the first included; 1 disables retries, 0 is
    /// taken as 1. A call overrides it with
    /// [`CallOptions::max_attempts`](ampersand_core::CallOptions::max_attempts).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff ceiling of the first retry.
    pub fn initial_backoff(mut self, initial: Duration) -> Self {
        self.backoff =
            ExponentialBackoff::new(initial, self.backoff.multiplier(), self.backoff.max())
                .jitter(self.backoff.jitter_mode());
        self
    }

    /// The growth of the backoff ceiling per retry (at least 1).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.backoff =
            ExponentialBackoff::new(self.backoff.initial(), multiplier, self.backoff.max())
                .jitter(self.backoff.jitter_mode());
        self
    }

    /// The longest wait between attempts; server hints (`Retry-After`, `retryAfter`) are
    /// clamped to it too.
    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.backoff =
            ExponentialBackoff::new(self.backoff.initial(), self.backoff.multiplier(), max)
                .jitter(self.backoff.jitter_mode());
        self
    }

    /// How the backoff ceiling becomes a wait (full jitter by default).
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.backoff = self.backoff.jitter(jitter);
        self
    }

    /// Replaces the whole backoff.
    pub fn backoff(mut self, backoff: ExponentialBackoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The time allowed for a whole call, attempts and waits included. A call overrides it
    /// with [`CallOptions::deadline`](ampersand_core::CallOptions::deadline) (the earlier one
    /// wins).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// No overall deadline, unless a call sets one.
    pub fn no_deadline(mut self) -> Self {
        self.deadline = None;
        self
    }

    /// The size and prices of the shared retry budget.
    pub fn budget(mut self, budget: BudgetConfig) -> Self {
        self.budget = Some(budget);
        self
    }

    /// No retry budget: only the attempt limit and the deadline bound retries.
    pub fn no_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    /// The wall clock used to turn an HTTP-date `Retry-After` (or the problem's `retryAfter`)
    /// into a wait; `SystemTime::now` by default. Tests use a fixed one.
    pub fn wall_clock(mut self, now: fn() -> SystemTime) -> Self {
        self.wall_clock = now;
        self
    }

    /// Declares that a layer below ends every attempt at the call's [`Deadline`] (an
    /// [`AttemptTimeoutLayer`](crate::timeout::AttemptTimeoutLayer) does), so the retry future
    /// need not arm a timer of its own: one timer per attempt instead of two. Off by default;
    /// the `ampersand` client turns it on when its stack has an attempt timeout.
    pub fn deadline_enforced_below(mut self, enforced: bool) -> Self {
        self.deadline_enforced_below = enforced;
        self
    }

    /// The attempt limit.
    pub fn max_attempts_value(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff settings.
    pub fn backoff_value(&self) -> ExponentialBackoff {
        self.backoff
    }

    pub(crate) fn backoff_ref(&self) -> &ExponentialBackoff {
        &self.backoff
    }

    /// The overall deadline, if any.
    pub fn deadline_value(&self) -> Option<Duration> {
        self.deadline
    }

    /// The budget settings, if a budget is used.
    pub fn budget_config(&self) -> Option<BudgetConfig> {
        self.budget
    }

    /// The wall clock.
    pub fn wall_clock_fn(&self) -> fn() -> SystemTime {
        self.wall_clock
    }
}

/// Retries failed attempts; see the [module docs](self).
///
/// The layer owns one [`RetryBudget`]: every service it builds, and every clone of those, share
/// it, so all the clones of a client draw from one bucket.
#[derive(Debug, Clone)]
pub struct RetryLayer {
    policy: RetryPolicy,
}

impl RetryLayer {
    /// A layer with a fresh budget sized by the config.
    pub fn new(config: RetryConfig) -> Self {
        RetryLayer {
            policy: RetryPolicy::new(config),
        }
    }

    /// A layer drawing from an existing budget (to share it between several clients).
    pub fn with_budget(config: RetryConfig, budget: RetryBudget) -> Self {
        RetryLayer {
            policy: RetryPolicy::with_budget(config, budget),
        }
    }

    /// The shared budget, if any.
    pub fn budget(&self) -> Option<&RetryBudget> {
        self.policy.budget()
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            deadline: self.policy.config().deadline_value(),
            deadline_enforced_below: self.policy.config().deadline_enforced_below,
            inner: tower::retry::Retry::new(self.policy.clone(), IntoError { inner }),
        }
    }
}

/// The service made by [`RetryLayer`].
#[derive(Debug, Clone)]
pub struct RetryService<S> {
    inner: tower::retry::Retry<RetryPolicy, IntoError<S>>,
    deadline: Option<Duration>,
    deadline_enforced_below: bool,
}

impl<S> Service<http::Request<Bytes>> for RetryService<S>
where
    S: Service<http::Request<Bytes>, Response = http::Response<Bytes>> + Clone,
    S::Error: Into<BoxError>,
{
    type Response = http::Response<Bytes>;
    type Error = Error;
    type Future = RetryFuture<S>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Bytes>) -> Self::Future {
        let now = Instant::now();
        let deadline = Deadline::resolve(&request, self.deadline, now);
        if let Some(at) = deadline {
            request.extensions_mut().insert(Deadline(at));
        }
        // This future enforces the deadline itself only when no attempt timeout below does;
        // then it needs the attempt count to report (the first attempt's number is implied).
        let sleep = deadline
            .filter(|_| !self.deadline_enforced_below)
            .map(tokio::time::sleep_until);
        let progress = sleep.as_ref().map(|_| {
            let progress = Progress(Arc::new(AtomicU32::new(1)));
            request.extensions_mut().insert(progress.clone());
            progress
        });
        RetryFuture {
            inner: self.inner.call(request),
            sleep,
            progress,
        }
    }
}

pin_project! {
    /// The future of [`RetryService`].
    pub struct RetryFuture<S>
    where
        S: Service<http::Request<Bytes>, Response = http::Response<Bytes>>,
        S::Error: Into<BoxError>,
    {
        #[pin]
        inner: tower::retry::future::ResponseFuture<RetryPolicy, IntoError<S>, http::Request<Bytes>>,
        #[pin]
        sleep: Option<Sleep>,
        progress: Option<Progress>,
    }
}

impl<S> Future for RetryFuture<S>
where
    S: Service<http::Request<Bytes>, Response = http::Response<Bytes>> + Clone,
    S::Error: Into<BoxError>,
{
    type Output = Result<http::Response<Bytes>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The attempts first: an attempt timeout that fires with the deadline ends the call
        // through the policy, which keeps that error and counts the attempts.
        if let Poll::Ready(result) = this.inner.poll(cx) {
            return Poll::Ready(result);
        }
        if let Some(sleep) = this.sleep.as_pin_mut() {
            ready!(sleep.poll(cx));
            let attempts = this.progress.as_ref().map_or(1, Progress::attempts);
            return Poll::Ready(Err(Error::timeout(format!(
                "the call's deadline elapsed during attempt {attempts}"
            ))
            .with_attempts(attempts)));
        }
        Poll::Pending
    }
}

/// Turns the inner service's error into ours, so the policy sees [`Error`] values.
#[derive(Debug, Clone)]
pub struct IntoError<S> {
    inner: S,
}

fn into_error<E: Into<BoxError>>(error: E) -> Error {
    Error::from_boxed(error.into())
}

impl<S> Service<http::Request<Bytes>> for IntoError<S>
where
    S: Service<http::Request<Bytes>, Response = http::Response<Bytes>>,
    S::Error: Into<BoxError>,
{
    type Response = http::Response<Bytes>;
    type Error = Error;
    type Future = futures_util::future::MapErr<S::Future, fn(S::Error) -> Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(into_error)
    }

    fn call(&mut self, request: http::Request<Bytes>) -> Self::Future {
        self.inner
            .call(request)
            .map_err(into_error::<S::Error> as fn(S::Error) -> Error)
    }
}
