//! Shared by the `workflows_*` tests: a scripted loopback server for misbehaviour, and a mock
//! with an installation ready to read.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use ampersand::resources::connections::GenerateConnection;
use ampersand::resources::installations::{
    ConfigContent, CreateInstallation, CreateInstallationConfig, ReadConfig, ReadConfigObject,
};
use ampersand::{Client, Host};
use ampersand_mock::MockServer;
use bytes::Bytes;
use http::{HeaderMap, Method, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

pub const PROJECT: &str = "mock-project";
pub const GROUP: &str = "customer-1";

pub const AMP_YAML: &str = "\
specVersion: 1.0.0
integrations:
  - name: apollo-enrich
    provider: apollo
    read:
      objects:
        - objectName: people
          destination: peopleWebhook
          schedule: \"*/10 * * * *\"
";

/// A request the scripted server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn path(&self) -> &str {
        self.uri.path()
    }
}

type Handler = dyn Fn(&Recorded) -> Response<Full<Bytes>> + Send + Sync;

/// A loopback HTTP/1 server answering with a closure and recording every request.
pub struct Scripted {
    pub origin: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Scripted {
    pub async fn start(
        handler: impl Fn(&Recorded) -> Response<Full<Bytes>> + Send + Sync + 'static,
    ) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |request: http::Request<Incoming>| {
                            let handler = handler.clone();
                            let recorded = recorded.clone();
                            async move {
                                let (parts, body) = request.into_parts();
                                let body = body.collect().await.unwrap().to_bytes();
                                let request = Recorded {
                                    method: parts.method,
                                    uri: parts.uri,
                                    headers: parts.headers,
                                    body,
                                };
                                let response = handler(&request);
                                recorded.lock().unwrap().push(request);
                                Ok::<_, Infallible>(response)
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Scripted {
            origin,
            requests,
            task,
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// A client of this server (every host), without retries.
    pub fn client(&self) -> Client {
        Client::builder()
            .api_key("amp_test_key")
            .base_url_all(&self.origin)
            .no_retry()
            .build()
            .unwrap()
    }
}

pub fn json(status: u16, value: serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(value.to_string())))
        .unwrap()
}

/// A client of a mock server.
pub fn mock_client(server: &MockServer) -> Client {
    let urls = server.urls();
    Client::builder()
        .api_key(server.api_key())
        .base_url(Host::Api, &urls.api)
        .base_url(Host::Read, &urls.read)
        .base_url(Host::Write, &urls.write)
        .base_url(Host::Search, &urls.search)
        .build()
        .unwrap()
}

/// The IDs of an installation made by [`installed`].
#[derive(Debug, Clone)]
pub struct Installed {
    pub integration_id: String,
    pub installation_id: String,
}

/// Deploys [`AMP_YAML`], connects `apollo` with an API key and installs the integration.
pub async fn installed(client: &Client) -> Installed {
    let integrations = client.deploy(PROJECT, AMP_YAML).inline().await.unwrap();
    let integration_id = integrations[0].id.clone();
    let connection = client
        .send(GenerateConnection::new(PROJECT, GROUP, "user-1", "apollo").api_key("secret-123"))
        .await
        .unwrap();
    let people = ReadConfigObject {
        object_name: "people".into(),
        destination: Some("peopleWebhook".into()),
        schedule: Some("*/10 * * * *".into()),
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
            CreateInstallation::new(PROJECT, &integration_id, config, GROUP)
                .connection_id(&connection.id),
        )
        .await
        .unwrap();
    Installed {
        integration_id,
        installation_id: installation.id,
    }
}
