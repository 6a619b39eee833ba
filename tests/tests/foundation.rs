//! The foundation, end to end against a real hyper server on 127.0.0.1: what goes on the wire
//! for each operation shape, and what comes back for each kind of response.

use std::time::Duration;

use ampersand::resources::oauth::OauthConnect;
use ampersand::resources::projects::{CreateProject, GetProject, ListProjects};
use ampersand::resources::provider_apps::DeleteProviderApp;
use ampersand::{Client, ErrorKind, Host};
use ampersand_tests::server::{TestServer, json, respond};
use serde_json::json as j;
use tower::ServiceExt;

const KEY: &str = "amp_test_key_1";
const JWT: &str = "eyJ.test.jwt";

fn project_json() -> serde_json::Value {
    j!({
        "id": "proj_1", "name": "my-project", "appName": "My App", "orgId": "org_1",
        "createTime": "2024-04-22T18:55:28.456076Z"
    })
}

/// A client with both credentials and no retries, so each request is observed once.
fn client(server: &TestServer) -> Client {
    Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url_all(&server.url())
        .no_retry()
        .build()
        .expect("client")
}

#[tokio::test]
async fn list_projects_wire_format() {
    let server = TestServer::start(|_| json(j!([project_json()]))).await;
    let projects = client(&server).send(ListProjects::new()).await.unwrap();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].name, "my-project");

    let request = &server.requests()[0];
    assert_eq!(request.method, http::Method::GET);
    assert_eq!(request.path_and_query, "/v1/projects");
    assert_eq!(request.header("x-api-key"), Some(KEY));
    assert_eq!(request.header("authorization"), None, "API key preferred");
    assert_eq!(
        request.header("accept"),
        Some("application/json, application/problem+json")
    );
    assert!(request.body.is_empty());
    assert!(
        request
            .header("user-agent")
            .unwrap()
            .starts_with("ampersand-rust/")
    );
}

#[tokio::test]
async fn get_project_query_only_when_set() {
    let server = TestServer::start(|_| json(project_json())).await;
    let client = client(&server);
    client.send(GetProject::new("my-project")).await.unwrap();
    client
        .send(GetProject::new("my-project").include_entitlements(true))
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].path_and_query, "/v1/projects/my-project");
    assert_eq!(
        requests[1].path_and_query,
        "/v1/projects/my-project?includeEntitlements=true"
    );
}

#[tokio::test]
async fn create_project_is_bearer_only_with_json_body() {
    let server = TestServer::start(|_| json(project_json())).await;
    let project = client(&server)
        .send(CreateProject::new("My App", "my-project", "org_1"))
        .await
        .unwrap();
    assert_eq!(project.id, "proj_1");

    let request = &server.requests()[0];
    assert_eq!(request.method, http::Method::POST);
    assert_eq!(request.path_and_query, "/v1/projects");
    assert_eq!(request.header("authorization"), Some("Bearer eyJ.test.jwt"));
    assert_eq!(request.header("x-api-key"), None);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        j!({"appName": "My App", "name": "my-project", "orgId": "org_1"})
    );
}

