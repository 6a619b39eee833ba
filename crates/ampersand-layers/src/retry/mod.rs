//! Retry with exponential backoff, full jitter, `Retry-After`, an overall deadline and a shared
//! retry budget.
//!
//! [`RetryLayer`] runs tower's retry loop (after each attempt, ask the policy; wait; resend a
//! copy of the request) with our [`RetryPolicy`], and adds what a `Policy` cannot do on its
//! own: it fixes the call's [`Deadline`] before the first attempt (so each attempt and each
//! wait can be measured against it), and it stops an attempt that is still running when the
//! deadline elapses. The loop is ours rather than tower's `Retry` for the happy path's sake:
//! the first attempt goes to the inner service that `poll_ready` readied, and only a resend
//! clones the stack below (tower's `Retry` clones itself, so the whole stack below, for every
//! call); the attempt number lives in the call's future; and a request that carries a
//! [`Resend`] is made again for a resend rather than copied for every call. The policy still
//! implements `tower::retry::Policy`, and behaves the same under tower's own `Retry`.
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
/// [`Resend`], which the core crate defines (the client attaches it in the call's context).
pub use ampersand_core::resend;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, SystemTime};

use ampersand_core::{BoxError, Error};
use bytes::Bytes;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower::util::Oneshot;
use tower::{Layer, Service, ServiceExt};

pub use ampersand_core::Resend;
pub use backoff::{ExponentialBackoff, Jitter};
pub use budget::{BudgetConfig, RetryBudget};
pub use policy::{RetryPolicy, RetryReason, classify, is_idempotent};

use crate::attempt::AttemptNumber;
use crate::timeout::Deadline;

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

impl<S: Clone> Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let config = self.policy.config();
        RetryService {
            shared: Arc::new(Shared {
                policy: self.policy.clone(),
                resend_through: inner.clone(),
                deadline: config.deadline_value(),
                deadline_enforced_below: config.deadline_enforced_below,
            }),
            inner,
        }
    }
}

/// What every call of a [`RetryService`] and of its clones shares: one reference count per
/// call, where a clone of the policy and of the stack below would take one per `Arc` in them.
#[derive(Debug)]
struct Shared<S> {
    policy: RetryPolicy,
    /// The stack below, cloned for each resend (the first attempt goes through the service's
    /// own `inner`, which `poll_ready` readied).
    resend_through: S,
    deadline: Option<Duration>,
    deadline_enforced_below: bool,
}

/// The service made by [`RetryLayer`].
///
/// Its loop is tower's `Retry` loop (ask the policy after each attempt, wait, resend a copy)
/// with the call's state kept in the future: the attempt number, the copy for the next
/// resend, and the deadline timer when no layer below enforces the deadline. The first
/// attempt goes to the inner service that `poll_ready` readied; only a resend clones the
/// stack below. For a resend it needs the request again: a request carrying a [`Resend`] is
/// made again by it, and only after a failure that may be retried; any other is copied
/// before the first attempt. A call allowed a single attempt keeps neither.
#[derive(Debug, Clone)]
pub struct RetryService<S> {
    inner: S,
    shared: Arc<Shared<S>>,
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
        self.inner.poll_ready(cx).map_err(into_error)
    }

    fn call(&mut self, mut request: http::Request<Bytes>) -> Self::Future {
        let shared = &self.shared;
        let now = Instant::now();
        let deadline = Deadline::resolve(&request, shared.deadline, now);
        if let Some(at) = deadline {
            Deadline(at).attach(&mut request);
        }
        let max_attempts = shared.policy.max_attempts(&request);
        // The next attempt's request: made again on demand when the maker attached a
        // `Resend`, else copied now, since the attempt consumes this one.
        let resend = Resend::of(&request).filter(|_| max_attempts > 1).cloned();
        let copy = (max_attempts > 1 && resend.is_none()).then(|| copy_request(&request));
        // With no copy to ask, whether a failure may be retried at all is decided from this.
        let idempotent = resend.is_some() && is_idempotent(&request);
        // This future enforces the deadline itself only when no attempt timeout below does.
        let sleep = deadline
            .filter(|_| !shared.deadline_enforced_below)
            .map(|at| Box::pin(tokio::time::sleep_until(at)));
        RetryFuture {
            state: State::Attempt {
                future: self.inner.call(request),
            },
            shared: Arc::clone(shared),
            next: Next {
                idempotent,
                copy,
                resend,
                deadline,
                max_attempts,
            },
            attempt: 1,
            sleep,
        }
    }
}

