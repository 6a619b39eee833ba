//! Tenancy: two customer groups of one project never see each other's records, connections,
//! installations, metadata or operations, operation by operation; a request without a required
//! `groupRef` is refused; query parameters outside their enum are refused.

mod common;

use ampersand_mock::MockServer;
use common::{AMP_YAML, Auth, Http, Resp};
use http::Method;
use serde_json::{Value, json};

const P: &str = "/projects/mock-project";

/// A mock with the salesforce-sync integration installed for groups `g1` and `g2` (each with
/// its own connection), and nothing for `g3`.
struct Tenants {
    _server: MockServer,
    http: Http,
    /// The salesforce-sync integration.
    sf: String,
    /// The installation of each group: `[g1, g2]`.
    installations: [String; 2],
}

async fn tenants() -> Tenants {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    let deployed = http
        .put(
            &format!("{P}/integrations:batch"),
            &json!({"sourceYaml": AMP_YAML}),
        )
        .await
        .expect(200)
        .json();
    let sf = deployed[0]["id"].as_str().unwrap().to_owned();
    let mut installations = Vec::new();
    for group in ["g1", "g2"] {
        let connection = http
            .post(
                &format!("{P}/connections:generate"),
                &json!({"provider": "salesforce", "groupRef": group, "consumerRef": format!("{group}-user"),
                        "oauth2AuthorizationCode": {"accessToken": {"token": format!("{group}-token")}}}),
            )
            .await
            .expect(201)
            .json();
        let installation = http
            .post(
                &format!("{P}/integrations/{sf}/installations"),
                &json!({"groupRef": group, "connectionId": connection["id"], "config": {"content": {
                    "provider": "salesforce",
                    "read": {"objects": {"contact": {"objectName": "contact", "schedule": "*/10 * * * *", "destination": "contactWebhook", "selectedFields": {"email": true}}}},
                    "write": {"objects": {"lead": {"objectName": "lead"}}},
                }}}),
            )
            .await
            .expect(201)
            .json();
        installations.push(installation["id"].as_str().unwrap().to_owned());
    }
    Tenants {
        _server: server,
        http,
        sf,
        installations: installations.try_into().unwrap(),
    }
}

impl Tenants {
    async fn write(&self, body: Value) -> Resp {
        let url = format!(
            "{}{P}/integrations/{}/objects/lead",
            self.http.write, self.sf
        );
        self.http
            .send(Method::POST, &url, Auth::Key(&self.http.key), Some(&body))
            .await
    }

    async fn search(&self, query: &str, email: &str) -> Resp {
        let url = format!("{}{P}/integrations/{}{query}", self.http.search, self.sf);
        let body = json!({"objectName": "lead", "fieldFilters": [{"fieldName": "email", "operator": "eq", "value": email}]});
        self.http
            .send(Method::POST, &url, Auth::Key(&self.http.key), Some(&body))
            .await
    }

    async fn read(&self, path: &str, body: Value) -> Resp {
        let url = format!("{}{P}/integrations/{}{path}", self.http.read, self.sf);
        self.http
            .send(Method::POST, &url, Auth::Key(&self.http.key), Some(&body))
            .await
    }

