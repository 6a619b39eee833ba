//! Deploying integrations from amp.yaml, as `amp deploy` does.
//!
//! [`Client::deploy`] parses and validates the manifest locally first (every problem at once,
//! each with its YAML path), then deploys it one of two ways:
//!
//! - [`DeployMethod::Upload`] (the default, the CLI's way): zip `amp.yaml`, ask
//!   `generateUploadUrl` for a signed URL announcing the zip's base64 MD5, `PUT` the zip to
//!   that URL with `Content-MD5` and no Ampersand credentials, then `batchUpsertIntegrations`
//!   with the `gs://bucket/path` source;
//! - [`DeployMethod::Inline`]: `batchUpsertIntegrations` with the YAML text as `sourceYaml`.
//!
//! The signed URL belongs to the storage service, not to Ampersand: the `PUT` goes through a
//! plain transport (by default a fresh [`HyperTransport`] with the client's TLS and proxy
//! settings, so it leaves through the same egress proxy), never through the client's
//! authenticated stack, so the API key or token cannot leak to it.
//!
//! ```no_run
//! # async fn demo(client: ampersand::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let yaml = std::fs::read_to_string("amp.yaml")?;
//! let integrations = client.deploy("my-project", yaml).destructive(false).await?;
//! for integration in integrations {
//!     println!("{} {}", integration.name, integration.id);
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use ampersand_core::encode::RequestBuilder;
use ampersand_core::{BoxError, Error, Operation, OperationMeta};
use ampersand_resources::integrations::{BatchUpsertIntegrations, Integration};
use ampersand_resources::upload_urls::{GenerateUploadUrl, SignedUrl};
use bytes::Bytes;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

use crate::Client;
use crate::manifest::{Manifest, ManifestError, UploadArchive, ValidationErrors};
use crate::transport::{HyperTransport, TransportConfig};

/// The transport that sends the signed-URL upload: a plain HTTP client, no Ampersand layers.
pub type UploadTransport =
    BoxCloneSyncService<http::Request<Bytes>, http::Response<Bytes>, BoxError>;

/// How [`Deploy`] hands the manifest to Ampersand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DeployMethod {
    /// Upload a zip to a signed URL, then deploy from `gs://bucket/path` (what the CLI does).
    #[default]
    Upload,
    /// Send the YAML text in the request (`sourceYaml`).
    Inline,
}

impl Client {
    /// Prepares a deployment of `amp_yaml` (the text of an amp.yaml file) to a project; await
    /// it to validate and deploy. See the [module docs](self).
    pub fn deploy(
        &self,
        project_id_or_name: impl Into<String>,
        amp_yaml: impl Into<String>,
    ) -> Deploy {
        Deploy {
            client: self.clone(),
            project: project_id_or_name.into(),
            yaml: amp_yaml.into(),
            method: DeployMethod::default(),
            destructive: false,
            upload_transport: None,
        }
    }
}

/// A deployment of amp.yaml, sent when awaited. Returns the integrations as deployed.
#[must_use = "a Deploy does nothing until it is awaited"]
pub struct Deploy {
    client: Client,
    project: String,
    yaml: String,
    method: DeployMethod,
    destructive: bool,
    upload_transport: Option<UploadTransport>,
}

impl fmt::Debug for Deploy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deploy")
            .field("project", &self.project)
            .field("method", &self.method)
            .field("destructive", &self.destructive)
            .field("custom_upload_transport", &self.upload_transport.is_some())
            .finish_non_exhaustive()
    }
}

impl Deploy {
    /// Chooses how the manifest is sent. Default: [`DeployMethod::Upload`].
    pub fn method(mut self, method: DeployMethod) -> Self {
        self.method = method;
        self
    }

    /// Sends the YAML inline (`sourceYaml`) instead of uploading a zip.
    pub fn inline(self) -> Self {
        self.method(DeployMethod::Inline)
    }

    /// Allows destructive changes, such as pausing the reads of an object the new revision
    /// removes (`destructive=true`, what the CLI's "stop reading" answer sends). Default: false.
    pub fn destructive(mut self, destructive: bool) -> Self {
        self.destructive = destructive;
        self
    }

    /// Replaces the transport of the signed-URL upload (a proxy client, a test double). It
    /// receives the `PUT` exactly as it should go on the wire; no Ampersand layer wraps it.
    pub fn upload_transport<S>(mut self, transport: S) -> Self
    where
        S: Service<http::Request<Bytes>, Response = http::Response<Bytes>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        self.upload_transport = Some(BoxCloneSyncService::new(transport.map_err(Into::into)));
        self
    }

    /// Validates and deploys.
    async fn run(self) -> Result<Vec<Integration>, DeployError> {
        let manifest = Manifest::from_yaml(&self.yaml).map_err(DeployError::Parse)?;
        manifest.validate().map_err(DeployError::Invalid)?;
        let upsert = BatchUpsertIntegrations::new(&self.project).destructive(self.destructive);
        let upsert = match self.method {
            DeployMethod::Inline => upsert.source_yaml(self.yaml),
            DeployMethod::Upload => {
                let archive = UploadArchive::from_yaml(&self.yaml);
                let transport = match self.upload_transport {
                    Some(transport) => transport,
                    None => default_upload_transport(self.client.transport_config())
                        .map_err(DeployError::Upload)?,
                };
                let source = upload(&self.client, transport, &archive).await?;
                upsert.source_zip_url(source)
            }
        };
        self.client.send(upsert).await.map_err(DeployError::Request)
    }
}

