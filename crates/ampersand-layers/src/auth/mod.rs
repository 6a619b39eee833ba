//! Authentication: an API key, a Bearer JWT, or Bearer JWTs minted by your code.
//!
//! [`AuthLayer`] adds one credential to each request, chosen from the operation's
//! [`AuthSchemes`] (read from the request's [`CallContext`]):
//!
//! | operation accepts | credential sent |
//! |---|---|
//! | API key or Bearer (the platform default) | the API key if the client has one, else the Bearer token |
//! | Bearer only (createProject, orgs, invites, ...) | the Bearer token |
//! | API key only | the API key |
//! | nothing (`security: []`, e.g. the providers) | none |
//!
//! The API key is preferred where both are accepted because it is long-lived: no refresh, no
//! provider call on the hot path. A request without a [`CallContext`] is treated as accepting
//! either.
//!
//! When the client lacks what an operation needs, the call fails at once with
//! [`ErrorKind::Auth`](ampersand_core::ErrorKind::Auth), naming the operation and the missing
//! credential, and nothing is sent. Credentials are never sent over plain `http://` to a host
//! other than loopback (`127.0.0.0/8`, `::1`, `localhost`) unless
//! [`AuthLayer::allow_insecure_http`] says so; such a call fails the same way.
//!
//! Bearer tokens from a [`TokenProvider`] are cached until shortly before they expire (see
//! [`AuthLayer::refresh_skew`]), refreshed once for all concurrent callers, and refetched once
//! when the server answers 401 to a cached token. Place the layer above the problem-decoding
//! layer (it then sees the 401 as an error) and below the retry layer (each attempt is then
//! authorised afresh).
//!
//! Credentials live in [`ApiKey`] and [`BearerToken`], which print as `<redacted>`; header
//! values are marked sensitive.
//!
//! # Example
//!
//! ```
//! use ampersand_core::{ApiKey, AuthSchemes, CallContext};
//! use ampersand_layers::auth::{AuthLayer, Credentials};
//! use bytes::Bytes;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ampersand_core::Error> {
//! let transport = tower::service_fn(|request: http::Request<Bytes>| async move {
//!     // A real transport sends the request; this one echoes whether a key came along.
//!     let has_key = request.headers().contains_key("x-api-key");
//!     Ok::<_, std::convert::Infallible>(http::Response::new(Bytes::from(has_key.to_string())))
//! });
//! let service = ServiceBuilder::new()
//!     .layer(AuthLayer::new(Credentials::default().with_api_key(ApiKey::new("amp_..."))))
//!     .service(transport);
//!
//! let mut request = http::Request::new(Bytes::new());
//! *request.uri_mut() = "https://api.withampersand.com/v1/projects".parse().unwrap();
//! request.extensions_mut().insert(
//!     CallContext::new().with_operation_id("listProjects").with_auth(AuthSchemes::API_KEY_OR_BEARER),
//! );
//! let response = service.oneshot(request).await?;
//! assert_eq!(response.body(), "true");
//! # Ok(()) }
//! ```

mod token;

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ampersand_core::{ApiKey, AuthSchemes, BearerToken, BoxError, CallContext, Error};
use bytes::Bytes;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use tower::{Layer, Service, ServiceExt};

use token::{CachedToken, TokenCache};
pub use token::{Token, TokenFuture, TokenProvider};

/// The header that carries an API key.
pub const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// How long before a provider token's expiry it is replaced, by default: 60 seconds (kube's
/// choice for exec credentials), enough for clock skew and a slow call.
pub const DEFAULT_REFRESH_SKEW: Duration = Duration::from_secs(60);

/// The credentials a client holds. Any may be absent.
///
/// When both `bearer` and `token_provider` are set, the provider is used.
#[derive(Clone, Default)]
#[must_use]
pub struct Credentials {
    /// An API key, sent as `X-Api-Key`.
    pub api_key: Option<ApiKey>,
    /// A fixed Bearer JWT, sent as `Authorization: Bearer <jwt>`.
    pub bearer: Option<BearerToken>,
    /// Mints Bearer JWTs on demand; see [`TokenProvider`].
    pub token_provider: Option<Arc<dyn TokenProvider>>,
}