#[tokio::test]
async fn bearer_only_operation_without_bearer_sends_nothing() {
    let server = TestServer::start(|_| json(project_json())).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .build()
        .unwrap();
    let error = client
        .send(CreateProject::new("My App", "my-project", "org_1"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert_eq!(error.operation_id(), Some("createProject"));
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn oauth_connect_accepts_and_returns_text() {
    let server = TestServer::start(|_| {
        respond(200, "text/plain", "https://login.example.com/oauth?state=1")
    })
    .await;
    let url = client(&server)
        .send(OauthConnect::new(
            "my-project",
            "group_1",
            "user_1",
            "salesforce",
        ))
        .await
        .unwrap();
    assert_eq!(url, "https://login.example.com/oauth?state=1");
    let request = &server.requests()[0];
    assert_eq!(request.path_and_query, "/v1/oauth-connect");
    assert!(request.header("accept").unwrap().starts_with("text/plain"));
    assert_eq!(request.json()["provider"], "salesforce");
    assert_eq!(request.json()["projectIdOrName"], "my-project");
}

#[tokio::test]
async fn delete_provider_app_empty_204() {
    let server = TestServer::start(|_| respond(204, "", "")).await;
    client(&server)
        .send(DeleteProviderApp::new("my-project", "app_1"))
        .await
        .unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.method, http::Method::DELETE);
    assert_eq!(
        request.path_and_query,
        "/v1/projects/my-project/provider-apps/app_1"
    );
}

#[tokio::test]
async fn path_parameters_stay_in_their_segment() {
    let server = TestServer::start(|_| json(project_json())).await;
    let client = client(&server);
    let cases = [
        ("../orgs/x", "/v1/projects/..%2Forgs%2Fx"),
        ("..", "/v1/projects/%2E%2E"),
        ("a?b#c", "/v1/projects/a%3Fb%23c"),
        ("100% sure", "/v1/projects/100%25%20sure"),
        ("café", "/v1/projects/caf%C3%A9"),
    ];
    for (input, _) in cases {
        client.send(GetProject::new(input)).await.unwrap();
    }
    let received: Vec<String> = server
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    let expected: Vec<&str> = cases.iter().map(|(_, want)| *want).collect();
    assert_eq!(received, expected);

    let error = client.send(GetProject::new("")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Encode);
}

#[tokio::test]
async fn problem_json_error_is_typed() {
    let server = TestServer::start(|_| {
        respond(
            422,
            "application/problem+json",
            r#"{"type":"about:blank","title":"Unprocessable Entity","status":422,
               "detail":"name is taken","remedy":"choose another name","requestId":"req-42",
               "issues":[{"in":"body","name":"name","detail":"already exists"}]}"#,
        )
    })
    .await;
    let error = client(&server)
        .send(CreateProject::new("My App", "taken", "org_1"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(http::StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(error.request_id(), Some("req-42"));
    let problem = error.problem().unwrap();
    assert_eq!(problem.remedy.as_deref(), Some("choose another name"));
    assert_eq!(error.issues()[0].name.as_deref(), Some("name"));
    let text = error.to_string();
    assert!(text.contains("createProject"), "{text}");
    assert!(text.contains("name is taken"), "{text}");
}

#[tokio::test]
async fn html_502_keeps_its_status() {
    let server =
        TestServer::start(|_| respond(502, "text/html", "<html><body>Bad Gateway</body></html>"))
            .await;
    let error = client(&server)
        .send(GetProject::new("p"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::BAD_GATEWAY));
    assert_eq!(
        error.body_text().unwrap(),
        "<html><body>Bad Gateway</body></html>"
    );
    assert_eq!(
        error.problem().unwrap().detail.as_deref(),
        Some("<html><body>Bad Gateway</body></html>")
    );
}

#[tokio::test]
async fn body_over_the_limit_is_refused() {
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(64 * 1024));
    let server = TestServer::start(move |_| respond(200, "application/json", big.clone())).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .no_retry()
        .max_response_body(16 * 1024)
        .build()
        .unwrap();
    let error = client.send(GetProject::new("p")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BodyTooLarge);
    assert_eq!(error.status(), Some(http::StatusCode::OK));
}

#[tokio::test]
async fn wrong_field_type_names_the_field() {
    let server = TestServer::start(|_| {
        json(j!({
            "id": "proj_1", "name": 42, "appName": "My App", "orgId": "org_1",
            "createTime": "2024-04-22T18:55:28Z"
        }))
    })
    .await;
    let error = client(&server)
        .send(GetProject::new("p"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.decode_path(), Some("name"));
    assert!(error.body().is_some());
}

#[tokio::test]
async fn client_is_a_tower_service_per_operation() {
    let server = TestServer::start(|request| match request.path() {
        "/v1/projects" => json(j!([project_json()])),
        _ => json(project_json()),
    })
    .await;
    let client = client(&server);
    let project = client
        .clone()
        .oneshot(GetProject::new("my-project"))
        .await
        .unwrap();
    assert_eq!(project.org_id, "org_1");
    let projects = client.oneshot(ListProjects::new()).await.unwrap();
    assert_eq!(projects.len(), 1);
}

#[tokio::test]
async fn accessors_and_send_agree() {
    let server = TestServer::start(|_| json(project_json())).await;
    let client = client(&server);
    let a = client.projects().get("my-project").await.unwrap();
    let b = client.send(GetProject::new("my-project")).await.unwrap();
    assert_eq!(a, b);
    let requests = server.requests();
    assert_eq!(requests[0].path_and_query, requests[1].path_and_query);
}

#[tokio::test]
async fn hosts_resolve_to_their_base_urls() {
    let api = TestServer::start(|_| json(j!([]))).await;
    let read = TestServer::start(|_| respond(204, "", "")).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(Host::Api, &api.url())
        .base_url(Host::Read, &read.url())
        .build()
        .unwrap();
    client.send(ListProjects::new()).await.unwrap();
    client
        .send(ampersand::resources::read::PauseReads::new(
            "p", "int_1", "inst_1",
        ))
        .await
        .unwrap();
    assert_eq!(api.request_count(), 1);
    assert_eq!(read.request_count(), 1);
    assert_eq!(
        read.requests()[0].path_and_query,
        "/v1/projects/p/integrations/int_1/installations/inst_1:pause"
    );
}

#[test]
fn bad_base_urls_fail_the_build() {
    for bad in ["ftp://example.com/v1", "example.com/v1", "https://"] {
        let error = Client::builder()
            .base_url(Host::Api, bad)
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{bad}");
    }
    let client = Client::builder()
        .api_origin("http://127.0.0.1:9999/")
        .build()
        .unwrap();
    assert_eq!(
        client.base_urls().get(Host::Api).to_string(),
        "http://127.0.0.1:9999/v1"
    );
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&format!("http://{addr}/v1"))
        .no_retry()
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let error = client.send(ListProjects::new()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect);
}

#[tokio::test]
async fn user_layers_wrap_the_default_stack() {
    let server = TestServer::start(|_| json(j!([]))).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .layer(tower::util::MapRequestLayer::new(
            |mut request: http::Request<bytes::Bytes>| {
                // The layer sees the absolute URI and the call's context.
                let operation = ampersand::CallContext::of(&request).operation_id();
                let value = http::HeaderValue::from_static(operation.expect("an operation"));
                request.headers_mut().insert("x-operation", value);
                assert!(request.uri().to_string().starts_with("http://127.0.0.1:"));
                request
            },
        ))
        .build()
        .unwrap();
    client.send(ListProjects::new()).await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.header("x-operation"), Some("listProjects"));
    assert_eq!(request.header("x-api-key"), Some(KEY), "defaults kept");
}

#[tokio::test]
async fn host_header_is_sent_once_for_operations_and_raw_requests() {
    let server = TestServer::start(|_| json(project_json())).await;
    let client = client(&server);
    client.send(GetProject::new("my-project")).await.unwrap();
    // A raw request through the same stack gets its Host the same way: hyper adds it from the
    // URI.
    let raw = http::Request::get(format!("{}/projects/my-project", server.url()))
        .body(bytes::Bytes::new())
        .unwrap();
    client.http_service().oneshot(raw).await.unwrap();

    let expected = format!("127.0.0.1:{}", server.addr().port());
    for request in server.requests() {
        let hosts: Vec<_> = request.headers.get_all(http::header::HOST).iter().collect();
        assert_eq!(hosts, [expected.as_str()], "{}", request.path_and_query);
    }
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn host_header_goes_over_http2_as_the_authority() {
    // HTTP/2 carries the authority in `:authority` instead of `Host` (RFC 9113 section 8.3.1).
    let server = TestServer::start(|_| json(project_json())).await;
    let mut transport = ampersand::transport::TransportConfig::default();
    transport.http2_only = true;
    let client = Client::builder()
        .api_key(KEY)
        .base_url_all(&server.url())
        .transport_config(transport)
        .no_retry()
        .build()
        .expect("client");
    let project = client.send(GetProject::new("my-project")).await.unwrap();
    assert_eq!(project.name, "my-project");

    let requests = server.requests();
    assert_eq!(requests[0].version, http::Version::HTTP_2);
    let expected = format!("127.0.0.1:{}", server.addr().port());
    assert_eq!(requests[0].authority.as_deref(), Some(expected.as_str()));
    assert!(
        requests[0]
            .headers
            .get_all(http::header::HOST)
            .iter()
            .count()
            <= 1,
        "at most one Host"
    );
}
