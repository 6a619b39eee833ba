//! [`ClientBuilder`]: credentials, hosts, the default stack's settings, and your own layers.
//!
//! The builder assembles the default stack (see `ARCHITECTURE.md` for the order and why):
//!
//! ```text
//! your layers (outermost, last added first)
//!   retry (backoff, budget, overall deadline)
//!     rate limit (per-host quota, shared 429 cooldown)
//!       auth (per attempt: a refreshed token applies on retry)
//!         trace (one span per attempt)
//!           attempt timeout
//!             problem decoding (non-2xx -> typed API error)
//!               identity headers
//!                 transport (hyper + rustls, or yours)
//! ```
//!
//! Every piece is configurable or removable, and [`ClientBuilder::layer`] adds your own tower
//! layers on top without rebuilding the defaults. Each call to `layer` wraps what is there, so
//! the layer added last sees the call first.

use std::sync::Arc;
use std::time::Duration;

use ampersand_core::{ApiKey, BearerToken, BoxError, Error, Host};
use ampersand_layers::auth::{AuthLayer, Credentials, TokenProvider};
use ampersand_layers::identity::IdentityLayer;
use ampersand_layers::problem::ProblemLayer;
use ampersand_layers::rate_limit::{RateLimitConfig, RateLimitLayer};
use ampersand_layers::retry::{RetryConfig, RetryLayer};
use ampersand_layers::timeout::{AttemptTimeoutLayer, DeadlineLayer};
use ampersand_layers::trace::TraceLayer;
use bytes::Bytes;
use tower::layer::util::{Identity, Stack};
use tower::util::{BoxCloneSyncService, Either};
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

use crate::base_url::{BaseUrl, BaseUrls};
use crate::client::{Client, HttpService};
use crate::shared_stack::SharedStack;
use crate::transport::{HyperTransport, ProxyConfig, TransportConfig};

/// The environment variable holding an API key (the official CLI's name).
pub const ENV_API_KEY: &str = "AMP_API_KEY";
/// The environment variable holding the platform API's origin; `/v1` is appended, as the
/// official CLI does (`AMP_API_URL=http://127.0.0.1:8080` -> `http://127.0.0.1:8080/v1`),
/// unless the URL already ends in `/v1` (`http://127.0.0.1:8080/api/v1`, as the mock prints).
pub const ENV_API_URL: &str = "AMP_API_URL";
/// The environment variable holding the read API's base URL (with its `/v1`).
pub const ENV_READ_URL: &str = "AMP_READ_URL";
/// The environment variable holding the write API's base URL (with its `/v1`).
pub const ENV_WRITE_URL: &str = "AMP_WRITE_URL";
/// The environment variable holding the search API's base URL (with its `/v1`).
pub const ENV_SEARCH_URL: &str = "AMP_SEARCH_URL";
/// The environment variable holding the Proxy API's base URL (`https://proxy.withampersand.com`
/// by default), used as it is.
pub const ENV_PROXY_URL: &str = "AMP_PROXY_URL";