impl Credentials {
    /// Sets the API key.
    pub fn with_api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Sets a fixed Bearer token.
    pub fn with_bearer(mut self, token: impl Into<BearerToken>) -> Self {
        self.bearer = Some(token.into());
        self
    }

    /// Sets a token provider.
    pub fn with_token_provider(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.token_provider = Some(Arc::new(provider));
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("bearer", &self.bearer)
            .field("token_provider", &self.token_provider.is_some())
            .finish()
    }
}

/// Where Bearer tokens come from.
#[derive(Clone)]
enum BearerSource {
    Static(Fixed<BearerToken>),
    Provider(Arc<TokenCache>),
}

/// A fixed credential and its header value, made once rather than per request.
#[derive(Clone)]
struct Fixed<C> {
    credential: C,
    /// `None` when the credential cannot be a header value; each request then fails with the
    /// error that explains why.
    header: Option<HeaderValue>,
}

impl<C> Fixed<C> {
    fn new(credential: C, header: impl FnOnce(&C) -> Result<HeaderValue, Error>) -> Self {
        let header = header(&credential).ok();
        Fixed { credential, header }
    }

    fn header(
        &self,
        make: impl FnOnce(&C) -> Result<HeaderValue, Error>,
    ) -> Result<HeaderValue, Error> {
        match &self.header {
            Some(value) => Ok(value.clone()),
            None => make(&self.credential),
        }
    }
}

/// The layer's settings, shared by every service it makes (and so by every clone of a client).
#[derive(Clone)]
struct Shared {
    api_key: Option<Fixed<ApiKey>>,
    bearer: Option<BearerSource>,
    provider: Option<Arc<dyn TokenProvider>>,
    allow_insecure_http: bool,
}

/// Adds the operation's credential to each request; see the [module docs](self).
#[derive(Clone)]
pub struct AuthLayer {
    shared: Arc<Shared>,
}

impl AuthLayer {
    /// A layer sending `credentials`, refusing plain `http://` to non-loopback hosts, and
    /// refreshing provider tokens [`DEFAULT_REFRESH_SKEW`] before they expire.
    pub fn new(credentials: Credentials) -> Self {
        let provider = credentials.token_provider;
        let bearer = match (&provider, credentials.bearer) {
            (Some(provider), _) => Some(BearerSource::Provider(Arc::new(TokenCache::new(
                provider.clone(),
                DEFAULT_REFRESH_SKEW,
            )))),
            (None, Some(token)) => Some(BearerSource::Static(Fixed::new(
                token,
                BearerToken::header_value,
            ))),
            (None, None) => None,
        };
        AuthLayer {
            shared: Arc::new(Shared {
                api_key: credentials
                    .api_key
                    .map(|key| Fixed::new(key, ApiKey::header_value)),
                bearer,
                provider,
                allow_insecure_http: false,
            }),
        }
    }

    /// Allows credentials over plain `http://` to hosts other than loopback. Off by default:
    /// such a call fails with an auth error and nothing is sent.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        Arc::make_mut(&mut self.shared).allow_insecure_http = allow;
        self
    }

    /// How long before its expiry a provider token is replaced. Default:
    /// [`DEFAULT_REFRESH_SKEW`]. A token living less than twice the skew is replaced at half
    /// its lifetime instead. Setting it forgets any cached token.
    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        let shared = Arc::make_mut(&mut self.shared);
        if let Some(provider) = &shared.provider {
            shared.bearer = Some(BearerSource::Provider(Arc::new(TokenCache::new(
                provider.clone(),
                skew,
            ))));
        }
        self
    }
}

impl fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bearer = match &self.bearer {
            None => "none",
            Some(BearerSource::Static(_)) => "static",
            Some(BearerSource::Provider(_)) => "provider",
        };
        f.debug_struct("AuthLayer")
            .field("api_key", &self.api_key.as_ref().map(|key| &key.credential))
            .field("bearer", &bearer)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

