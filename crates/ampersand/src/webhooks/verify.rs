//! Signature verification of webhook deliveries, as Svix signs them.
//!
//! A delivery carries three headers: an id, a timestamp in unix seconds and a space-separated
//! list of signatures. Each signature is `v1,<base64>`, the HMAC-SHA256 of
//! `{id}.{timestamp}.{raw body}` keyed with the destination's signing secret. While a secret is
//! being rotated the list holds one signature per secret, so any `v1` entry may match; entries
//! of other versions are skipped. Timestamps outside the tolerance (five minutes by default)
//! either way are rejected, which bounds how long a captured delivery can be replayed.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::{DecodePaddingMode, general_purpose};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;

use super::payload::{Delivery, PayloadError};

type HmacSha256 = Hmac<Sha256>;

/// The prefix Svix puts before the base64 of a signing secret.
const SECRET_PREFIX: &str = "whsec_";

/// How far a delivery's timestamp may be from the verifier's clock, either way, by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Base64 that accepts the secret with or without its trailing `=` padding.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One header of a delivery, under its Svix name and its unbranded `webhook-` name.
#[derive(Clone, Copy)]
struct HeaderName {
    svix: &'static str,
    unbranded: &'static str,
}

const ID: HeaderName = HeaderName {
    svix: "svix-id",
    unbranded: "webhook-id",
};
const TIMESTAMP: HeaderName = HeaderName {
    svix: "svix-timestamp",
    unbranded: "webhook-timestamp",
};
const SIGNATURE: HeaderName = HeaderName {
    svix: "svix-signature",
    unbranded: "webhook-signature",
};

/// Why a webhook delivery was not accepted.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookError {
    /// The signing secret is empty or not base64 (after an optional `whsec_` prefix).
    BadSecret,
    /// A required header is absent, under both its `svix-` and its `webhook-` name.
    MissingHeader {
        /// The header's Svix name, e.g. `svix-signature`.
        name: &'static str,
    },
    /// A header is present but not visible ASCII.
    InvalidHeader {
        /// The header's name as sent.
        name: &'static str,
    },
    /// The timestamp header is not a whole number of seconds since the unix epoch.
    BadTimestamp {
        /// The header value as sent.
        value: String,
    },
    /// The delivery was signed longer ago than the tolerance allows: a replay, or a clock far
    /// behind.
    TooOld {
        /// The delivery's timestamp, in unix seconds.
        timestamp: i64,
        /// The verifier's clock, in unix seconds.
        now: i64,
    },
    /// The delivery claims to be signed further in the future than the tolerance allows.
    TooNew {
        /// The delivery's timestamp, in unix seconds.
        timestamp: i64,
        /// The verifier's clock, in unix seconds.
        now: i64,
    },
    /// No `v1` signature in the signature header matches the body: the body was altered, or it
    /// was signed with another secret.
    NoMatchingSignature,
    /// The signature matched, but the body is not a payload this SDK can decode.
    Payload(PayloadError),
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::BadSecret => {
                f.write_str("the webhook signing secret is not valid base64")
            }
            WebhookError::MissingHeader { name } => write!(f, "the webhook has no {name} header"),
            WebhookError::InvalidHeader { name } => {
                write!(f, "the webhook's {name} header is not visible ASCII")
            }
            WebhookError::BadTimestamp { value } => {
                write!(f, "the webhook timestamp {value:?} is not unix seconds")
            }
            WebhookError::TooOld { timestamp, now } => write!(
                f,
                "the webhook timestamp {timestamp} is too old (now {now}); possible replay"
            ),
            WebhookError::TooNew { timestamp, now } => {
                write!(
                    f,
                    "the webhook timestamp {timestamp} is too new (now {now})"
                )
            }
            WebhookError::NoMatchingSignature => {
                f.write_str("no webhook signature matches the body")
            }
            WebhookError::Payload(_) => {
                f.write_str("the verified webhook body is not a known payload")
            }
        }
    }
}

impl std::error::Error for WebhookError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WebhookError::Payload(err) => Some(err),
            _ => None,
        }
    }
}

