//! One token per (consumer, group), signed once and handed out until shortly before it
//! expires.
//!
//! Each (consumer, group) pair has a slot behind its own async mutex. A caller locks its
//! pair's slot; if the slot holds a token that is still fresh, it gets a copy; otherwise it
//! signs while holding the lock, so callers that arrive meanwhile wait for that signature
//! instead of signing again (single flight). Pairs never wait for each other.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ampersand_layers::auth::{Token, TokenFuture, TokenProvider};
use tokio::time::Instant;

use super::{JwtError, JwtSigner, MintedToken};

/// What a [`TokenCache`] signs with: [`JwtSigner`], or your own (a KMS or HSM signer, a
/// counting wrapper in tests).
pub trait Mint: Send + Sync + 'static {
    /// Mints a token for `consumer_ref` in `group_ref`.
    fn mint(&self, consumer_ref: &str, group_ref: &str) -> Result<MintedToken, JwtError>;
}

impl Mint for JwtSigner {
    fn mint(&self, consumer_ref: &str, group_ref: &str) -> Result<MintedToken, JwtError> {
        JwtSigner::mint(self, consumer_ref, group_ref)
    }
}

/// How many pairs the cache holds before it drops the ones whose token has expired.
const PRUNE_AT: usize = 1024;

/// Tokens per (consumer, group), minted once and reused until shortly before they expire.
///
/// A backend that serves the embedded UI answers the browser's token requests from here: a
/// page that mounts several components, or many tabs of one user, cause one signature per
/// lifetime, not one per request. Concurrent requests for the same pair wait for one
/// signature.
///
/// ```no_run
/// # async fn demo(signer: ampersand::jwt::JwtSigner) -> Result<(), ampersand::jwt::JwtError> {
/// use ampersand::jwt::TokenCache;
///
/// let cache = TokenCache::new(signer);
/// let minted = cache.token("consumer-42", "group-7").await?; // signs
/// let again = cache.token("consumer-42", "group-7").await?; // the same token
/// # let _ = (minted, again); Ok(()) }
/// ```
///
/// Cloning shares the cache. Time is read from tokio's clock, so tests can pause it.
pub struct TokenCache<M = JwtSigner> {
    inner: Arc<Inner<M>>,
}

struct Inner<M> {
    minter: Mutex<Arc<M>>,
    slots: Mutex<HashMap<(String, String), Arc<Slot>>>,
    refresh_before: Duration,
}

type Slot = tokio::sync::Mutex<Option<Cached>>;

struct Cached {
    minted: MintedToken,
    fresh_until: Instant,
}

impl<M> Clone for TokenCache<M> {
    fn clone(&self) -> Self {
        TokenCache {
            inner: self.inner.clone(),
        }
    }
}

impl<M: Mint> TokenCache<M> {
    /// A cache over `minter` that renews a token 60 s before it expires.
    pub fn new(minter: M) -> Self {
        Self::with_refresh_before(minter, Duration::from_secs(60))
    }

    /// A cache that renews each token `refresh_before` its expiry.
    ///
    /// Default (with [`new`](Self::new)) is 60 s, so a browser that receives a token always
    /// has at least a minute left. A margin longer than half a token's lifetime is cut to
    /// half of it, so a token is always reused for a while.
    pub fn with_refresh_before(minter: M, refresh_before: Duration) -> Self {
        TokenCache {
            inner: Arc::new(Inner {
                minter: Mutex::new(Arc::new(minter)),
                slots: Mutex::new(HashMap::new()),
                refresh_before,
            }),
        }
    }

    /// The token for `consumer_ref` in `group_ref`: the cached one while it is fresh, else a
    /// new one (one signature, however many callers ask at once).
    ///
    /// An error (an empty claim, a failed signature) is returned to the callers waiting at
    /// that moment and nothing is cached, so the next call tries again.
    pub async fn token(
        &self,
        consumer_ref: &str,
        group_ref: &str,
    ) -> Result<MintedToken, JwtError> {
        let slot = self.slot(consumer_ref, group_ref);
        let mut cached = slot.lock().await;
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.fresh_until
        {
            return Ok(c.minted.clone());
        }
        let minter = self.minter();
        let minted = minter.mint(consumer_ref, group_ref)?;
        let lifetime = minted.lifetime();
        let margin = self.inner.refresh_before.min(lifetime / 2);
        *cached = Some(Cached {
            minted: minted.clone(),
            fresh_until: Instant::now() + (lifetime - margin),
        });
        Ok(minted)
    }

    /// Signs with `minter` from now on and forgets every cached token: the step of a key
    /// rotation after the new key is registered (see the [module docs](super)).
    ///
    /// Tokens already handed out stay valid until they expire or their key is deactivated.
    pub fn set_minter(&self, minter: M) {
        *self
            .inner
            .minter
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(minter);
        self.lock_slots().clear();
    }

    /// A [`TokenProvider`] for one (consumer, group), for a [`Client`](crate::Client) that
    /// calls Ampersand as that consumer (`ClientBuilder::token_provider`).
    pub fn provider(
        &self,
        consumer_ref: impl Into<String>,
        group_ref: impl Into<String>,
    ) -> CachedTokenProvider<M> {
        CachedTokenProvider {
            cache: self.clone(),
            consumer_ref: consumer_ref.into(),
            group_ref: group_ref.into(),
        }
    }

    fn minter(&self) -> Arc<M> {
        self.inner
            .minter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Arc<Slot>>> {
        self.inner
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn slot(&self, consumer_ref: &str, group_ref: &str) -> Arc<Slot> {
        let mut slots = self.lock_slots();
        let key = (consumer_ref.to_owned(), group_ref.to_owned());
        if let Some(slot) = slots.get(&key) {
            return slot.clone();
        }
        if slots.len() >= PRUNE_AT {
            let now = Instant::now();
            // A slot in use (locked) is kept; an idle one only while its token is fresh.
            slots.retain(|_, slot| {
                slot.try_lock()
                    .map_or(true, |c| c.as_ref().is_some_and(|c| now < c.fresh_until))
            });
        }
        slots.entry(key).or_default().clone()
    }
}

impl<M> fmt::Debug for TokenCache<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs = self.inner.slots.lock().map(|s| s.len()).unwrap_or_default();
        f.debug_struct("TokenCache")
            .field("pairs", &pairs)
            .field("refresh_before", &self.inner.refresh_before)
            .finish_non_exhaustive()
    }
}

/// The [`TokenProvider`] of one (consumer, group) of a [`TokenCache`]
/// ([`TokenCache::provider`]).
pub struct CachedTokenProvider<M = JwtSigner> {
    cache: TokenCache<M>,
    consumer_ref: String,
    group_ref: String,
}

impl<M> fmt::Debug for CachedTokenProvider<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedTokenProvider")
            .field("consumer_ref", &self.consumer_ref)
            .field("group_ref", &self.group_ref)
            .finish_non_exhaustive()
    }
}

impl<M: Mint> TokenProvider for CachedTokenProvider<M> {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let minted = self
                .cache
                .token(&self.consumer_ref, &self.group_ref)
                .await?;
            Ok(Token::new(minted.token().clone()).expires_at(minted.expires_at()))
        })
    }
}