/// Builds a [`Client`].
///
/// ```no_run
/// use std::time::Duration;
/// use ampersand::Client;
/// use ampersand::layers::retry::RetryConfig;
///
/// # fn demo() -> Result<(), ampersand::Error> {
/// let client = Client::builder()
///     .api_key("amp_...")
///     .retry(RetryConfig::default().max_attempts(5))
///     .attempt_timeout(Duration::from_secs(10))
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[must_use]
pub struct ClientBuilder<L = Identity> {
    api_key: Option<ApiKey>,
    bearer: Option<BearerToken>,
    token_provider: Option<Arc<dyn TokenProvider>>,
    base_urls: BaseUrls,
    deferred: Option<Error>,
    retry: Option<RetryConfig>,
    rate_limit: Option<RateLimitConfig>,
    attempt_timeout: Option<Duration>,
    deadline: Option<Duration>,
    tracing: bool,
    identity: bool,
    allow_insecure_http: bool,
    transport_config: TransportConfig,
    transport: Option<SharedStack>,
    layers: L,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("bearer", &self.bearer)
            .field("token_provider", &self.token_provider.is_some())
            .field("base_urls", &self.base_urls)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("deadline", &self.deadline)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("transport_config", &self.transport_config)
            .field("custom_transport", &self.transport.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// A builder with the defaults: production hosts, retries on (see [`RetryConfig`]), a
    /// 30 s attempt timeout, a 120 s overall deadline, tracing and identity headers on, no
    /// client-side quota (the 429 cooldown still applies), the hyper + rustls transport.
    pub fn new() -> Self {
        ClientBuilder {
            api_key: None,
            bearer: None,
            token_provider: None,
            base_urls: BaseUrls::default(),
            deferred: None,
            retry: Some(RetryConfig::default()),
            rate_limit: Some(RateLimitConfig::default()),
            attempt_timeout: Some(Duration::from_secs(30)),
            deadline: Some(Duration::from_secs(120)),
            tracing: true,
            identity: true,
            allow_insecure_http: false,
            transport_config: TransportConfig::default(),
            transport: None,
            layers: Identity::new(),
        }
    }
}

impl<L> ClientBuilder<L> {
    /// Authenticates with an API key (`X-Api-Key`).
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Authenticates with a fixed Bearer JWT (needed by Bearer-only operations such as
    /// createProject and the org endpoints).
    pub fn bearer_token(mut self, token: impl Into<BearerToken>) -> Self {
        self.bearer = Some(token.into());
        self.token_provider = None;
        self
    }

    /// Authenticates with Bearer JWTs minted by your code; tokens are cached until shortly
    /// before they expire and refreshed once for all concurrent callers.
    pub fn token_provider(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.token_provider = Some(Arc::new(provider));
        self.bearer = None;
        self
    }

    /// Reads `AMP_API_KEY`, `AMP_API_URL` (see [`api_origin`](Self::api_origin)) and the
    /// base URLs `AMP_READ_URL`, `AMP_WRITE_URL`, `AMP_SEARCH_URL` and `AMP_PROXY_URL` from the environment,
    /// when set (what `ampersand-mock` prints at start-up is in this form), and the egress
    /// proxy from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (upper or lower
    /// case; see [`ProxyConfig`]).
    pub fn from_env(self) -> Self {
        self.from_env_with(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) reading through `lookup` (a variable's name to its
    /// value) instead of the process environment.
    pub fn from_env_with(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
        if let Some(key) = var(ENV_API_KEY) {
            self = self.api_key(key);
        }
        if let Some(url) = var(ENV_API_URL) {
            self = self.api_origin(&url);
        }
        for (name, host) in [
            (ENV_READ_URL, Host::Read),
            (ENV_WRITE_URL, Host::Write),
            (ENV_SEARCH_URL, Host::Search),
        ] {
            if let Some(url) = var(name) {
                self = self.base_url(host, &url);
            }
        }
        if let Some(url) = var(ENV_PROXY_URL) {
            self = self.base_url(Host::Proxy, &url);
        }
        let proxy = ProxyConfig::from_lookup(lookup);
        if proxy.is_enabled() {
            self = self.proxy(proxy);
        }
        self
    }

    /// Sets the platform API's origin, appending `/v1` (like `AMP_API_URL`) unless it already
    /// ends in `/v1`: `http://127.0.0.1:8080` and `http://127.0.0.1:8080/v1` give the same
    /// base URL.
    pub fn api_origin(self, origin: &str) -> Self {
        let origin = origin.trim_end_matches('/');
        let url = if origin.ends_with("/v1") {
            origin.to_owned()
        } else {
            format!("{origin}/v1")
        };
        self.base_url(Host::Api, &url)
    }

    /// Sets the base URL of one host, e.g. `https://read.withampersand.com/v1`. A URL without
    /// a host or with a scheme other than http/https makes [`build`](Self::build) fail.
    pub fn base_url(mut self, host: Host, url: &str) -> Self {
        match BaseUrl::parse(url) {
            Ok(url) => self.base_urls.set(host, url),
            Err(error) => {
                self.deferred.get_or_insert(error);
            }
        }
        self
    }

    /// Sets the base URL of every host, the proxy included, to the same value (a server serving
    /// them all).
    pub fn base_url_all(mut self, url: &str) -> Self {
        for host in Host::ALL {
            self = self.base_url(host, url);
        }
        self
    }

    /// Replaces the retry settings.
    pub fn retry(mut self, config: RetryConfig) -> Self {
        self.retry = Some(config);
        self
    }

    /// Removes the retry layer: every call is sent once.
    pub fn no_retry(mut self) -> Self {
        self.retry = None;
        self
    }

    /// Replaces the client-side rate limit settings.
    pub fn rate_limit(mut self, config: RateLimitConfig) -> Self {
        self.rate_limit = Some(config);
        self
    }

    /// Removes the rate limit layer (and with it the shared 429 cooldown).
    pub fn no_rate_limit(mut self) -> Self {
        self.rate_limit = None;
        self
    }

    /// The time allowed for each attempt; `None` removes the attempt timeout.
    pub fn attempt_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.attempt_timeout = timeout.into();
        self
    }

    /// The time allowed for a whole call, retries and waits included; `None` for no limit.
    pub fn deadline(mut self, deadline: impl Into<Option<Duration>>) -> Self {
        self.deadline = deadline.into();
        self
    }

    /// Turns the tracing layer on or off.
    pub fn tracing(mut self, enabled: bool) -> Self {
        self.tracing = enabled;
        self
    }

    /// Turns the identity headers (`User-Agent`, `X-Amp-Client`) on or off.
    pub fn identity_headers(mut self, enabled: bool) -> Self {
        self.identity = enabled;
        self
    }

    /// Allows credentials over plain `http://` to hosts other than loopback. Off by default.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// How long to wait for a connection. Default: 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport_config.connect_timeout = timeout;
        self
    }

    /// The largest response body accepted, in bytes. Default: 32 MiB.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.transport_config.max_response_body = bytes;
        self
    }

