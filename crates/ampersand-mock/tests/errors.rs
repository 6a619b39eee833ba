//! Authentication failures, validation problems, unknown references and conflicts.

mod common;

use ampersand_mock::MockServer;
use common::{AMP_YAML, Auth, Http};
use http::Method;
use serde_json::json;

#[tokio::test]
async fn authentication_failures_are_401_problems() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    let projects = format!("{}/projects", http.api);

    let problem = http
        .send(Method::GET, &projects, Auth::None, None)
        .await
        .problem(401);
    assert!(problem["detail"].as_str().unwrap().contains("X-Api-Key"));
    http.send(Method::GET, &projects, Auth::Key("amp_unknown"), None)
        .await
        .problem(401);
    // Bearer tokens are accepted where the spec allows them, whatever they hold.
    http.send(Method::GET, &projects, Auth::Bearer("anything"), None)
        .await
        .expect(200);

    // Bearer-only operations refuse API keys.
    let problem = http
        .send(
            Method::POST,
            &projects,
            Auth::Key(&http.key),
            Some(&json!({"name": "x1", "appName": "x", "orgId": "o"})),
        )
        .await
        .problem(401);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("createProject")
    );
    http.send(
        Method::GET,
        &format!("{}/my-info", http.api),
        Auth::Key(&http.key),
        None,
    )
    .await
    .problem(401);
    http.send(
        Method::GET,
        &format!("{}/my-info", http.api),
        Auth::Bearer(""),
        None,
    )
    .await
    .problem(401);

    // The read API takes API keys only.
    let read = format!(
        "{}/projects/mock-project/integrations/i/objects/contact",
        http.read
    );
    http.send(
        Method::POST,
        &read,
        Auth::Bearer("jwt"),
        Some(&json!({"groupRef": "g", "mode": "async"})),
    )
    .await
    .problem(401);
}

