//! The builder's whole lifecycle over real loopback HTTP.

mod common;

use ampersand_mock::{MockServer, zip_stored};
use base64::Engine;
use bytes::Bytes;
use common::{AMP_YAML, Auth, Http};
use http::Method;
use md5::{Digest, Md5};
use serde_json::json;

#[tokio::test]
async fn full_builder_lifecycle() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);

    // A builder (Bearer) creates a project in their org.
    let me = http
        .bearer(Method::GET, "/my-info", None)
        .await
        .expect(200)
        .json();
    let org_id = me["orgRole"]["org"]["id"].as_str().unwrap().to_owned();
    assert_eq!(Some(org_id.clone()), server.org_id());
    let project = http
        .bearer(
            Method::POST,
            "/projects",
            Some(&json!({"name": "acme-prod", "appName": "Acme", "orgId": org_id})),
        )
        .await
        .expect(201)
        .json();
    let project_id = project["id"].as_str().unwrap().to_owned();
    assert!(chrono::DateTime::parse_from_rfc3339(project["createTime"].as_str().unwrap()).is_ok());
    assert_eq!(
        http.get("/projects/acme-prod").await.expect(200).json()["id"],
        project_id
    );
    let p = "/projects/acme-prod";

    // Provider app.
    let app = http
        .post(&format!("{p}/provider-apps"), &json!({"provider": "salesforce", "clientId": "cid", "clientSecret": "cs", "scopes": ["api"]}))
        .await
        .expect(200)
        .json();
    assert_eq!(app["projectId"], project_id);
    assert!(app.get("clientSecret").is_none());

    // Deploy from sourceYaml.
    let integrations = http
        .put(
            &format!("{p}/integrations:batch"),
            &json!({"sourceYaml": AMP_YAML}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(integrations.as_array().unwrap().len(), 2);
    let sf = integrations[0].clone();
    let sf_id = sf["id"].as_str().unwrap().to_owned();
    let first_revision = sf["latestRevision"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        sf["latestRevision"]["content"]["read"]["objects"][0]["objectName"],
        "contact"
    );
    assert_eq!(
        http.get(&format!("{p}/integrations/salesforce-sync"))
            .await
            .expect(200)
            .json()["id"],
        sf_id
    );

    // Deploy again through the upload flow: signed URL, PUT with Content-MD5, gs:// source.
    let zip = zip_stored(&[("amp.yaml", AMP_YAML.as_bytes())]);
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&zip));
    let signed = http
        .get(&format!(
            "/generate-upload-url?md5={}",
            md5.replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        ))
        .await
        .expect(200)
        .json();
    let url = signed["url"].as_str().unwrap();
    let bad = http
        .try_send(
            Method::PUT,
            url,
            Auth::None,
            &[("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==")],
            Bytes::from(zip.clone()),
        )
        .await
        .unwrap();
    assert_eq!(bad.status, 400, "{}", bad.text());
    let ok = http
        .try_send(
            Method::PUT,
            url,
            Auth::None,
            &[("content-md5", &md5)],
            Bytes::from(zip),
        )
        .await
        .unwrap();
    assert_eq!(ok.status, 200, "{}", ok.text());
    let gs = format!(
        "gs://{}/{}",
        signed["bucket"].as_str().unwrap(),
        signed["path"].as_str().unwrap()
    );
    let redeployed = http
        .put(
            &format!("{p}/integrations:batch?destructive=true"),
            &json!({"sourceZipUrl": gs}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(redeployed[0]["id"], sf_id);
    assert_ne!(
        redeployed[0]["latestRevision"]["id"],
        first_revision.as_str()
    );
    assert_eq!(
        http.get(&format!("{p}/integrations"))
            .await
            .expect(200)
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // API-key connection.
    let apollo = http
        .post(
            &format!("{p}/connections:generate"),
            &json!({"provider": "apollo", "groupRef": "customer-1", "groupName": "Customer 1", "consumerRef": "user-1", "apiKey": "secret-123"}),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(apollo["authScheme"], "apiKey");
    assert_eq!(apollo["group"]["groupRef"], "customer-1");
    assert!(apollo.get("apiKey").is_none());
    let apollo_id = apollo["id"].as_str().unwrap().to_owned();
    let with_creds = http
        .get(&format!("{p}/connections/{apollo_id}?includeCreds=true"))
        .await
        .expect(200)
        .json();
    assert_eq!(with_creds["apiKey"], "secret-123");

    // OAuth: the URL is text/plain; opening it completes the connection.
    let resp = http
        .post("/oauth-connect", &json!({"projectIdOrName": "acme-prod", "provider": "salesforce", "groupRef": "customer-1", "consumerRef": "user-1"}))
        .await
        .expect(200);
    assert!(
        resp.content_type().starts_with("text/plain"),
        "{}",
        resp.content_type()
    );
    let oauth_url = resp.text();
    assert!(oauth_url.starts_with(&http.origin), "{oauth_url}");
    http.try_send(Method::GET, &oauth_url, Auth::None, &[], Bytes::new())
        .await
        .unwrap()
        .expect(200);
    let sf_connections = http
        .get(&format!(
            "{p}/connections?provider=salesforce&groupRef=customer-1"
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(sf_connections.as_array().unwrap().len(), 1);
    assert_eq!(sf_connections[0]["authScheme"], "oauth2/authorizationCode");
    let sf_connection = sf_connections[0]["id"].as_str().unwrap().to_owned();
    let reauth = http
        .patch(
            &format!("{p}/connections/{sf_connection}:oauth-update"),
            &json!({}),
        )
        .await
        .expect(200);
    assert!(reauth.content_type().starts_with("text/plain"));

    // Hydrated revision.
    let hydrated = http
        .get(&format!(
            "{p}/integrations/{sf_id}/revisions/{}:hydrate?connectionId={sf_connection}",
            redeployed[0]["latestRevision"]["id"].as_str().unwrap()
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(
        hydrated["content"]["read"]["objects"][0]["displayName"],
        "Contact"
    );

    // Installation, then an updateMask update.
    let installation = http
        .post(
            &format!("{p}/integrations/{sf_id}/installations"),
            &json!({"groupRef": "customer-1", "connectionId": sf_connection, "config": {"content": {
                "provider": "salesforce",
                "read": {"objects": {"contact": {"objectName": "contact", "schedule": "*/10 * * * *", "destination": "contactWebhook", "selectedFields": {"email": true}}}},
                "write": {"objects": {"lead": {"objectName": "lead"}}},
            }}}),
        )
        .await
        .expect(201)
        .json();
    let inst_id = installation["id"].as_str().unwrap().to_owned();
    assert_eq!(installation["healthStatus"], "healthy");
    assert_eq!(
        installation["config"]["revisionId"],
        redeployed[0]["latestRevision"]["id"]
    );
    let updated = http
        .patch(
            &format!("{p}/integrations/{sf_id}/installations/{inst_id}"),
            &json!({"updateMask": ["config.content.read.objects.contact"], "installation": {"config": {"content": {"read": {"objects": {"contact": {"objectName": "contact", "schedule": "0 * * * *", "destination": "contactWebhook", "selectedFields": {"email": true, "phone": true}}}}}}}}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        updated["config"]["content"]["read"]["objects"]["contact"]["selectedFields"]["phone"],
        true
    );
    assert_eq!(
        updated["config"]["content"]["write"]["objects"]["lead"]["objectName"],
        "lead"
    );
    assert_ne!(updated["config"]["id"], installation["config"]["id"]);
    assert_eq!(
        http.get(&format!("{p}/installations?groupRef=customer-1"))
            .await
            .expect(200)
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Trigger a read; the operation goes from in_progress to success; logs are listed.
    let read = http
        .send(
            Method::POST,
            &format!("{}{p}/integrations/{sf_id}/objects/contact", http.read),
            Auth::Key(&http.key),
            Some(&json!({"groupRef": "customer-1", "mode": "async"})),
        )
        .await
        .expect(201)
        .json();
    let op_id = read["operationId"].as_str().unwrap().to_owned();
    let first = http
        .get(&format!("{p}/operations/{op_id}"))
        .await
        .expect(200)
        .json();
    assert_eq!(first["status"], "in_progress");
    let second = http
        .get(&format!("{p}/operations/{op_id}"))
        .await
        .expect(200)
        .json();
    assert_eq!(second["status"], "success");
    assert_eq!(second["installationId"], inst_id.as_str());
    let logs = http
        .get(&format!("{p}/operations/{op_id}/logs"))
        .await
        .expect(200)
        .json();
    assert!(logs.as_array().unwrap().len() >= 2);
    assert_eq!(logs[0]["message"]["operation_id"], op_id.as_str());
    let ops = http
        .get(&format!(
            "{p}/integrations/{sf_id}/installations/{inst_id}/operations?pageSize=1"
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(ops["results"][0]["id"], op_id.as_str());
    assert_eq!(ops["pagination"]["done"], true);
    let progress = http
        .get(&format!(
            "{p}/integrations/{sf_id}/installations/{inst_id}/objects/contact/backfill-progress"
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(progress["operationId"], op_id.as_str());

    // Pause and unpause on the read host.
    let pause = format!(
        "{}{p}/integrations/{sf_id}/installations/{inst_id}:pause",
        http.read
    );
    http.send(
        Method::POST,
        &pause,
        Auth::Key(&http.key),
        Some(&json!({"objects": ["contact"]})),
    )
    .await
    .expect(204);
    let unpause = format!(
        "{}{p}/integrations/{sf_id}/installations/{inst_id}:unpause",
        http.read
    );
    http.send(Method::POST, &unpause, Auth::Key(&http.key), None)
        .await
        .expect(204);

    // A synchronous write, then a search that finds the record.
    let write = http
        .send(Method::POST, &format!("{}{p}/integrations/{sf_id}/objects/lead", http.write), Auth::Key(&http.key), Some(&json!({"groupRef": "customer-1", "type": "create", "mode": "synchronous", "record": {"email": "ada@example.com"}})))
        .await
        .expect(200)
        .json();
    assert_eq!(write["result"]["success"], true);
    let record_id = write["result"]["recordId"].as_str().unwrap().to_owned();
    let found = http
        .send(Method::POST, &format!("{}{p}/integrations/{sf_id}?groupRef=customer-1", http.search), Auth::Key(&http.key), Some(&json!({"objectName": "lead", "fieldFilters": [{"fieldName": "email", "operator": "eq", "value": "ada@example.com"}]})))
        .await
        .expect(200)
        .json();
    assert_eq!(found["result"][0]["fields"]["id"], record_id.as_str());
    // An asynchronous write creates an operation.
    let write = http
        .send(Method::POST, &format!("{}{p}/integrations/{sf_id}/objects/lead", http.write), Auth::Key(&http.key), Some(&json!({"groupRef": "customer-1", "type": "update", "mode": "asynchronous", "record": {"id": record_id, "email": "ada@example.org"}})))
        .await
        .expect(200)
        .json();
    let write_op = http
        .get(&format!(
            "{p}/operations/{}",
            write["operationId"].as_str().unwrap()
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(
        (write_op["actionType"].as_str(), write_op["status"].as_str()),
        (Some("write"), Some("in_progress"))
    );

    // A webhook destination with a rotatable signing secret.
    let destination = http
        .post(&format!("{p}/destinations"), &json!({"name": "contactWebhook", "type": "webhook", "metadata": {"url": "https://example.com/hook"}}))
        .await
        .expect(201)
        .json();
    let dest_id = destination["id"].as_str().unwrap().to_owned();
    assert!(destination.get("secrets").is_none());
    let with_secret = http
        .get(&format!(
            "{p}/destinations/contactWebhook?includeSecrets=true"
        ))
        .await
        .expect(200)
        .json();
    let secret = with_secret["secrets"]["webhookSigningKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    let rotated = http
        .get(&format!(
            "{p}/destinations/{dest_id}?includeSecrets=true&rotate=true"
        ))
        .await
        .expect(200)
        .json();
    assert_ne!(
        rotated["secrets"]["webhookSigningKey"].as_str().unwrap(),
        secret
    );

    // Topics and routes.
    let topic = http
        .post(&format!("{p}/topics"), &json!({"name": "ops"}))
        .await
        .expect(201)
        .json();
    let topic_id = topic["id"].as_str().unwrap().to_owned();
    let event_route = http
        .post(
            &format!("{p}/notification-event-topic-routes"),
            &json!({"eventType": "read.backfill.done", "topicId": topic_id}),
        )
        .await
        .expect(201)
        .json();
    let dest_route = http
        .post(
            &format!("{p}/topic-destination-routes"),
            &json!({"topicId": topic_id, "destinationId": dest_id}),
        )
        .await
        .expect(201)
        .json();
    let routes = http
        .get(&format!("{p}/topic-destination-routes?topicId={topic_id}"))
        .await
        .expect(200)
        .json();
    assert_eq!(routes[0]["id"], dest_route["id"]);

    // Cleanup.
    http.delete(&format!(
        "{p}/notification-event-topic-routes/{}",
        event_route["id"].as_str().unwrap()
    ))
    .await
    .expect(204);
    http.delete(&format!(
        "{p}/topic-destination-routes/{}",
        dest_route["id"].as_str().unwrap()
    ))
    .await
    .expect(204);
    http.delete(&format!("{p}/topics/{topic_id}"))
        .await
        .expect(204);
    http.delete(&format!("{p}/destinations/{dest_id}"))
        .await
        .expect(204);
    http.delete(&format!("{p}/integrations/{sf_id}/installations/{inst_id}"))
        .await
        .expect(204);
    http.delete(&format!("{p}/connections/{apollo_id}"))
        .await
        .expect(204);
    http.delete(&format!("{p}/integrations/{sf_id}"))
        .await
        .expect(204);
    http.delete(&format!(
        "{p}/provider-apps/{}",
        app["id"].as_str().unwrap()
    ))
    .await
    .expect(204);
    http.get(&format!("{p}/integrations/{sf_id}"))
        .await
        .problem(404);
    http.get(&format!("{p}/destinations/{dest_id}"))
        .await
        .problem(404);
    assert!(
        http.get(&format!("{p}/topics"))
            .await
            .expect(200)
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn api_keys_jwt_keys_orgs_and_invites() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    let p = "/projects/mock-project";

    // A created key works for its project, and stops working once deactivated.
    let key = http
        .post(
            &format!("{p}/api-keys"),
            &json!({"label": "ci", "scopes": []}),
        )
        .await
        .expect(201)
        .json();
    let key = key["key"].as_str().unwrap().to_owned();
    let url = format!("{}{p}/integrations", http.api);
    http.send(Method::GET, &url, Auth::Key(&key), None)
        .await
        .expect(200);
    let listed = http
        .send(
            Method::GET,
            &format!("{}/projects", http.api),
            Auth::Key(&key),
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let updated = http
        .patch(
            &format!("{p}/api-keys/{key}"),
            &json!({"updateMask": ["active"], "apiKey": {"active": false}}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(updated["active"], false);
    http.send(Method::GET, &url, Auth::Key(&key), None)
        .await
        .problem(401);
    http.delete(&format!("{p}/api-keys/{key}"))
        .await
        .expect(204);
    http.delete(&format!("{p}/api-keys/{key}"))
        .await
        .problem(404);

    // JWT keys answer errors as application/json.
    let pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----\n";
    let kid = http
        .post(
            &format!("{p}/jwt-keys"),
            &json!({"label": "web", "algorithm": "RS256", "publicKeyPem": pem}),
        )
        .await
        .expect(201)
        .json()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwt = http
        .get(&format!("{p}/jwt-keys/{kid}"))
        .await
        .expect(200)
        .json();
    assert_eq!(
        (jwt["algorithm"].as_str(), jwt["active"].as_bool()),
        (Some("RSA"), Some(true))
    );
    let bad = http
        .post(
            &format!("{p}/jwt-keys"),
            &json!({"label": "web", "algorithm": "HS256", "publicKeyPem": "nope"}),
        )
        .await
        .expect(400);
    assert_eq!(bad.content_type(), "application/json");
    assert_eq!(bad.json()["issues"].as_array().unwrap().len(), 2);
    http.patch(
        &format!("{p}/jwt-keys/{kid}"),
        &json!({"updateMask": ["active"], "jwtKey": {"active": false}}),
    )
    .await
    .expect(200);
    assert!(
        http.get(&format!("{p}/jwt-keys?active=true"))
            .await
            .expect(200)
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    http.delete(&format!("{p}/jwt-keys/{kid}"))
        .await
        .expect(204);

    // Orgs, invites, membership, billing and claimed domains (Bearer).
    let org = http
        .bearer(Method::POST, "/orgs", Some(&json!({"label": "Second"})))
        .await
        .expect(201)
        .json();
    let org_id = org["id"].as_str().unwrap().to_owned();
    let renamed = http
        .bearer(
            Method::PATCH,
            &format!("/orgs/{org_id}"),
            Some(&json!({"updateMask": ["label"], "org": {"label": "Renamed"}})),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(renamed["label"], "Renamed");
    let invite = http
        .bearer(
            Method::POST,
            &format!("/orgs/{org_id}/invites"),
            Some(&json!({"email": "new@example.com"})),
        )
        .await
        .expect(201)
        .json();
    assert_eq!(invite["status"], "pending");
    let info = http
        .bearer(
            Method::POST,
            "/invites:accept",
            Some(&json!({"invitedEmail": "new@example.com"})),
        )
        .await
        .expect(200)
        .json();
    assert!(info["builder"]["id"].is_string());
    let invite = http
        .bearer(
            Method::GET,
            &format!("/orgs/{org_id}/invites/{}", invite["id"].as_str().unwrap()),
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(invite["status"], "accepted");
    assert_eq!(
        http.bearer(Method::GET, &format!("/orgs/{org_id}/builders"), None)
            .await
            .expect(200)
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let account = http
        .bearer(Method::GET, &format!("/orgs/{org_id}/billingAccount"), None)
        .await
        .expect(200)
        .json();
    let session = http
        .bearer(
            Method::POST,
            &format!(
                "/billingAccounts/{}/portalSession",
                account["id"].as_str().unwrap()
            ),
            Some(&json!({"redirectUrl": "https://example.com"})),
        )
        .await
        .expect(200)
        .json();
    assert!(session["url"].is_string());
    let claim = json!({"domain": "example.com", "parentId": org_id, "parentType": "org"});
    let created = http
        .bearer(Method::POST, "/claimed-domains", Some(&claim))
        .await
        .expect(201);
    assert!(created.body.is_empty());
    http.bearer(Method::POST, "/claimed-domains", Some(&claim))
        .await
        .problem(409);
    http.bearer(Method::GET, "/claimed-domains?domain=example.com", None)
        .await
        .expect(200);
    http.bearer(Method::GET, "/claimed-domains?domain=other.com", None)
        .await
        .problem(404);
    assert_eq!(
        http.bearer(
            Method::GET,
            &format!("/orgs/{org_id}/claimed-domains"),
            None
        )
        .await
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .len(),
        1
    );

    // Providers need no auth.
    let catalog = http
        .send(
            Method::GET,
            &format!("{}/providers", http.api),
            Auth::None,
            None,
        )
        .await
        .expect(200)
        .json();
    assert!(catalog["salesforce"]["oauth2Opts"]["tokenURL"].is_string());
    http.send(
        Method::GET,
        &format!("{}/providers/nope", http.api),
        Auth::None,
        None,
    )
    .await
    .problem(404);
}
