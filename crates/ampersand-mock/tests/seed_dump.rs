//! Seeding state and dumping it round-trip.

mod common;

use ampersand_mock::MockServer;
use common::{AMP_YAML, Auth, Http};
use http::Method;
use serde_json::json;

#[tokio::test]
async fn a_dump_seeds_an_identical_server() {
    let first = MockServer::builder()
        .api_key("amp_fixed_key")
        .start()
        .await
        .unwrap();
    let http = Http::new(&first);
    assert_eq!(http.key, "amp_fixed_key");
    let p = "/projects/mock-project";
    http.put(
        &format!("{p}/integrations:batch"),
        &json!({"sourceYaml": AMP_YAML}),
    )
    .await
    .expect(200);
    http.post(&format!("{p}/topics"), &json!({"name": "ops"}))
        .await
        .expect(201);
    let created_key = http
        .post(&format!("{p}/api-keys"), &json!({"label": "ci"}))
        .await
        .expect(201)
        .json();

    // The dump endpoint and the method agree.
    let over_http = http
        .send(
            Method::GET,
            &format!("{}/_mock/state", http.origin),
            Auth::None,
            None,
        )
        .await
        .expect(200)
        .json();
    let dump = first.dump();
    assert_eq!(over_http, dump);

    let file =
        std::env::temp_dir().join(format!("ampersand-mock-dump-{}.json", std::process::id()));
    first.dump_to_file(&file).unwrap();
    let second = MockServer::builder()
        .seed_file(&file)
        .unwrap()
        .start()
        .await
        .unwrap();
    std::fs::remove_file(&file).ok();
    assert_eq!(second.dump(), dump);

    // The seeded server serves the seeded resources, and the seeded API key works there.
    let http2 = Http::new(&second);
    let integrations = http2
        .get(&format!("{p}/integrations"))
        .await
        .expect(200)
        .json();
    assert_eq!(integrations.as_array().unwrap().len(), 2);
    let key = created_key["key"].as_str().unwrap();
    let topics = http2
        .send(
            Method::GET,
            &format!("{}{p}/topics", http2.api),
            Auth::Key(key),
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(topics[0]["name"], "ops");
}

#[tokio::test]
async fn partial_seeds_fill_the_rest_with_defaults() {
    let seed = json!({"projects": {"p1": {"id": "p1", "name": "seeded", "appName": "S", "orgId": "o1", "createTime": "2024-01-01T00:00:00Z"}}});
    let server = MockServer::builder()
        .seed_json(seed)
        .unwrap()
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let projects = http.get("/projects").await.expect(200).json();
    assert_eq!(projects.as_array().unwrap().len(), 1);
    assert_eq!(projects[0]["name"], "seeded");
    assert!(server.state().orgs.is_empty());
    assert!(
        MockServer::builder()
            .seed_json(json!({"projects": 5}))
            .is_err()
    );
}
