//! The default transport: hyper-util's pooling client over rustls.
//!
//! [`HyperTransport`] is a `tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>>`,
//! the only shape the layers above it know. Any other service of that shape can replace it
//! through [`ClientBuilder::transport`](crate::ClientBuilder::transport): a test double, a
//! proxy client, a recorded-response player.
//!
//! What it does beyond sending:
//! - TLS by rustls with an explicit crypto provider (ring by default, aws-lc-rs with the
//!   `aws-lc-rs` feature), so feature unification in an application can never make rustls
//!   panic for want of a process-level provider; HTTP/1.1 and HTTP/2 through ALPN.
//! - A connect timeout, TCP_NODELAY, and a pool whose idle timeout works (hyper-util ignores
//!   `pool_idle_timeout` unless a timer is set; this sets one).
//! - A response-body size limit (the call's own, from its `CallContext`, else the client's): a `Content-Length` over the limit fails before any of the body
//!   is read, and a body without one is cut as soon as it passes the limit, so an oversized
//!   response never sits in memory whole.
//! - `Host` (HTTP/1.1) or `:authority` (HTTP/2) from the URI, as hyper-util writes them.
//! - Error classification for the retry policy: a failure to connect is
//!   [`ErrorKind::Connect`](ampersand_core::ErrorKind::Connect) (the request was not sent, so a
//!   retry is always safe); a failure after that is
//!   [`ErrorKind::Transport`](ampersand_core::ErrorKind::Transport).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use ampersand_core::Error;
use bytes::Bytes;
use http_body_util::combinators::Collect;
use http_body_util::{BodyExt, Collected, Full, Limited};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client as PoolingClient, ResponseFuture};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use pin_project_lite::pin_project;

#[cfg(not(any(feature = "rustls-ring", feature = "aws-lc-rs")))]
compile_error!("enable a crypto provider feature of `ampersand`: `rustls-ring` or `aws-lc-rs`");
#[cfg(not(any(feature = "webpki-roots", feature = "native-roots")))]
compile_error!(
    "enable a root-certificate feature of `ampersand`: `webpki-roots` or `native-roots`"
);

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// Settings of the default transport.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportConfig {
    /// How long to wait for a TCP connection (and TLS handshake). Default: 10 s.
    pub connect_timeout: Duration,
    /// How long an idle pooled connection is kept. Default: 90 s.
    pub pool_idle_timeout: Duration,
    /// Idle connections kept per host. Default: unlimited (hyper-util's default), so a burst
    /// of concurrent calls reuses its connections instead of reopening them; the idle timeout
    /// still closes what a quiet period leaves.
    pub pool_max_idle_per_host: usize,
    /// The largest response body accepted, in bytes. Default: 32 MiB.
    pub max_response_body: usize,
    /// Speak only HTTP/2 (prior knowledge on `http://`). Default: false, ALPN chooses.
    pub http2_only: bool,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: usize::MAX,
            max_response_body: 32 * 1024 * 1024,
            http2_only: false,
        }
    }
}

/// The default transport: a pooling HTTP/1.1 + HTTP/2 client over rustls.
///
/// Cloning it is one reference-count increment: the stack above clones its services per call
/// (tower's ready-service rule), and hyper-util's client is a large struct of several `Arc`s.
#[derive(Clone)]
pub struct HyperTransport {
    client: Arc<PoolingClient<Connector, Full<Bytes>>>,
    max_response_body: usize,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("max_response_body", &self.max_response_body)
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// Builds the transport. Fails only when the root certificates cannot be loaded.
    pub fn new(config: &TransportConfig) -> Result<Self, Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));

        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        #[cfg(feature = "webpki-roots")]
        let builder = builder
            .with_provider_and_webpki_roots(crypto_provider())
            .map_err(|e| Error::config(format!("TLS setup failed: {e}")))?;
        #[cfg(all(feature = "native-roots", not(feature = "webpki-roots")))]
        let builder = builder
            .with_provider_and_native_roots(crypto_provider())
            .map_err(|e| {
                Error::config(format!(
                    "could not load the system's root certificates: {e}"
                ))
            })?;
        let connector = builder
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);

        let client = PoolingClient::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .http2_only(config.http2_only)
            .build(connector);
        Ok(HyperTransport {
            client: Arc::new(client),
            max_response_body: config.max_response_body,
        })
    }
}

#[cfg(feature = "rustls-ring")]
fn crypto_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

#[cfg(all(feature = "aws-lc-rs", not(feature = "rustls-ring")))]
fn crypto_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

impl tower::Service<http::Request<Bytes>> for HyperTransport {
    type Response = http::Response<Bytes>;
    type Error = Error;
    type Future = TransportFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Bytes>) -> Self::Future {
        // A call may carry its own limit (a proxied export), else the transport's applies.
        let limit = ampersand_core::CallContext::of(&request)
            .max_response_body()
            .unwrap_or(self.max_response_body);
        // `request` takes the client by reference and returns a future that owns what it needs.
        TransportFuture {
            state: Exchange::Head {
                response: self.client.request(request.map(Full::new)),
            },
            limit,
        }
    }
}

pin_project! {
    /// The future of [`HyperTransport`]: the response's head from hyper, then its body read
    /// into memory (at most the configured limit). A named state machine rather than a boxed
    /// `async` block: one allocation less per call.
    pub struct TransportFuture {
        #[pin]
        state: Exchange,
        limit: usize,
    }
}

pin_project! {
    #[project = ExchangeProj]
    enum Exchange {
        Head { #[pin] response: ResponseFuture },
        Body { parts: Option<http::response::Parts>, #[pin] body: Collect<Limited<Incoming>> },
    }
}

impl Future for TransportFuture {
    type Output = Result<http::Response<Bytes>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                ExchangeProj::Head { response } => {
                    let response = ready!(response.poll(cx)).map_err(|error| {
                        if error.is_connect() {
                            Error::connect(error)
                        } else {
                            Error::transport(error)
                        }
                    })?;
                    let (parts, body) = response.into_parts();
                    if declared_length(&parts.headers).is_some_and(|len| len > *this.limit as u64) {
                        return Poll::Ready(Err(Error::body_too_large(
                            *this.limit,
                            parts.status,
                            parts.headers,
                        )));
                    }
                    this.state.set(Exchange::Body {
                        parts: Some(parts),
                        body: Limited::new(body, *this.limit).collect(),
                    });
                }
                ExchangeProj::Body { parts, body } => {
                    let collected = ready!(body.poll(cx));
                    let parts = parts.take().expect("the body is read once");
                    return Poll::Ready(body_result(parts, collected, *this.limit));
                }
            }
        }
    }
}

/// The body length the response's `Content-Length` declares, if it is a number.
fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// The response with its body read, or why it could not be read.
fn body_result(
    parts: http::response::Parts,
    collected: Result<Collected<Bytes>, ampersand_core::BoxError>,
    limit: usize,
) -> Result<http::Response<Bytes>, Error> {
    match collected {
        Ok(collected) => Ok(http::Response::from_parts(parts, collected.to_bytes())),
        Err(error) => {
            if error.is::<http_body_util::LengthLimitError>() {
                Err(Error::body_too_large(limit, parts.status, parts.headers))
            } else {
                Err(Error::transport(error))
            }
        }
    }
}
