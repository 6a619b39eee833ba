//! Shared by the workflow examples: a client of the real API when `AMP_API_KEY` is set
//! (project from `AMP_PROJECT`), else of an embedded `ampersand-mock`; and an installation to
//! work with.

#![allow(dead_code)]

use std::collections::BTreeMap;

use ampersand::resources::connections::GenerateConnection;
use ampersand::resources::installations::{
    ConfigContent, CreateInstallation, CreateInstallationConfig, ReadConfig, ReadConfigObject,
};
use ampersand::{Client, Host};
use ampersand_mock::MockServer;

pub(crate) type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The customer (group) the examples act for.
pub(crate) const CUSTOMER: &str = "customer-1";

/// An amp.yaml with one API-key integration, so no OAuth consent is needed.
pub(crate) const AMP_YAML: &str = "\
specVersion: 1.0.0
integrations:
  - name: apollo-enrich
    provider: apollo
    read:
      objects:
        - objectName: people
          destination: peopleWebhook
          schedule: \"0 * * * *\"
";

/// A client, its project, and the mock it talks to (if any; it stops when dropped).
pub(crate) struct Env {
    pub(crate) client: Client,
    pub(crate) project: String,
    pub(crate) mock: Option<MockServer>,
}

pub(crate) async fn start() -> Result<Env> {
    if std::env::var("AMP_API_KEY").is_ok_and(|k| !k.is_empty()) {
        let project = std::env::var("AMP_PROJECT").map_err(|_| "set AMP_PROJECT too")?;
        let client = Client::builder().from_env().build()?;
        return Ok(Env {
            client,
            project,
            mock: None,
        });
    }
    let mock = MockServer::start().await?;
    let urls = mock.urls();
    println!("(no AMP_API_KEY: using an embedded mock at {})", urls.api);
    let client = Client::builder()
        .api_key(mock.api_key())
        .base_url(Host::Api, &urls.api)
        .base_url(Host::Read, &urls.read)
        .base_url(Host::Write, &urls.write)
        .base_url(Host::Search, &urls.search)
        .build()?;
    Ok(Env {
        client,
        project: "mock-project".into(),
        mock: Some(mock),
    })
}

/// The integration and installation IDs to use: `AMP_INTEGRATION_ID` and
/// `AMP_INSTALLATION_ID` on the real API; on the mock, [`AMP_YAML`] deployed and installed.
pub(crate) async fn installation(env: &Env) -> Result<(String, String)> {
    if env.mock.is_none() {
        let integration =
            std::env::var("AMP_INTEGRATION_ID").map_err(|_| "set AMP_INTEGRATION_ID")?;
        let installation =
            std::env::var("AMP_INSTALLATION_ID").map_err(|_| "set AMP_INSTALLATION_ID")?;
        return Ok((integration, installation));
    }
    let (client, p) = (&env.client, env.project.as_str());
    let integrations = client.deploy(p, AMP_YAML).inline().await?;
    let integration = integrations[0].id.clone();
    let connection = client
        .send(GenerateConnection::new(p, CUSTOMER, "user-1", "apollo").api_key("apollo-key"))
        .await?;
    let people = ReadConfigObject {
        object_name: "people".into(),
        destination: Some("peopleWebhook".into()),
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
    let installed = client
        .send(
            CreateInstallation::new(p, &integration, config, CUSTOMER)
                .connection_id(&connection.id),
        )
        .await?;
    Ok((integration, installed.id))
}
