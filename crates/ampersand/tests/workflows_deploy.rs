//! `client.deploy(..)`: inline and upload against the mock, local validation, and a scripted
//! storage that checks what the upload sends and fails it.

mod workflows_support;

use std::sync::{Arc, Mutex};

use ampersand::manifest::UploadArchive;
use ampersand::resources::integrations::ListIntegrations;
use ampersand::transport::{HyperTransport, TransportConfig};
use ampersand::workflows::DeployError;
use ampersand_mock::MockServer;
use bytes::Bytes;
use serde_json::json;
use tower::ServiceExt;
use workflows_support::{AMP_YAML, PROJECT, Scripted, json, mock_client};

#[tokio::test]
async fn inline_deploys_send_the_yaml_and_return_the_integrations() {
    let server = MockServer::start().await.unwrap();
    let client = mock_client(&server);
    let integrations = client.deploy(PROJECT, AMP_YAML).inline().await.unwrap();
    assert_eq!(integrations.len(), 1);
    assert_eq!(integrations[0].name, "apollo-enrich");
    assert_eq!(integrations[0].provider, "apollo");
    let listed = client.send(ListIntegrations::new(PROJECT)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, integrations[0].id);
    assert!(server.state().uploads.is_empty());
}

/// Every request the upload transport sent, with the transport itself.
type Seen = Arc<Mutex<Vec<http::Request<Bytes>>>>;

fn recording_transport(
    seen: Seen,
) -> impl tower::Service<
    http::Request<Bytes>,
    Response = http::Response<Bytes>,
    Error = ampersand::Error,
    Future = impl Send + 'static,
> + Clone
+ Send
+ Sync
+ 'static {
    let transport = HyperTransport::new(&TransportConfig::default()).unwrap();
    tower::service_fn(move |request: http::Request<Bytes>| {
        seen.lock().unwrap().push(request.clone());
        transport.clone().oneshot(request)
    })
}

#[tokio::test]
async fn uploads_put_the_zip_with_its_md5_and_no_credentials() {
    let server = MockServer::start().await.unwrap();
    let client = mock_client(&server);
    let seen = Seen::default();
    let first = client.deploy(PROJECT, AMP_YAML).inline().await.unwrap();
    let integrations = client
        .deploy(PROJECT, AMP_YAML)
        .upload_transport(recording_transport(seen.clone()))
        .await
        .unwrap();
    assert_eq!(integrations[0].id, first[0].id);
    assert_ne!(
        integrations[0].latest_revision.id, first[0].latest_revision.id,
        "the upload made a new revision"
    );

    let archive = UploadArchive::from_yaml(AMP_YAML);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let put = &seen[0];
    assert_eq!(put.method(), http::Method::PUT);
    assert!(put.uri().path().starts_with("/upload/"), "{}", put.uri());
    assert_eq!(put.headers()["content-md5"], archive.content_md5());
    assert_eq!(put.body().as_ref(), archive.bytes());
    for credential in ["x-api-key", "authorization"] {
        assert!(
            put.headers().get(credential).is_none(),
            "{credential} leaked"
        );
    }
    // The signed URL was asked for with the same MD5, and the upload completed.
    let uploads = server.state().uploads;
    assert_eq!(uploads.len(), 1);
    let upload = uploads.values().next().unwrap();
    assert_eq!(upload.md5.as_deref(), Some(archive.content_md5()));
    assert!(upload.content.is_some());
}