    // TLS and egress proxy: all kept in `transport_config` (its `tls` and `proxy` fields).

    /// Trusts the certificates of `pem` (one or more `BEGIN CERTIFICATE` blocks) as roots,
    /// beside the default ones: a private certificate authority. A PEM without a certificate
    /// makes [`build`](Self::build) fail.
    pub fn add_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        if let Err(error) = self
            .transport_config
            .tls
            .add_root_certificates_pem(pem.as_ref())
        {
            self.deferred.get_or_insert(error);
        }
        self
    }

    /// Uses your rustls `ClientConfig` for TLS (your roots and verifier, a client
    /// certificate for mutual TLS); the transport sets only its ALPN protocols. See
    /// [`TlsConfig::client_config`](crate::transport::TlsConfig::client_config).
    pub fn tls_client_config(mut self, config: rustls::ClientConfig) -> Self {
        self.transport_config.tls.client_config(config);
        self
    }

    /// Sends through an egress proxy. Default: none, unless [`from_env`](Self::from_env)
    /// found one.
    ///
    /// ```no_run
    /// use ampersand::transport::ProxyConfig;
    /// # fn demo() -> Result<(), ampersand::Error> {
    /// let client = ampersand::Client::builder()
    ///     .api_key("amp_...")
    ///     .proxy(ProxyConfig::none().https("http://proxy.internal:3128").no_proxy("localhost"))
    ///     .build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn proxy(mut self, proxy: ProxyConfig) -> Self {
        self.transport_config.proxy = proxy;
        self
    }

    /// Reaches every host directly, whatever the environment says.
    pub fn without_proxy(mut self) -> Self {
        self.transport_config.proxy = ProxyConfig::none();
        self
    }

    /// Replaces the whole transport settings.
    pub fn transport_config(mut self, config: TransportConfig) -> Self {
        self.transport_config = config;
        self
    }

    /// Replaces the hyper transport with any service of the same shape (a test double, a
    /// proxy client). The layers above it are kept.
    pub fn transport<S>(mut self, transport: S) -> Self
    where
        S: Service<http::Request<Bytes>, Response = http::Response<Bytes>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        self.transport = Some(SharedStack::new(
            transport.map_err(|error| Error::from_boxed(error.into())),
        ));
        self
    }

    /// Adds a tower layer of yours around the default stack. It sees each call once, with the
    /// request's absolute URI and the operation's metadata, and the final result.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # fn demo() -> Result<(), ampersand::Error> {
    /// let client = ampersand::Client::builder()
    ///     .api_key("amp_...")
    ///     .layer(tower::limit::ConcurrencyLimitLayer::new(64))
    ///     .build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn layer<T>(self, layer: T) -> ClientBuilder<Stack<L, T>> {
        ClientBuilder {
            api_key: self.api_key,
            bearer: self.bearer,
            token_provider: self.token_provider,
            base_urls: self.base_urls,
            deferred: self.deferred,
            retry: self.retry,
            rate_limit: self.rate_limit,
            attempt_timeout: self.attempt_timeout,
            deadline: self.deadline,
            tracing: self.tracing,
            identity: self.identity,
            allow_insecure_http: self.allow_insecure_http,
            transport_config: self.transport_config,
            transport: self.transport,
            layers: Stack::new(self.layers, layer),
        }
    }

    /// Assembles the default stack around the transport, leaving the user's layers apart.
    fn default_stack(self) -> Result<(SharedStack, BaseUrls, L), Error> {
        if let Some(error) = self.deferred {
            return Err(error);
        }
        let transport = match self.transport {
            Some(transport) => Either::Right(transport),
            None => Either::Left(HyperTransport::new(&self.transport_config)?),
        };
        let credentials = Credentials {
            api_key: self.api_key,
            bearer: self.bearer,
            token_provider: self.token_provider,
        };
        let stack = DefaultStack {
            credentials,
            retry: self.retry,
            rate_limit: self.rate_limit,
            attempt_timeout: self.attempt_timeout,
            deadline: self.deadline,
            tracing: self.tracing,
            identity: self.identity,
            allow_insecure_http: self.allow_insecure_http,
        }
        .assemble(transport)?;
        Ok((stack, self.base_urls, self.layers))
    }
}

