//! The default transport: hyper-util's pooling client over rustls, directly or through an
//! egress proxy.
//!
//! [`HyperTransport`] is a `tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>>`,
//! the only shape the layers above it know. Any other service of that shape can replace it
//! through [`ClientBuilder::transport`](crate::ClientBuilder::transport): a test double, a
//! recorded-response player.
//!
//! What it does beyond sending:
//! - TLS by rustls with an explicit crypto provider (ring by default, aws-lc-rs with the
//!   `aws-lc-rs` feature), so feature unification in an application can never make rustls
//!   panic for want of a process-level provider; HTTP/1.1 and HTTP/2 through ALPN. Private
//!   roots or a whole rustls `ClientConfig` ([`TlsConfig`], module [`tls`]).
//! - Egress proxies ([`ProxyConfig`], module [`proxy`]): `CONNECT` tunnels for `https://`,
//!   forwarding for `http://`, `NO_PROXY` exceptions (module `connector`).
//! - A connect timeout, TCP_NODELAY, and a pool whose idle timeout works (hyper-util ignores
//!   `pool_idle_timeout` unless a timer is set; this sets one).
//! - A response-body size limit (the call's own, from its `CallContext`, else the client's): a `Content-Length` over the limit fails before any of the body
//!   is read, and a body without one is cut as soon as it passes the limit, so an oversized
//!   response never sits in memory whole. An HTTP/2 header block is limited too
//!   ([`TransportConfig::max_header_list_size`]): a `CONTINUATION` flood ends the connection.
//! - `Host` (HTTP/1.1) or `:authority` (HTTP/2) from the URI, as hyper-util writes them.
//! - Error classification for the retry policy (module `classify`, with its table): a
//!   failure to connect, or a request the server says it did not process, is
//!   [`ErrorKind::Connect`](ampersand_core::ErrorKind::Connect) (a retry is always safe); a
//!   failed TLS handshake is [`ErrorKind::Tls`](ampersand_core::ErrorKind::Tls) and a proxy's
//!   refusal [`ErrorKind::Proxy`](ampersand_core::ErrorKind::Proxy) (not retried); a failure
//!   after the request may have been sent is
//!   [`ErrorKind::Transport`](ampersand_core::ErrorKind::Transport).

mod classify;
mod connector;
pub mod proxy;
pub mod tls;

pub use proxy::ProxyConfig;
/// The rustls the transport is built on, for a [`TlsConfig::client_config`] of the same
/// version.
pub use rustls;
pub use tls::TlsConfig;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use ampersand_core::Error;
use ampersand_core::time::instant_after;
use bytes::Bytes;
use http::header::PROXY_AUTHORIZATION;
use http::uri::Scheme;
use http_body_util::combinators::Collect;
use http_body_util::{BodyExt, Collected, Full, Limited};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client as PoolingClient, ResponseFuture};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use pin_project_lite::pin_project;

use self::connector::ProxyConnector;

#[cfg(not(any(feature = "rustls-ring", feature = "aws-lc-rs")))]
compile_error!("enable a crypto provider feature of `ampersand`: `rustls-ring` or `aws-lc-rs`");
#[cfg(not(any(feature = "webpki-roots", feature = "native-roots")))]
compile_error!(
    "enable a root-certificate feature of `ampersand`: `webpki-roots` or `native-roots`"
);

type Connector = hyper_rustls::HttpsConnector<ProxyConnector>;

