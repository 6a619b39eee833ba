//! Why a key, a signer setting or a token request was refused.

use std::fmt;
use std::time::Duration;

/// A refusal of the `jwt` module: a private key that cannot sign RS256, a lifetime the
/// service would reject, an empty claim, or a failure of the signature itself.
///
/// Every check runs before anything is signed, so a refused request never produces a token.
#[derive(Debug)]
#[non_exhaustive]
pub enum JwtError {
    /// The text is not a PEM private key this module can read (`reason` says what is wrong).
    InvalidKey {
        /// What is wrong, e.g. "not PEM" or "an encrypted private key".
        reason: String,
    },
    /// The private key is valid but not an RSA key (RS256 needs RSA).
    NotRsa {
        /// The kind of key found, e.g. `EC` or `Ed25519`.
        found: String,
    },
    /// The RSA key is shorter than [`MIN_KEY_BITS`](super::MIN_KEY_BITS).
    KeyTooSmall {
        /// The key's modulus length in bits.
        bits: usize,
    },
    /// The key id (`kid`) is empty.
    EmptyKeyId,
    /// The token lifetime is zero or longer than [`MAX_LIFETIME`](super::MAX_LIFETIME).
    InvalidLifetime {
        /// The lifetime asked for.
        lifetime: Duration,
    },
    /// A required claim (`consumerRef` or `groupRef`) is empty.
    EmptyClaim {
        /// The claim's name on the wire.
        claim: &'static str,
    },
    /// The signature failed (the crate that signs reported an error).
    Signing(jsonwebtoken::errors::Error),
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::InvalidKey { reason } => write!(f, "invalid private key: {reason}"),
            JwtError::NotRsa { found } => {
                write!(
                    f,
                    "the private key is {found}, not RSA (RS256 needs an RSA key)"
                )
            }
            JwtError::KeyTooSmall { bits } => write!(
                f,
                "the RSA key has {bits} bits; at least {} are required",
                super::MIN_KEY_BITS
            ),
            JwtError::EmptyKeyId => f.write_str("the key id (kid) is empty"),
            JwtError::InvalidLifetime { lifetime } => write!(
                f,
                "a token lifetime of {} s is not allowed: it must be more than 0 and at most {} s",
                lifetime.as_secs_f64(),
                super::MAX_LIFETIME.as_secs()
            ),
            JwtError::EmptyClaim { claim } => write!(f, "the `{claim}` claim is empty"),
            JwtError::Signing(e) => write!(f, "signing the token failed: {e}"),
        }
    }
}

impl std::error::Error for JwtError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JwtError::Signing(e) => Some(e),
            _ => None,
        }
    }
}
