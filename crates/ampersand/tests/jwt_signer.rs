//! The `jwt` feature's signer: which keys and settings it refuses, the shape of what it mints
//! (checked with jsonwebtoken against the public key), and the per-(consumer, group) cache
//! under concurrent callers, counting signatures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use ampersand::jwt::{
    Claims, JwtError, JwtSigner, MAX_LIFETIME, Mint, MintedToken, SigningKey, TokenCache,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

const RSA_A: &str = include_str!("fixtures/jwt/rsa_a.pem");
const RSA_A_PUB: &str = include_str!("fixtures/jwt/rsa_a.pub.pem");
const RSA_B_PKCS1: &str = include_str!("fixtures/jwt/rsa_b_pkcs1.pem");
const RSA_1024: &str = include_str!("fixtures/jwt/rsa_1024.pem");
const EC_P256: &str = include_str!("fixtures/jwt/ec_p256.pem");

fn signer() -> JwtSigner {
    JwtSigner::new(SigningKey::from_pem(RSA_A).unwrap(), "kid-a").unwrap()
}

#[test]
fn keys_that_cannot_sign_rs256_are_refused_with_the_reason() {
    assert!(matches!(
        SigningKey::from_pem(EC_P256),
        Err(JwtError::NotRsa { found }) if found == "EC"
    ));
    assert!(matches!(
        SigningKey::from_pem(RSA_1024),
        Err(JwtError::KeyTooSmall { bits: 1024 })
    ));
    let public = SigningKey::from_pem(RSA_A_PUB).unwrap_err();
    assert!(public.to_string().contains("public key"), "{public}");
    let garbage = SigningKey::from_pem("not a key").unwrap_err();
    assert!(matches!(garbage, JwtError::InvalidKey { .. }), "{garbage}");
    let encrypted =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let encrypted = SigningKey::from_pem(encrypted).unwrap_err();
    assert!(encrypted.to_string().contains("encrypted"), "{encrypted}");
}

#[test]
fn pkcs8_and_pkcs1_keys_are_read_and_the_public_half_is_derived() {
    let a = SigningKey::from_pem(RSA_A).unwrap();
    assert_eq!(a.bits(), 2048);
    // The derived public key is the one OpenSSL derives (`openssl pkey -pubout`).
    assert_eq!(a.public_key_pem().trim(), RSA_A_PUB.trim());
    let b = SigningKey::from_pem(RSA_B_PKCS1).unwrap();
    assert!(b.public_key_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_ne!(a.public_key_pem(), b.public_key_pem());
    // Debug never shows the key.
    let debug = format!("{a:?} {:?}", signer());
    assert!(!debug.contains("MII") && debug.contains("2048"), "{debug}");
}

#[test]
fn settings_and_claims_the_service_would_reject_are_refused_before_signing() {
    assert!(matches!(
        signer().with_lifetime(Duration::from_secs(601)),
        Err(JwtError::InvalidLifetime { .. })
    ));
    assert!(matches!(
        signer().with_lifetime(Duration::ZERO),
        Err(JwtError::InvalidLifetime { .. })
    ));
    assert_eq!(
        signer().with_lifetime(MAX_LIFETIME).unwrap().lifetime(),
        MAX_LIFETIME
    );
    assert!(matches!(
        JwtSigner::new(SigningKey::from_pem(RSA_A).unwrap(), " "),
        Err(JwtError::EmptyKeyId)
    ));
    assert!(matches!(
        signer().mint("", "group"),
        Err(JwtError::EmptyClaim {
            claim: "consumerRef"
        })
    ));
    assert!(matches!(
        signer().mint("consumer", ""),
        Err(JwtError::EmptyClaim { claim: "groupRef" })
    ));
}

#[test]
fn a_minted_token_is_rs256_with_the_kid_and_the_claims_and_verifies_with_the_public_key() {
    let signer = signer().with_lifetime(Duration::from_secs(300)).unwrap();
    let issued = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    let minted = signer.mint_at("consumer-42", "group-7", issued).unwrap();
    assert_eq!(minted.issued_at(), issued);
    assert_eq!(minted.lifetime(), Duration::from_secs(300));
    let token = minted.token().secret().expose();

    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some("kid-a"));
    assert_eq!(header.typ.as_deref(), Some("JWT"));

    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false; // issued in 2033, so the fixed clock stays valid
    let key = DecodingKey::from_rsa_pem(RSA_A_PUB.as_bytes()).unwrap();
    let claims = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(
        claims,
        serde_json::json!({
            "sub": "consumer-42", "consumerRef": "consumer-42", "groupRef": "group-7",
            "iat": 2_000_000_000u64, "exp": 2_000_000_300u64,
        })
    );
    let typed: Claims = serde_json::from_value(claims).unwrap();
    assert_eq!(typed.exp - typed.iat, 300);

    // Another key's public half does not verify it.
    let other = SigningKey::from_pem(RSA_B_PKCS1).unwrap();
    let other = DecodingKey::from_rsa_pem(other.public_key_pem().as_bytes()).unwrap();
    assert!(jsonwebtoken::decode::<serde_json::Value>(token, &other, &validation).is_err());
}

