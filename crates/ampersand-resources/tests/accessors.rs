//! The accessor path (`projects.get("p").map(...).await`) and the request path
//! (`execute(GetProject::new("p"))`) send the same request, and a paginated operation exposes
//! its pages.

use std::sync::Mutex;

use ampersand_core::{Bytes, Error, Execute, Operation, http};
use ampersand_resources::Paginated;
use ampersand_resources::operations::ListOperations;
use ampersand_resources::projects::{GetProject, Projects};

/// An `Execute` that records each request and answers with a fixed JSON body.
struct Recorder {
    seen: Mutex<Vec<String>>,
    body: &'static str,
}

impl Execute for Recorder {
    fn execute<O>(&self, operation: O) -> impl Future<Output = Result<O::Output, Error>> + Send
    where
        O: Operation + 'static,
        O::Output: Send + 'static,
    {
        let result = operation.to_request().and_then(|request| {
            let accept = request
                .headers()
                .get(http::header::ACCEPT)
                .map(|v| v.to_str().unwrap_or("").to_owned());
            self.seen.lock().unwrap().push(format!(
                "{} {} {:?}",
                request.method(),
                request.uri(),
                accept
            ));
            O::decode(http::Response::new(Bytes::from_static(
                self.body.as_bytes(),
            )))
        });
        async move { result }
    }
}

const PROJECT: &str = r#"{"id":"p-1","name":"my-project","appName":"App","orgId":"o-1","createTime":"2024-01-01T00:00:00Z"}"#;

#[tokio::test]
async fn accessor_and_request_send_the_same_thing() {
    let client = Recorder {
        seen: Mutex::new(Vec::new()),
        body: PROJECT,
    };
    let project = Projects::new(&client)
        .get("my project")
        .map(|op| op.include_entitlements(true))
        .await
        .unwrap();
    assert_eq!(project.name, "my-project");
    let direct = client
        .execute(GetProject::new("my project").include_entitlements(true))
        .await
        .unwrap();
    assert_eq!(direct, project);
    let seen = client.seen.lock().unwrap();
    assert_eq!(seen[0], seen[1]);
    assert_eq!(
        seen[0],
        r#"GET /projects/my%20project?includeEntitlements=true Some("application/json, application/problem+json")"#
    );
}

#[test]
fn list_operations_pages() {
    let mut op = ListOperations::new("p", "i", "inst").page_size(50);
    op.set_page_token(Some("t1".into()));
    assert_eq!(
        op.to_request().unwrap().uri(),
        "/projects/p/integrations/i/installations/inst/operations?pageSize=50&pageToken=t1"
    );
    let page = r#"{"results":[{"id":"op-1","projectId":"p","integrationId":"i","installationId":"inst","configId":"c","actionType":"read","status":"success","createTime":"2024-01-01T00:00:00Z"}],"pagination":{"done":false,"nextPageToken":"t2"}}"#;
    let output =
        ListOperations::decode(http::Response::new(Bytes::from_static(page.as_bytes()))).unwrap();
    assert_eq!(ListOperations::next_page_token(&output), Some("t2"));
    assert!(!ListOperations::is_done(&output));
    assert_eq!(ListOperations::into_items(output).len(), 1);
}

#[test]
fn page_size_bounds_are_enforced_when_encoding() {
    assert_eq!(ListOperations::PAGE_SIZE_MIN, 1);
    assert_eq!(ListOperations::PAGE_SIZE_MAX, 1000);
    let error = ListOperations::new("p", "i", "inst")
        .page_size(1001)
        .to_request()
        .unwrap_err();
    assert!(error.to_string().contains("pageSize"), "{error}");
}