#[tokio::test]
async fn validation_problems_list_their_issues() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    let org_id = server.org_id().unwrap();

    // createProject: pattern and required members, as a 422 (the only error the spec declares).
    let problem = http
        .bearer(
            Method::POST,
            "/projects",
            Some(&json!({"name": "bad_name!", "orgId": org_id})),
        )
        .await
        .problem(422);
    let issues = problem["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 2, "{problem}");
    assert_eq!(
        (issues[0]["in"].as_str(), issues[0]["name"].as_str()),
        (Some("body"), Some("name"))
    );
    assert_eq!(issues[0]["value"], "bad_name!");
    assert_eq!(issues[1]["name"], "appName");

    // Conflicting project names.
    let taken = http
        .bearer(
            Method::POST,
            "/projects",
            Some(&json!({"name": "mock-project", "appName": "x", "orgId": org_id})),
        )
        .await
        .problem(422);
    assert_eq!(taken["issues"][0]["name"], "name");

    // Enums.
    let p = "/projects/mock-project";
    let problem = http
        .post(
            &format!("{p}/destinations"),
            &json!({"name": "d", "type": "carrier-pigeon", "metadata": {}}),
        )
        .await
        .problem(400);
    assert_eq!(problem["issues"][0]["name"], "type");
    let problem = http
        .post(
            &format!("{p}/notification-event-topic-routes"),
            &json!({"eventType": "nope", "topicId": "t"}),
        )
        .await
        .problem(400);
    assert_eq!(problem["issues"][0]["name"], "eventType");

    // Invalid JSON and invalid manifests.
    let resp = http
        .try_send(
            Method::POST,
            &format!("{}{p}/topics", http.api),
            Auth::Key(&http.key),
            &[],
            bytes::Bytes::from_static(b"{nope"),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 400);
    let problem = http
        .put(&format!("{p}/integrations:batch"), &json!({"sourceYaml": "specVersion: 1.0.0\nintegrations:\n  - name: x\n    provider: unknown\n"}))
        .await
        .problem(422);
    assert_eq!(
        problem["issues"][0]["name"],
        "sourceYaml:$.integrations[0].provider"
    );
    http.put(&format!("{p}/integrations:batch"), &json!({}))
        .await
        .problem(422);
    http.put(
        &format!("{p}/integrations:batch"),
        &json!({"sourceZipUrl": "gs://nowhere/x.zip"}),
    )
    .await
    .problem(422);

    // updateMask paths are checked.
    let problem = http
        .patch(
            p,
            &json!({"updateMask": ["orgId"], "project": {"orgId": "x"}}),
        )
        .await
        .problem(400);
    assert_eq!(problem["issues"][0]["name"], "updateMask[0]");

    // Installation configs must name objects the integration declares.
    let integrations = http
        .put(
            &format!("{p}/integrations:batch"),
            &json!({"sourceYaml": AMP_YAML}),
        )
        .await
        .expect(200)
        .json();
    let sf = integrations[0]["id"].as_str().unwrap();
    http.post(
        &format!("{p}/provider-apps"),
        &json!({"provider": "salesforce", "clientId": "c", "clientSecret": "s"}),
    )
    .await
    .expect(200);
    http.post(
        &format!("{p}/connections:generate"),
        &json!({"provider": "salesforce", "groupRef": "g1", "consumerRef": "u1", "oauth2ClientCredentials": {"clientId": "a", "clientSecret": "b"}}),
    )
    .await
    .expect(201);
    let problem = http
        .post(&format!("{p}/integrations/{sf}/installations"), &json!({"groupRef": "g1", "config": {"content": {"read": {"objects": {"opportunity": {}}}}}}))
        .await
        .problem(422);
    assert_eq!(
        problem["issues"][0]["name"],
        "config.content.read.objects.opportunity"
    );

    // A connection needs the credential its provider's auth type takes.
    let problem = http
        .post(
            &format!("{p}/connections:generate"),
            &json!({"provider": "apollo", "groupRef": "g", "consumerRef": "c"}),
        )
        .await
        .problem(400);
    assert_eq!(problem["issues"][0]["name"], "apiKey");

    // The write API's 400 is text/plain.
    let resp = http
        .send(
            Method::POST,
            &format!("{}{p}/integrations/{sf}/objects/lead", http.write),
            Auth::Key(&http.key),
            Some(&json!({"type": "upsert"})),
        )
        .await
        .expect(400);
    assert!(resp.content_type().starts_with("text/plain"));
    assert!(resp.text().contains("groupRef"));

    // The read API's 400 is a problem as application/json.
    let resp = http
        .send(
            Method::POST,
            &format!("{}{p}/integrations/{sf}/objects/contact", http.read),
            Auth::Key(&http.key),
            Some(&json!({"groupRef": "g1", "mode": "sync"})),
        )
        .await
        .expect(400);
    assert_eq!(resp.content_type(), "application/json");
    assert_eq!(resp.json()["issues"][0]["name"], "mode");

    // Query parameters are checked too.
    let problem = http
        .get(&format!("{p}?includeEntitlements=maybe"))
        .await
        .problem(400);
    assert_eq!(
        (
            problem["issues"][0]["in"].as_str(),
            problem["issues"][0]["name"].as_str()
        ),
        (Some("query"), Some("includeEntitlements"))
    );
}

#[tokio::test]
async fn unknown_references_are_404_and_conflicts_409() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    let p = "/projects/mock-project";

    let problem = http.get("/projects/nope").await.problem(404);
    assert!(problem["detail"].as_str().unwrap().contains("nope"));
    http.get(&format!("{p}/integrations/nope"))
        .await
        .problem(404);
    http.get(&format!("{p}/connections/nope"))
        .await
        .problem(404);
    http.get(&format!("{p}/operations/nope")).await.problem(404);
    http.delete(&format!("{p}/provider-apps/nope"))
        .await
        .problem(404);
    http.post(
        &format!("{p}/topic-destination-routes"),
        &json!({"topicId": "t", "destinationId": "d"}),
    )
    .await
    .problem(404);
    http.bearer(
        Method::POST,
        "/projects",
        Some(&json!({"name": "ok-name", "appName": "x", "orgId": "no-such-org"})),
    )
    .await
    .problem(404);
    http.get("/no/such/path").await.problem(404);
    http.api(Method::DELETE, "/projects", None)
        .await
        .problem(405);

    // Topic names conflict with 409, as the spec declares.
    http.post(&format!("{p}/topics"), &json!({"name": "ops"}))
        .await
        .expect(201);
    let problem = http
        .post(&format!("{p}/topics"), &json!({"name": "ops"}))
        .await
        .problem(409);
    assert_eq!(problem["issues"][0]["name"], "name");
}
