//! Per-attempt timeouts and the overall deadline.
//!
//! Two limits bound a call, as in google-cloud-rust's gax and the AWS SDK's
//! `operation_timeout` / `operation_attempt_timeout`:
//!
//! * the **overall deadline**: the time allowed for the whole call, retries and the waits
//!   between them included. It is an absolute instant, carried in the request's
//!   [`CallContext`]. The [retry layer](crate::retry) fixes it when the call starts (from
//!   [`CallOptions::deadline`](ampersand_core::CallOptions::deadline), else its
//!   [`RetryConfig::deadline`](crate::retry::RetryConfig::deadline)), gives up early when a wait
//!   would pass it, and stops an attempt still running when it elapses. Stacks without the
//!   retry layer use [`DeadlineLayer`] instead.
//! * the **attempt timeout**: the time allowed for one send. [`AttemptTimeoutLayer`] sits below
//!   the retry layer and gives each attempt `min(attempt timeout, time left until the
//!   deadline)`, so the last attempt ends with the deadline rather than after it.
//!
//! Both fail with an [`Error`] of kind [`Timeout`](ampersand_core::ErrorKind::Timeout). The
//! connect timeout belongs to the transport.
//!
//! ```
//! use std::time::Duration;
//! use ampersand_layers::retry::{RetryConfig, RetryLayer};
//! use ampersand_layers::timeout::AttemptTimeoutLayer;
//! use tower::ServiceBuilder;
//! # use bytes::Bytes;
//! # let transport = tower::service_fn(|_req: http::Request<Bytes>| async {
//! #     Ok::<_, ampersand_core::Error>(http::Response::new(Bytes::new()))
//! # });
//!
//! // Each attempt gets at most 10 s, the whole call (retries included) at most 30 s.
//! let service = ServiceBuilder::new()
//!     .layer(RetryLayer::new(RetryConfig::default().deadline(Duration::from_secs(30))))
//!     .layer(AttemptTimeoutLayer::new(Duration::from_secs(10)))
//!     .service(transport);
//! # let _ = service;
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use ampersand_core::time::instant_after;
use ampersand_core::{BoxError, CallContext, Error};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

/// The deadline of a call starting at `now`: the earliest of the deadline already in its
/// `context` (set by an outer layer), `now +` its
/// [`CallOptions::deadline`](ampersand_core::CallOptions::deadline), and `now + default`. A
/// duration too long to be added to `now` sets no deadline.
pub(crate) fn call_deadline(
    context: &CallContext,
    default: Option<Duration>,
    now: Instant,
) -> Option<Instant> {
    let after = |duration: Duration| instant_after(now, duration);
    let from_options = context.options().deadline_override().and_then(after);
    let from_default = default.and_then(after);
    [
        context.deadline().map(Instant::from_std),
        from_options,
        from_default,
    ]
    .into_iter()
    .flatten()
    .min()
}

/// Why a timer ended a call or attempt.
#[derive(Debug, Clone, Copy)]
enum Expiry {
    Attempt(Duration),
    Deadline,
}

impl Expiry {
    #[cold]
    fn error(self) -> Error {
        match self {
            Expiry::Attempt(timeout) => {
                Error::timeout(format!("the attempt timed out after {timeout:?}"))
            }
            Expiry::Deadline => Error::timeout("the call's deadline elapsed"),
        }
    }
}

/// Gives each attempt `min(attempt timeout, time left until the call's deadline)`.
///
/// The timeout is [`CallOptions::attempt_timeout`](ampersand_core::CallOptions::attempt_timeout)
/// when the request sets it, else the one given here. The deadline is the one in the request's
/// [`CallContext`], else (when no retry layer sits above)
/// [`CallOptions::deadline`](ampersand_core::CallOptions::deadline) counted from now. An attempt
/// whose deadline has already passed fails at once without being sent.
///
/// The client's default is 30 s per attempt. It belongs below the retry layer, so that a
/// timed-out attempt can be retried (for idempotent operations).
#[derive(Debug, Clone, Copy)]
pub struct AttemptTimeoutLayer {
    timeout: Option<Duration>,
}

impl AttemptTimeoutLayer {
    /// At most `timeout` per attempt (and never past the deadline).
    pub fn new(timeout: Duration) -> Self {
        AttemptTimeoutLayer {
            timeout: Some(timeout),
        }
    }

    /// No timeout of its own: attempts are only cut at the deadline, or by a per-call
    /// [`CallOptions::attempt_timeout`](ampersand_core::CallOptions::attempt_timeout).
    pub fn deadline_only() -> Self {
        AttemptTimeoutLayer { timeout: None }
    }
}

impl<S> Layer<S> for AttemptTimeoutLayer {
    type Service = AttemptTimeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AttemptTimeout {
            inner,
            timeout: self.timeout,
        }
    }
}

/// The service made by [`AttemptTimeoutLayer`].
#[derive(Debug, Clone)]
pub struct AttemptTimeout<S> {
    inner: S,
    timeout: Option<Duration>,
}