/// A [`Mint`] that counts the signatures it makes.
struct Counting {
    signer: JwtSigner,
    signatures: Arc<AtomicUsize>,
}

impl Mint for Counting {
    fn mint(&self, consumer_ref: &str, group_ref: &str) -> Result<MintedToken, JwtError> {
        let minted = self.signer.mint(consumer_ref, group_ref)?;
        self.signatures.fetch_add(1, Ordering::SeqCst);
        Ok(minted)
    }
}

fn counting_cache() -> (TokenCache<Counting>, Arc<AtomicUsize>) {
    let signatures = Arc::new(AtomicUsize::new(0));
    let cache = TokenCache::new(Counting {
        signer: signer(),
        signatures: signatures.clone(),
    });
    (cache, signatures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_of_one_pair_cause_one_signature() {
    let (cache, signatures) = counting_cache();
    let barrier = Arc::new(tokio::sync::Barrier::new(32));
    let mut tasks = Vec::new();
    for i in 0..32 {
        let (cache, barrier) = (cache.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            // Half ask for one pair, half for another.
            let group = if i % 2 == 0 {
                "group-even"
            } else {
                "group-odd"
            };
            let minted = cache.token("consumer-1", group).await.unwrap();
            (group, minted.token().secret().expose().to_owned())
        }));
    }
    let mut even = Vec::new();
    let mut odd = Vec::new();
    for task in tasks {
        let (group, token) = task.await.unwrap();
        if group == "group-even" {
            even.push(token);
        } else {
            odd.push(token);
        }
    }
    assert_eq!(
        signatures.load(Ordering::SeqCst),
        2,
        "one signature per pair"
    );
    assert!(even.iter().all(|t| *t == even[0]));
    assert!(odd.iter().all(|t| *t == odd[0]));
    assert_ne!(even[0], odd[0]);
}

#[tokio::test(start_paused = true)]
async fn a_token_is_reused_until_shortly_before_it_expires() {
    let (cache, signatures) = counting_cache();
    let first = cache.token("consumer-1", "group-1").await.unwrap();
    assert_eq!(signatures.load(Ordering::SeqCst), 1);

    // 600 s tokens are renewed 60 s before they expire: reused for 540 s.
    tokio::time::advance(Duration::from_secs(539)).await;
    let again = cache.token("consumer-1", "group-1").await.unwrap();
    assert_eq!(signatures.load(Ordering::SeqCst), 1);
    assert_eq!(again.expires_at(), first.expires_at());

    tokio::time::advance(Duration::from_secs(2)).await;
    cache.token("consumer-1", "group-1").await.unwrap();
    assert_eq!(signatures.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_request_is_not_cached_and_a_new_minter_replaces_cached_tokens() {
    let (cache, signatures) = counting_cache();
    assert!(matches!(
        cache.token("", "group-1").await,
        Err(JwtError::EmptyClaim {
            claim: "consumerRef"
        })
    ));
    assert_eq!(signatures.load(Ordering::SeqCst), 0);

    let before = cache.token("consumer-1", "group-1").await.unwrap();
    let rotated = Arc::new(AtomicUsize::new(0));
    cache.set_minter(Counting {
        signer: JwtSigner::new(SigningKey::from_pem(RSA_B_PKCS1).unwrap(), "kid-b").unwrap(),
        signatures: rotated.clone(),
    });
    let after = cache.token("consumer-1", "group-1").await.unwrap();
    assert_eq!(rotated.load(Ordering::SeqCst), 1);
    let kid = |m: &MintedToken| {
        jsonwebtoken::decode_header(m.token().secret().expose())
            .unwrap()
            .kid
    };
    assert_eq!(kid(&before).as_deref(), Some("kid-a"));
    assert_eq!(kid(&after).as_deref(), Some("kid-b"));
}
