//! Tokens for Ampersand's embedded UI components (the `jwt` feature).
//!
//! A backend that embeds Ampersand's UI components (the React library's installation and
//! connection flows) hands its users' browsers short-lived JWTs instead of an API key. The
//! browser sends them as `Authorization: Bearer`; Ampersand checks them against a public key
//! the backend registered. This module does the backend's half:
//!
//! - [`SigningKey`] reads an RSA private key (PEM) and refuses anything that cannot sign
//!   RS256 (not PEM, encrypted, a public key, EC or Ed25519, shorter than 2048 bits).
//! - [`JwtSigner`] mints RS256 tokens: header `kid` (the id `createJwtKey` returned), claims
//!   `sub`, `groupRef`, `consumerRef`, `iat`, `exp` ([`Claims`]) with `exp - iat` at most
//!   [`MAX_LIFETIME`] (600 s). A longer lifetime, an empty `consumerRef` or `groupRef` is
//!   refused before anything is signed.
//! - [`TokenCache`] hands out one token per (consumer, group) until shortly before it
//!   expires; concurrent requests for the same pair cause one signature.
//! - [`register`], [`register_public_key`] and [`retire`] register and retire keys.
//!
//! ```no_run
//! # async fn demo(client: ampersand::Client, pem: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use ampersand::jwt::{self, SigningKey, TokenCache};
//!
//! let key = SigningKey::from_pem(pem)?;
//! let signer = jwt::register(&client, "my-project", "backend-2026-12", key).await?;
//! let cache = TokenCache::new(signer);
//!
//! // In the handler the browser calls for a token:
//! let minted = cache.token("consumer-42", "group-7").await?;
//! let body = minted.token().secret().expose(); // send it to the browser
//! # let _ = body; Ok(()) }
//! ```
//!
//! # Rotating the key
//!
//! One flow, with no moment where a browser holds a token Ampersand rejects:
//!
//! 1. Register the new key: `let signer = jwt::register(&client, project, label, new_key).await?`.
//! 2. Mint with it: `cache.set_minter(signer)`. Cached tokens are forgotten; the next
//!    request of each (consumer, group) gets a token signed with the new key.
//! 3. Wait [`MAX_LIFETIME`]: every token signed with the old key has expired by then.
//! 4. Retire the old key: `jwt::retire(&client, project, &old_kid).await?` deactivates it
//!    (`updateJwtKey`, `active: false`), then deletes it (`deleteJwtKey`).
//!
//! `cargo run -p ampersand --features jwt --example embedded_ui_token` runs the whole flow
//! against the embedded mock, which verifies the tokens as the service does.
//!
//! # The algorithm name
//!
//! The spec contradicts itself: the request schema of `createJwtKey` allows `RS256`, the
//! response schema of a JWT key (`JWTKey.algorithm`) allows `RSA`, and the examples send
//! `RSA`. The SDK sends `RS256` (the request schema) and accepts both when it decodes a key
//! (`JwtKeyAlgorithm::Rsa` and `JwtKeyAlgorithm::Rs256`, the latter added by the generator).
//!
//! # Which crate signs, and why
//!
//! [`jsonwebtoken`](https://crates.io/crates/jsonwebtoken) (12.x) writes and signs the
//! token, on its `rust_crypto` backend: RSA from the RustCrypto
//! [`rsa`](https://crates.io/crates/rsa) crate, which also reads the PEM key here. Its 0.10
//! line moved to constant-time arithmetic (`crypto-bigint`) and fixed the Marvin timing
//! side channel of earlier versions (RUSTSEC-2023-0071). It is pure Rust: no C toolchain
//! and no aws-lc build, which the `aws_lc_rs` backend would need. Only one of the two
//! backends may be enabled in a build; enabling both makes jsonwebtoken panic at the first
//! signature.

mod cache;
mod error;
mod key;
mod keys;
mod signer;

use std::time::Duration;

pub use cache::{CachedTokenProvider, Mint, TokenCache};
pub use error::JwtError;
pub use key::SigningKey;
pub use keys::{register, register_public_key, retire};
pub use signer::{Claims, JwtSigner, MintedToken};

/// The longest lifetime (`exp - iat`) Ampersand accepts for an embedded-UI token: 600 s.
pub const MAX_LIFETIME: Duration = Duration::from_secs(600);

/// The shortest RSA key this module signs with: 2048 bits.
pub const MIN_KEY_BITS: usize = 2048;
