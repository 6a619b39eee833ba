//! The whole lifecycle a builder goes through, in one run.
//!
//! ```sh
//! cargo run --example quickstart                       # against the embedded mock server
//! AMP_API_KEY=... AMP_PROJECT=my-project cargo run --example quickstart   # against the real API
//! ```
//!
//! With no `AMP_API_KEY` it starts `ampersand-mock` in-process and talks to it over loopback
//! HTTP, through the same default client (auth, retries, rate limiting, tracing, problems)
//! that production code uses. With `AMP_API_KEY` it reads its settings with
//! `Client::builder().from_env()` (`AMP_API_URL`, and `AMP_READ_URL`, `AMP_WRITE_URL`,
//! `AMP_SEARCH_URL` for the other hosts) and runs against that API: the real one, or a mock
//! started with `cargo run -p ampersand-mock`, whose banner prints these variables. It needs
//! a project: `AMP_PROJECT` names one; without it, `AMP_BEARER_TOKEN` (a builder's JWT) lets it
//! find or create one, since getMyInfo and createProject accept only a Bearer token.

use std::collections::BTreeMap;
use std::time::Duration;

use ampersand::resources::connections::GenerateConnection;
use ampersand::resources::destinations::{
    CreateDestination, CreateDestinationMetadata, CreateDestinationType, CreateTopic,
    CreateTopicDestinationRoute, DeleteDestination, DeleteTopic, GetDestination,
};
use ampersand::resources::installations::{
    ConfigContent, CreateInstallation, CreateInstallationConfig, DeleteInstallation, ReadConfig,
    ReadConfigObject,
};
use ampersand::resources::integrations::DeleteIntegration;
use ampersand::resources::notifications::{CreateEventTopicRoute, NotificationEventType};
use ampersand::resources::oauth::OauthConnect;
use ampersand::resources::operations::ListOperationLogs;
use ampersand::resources::projects::{CreateProject, ListProjects};
use ampersand::resources::provider_apps::{CreateProviderApp, DeleteProviderApp};
use ampersand::resources::read::{ReadMode, TriggerRead};
use ampersand::resources::users::GetMyInfo;
use ampersand::workflows::WaitOptions;
use ampersand::{Client, Error, Host};
use ampersand_mock::MockServer;

/// The amp.yaml deployed by this walk-through: an OAuth integration and an API-key one.
const AMP_YAML: &str = "\
specVersion: 1.0.0
integrations:
  - name: salesforce-sync
    displayName: Salesforce sync
    provider: salesforce
    read:
      objects:
        - objectName: contact
          destination: contactWebhook
          schedule: \"*/10 * * * *\"
          requiredFields:
            - fieldName: email
    proxy:
      enabled: true
  - name: apollo-enrich
    displayName: Apollo enrichment
    provider: apollo
    read:
      objects:
        - objectName: people
          destination: contactWebhook
          schedule: \"0 * * * *\"
    proxy:
      enabled: true
";