/// Settings of the default transport.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportConfig {
    /// How long to wait for a TCP connection (and TLS handshake). Default: 10 s.
    pub connect_timeout: Duration,
    /// How long an idle pooled connection is kept. Default: 90 s. A duration the clock
    /// cannot hold (such as `Duration::MAX`) keeps idle connections until the server closes
    /// them.
    pub pool_idle_timeout: Duration,
    /// Idle connections kept per host. Default: unlimited (hyper-util's default), so a burst
    /// of concurrent calls reuses its connections instead of reopening them; the idle timeout
    /// still closes what a quiet period leaves.
    pub pool_max_idle_per_host: usize,
    /// The largest response body accepted, in bytes. Default: 32 MiB.
    pub max_response_body: usize,
    /// Speak only HTTP/2 (prior knowledge on `http://`). Default: false, ALPN chooses.
    pub http2_only: bool,
    /// The largest HTTP/2 header block accepted from the server, in bytes (decoded, as
    /// `SETTINGS_MAX_HEADER_LIST_SIZE` counts it). A larger or endless one (a `CONTINUATION`
    /// flood) ends the connection with a transport error. Default: 16 KiB (hyper's).
    pub max_header_list_size: u32,
    /// Private roots or a whole rustls configuration. Default: the roots of the crate's
    /// root feature.
    pub tls: TlsConfig,
    /// The egress proxy. Default: none ([`ClientBuilder::from_env`](crate::ClientBuilder::from_env)
    /// reads `HTTPS_PROXY` and the others).
    pub proxy: ProxyConfig,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: usize::MAX,
            max_response_body: 32 * 1024 * 1024,
            http2_only: false,
            max_header_list_size: 16 * 1024,
            tls: TlsConfig::default(),
            proxy: ProxyConfig::default(),
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
    /// The proxy rules when `http://` destinations may go through a proxy that takes
    /// credentials: such requests need `Proxy-Authorization` (a tunnel carries it in its
    /// `CONNECT` instead).
    forward_auth: Option<Arc<Matcher>>,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("max_response_body", &self.max_response_body)
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// Builds the transport. Fails when the root certificates cannot be loaded, or on an
    /// invalid TLS or proxy setting.
    pub fn new(config: &TransportConfig) -> Result<Self, Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));

        let proxy = config.proxy.matcher()?.map(Arc::new);
        let forward_auth = proxy
            .as_ref()
            .filter(|_| config.proxy.http_proxy_has_credentials())
            .cloned();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config.tls.build()?)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(ProxyConnector::new(http, proxy));

        let client = PoolingClient::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(pool_idle_timeout(config.pool_idle_timeout))
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .http2_only(config.http2_only)
            .http2_max_header_list_size(config.max_header_list_size)
            .build(connector);
        Ok(HyperTransport {
            client: Arc::new(client),
            max_response_body: config.max_response_body,
            forward_auth,
        })
    }
}

/// The idle timeout as hyper-util takes it: `None` (no timeout) when the clock cannot hold
/// twice the duration from now. hyper-util adds the timeout to the clock at every check of
/// the pool and panics when that overflows; the margin covers the clock advancing while the
/// process runs.
fn pool_idle_timeout(timeout: Duration) -> Option<Duration> {
    instant_after(std::time::Instant::now(), timeout.saturating_mul(2)).map(|_| timeout)
}

impl tower::Service<http::Request<Bytes>> for HyperTransport {
    type Response = http::Response<Bytes>;
    type Error = Error;
    type Future = TransportFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<Bytes>) -> Self::Future {
        if let Some(matcher) = &self.forward_auth {
            add_proxy_authorization(matcher, &mut request);
        }
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

/// Adds `Proxy-Authorization` to a plain `http://` request that goes through a proxy with
/// credentials (the proxy receives the request itself). Never to an `https://` request: its
/// proxy receives the credentials in the tunnel's `CONNECT`, and the server must not.
#[cold]
fn add_proxy_authorization(matcher: &Matcher, request: &mut http::Request<Bytes>) {
    if request.uri().scheme() != Some(&Scheme::HTTP) {
        return;
    }
    if let Some(auth) = matcher
        .intercept(request.uri())
        .and_then(|proxy| proxy.basic_auth().cloned())
    {
        request.headers_mut().insert(PROXY_AUTHORIZATION, auth);
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
                    let response = ready!(response.poll(cx)).map_err(classify::classify)?;
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
