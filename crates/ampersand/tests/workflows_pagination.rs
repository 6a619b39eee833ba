//! `client.paginate(..)`: pages and items of `listOperations` from the mock, and a scripted
//! server that repeats tokens or forgets them.

mod workflows_support;

use std::collections::BTreeSet;

use ampersand::ErrorKind;
use ampersand::resources::operations::ListOperations;
use ampersand::resources::read::{ReadMode, TriggerRead};
use ampersand::workflows::PaginationError;
use ampersand_mock::MockServer;
use futures_util::{StreamExt, TryStreamExt};
use serde_json::json;
use workflows_support::{GROUP, PROJECT, Scripted, installed, json, mock_client};

#[tokio::test]
async fn pages_and_items_cover_every_operation_once() {
    let server = MockServer::start().await.unwrap();
    let client = mock_client(&server);
    let ids = installed(&client).await;
    let mut triggered = BTreeSet::new();
    for _ in 0..7 {
        let read = TriggerRead::new(
            PROJECT,
            &ids.integration_id,
            "people",
            GROUP,
            ReadMode::Async,
        );
        triggered.insert(client.send(read).await.unwrap().operation_id);
    }
    let list = ListOperations::new(PROJECT, &ids.integration_id, &ids.installation_id).page_size(3);

    let pages: Vec<_> = client
        .paginate(list.clone())
        .pages()
        .try_collect()
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.results.len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let done: Vec<bool> = pages.iter().map(|p| p.pagination.done).collect();
    assert_eq!(done, [false, false, true]);

    let items: Vec<_> = client
        .paginate(list.clone())
        .items()
        .try_collect()
        .await
        .unwrap();
    let listed: BTreeSet<String> = items.iter().map(|o| o.id.clone()).collect();
    assert_eq!(items.len(), 7);
    assert_eq!(listed, triggered);

    let collected = client.paginate(list).collect().await.unwrap();
    assert_eq!(collected, items);
}

#[tokio::test]
async fn a_single_done_page_is_fetched_once() {
    let server =
        Scripted::start(|_| json(200, json!({"results": [], "pagination": {"done": true}}))).await;
    let client = server.client();
    let items = client
        .paginate(ListOperations::new("p", "i", "inst"))
        .collect()
        .await
        .unwrap();
    assert!(items.is_empty());
    assert_eq!(server.requests().len(), 1);
}

fn operation(id: &str) -> serde_json::Value {
    json!({"id": id, "actionType": "read", "configId": "c", "installationId": "inst",
           "integrationId": "i", "projectId": "p", "status": "success"})
}

#[tokio::test]
async fn a_repeated_token_ends_the_stream_with_an_error() {
    // Page 1 -> token A; page 2 -> token B; page 3 -> token A again (a cycle).
    let server = Scripted::start(|request| {
        let (id, token) = match request.uri.query().unwrap_or_default() {
            q if q.contains("pageToken=A") => ("op-2", "B"),
            q if q.contains("pageToken=B") => ("op-3", "A"),
            _ => ("op-1", "A"),
        };
        json(200, json!({"results": [operation(id)], "pagination": {"done": false, "nextPageToken": token}}))
    })
    .await;
    let client = server.client();
    let results: Vec<_> = client
        .paginate(ListOperations::new("p", "i", "inst"))
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 3, "{results:?}");
    let ids: Vec<&str> = results[..2]
        .iter()
        .map(|r| r.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(ids, ["op-1", "op-2"]);
    match &results[2] {
        Err(PaginationError::RepeatedPageToken { token, page }) => {
            assert_eq!((token.as_str(), *page), ("A", 3));
        }
        other => panic!("expected a repeated token, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 3);

    // Into the SDK's error, the cause is kept.
    let error: ampersand::Error = client
        .paginate(ListOperations::new("p", "i", "inst"))
        .collect()
        .await
        .unwrap_err()
        .into();
    assert_eq!(error.kind(), ErrorKind::Other);
}

#[tokio::test]
async fn a_page_that_is_not_done_needs_a_token() {
    let server = Scripted::start(|_| {
        json(200, json!({"results": [operation("op-1")], "pagination": {"done": false, "nextPageToken": ""}}))
    })
    .await;
    let error = server
        .client()
        .paginate(ListOperations::new("p", "i", "inst"))
        .collect()
        .await
        .unwrap_err();
    assert!(
        matches!(error, PaginationError::MissingPageToken { page: 1 }),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn page_sizes_outside_the_spec_bounds_fail_before_sending() {
    let server =
        Scripted::start(|_| json(200, json!({"results": [], "pagination": {"done": true}}))).await;
    let client = server.client();
    for size in [
        ListOperations::PAGE_SIZE_MIN - 1,
        ListOperations::PAGE_SIZE_MAX + 1,
    ] {
        let list = ListOperations::new("p", "i", "inst").page_size(size);
        match client.paginate(list).collect().await {
            Err(PaginationError::Request(error)) => {
                assert_eq!(error.kind(), ErrorKind::Encode, "{size}");
                assert!(error.to_string().contains("pageSize"), "{error}");
            }
            other => panic!("page size {size}: {other:?}"),
        }
    }
    assert!(server.requests().is_empty());

    for size in [ListOperations::PAGE_SIZE_MIN, ListOperations::PAGE_SIZE_MAX] {
        let list = ListOperations::new("p", "i", "inst").page_size(size);
        client.paginate(list).collect().await.unwrap();
    }
    let queries: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.uri.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(queries, ["pageSize=1", "pageSize=1000"]);
}

#[tokio::test]
async fn an_api_error_ends_the_stream_and_keeps_the_status() {
    let server = Scripted::start(|request| {
        if request.uri.query().unwrap_or_default().contains("pageToken") {
            json(404, json!({"type": "about:blank", "title": "Not Found", "status": 404}))
        } else {
            json(200, json!({"results": [operation("op-1")], "pagination": {"done": false, "nextPageToken": "next"}}))
        }
    })
    .await;
    let results: Vec<_> = server
        .client()
        .paginate(ListOperations::new("p", "i", "inst"))
        .pages()
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    match &results[1] {
        Err(PaginationError::Request(error)) => assert!(error.is_not_found(), "{error}"),
        other => panic!("{other:?}"),
    }
}