impl<S> Service<Request<Bytes>> for AuthService<S>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<Bytes>;
    type Error = Error;
    type Future = AuthFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|error| Error::from_boxed(error.into()))
    }

    fn call(&mut self, mut request: Request<Bytes>) -> Self::Future {
        let context = CallContext::of(&request);
        let (schemes, operation) = (context.auth(), context.operation_id());
        let cache = match self.shared.attach(&mut request, schemes, operation) {
            Err(error) => return AuthFuture::new(State::Failed { error: Some(error) }),
            // A fixed credential (or none) is on the request: straight to the inner service.
            Ok(None) => {
                return AuthFuture::new(State::Inner {
                    future: self.inner.call(request),
                });
            }
            Ok(Some(cache)) => cache.clone(),
        };
        // A provider token may have to be fetched first, and fetched again after a 401: the
        // ready service goes with this call, and a fresh clone awaits the next poll_ready.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        AuthFuture::new(State::Provider {
            future: Box::pin(send_with_provider(cache, inner, request, operation)),
        })
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`AuthService`]: the inner service's future when the credential
    /// is fixed, a boxed one when a token provider is asked first.
    pub struct AuthFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F> {
        // The request carries a fixed credential (or needs none).
        Inner { #[pin] future: F },
        // The request could not be authenticated; nothing was sent. Taken on completion.
        Failed { error: Option<Error> },
        // The token provider's path: fetch, send, refetch once after a 401.
        Provider { future: Pin<Box<dyn Future<Output = Result<Response<Bytes>, Error>> + Send>> },
    }
}

impl<F> AuthFuture<F> {
    fn new(state: State<F>) -> Self {
        AuthFuture { state }
    }
}

impl<F, E> Future for AuthFuture<F>
where
    F: Future<Output = Result<Response<Bytes>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<Bytes>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future } => future
                .poll(cx)
                .map_err(|error| Error::from_boxed(error.into())),
            StateProj::Failed { error } => Poll::Ready(Err(error
                .take()
                .unwrap_or_else(|| Error::auth("the auth future was polled after it completed")))),
            StateProj::Provider { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F> fmt::Debug for AuthFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Inner { .. } => "Inner",
            State::Failed { .. } => "Failed",
            State::Provider { .. } => "Provider",
        };
        f.debug_tuple("AuthFuture").field(&state).finish()
    }
}

/// The credential chosen for one request.
enum Chosen<'a> {
    Nothing,
    ApiKey(&'a Fixed<ApiKey>),
    Bearer(&'a BearerSource),
}

impl Shared {
    /// Picks the credential for an operation accepting `schemes`, or explains what is missing.
    fn choose(
        &self,
        schemes: AuthSchemes,
        operation: Option<&'static str>,
    ) -> Result<Chosen<'_>, Error> {
        if schemes.is_anonymous() {
            return Ok(Chosen::Nothing);
        }
        if let Some(key) = self.api_key.as_ref().filter(|_| schemes.api_key) {
            return Ok(Chosen::ApiKey(key));
        }
        if let Some(bearer) = self.bearer.as_ref().filter(|_| schemes.bearer) {
            return Ok(Chosen::Bearer(bearer));
        }
        let message = match (schemes.api_key, schemes.bearer) {
            (false, true) if self.api_key.is_some() => {
                "the operation accepts only a Bearer token and the client has only an API key; \
                 configure a Bearer token or a token provider"
            }
            (false, true) => {
                "the operation accepts only a Bearer token and the client has none; \
                 configure a Bearer token or a token provider"
            }
            (true, false) => {
                "the operation accepts only an API key and the client has none; configure an API key"
            }
            _ => {
                "the operation needs an API key or a Bearer token and the client has neither; \
                 configure one"
            }
        };
        Err(with_operation(Error::auth(message), operation))
    }

    /// Refuses to put a credential on plain HTTP to a host other than loopback.
    fn check_transport(&self, uri: &Uri, operation: Option<&'static str>) -> Result<(), Error> {
        if self.allow_insecure_http || uri.scheme_str() != Some("http") {
            return Ok(());
        }
        let host = uri.host().unwrap_or("");
        if is_loopback(host) {
            return Ok(());
        }
        let message = format!(
            "refusing to send credentials over plain http:// to {host}; use https, a loopback \
             host, or allow insecure HTTP explicitly"
        );
        Err(with_operation(Error::auth(message), operation))
    }

    /// Puts the operation's fixed credential on the request, or returns the token cache to
    /// ask first; fails when the client has no credential the operation accepts, or would
    /// send one over plain HTTP.
    fn attach(
        &self,
        request: &mut Request<Bytes>,
        schemes: AuthSchemes,
        operation: Option<&'static str>,
    ) -> Result<Option<&Arc<TokenCache>>, Error> {
        let chosen = self.choose(schemes, operation)?;
        if !matches!(chosen, Chosen::Nothing) {
            self.check_transport(request.uri(), operation)?;
        }
        let (name, value) = match chosen {
            Chosen::Nothing => return Ok(None),
            Chosen::ApiKey(key) => (API_KEY_HEADER, key.header(ApiKey::header_value)?),
            Chosen::Bearer(BearerSource::Static(token)) => {
                (AUTHORIZATION, token.header(BearerToken::header_value)?)
            }
            Chosen::Bearer(BearerSource::Provider(cache)) => return Ok(Some(cache)),
        };
        request.headers_mut().insert(name, value);
        Ok(None)
    }
}