pin_project! {
    /// Where a call is: in an attempt, waiting before the next one, or in a resend.
    #[project = StateProj]
    enum State<S>
    where
        S: Service<http::Request<Bytes>>,
    {
        Attempt { #[pin] future: S::Future },
        // Boxed: resends are rare, and the call's future (boxed whole by the client) stays
        // small enough for the allocator's fast path.
        Waiting { wait: Pin<Box<Sleep>>, request: Option<Box<http::Request<Bytes>>> },
        Resend { future: Pin<Box<Oneshot<S, http::Request<Bytes>>>> },
    }
}

/// Where the next attempt's request comes from.
struct Next {
    /// Whether the call is idempotent (read when there is a `resend`, to make a request only
    /// for a failure that may be retried).
    idempotent: bool,
    /// A copy kept for it (when no [`Resend`] is attached).
    copy: Option<Box<http::Request<Bytes>>>,
    /// The maker's way to make it again.
    resend: Option<Resend>,
    deadline: Option<Instant>,
    max_attempts: u32,
}

impl Next {
    /// The request for the attempt after `attempt` failed with `error`, if the call may make
    /// one. The policy still decides whether it is sent.
    #[cold]
    fn request_after(&mut self, attempt: u32, error: &Error) -> Option<Box<http::Request<Bytes>>> {
        if attempt >= self.max_attempts {
            return None;
        }
        if let Some(copy) = self.copy.take() {
            return Some(copy);
        }
        let resend = self.resend.as_ref()?;
        classify(error, self.idempotent)?;
        let mut request = match resend.make() {
            Ok(request) => request,
            Err(error) => {
                tracing::debug!(%error, "the request could not be made again");
                return None;
            }
        };
        if let Some(at) = self.deadline {
            Deadline(at).attach(&mut request);
        }
        Some(Box::new(request))
    }

    /// Prepares attempt number `attempt`'s `request`, keeping a copy when a later attempt
    /// needs one.
    #[cold]
    fn resending(
        &mut self,
        mut request: http::Request<Bytes>,
        attempt: u32,
    ) -> http::Request<Bytes> {
        request.extensions_mut().insert(AttemptNumber(attempt));
        if attempt < self.max_attempts && self.resend.is_none() {
            self.copy = Some(Box::new(request.clone()));
        }
        request
    }
}

pin_project! {
    /// The future of [`RetryService`].
    pub struct RetryFuture<S>
    where
        S: Service<http::Request<Bytes>>,
    {
        #[pin]
        state: State<S>,
        shared: Arc<Shared<S>>,
        next: Next,
        // The attempt running, or the one that just failed while waiting (1 for the first).
        attempt: u32,
        sleep: Option<Pin<Box<Sleep>>>,
    }
}

impl<S> Future for RetryFuture<S>
where
    S: Service<http::Request<Bytes>, Response = http::Response<Bytes>> + Clone,
    S::Error: Into<BoxError>,
{
    type Output = Result<http::Response<Bytes>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let mut result = match this.state.as_mut().project() {
                StateProj::Attempt { future } => match future.poll(cx) {
                    Poll::Ready(result) => result.map_err(into_error),
                    Poll::Pending => return this.sleep.poll_deadline(*this.attempt, cx),
                },
                StateProj::Resend { future } => match future.as_mut().poll(cx) {
                    Poll::Ready(result) => result.map_err(into_error),
                    Poll::Pending => return this.sleep.poll_deadline(*this.attempt, cx),
                },
                StateProj::Waiting { wait, request } => {
                    if wait.as_mut().poll(cx).is_pending() {
                        return this.sleep.poll_deadline(*this.attempt, cx);
                    }
                    let Some(request) = request.take() else {
                        unreachable!("a wait always holds the request to resend");
                    };
                    *this.attempt += 1;
                    let request = this.next.resending(*request, *this.attempt);
                    let future = Box::pin(this.shared.resend_through.clone().oneshot(request));
                    this.state.set(State::Resend { future });
                    continue;
                }
            };
            // The attempt is over: the policy decides whether to wait and resend.
            let attempt = *this.attempt;
            let next = match &result {
                Ok(_) => None,
                Err(error) => this.next.request_after(attempt, error),
            };
            let Some(next) = next else {
                this.shared.policy.finish(&mut result, attempt);
                return Poll::Ready(result);
            };
            match this
                .shared
                .policy
                .after_attempt(&next, &mut result, attempt)
            {
                Some(wait) => this.state.set(State::Waiting {
                    wait: Box::pin(tokio::time::sleep(wait)),
                    request: Some(next),
                }),
                None => return Poll::Ready(result),
            }
        }
    }
}

/// The deadline timer of a [`RetryFuture`], when it has one.
trait PollDeadline {
    /// Pending until the deadline; then the timeout error of a call that was in `attempt`.
    fn poll_deadline(
        self,
        attempt: u32,
        cx: &mut Context<'_>,
    ) -> Poll<Result<http::Response<Bytes>, Error>>;
}

impl PollDeadline for &mut Option<Pin<Box<Sleep>>> {
    fn poll_deadline(
        self,
        attempt: u32,
        cx: &mut Context<'_>,
    ) -> Poll<Result<http::Response<Bytes>, Error>> {
        let Some(sleep) = self.as_mut() else {
            return Poll::Pending;
        };
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(Err(Error::timeout(format!(
            "the call's deadline elapsed during attempt {attempt}"
        ))
        .with_attempts(attempt)))
    }
}

/// A copy of `request` for a later attempt, when its maker attached no [`Resend`]. Out of the
/// call's hot path: the client attaches one to every request without a body.
#[cold]
fn copy_request(request: &http::Request<Bytes>) -> Box<http::Request<Bytes>> {
    Box::new(request.clone())
}

fn into_error<E: Into<BoxError>>(error: E) -> Error {
    Error::from_boxed(error.into())
}
