//! The Proxy API: call a customer's SaaS (Salesforce, HubSpot, ...) through Ampersand, with the
//! customer's installed connection, through the client's stack.
//!
//! A [`Proxy`] is made from a [`Client`], the project's id and a [`ProxyTarget`]. The path is
//! the provider's own (relative to the provider's base URL, or the module's that the manifest's
//! `proxy.useModule` picks); verb, query and body go through unchanged, with any content type.
//! The proxy adds `x-amp-proxy-version: 1`, `x-amp-project-id` and the target's headers; the
//! auth layer adds the client's API key (`x-api-key`; a Bearer token is never sent to the
//! proxy, and a client without an API key cannot proxy).
//!
//! ```no_run
//! # async fn demo() -> Result<(), ampersand::Error> {
//! use ampersand::Client;
//! use ampersand::proxy::{ProxyTarget, ResponseExt};
//!
//! let client = Client::builder().api_key("amp_...").build()?;
//! let crm = client.proxy("project-uuid", ProxyTarget::installation("installation-uuid"));
//! let contacts: serde_json::Value = crm
//!     .get("/crm/v3/objects/contacts")
//!     .query(&[("limit", "10")])
//!     .send()
//!     .await?
//!     .error_for_status()?
//!     .json()?;
//! # let _ = contacts; Ok(()) }
//! ```
//!
//! # Answers and errors
//!
//! A call returns `Ok(response)` for **any** answer of the provider, whatever its status: a
//! 404 or a 422 from the provider is an answer you asked for ([`ResponseExt::error_for_status`]
//! turns a non-2xx into an [`Error`] when you want one). Ampersand's own refusals (a bad API
//! key, an unknown installation, a project without the proxy, its rate limiter) are `Err`:
//! Ampersand answers for itself with an RFC 9457 problem (`application/problem+json`), or from
//! its rate limiter with an `X-Amp-Retryable` header, and those answers become
//! [`Error::api`](ampersand_core::Error::api) with the status, headers, body and problem. See
//! [`Answers::Proxied`].
//!
//! # Through the same stack
//!
//! Each request carries a [`CallContext`] the proxy makes:
//!
//! - **retry**: idempotent by the HTTP method (GET, HEAD, OPTIONS, PUT, DELETE) unless
//!   [`CallOptions::idempotent`](ampersand_core::CallOptions::idempotent) says otherwise;
//!   `X-Amp-Retryable: false` is never retried and `true` is (even a POST); `X-Amp-Retry-After`
//!   is honoured, in its `UTC`-suffixed date form too; a provider's 429, 502, 503 or 504 to an
//!   idempotent call is retried as a platform call's would be, and returned when the retries
//!   end;
//! - **rate limiting**: keyed by the installation (or integration and group), not by the
//!   platform API's host quota; a 429 holds only that target's calls. [`Proxy::throttle`] asks
//!   Ampersand to queue rather than refuse (`X-Amp-Rate-Limiter-Mode: throttle`);
//! - **tracing**: one span per attempt named by the method and, when given, the provider path
//!   template ([`ProxyRequestBuilder::path_template`]), with `ampersand.installation_id`; query
//!   values that look like credentials (`access_token`, `api_key`, ...) are redacted;
//! - timeouts, identity headers and your own layers, as for every call.
//!
//! The buffered response keeps the client's response-size limit, or the call's
//! ([`Proxy::max_response_body`], [`ProxyRequestBuilder::max_response_body`]).
//!
//! # Never another host
//!
//! The path is joined to the proxy's base URL (`https://proxy.withampersand.com`, or
//! `AMP_PROXY_URL`, or [`ClientBuilder::base_url`](crate::ClientBuilder::base_url) with
//! [`Host::Proxy`]). An absolute URL, a path that does not start
//! with `/`, or a request carrying its own `Host` or `Authorization` header is refused with a
//! [config error](ampersand_core::ErrorKind::Config) before anything is sent.

