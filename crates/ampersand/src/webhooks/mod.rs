//! Receiving Ampersand's webhook deliveries: signature verification and typed payloads.
//!
//! Ampersand delivers through Svix. [`Webhook`] checks a delivery's `svix-id`,
//! `svix-timestamp` and `svix-signature` headers (or their `webhook-` names) against the
//! destination's signing secret, in constant time and within a replay window; then
//! [`Delivery`] decodes the body into a [`WebhookMessage`] (records from a read or subscribe
//! action) or a [`Notification`] (one variant per `notificationType`, unknown types kept).
//!
//! Verify against the exact bytes received: re-serialising the JSON changes the signature.

mod notification;
mod payload;
mod verify;

pub use notification::{Notification, UnknownNotification};
pub use payload::{Delivery, PayloadError};
pub use verify::{DEFAULT_TOLERANCE, Webhook, WebhookError};

/// The generated models of read and subscribe messages (`webhook/webhook.yaml`).
pub use ampersand_resources::webhook::{
    AssociatedObject, Association, ResultEntry, ResultEntrySubscribeEventType, ResultInfo,
    ResultInfoType, WebhookMessage, WebhookMessageReadType,
};

/// The generated data models of notifications (`notifications/notifications.yaml`).
pub use ampersand_resources::notification_payloads::{
    ConnectionData, ConnectionErrorData, DestinationWebhookDisabledData, InstallationCreatedData,
    InstallationDeletedData, InstallationUpdatedData, ReadBackfillDoneData, ReadSchedulePausedData,
    ReadTriggeredDoneData, ReadTriggeredErrorData, SubscribeCreateErrorData, WriteAsyncDoneData,
};
