//! Problem decoding: every non-2xx response becomes an API [`Error`] with a typed problem.
//!
//! [`ProblemLayer`] turns a response whose status is not 2xx into
//! `Err(`[`Error::api`]`(status, headers, body))`. The core crate builds the RFC 9457 problem
//! from whatever the body is: `application/problem+json`, `application/json` shaped like a
//! problem, `text/plain`, an HTML page (kept as the detail) or nothing. The status, headers
//! and raw body are always kept; a body that does not parse never replaces the status. The
//! request id comes from the problem, else from the `x-request-id` response header.
//!
//! A proxied call ([`Answers::Proxied`] in its [`CallContext`]) gets the provider's answer back
//! whatever its status; only Ampersand's own refusals (a problem document, or the proxy rate
//! limiter's `X-Amp-Retryable` header) become errors. See [`Answers::is_error`].
//!
//! Put it below the retry and auth layers, so that they read the decoded problem (`retryable`,
//! `retryAfter`) and see a 401 as an error.
//!
//! # Example
//!
//! ```
//! use ampersand_layers::problem::ProblemLayer;
//! use bytes::Bytes;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let transport = tower::service_fn(|_request: http::Request<Bytes>| async {
//!     let response = http::Response::builder()
//!         .status(409)
//!         .header("content-type", "application/problem+json")
//!         .body(Bytes::from_static(br#"{"title":"Conflict","detail":"name taken","retryable":false}"#))
//!         .unwrap();
//!     Ok::<_, std::convert::Infallible>(response)
//! });
//! let service = ServiceBuilder::new().layer(ProblemLayer::new()).service(transport);
//!
//! let error = service.oneshot(http::Request::new(Bytes::new())).await.unwrap_err();
//! assert!(error.is_conflict());
//! assert_eq!(error.problem().unwrap().detail.as_deref(), Some("name taken"));
//! assert!(!error.is_retryable());
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ampersand_core::{Answers, BoxError, CallContext, Error};
use bytes::Bytes;
use http::{Request, Response};
use tower::{Layer, Service};

/// Turns non-2xx responses into API errors; see the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct ProblemLayer;

impl ProblemLayer {
    /// The layer.
    pub fn new() -> Self {
        ProblemLayer
    }
}

impl<S> Layer<S> for ProblemLayer {
    type Service = ProblemService<S>;

    fn layer(&self, inner: S) -> ProblemService<S> {
        ProblemService { inner }
    }
}

/// The service made by [`ProblemLayer`].
#[derive(Debug, Clone)]
pub struct ProblemService<S> {
    inner: S,
}

impl<S> Service<Request<Bytes>> for ProblemService<S>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>>,
    S::Error: Into<BoxError>,
{
    type Response = Response<Bytes>;
    type Error = Error;
    type Future = ProblemFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|error| Error::from_boxed(error.into()))
    }

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let context = CallContext::of(&request);
        ProblemFuture {
            operation_id: context.operation_id(),
            answers: context.answers(),
            inner: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`ProblemService`].
    pub struct ProblemFuture<F> {
        #[pin]
        inner: F,
        operation_id: Option<&'static str>,
        answers: Answers,
    }
}

impl<F, E> Future for ProblemFuture<F>
where
    F: Future<Output = Result<Response<Bytes>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<Bytes>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response =
            ready!(this.inner.poll(cx)).map_err(|error| Error::from_boxed(error.into()))?;
        if !this.answers.is_error(response.status(), response.headers()) {
            return Poll::Ready(Ok(response));
        }
        let error = Error::from_response(response);
        Poll::Ready(Err(match this.operation_id {
            Some(id) => error.with_operation(id),
            None => error,
        }))
    }
}
