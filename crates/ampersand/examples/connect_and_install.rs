//! Connect a customer and install an integration for them: an OAuth URL, an API-key
//! connection (`connections:generate`), an installation created then updated with
//! `updateMask`, and a read triggered and waited for.
//!
//! ```sh
//! cargo run --example connect_and_install   # embedded mock; or AMP_API_KEY and AMP_PROJECT
//! ```

mod example_env;

use std::collections::BTreeMap;

use ampersand::resources::connections::GenerateConnection;
use ampersand::resources::installations::{
    BaseReadConfig, BaseReadConfigObject, ConfigContent, CreateInstallation,
    CreateInstallationConfig, InstallationUpdate, InstallationUpdateConfig, ReadConfig,
    ReadConfigObject, UpdateInstallation, UpdateInstallationConfigContent, UpdateInstallationField,
};
use ampersand::resources::oauth::OauthConnect;
use ampersand::resources::provider_apps::CreateProviderApp;
use ampersand::resources::read::{ReadMode, TriggerRead};
use ampersand::workflows::WaitOptions;
use example_env::{AMP_YAML, CUSTOMER, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let env = example_env::start().await?;
    let (client, p) = (&env.client, env.project.as_str());
    let integration = client.deploy(p, AMP_YAML).inline().await?.remove(0);

    // OAuth providers: send the customer's browser to this URL.
    if env.mock.is_some() {
        client
            .send(CreateProviderApp::new(
                p,
                "client-id",
                "client-secret",
                "salesforce",
            ))
            .await?;
    }
    let url = client
        .oauth_connect_url(OauthConnect::new(p, CUSTOMER, "user-1", "salesforce"))
        .await?;
    println!("OAuth consent URL: {url}");

    // API-key providers: create the connection directly.
    let connection = client
        .send(
            GenerateConnection::new(p, CUSTOMER, "user-1", "apollo").api_key("customer-apollo-key"),
        )
        .await?;
    println!("connection {} ({})", connection.id, connection.provider);

    // Install: which objects to read, where to deliver them.
    let people = ReadConfigObject {
        object_name: "people".into(),
        destination: Some("peopleWebhook".into()),
        schedule: Some("0 * * * *".into()),
        selected_fields: BTreeMap::from([("email".to_owned(), true)]),
        ..Default::default()
    };
    let content = ConfigContent {
        provider: "apollo".into(),
        read: Some(ReadConfig {
            objects: BTreeMap::from([("people".to_owned(), people)]),
        }),
        ..Default::default()
    };
    let config = CreateInstallationConfig {
        content,
        ..Default::default()
    };
    let installation = client
        .send(
            CreateInstallation::new(p, &integration.id, config, CUSTOMER)
                .connection_id(&connection.id),
        )
        .await?;
    println!("installation {}", installation.id);

    // Update one object: `updateMask` names exactly what the update replaces.
    let people = BaseReadConfigObject {
        object_name: Some("people".into()),
        destination: Some("peopleWebhook".into()),
        schedule: Some("*/30 * * * *".into()),
        selected_fields: Some(BTreeMap::from([
            ("email".to_owned(), true),
            ("title".to_owned(), true),
        ])),
        ..Default::default()
    };
    let content = UpdateInstallationConfigContent {
        read: Some(BaseReadConfig {
            objects: Some(BTreeMap::from([("people".to_owned(), people)])),
        }),
        ..Default::default()
    };
    let update = InstallationUpdate {
        config: Some(InstallationUpdateConfig {
            content: Some(content),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mask = vec![UpdateInstallationField::ConfigContentReadObjectsObjectName(
        "people".into(),
    )];
    client
        .send(UpdateInstallation::new(
            p,
            &integration.id,
            &installation.id,
            update,
            mask,
        ))
        .await?;
    println!("installation updated: people now read every 30 minutes");

    // Read now and wait for the result.
    let read = TriggerRead::new(p, &integration.id, "people", CUSTOMER, ReadMode::Async);
    let operation = client
        .read_and_wait(p, read, WaitOptions::default())
        .await?;
    println!(
        "read {}: {}",
        operation.status,
        operation.result.unwrap_or_default()
    );
    Ok(())
}
