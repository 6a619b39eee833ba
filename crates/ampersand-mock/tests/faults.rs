//! Fault injection over real connections.

mod common;

use std::time::Duration;

use ampersand_mock::{FaultRule, Faults, MockServer};
use bytes::Bytes;
use common::{Auth, Http};
use http::Method;

#[tokio::test]
async fn status_faults_fire_n_times_then_the_real_answer_returns() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    server
        .faults()
        .push(FaultRule::status(503).operation("getProject").times(2));

    let problem = http.get("/projects/mock-project").await.problem(503);
    assert_eq!(problem["retryable"], true);
    // Other operations are untouched.
    http.get("/projects").await.expect(200);
    http.get("/projects/mock-project").await.problem(503);
    let project = http.get("/projects/mock-project").await.expect(200).json();
    assert_eq!(project["name"], "mock-project");
    assert!(server.faults().rules().is_empty());
}

#[tokio::test]
async fn rate_limits_send_retry_after() {
    let server = MockServer::builder()
        .fault(
            FaultRule::rate_limit(Duration::from_secs(3))
                .path_prefix("/api/v1/projects")
                .times(1),
        )
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let resp = http.get("/projects").await;
    assert_eq!(resp.headers.get("retry-after").unwrap(), "3");
    let problem = resp.problem(429);
    assert!(problem["retryAfter"].is_string());
    http.get("/projects").await.expect(200);
}

#[tokio::test]
async fn dropped_connections_fail_the_request() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    server.faults().push(
        FaultRule::drop_connection()
            .operation("listProjects")
            .times(1),
    );
    let url = format!("{}/projects", http.api);
    let err = http
        .try_send(Method::GET, &url, Auth::Key(&http.key), &[], Bytes::new())
        .await;
    assert!(
        err.is_err(),
        "expected a connection error, got {:?}",
        err.map(|r| r.status)
    );
    http.get("/projects").await.expect(200);
}

#[tokio::test]
async fn probabilistic_faults_follow_the_seed() {
    let run = || async {
        let server = MockServer::builder()
            .faults(Faults::with_seed(42))
            .fault("listProjects=500@0.5".parse().unwrap())
            .start()
            .await
            .unwrap();
        let http = Http::new(&server);
        let mut statuses = Vec::new();
        for _ in 0..16 {
            statuses.push(http.get("/projects").await.status.as_u16());
        }
        statuses
    };
    let first = run().await;
    assert_eq!(first, run().await);
    assert!(first.contains(&500) && first.contains(&200), "{first:?}");
}

#[tokio::test(start_paused = true)]
async fn latency_delays_answers() {
    let server = MockServer::builder()
        .latency(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let http = Http::new(&server);
    let request = http.get("/projects");
    tokio::pin!(request);
    // With paused time the request only completes once the clock passes the latency.
    assert!(
        tokio::time::timeout(Duration::from_secs(29), &mut request)
            .await
            .is_err()
    );
    request.await.expect(200);
}
