//! `client.wait_for_operation(..)` with paused tokio time: the mock's reads, an operation that
//! never finishes, one that fails (logs attached), and polling errors.

mod workflows_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ampersand::resources::read::{ReadMode, TriggerRead};
use ampersand::workflows::{Progress, WaitError, WaitOptions};
use ampersand::{Error, ErrorKind};
use ampersand_mock::MockServer;
use serde_json::json;
use workflows_support::{GROUP, PROJECT, Scripted, installed, json, mock_client};

fn recording(options: WaitOptions) -> (WaitOptions, Arc<Mutex<Vec<Progress>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = options.on_progress(move |p| sink.lock().unwrap().push(p.clone()));
    (options, seen)
}

fn operation(status: &str) -> serde_json::Value {
    json!({"id": "op-1", "actionType": "read", "configId": "c", "installationId": "inst",
           "integrationId": "i", "projectId": "p", "status": status,
           "metadata": {"progress": {"recordsProcessed": 40, "recordsEstimatedTotal": 100}}})
}

#[tokio::test(start_paused = true)]
async fn a_triggered_read_is_polled_with_backoff_until_success() {
    let server = MockServer::builder()
        .operation_polls(3)
        .start()
        .await
        .unwrap();
    let client = mock_client(&server);
    let ids = installed(&client).await;
    let (options, seen) = recording(
        WaitOptions::default()
            .initial_delay(Duration::from_secs(1))
            .multiplier(2.0),
    );
    let read = TriggerRead::new(
        PROJECT,
        &ids.integration_id,
        "people",
        GROUP,
        ReadMode::Async,
    );
    let operation = client.read_and_wait(PROJECT, read, options).await.unwrap();

    assert_eq!(operation.status, "success");
    assert_eq!(operation.installation_id, ids.installation_id);
    assert_eq!(
        operation.result.as_deref(),
        Some("[people] Read 25 records")
    );
    let seen = seen.lock().unwrap();
    let statuses: Vec<&str> = seen.iter().map(|p| p.status.as_str()).collect();
    assert_eq!(
        statuses,
        ["in_progress", "in_progress", "in_progress", "success"]
    );
    let polls: Vec<u32> = seen.iter().map(|p| p.polls).collect();
    assert_eq!(polls, [1, 2, 3, 4]);
    // Virtual time: sleeps of 1 s, 2 s, 4 s between the polls.
    let elapsed: Vec<u64> = seen.iter().map(|p| p.elapsed.as_secs()).collect();
    assert_eq!(elapsed, [0, 1, 3, 7]);
    let last = seen.last().unwrap();
    assert_eq!(last.records_processed, Some(25));
    assert_eq!(last.records_estimated_total, Some(25));
    assert_eq!(last.fraction(), Some(1.0));
    assert_eq!(seen[0].records_processed, Some(0));
}

#[tokio::test(start_paused = true)]
async fn an_operation_that_never_finishes_times_out_at_the_deadline() {
    let server = Scripted::start(|_| json(200, operation("in_progress"))).await;
    let (options, seen) = recording(
        WaitOptions::default()
            .initial_delay(Duration::from_secs(1))
            .multiplier(2.0)
            .max_delay(Duration::from_secs(10))
            .timeout(Duration::from_secs(60)),
    );
    let error = server
        .client()
        .wait_for_operation("p", "op-1", options)
        .await
        .unwrap_err();
    match &error {
        WaitError::TimedOut {
            operation_id,
            timeout,
            last,
        } => {
            assert_eq!(operation_id, "op-1");
            assert_eq!(*timeout, Duration::from_secs(60));
            assert_eq!(last.status, "in_progress");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    // Polls at 0, 1, 3, 7, 15, 25, 35, 45, 55 and a last one at the deadline, 60.
    let elapsed: Vec<u64> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|p| p.elapsed.as_secs())
        .collect();
    assert_eq!(elapsed, [0, 1, 3, 7, 15, 25, 35, 45, 55, 60]);
    assert_eq!(server.requests().len(), 10);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path() == "/projects/p/operations/op-1")
    );
    assert_eq!(seen.lock().unwrap()[0].fraction(), Some(0.4));

    let error: Error = error.into();
    assert_eq!(error.kind(), ErrorKind::Timeout);
}

#[tokio::test(start_paused = true)]
async fn a_failed_operation_comes_back_with_its_logs() {
    let server = Scripted::start(|request| {
        if request.path().ends_with("/logs") {
            return json(200, json!([
                {"timestamp": "2024-01-01T00:00:00Z", "severity": "INFO", "message": {"msg": "read started"}},
                {"timestamp": "2024-01-01T00:00:01Z", "severity": "ERROR",
                 "message": {"msg": "read failed", "error": "token expired", "operation_id": "op-1"}},
            ]));
        }
        json(200, {
            let mut op = operation("failure");
            op["result"] = json!("[people] provider rejected the credentials");
            op
        })
    })
    .await;
    let error = server
        .client()
        .wait_for_operation("p", "op-1", WaitOptions::default())
        .await
        .unwrap_err();
    let WaitError::Failed(failed) = &error else {
        panic!("expected a failure, got {error:?}");
    };
    assert_eq!(failed.operation().status, "failure");
    let messages: Vec<&str> = failed
        .logs()
        .iter()
        .map(|l| l.message.msg.as_str())
        .collect();
    assert_eq!(messages, ["read started", "read failed"]);
    assert!(failed.logs_error().is_none());
    let text = error.to_string();
    assert!(text.contains("provider rejected the credentials"), "{text}");
    assert!(text.contains("token expired"), "{text}");
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/projects/p/operations/op-1",
            "/projects/p/operations/op-1/logs"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn logs_that_cannot_be_fetched_are_reported_not_fatal() {
    let server = Scripted::start(|request| {
        if request.path().ends_with("/logs") {
            json(
                500,
                json!({"title": "Internal Server Error", "status": 500}),
            )
        } else {
            json(200, operation("failure"))
        }
    })
    .await;
    let client = server.client();
    let WaitError::Failed(failed) = client
        .wait_for_operation("p", "op-1", WaitOptions::default())
        .await
        .unwrap_err()
    else {
        panic!("expected a failure");
    };
    assert!(failed.logs().is_empty());
    assert_eq!(
        failed.logs_error().unwrap().status().map(|s| s.as_u16()),
        Some(500)
    );

    // Not fetched at all when turned off.
    let before = server.requests().len();
    let error = client
        .wait_for_operation(
            "p",
            "op-1",
            WaitOptions::default().fetch_logs_on_failure(false),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, WaitError::Failed(_)));
    assert_eq!(server.requests().len(), before + 1);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_operation_is_a_request_error() {
    let server = MockServer::start().await.unwrap();
    let error = mock_client(&server)
        .wait_for_operation(PROJECT, "no-such-operation", WaitOptions::default())
        .await
        .unwrap_err();
    match error {
        WaitError::Request(error) => assert!(error.is_not_found(), "{error}"),
        other => panic!("{other:?}"),
    }
}
