//! Connecting a customer's SaaS account, installing an integration, and reading.
//!
//! Most of this flow is one generated operation per step; this module adds the two steps that
//! need more than a call: turning `oauthConnect`'s text/plain answer into a URL, and
//! triggering a read then waiting for its operation.
//!
//! ```no_run
//! # async fn demo(client: ampersand::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use std::collections::BTreeMap;
//! use ampersand::resources::connections::GenerateConnection;
//! use ampersand::resources::installations::{
//!     ConfigContent, CreateInstallation, CreateInstallationConfig, InstallationUpdate,
//!     InstallationUpdateConfig, ReadConfig, ReadConfigObject, UpdateInstallation,
//!     UpdateInstallationField,
//! };
//! use ampersand::resources::oauth::OauthConnect;
//! use ampersand::resources::read::{ReadMode, TriggerRead};
//! use ampersand::workflows::WaitOptions;
//!
//! // OAuth providers: send the customer to this URL; the connection exists once they consent.
//! let url = client.oauth_connect_url(OauthConnect::new("my-project", "customer-1", "user-1", "salesforce")).await?;
//! println!("open {url}");
//!
//! // API-key providers: create the connection directly (`connections:generate`).
//! let connection = client
//!     .send(GenerateConnection::new("my-project", "customer-1", "user-1", "apollo").api_key("sk-..."))
//!     .await?;
//!
//! // Install the integration for the customer.
//! let people = ReadConfigObject { object_name: "people".into(), destination: Some("webhook".into()), ..Default::default() };
//! let content = ConfigContent {
//!     provider: "apollo".into(),
//!     read: Some(ReadConfig { objects: BTreeMap::from([("people".to_owned(), people.clone())]) }),
//!     ..Default::default()
//! };
//! let config = CreateInstallationConfig { content, ..Default::default() };
//! let installation = client
//!     .send(CreateInstallation::new("my-project", "integration-id", config, "customer-1").connection_id(&connection.id))
//!     .await?;
//!
//! // Change one object's read settings: `updateMask` names what the update replaces.
//! let mut update = ampersand::resources::installations::UpdateInstallationConfigContent::default();
//! update.read = Some(serde_json::from_value(serde_json::json!({
//!     "objects": {"people": {"objectName": "people", "schedule": "0 * * * *"}}
//! }))?);
//! client
//!     .send(UpdateInstallation::new(
//!         "my-project",
//!         "integration-id",
//!         &installation.id,
//!         InstallationUpdate {
//!             config: Some(InstallationUpdateConfig { content: Some(update), ..Default::default() }),
//!             ..Default::default()
//!         },
//!         vec![UpdateInstallationField::ConfigContentReadObjectsObjectName("people".into())],
//!     ))
//!     .await?;
//!
//! // Read now, and wait for the read to finish.
//! let read = TriggerRead::new("my-project", "integration-id", "people", "customer-1", ReadMode::Async);
//! let operation = client.read_and_wait("my-project", read, WaitOptions::default()).await?;
//! println!("{:?}", operation.result);
//! # Ok(()) }
//! ```

use ampersand_core::Error;
use ampersand_resources::oauth::{OauthConnect, OauthUpdate};
use ampersand_resources::operations::Operation;
use ampersand_resources::read::TriggerRead;

use super::polling::{WaitError, WaitOptions};
use crate::Client;

impl Client {
    /// Sends `oauthConnect` and returns the provider's authorization URL, ready to open in a
    /// browser (the API answers with the URL as `text/plain`).
    pub async fn oauth_connect_url(&self, operation: OauthConnect) -> Result<http::Uri, Error> {
        authorization_url(self.send(operation).await?)
    }

    /// Sends `oauthUpdate` (re-authorizing an existing connection) and returns the URL to
    /// open.
    pub async fn oauth_update_url(&self, operation: OauthUpdate) -> Result<http::Uri, Error> {
        authorization_url(self.send(operation).await?)
    }

    /// Triggers a read (`triggerRead`), then waits for its operation like
    /// [`Client::wait_for_operation`]. `project_id_or_name` must be the project of the read.
    pub async fn read_and_wait(
        &self,
        project_id_or_name: impl Into<String>,
        read: TriggerRead,
        options: WaitOptions,
    ) -> Result<Operation, WaitError> {
        let started = self.send(read).await.map_err(WaitError::Request)?;
        self.wait_for_operation(project_id_or_name, started.operation_id, options)
            .await
    }
}

/// The URL in an OAuth answer, checked to be absolute.
fn authorization_url(text: String) -> Result<http::Uri, Error> {
    let trimmed = text.trim();
    match trimmed.parse::<http::Uri>() {
        Ok(uri) if uri.scheme().is_some() && uri.host().is_some() => Ok(uri),
        _ => Err(Error::decode(
            http::StatusCode::OK,
            http::HeaderMap::new(),
            bytes::Bytes::from(text.clone()),
            None,
            format!("the OAuth answer is not an absolute URL: {trimmed:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_urls_are_trimmed_and_must_be_absolute() {
        let uri = authorization_url("https://login.salesforce.com/authorize?x=1\n".into()).unwrap();
        assert_eq!(uri.host(), Some("login.salesforce.com"));
        assert_eq!(uri.query(), Some("x=1"));
        for bad in ["", "not a url", "/relative/path"] {
            let error = authorization_url(bad.into()).unwrap_err();
            assert!(error.is_decode(), "{bad:?}");
        }
    }
}
