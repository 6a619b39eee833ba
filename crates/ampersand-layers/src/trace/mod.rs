//! Tracing: one span per attempt, following the OpenTelemetry HTTP client conventions, and
//! request/response logging with credentials redacted.
//!
//! [`TraceLayer`] opens a `tracing` span (target [`TARGET`], level INFO, name `http.request`)
//! around each request it sees. Placed below the retry layer, that is one span per attempt, as
//! the conventions ask. The span's fields:
//!
//! | field | value |
//! |---|---|
//! | `otel.name` | `{METHOD} {path template}`, e.g. `GET /projects/{projectIdOrName}` |
//! | `otel.kind` | `client` |
//! | `http.request.method` | `GET`, ... (`_OTHER` for non-standard methods) |
//! | `server.address`, `server.port` | from the request URI (the port defaults by scheme) |
//! | `url.full` | the URI without user-info, with signed-URL query values (`sig`, `X-Goog-Signature`, ... see [`REDACTED_QUERY_PARAMS`]) replaced by `REDACTED` |
//! | `ampersand.operation_id` | the spec's operationId |
//! | `ampersand.installation_id` | the installation a proxied call acts for (from the [`CallContext`]) |
//! | `http.request.resend_count` | the attempt number minus one, on resends only (from the [`CallContext`]) |
//! | `http.response.status_code` | when a response arrived |
//! | `error.type` | the status code (`"503"`) for 4xx/5xx, else the error kind (`"timeout"`) |
//! | `otel.status_code` | `ERROR` when `error.type` is set |
//!
//! At DEBUG level (same target) it logs each request (method, URL, headers) and each response
//! (status, headers) or error. `X-Api-Key`, `Authorization`, `Proxy-Authorization`, `Cookie`,
//! `Set-Cookie` and any header value marked sensitive show as `<redacted>` (see
//! [`REDACTED_HEADERS`]). When no subscriber wants the span or the events, nothing is
//! formatted.
//!
//! # OpenTelemetry
//!
//! With the `opentelemetry` cargo feature, the layer also reports through the OpenTelemetry
//! API crate, to whatever providers the application installed globally:
//!
//! - a span of kind Client per attempt, with the attributes above (`otel.*` aside), from the
//!   tracer of the instrumentation scope `ampersand-layers`; its status is Error for 4xx, 5xx
//!   and failures, unset otherwise;
//! - the `http.client.request.duration` histogram, in seconds, with the conventions' bucket
//!   boundaries ([`REQUEST_DURATION_BOUNDARIES`]), by method, server, status and error type;
//! - the span's context injected into the outgoing request headers through the global text-map
//!   propagator (W3C `traceparent` once the application installs a `TraceContextPropagator`).
//!
//! The tracer and histogram are taken from the global providers when the layer is made, so
//! install the providers before building the client. If you also bridge `tracing` to
//! OpenTelemetry (tracing-opentelemetry), filter out the [`TARGET`] spans or leave the feature
//! off, or each attempt is exported twice.
//!
//! # Example
//!
//! ```
//! use ampersand_layers::trace::TraceLayer;
//! use bytes::Bytes;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let transport = tower::service_fn(|_request: http::Request<Bytes>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(Bytes::from_static(b"{}")))
//! });
//! let service = ServiceBuilder::new().layer(TraceLayer::new()).service(transport);
//!
//! let mut request = http::Request::new(Bytes::new());
//! *request.uri_mut() = "https://api.withampersand.com/v1/projects".parse().unwrap();
//! // With a subscriber installed (tracing_subscriber::fmt().init()), this logs the span.
//! let response = service.oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 200);
//! # }
//! ```

#[cfg(feature = "opentelemetry")]
mod otel;
mod redact;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ampersand_core::{BoxError, CallContext, Error};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use tower::{Layer, Service};
use tracing::field::Empty;
use tracing::{Level, Span};

pub use redact::{REDACTED_HEADERS, REDACTED_QUERY_PARAMS};
use redact::{RedactedHeaders, url_full};

/// The `tracing` target of the spans and events of this layer.
pub const TARGET: &str = "ampersand::http";

/// The bucket boundaries of `http.client.request.duration`, in seconds, as the OpenTelemetry
/// HTTP metrics conventions advise.
pub const REQUEST_DURATION_BOUNDARIES: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Opens a span per request and logs requests and responses; see the [module docs](self).
#[derive(Clone)]
pub struct TraceLayer {
    #[cfg(feature = "opentelemetry")]
    otel: std::sync::Arc<otel::Instruments>,
}