impl From<PayloadError> for WebhookError {
    fn from(err: PayloadError) -> Self {
        WebhookError::Payload(err)
    }
}

/// The decoded signing key. Its `Debug` never shows the bytes.
#[derive(Clone)]
struct SigningKey(Box<[u8]>);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A verifier of webhook deliveries for one signing secret.
///
/// Get the secret from the destination (`getDestination` with `includeSecrets=true`, field
/// `secrets.webhookSigningKey`), then check every delivery before trusting its body:
///
/// ```
/// # fn demo(headers: &http::HeaderMap, body: &[u8]) -> Result<(), ampersand::webhooks::WebhookError> {
/// use ampersand::webhooks::{Delivery, Webhook};
///
/// let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
/// match webhook.verify_and_parse(headers, body)? {
///     Delivery::Message(message) => println!("{} records", message.result_info.num_records),
///     Delivery::Notification(notification) => println!("{}", notification.notification_type()),
///     _ => {}
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Webhook {
    key: SigningKey,
    tolerance: Duration,
}

impl Webhook {
    /// A verifier for `secret`: the base64 of the key, with or without Svix's `whsec_` prefix.
    pub fn new(secret: &str) -> Result<Self, WebhookError> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        let key = LENIENT_BASE64
            .decode(encoded.trim())
            .map_err(|_| WebhookError::BadSecret)?;
        if key.is_empty() {
            return Err(WebhookError::BadSecret);
        }
        Ok(Webhook {
            key: SigningKey(key.into_boxed_slice()),
            tolerance: DEFAULT_TOLERANCE,
        })
    }

    /// A verifier for a secret kept in a redacting [`Secret`](ampersand_core::Secret).
    pub fn from_secret(secret: &ampersand_core::Secret) -> Result<Self, WebhookError> {
        Webhook::new(secret.expose())
    }

    /// Accepts timestamps up to `tolerance` away from the clock, either way, instead of
    /// [`DEFAULT_TOLERANCE`].
    #[must_use]
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// How far a timestamp may be from the clock, either way.
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// Checks the delivery's signature and timestamp against the system clock.
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// Checks the delivery's signature and timestamp as if the clock read `now`.
    pub fn verify_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), WebhookError> {
        let id = header(headers, ID)?;
        let timestamp_text = header(headers, TIMESTAMP)?;
        let signatures = header(headers, SIGNATURE)?;

        let timestamp = parse_timestamp(timestamp_text)?;
        self.check_timestamp(timestamp, unix_seconds(now))?;

        let mac = self.mac(id, timestamp_text, body);
        let matches = signatures
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|encoded| STANDARD.decode(encoded).ok())
            .any(|candidate| mac.clone().verify_slice(&candidate).is_ok());
        if matches {
            Ok(())
        } else {
            Err(WebhookError::NoMatchingSignature)
        }
    }

    /// Verifies the delivery against the system clock, then decodes its body.
    pub fn verify_and_parse(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Delivery, WebhookError> {
        self.verify_and_parse_at(headers, body, SystemTime::now())
    }

    /// Verifies the delivery as if the clock read `now`, then decodes its body.
    pub fn verify_and_parse_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Delivery, WebhookError> {
        self.verify_at(headers, body, now)?;
        Ok(Delivery::from_slice(body)?)
    }

    /// The signature header value (`v1,<base64>`) for a delivery, as the sender computes it.
    ///
    /// For tests and local servers that play Ampersand's side.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self
            .mac(id, &timestamp.to_string(), body)
            .finalize()
            .into_bytes();
        format!("v1,{}", general_purpose::STANDARD.encode(tag))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.key.0).expect("HMAC accepts keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    fn check_timestamp(&self, timestamp: i64, now: i64) -> Result<(), WebhookError> {
        let tolerance = i64::try_from(self.tolerance.as_secs()).unwrap_or(i64::MAX);
        if timestamp < now.saturating_sub(tolerance) {
            Err(WebhookError::TooOld { timestamp, now })
        } else if timestamp > now.saturating_add(tolerance) {
            Err(WebhookError::TooNew { timestamp, now })
        } else {
            Ok(())
        }
    }
}

