//! The mock's in-memory state, which is also the format of seeds and dumps.
//!
//! Every resource is kept in the exact JSON shape the API returns, keyed by its ID, so a dump
//! reads like a series of API responses. Members the API never returns (credentials, signing
//! secrets, pending operation progress) are kept in separate maps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A table of resources keyed by ID, each in its API shape.
pub(crate) type Table = BTreeMap<String, Value>;

/// The whole state of a mock server.
///
/// Serialized with [`crate::MockServer::dump`] and accepted by
/// [`crate::MockServerBuilder::seed`]; every member is optional in a seed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct State {
    /// Organizations (`Org`).
    pub orgs: Table,
    /// Projects (`Project`).
    pub projects: Table,
    /// API keys (`ApiKey`), keyed by the key itself.
    pub api_keys: Table,
    /// JWT keys (`JWTKey`).
    pub jwt_keys: Table,
    /// Provider apps (`ProviderApp`).
    pub provider_apps: Table,
    /// Integrations (`Integration`, with `latestRevision`).
    pub integrations: Table,
    /// Every revision (`Revision`) by ID, with its `integrationId` in [`State::revision_owners`].
    pub revisions: Table,
    /// The integration of each revision.
    pub revision_owners: BTreeMap<String, String>,
    /// Connections (`Connection`, without credentials).
    pub connections: Table,
    /// The credentials of each connection (`apiKey`, `basicAuth`, `oauth2AuthorizationCode`, ...).
    pub credentials: Table,
    /// Installations (`Installation`).
    pub installations: Table,
    /// Operations (`Operation`).
    pub operations: Table,
    /// How many more `getOperation` calls each in-progress operation answers before it
    /// completes.
    pub pending_polls: BTreeMap<String, u32>,
    /// The logs (`Log`) of each operation.
    pub logs: BTreeMap<String, Vec<Value>>,
    /// Destinations (`Destination`).
    pub destinations: Table,
    /// The project of each destination.
    pub destination_projects: BTreeMap<String, String>,
    /// The webhook signing key of each destination.
    pub signing_keys: BTreeMap<String, String>,
    /// Topics (`Topic`).
    pub topics: Table,
    /// Notification event to topic routes (`NotificationEventTopicRoute`).
    pub event_topic_routes: Table,
    /// Topic to destination routes (`TopicDestinationRoute`).
    pub topic_destination_routes: Table,
    /// Org invites (`Invite`).
    pub invites: Table,
    /// Builders (`Builder`); the caller of every Bearer operation is [`State::me`].
    pub builders: Table,
    /// The builder that Bearer tokens authenticate as.
    pub me: Option<String>,
    /// The builders of each org.
    pub memberships: BTreeMap<String, Vec<String>>,
    /// Billing accounts (`BillingAccount`), keyed by org ID.
    pub billing_accounts: Table,
    /// Claimed domains (`ClaimedDomainResponse`).
    pub claimed_domains: Table,
    /// Custom object metadata fields, keyed by `project/provider/groupRef/object`.
    pub custom_fields: BTreeMap<String, BTreeMap<String, Value>>,
    /// Uploads to the signed-URL endpoint, keyed by `bucket/path`.
    pub uploads: BTreeMap<String, Upload>,
    /// Pending OAuth flows started by oauthConnect or oauthUpdate, keyed by session ID.
    pub oauth_sessions: Table,
    /// Parked multi-step custom auth flows started by customAuthConnect, keyed by session ID
    /// (the first call's identity: project, provider, group and consumer).
    pub custom_auth_sessions: Table,
    /// Paused read objects of each installation (`*` for all).
    pub paused: BTreeMap<String, Vec<String>>,
    /// Records written through the write API, keyed by `installationId/object`.
    pub records: BTreeMap<String, Vec<Value>>,
}

/// An upload slot created by generateUploadUrl.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Upload {
    /// The base64 MD5 the uploader announced, if any.
    pub md5: Option<String>,
    /// The uploaded bytes, base64-encoded; `None` until the PUT arrives.
    pub content: Option<String>,
}

/// A fresh random UUID (version 4), as the API forms IDs.
pub(crate) fn uuid() -> String {
    let mut bytes = [0u8; 16];
    for b in &mut bytes {
        *b = fastrand::u8(..);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A random lowercase hex string of `bytes` bytes.
pub(crate) fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

/// The current time in RFC 3339 with microseconds, as the API forms timestamps.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl State {
    /// The state a new mock starts with: one org, one project and the builder Bearer tokens
    /// authenticate as.
    pub(crate) fn bootstrap() -> State {
        let mut state = State::default();
        let time = now();
        let builder_id = uuid();
        state.builders.insert(
            builder_id.clone(),
            json!({
                "id": builder_id, "idpProvider": "clerk", "idpRef": format!("user_{}", random_hex(8)),
                "createTime": time, "firstName": "Mock", "lastName": "Builder",
                "fullName": "Mock Builder", "primaryEmail": "builder@example.com",
            }),
        );
        state.me = Some(builder_id.clone());
        let org_id = uuid();
        state.orgs.insert(
            org_id.clone(),
            json!({"id": org_id, "label": "Mock Org", "defaultTeamId": uuid(), "createTime": time}),
        );
        state.memberships.insert(org_id.clone(), vec![builder_id]);
        let project_id = uuid();
        state.projects.insert(
            project_id.clone(),
            json!({
                "id": project_id, "name": "mock-project", "appName": "Mock App",
                "orgId": org_id, "createTime": time,
            }),
        );
        state
    }

    /// The first org (the bootstrap one, for a fresh mock).
    pub(crate) fn first_org(&self) -> Option<&Value> {
        self.orgs.values().next()
    }

    /// Looks a project up by ID or name.
    pub(crate) fn project(&self, id_or_name: &str) -> Option<&Value> {
        self.projects.get(id_or_name).or_else(|| {
            self.projects
                .values()
                .find(|p| p["name"].as_str() == Some(id_or_name))
        })
    }
}

/// The string member `key` of a resource (empty when absent).
pub(crate) fn s<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4() {
        let id = uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(uuid(), id);
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert!(chrono::DateTime::parse_from_rfc3339(&now()).is_ok());
    }

    #[test]
    fn state_round_trips_through_json() {
        let state = State::bootstrap();
        let json = serde_json::to_value(&state).unwrap();
        let back: State = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
        assert!(back.project("mock-project").is_some());
    }
}