impl TraceLayer {
    /// The layer. With the `opentelemetry` feature, it takes its tracer and histogram from the
    /// global providers now.
    pub fn new() -> Self {
        TraceLayer {
            #[cfg(feature = "opentelemetry")]
            otel: std::sync::Arc::new(otel::Instruments::from_globals()),
        }
    }
}

impl Default for TraceLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TraceLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceLayer")
            .field("opentelemetry", &cfg!(feature = "opentelemetry"))
            .finish()
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = TraceService<S>;

    fn layer(&self, inner: S) -> TraceService<S> {
        TraceService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`TraceLayer`].
#[derive(Clone)]
pub struct TraceService<S> {
    inner: S,
    /// The OpenTelemetry instruments live in the layer.
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    layer: TraceLayer,
}

impl<S> fmt::Debug for TraceService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceService").finish_non_exhaustive()
    }
}

impl<S> Service<Request<Bytes>> for TraceService<S>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<Bytes>;
    type Error = Error;
    type Future = TraceFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|error| Error::from_boxed(error.into()))
    }

    #[cfg_attr(not(feature = "opentelemetry"), allow(unused_mut))]
    fn call(&mut self, mut request: Request<Bytes>) -> Self::Future {
        let span = tracing::info_span!(
            target: TARGET,
            "http.request",
            otel.name = Empty,
            otel.kind = "client",
            otel.status_code = Empty,
            http.request.method = Empty,
            server.address = Empty,
            server.port = Empty,
            url.full = Empty,
            ampersand.operation_id = Empty,
            ampersand.installation_id = Empty,
            http.request.resend_count = Empty,
            http.response.status_code = Empty,
            error.type = Empty,
        );
        let log = tracing::enabled!(target: TARGET, Level::DEBUG);
        let info = (!span.is_disabled() || log || cfg!(feature = "opentelemetry"))
            .then(|| RequestInfo::of(&request));
        if let Some(info) = info.as_ref().filter(|_| !span.is_disabled()) {
            info.record(&span);
        }

        #[cfg(feature = "opentelemetry")]
        let attempt = info
            .as_ref()
            .map(|info| self.layer.otel.start(info, request.headers_mut()));

        if log {
            span.in_scope(|| {
                tracing::debug!(
                    target: TARGET,
                    method = %request.method(),
                    url = info.as_ref().map(|info| info.url_full.as_str()),
                    headers = ?RedactedHeaders(request.headers()),
                    "sending request"
                );
            });
        }

        let future = span.in_scope(|| self.inner.call(request));
        #[cfg(feature = "opentelemetry")]
        let future = {
            use opentelemetry::context::FutureExt;
            let cx = attempt
                .as_ref()
                .map_or_else(opentelemetry::Context::current, otel::Attempt::context);
            future.with_context(cx)
        };
        TraceFuture {
            inner: future,
            finish: Finish {
                span,
                log,
                #[cfg(feature = "opentelemetry")]
                attempt,
            },
        }
    }
}

/// The inner future as the trace future polls it: in the attempt's OpenTelemetry context
/// with that feature, as is without.
#[cfg(feature = "opentelemetry")]
type InContext<F> = opentelemetry::context::WithContext<F>;
#[cfg(not(feature = "opentelemetry"))]
type InContext<F> = F;

pin_project_lite::pin_project! {
    /// The response future of [`TraceService`]: polls the inner future inside the request's
    /// span, then records the outcome on it.
    pub struct TraceFuture<F> {
        #[pin]
        inner: InContext<F>,
        finish: Finish,
    }
}

/// What a [`TraceFuture`] does when the response arrives.
struct Finish {
    span: Span,
    log: bool,
    #[cfg(feature = "opentelemetry")]
    attempt: Option<otel::Attempt>,
}

impl Finish {
    /// Whether anything records the attempt: a span a subscriber kept, the debug log, or an
    /// OpenTelemetry span.
    fn listened(&self) -> bool {
        #[cfg(feature = "opentelemetry")]
        let otel = self.attempt.is_some();
        #[cfg(not(feature = "opentelemetry"))]
        let otel = false;
        !self.span.is_disabled() || self.log || otel
    }

    fn record(&mut self, result: &Result<Response<Bytes>, Error>) {
        if !self.listened() {
            return;
        }
        let outcome = Outcome::of(result);
        if !self.span.is_disabled() {
            outcome.record(&self.span);
        }
        if self.log {
            self.span.in_scope(|| log_result(result));
        }
        #[cfg(feature = "opentelemetry")]
        if let Some(attempt) = self.attempt.take() {
            attempt.finish(&outcome);
        }
    }
}

