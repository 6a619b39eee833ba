//! customAuthConnect: the multi-step custom auth flow, end to end (start, redirect, resume with
//! the callback's params), only for providers whose catalog entry has `customOpts.multiStep`.

mod common;

use ampersand_mock::MockServer;
use common::{Auth, Http};
use http::Method;
use serde_json::json;

#[tokio::test]
async fn a_multi_step_flow_starts_redirects_and_resumes_into_a_connection() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    // The catalog says which providers drive a multi-step flow.
    let bill = http
        .send(
            Method::GET,
            &format!("{}/providers/bill", http.api),
            Auth::None,
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(bill["customOpts"]["multiStep"], true);

    let started = http
        .post(
            "/custom-auth/connect",
            &json!({"projectIdOrName": "mock-project", "provider": "bill", "groupRef": "g1",
                    "groupName": "Group one", "consumerRef": "u1",
                    "customAuth": {"userName": "admin@acme.com", "password": "hunter2"}}),
        )
        .await
        .expect(200)
        .json();
    assert!(started.get("connection").is_none(), "{started}");
    let redirect = &started["redirect"];
    assert!(redirect["url"].as_str().unwrap().starts_with("https://"));
    let session = redirect["sessionId"].as_str().unwrap();

    // The resume call carries only the session and the callback's params: provider, groupRef
    // and consumerRef are not required (and ignored when sent).
    let resumed = http
        .post(
            "/custom-auth/connect",
            &json!({"projectIdOrName": "mock-project", "sessionId": session,
                    "callbackParams": {"tenant": "9e1477fd"}, "groupRef": "ignored"}),
        )
        .await
        .expect(200)
        .json();
    let connection = &resumed["connection"];
    assert!(resumed.get("redirect").is_none(), "{resumed}");
    assert_eq!(connection["provider"], "bill");
    assert_eq!(connection["group"]["groupRef"], "g1");
    assert_eq!(connection["group"]["groupName"], "Group one");
    assert_eq!(connection["consumer"]["consumerRef"], "u1");
    let id = connection["id"].as_str().unwrap();
    let listed = http
        .get("/projects/mock-project/connections?groupRef=g1")
        .await
        .expect(200)
        .json();
    assert_eq!(listed[0]["id"], id);

    // A session completes once.
    let again = http
        .post(
            "/custom-auth/connect",
            &json!({"projectIdOrName": "mock-project", "sessionId": session, "callbackParams": {}}),
        )
        .await
        .problem(404);
    assert!(
        again["detail"].as_str().unwrap().contains(session),
        "{again}"
    );
}

#[tokio::test]
async fn providers_without_a_multi_step_flow_are_refused() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    for provider in ["attio", "salesforce", "no-such-provider"] {
        let problem = http
            .post(
                "/custom-auth/connect",
                &json!({"projectIdOrName": "mock-project", "provider": provider, "groupRef": "g1",
                        "consumerRef": "u1", "customAuth": {"token": "x"}}),
            )
            .await
            .problem(400);
        assert_eq!(
            problem["issues"][0]["name"], "provider",
            "{provider}: {problem}"
        );
    }
    let connections = http
        .get("/projects/mock-project/connections")
        .await
        .expect(200)
        .json();
    assert_eq!(connections, json!([]));
    // A first call still needs its identity.
    let problem = http
        .post(
            "/custom-auth/connect",
            &json!({"projectIdOrName": "mock-project", "provider": "bill"}),
        )
        .await
        .problem(400);
    let names: Vec<&str> = problem["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["groupRef", "consumerRef"]);
}