impl<S> Service<http::Request<bytes::Bytes>> for AttemptTimeout<S>
where
    S: Service<http::Request<bytes::Bytes>, Response = http::Response<bytes::Bytes>>,
    S::Error: Into<BoxError>,
{
    type Response = http::Response<bytes::Bytes>;
    type Error = Error;
    type Future = TimeoutFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|e| Error::from_boxed(e.into()))
    }

    fn call(&mut self, request: http::Request<bytes::Bytes>) -> Self::Future {
        let now = Instant::now();
        let context = CallContext::of(&request);
        let timeout = context
            .options()
            .attempt_timeout_override()
            .or(self.timeout);
        // A deadline fixed above already counts the per-call deadline, from an earlier start.
        let deadline = call_deadline(context, None, now);
        // A timeout too long to be an instant is no timeout.
        let timeout = timeout.and_then(|t| Some((instant_after(now, t)?, t)));
        let limit = match (timeout, deadline) {
            (Some((at, t)), Some(d)) if at < d => Some((at, Expiry::Attempt(t))),
            (_, Some(d)) => Some((d, Expiry::Deadline)),
            (Some((at, t)), None) => Some((at, Expiry::Attempt(t))),
            (None, None) => None,
        };
        if let Some((at, expiry)) = limit
            && at <= now
        {
            return TimeoutFuture::expired(expiry);
        }
        TimeoutFuture::new(self.inner.call(request), limit)
    }
}

pin_project! {
    /// The future of [`AttemptTimeout`] and [`DeadlineService`]: the inner call, cut off by a
    /// timer.
    pub struct TimeoutFuture<F> {
        #[pin]
        inner: Option<F>,
        #[pin]
        sleep: Option<Sleep>,
        expiry: Expiry,
    }
}

impl<F> TimeoutFuture<F> {
    fn new(inner: F, limit: Option<(Instant, Expiry)>) -> Self {
        let (sleep, expiry) = match limit {
            Some((at, expiry)) => (Some(tokio::time::sleep_until(at)), expiry),
            None => (None, Expiry::Deadline),
        };
        TimeoutFuture {
            inner: Some(inner),
            sleep,
            expiry,
        }
    }

    #[cold]
    fn expired(expiry: Expiry) -> Self {
        TimeoutFuture {
            inner: None,
            sleep: None,
            expiry,
        }
    }
}

impl<F, E> Future for TimeoutFuture<F>
where
    F: Future<Output = Result<http::Response<bytes::Bytes>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<http::Response<bytes::Bytes>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(inner) = this.inner.as_pin_mut() else {
            return Poll::Ready(Err(this.expiry.error()));
        };
        // The call first: a response that is ready when the timer fires still counts.
        if let Poll::Ready(result) = inner.poll(cx) {
            return Poll::Ready(result.map_err(|e| Error::from_boxed(e.into())));
        }
        if let Some(sleep) = this.sleep.as_pin_mut() {
            ready!(sleep.poll(cx));
            return Poll::Ready(Err(this.expiry.error()));
        }
        Poll::Pending
    }
}

/// An overall deadline for stacks without the retry layer (which enforces one itself).
///
/// Fixes the deadline in the request's [`CallContext`] to the earliest of `deadline` from now, the request's
/// [`CallOptions::deadline`](ampersand_core::CallOptions::deadline) and any deadline already
/// set, and fails the call with a timeout when it elapses. Put it outermost, so that the waits
/// of the layers below (the rate limiter's, say) count against it.
///
/// ```
/// use std::time::Duration;
/// use ampersand_layers::timeout::DeadlineLayer;
/// use tower::ServiceBuilder;
/// # use bytes::Bytes;
/// # let transport = tower::service_fn(|_req: http::Request<Bytes>| async {
/// #     Ok::<_, ampersand_core::Error>(http::Response::new(Bytes::new()))
/// # });
/// let service = ServiceBuilder::new()
///     .layer(DeadlineLayer::new(Duration::from_secs(30)))
///     .service(transport);
/// # let _ = service;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    deadline: Option<Duration>,
}

impl DeadlineLayer {
    /// Calls must end within `deadline`.
    pub fn new(deadline: Duration) -> Self {
        DeadlineLayer {
            deadline: Some(deadline),
        }
    }

    /// Only per-call deadlines ([`CallOptions::deadline`](ampersand_core::CallOptions::deadline))
    /// apply.
    pub fn per_call_only() -> Self {
        DeadlineLayer { deadline: None }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = DeadlineService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DeadlineService {
            inner,
            deadline: self.deadline,
        }
    }
}

/// The service made by [`DeadlineLayer`].
#[derive(Debug, Clone)]
pub struct DeadlineService<S> {
    inner: S,
    deadline: Option<Duration>,
}

impl<S> Service<http::Request<bytes::Bytes>> for DeadlineService<S>
where
    S: Service<http::Request<bytes::Bytes>, Response = http::Response<bytes::Bytes>>,
    S::Error: Into<BoxError>,
{
    type Response = http::Response<bytes::Bytes>;
    type Error = Error;
    type Future = TimeoutFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|e| Error::from_boxed(e.into()))
    }

    fn call(&mut self, mut request: http::Request<bytes::Bytes>) -> Self::Future {
        let now = Instant::now();
        let context = CallContext::of_mut(&mut request);
        let deadline = call_deadline(context, self.deadline, now);
        if let Some(at) = deadline {
            if at <= now {
                return TimeoutFuture::expired(Expiry::Deadline);
            }
            context.set_deadline(Some(at.into_std()));
        }
        TimeoutFuture::new(
            self.inner.call(request),
            deadline.map(|at| (at, Expiry::Deadline)),
        )
    }
}
