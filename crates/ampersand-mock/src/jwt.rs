//! Bearer JWTs of the embedded UI, verified as the service verifies them.
//!
//! A backend registers an RSA public key (`createJwtKey`) and mints RS256 tokens for its
//! users' browsers: header `kid` (the key's id), claims `sub`, `groupRef`, `consumerRef`,
//! `iat` and `exp`, with `exp - iat` at most 600 s. A Bearer value that is a JWT (three
//! base64url parts, the first a JSON object) is checked here against the keys registered with
//! the mock; any failure is a `401` problem that says which check failed. A Bearer value that
//! is not a JWT stands for the builder's dashboard session, which the mock does not model.
//! A verified token acts in the project of its key and for its `groupRef` only.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::StatusCode;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use crate::reply::ApiError;
use crate::state::{State, s};

/// The longest lifetime (`exp - iat`) the service accepts.
pub(crate) const MAX_LIFETIME_SECS: u64 = 600;
/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY_SECS: u64 = 30;

/// Who an embedded-UI token acts for, once verified.
#[derive(Debug, Clone)]
pub(crate) struct EmbeddedToken {
    /// The project of the key that signed the token.
    pub(crate) project_id: String,
    /// The `consumerRef` claim.
    pub(crate) consumer_ref: String,
    /// The `groupRef` claim.
    pub(crate) group_ref: String,
}

/// Whether a Bearer value is a JWT: three parts, the first a base64url JSON object.
pub(crate) fn is_jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .is_some_and(|v| v.is_object())
}

/// Verifies `token` against the JWT keys registered with the mock.
pub(crate) fn verify(token: &str, state: &State) -> Result<EmbeddedToken, ApiError> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| rejected(format!("the token's header cannot be read: {e}")))?;
    if header.alg != Algorithm::RS256 {
        return Err(rejected(format!(
            "the token is signed with {:?}; only RS256 is accepted",
            header.alg
        )));
    }
    let kid = header
        .kid
        .filter(|k| !k.is_empty())
        .ok_or_else(|| rejected("the token has no `kid` header".to_owned()))?;
    let key = state
        .jwt_keys
        .get(&kid)
        .ok_or_else(|| rejected(format!("no JWT key has the id `{kid}` (unknown kid)")))?;
    if key["active"].as_bool() == Some(false) {
        return Err(rejected(format!("the JWT key `{kid}` is inactive")));
    }
    let decoding = DecodingKey::from_rsa_pem(s(key, "publicKeyPem").as_bytes())
        .map_err(|e| rejected(format!("the JWT key `{kid}` cannot be read: {e}")))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = LEEWAY_SECS;
    validation.set_required_spec_claims(&["exp", "iat", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .map_err(|e| {
            rejected(match e.kind() {
                ErrorKind::InvalidSignature => {
                    format!("the token's signature does not match the JWT key `{kid}`")
                }
                ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
                ErrorKind::MissingRequiredClaim(claim) => {
                    format!("the token lacks the `{claim}` claim")
                }
                _ => format!("the token is invalid: {e}"),
            })
        })?
        .claims;
    let (iat, exp) = (claims["iat"].as_u64(), claims["exp"].as_u64());
    let (Some(iat), Some(exp)) = (iat, exp) else {
        return Err(rejected(
            "the `iat` and `exp` claims must be whole seconds since the epoch".to_owned(),
        ));
    };
    if exp.saturating_sub(iat) > MAX_LIFETIME_SECS {
        return Err(rejected(format!(
            "the token's lifetime (exp - iat) is {} s; at most {MAX_LIFETIME_SECS} s is accepted",
            exp.saturating_sub(iat)
        )));
    }
    if iat > jsonwebtoken::get_current_timestamp() + LEEWAY_SECS {
        return Err(rejected(
            "the token is issued in the future (iat)".to_owned(),
        ));
    }
    let claim = |name: &'static str| {
        claims[name]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| rejected(format!("the token lacks the `{name}` claim")))
    };
    Ok(EmbeddedToken {
        project_id: s(key, "projectId").to_owned(),
        consumer_ref: claim("consumerRef")?,
        group_ref: claim("groupRef")?,
    })
}

/// A verified token acts for its group only: a `groupRef` in the query or the JSON body that
/// names another group is a `403` problem.
pub(crate) fn check_group(
    token: &EmbeddedToken,
    query: &HashMap<String, String>,
    body: &Bytes,
) -> Result<(), ApiError> {
    let in_body = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|b| b.get("groupRef").and_then(Value::as_str).map(str::to_owned));
    let asked = query.get("groupRef").cloned().into_iter().chain(in_body);
    for group in asked {
        if group != token.group_ref {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "the token is for group '{}', not '{group}'",
                    token.group_ref
                ),
            )
            .remedy("Mint a token for the group the browser acts in."));
        }
    }
    Ok(())
}

fn rejected(detail: String) -> ApiError {
    ApiError::unauthorized(detail).remedy(
        "Mint an RS256 token with the private half of a JWT key registered in this project: \
         header `kid` = the key's id, claims `sub`, `consumerRef`, `groupRef`, `iat`, `exp`, \
         `exp - iat` at most 600 s.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_part_values_with_a_json_header_are_jwts() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        assert!(is_jwt(&format!("{header}.e30.")));
        assert!(is_jwt(&format!("{header}.e30.c2ln")));
        assert!(!is_jwt("builder-jwt"));
        assert!(!is_jwt("eyJ.test.jwt"));
        assert!(!is_jwt(&format!("{header}.e30")));
        assert!(!is_jwt(&format!("{header}.e30.x.y")));
        let array = URL_SAFE_NO_PAD.encode(b"[1]");
        assert!(!is_jwt(&format!("{array}.e30.x")));
    }
}
