//! Decoding the bodies Ampersand sends to webhook destinations: read and subscribe results
//! ([`WebhookMessage`], `webhook/webhook.yaml`) and notifications ([`Notification`],
//! `notifications/notifications.yaml`). The payload models are the generated ones of
//! [`ampersand_resources::webhook`] and [`ampersand_resources::notification_payloads`].

use std::fmt;

use ampersand_resources::webhook::WebhookMessage;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::notification::Notification;

/// One webhook delivery's body, after its signature was checked.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "one delivery is handled at a time"
)]
pub enum Delivery {
    /// Records from a read or a subscribe action.
    Message(WebhookMessage),
    /// An event about an installation, a connection, a read, a write or a destination.
    Notification(Notification),
}

impl Delivery {
    /// Decodes a raw body: a notification when it has a `notificationType`, a
    /// [`WebhookMessage`] otherwise.
    pub fn from_slice(body: &[u8]) -> Result<Self, PayloadError> {
        let value = parse_json(body)?;
        if value.get("notificationType").is_some() {
            Notification::from_value(value).map(Delivery::Notification)
        } else {
            decode(value, "$").map(Delivery::Message)
        }
    }
}

/// A body that is not JSON, or whose JSON does not fit the payload's schema.
#[derive(Debug)]
pub struct PayloadError {
    path: String,
    source: serde_json::Error,
}

impl PayloadError {
    /// An error at `path` that serde did not produce.
    pub(super) fn message(path: &str, message: impl fmt::Display) -> Self {
        PayloadError {
            path: path.to_owned(),
            source: <serde_json::Error as serde::de::Error>::custom(message),
        }
    }

    /// Where in the body decoding failed, e.g. `$.data.installationId`.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid webhook payload at {}: {}",
            self.path, self.source
        )
    }
}

impl std::error::Error for PayloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Parses a body as JSON.
pub(super) fn parse_json(body: &[u8]) -> Result<Value, PayloadError> {
    serde_json::from_slice(body).map_err(|source| PayloadError {
        path: "$".to_owned(),
        source,
    })
}

/// Decodes `value` into `T`; errors name their path below `root`.
pub(super) fn decode<T: DeserializeOwned>(value: Value, root: &str) -> Result<T, PayloadError> {
    serde_path_to_error::deserialize(value).map_err(|err| PayloadError {
        path: join_path(root, err.path()),
        source: err.into_inner(),
    })
}

/// `root` followed by `.key` and `[index]` segments.
fn join_path(root: &str, path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut joined = root.to_owned();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => joined.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                joined.push('.');
                joined.push_str(key);
            }
            Segment::Enum { variant } => {
                joined.push('.');
                joined.push_str(variant);
            }
            Segment::Unknown => joined.push_str(".?"),
        }
    }
    joined
}
