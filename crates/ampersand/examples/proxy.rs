//! The Proxy API: call a customer's CRM through Ampersand with their installed connection.
//!
//! ```text
//! cargo run -p ampersand --example proxy
//! ```
//!
//! Offline by default: an embedded `ampersand-mock` serves the proxy host, with a small fake CRM
//! (contacts and companies, HubSpot-shaped paths) behind each installation. To call a real
//! provider, set `AMP_API_KEY`, `AMP_PROJECT_ID` (the project's id, not its name) and
//! `AMP_INSTALLATION_ID`; the paths below are then your provider's.

use ampersand::proxy::{ProxyTarget, ResponseExt};
use ampersand::{Client, Error, Host};
use ampersand_mock::MockServer;
use serde_json::{Value, json};

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("proxy example failed: {error}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Error> {
    let (client, project_id, installation_id, _mock) = connect().await?;
    let crm = client.proxy(
        &project_id,
        ProxyTarget::installation(installation_id.as_str()),
    );

    // Create, read, update: the provider's own paths and bodies.
    let created: Value = crm
        .post("/crm/v3/objects/contacts")
        .json(&json!({"properties": {"email": "ada@example.com", "firstname": "Ada"}}))
        .send()
        .await?
        .error_for_status()?
        .json()?;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    println!("created contact {id}");
    let path = format!("/crm/v3/objects/contacts/{id}");
    let updated: Value = crm
        .patch(&path)
        .json(&json!({"properties": {"lastname": "Lovelace"}}))
        .path_template("/crm/v3/objects/contacts/{id}")
        .send()
        .await?
        .error_for_status()?
        .json()?;
    println!("updated: {}", updated["properties"]);

    // List page by page, following the provider's cursor.
    let mut after: Option<String> = None;
    let mut listed = 0;
    loop {
        let mut request = crm
            .get("/crm/v3/objects/contacts")
            .query(&[("limit", "50")]);
        if let Some(cursor) = &after {
            request = request.query(&[("after", cursor)]);
        }
        let page: Value = request.send().await?.error_for_status()?.json()?;
        listed += page["results"].as_array().map_or(0, Vec::len);
        match page["paging"]["next"]["after"].as_str() {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => break,
        }
    }
    println!("listed {listed} contact(s)");

    // A provider's 404 is an answer, not an error...
    let missing = crm.get("/crm/v3/objects/contacts/0").send().await?;
    println!(
        "the provider answered {} for a missing contact",
        missing.status()
    );

    // ...while Ampersand's own refusals are errors.
    let unknown = client.proxy(
        &project_id,
        ProxyTarget::installation("no-such-installation"),
    );
    match unknown.get("/crm/v3/objects/contacts").send().await {
        Err(error) => println!("Ampersand refused: {error}"),
        Ok(response) => println!("unexpectedly answered {}", response.status()),
    }

    // Throttle mode: Ampersand queues calls over the provider's rate limit instead of refusing.
    let deleted = crm.clone().throttle().delete(&path).send().await?;
    println!("deleted contact {id}: {}", deleted.status());
    Ok(())
}

/// The client, project id and installation id: from the environment for the real API, else
/// an embedded mock with one installation (kept alive by the returned handle).
async fn connect() -> Result<(Client, String, String, Option<MockServer>), Error> {
    if std::env::var("AMP_API_KEY").is_ok_and(|k| !k.is_empty()) {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| Error::config(format!("set {name} as well")))
        };
        let client = Client::builder().from_env().build()?;
        return Ok((
            client,
            var("AMP_PROJECT_ID")?,
            var("AMP_INSTALLATION_ID")?,
            None,
        ));
    }
    let mock = MockServer::start()
        .await
        .map_err(|e| Error::config(format!("could not start the embedded mock: {e}")))?;
    let project_id = mock
        .proxy()
        .project_id()
        .ok_or_else(|| Error::config("the mock has no project"))?;
    let installation_id = mock
        .proxy()
        .install(&project_id, "hubspot-crm", "customer-1", true);
    println!(
        "(no AMP_API_KEY: proxying to the embedded mock at {})",
        mock.urls().proxy
    );
    let client = Client::builder()
        .api_key(mock.api_key())
        .base_url(Host::Api, &mock.urls().api)
        .base_url(Host::Proxy, &mock.urls().proxy)
        .build()?;
    Ok((client, project_id, installation_id, Some(mock)))
}