mod body;
mod request;
mod response;
mod target;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ampersand_core::{Answers, AuthSchemes, CallContext, Error, Host};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use tower::Service;

pub use body::ProxyBody;
pub use request::ProxyRequestBuilder;
pub use response::ResponseExt;
pub use target::ProxyTarget;

use crate::base_url::BaseUrl;
use crate::client::Client;
use crate::shared_stack::SharedStack;

/// The operation id proxied calls carry (spans, errors).
pub const OPERATION_ID: &str = "proxy";

/// `x-amp-proxy-version`, always `1`.
const PROXY_VERSION: HeaderName = HeaderName::from_static("x-amp-proxy-version");
/// `x-amp-project-id`.
const PROJECT_ID: HeaderName = HeaderName::from_static("x-amp-project-id");
/// `x-amp-rate-limiter-mode`.
const RATE_LIMITER_MODE: HeaderName = HeaderName::from_static("x-amp-rate-limiter-mode");

impl Client {
    /// A handle for proxied calls to the installation `target` of the project `project_id`
    /// (the project's id, not its name). See the [`proxy`](crate::proxy) module.
    pub fn proxy(&self, project_id: impl AsRef<str>, target: ProxyTarget) -> Proxy {
        let base = self.base_urls().get(Host::Proxy).clone();
        let mut headers = HeaderMap::with_capacity(5);
        headers.insert(PROXY_VERSION, HeaderValue::from_static("1"));
        let invalid = target::value("project id", project_id.as_ref())
            .and_then(|id| {
                headers.insert(PROJECT_ID, id);
                target.write_headers(&mut headers)
            })
            .err()
            .map(|error| Arc::from(error.to_string()));
        let mut context = CallContext::new()
            .with_operation_id(OPERATION_ID)
            .with_host(Host::Proxy)
            .with_auth(AuthSchemes::API_KEY)
            .with_answers(Answers::Proxied)
            .with_rate_limit_key(target.rate_limit_key());
        if let Some(id) = target.installation_id() {
            context = context.with_installation_id(id);
        }
        Proxy {
            inner: Arc::new(Inner {
                stack: self.stack().clone(),
                base,
                headers,
                context,
                target,
                invalid,
            }),
        }
    }
}

/// Proxied calls to one installation; see the [module docs](self).
///
/// Cheap to clone (one `Arc`). A `tower::Service<http::Request<B>>` for any [`ProxyBody`]
/// (`Bytes`, `String`, `Vec<u8>`, `Full<Bytes>`, ...), answering `http::Response<Bytes>`; or use
/// [`get`](Self::get), [`post`](Self::post), [`put`](Self::put), [`patch`](Self::patch) and
/// [`delete`](Self::delete).
#[derive(Clone)]
pub struct Proxy {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    stack: SharedStack,
    base: BaseUrl,
    /// The proxy's headers: version, project, target, and the throttle mode when chosen.
    headers: HeaderMap,
    /// The context every call starts from.
    context: CallContext,
    target: ProxyTarget,
    /// Why the project id or target cannot be sent; every call fails with it.
    invalid: Option<Arc<str>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("base", &self.inner.base)
            .field("target", &self.inner.target)
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// Asks Ampersand's rate limiter to queue this handle's calls rather than refuse them
    /// (`X-Amp-Rate-Limiter-Mode: throttle`). Default: off.
    pub fn throttle(self) -> Self {
        self.edit(|inner| {
            inner
                .headers
                .insert(RATE_LIMITER_MODE, HeaderValue::from_static("throttle"));
        })
    }

    /// The largest response body this handle's calls accept, in bytes. Default: the
    /// client's limit.
    pub fn max_response_body(self, bytes: usize) -> Self {
        self.edit(|inner| {
            inner.context = inner.context.clone().with_max_response_body(bytes);
        })
    }

    /// The target.
    pub fn target(&self) -> &ProxyTarget {
        &self.inner.target
    }

    /// A `GET` of the provider's `path` (with its query, if any, kept byte for byte).
    pub fn get(&self, path: impl Into<String>) -> ProxyRequestBuilder {
        self.request(Method::GET, path)
    }

