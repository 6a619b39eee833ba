//! Per-attempt timeouts and the overall deadline.
//!
//! Two limits bound a call, as in google-cloud-rust's gax and the AWS SDK's
//! `operation_timeout` / `operation_attempt_timeout`:
//!
//! * the **overall deadline**: the time allowed for the whole call, retries and the waits
//!   between them included. It is an absolute instant, carried in the request's extensions as
//!   a [`Deadline`]. The [retry layer](crate::retry) sets it when the call starts (from
//!   [`CallOptions::deadline`](ampersand_core::CallOptions::deadline), else its
//!   [`RetryConfig::deadline`](crate::retry::RetryConfig::deadline)), gives up early when a wait
//!   would pass it, and stops an attempt still running when it elapses. Stacks without the
//!   retry layer can use [`DeadlineLayer`] instead.
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
use ampersand_core::{BoxError, CallContext, CallOptions, Error};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

/// The instant by which a whole call must be done, attached to the request.
///
/// The retry layer (or [`DeadlineLayer`]) attaches it to every attempt; the layers below read
/// it to cap their own waits: [`AttemptTimeoutLayer`] ends an attempt at the deadline, and the
/// rate limiter refuses a wait that would pass it. It lives in the request's
/// [`CallContext`] when the request has one (as every request of the client does), else in an
/// extension of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline(pub Instant);

impl Deadline {
    /// The deadline attached to a request, if any: its [`CallContext`]'s, else a `Deadline`
    /// extension's.
    pub fn of<B>(request: &http::Request<B>) -> Option<Instant> {
        CallContext::of(request)
            .and_then(CallContext::deadline)
            .map(Instant::from_std)
            .or_else(|| request.extensions().get::<Deadline>().map(|d| d.0))
    }

    /// Attaches the deadline to a request: in its [`CallContext`] when it has one (no
    /// allocation), else as an extension of its own. Replaces any deadline attached before.
    pub fn attach<B>(self, request: &mut http::Request<B>) {
        match CallContext::of_mut(request) {
            Some(context) => context.set_deadline(self.0.into_std()),
            None => {
                request.extensions_mut().insert(self);
            }
        }
    }

    /// The deadline of a call starting at `now`: the earliest of a [`Deadline`] already in the
    /// request (set by an outer layer), `now +` the request's
    /// [`CallOptions::deadline`](ampersand_core::CallOptions::deadline), and `now + default`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ampersand_core::CallOptions;
    /// use ampersand_layers::timeout::Deadline;
    /// use tokio::time::Instant;
    ///
    /// let now = Instant::now();
    /// let mut request = http::Request::new(());
    /// request.extensions_mut().insert(CallOptions::new().deadline(Duration::from_secs(5)));
    /// let deadline = Deadline::resolve(&request, Some(Duration::from_secs(60)), now);
    /// assert_eq!(deadline, Some(now + Duration::from_secs(5)));
    /// ```
    pub fn resolve<B>(
        request: &http::Request<B>,
        default: Option<Duration>,
        now: Instant,
    ) -> Option<Instant> {
        // A duration past what the clock can hold is no deadline at all.
        let from_options = CallOptions::of(request)
            .and_then(CallOptions::deadline_override)
            .and_then(|d| instant_after(now, d));
        let from_default = default.and_then(|d| instant_after(now, d));
        [Deadline::of(request), from_options, from_default]
            .into_iter()
            .flatten()
            .min()
    }
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

/// Gives each attempt `min(attempt timeout, time left until the request's` [`Deadline`]`)`.
///
/// The timeout is [`CallOptions::attempt_timeout`](ampersand_core::CallOptions::attempt_timeout)
/// when the request sets it, else the one given here. The deadline is the request's
/// [`Deadline`] extension, else (when no retry layer sits above)
/// [`CallOptions::deadline`](ampersand_core::CallOptions::deadline) counted from now. An attempt
/// whose deadline has already passed fails at once without being sent.
///
/// The client's default is 30 s per attempt. It belongs below the retry layer, so that a
/// timed-out attempt can be retried (for idempotent operations).
#[derive(Debug, Clone, Copy)]
pub struct AttemptTimeoutLayer {
    timeout: Option<Duration>,
    enabled: bool,
}

impl AttemptTimeoutLayer {
    /// At most `timeout` per attempt (and never past the deadline).
    pub fn new(timeout: Duration) -> Self {
        AttemptTimeoutLayer {
            timeout: Some(timeout),
            enabled: true,
        }
    }

    /// No timeout of its own: attempts are only cut at the deadline, or by a per-call
    /// [`CallOptions::attempt_timeout`](ampersand_core::CallOptions::attempt_timeout).
    pub fn deadline_only() -> Self {
        AttemptTimeoutLayer {
            timeout: None,
            enabled: true,
        }
    }

    /// No timer at all, not even at the deadline: calls pass straight through. The client
    /// uses it when its attempt timeout is turned off (the retry layer then enforces the
    /// deadline), so that the stack has one type whatever is turned off.
    pub fn disabled() -> Self {
        AttemptTimeoutLayer {
            timeout: None,
            enabled: false,
        }
    }
}

impl<S> Layer<S> for AttemptTimeoutLayer {
    type Service = AttemptTimeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AttemptTimeout {
            inner,
            timeout: self.timeout,
            enabled: self.enabled,
        }
    }
}

/// The service made by [`AttemptTimeoutLayer`].
#[derive(Debug, Clone)]
pub struct AttemptTimeout<S> {
    inner: S,
    timeout: Option<Duration>,
    enabled: bool,
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
        if !self.enabled {
            return TimeoutFuture::new(self.inner.call(request), None);
        }
        let now = Instant::now();
        let options = CallOptions::of(&request);
        let timeout = options
            .and_then(CallOptions::attempt_timeout_override)
            .or(self.timeout);
        // A `Deadline` set above already counts the per-call deadline, from an earlier start.
        let deadline = Deadline::of(&request).or_else(|| {
            options
                .and_then(CallOptions::deadline_override)
                .and_then(|d| instant_after(now, d))
        });
        // An attempt timeout past what the clock can hold is no attempt timeout.
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
/// Sets the request's [`Deadline`] to the earliest of `deadline` from now, the request's
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
        let deadline = Deadline::resolve(&request, self.deadline, now);
        if let Some(at) = deadline {
            if at <= now {
                return TimeoutFuture::expired(Expiry::Deadline);
            }
            Deadline(at).attach(&mut request);
        }
        TimeoutFuture::new(
            self.inner.call(request),
            deadline.map(|at| (at, Expiry::Deadline)),
        )
    }
}