/// The header's value under its Svix name, or else its unbranded name.
fn header(headers: &HeaderMap, name: HeaderName) -> Result<&str, WebhookError> {
    let (value, sent_as) = match headers.get(name.svix) {
        Some(value) => (value, name.svix),
        None => match headers.get(name.unbranded) {
            Some(value) => (value, name.unbranded),
            None => return Err(WebhookError::MissingHeader { name: name.svix }),
        },
    };
    value
        .to_str()
        .map_err(|_| WebhookError::InvalidHeader { name: sent_as })
}

/// Unix seconds, written as plain decimal digits.
fn parse_timestamp(text: &str) -> Result<i64, WebhookError> {
    let bad = || WebhookError::BadTimestamp {
        value: text.to_owned(),
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    text.parse().map_err(|_| bad())
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn headers(id: &str, timestamp: &str, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("svix-id", id.parse().unwrap());
        headers.insert("svix-timestamp", timestamp.parse().unwrap());
        headers.insert("svix-signature", signature.parse().unwrap());
        headers
    }

    #[test]
    fn debug_never_shows_the_key() {
        let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let shown = format!("{webhook:?}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(!shown.contains("MfKQ"), "{shown}");
    }

    #[test]
    fn secrets_that_are_not_base64_are_rejected() {
        for secret in ["", "whsec_", "whsec_not*base64", "%%%%"] {
            assert!(
                matches!(Webhook::new(secret), Err(WebhookError::BadSecret)),
                "{secret:?} was accepted"
            );
        }
    }

    #[test]
    fn the_prefix_and_the_padding_are_optional() {
        let body = b"{}";
        let with_prefix = Webhook::new("whsec_c2VjcmV0IGtleQ==").unwrap();
        let signature = with_prefix.sign("msg_1", 1000, body);
        for secret in ["c2VjcmV0IGtleQ==", "c2VjcmV0IGtleQ", "whsec_c2VjcmV0IGtleQ"] {
            let webhook = Webhook::new(secret).unwrap();
            webhook
                .verify_at(&headers("msg_1", "1000", &signature), body, at(1000))
                .unwrap_or_else(|err| panic!("{secret}: {err}"));
        }
    }

    #[test]
    fn the_tolerance_bounds_are_inclusive_and_configurable() {
        let webhook = Webhook::new("whsec_c2VjcmV0IGtleQ==").unwrap();
        let signature = webhook.sign("msg_1", 1000, b"x");
        let sent = headers("msg_1", "1000", &signature);
        webhook.verify_at(&sent, b"x", at(1300)).unwrap();
        webhook.verify_at(&sent, b"x", at(700)).unwrap();
        assert!(matches!(
            webhook.verify_at(&sent, b"x", at(1301)),
            Err(WebhookError::TooOld {
                timestamp: 1000,
                now: 1301
            })
        ));
        assert!(matches!(
            webhook.verify_at(&sent, b"x", at(699)),
            Err(WebhookError::TooNew {
                timestamp: 1000,
                now: 699
            })
        ));
        let strict = webhook.with_tolerance(Duration::from_secs(10));
        assert!(matches!(
            strict.verify_at(&sent, b"x", at(1011)),
            Err(WebhookError::TooOld { .. })
        ));
        strict.verify_at(&sent, b"x", at(1010)).unwrap();
    }

    #[test]
    fn timestamps_must_be_plain_digits() {
        for text in [
            "",
            "+1000",
            "-1000",
            " 1000",
            "1000.5",
            "1e3",
            "99999999999999999999",
        ] {
            assert!(
                matches!(
                    parse_timestamp(text),
                    Err(WebhookError::BadTimestamp { .. })
                ),
                "{text:?} was accepted"
            );
        }
        assert_eq!(parse_timestamp("0001000").unwrap(), 1000);
    }

    #[test]
    fn clocks_before_the_epoch_do_not_panic() {
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), -5);
        assert_eq!(unix_seconds(at(5)), 5);
    }
}