    /// A `POST` to the provider's `path`.
    pub fn post(&self, path: impl Into<String>) -> ProxyRequestBuilder {
        self.request(Method::POST, path)
    }

    /// A `PUT` to the provider's `path`.
    pub fn put(&self, path: impl Into<String>) -> ProxyRequestBuilder {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` of the provider's `path`.
    pub fn patch(&self, path: impl Into<String>) -> ProxyRequestBuilder {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` of the provider's `path`.
    pub fn delete(&self, path: impl Into<String>) -> ProxyRequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// A request with any method to the provider's `path`.
    pub fn request(&self, method: Method, path: impl Into<String>) -> ProxyRequestBuilder {
        ProxyRequestBuilder::new(self.clone(), method, path.into())
    }

    /// Sends one request through the stack; the future owns what it needs.
    pub fn send<B: ProxyBody>(
        &self,
        request: http::Request<B>,
    ) -> impl Future<Output = Result<http::Response<Bytes>, Error>> + Send + 'static {
        let call = self
            .prepare(request.map(ProxyBody::into_bytes))
            .map(|request| self.inner.stack.send(request));
        async move { call?.await }
    }

    /// The request the stack receives: the URI joined to the proxy's base URL, the proxy's
    /// headers, the call's context.
    pub fn prepare(
        &self,
        mut request: http::Request<Bytes>,
    ) -> Result<http::Request<Bytes>, Error> {
        let inner = &*self.inner;
        if let Some(message) = &inner.invalid {
            return Err(refused(message.to_string()));
        }
        let uri = request.uri();
        if uri.scheme().is_some() || uri.authority().is_some() {
            return Err(refused(format!(
                "`{uri}` is an absolute URL; a proxied call takes the provider's path (such as \
                 `/crm/v3/objects/contacts`), which is sent to the proxy host only"
            )));
        }
        if !uri.path().starts_with('/') {
            return Err(refused(format!(
                "the proxied path `{uri}` must start with `/` (the provider's path from its base URL)"
            )));
        }
        if request.headers().contains_key(http::header::HOST) {
            return Err(refused(
                "a proxied request must not carry a Host header: the proxy host is the only one \
                 it goes to"
                    .to_owned(),
            ));
        }
        if request.headers().contains_key(http::header::AUTHORIZATION) {
            return Err(refused(
                "a proxied request must not carry an Authorization header: Ampersand adds the \
                 provider's credentials, and the client authenticates to Ampersand with its API key"
                    .to_owned(),
            ));
        }
        *request.uri_mut() = inner.base.join(uri.path_and_query())?;
        let headers = request.headers_mut();
        for (name, value) in &inner.headers {
            headers.insert(name, value.clone());
        }
        let mut context = inner.context.clone();
        if let Some(own) = request.extensions_mut().remove::<CallContext>() {
            context = context.with_options(own.options().clone());
            if let Some(template) = own.path_template() {
                context = context.with_path_template(template.to_owned());
            }
            if let Some(limit) = own.max_response_body() {
                context = context.with_max_response_body(limit);
            }
        }
        request.extensions_mut().insert(context);
        Ok(request)
    }

    fn edit(mut self, change: impl FnOnce(&mut Inner)) -> Self {
        change(Arc::make_mut(&mut self.inner));
        self
    }
}

fn refused(message: String) -> Error {
    Error::config(message).with_operation(OPERATION_ID)
}

/// The future of `<Proxy as Service<_>>::call`.
pub type ProxyFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, Error>> + Send + 'static>>;

impl<B: ProxyBody> Service<http::Request<B>> for Proxy {
    type Response = http::Response<Bytes>;
    type Error = Error;
    type Future = ProxyFuture;

    /// Always ready: each call drives its own clone of the client's stack.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> ProxyFuture {
        match self.prepare(request.map(ProxyBody::into_bytes)) {
            Ok(request) => self.inner.stack.send(request),
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }
}