impl IntoFuture for Deploy {
    type Output = Result<Vec<Integration>, DeployError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'static>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// A plain transport with the client's TLS and proxy settings: the upload goes through the
/// same egress proxy, and carries no Ampersand credential (no auth layer above it).
fn default_upload_transport(config: &TransportConfig) -> Result<UploadTransport, Error> {
    let transport = HyperTransport::new(config)?;
    Ok(BoxCloneSyncService::new(transport.map_err(BoxError::from)))
}

/// Uploads the zip to a fresh signed URL; returns its `gs://bucket/path` source.
async fn upload(
    client: &Client,
    transport: UploadTransport,
    archive: &UploadArchive,
) -> Result<String, DeployError> {
    let md5 = archive.content_md5();
    let signed: SignedUrl = client
        .send(GenerateUploadUrlForMd5 {
            md5: md5.to_owned(),
        })
        .await
        .map_err(DeployError::Request)?;
    let request = http::Request::put(&signed.url)
        .header("content-md5", md5)
        .body(Bytes::copy_from_slice(archive.bytes()))
        .map_err(|e| {
            DeployError::Upload(Error::encode_with_source(
                "the signed upload URL is not a valid URL",
                e,
            ))
        })?;
    let response = transport
        .oneshot(request)
        .await
        .map_err(|e| DeployError::Upload(Error::from_boxed(e)))?;
    if !response.status().is_success() {
        return Err(DeployError::Upload(Error::from_response(response)));
    }
    Ok(format!("gs://{}/{}", signed.bucket, signed.path))
}

/// `generateUploadUrl` with the `md5` query parameter the CLI sends and the storage signs
/// into the URL. The spec does not declare the parameter, so the generated
/// [`GenerateUploadUrl`] cannot send it; this reuses its metadata and decoding.
struct GenerateUploadUrlForMd5 {
    md5: String,
}

impl Operation for GenerateUploadUrlForMd5 {
    type Output = SignedUrl;
    const META: &'static OperationMeta = GenerateUploadUrl::META;

    fn encode(&self) -> Result<http::Request<Bytes>, Error> {
        RequestBuilder::new(Self::META)
            .query("md5", &self.md5)
            .accept_json()
            .build()
    }

    fn decode(response: http::Response<Bytes>) -> Result<SignedUrl, Error> {
        GenerateUploadUrl::decode(response)
    }
}

/// Why a deployment failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum DeployError {
    /// amp.yaml is not valid YAML or does not fit the manifest's types; nothing was sent.
    Parse(ManifestError),
    /// amp.yaml failed the local checks (every problem, each with its YAML path); nothing
    /// was sent.
    Invalid(ValidationErrors),
    /// The `PUT` to the signed URL failed; a storage error keeps its status and body.
    Upload(Error),
    /// An Ampersand call failed (`generateUploadUrl` or `batchUpsertIntegrations`).
    Request(Error),
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::Parse(error) => error.fmt(f),
            DeployError::Invalid(errors) => write!(f, "amp.yaml is invalid: {errors}"),
            DeployError::Upload(error) => write!(f, "uploading amp.yaml failed: {error}"),
            DeployError::Request(error) => write!(f, "deploying failed: {error}"),
        }
    }
}

impl std::error::Error for DeployError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeployError::Parse(error) => Some(error),
            DeployError::Invalid(errors) => Some(errors),
            DeployError::Upload(error) | DeployError::Request(error) => Some(error),
        }
    }
}

/// Request and upload errors are returned as they are; manifest errors become
/// [`ErrorKind::Other`](ampersand_core::ErrorKind::Other) errors with the [`DeployError`] as
/// their source.
impl From<DeployError> for Error {
    fn from(error: DeployError) -> Self {
        match error {
            DeployError::Upload(error) | DeployError::Request(error) => error,
            other => Error::from_boxed(Box::new(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_url_request_carries_the_md5_percent_encoded() {
        let request = GenerateUploadUrlForMd5 {
            md5: "1B2M2Y8AsgTpgAmY7PhCfg==".to_owned(),
        }
        .to_request()
        .unwrap();
        assert_eq!(request.method(), http::Method::GET);
        assert_eq!(
            request.uri().to_string(),
            "/generate-upload-url?md5=1B2M2Y8AsgTpgAmY7PhCfg%3D%3D"
        );
        assert_eq!(
            ampersand_core::CallContext::of(&request).operation_id(),
            Some("generateUploadUrl")
        );
    }
}