impl<F, E> Future for TraceFuture<F>
where
    F: Future<Output = Result<Response<Bytes>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<Bytes>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let polled = {
            let _entered = this.finish.span.enter();
            this.inner.poll(cx)
        };
        let result = ready!(polled).map_err(|error| Error::from_boxed(error.into()));
        this.finish.record(&result);
        Poll::Ready(result)
    }
}

impl<F> fmt::Debug for TraceFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceFuture")
            .field("span", &self.finish.span)
            .finish_non_exhaustive()
    }
}

/// Logs a response or an error at DEBUG level.
fn log_result(result: &Result<Response<Bytes>, Error>) {
    match result {
        Ok(response) => tracing::debug!(
            target: TARGET,
            status = response.status().as_u16(),
            headers = ?RedactedHeaders(response.headers()),
            body_len = response.body().len(),
            "received response"
        ),
        Err(error) => tracing::debug!(
            target: TARGET,
            status = error.status().map(|s| s.as_u16()),
            headers = error.headers().map(|h| tracing::field::debug(RedactedHeaders(h))),
            error = %error,
            "request failed"
        ),
    }
}

/// What the telemetry says about a request, computed once.
struct RequestInfo {
    /// The span name: `{METHOD} {path template}`, or `{METHOD}` without metadata.
    name: String,
    /// The method, or `_OTHER` for a non-standard one.
    method: Cow<'static, str>,
    /// The method as sent, when `method` is `_OTHER`.
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    method_original: Option<String>,
    server_address: Option<String>,
    server_port: Option<u16>,
    url_full: String,
    operation_id: Option<&'static str>,
    installation_id: Option<std::sync::Arc<str>>,
    /// Set on resends only.
    resend_count: Option<u32>,
}

impl RequestInfo {
    fn of(request: &Request<Bytes>) -> Self {
        let context = CallContext::of(request);
        let (method, method_original) = known_method(request.method());
        let uri = request.uri();
        let name = match context.path_template() {
            Some(template) => format!("{method} {template}"),
            None => method.clone().into_owned(),
        };
        let server_port = uri.port_u16().or(match uri.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        let resend_count = Some(context.attempt().saturating_sub(1)).filter(|&count| count > 0);
        RequestInfo {
            name,
            method,
            method_original,
            server_address: uri.host().map(|host| {
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned()
            }),
            server_port,
            url_full: url_full(uri),
            operation_id: context.operation_id(),
            installation_id: context.installation_id().map(std::sync::Arc::from),
            resend_count,
        }
    }

    fn record(&self, span: &Span) {
        span.record("otel.name", self.name.as_str());
        span.record("http.request.method", self.method.as_ref());
        if let Some(address) = &self.server_address {
            span.record("server.address", address.as_str());
        }
        if let Some(port) = self.server_port {
            span.record("server.port", port);
        }
        span.record("url.full", self.url_full.as_str());
        if let Some(id) = self.operation_id {
            span.record("ampersand.operation_id", id);
        }
        if let Some(id) = &self.installation_id {
            span.record("ampersand.installation_id", &**id);
        }
        if let Some(count) = self.resend_count {
            span.record("http.request.resend_count", count);
        }
    }
}

/// The method's name if the HTTP specs define it, else `_OTHER` and the original.
fn known_method(method: &Method) -> (Cow<'static, str>, Option<String>) {
    let known = match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "CONNECT" => "CONNECT",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "PATCH" => "PATCH",
        other => return (Cow::Borrowed("_OTHER"), Some(other.to_owned())),
    };
    (Cow::Borrowed(known), None)
}

/// How a request ended.
struct Outcome<'a> {
    status: Option<StatusCode>,
    /// The status code for 4xx/5xx, else the error kind; `None` on success.
    error_type: Option<Cow<'static, str>>,
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    error: Option<&'a Error>,
}

impl<'a> Outcome<'a> {
    fn of(result: &'a Result<Response<Bytes>, Error>) -> Self {
        let (status, error) = match result {
            Ok(response) => (Some(response.status()), None),
            Err(error) => (error.status(), Some(error)),
        };
        let error_type = match (status, error) {
            (Some(status), _) if status.as_u16() >= 400 => {
                Some(Cow::Owned(status.as_u16().to_string()))
            }
            (_, Some(error)) => Some(Cow::Borrowed(error.kind().as_str())),
            _ => None,
        };
        Outcome {
            status,
            error_type,
            error,
        }
    }

    fn record(&self, span: &Span) {
        if let Some(status) = self.status {
            span.record("http.response.status_code", status.as_u16());
        }
        if let Some(error_type) = &self.error_type {
            span.record("error.type", error_type.as_ref());
            span.record("otel.status_code", "ERROR");
        }
    }
}