const CUSTOMER: &str = "customer-1";

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("quickstart failed: {error:#}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A client: the real API when AMP_API_KEY is set, else the embedded mock.
    let (client, _mock) = connect().await?;

    // 2. Pick a project, or create one (createProject needs a Bearer JWT).
    let project = pick_or_create_project(&client).await?;
    let p = project.as_str();
    step(format!("using project `{p}`"));

    // 3. Register a provider app: your OAuth client for Salesforce.
    let app = client
        .send(CreateProviderApp::new(
            p,
            "my-client-id",
            "my-client-secret",
            "salesforce",
        ))
        .await?;
    step(format!("registered provider app {} for salesforce", app.id));

    // 4. Deploy amp.yaml: validated locally first, then zipped, uploaded to a signed URL
    //    (with Content-MD5 and no Ampersand credentials) and upserted.
    let integrations = client.deploy(p, AMP_YAML).await?;
    for integration in &integrations {
        step(format!(
            "deployed integration `{}` ({})",
            integration.name, integration.id
        ));
    }
    let apollo = integrations
        .iter()
        .find(|i| i.provider == "apollo")
        .ok_or("apollo-enrich was not deployed")?;

    // 5. Connect a customer: an API-key connection, and an OAuth URL for the browser.
    let connection = client
        .send(
            GenerateConnection::new(p, CUSTOMER, "user-1", "apollo").api_key("customer-apollo-key"),
        )
        .await?;
    step(format!(
        "created API-key connection {} for {CUSTOMER}",
        connection.id
    ));
    let url = client
        .send(OauthConnect::new(p, CUSTOMER, "user-1", "salesforce"))
        .await?;
    step(format!("OAuth URL for the customer's browser: {url}"));

    // 6. Install the Apollo integration for the customer.
    let mut objects = BTreeMap::new();
    objects.insert(
        "people".to_owned(),
        ReadConfigObject {
            object_name: "people".into(),
            destination: Some("contactWebhook".into()),
            schedule: Some("0 * * * *".into()),
            selected_fields: BTreeMap::from([("email".to_owned(), true)]),
            ..Default::default()
        },
    );
    let config = CreateInstallationConfig {
        content: ConfigContent {
            provider: "apollo".into(),
            read: Some(ReadConfig { objects }),
            ..Default::default()
        },
        ..Default::default()
    };
    let installation = client
        .send(
            CreateInstallation::new(p, &apollo.id, config, CUSTOMER).connection_id(&connection.id),
        )
        .await?;
    step(format!(
        "installed for {CUSTOMER}: installation {}",
        installation.id
    ));

    // 6b. Call the customer's Apollo through Ampersand's Proxy API, with their connection:
    //     the provider's own path; any status is the provider's answer (the mock serves a small
    //     CRM and an `/echo` route; on the real API use a path of your provider's).
    let proxy = client.proxy(
        &installation.project_id,
        ampersand::proxy::ProxyTarget::installation(installation.id.as_str()),
    );
    let answer = proxy.get("/echo/v1/people?per_page=5").send().await?;
    step(format!(
        "proxied GET /echo/v1/people to {CUSTOMER}'s Apollo: provider answered {}",
        answer.status()
    ));

    // 7. Trigger a read and wait for it.
    let triggered = client
        .send(TriggerRead::new(
            p,
            &apollo.id,
            "people",
            CUSTOMER,
            ReadMode::Async,
        ))
        .await?;
    let operation_id = triggered.operation_id;
    step(format!("triggered a read: operation {operation_id}"));
    let options = WaitOptions::default()
        .initial_delay(Duration::from_millis(200))
        .on_progress(|progress| {
            if let Some(done) = progress.records_processed {
                step(format!("  {}: {done} records so far", progress.status));
            }
        });
    let operation = client.wait_for_operation(p, &operation_id, options).await?;
    step(format!("the read finished: {}", operation.status));

    // 8. List its logs.
    let logs = client
        .send(ListOperationLogs::new(p, &operation_id))
        .await?;
    for log in logs.iter().take(3) {
        step(format!("  log [{}] {}", log.severity, log.message.msg));
    }

    // 9. A webhook destination, with notifications routed to it through a topic.
    let destination = client
        .send(CreateDestination::new(
            p,
            "contactWebhook",
            CreateDestinationType::Webhook,
            CreateDestinationMetadata {
                url: Some("https://example.com/ampersand/webhook".into()),
                ..Default::default()
            },
        ))
        .await?;
    let topic = client.send(CreateTopic::new(p, "installations")).await?;
    client
        .send(CreateEventTopicRoute::new(
            p,
            NotificationEventType::InstallationCreated,
            &topic.id,
        ))
        .await?;
    client
        .send(CreateTopicDestinationRoute::new(
            p,
            &topic.id,
            &destination.id,
        ))
        .await?;
    let with_secret = client
        .send(GetDestination::new(p, &destination.name).include_secrets(true))
        .await?;
    let has_secret = with_secret
        .secrets
        .as_ref()
        .and_then(|s| s.webhook_signing_key.as_ref())
        .is_some();
    step(format!(
        "webhook destination `{}` routed from topic `{}` (signing secret available: {has_secret})",
        destination.name, topic.name
    ));

    // 10. Clean up.
    client
        .send(DeleteInstallation::new(p, &apollo.id, &installation.id))
        .await?;
    client.send(DeleteTopic::new(p, &topic.id)).await?;
    client
        .send(DeleteDestination::new(p, &destination.name))
        .await?;
    for integration in &integrations {
        client
            .send(DeleteIntegration::new(p, &integration.id))
            .await?;
    }
    client.send(DeleteProviderApp::new(p, &app.id)).await?;
    step("cleaned up: installation, topic, destination, integrations, provider app");
    Ok(())
}