impl ClientBuilder<Identity> {
    /// Builds the client. Fails on an invalid base URL or when TLS cannot be set up.
    pub fn build(self) -> Result<Client, Error> {
        let transport_config = self.transport_config.clone();
        let (stack, base_urls, _) = self.default_stack()?;
        Ok(Client::from_stack(stack, base_urls).with_transport_config(transport_config))
    }
}

impl<Inner, Outer> ClientBuilder<Stack<Inner, Outer>> {
    /// Builds the client with your layers around the default stack. Fails on an invalid base
    /// URL or when TLS cannot be set up.
    pub fn build(self) -> Result<Client, Error>
    where
        Stack<Inner, Outer>: Layer<HttpService>,
        <Stack<Inner, Outer> as Layer<HttpService>>::Service: Service<http::Request<Bytes>, Response = http::Response<Bytes>>
            + Clone
            + Send
            + Sync
            + 'static,
        <<Stack<Inner, Outer> as Layer<HttpService>>::Service as Service<http::Request<Bytes>>>::Error:
            Into<BoxError>,
        <<Stack<Inner, Outer> as Layer<HttpService>>::Service as Service<http::Request<Bytes>>>::Future:
            Send + 'static,
    {
        let transport_config = self.transport_config.clone();
        let (stack, base_urls, layers) = self.default_stack()?;
        let service = layers.layer(stack.http_service());
        let service =
            BoxCloneSyncService::new(service.map_err(|error| Error::from_boxed(error.into())));
        Ok(Client::from_service(service, base_urls).with_transport_config(transport_config))
    }
}

/// The transport under the stack: the default hyper client, or the user's (shared, and
/// cloned into each call).
type Transport = Either<HyperTransport, SharedStack>;

/// The settings of the default layers, assembled around a transport.
struct DefaultStack {
    credentials: Credentials,
    retry: Option<RetryConfig>,
    rate_limit: Option<RateLimitConfig>,
    attempt_timeout: Option<Duration>,
    deadline: Option<Duration>,
    tracing: bool,
    identity: bool,
    allow_insecure_http: bool,
}

impl DefaultStack {
    /// Builds the stack from the inside out, typed all the way, and shares it behind one
    /// `Arc`. A layer turned off is not there (`option_layer`), as in kube-client's builder.
    fn assemble(self, transport: Transport) -> Result<SharedStack, Error> {
        let identity = match self.identity {
            true => Some(IdentityLayer::with_version(env!("CARGO_PKG_VERSION"))?),
            false => None,
        };
        let per_attempt = ServiceBuilder::new()
            .option_layer(self.rate_limit.map(RateLimitLayer::new))
            .layer(AuthLayer::new(self.credentials).allow_insecure_http(self.allow_insecure_http))
            .option_layer(self.tracing.then(TraceLayer::new))
            .option_layer(self.attempt_timeout.map(AttemptTimeoutLayer::new))
            .layer(ProblemLayer::new())
            .option_layer(identity)
            .service(transport);
        // The retry layer owns the call's deadline; without it, the deadline layer does.
        let stack = match self.retry {
            Some(retry) => {
                let retry = match self.deadline {
                    Some(deadline) => retry.deadline(deadline),
                    None => retry,
                };
                Either::Left(RetryLayer::new(retry).layer(per_attempt))
            }
            None => {
                let deadline = match self.deadline {
                    Some(deadline) => DeadlineLayer::new(deadline),
                    None => DeadlineLayer::per_call_only(),
                };
                Either::Right(deadline.layer(per_attempt))
            }
        };
        Ok(SharedStack::new(stack))
    }
}
