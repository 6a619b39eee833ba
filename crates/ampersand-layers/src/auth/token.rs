//! Bearer tokens minted by your code, cached until shortly before they expire.
//!
//! A [`TokenProvider`] returns a [`Token`]: a JWT and, optionally, when it expires. The
//! [`TokenCache`] keeps the last token and hands it to every request until it is about to
//! expire; then the first caller asks the provider for a new one while the others wait for
//! that same refresh (single flight), so fifty concurrent calls cause one provider call.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use ampersand_core::time::instant_after;
use ampersand_core::{BearerToken, BoxError, Error};
use http::HeaderValue;
use tokio::time::Instant;

/// The future a [`TokenProvider`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Token, BoxError>> + Send + 'a>>;

/// Mints Bearer tokens (JWTs) for the client.
///
/// Implement it on your own type, or pass a closure returning a future: any
/// `Fn() -> impl Future<Output = Result<Token, BoxError>>` is a provider.
///
/// The provider is called when there is no cached token, when the cached one is about to
/// expire, and once after the server rejected the cached one with 401. Calls never overlap.
///
/// ```
/// use std::time::Duration;
/// use ampersand_layers::auth::{Token, TokenFuture, TokenProvider};
///
/// /// Signs a JWT with the project's key (signing elided).
/// struct Signer;
///
/// impl TokenProvider for Signer {
///     fn token(&self) -> TokenFuture<'_> {
///         Box::pin(async {
///             let jwt = String::from("eyJhbGciOi...");
///             Ok(Token::new(jwt).expires_in(Duration::from_secs(600)))
///         })
///     }
/// }
///
/// // A closure works as well.
/// let provider = || async { Ok(Token::new("eyJhbGciOi...").expires_in(Duration::from_secs(600))) };
/// # fn is_provider(_: impl TokenProvider) {}
/// # is_provider(Signer);
/// # is_provider(provider);
/// ```
pub trait TokenProvider: Send + Sync {
    /// Returns a fresh token. An error fails the call with
    /// [`ErrorKind::Auth`](ampersand_core::ErrorKind::Auth), the error kept as its source.
    fn token(&self) -> TokenFuture<'_>;
}

impl<F, Fut> TokenProvider for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token, BoxError>> + Send + 'static,
{
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self())
    }
}

/// A Bearer token and when it expires.
///
/// `Debug` shows the expiry, never the token.
#[derive(Clone)]
#[must_use]
pub struct Token {
    bearer: BearerToken,
    expires_at: Option<Instant>,
}

impl Token {
    /// A token that never expires (it is still refetched after a 401).
    pub fn new(token: impl Into<BearerToken>) -> Self {
        Token {
            bearer: token.into(),
            expires_at: None,
        }
    }

    /// The token expires `lifetime` from now. A lifetime past what the clock can hold (such
    /// as `Duration::MAX`) means it never expires.
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_at = instant_after(Instant::now(), lifetime);
        self
    }

    /// The token expires at `at`, a wall-clock time such as a JWT's `exp` claim
    /// (`UNIX_EPOCH + Duration::from_secs(exp)`). A time in the past means expired already;
    /// one past what the clock can hold means it never expires.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        let lifetime = at.duration_since(SystemTime::now()).unwrap_or_default();
        self.expires_at = instant_after(Instant::now(), lifetime);
        self
    }

    /// The token.
    pub fn bearer(&self) -> &BearerToken {
        &self.bearer
    }

    /// When the token expires, on tokio's clock; `None` if it does not.
    pub fn expiry(&self) -> Option<Instant> {
        self.expires_at
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("bearer", &self.bearer)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A token in the cache: its header value, made once, and when to stop using it.
pub(crate) struct CachedToken {
    pub(crate) header: HeaderValue,
    refresh_at: Option<Instant>,
}

impl CachedToken {
    fn is_fresh(&self, now: Instant) -> bool {
        self.refresh_at.is_none_or(|at| now < at)
    }
}

/// Caches a [`TokenProvider`]'s tokens and refreshes them once for all callers.
///
/// A token is used until `skew` before its expiry; when the token lives less than twice the
/// skew, until half its lifetime, so a short-lived token is still reused.
pub(crate) struct TokenCache {
    provider: Arc<dyn TokenProvider>,
    skew: Duration,
    current: Mutex<Option<Arc<CachedToken>>>,
    refresh: tokio::sync::Mutex<()>,
}

impl TokenCache {
    pub(crate) fn new(provider: Arc<dyn TokenProvider>, skew: Duration) -> Self {
        TokenCache {
            provider,
            skew,
            current: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    fn fresh(&self) -> Option<Arc<CachedToken>> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|token| token.is_fresh(Instant::now()))
            .cloned()
    }

    /// A token fresh enough to send, from the cache or from the provider.
    pub(crate) async fn get(&self) -> Result<Arc<CachedToken>, Error> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        // One caller refreshes; the others wait here and then find its token.
        let _refreshing = self.refresh.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        tracing::debug!(target: "ampersand::auth", "fetching a Bearer token from the provider");
        let fetched_at = Instant::now();
        let token = self
            .provider
            .token()
            .await
            .map_err(|source| Error::auth_with_source("the token provider failed", source))?;
        let refresh_at = token.expires_at.map(|expires_at| {
            let lifetime = expires_at.saturating_duration_since(fetched_at);
            expires_at - self.skew.min(lifetime / 2)
        });
        let cached = Arc::new(CachedToken {
            header: token.bearer.header_value()?,
            refresh_at,
        });
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(cached.clone());
        Ok(cached)
    }

    /// Forgets `rejected` (the server answered 401 to it), unless another caller already
    /// replaced it, so that many rejected calls cause one refresh.
    pub(crate) fn invalidate(&self, rejected: &Arc<CachedToken>) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current
            .as_ref()
            .is_some_and(|token| Arc::ptr_eq(token, rejected))
        {
            *current = None;
        }
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("skew", &self.skew)
            .finish_non_exhaustive()
    }
}