/// The client, and the mock server it talks to when no credentials are given.
async fn connect() -> Result<(Client, Option<MockServer>), Error> {
    if std::env::var("AMP_API_KEY").is_ok_and(|k| !k.is_empty()) {
        let mut builder = Client::builder().from_env();
        if let Some(jwt) = bearer_token() {
            builder = builder.bearer_token(jwt);
        }
        let client = builder.build()?;
        step(format!(
            "AMP_API_KEY is set: talking to the Ampersand API at {}",
            client.base_urls().get(Host::Api)
        ));
        return Ok((client, None));
    }
    let mock = MockServer::start()
        .await
        .map_err(|e| Error::config(format!("could not start the embedded mock: {e}")))?;
    let urls = mock.urls();
    step(format!(
        "no AMP_API_KEY: started the embedded Ampersand mock at {}",
        urls.api
    ));
    let client = Client::builder()
        .api_key(mock.api_key())
        .bearer_token("mock-builder-jwt")
        .base_url(Host::Api, &urls.api)
        .base_url(Host::Read, &urls.read)
        .base_url(Host::Write, &urls.write)
        .base_url(Host::Search, &urls.search)
        .base_url(Host::Proxy, &urls.proxy)
        .build()?;
    Ok((client, Some(mock)))
}

/// `AMP_BEARER_TOKEN`, when set.
fn bearer_token() -> Option<String> {
    std::env::var("AMP_BEARER_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
}

async fn pick_or_create_project(client: &Client) -> Result<String, Box<dyn std::error::Error>> {
    if let Some(project) = std::env::var("AMP_PROJECT").ok().filter(|p| !p.is_empty()) {
        return Ok(project);
    }
    // getMyInfo (and createProject) accept only a Bearer token: with only an API key, say
    // which variable gets past this step.
    let me = client.send(GetMyInfo::new()).await.map_err(|error| {
        if bearer_token().is_none() {
            format!(
                "{error}\n\nWith only AMP_API_KEY the quickstart cannot pick a project: set \
                 AMP_PROJECT=<your project's name or ID>, or AMP_BEARER_TOKEN=<a builder's JWT> \
                 so that it can find or create one (getMyInfo and createProject accept only a \
                 Bearer token)."
            )
            .into()
        } else {
            Box::<dyn std::error::Error>::from(error)
        }
    })?;
    let name = "quickstart-demo";
    let projects = client.send(ListProjects::new()).await?;
    if projects.iter().any(|p| p.name == name) {
        return Ok(name.to_owned());
    }
    let org = me
        .org_role
        .map(|role| role.org.id)
        .ok_or_else(|| Error::config("this user belongs to no org"))?;
    let project = client
        .send(CreateProject::new("Quickstart Demo", name, org))
        .await?;
    step(format!(
        "created project `{}` ({})",
        project.name, project.id
    ));
    Ok(project.name)
}

fn step(message: impl std::fmt::Display) {
    println!("• {message}");
}