    async fn create_lead(&self, group: &str, email: &str) -> String {
        let written = self
            .write(json!({"groupRef": group, "type": "create", "record": {"email": email}}))
            .await
            .expect(200)
            .json();
        written["result"]["recordId"].as_str().unwrap().to_owned()
    }
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn search_records_sees_only_the_groups_records() {
    let t = tenants().await;
    let g1_record = t.create_lead("g1", "same@example.com").await;
    let g2_record = t.create_lead("g2", "same@example.com").await;

    let g1 = t
        .search("?groupRef=g1", "same@example.com")
        .await
        .expect(200)
        .json();
    let found: Vec<&Value> = g1["result"].as_array().unwrap().iter().collect();
    assert_eq!(found.len(), 1, "{g1}");
    assert_eq!(found[0]["fields"]["id"], g1_record.as_str());
    let g2 = t
        .search("?groupRef=g2", "same@example.com")
        .await
        .expect(200)
        .json();
    assert_eq!(g2["result"].as_array().unwrap().len(), 1, "{g2}");
    assert_eq!(g2["result"][0]["fields"]["id"], g2_record.as_str());

    // groupRef is required (the search host sends its 400 as application/json).
    let missing = t.search("", "same@example.com").await.expect(400);
    assert_eq!(missing.content_type(), "application/json");
    let problem = missing.json();
    assert_eq!(problem["issues"][0]["name"], "groupRef");
    assert_eq!(problem["issues"][0]["in"], "query");
    // A group without an installation has nothing to search.
    t.search("?groupRef=g3", "same@example.com")
        .await
        .expect(404);
}

#[tokio::test]
async fn write_records_cannot_touch_another_groups_records() {
    let t = tenants().await;
    let g1_record = t.create_lead("g1", "ada@example.com").await;

    for kind in ["update", "delete"] {
        let refused = t
            .write(json!({"groupRef": "g2", "type": kind, "record": {"id": g1_record, "email": "eve@example.com"}}))
            .await
            .expect(422)
            .json();
        assert_eq!(refused["result"]["success"], false, "{kind}: {refused}");
    }
    let g1 = t
        .search("?groupRef=g1", "ada@example.com")
        .await
        .expect(200)
        .json();
    assert_eq!(g1["result"][0]["fields"]["id"], g1_record.as_str(), "{g1}");
    // g1's own update works.
    t.write(json!({"groupRef": "g1", "type": "update", "record": {"id": g1_record, "email": "ada@example.org"}}))
        .await
        .expect(200);
    // No installation for g3: nothing is written.
    t.write(json!({"groupRef": "g3", "type": "create", "record": {"email": "x@example.com"}}))
        .await
        .expect(404);
}

#[tokio::test]
async fn trigger_read_and_its_operations_belong_to_the_groups_installation() {
    let t = tenants().await;
    let read = t
        .read(
            "/objects/contact",
            json!({"groupRef": "g2", "mode": "async"}),
        )
        .await
        .expect(201)
        .json();
    let op = read["operationId"].as_str().unwrap();
    let operation = t
        .http
        .get(&format!("{P}/operations/{op}"))
        .await
        .expect(200)
        .json();
    assert_eq!(operation["installationId"], t.installations[1].as_str());

    let [g1, g2] = &t.installations;
    let sf = &t.sf;
    let g1_ops = t
        .http
        .get(&format!(
            "{P}/integrations/{sf}/installations/{g1}/operations"
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(g1_ops["results"].as_array().unwrap().len(), 0, "{g1_ops}");
    let g2_ops = t
        .http
        .get(&format!(
            "{P}/integrations/{sf}/installations/{g2}/operations"
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(g2_ops["results"][0]["id"], op);
    // Backfill progress: g2's read is not g1's.
    t.http
        .get(&format!(
            "{P}/integrations/{sf}/installations/{g1}/objects/contact/backfill-progress"
        ))
        .await
        .expect(404);
    t.http
        .get(&format!(
            "{P}/integrations/{sf}/installations/{g2}/objects/contact/backfill-progress"
        ))
        .await
        .expect(200);
    // A group without an installation cannot trigger reads or deliver results.
    t.read(
        "/objects/contact",
        json!({"groupRef": "g3", "mode": "async"}),
    )
    .await
    .expect(404);
    t.read(
        "/objects/contact:deliverResults",
        json!({"groupRef": "g3", "pages": 1}),
    )
    .await
    .expect(404);
    t.read(
        "/objects/contact:deliverResults",
        json!({"groupRef": "g1", "pages": 1}),
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn data_plane_calls_without_a_group_are_refused() {
    let t = tenants().await;
    // The write host's 400 is text/plain, as its spec declares.
    let write = t
        .write(json!({"type": "create", "record": {"email": "x@example.com"}}))
        .await
        .expect(400);
    assert!(write.text().contains("groupRef"), "{}", write.text());
    for (path, body) in [
        ("/objects/contact", json!({"mode": "async"})),
        ("/objects/contact:deliverResults", json!({"pages": 1})),
    ] {
        let refused = t.read(path, body).await.expect(400);
        assert_eq!(refused.content_type(), "application/json", "{path}");
        assert_eq!(refused.json()["issues"][0]["name"], "groupRef", "{path}");
    }
}

#[tokio::test]
async fn installation_lists_filter_by_group() {
    let t = tenants().await;
    let sf = &t.sf;
    for url in [
        format!("{P}/integrations/{sf}/installations?groupRef=g1"),
        format!("{P}/installations?groupRef=g1"),
    ] {
        let listed = t.http.get(&url).await.expect(200).json();
        assert_eq!(ids(&listed), [t.installations[0].as_str()], "{url}");
        assert_eq!(listed[0]["group"]["groupRef"], "g1");
    }
    let none = t
        .http
        .get(&format!("{P}/installations?groupRef=g3"))
        .await
        .expect(200)
        .json();
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn connection_lists_filter_by_group() {
    let t = tenants().await;
    let listed = t
        .http
        .get(&format!("{P}/connections?groupRef=g2"))
        .await
        .expect(200)
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["group"]["groupRef"], "g2");
    let none = t
        .http
        .get(&format!("{P}/connections?groupRef=g3"))
        .await
        .expect(200)
        .json();
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn custom_fields_of_one_group_stay_in_that_group() {
    let t = tenants().await;
    let sf = &t.sf;
    t.http
        .put(
            &format!("{P}/integrations/{sf}/object-metadata"),
            &json!({"groupRef": "g1", "fields": {"contact": [{"fieldName": "g1Secret", "displayName": "G1", "valueType": "string"}]}}),
        )
        .await
        .expect(200);
    for base in [
        format!("{P}/integrations/{sf}/objects/contact/metadata"),
        format!("{P}/providers/salesforce/objects/contact/metadata"),
    ] {
        let g1 = t
            .http
            .get(&format!("{base}?groupRef=g1"))
            .await
            .expect(200)
            .json();
        assert!(g1["fields"].get("g1Secret").is_some(), "{g1}");
        let g2 = t
            .http
            .get(&format!("{base}?groupRef=g2"))
            .await
            .expect(200)
            .json();
        assert!(g2["fields"].get("g1Secret").is_none(), "{g2}");
        let missing = t.http.get(&base).await.problem(400);
        assert_eq!(missing["issues"][0]["name"], "groupRef");
    }
}

#[tokio::test]
async fn object_config_patches_reach_only_the_groups_installation() {
    let t = tenants().await;
    let sf = &t.sf;
    t.http
        .patch(
            &format!("{P}/integrations/{sf}/objects/contact/config-content"),
            &json!({"groupRef": "g1", "action": "read", "changes": [{"op": "replace", "path": "/schedule", "value": "0 0 * * *"}]}),
        )
        .await
        .expect(200);
    let [g1, g2] = &t.installations;
    let schedule = |installation: &Value| {
        installation["config"]["content"]["read"]["objects"]["contact"]["schedule"].clone()
    };
    let g1 = t
        .http
        .get(&format!("{P}/integrations/{sf}/installations/{g1}"))
        .await
        .expect(200)
        .json();
    let g2 = t
        .http
        .get(&format!("{P}/integrations/{sf}/installations/{g2}"))
        .await
        .expect(200)
        .json();
    assert_eq!(schedule(&g1), "0 0 * * *");
    assert_eq!(schedule(&g2), "*/10 * * * *");
}

#[tokio::test]
async fn query_parameters_outside_their_enum_are_refused() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    let problem = http
        .get(&format!(
            "{P}/notification-event-topic-routes?eventType=nothing.happened"
        ))
        .await
        .problem(400);
    assert_eq!(problem["issues"][0]["in"], "query");
    assert_eq!(problem["issues"][0]["name"], "eventType");
    assert_eq!(problem["issues"][0]["value"], "nothing.happened");
    http.get(&format!(
        "{P}/notification-event-topic-routes?eventType=connection.created"
    ))
    .await
    .expect(200);
    // Booleans and bounded integers too.
    http.get(&format!("{P}?includeEntitlements=maybe"))
        .await
        .problem(400);
    let connection = http
        .post(
            &format!("{P}/connections:generate"),
            &json!({"provider": "apollo", "groupRef": "g1", "consumerRef": "u1", "apiKey": "k"}),
        )
        .await
        .expect(201)
        .json();
    let id = connection["id"].as_str().unwrap();
    http.get(&format!("{P}/connections/{id}?refresh=sometimes"))
        .await
        .problem(400);
    for refresh in ["force", "ifExpired"] {
        http.get(&format!("{P}/connections/{id}?refresh={refresh}"))
            .await
            .expect(200);
    }
}

#[tokio::test]
async fn problem_instances_are_absolute_uris() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    let problems = [
        http.send(
            Method::GET,
            &format!("{}/projects", http.api),
            Auth::None,
            None,
        )
        .await
        .problem(401),
        http.get("/projects/nope").await.problem(404),
        http.get(&format!("{P}/notification-event-topic-routes?eventType=x"))
            .await
            .problem(400),
    ];
    for problem in problems {
        // The spec's problem schema: `instance` is `format: uri`, an absolute URI.
        let instance = problem["instance"].as_str().unwrap();
        let parsed = url::Url::parse(instance)
            .unwrap_or_else(|e| panic!("instance {instance:?} is not an absolute URI: {e}"));
        assert_eq!(parsed.scheme(), "urn");
        assert_eq!(
            instance,
            format!("urn:uuid:{}", problem["requestId"].as_str().unwrap())
        );
    }
}
