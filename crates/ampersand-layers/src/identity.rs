//! Identity headers: who is calling, so that Ampersand can tell SDKs and versions apart.
//!
//! [`IdentityLayer`] sets on each request:
//!
//! - `User-Agent: ampersand-rust/<version>`, unless the request already has a `User-Agent`
//!   (your layer or transport set one on purpose, and it is kept);
//! - `X-Amp-Client: ampersand-rust` and `X-Amp-Client-Version: <version>`, always (they
//!   identify the SDK, whatever the User-Agent says).
//!
//! `<version>` is the version of the SDK the user depends on: the `ampersand` facade passes its
//! own to [`IdentityLayer::with_version`].
//!
//! # Example
//!
//! ```
//! use ampersand_layers::identity::IdentityLayer;
//! use bytes::Bytes;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let transport = tower::service_fn(|request: http::Request<Bytes>| async move {
//!     let agent = request.headers()["user-agent"].as_bytes().to_vec();
//!     Ok::<_, std::convert::Infallible>(http::Response::new(Bytes::from(agent)))
//! });
//! let service = ServiceBuilder::new()
//!     .layer(IdentityLayer::with_version("1.2.3").unwrap())
//!     .service(transport);
//! let response = service.oneshot(http::Request::new(Bytes::new())).await.unwrap();
//! assert_eq!(response.body(), "ampersand-rust/1.2.3");
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ampersand_core::{BoxError, Error};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, USER_AGENT};
use http::{Request, Response};
use tower::{Layer, Service};

/// The client name sent in `X-Amp-Client` and as the `User-Agent` product.
pub const CLIENT_NAME: &str = "ampersand-rust";

/// The `X-Amp-Client` header.
pub const X_AMP_CLIENT: HeaderName = HeaderName::from_static("x-amp-client");

/// The `X-Amp-Client-Version` header.
pub const X_AMP_CLIENT_VERSION: HeaderName = HeaderName::from_static("x-amp-client-version");

/// Sets the identity headers; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct IdentityLayer {
    headers: IdentityHeaders,
}

#[derive(Debug, Clone)]
struct IdentityHeaders {
    user_agent: HeaderValue,
    client: HeaderValue,
    version: HeaderValue,
}

impl IdentityLayer {
    /// Identifies the SDK as `ampersand-rust/<version>`. Fails with a configuration error if
    /// `version` cannot be a header value.
    pub fn with_version(version: &str) -> Result<Self, Error> {
        let invalid = |_| Error::config("the SDK version is not a valid header value");
        Ok(IdentityLayer {
            headers: IdentityHeaders {
                user_agent: HeaderValue::try_from(format!("{CLIENT_NAME}/{version}"))
                    .map_err(invalid)?,
                client: HeaderValue::from_static(CLIENT_NAME),
                version: HeaderValue::try_from(version).map_err(invalid)?,
            },
        })
    }
}

impl<S> Layer<S> for IdentityLayer {
    type Service = IdentityService<S>;

    fn layer(&self, inner: S) -> IdentityService<S> {
        IdentityService {
            inner,
            headers: self.headers.clone(),
        }
    }
}

/// The service made by [`IdentityLayer`].
#[derive(Debug, Clone)]
pub struct IdentityService<S> {
    inner: S,
    headers: IdentityHeaders,
}

impl<S> Service<Request<Bytes>> for IdentityService<S>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>>,
    S::Error: Into<BoxError>,
{
    type Response = Response<Bytes>;
    type Error = Error;
    type Future = IdentityFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|error| Error::from_boxed(error.into()))
    }

    fn call(&mut self, mut request: Request<Bytes>) -> Self::Future {
        let identity = &self.headers;
        let headers = request.headers_mut();
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, identity.user_agent.clone());
        }
        headers.insert(X_AMP_CLIENT, identity.client.clone());
        headers.insert(X_AMP_CLIENT_VERSION, identity.version.clone());
        IdentityFuture {
            inner: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`IdentityService`].
    pub struct IdentityFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F, E> Future for IdentityFuture<F>
where
    F: Future<Output = Result<Response<Bytes>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<Bytes>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = ready!(self.project().inner.poll(cx));
        Poll::Ready(result.map_err(|error| Error::from_boxed(error.into())))
    }
}
