//! Minting RS256 tokens for the embedded UI: the claims, the signer and what it returns.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ampersand_core::BearerToken;
use serde::{Deserialize, Serialize};

use super::{JwtError, MAX_LIFETIME, SigningKey};

/// The claims of an embedded-UI token, as Ampersand reads them.
///
/// `sub` is the consumer (the end user the browser acts for); `iat` and `exp` are seconds
/// since the Unix epoch, `exp - iat` at most [`MAX_LIFETIME`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Claims {
    /// The subject: the consumer reference.
    pub sub: String,
    /// The group (the customer's organisation or workspace) the browser acts in.
    pub group_ref: String,
    /// The consumer (end user) the browser acts for.
    pub consumer_ref: String,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: u64,
    /// Expires at, in seconds since the Unix epoch.
    pub exp: u64,
}

/// A signed token and its validity: what [`JwtSigner::mint`] returns.
///
/// `Debug` shows the validity and redacts the token.
#[derive(Clone)]
pub struct MintedToken {
    token: BearerToken,
    issued_at: SystemTime,
    expires_at: SystemTime,
}

impl MintedToken {
    /// Wraps a signed token and its validity (for your own [`Mint`](super::Mint)
    /// implementation).
    pub fn new(
        token: impl Into<BearerToken>,
        issued_at: SystemTime,
        expires_at: SystemTime,
    ) -> Self {
        MintedToken {
            token: token.into(),
            issued_at,
            expires_at,
        }
    }

    /// The token, to send as `Authorization: Bearer` (or hand to the browser).
    pub fn token(&self) -> &BearerToken {
        &self.token
    }

    /// The `iat` claim.
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }

    /// The `exp` claim.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// `exp - iat`.
    pub fn lifetime(&self) -> Duration {
        self.expires_at
            .duration_since(self.issued_at)
            .unwrap_or_default()
    }
}

impl fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintedToken")
            .field("token", &self.token)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Mints RS256 tokens with one private key and the key id Ampersand gave its public half.
///
/// ```no_run
/// # fn demo(pem: &str) -> Result<(), ampersand::jwt::JwtError> {
/// use std::time::Duration;
/// use ampersand::jwt::{JwtSigner, SigningKey};
///
/// let key = SigningKey::from_pem(pem)?;
/// let signer = JwtSigner::new(key, "kid-from-createJwtKey")?.with_lifetime(Duration::from_secs(300))?;
/// let minted = signer.mint("consumer-42", "group-7")?;
/// // hand minted.token() to the browser
/// # let _ = minted; Ok(()) }
/// ```
///
/// The header is `{"alg": "RS256", "typ": "JWT", "kid": ...}`; the claims are [`Claims`].
/// Cloning is cheap (the key is shared).
#[derive(Clone)]
pub struct JwtSigner {
    key: SigningKey,
    kid: String,
    lifetime: Duration,
}

impl JwtSigner {
    /// A signer for `key` registered as `kid`, minting tokens of [`MAX_LIFETIME`].
    ///
    /// Refuses an empty `kid`.
    pub fn new(key: SigningKey, kid: impl Into<String>) -> Result<Self, JwtError> {
        let kid = kid.into();
        if kid.trim().is_empty() {
            return Err(JwtError::EmptyKeyId);
        }
        Ok(JwtSigner {
            key,
            kid,
            lifetime: MAX_LIFETIME,
        })
    }

    /// Sets how long each token is valid (`exp - iat`).
    ///
    /// Default is [`MAX_LIFETIME`] (600 s). Zero, or more than 600 s (the service rejects
    /// such tokens), is refused. Whole seconds are used: the claims are in seconds.
    pub fn with_lifetime(mut self, lifetime: Duration) -> Result<Self, JwtError> {
        if lifetime.as_secs() == 0 || lifetime > MAX_LIFETIME {
            return Err(JwtError::InvalidLifetime { lifetime });
        }
        self.lifetime = Duration::from_secs(lifetime.as_secs());
        Ok(self)
    }

    /// The key id sent in each token's header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The lifetime of each token.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The key this signer signs with.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Mints a token for `consumer_ref` in `group_ref`, issued now.
    ///
    /// Refuses an empty `consumer_ref` or `group_ref` before signing. The signature (RSA, a
    /// few milliseconds) runs on the calling thread; [`TokenCache`](super::TokenCache)
    /// signs once per (consumer, group) and lifetime.
    pub fn mint(&self, consumer_ref: &str, group_ref: &str) -> Result<MintedToken, JwtError> {
        self.mint_at(consumer_ref, group_ref, SystemTime::now())
    }

    /// Mints a token as [`mint`](Self::mint) does, issued at `issued_at` (a wall-clock time
    /// you control, e.g. in tests).
    pub fn mint_at(
        &self,
        consumer_ref: &str,
        group_ref: &str,
        issued_at: SystemTime,
    ) -> Result<MintedToken, JwtError> {
        if consumer_ref.trim().is_empty() {
            return Err(JwtError::EmptyClaim {
                claim: "consumerRef",
            });
        }
        if group_ref.trim().is_empty() {
            return Err(JwtError::EmptyClaim { claim: "groupRef" });
        }
        // Whole seconds, as the claims carry them, so `expires_at` is exactly `exp`.
        let iat = issued_at
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let exp = iat + self.lifetime.as_secs();
        let claims = Claims {
            sub: consumer_ref.to_owned(),
            group_ref: group_ref.to_owned(),
            consumer_ref: consumer_ref.to_owned(),
            iat,
            exp,
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, self.key.encoding_key())
            .map_err(JwtError::Signing)?;
        Ok(MintedToken::new(
            token,
            UNIX_EPOCH + Duration::from_secs(iat),
            UNIX_EPOCH + Duration::from_secs(exp),
        ))
    }
}

impl fmt::Debug for JwtSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSigner")
            .field("kid", &self.kid)
            .field("lifetime", &self.lifetime)
            .field("key", &self.key)
            .finish()
    }
}
