//! The connect-and-install flow against the mock: OAuth URL, API-key connection, installation
//! create and `updateMask` update, trigger a read and wait.

mod workflows_support;

use ampersand::resources::connections::ListConnections;
use ampersand::resources::installations::{
    InstallationUpdate, InstallationUpdateConfig, UpdateInstallation,
    UpdateInstallationConfigContent, UpdateInstallationField,
};
use ampersand::resources::oauth::OauthConnect;
use ampersand::resources::provider_apps::CreateProviderApp;
use ampersand::resources::read::{ReadMode, TriggerRead};
use ampersand::transport::{HyperTransport, TransportConfig};
use ampersand::workflows::WaitOptions;
use ampersand_mock::MockServer;
use bytes::Bytes;
use serde_json::json;
use tower::ServiceExt;
use workflows_support::{GROUP, PROJECT, installed, mock_client};

#[tokio::test]
async fn the_oauth_url_is_parsed_and_completes_a_connection() {
    let server = MockServer::start().await.unwrap();
    let client = mock_client(&server);
    client
        .send(CreateProviderApp::new(
            PROJECT,
            "client-id",
            "client-secret",
            "salesforce",
        ))
        .await
        .unwrap();
    let url = client
        .oauth_connect_url(OauthConnect::new(PROJECT, GROUP, "user-1", "salesforce"))
        .await
        .unwrap();
    assert_eq!(url.scheme_str(), Some("http"));
    assert_eq!(url.host(), Some("127.0.0.1"));

    // The customer opens the URL (the mock's consent page); the connection then exists.
    let transport = HyperTransport::new(&TransportConfig::default()).unwrap();
    let opened = transport
        .oneshot(http::Request::get(url).body(Bytes::new()).unwrap())
        .await
        .unwrap();
    assert!(opened.status().is_success(), "{}", opened.status());
    let connections = client
        .send(
            ListConnections::new(PROJECT)
                .provider("salesforce")
                .group_ref(GROUP),
        )
        .await
        .unwrap();
    assert_eq!(connections.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn install_update_with_a_mask_then_read_and_wait() {
    let server = MockServer::builder()
        .operation_polls(2)
        .start()
        .await
        .unwrap();
    let client = mock_client(&server);
    let ids = installed(&client).await;

    let update = UpdateInstallationConfigContent {
        read: Some(
            serde_json::from_value(json!({"objects": {"people": {
                "objectName": "people", "destination": "peopleWebhook", "schedule": "0 * * * *",
                "selectedFields": {"email": true, "title": true},
            }}}))
            .unwrap(),
        ),
        ..Default::default()
    };
    let installation = InstallationUpdate {
        config: Some(InstallationUpdateConfig {
            content: Some(update),
            ..Default::default()
        }),
        ..Default::default()
    };
    let updated = client
        .send(UpdateInstallation::new(
            PROJECT,
            &ids.integration_id,
            &ids.installation_id,
            installation,
            vec![UpdateInstallationField::ConfigContentReadObjectsObjectName(
                "people".into(),
            )],
        ))
        .await
        .unwrap();
    let people = &updated.config.content.read.as_ref().unwrap().objects["people"];
    assert_eq!(people.schedule.as_deref(), Some("0 * * * *"));
    assert_eq!(people.selected_fields.get("title"), Some(&true));

    let read = TriggerRead::new(
        PROJECT,
        &ids.integration_id,
        "people",
        GROUP,
        ReadMode::Async,
    );
    let operation = client
        .read_and_wait(PROJECT, read, WaitOptions::default())
        .await
        .unwrap();
    assert_eq!(operation.status, "success");
    assert_eq!(operation.installation_id, ids.installation_id);
}