#[tokio::test]
async fn every_local_problem_is_reported_and_nothing_is_sent() {
    let server = MockServer::start().await.unwrap();
    let client = mock_client(&server);
    let invalid = "\
specVersion: 2.0.0
integrations:
  - name: reads
    provider: salesforce
    read:
      objects:
        - objectName: account
        - destination: somewhere
";
    let error = client.deploy(PROJECT, invalid).await.unwrap_err();
    let DeployError::Invalid(errors) = &error else {
        panic!("expected validation errors, got {error:?}");
    };
    let paths: Vec<String> = errors.errors().iter().map(|e| e.to_string()).collect();
    let all = paths.join("\n");
    assert!(errors.errors().len() >= 3, "{all}");
    for expected in [
        "$.specVersion",
        "$.integrations[0].read.objects[0].destination",
        "$.integrations[0].read.objects[1].objectName",
    ] {
        assert!(all.contains(expected), "{expected} missing from:\n{all}");
    }

    let error = client
        .deploy(PROJECT, "specVersion: 1.0.0\nintegrations: 7\n")
        .inline()
        .await
        .unwrap_err();
    match &error {
        DeployError::Parse(parse) => assert_eq!(parse.path(), "$.integrations"),
        other => panic!("{other:?}"),
    }
    assert!(server.state().uploads.is_empty());
    assert!(
        client
            .send(ListIntegrations::new(PROJECT))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_cli_flow_on_the_wire_with_destructive() {
    let storage = Scripted::start(|_| {
        http::Response::builder()
            .status(200)
            .body(http_body_util::Full::new(Bytes::new()))
            .unwrap()
    })
    .await;
    let api = Scripted::start({
        let signed = format!(
            "{}/bucket-1/uploads/abc.zip?X-Goog-Signature=s",
            storage.origin
        );
        move |request| match request.path() {
            "/generate-upload-url" => json(
                200,
                json!({
                    "url": signed, "bucket": "bucket-1", "path": "uploads/abc.zip"
                }),
            ),
            _ => json(200, json!([])),
        }
    })
    .await;
    let integrations = api
        .client()
        .deploy("p", AMP_YAML)
        .destructive(true)
        .await
        .unwrap();
    assert!(integrations.is_empty());

    let archive = UploadArchive::from_yaml(AMP_YAML);
    let calls = api.requests();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].method, http::Method::GET);
    let md5_query = format!(
        "md5={}",
        archive
            .content_md5()
            .replace('=', "%3D")
            .replace('+', "%2B")
            .replace('/', "%2F")
    );
    assert_eq!(calls[0].uri.query(), Some(md5_query.as_str()));
    assert_eq!(calls[1].method, http::Method::PUT);
    assert_eq!(calls[1].path(), "/projects/p/integrations:batch");
    assert_eq!(calls[1].uri.query(), Some("destructive=true"));
    let body: serde_json::Value = serde_json::from_slice(&calls[1].body).unwrap();
    assert_eq!(
        body,
        json!({"sourceZipUrl": "gs://bucket-1/uploads/abc.zip"})
    );

    let uploads = storage.requests();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].method, http::Method::PUT);
    assert_eq!(uploads[0].uri.query(), Some("X-Goog-Signature=s"));
    assert_eq!(uploads[0].headers["content-md5"], archive.content_md5());
    assert!(uploads[0].headers.get("x-api-key").is_none());
    assert!(uploads[0].headers.get("authorization").is_none());
    assert_eq!(uploads[0].body.as_ref(), archive.bytes());
}

#[tokio::test]
async fn a_refused_upload_keeps_the_storage_answer_and_deploys_nothing() {
    let storage = Scripted::start(|_| {
        http::Response::builder()
            .status(403)
            .header("content-type", "application/xml")
            .body(http_body_util::Full::new(Bytes::from_static(
                b"<Error><Code>SignatureDoesNotMatch</Code></Error>",
            )))
            .unwrap()
    })
    .await;
    let api = Scripted::start({
        let signed = format!("{}/b/p.zip", storage.origin);
        move |request| match request.path() {
            "/generate-upload-url" => {
                json(200, json!({"url": signed, "bucket": "b", "path": "p.zip"}))
            }
            _ => json(200, json!([])),
        }
    })
    .await;
    let error = api.client().deploy("p", AMP_YAML).await.unwrap_err();
    let DeployError::Upload(upload) = &error else {
        panic!("expected an upload error, got {error:?}");
    };
    assert_eq!(upload.status().map(|s| s.as_u16()), Some(403));
    assert!(
        upload
            .body_text()
            .unwrap()
            .contains("SignatureDoesNotMatch")
    );
    assert_eq!(
        api.requests().len(),
        1,
        "batchUpsertIntegrations must not be called"
    );
}
