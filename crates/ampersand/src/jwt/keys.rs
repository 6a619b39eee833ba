//! Registering public keys with Ampersand (`createJwtKey`) and retiring old ones: the two
//! halves of a key rotation.

use ampersand_resources::jwt_keys::{CreateJwtKeyAlgorithm, JwtKeyPatch, PatchJwtKeyField};

use super::{JwtSigner, SigningKey};
use crate::{Client, Error};

/// Registers a PEM public key (`-----BEGIN PUBLIC KEY-----`) with the project and returns
/// the key id (`kid`) that tokens signed by its private half must carry.
///
/// The algorithm sent is `RS256`, as the request schema of `createJwtKey` says (its response
/// schema and examples say `RSA`; see the [module docs](super#the-algorithm-name)).
pub async fn register_public_key(
    client: &Client,
    project: &str,
    label: &str,
    public_key_pem: &str,
) -> Result<String, Error> {
    let created = client
        .jwt_keys()
        .create(project, label, CreateJwtKeyAlgorithm::Rs256, public_key_pem)
        .await?;
    Ok(created.kid)
}

/// Registers the public half of `key` and returns a signer that mints with it.
pub async fn register(
    client: &Client,
    project: &str,
    label: &str,
    key: SigningKey,
) -> Result<JwtSigner, Error> {
    let kid = register_public_key(client, project, label, key.public_key_pem()).await?;
    JwtSigner::new(key, kid).map_err(|e| Error::from_boxed(e.into()))
}

/// Retires a key: deactivates it (`updateJwtKey` with `active: false`), so tokens it signed
/// stop working, then deletes it (`deleteJwtKey`).
///
/// Call it only once no token signed with the key is still needed: in a rotation, after
/// [`MAX_LIFETIME`](super::MAX_LIFETIME) has passed since the cache switched to the new key.
pub async fn retire(client: &Client, project: &str, kid: &str) -> Result<(), Error> {
    let patch = JwtKeyPatch {
        active: Some(false),
        ..JwtKeyPatch::default()
    };
    client
        .jwt_keys()
        .update(project, kid, vec![PatchJwtKeyField::Active], patch)
        .await?;
    client.jwt_keys().delete(project, kid).await?;
    Ok(())
}