/// Sends with a provider token: fetched (or cached), and fetched again once if the server
/// answers 401.
async fn send_with_provider<S>(
    cache: Arc<TokenCache>,
    mut inner: S,
    mut request: Request<Bytes>,
    operation: Option<&'static str>,
) -> Result<Response<Bytes>, Error>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>>,
    S::Error: Into<BoxError>,
{
    let token = cache.get().await?;
    let resend = request.clone();
    request
        .headers_mut()
        .insert(AUTHORIZATION, token.header.clone());
    let result = call(&mut inner, request).await;
    if !is_unauthorized(&result) {
        return result;
    }
    // The server rejected the cached token (revoked, or expired early): fetch another once.
    tracing::debug!(
        target: "ampersand::auth",
        operation_id = operation,
        "the server answered 401; refetching the Bearer token once"
    );
    cache.invalidate(&token);
    let token: Arc<CachedToken> = cache.get().await?;
    let mut request = resend;
    request
        .headers_mut()
        .insert(AUTHORIZATION, token.header.clone());
    inner
        .ready()
        .await
        .map_err(|error| Error::from_boxed(error.into()))?;
    call(&mut inner, request).await
}

async fn call<S>(inner: &mut S, request: Request<Bytes>) -> Result<Response<Bytes>, Error>
where
    S: Service<Request<Bytes>, Response = Response<Bytes>>,
    S::Error: Into<BoxError>,
{
    inner
        .call(request)
        .await
        .map_err(|error| Error::from_boxed(error.into()))
}

fn with_operation(error: Error, operation: Option<&'static str>) -> Error {
    match operation {
        Some(id) => error.with_operation(id),
        None => error,
    }
}

/// A 401, whether the layer below turned it into an error or not.
fn is_unauthorized(result: &Result<Response<Bytes>, Error>) -> bool {
    match result {
        Ok(response) => response.status() == StatusCode::UNAUTHORIZED,
        Err(error) => error.is_unauthorized(),
    }
}

/// `localhost`, `127.0.0.0/8` or `::1` (with or without brackets).
fn is_loopback(host: &str) -> bool {
    if host == "127.0.0.1" || host == "[::1]" || host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "localhost.example.com",
            "[::2]",
            "",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn debug_never_shows_credentials() {
        let credentials = Credentials::default()
            .with_api_key("amp_key_secret")
            .with_bearer("jwt_secret");
        let layer = AuthLayer::new(credentials.clone());
        for text in [format!("{credentials:?}"), format!("{layer:?}")] {
            assert!(!text.contains("secret"), "{text}");
        }
    }
}
