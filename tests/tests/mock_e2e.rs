//! The SDK against the embedded mock: the builder lifecycle through the default client, and
//! the client's resilience against the mock's fault knobs.

use std::time::Duration;

use ampersand::resources::connections::GenerateConnection;
use ampersand::resources::integrations::{BatchUpsertIntegrations, ListIntegrations};
use ampersand::resources::operations::GetOperation;
use ampersand::resources::projects::{GetProject, ListProjects};
use ampersand::resources::providers::ListProviders;
use ampersand::resources::read::{ReadMode, TriggerRead};
use ampersand::{Client, ErrorKind, Host};
use ampersand_mock::{FaultRule, MockServer};

const AMP_YAML: &str = "\
specVersion: 1.0.0
integrations:
  - name: apollo-enrich
    provider: apollo
    read:
      objects:
        - objectName: people
          destination: contactWebhook
          schedule: \"0 * * * *\"
";

fn client(mock: &MockServer) -> Client {
    let urls = mock.urls();
    Client::builder()
        .api_key(mock.api_key())
        .bearer_token("builder-jwt")
        .base_url(Host::Api, &urls.api)
        .base_url(Host::Read, &urls.read)
        .base_url(Host::Write, &urls.write)
        .base_url(Host::Search, &urls.search)
        .build()
        .unwrap()
}

#[tokio::test]
async fn deploy_connect_trigger_and_poll() {
    let mock = MockServer::start().await.unwrap();
    let client = client(&mock);
    let p = "mock-project";
    assert_eq!(client.send(ListProjects::new()).await.unwrap().len(), 1);

    let deployed = client
        .send(BatchUpsertIntegrations::new(p).source_yaml(AMP_YAML))
        .await
        .unwrap();
    assert_eq!(deployed[0].name, "apollo-enrich");
    let listed = client.send(ListIntegrations::new(p)).await.unwrap();
    assert_eq!(listed.len(), 1);

    let connection = client
        .send(GenerateConnection::new(p, "g1", "u1", "apollo").api_key("k"))
        .await
        .unwrap();
    assert_eq!(connection.group.group_ref, "g1");

    let triggered = client
        .send(TriggerRead::new(
            p,
            &deployed[0].id,
            "people",
            "g1",
            ReadMode::Async,
        ))
        .await;
    // No installation yet: the mock answers with a typed problem, not a panic or a hang.
    let error = triggered.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert!(error.problem().is_some());

    let unknown = client
        .send(GetOperation::new(p, "no-such-operation"))
        .await
        .unwrap_err();
    assert!(unknown.is_not_found(), "{unknown}");
}

#[tokio::test]
async fn retries_through_a_503_burst() {
    let mock = MockServer::start().await.unwrap();
    mock.faults()
        .push(FaultRule::status(503).operation("getProject").times(2));
    let client = client(&mock);
    let project = client.send(GetProject::new("mock-project")).await.unwrap();
    assert_eq!(project.name, "mock-project");
}

#[tokio::test]
async fn honours_retry_after_from_a_429() {
    let mock = MockServer::start().await.unwrap();
    mock.faults().push(
        FaultRule::rate_limit(Duration::from_secs(1))
            .operation("listProviders")
            .times(1),
    );
    let client = client(&mock);
    let started = std::time::Instant::now();
    let providers = client.send(ListProviders::new()).await.unwrap();
    assert!(!providers.is_empty());
    // The second attempt waited for the server's Retry-After (a lower bound only: no upper
    // bound is asserted, since CI machines stall).
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_dropped_connection_on_a_post_is_not_resent() {
    let mock = MockServer::start().await.unwrap();
    mock.faults().push(
        FaultRule::drop_connection()
            .operation("batchUpsertIntegrations")
            .times(1),
    );
    let client = client(&mock);
    // PUT integrations:batch is idempotent, so a dropped connection is retried.
    let deployed = client
        .send(BatchUpsertIntegrations::new("mock-project").source_yaml(AMP_YAML))
        .await
        .unwrap();
    assert_eq!(deployed.len(), 1);

    mock.faults().push(
        FaultRule::drop_connection()
            .operation("generateConnection")
            .times(1),
    );
    // POST connections:generate may have reached the server: not resent.
    let error = client
        .send(GenerateConnection::new("mock-project", "g2", "u2", "apollo").api_key("k"))
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Transport | ErrorKind::Connect),
        "{error:?}"
    );
    assert_eq!(error.attempts(), 1, "{error}");
}
