//! Notifications (`notifications/notifications.yaml`): `{notificationType, data}` bodies, one
//! data shape per type. The data models are the generated ones of
//! [`ampersand_resources::notification_payloads`]; this module adds the enum keyed by type.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use ampersand_resources::notification_payloads::{
    ConnectionData, ConnectionErrorData, DestinationWebhookDisabledData, InstallationCreatedData,
    InstallationDeletedData, InstallationUpdatedData, ReadBackfillDoneData, ReadSchedulePausedData,
    ReadTriggeredDoneData, ReadTriggeredErrorData, SubscribeCreateErrorData, WriteAsyncDoneData,
};

use super::payload::{PayloadError, decode, parse_json};

/// Defines [`Notification`]: one variant per `notificationType`, holding that type's data.
macro_rules! notifications {
    ($( $(#[$doc:meta])* $variant:ident($data:ty) = $name:literal, )*) => {
        /// A notification, keyed by its `notificationType`.
        ///
        /// Types this SDK does not know yet decode to [`Notification::Unknown`] instead of
        /// failing, so a new event on the platform never breaks a receiver.
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        #[allow(clippy::large_enum_variant, reason = "one notification is handled at a time")]
        pub enum Notification {
            $( $(#[$doc])* $variant($data), )*
            /// A type this SDK does not know, kept whole.
            Unknown(UnknownNotification),
        }

        impl Notification {
            /// Every `notificationType` this SDK decodes into a typed variant.
            pub const KNOWN_TYPES: &[&str] = &[$($name),*];

            /// The `notificationType`, e.g. `installation.created`.
            pub fn notification_type(&self) -> &str {
                match self {
                    $( Notification::$variant(_) => $name, )*
                    Notification::Unknown(unknown) => &unknown.notification_type,
                }
            }

            /// Decodes `data` as the data of `notification_type`.
            fn decode_data(notification_type: &str, data: Value) -> Result<Self, PayloadError> {
                match notification_type {
                    $( $name => decode(data, "$.data").map(Notification::$variant), )*
                    other => Err(PayloadError::message(
                        "$.notificationType",
                        format!("no typed data for notification type {other:?}"),
                    )),
                }
            }

            fn serialize_data<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Notification::$variant(data) => Envelope {
                        notification_type: $name,
                        data,
                    }
                    .serialize(serializer), )*
                    Notification::Unknown(unknown) => unknown.payload.serialize(serializer),
                }
            }
        }
    };
}

notifications! {
    /// `installation.created`: a customer installed an integration.
    InstallationCreated(InstallationCreatedData) = "installation.created",
    /// `installation.updated`: an installation's configuration changed.
    InstallationUpdated(InstallationUpdatedData) = "installation.updated",
    /// `installation.deleted`: a customer uninstalled an integration.
    InstallationDeleted(InstallationDeletedData) = "installation.deleted",
    /// `read.backfill.done`: the backfill of an object finished.
    ReadBackfillDone(ReadBackfillDoneData) = "read.backfill.done",
    /// `read.schedule.paused`: scheduled reads of an installation were paused.
    ReadSchedulePaused(ReadSchedulePausedData) = "read.schedule.paused",
    /// `read.triggered.done`: a read triggered through the API finished.
    ReadTriggeredDone(ReadTriggeredDoneData) = "read.triggered.done",
    /// `read.triggered.error`: a read triggered through the API failed.
    ReadTriggeredError(ReadTriggeredErrorData) = "read.triggered.error",
    /// `write.async.done`: an asynchronous write finished.
    WriteAsyncDone(WriteAsyncDoneData) = "write.async.done",
    /// `subscribe.create.error`: setting up a subscribe action failed.
    SubscribeCreateError(SubscribeCreateErrorData) = "subscribe.create.error",
    /// `connection.created`: a customer connected a provider account.
    ConnectionCreated(ConnectionData) = "connection.created",
    /// `connection.refreshed`: a connection's credentials were refreshed.
    ConnectionRefreshed(ConnectionData) = "connection.refreshed",
    /// `connection.updated`: a connection changed.
    ConnectionUpdated(ConnectionData) = "connection.updated",
    /// `connection.deleted`: a connection was removed.
    ConnectionDeleted(ConnectionData) = "connection.deleted",
    /// `connection.error`: a connection stopped working.
    ConnectionError(ConnectionErrorData) = "connection.error",
    /// `destination.webhook.disabled`: a webhook destination was disabled.
    DestinationWebhookDisabled(DestinationWebhookDisabledData) = "destination.webhook.disabled",
}

impl Notification {
    /// Decodes a webhook body: `{"notificationType": ..., "data": {...}}`.
    pub fn from_slice(body: &[u8]) -> Result<Self, PayloadError> {
        Notification::from_value(parse_json(body)?)
    }

    /// Decodes a notification already parsed as JSON.
    pub fn from_value(value: Value) -> Result<Self, PayloadError> {
        let Value::Object(mut object) = value else {
            return Err(PayloadError::message(
                "$",
                "a notification is a JSON object",
            ));
        };
        let notification_type = match object.get("notificationType") {
            Some(Value::String(notification_type)) => notification_type.clone(),
            Some(_) => {
                return Err(PayloadError::message(
                    "$.notificationType",
                    "the notification type is not a string",
                ));
            }
            None => {
                return Err(PayloadError::message(
                    "$",
                    "missing field `notificationType`",
                ));
            }
        };
        if !Notification::KNOWN_TYPES.contains(&notification_type.as_str()) {
            return Ok(Notification::Unknown(UnknownNotification {
                notification_type,
                payload: Value::Object(object),
            }));
        }
        let data = object
            .remove("data")
            .ok_or_else(|| PayloadError::message("$", "missing field `data`"))?;
        Notification::decode_data(&notification_type, data)
    }
}

impl<'de> Deserialize<'de> for Notification {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Notification::from_value(value).map_err(D::Error::custom)
    }
}

impl Serialize for Notification {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_data(serializer)
    }
}

/// The body of a known notification type, as serialized.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a, T> {
    notification_type: &'a str,
    data: &'a T,
}

/// A notification whose type this SDK does not know.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct UnknownNotification {
    /// Its `notificationType`.
    pub notification_type: String,
    /// The whole body, `notificationType` and `data` included.
    pub payload: Value,
}

impl UnknownNotification {
    /// The body's `data`, if it has one.
    pub fn data(&self) -> Option<&Value> {
        self.payload.get("data")
    }
}
