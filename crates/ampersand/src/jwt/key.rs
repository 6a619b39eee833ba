//! The RSA private key a signer signs with, checked once when it is read.

use std::fmt;
use std::sync::Arc;

use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::der::SecretDocument;
use rsa::pkcs8::{EncodePublicKey, LineEnding, PrivateKeyInfoRef};
use rsa::traits::PublicKeyParts;

use super::{JwtError, MIN_KEY_BITS};

/// The `rsaEncryption` algorithm identifier of a PKCS#8 key (RFC 8017, appendix A.1).
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// An RSA private key, read from PEM and checked, ready to sign RS256 tokens.
///
/// Reading refuses, with a [`JwtError`] that says why: text that is not a PEM private key, an
/// encrypted key, a public key, a key that is not RSA (EC, Ed25519...) and an RSA key shorter
/// than [`MIN_KEY_BITS`]. The public half is derived once, in the PEM form that
/// `createJwtKey` takes ([`SigningKey::public_key_pem`]).
///
/// Cloning is cheap (the key sits behind an `Arc`). `Debug` shows the key size and never
/// the key.
#[derive(Clone)]
pub struct SigningKey {
    inner: Arc<Inner>,
}

struct Inner {
    encoding: jsonwebtoken::EncodingKey,
    public_key_pem: String,
    bits: usize,
}

impl SigningKey {
    /// Reads a PEM private key: PKCS#8 (`-----BEGIN PRIVATE KEY-----`, what
    /// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048` writes) or PKCS#1
    /// (`-----BEGIN RSA PRIVATE KEY-----`).
    pub fn from_pem(pem: &str) -> Result<Self, JwtError> {
        let (label, document) =
            SecretDocument::from_pem(pem.trim()).map_err(|e| JwtError::InvalidKey {
                reason: format!("not a PEM document ({e})"),
            })?;
        let key = match label {
            "RSA PRIVATE KEY" => rsa::PrivateKey::from_pkcs1_der(document.as_bytes())
                .map_err(|e| invalid(format!("a malformed PKCS#1 RSA key ({e})")))?,
            "PRIVATE KEY" => {
                let info = PrivateKeyInfoRef::try_from(document.as_bytes())
                    .map_err(|e| invalid(format!("a malformed PKCS#8 key ({e})")))?;
                let oid = info.algorithm.oid.to_string();
                if oid != RSA_ENCRYPTION {
                    return Err(JwtError::NotRsa {
                        found: key_kind(&oid),
                    });
                }
                rsa::PrivateKey::try_from(info)
                    .map_err(|e| invalid(format!("a malformed PKCS#8 RSA key ({e})")))?
            }
            "EC PRIVATE KEY" => {
                return Err(JwtError::NotRsa {
                    found: "EC".to_owned(),
                });
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(invalid(
                    "an encrypted private key; decrypt it first (openssl pkey -in KEY -out PLAIN)"
                        .to_owned(),
                ));
            }
            "PUBLIC KEY" | "RSA PUBLIC KEY" => {
                return Err(invalid(
                    "a public key; the signer needs the private key".to_owned(),
                ));
            }
            other => return Err(invalid(format!("a `{other}` block, not a private key"))),
        };
        let bits = key.n().bit_width() as usize;
        if bits < MIN_KEY_BITS {
            return Err(JwtError::KeyTooSmall { bits });
        }
        let public_key_pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| invalid(format!("its public key cannot be encoded ({e})")))?;
        // jsonwebtoken's RustCrypto backend signs with a PKCS#1 DER key.
        let der = key
            .to_pkcs1_der()
            .map_err(|e| invalid(format!("it cannot be encoded as PKCS#1 ({e})")))?;
        Ok(SigningKey {
            inner: Arc::new(Inner {
                encoding: jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes()),
                public_key_pem,
                bits,
            }),
        })
    }

    /// The public half, as a PEM `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo): what
    /// `createJwtKey` registers.
    pub fn public_key_pem(&self) -> &str {
        &self.inner.public_key_pem
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        self.inner.bits
    }

    pub(super) fn encoding_key(&self) -> &jsonwebtoken::EncodingKey {
        &self.inner.encoding
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &"RSA")
            .field("bits", &self.inner.bits)
            .finish_non_exhaustive()
    }
}

fn invalid(reason: String) -> JwtError {
    JwtError::InvalidKey {
        reason: format!("the PEM holds {reason}"),
    }
}

/// A readable name for the algorithm identifier of a PKCS#8 key that is not RSA.
fn key_kind(oid: &str) -> String {
    match oid {
        "1.2.840.10045.2.1" => "EC".to_owned(),
        "1.3.101.112" => "Ed25519".to_owned(),
        "1.3.101.113" => "Ed448".to_owned(),
        "1.2.840.113549.1.1.10" => "RSASSA-PSS (RS256 needs an rsaEncryption key)".to_owned(),
        other => format!("a key of algorithm {other}"),
    }
}
