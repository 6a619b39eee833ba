//! Webhook verification against independently computed vectors and Svix's documented example,
//! and typed decoding of every payload in `webhook/webhook.yaml` and
//! `notifications/notifications.yaml`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ampersand::webhooks::{
    Delivery, Notification, ResultEntrySubscribeEventType, ResultInfoType, Webhook, WebhookError,
    WebhookMessageReadType,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

/// Made by `fixtures/make_webhook_vectors.py` with Python's hmac, hashlib and base64.
const VECTORS: &str = include_str!("fixtures/webhook_vectors.json");

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn header_map(headers: &serde_json::Map<String, Value>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value.as_str().unwrap()).unwrap(),
        );
    }
    map
}

fn outcome(result: &Result<(), WebhookError>) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(WebhookError::NoMatchingSignature) => "no_matching_signature",
        Err(WebhookError::TooOld { .. }) => "too_old",
        Err(WebhookError::TooNew { .. }) => "too_new",
        Err(WebhookError::BadTimestamp { .. }) => "bad_timestamp",
        Err(WebhookError::MissingHeader { .. }) => "missing_header",
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[test]
fn python_computed_vectors() {
    let fixture: Value = serde_json::from_str(VECTORS).unwrap();
    let tolerance = fixture["tolerance_seconds"].as_u64().unwrap();
    assert_eq!(
        Duration::from_secs(tolerance),
        ampersand::webhooks::DEFAULT_TOLERANCE
    );
    let vectors = fixture["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 20, "the fixture lost its vectors");
    let mut accepted = 0;
    for vector in vectors {
        let name = vector["name"].as_str().unwrap();
        let webhook = Webhook::new(vector["secret"].as_str().unwrap()).unwrap();
        let headers = header_map(vector["headers"].as_object().unwrap());
        let body = vector["body"].as_str().unwrap().as_bytes();
        let now = at(vector["now"].as_u64().unwrap());
        let result = webhook.verify_at(&headers, body, now);
        assert_eq!(
            outcome(&result),
            vector["expect"],
            "vector {name:?}: {result:?}"
        );
        accepted += usize::from(result.is_ok());
    }
    assert!(accepted >= 10 && accepted < vectors.len());
}

/// The example of docs.svix.com, "Verifying payloads manually".
fn svix_example() -> (Webhook, HeaderMap, &'static [u8]) {
    let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek".parse().unwrap());
    headers.insert("svix-timestamp", "1614265330".parse().unwrap());
    headers.insert(
        "svix-signature",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
            .parse()
            .unwrap(),
    );
    (webhook, headers, br#"{"test": 2432232314}"#)
}

#[test]
fn svix_documented_example() {
    let (webhook, headers, body) = svix_example();
    webhook.verify_at(&headers, body, at(1614265330)).unwrap();
    assert_eq!(
        webhook.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
    // The same delivery an hour later is a replay.
    assert!(matches!(
        webhook.verify_at(&headers, body, at(1614265330 + 3600)),
        Err(WebhookError::TooOld { .. })
    ));
    // A changed byte breaks the signature.
    assert!(matches!(
        webhook.verify_at(&headers, br#"{"test": 2432232315}"#, at(1614265330)),
        Err(WebhookError::NoMatchingSignature)
    ));
}

#[test]
fn the_system_clock_rejects_an_old_delivery() {
    let (webhook, headers, body) = svix_example();
    assert!(matches!(
        webhook.verify(&headers, body),
        Err(WebhookError::TooOld { .. })
    ));
}

#[test]
fn verify_and_parse_checks_before_decoding() {
    let webhook = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let body = serde_json::to_vec(&notification("connection.created", connection())).unwrap();
    let signature = webhook.sign("msg_1", 1_700_000_000, &body);
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", "msg_1".parse().unwrap());
    headers.insert("webhook-timestamp", "1700000000".parse().unwrap());
    headers.insert("webhook-signature", signature.parse().unwrap());

    let delivery = webhook
        .verify_and_parse_at(&headers, &body, at(1_700_000_000))
        .unwrap();
    assert!(matches!(
        delivery,
        Delivery::Notification(Notification::ConnectionCreated(_))
    ));

    let mut forged = body.clone();
    forged.push(b' ');
    assert!(matches!(
        webhook.verify_and_parse_at(&headers, &forged, at(1_700_000_000)),
        Err(WebhookError::NoMatchingSignature)
    ));

    let not_json = b"not json";
    let signature = webhook.sign("msg_2", 1_700_000_000, not_json);
    headers.insert("webhook-id", "msg_2".parse().unwrap());
    headers.insert("webhook-signature", signature.parse().unwrap());
    let err = webhook
        .verify_and_parse_at(&headers, not_json, at(1_700_000_000))
        .unwrap_err();
    assert!(matches!(err, WebhookError::Payload(_)), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

// --- Typed payloads, with the example values of notifications.yaml. ---

fn installation() -> Value {
    json!({
        "projectId": "550e8400-e29b-41d4-a716-446655440000",
        "provider": "salesforce",
        "integrationId": "550e8400-e29b-41d4-a716-446655440001",
        "integrationName": "Salesforce Integration",
        "installationId": "550e8400-e29b-41d4-a716-446655440002",
        "connectionId": "550e8400-e29b-41d4-a716-446655440003",
        "groupRef": "customer-group-ref",
        "groupName": "Customer Name",
        "consumerRef": "user-123",
        "consumerName": "John Doe"
    })
}

fn connection() -> Value {
    json!({
        "projectId": "550e8400-e29b-41d4-a716-446655440000",
        "connectionId": "550e8400-e29b-41d4-a716-446655440003",
        "provider": "salesforce",
        "groupRef": "customer-group-ref",
        "consumerRef": "user-123",
        "consumerName": "John Doe"
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    let object = base.as_object_mut().unwrap();
    for (key, value) in extra.as_object().unwrap() {
        object.insert(key.clone(), value.clone());
    }
    base
}

fn notification(kind: &str, data: Value) -> Value {
    json!({ "notificationType": kind, "data": data })
}

fn decode(body: &Value) -> Notification {
    let bytes = serde_json::to_vec(body).unwrap();
    match Delivery::from_slice(&bytes).unwrap() {
        Delivery::Notification(notification) => {
            assert_eq!(notification.notification_type(), body["notificationType"]);
            // Serialising gives back the body: nothing was lost or renamed.
            assert_eq!(serde_json::to_value(&notification).unwrap(), *body);
            notification
        }
        other => panic!("decoded as {other:?}"),
    }
}

#[test]
fn installation_notifications() {
    let config = json!({ "read": { "objects": { "account": { "schedule": "*/10 * * * *" } } } });
    let body = notification(
        "installation.created",
        with(installation(), json!({ "config": config })),
    );
    let Notification::InstallationCreated(created) = decode(&body) else {
        panic!("not installation.created")
    };
    assert_eq!(created.group_ref, "customer-group-ref");
    assert_eq!(created.consumer_name, "John Doe");
    assert_eq!(created.config.as_ref().unwrap()["read"], config["read"]);
    assert_eq!(created.config_url, None);

    let body = notification(
        "installation.updated",
        with(
            installation(),
            json!({
                "configURL": "https://storage.example/config.json",
                "lastConfig": { "read": {} }
            }),
        ),
    );
    let Notification::InstallationUpdated(updated) = decode(&body) else {
        panic!("not installation.updated")
    };
    assert_eq!(
        updated.config_url.as_deref(),
        Some("https://storage.example/config.json")
    );
    assert!(updated.last_config.is_some());
    assert_eq!(updated.last_config_url, None);

    let body = notification(
        "installation.deleted",
        with(installation(), json!({ "config": {} })),
    );
    let Notification::InstallationDeleted(deleted) = decode(&body) else {
        panic!("not installation.deleted")
    };
    assert_eq!(
        deleted.installation_id,
        "550e8400-e29b-41d4-a716-446655440002"
    );
}

#[test]
fn read_notifications() {
    let body = notification(
        "read.backfill.done",
        with(installation(), json!({ "objectName": "Account" })),
    );
    let Notification::ReadBackfillDone(done) = decode(&body) else {
        panic!("not read.backfill.done")
    };
    assert_eq!(done.object_name, "Account");

    let body = notification(
        "read.schedule.paused",
        with(
            installation(),
            json!({ "config": {}, "error": "Authentication failed" }),
        ),
    );
    let Notification::ReadSchedulePaused(paused) = decode(&body) else {
        panic!("not read.schedule.paused")
    };
    assert_eq!(paused.error.as_deref(), Some("Authentication failed"));

    let window = json!({
        "objectName": "Account",
        "fromTimestamp": "2026-01-01T00:00:00Z",
        "untilTimestamp": "2026-01-02T00:00:00Z"
    });
    let body = notification("read.triggered.done", with(installation(), window.clone()));
    let Notification::ReadTriggeredDone(done) = decode(&body) else {
        panic!("not read.triggered.done")
    };
    assert_eq!(
        done.until_timestamp.as_deref(),
        Some("2026-01-02T00:00:00Z")
    );

    let body = notification(
        "read.triggered.error",
        with(
            with(installation(), window),
            json!({ "error": "Authentication failed" }),
        ),
    );
    let Notification::ReadTriggeredError(failed) = decode(&body) else {
        panic!("not read.triggered.error")
    };
    assert_eq!(failed.error.as_deref(), Some("Authentication failed"));
    assert_eq!(
        failed.from_timestamp.as_deref(),
        Some("2026-01-01T00:00:00Z")
    );
}

#[test]
fn write_and_subscribe_notifications() {
    let body = notification(
        "write.async.done",
        with(
            installation(),
            json!({
                "objectName": "Account",
                "success": false,
                "successfulRecordIds": ["rec-1", "rec-2"],
                "errors": ["field validation failed", "duplicate record"]
            }),
        ),
    );
    let Notification::WriteAsyncDone(done) = decode(&body) else {
        panic!("not write.async.done")
    };
    assert!(!done.success);
    assert_eq!(done.successful_record_ids.unwrap(), ["rec-1", "rec-2"]);
    assert_eq!(done.errors.unwrap().len(), 2);

    let body = notification(
        "subscribe.create.error",
        with(
            installation(),
            json!({ "error": "Failed to create subscription" }),
        ),
    );
    let Notification::SubscribeCreateError(failed) = decode(&body) else {
        panic!("not subscribe.create.error")
    };
    assert_eq!(
        failed.error.as_deref(),
        Some("Failed to create subscription")
    );
}

#[test]
fn connection_notifications() {
    for kind in [
        "connection.created",
        "connection.refreshed",
        "connection.updated",
        "connection.deleted",
    ] {
        let decoded = decode(&notification(kind, connection()));
        let data = match &decoded {
            Notification::ConnectionCreated(data)
            | Notification::ConnectionRefreshed(data)
            | Notification::ConnectionUpdated(data)
            | Notification::ConnectionDeleted(data) => data,
            other => panic!("{kind} decoded as {other:?}"),
        };
        assert_eq!(data.provider, "salesforce");
        assert_eq!(decoded.notification_type(), kind);
    }

    let errors = json!(["Authentication failed", "Token refresh error"]);
    let body = notification(
        "connection.error",
        with(connection(), json!({ "errors": errors })),
    );
    let Notification::ConnectionError(failed) = decode(&body) else {
        panic!("not connection.error")
    };
    assert_eq!(
        failed.errors.as_deref().unwrap(),
        ["Authentication failed", "Token refresh error"]
    );
    assert_eq!(failed.consumer_ref, "user-123");

    // Older senders use the deprecated `error`, which decodes as sent.
    let body = notification(
        "connection.error",
        with(connection(), json!({ "error": ["Token refresh error"] })),
    );
    let Notification::ConnectionError(failed) = decode(&body) else {
        panic!("not connection.error")
    };
    #[allow(deprecated)]
    let deprecated = failed.error.as_deref().unwrap();
    assert_eq!(deprecated, ["Token refresh error"]);
    assert_eq!(failed.errors, None);
}

#[test]
fn destination_notification() {
    let body = notification(
        "destination.webhook.disabled",
        json!({
            "projectId": "550e8400-e29b-41d4-a716-446655440000",
            "destinationId": "550e8400-e29b-41d4-a716-446655440004",
            "destinationName": "production-alerts",
            "url": "https://your-webhook.com"
        }),
    );
    let Notification::DestinationWebhookDisabled(disabled) = decode(&body) else {
        panic!("not destination.webhook.disabled")
    };
    assert_eq!(disabled.destination_name, "production-alerts");
    assert_eq!(disabled.url, "https://your-webhook.com");
}

#[test]
fn every_type_of_the_spec_is_typed() {
    let spec_types = [
        "installation.created",
        "installation.updated",
        "installation.deleted",
        "read.backfill.done",
        "read.schedule.paused",
        "read.triggered.done",
        "read.triggered.error",
        "write.async.done",
        "subscribe.create.error",
        "connection.created",
        "connection.error",
        "connection.refreshed",
        "connection.updated",
        "connection.deleted",
        "destination.webhook.disabled",
    ];
    let mut known = Notification::KNOWN_TYPES.to_vec();
    known.sort_unstable();
    let mut expected = spec_types.to_vec();
    expected.sort_unstable();
    assert_eq!(known, expected);
}

#[test]
fn unknown_types_are_kept_whole() {
    let body = json!({
        "notificationType": "installation.migrated",
        "data": { "installationId": "i-1", "to": "v2" },
        "sentAt": "2026-01-01T00:00:00Z"
    });
    let Notification::Unknown(unknown) = decode(&body) else {
        panic!("an unknown type was typed")
    };
    assert_eq!(unknown.notification_type, "installation.migrated");
    assert_eq!(unknown.data().unwrap()["to"], "v2");
    assert_eq!(unknown.payload["sentAt"], "2026-01-01T00:00:00Z");
}

#[test]
fn bad_data_names_its_path() {
    let body = notification(
        "write.async.done",
        with(
            installation(),
            json!({ "objectName": "Account", "success": "yes" }),
        ),
    );
    let err = Notification::from_slice(&serde_json::to_vec(&body).unwrap()).unwrap_err();
    assert_eq!(err.path(), "$.data.success", "{err}");

    let missing = notification("connection.created", json!({ "projectId": "p" }));
    let err = Notification::from_slice(&serde_json::to_vec(&missing).unwrap()).unwrap_err();
    assert!(err.to_string().contains("connectionId"), "{err}");

    let err = Notification::from_slice(br#"{"notificationType": 7, "data": {}}"#).unwrap_err();
    assert_eq!(err.path(), "$.notificationType");
    let err =
        Notification::from_slice(br#"{"notificationType": "connection.created"}"#).unwrap_err();
    assert!(err.to_string().contains("data"), "{err}");
}

#[test]
fn webhook_messages() {
    let body = json!({
        "action": "read",
        "projectId": "550e8400-e29b-41d4-a716-446655440000",
        "provider": "hubspot",
        "workspace": "1234",
        "groupRef": "customer-group-ref",
        "groupName": "Customer Name",
        "installationId": "550e8400-e29b-41d4-a716-446655440002",
        "installationUpdateTime": "2026-01-01T10:00:00Z",
        "objectName": "people",
        "rawObjectName": "contacts",
        "operationId": "op-1",
        "resultInfo": { "type": "inline", "numRecords": 2 },
        "result": [
            {
                "fields": { "email": "a@example.com" },
                "mappedFields": { "fullName": "Ada" },
                "raw": { "id": "1", "properties": {} },
                "associations": {
                    "companies": [
                        { "id": "c-1", "objectName": "companies", "raw": {} }
                    ]
                },
                "subscribeEventType": "update",
                "fieldsUpdated": ["email"]
            },
            {
                "id": "2",
                "subscribeEventType": "associationUpdate",
                "fromRecord": { "id": "2", "objectName": "people" },
                "toRecord": { "id": "c-1" }
            }
        ],
        "consumerRef": "user-123",
        "consumerName": "John Doe",
        "operationTime": "2026-01-01T10:05:00Z",
        "readType": "scheduled"
    });
    let bytes = serde_json::to_vec(&body).unwrap();
    let Delivery::Message(message) = Delivery::from_slice(&bytes).unwrap() else {
        panic!("not a message")
    };
    assert_eq!(message.object_name, "people");
    assert_eq!(message.raw_object_name.as_deref(), Some("contacts"));
    assert_eq!(message.result_info.kind, ResultInfoType::Inline);
    assert_eq!(message.result_info.num_records, 2);
    assert_eq!(message.read_type, Some(WebhookMessageReadType::Scheduled));
    assert_eq!(
        message.installation_update_time.to_rfc3339(),
        "2026-01-01T10:00:00+00:00"
    );
    let records = message.result.as_ref().unwrap();
    assert_eq!(
        records[0].subscribe_event_type,
        Some(ResultEntrySubscribeEventType::Update)
    );
    assert_eq!(
        records[0].associations.as_ref().unwrap()["companies"][0]
            .id
            .as_deref(),
        Some("c-1")
    );
    assert_eq!(
        records[1].subscribe_event_type,
        Some(ResultEntrySubscribeEventType::AssociationUpdate)
    );
    assert_eq!(records[1].to_record.as_ref().unwrap().id, "c-1");
    assert_eq!(serde_json::to_value(&message).unwrap(), body);

    // A download URL instead of inline records, and values newer than this SDK.
    let body = json!({
        "action": "subscribe",
        "projectId": "p",
        "provider": "salesforce",
        "groupRef": "g",
        "groupName": "G",
        "installationId": "i",
        "installationUpdateTime": "2026-01-01T10:00:00Z",
        "objectName": "account",
        "resultInfo": { "type": "url", "downloadUrl": "https://storage.example/r", "numRecords": 900 },
        "consumerRef": "c",
        "consumerName": "C",
        "readType": "replayed"
    });
    let Delivery::Message(message) =
        Delivery::from_slice(&serde_json::to_vec(&body).unwrap()).unwrap()
    else {
        panic!("not a message")
    };
    assert_eq!(message.result_info.kind, ResultInfoType::Url);
    assert_eq!(
        message.result_info.download_url.as_deref(),
        Some("https://storage.example/r")
    );
    assert_eq!(
        message.read_type,
        Some(WebhookMessageReadType::Unknown("replayed".to_owned()))
    );
    assert!(message.result.is_none());
}

#[test]
fn a_message_missing_a_required_field_names_it() {
    let body = br#"{"action": "read", "projectId": "p", "resultInfo": {"type": "inline"}}"#;
    let err = Delivery::from_slice(body).unwrap_err();
    assert!(err.path().starts_with('$'), "{err}");
    assert!(err.to_string().contains("missing field"), "{err}");
    let body = br#"{"action": "read", "projectId": "p", "provider": "x", "groupRef": "g",
        "groupName": "G", "installationId": "i", "installationUpdateTime": "yesterday",
        "objectName": "o", "resultInfo": {"type": "inline", "numRecords": 1},
        "consumerRef": "c", "consumerName": "C"}"#;
    let err = Delivery::from_slice(body).unwrap_err();
    assert_eq!(err.path(), "$.installationUpdateTime", "{err}");
}
