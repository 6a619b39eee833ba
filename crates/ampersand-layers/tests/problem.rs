//! The problem layer against a loopback server: every kind of error body becomes an API error
//! that keeps the status, headers and body.

mod loopback;

use ampersand_core::{Error, ErrorKind};
use ampersand_layers::problem::ProblemLayer;
use bytes::Bytes;
use http::{Response, StatusCode};
use loopback::{GET_PROJECT, Server, request, transport};
use tower::{Layer, ServiceExt};

/// Serves one response with `status`, `content_type` (if any) and `body`, and returns what
/// the problem layer made of it.
async fn through_layer(
    status: u16,
    content_type: Option<&'static str>,
    extra_header: Option<(&'static str, &'static str)>,
    body: &'static str,
) -> Result<Response<Bytes>, Error> {
    let server = Server::start(move |_, _| {
        let mut response = Response::builder().status(status);
        if let Some(content_type) = content_type {
            response = response.header("content-type", content_type);
        }
        if let Some((name, value)) = extra_header {
            response = response.header(name, value);
        }
        response.body(Bytes::from_static(body.as_bytes())).unwrap()
    })
    .await;
    ProblemLayer::new()
        .layer(transport())
        .oneshot(request(&GET_PROJECT, &server.url("/projects/p")))
        .await
}

#[tokio::test]
async fn problem_json_is_decoded_with_its_issues() {
    let body = r#"{"type":"urn:amp:invalid","title":"Invalid input","status":422,
        "detail":"2 issues","requestId":"req-42","retryable":false,
        "issues":[{"in":"body","name":"name","detail":"too long"}]}"#;
    let error = through_layer(422, Some("application/problem+json"), None, body)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert_eq!(error.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(error.operation_id(), Some("getProject"));
    let problem = error.problem().unwrap();
    assert_eq!(problem.problem_type(), "urn:amp:invalid");
    assert_eq!(problem.detail.as_deref(), Some("2 issues"));
    assert_eq!(error.request_id(), Some("req-42"));
    assert_eq!(error.issues().len(), 1);
    assert_eq!(error.issues()[0].name.as_deref(), Some("name"));
    assert!(error.is_invalid_input());
    assert!(!error.is_retryable());
    assert_eq!(error.body().unwrap(), body.as_bytes());
}

#[tokio::test]
async fn problem_shaped_json_is_decoded() {
    let error = through_layer(
        404,
        Some("application/json; charset=utf-8"),
        None,
        r#"{"title":"Not Found","detail":"no project named p"}"#,
    )
    .await
    .unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(
        error.problem().unwrap().detail.as_deref(),
        Some("no project named p")
    );
    assert_eq!(error.problem().unwrap().status, Some(404));
}

#[tokio::test]
async fn json_of_another_shape_is_kept_as_detail() {
    let error = through_layer(500, Some("application/json"), None, r#"{"message":"boom"}"#)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    let problem = error.problem().unwrap();
    assert_eq!(problem.title.as_deref(), Some("Internal Server Error"));
    assert_eq!(problem.detail.as_deref(), Some(r#"{"message":"boom"}"#));
}

#[tokio::test]
async fn malformed_problem_json_never_replaces_the_status() {
    let error = through_layer(400, Some("application/problem+json"), None, r#"{"title": "#)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert!(error.is_bad_request());
    assert_eq!(error.body_text().unwrap(), r#"{"title": "#);
    assert_eq!(
        error.problem().unwrap().detail.as_deref(),
        Some(r#"{"title":"#)
    );
}

#[tokio::test]
async fn text_plain_is_kept_as_detail() {
    let error = through_layer(
        400,
        Some("text/plain"),
        None,
        "record 7 is missing field id\n",
    )
    .await
    .unwrap_err();
    assert!(error.is_bad_request());
    assert_eq!(
        error.problem().unwrap().detail.as_deref(),
        Some("record 7 is missing field id")
    );
    assert!(
        error.to_string().contains("record 7 is missing field id"),
        "{error}"
    );
}

#[tokio::test]
async fn html_is_kept_as_detail_and_the_status_is_kept() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let error = through_layer(502, Some("text/html"), None, html)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(
        error.problem().unwrap().title.as_deref(),
        Some("Bad Gateway")
    );
    assert_eq!(error.problem().unwrap().detail.as_deref(), Some(html));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_empty_body_keeps_the_status_and_the_header_request_id() {
    let error = through_layer(503, None, Some(("x-request-id", "rid-7")), "")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    let problem = error.problem().unwrap();
    assert_eq!(problem.title.as_deref(), Some("Service Unavailable"));
    assert_eq!(problem.detail, None);
    assert_eq!(error.request_id(), Some("rid-7"));
    assert_eq!(error.headers().unwrap()["x-request-id"], "rid-7");
}

#[tokio::test]
async fn non_2xx_statuses_outside_4xx_5xx_are_errors_too() {
    let error = through_layer(304, None, None, "").await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::NOT_MODIFIED));
}

#[tokio::test]
async fn success_passes_through_untouched() {
    let response = through_layer(200, Some("application/json"), None, r#"{"id":"p"}"#)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), r#"{"id":"p"}"#);
    let response = through_layer(204, None, None, "").await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn transport_errors_pass_through() {
    let failing = tower::service_fn(|_request: http::Request<Bytes>| async {
        Err::<Response<Bytes>, Error>(Error::connect("connection refused"))
    });
    let error = ProblemLayer::new()
        .layer(failing)
        .oneshot(request(
            &GET_PROJECT,
            "https://api.withampersand.com/v1/projects/p",
        ))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect);
    assert!(
        format!("{error:#}").contains("connection refused"),
        "{error:#}"
    );
}
