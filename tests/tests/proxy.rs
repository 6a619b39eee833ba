//! The Proxy API end to end: the SDK's `Proxy` through the default stack, against a loopback
//! server that records what it receives and against the mock's proxy host.
//!
//! Every test's name contains `proxy`, so `cargo test --workspace proxy` runs them.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ampersand::layers::rate_limit::RateLimitConfig;
use ampersand::layers::retry::RetryConfig;
use ampersand::proxy::{ProxyTarget, ResponseExt};
use ampersand::{CallOptions, Client, ErrorKind, Host};
use ampersand_mock::{MockServer, ProxyFault};
use ampersand_tests::server::{TestServer, json, respond};
use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;
use serde_json::{Value, json as j};
use tower::ServiceExt;

const KEY: &str = "amp_PROXYSECRET_93be71";
const JWT: &str = "eyJPROXYJWT.payload.sig";

/// Retries that wait a millisecond, so the tests run at loopback speed.
fn quick_retries() -> RetryConfig {
    RetryConfig::default()
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
}

/// A client whose proxy host is the loopback test server.
fn loopback_client(server: &TestServer) -> Client {
    Client::builder()
        .api_key(KEY)
        .bearer_token(JWT)
        .base_url(Host::Proxy, &format!("http://{}", server.addr()))
        .retry(quick_retries())
        .build()
        .unwrap()
}

/// A client of the mock, proxy host included.
fn mock_client(mock: &MockServer) -> Client {
    Client::builder()
        .api_key(mock.api_key())
        .base_url(Host::Api, &mock.urls().api)
        .base_url(Host::Proxy, &mock.urls().proxy)
        .retry(quick_retries())
        .build()
        .unwrap()
}

/// The mock, its project id, and an installation of `crm` for `customer-1`.
async fn mock_with_installation() -> (MockServer, String, String) {
    let mock = MockServer::start().await.unwrap();
    let project = mock.proxy().project_id().unwrap();
    let installation = mock.proxy().install(&project, "crm", "customer-1", true);
    (mock, project, installation)
}

#[tokio::test]
async fn proxy_header_contract() {
    let server = TestServer::start(|_| json(j!({"ok": true}))).await;
    let client = loopback_client(&server);
    let proxy = client.proxy("proj-uuid-1", ProxyTarget::installation("inst-1"));

    let response = proxy.get("/crm/v3/objects/contacts").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    proxy.clone().throttle().get("/x").send().await.unwrap();

    let requests = server.requests();
    let sent = &requests[0];
    assert_eq!(sent.method, http::Method::GET);
    assert_eq!(sent.path_and_query, "/crm/v3/objects/contacts");
    assert_eq!(sent.header("x-amp-proxy-version"), Some("1"));
    assert_eq!(sent.header("x-amp-project-id"), Some("proj-uuid-1"));
    assert_eq!(sent.header("x-amp-installation-id"), Some("inst-1"));
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    // The client holds a Bearer token too: it never goes to the proxy.
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(sent.header("x-amp-integration-name"), None);
    assert_eq!(sent.header("x-amp-rate-limiter-mode"), None);
    assert!(
        sent.header("user-agent")
            .unwrap()
            .starts_with("ampersand-rust/")
    );
    assert_eq!(
        requests[1].header("x-amp-rate-limiter-mode"),
        Some("throttle")
    );
}

#[tokio::test]
async fn proxy_target_headers_and_precedence() {
    let server = TestServer::start(|_| json(j!({}))).await;
    let client = loopback_client(&server);
    client
        .proxy("p", ProxyTarget::group("hubspot-crm", "customer-42"))
        .get("/a")
        .send()
        .await
        .unwrap();
    client
        .proxy(
            "p",
            ProxyTarget::group("hubspot-crm", "customer-42").with_installation("inst-9"),
        )
        .get("/b")
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(
        requests[0].header("x-amp-integration-name"),
        Some("hubspot-crm")
    );
    assert_eq!(requests[0].header("x-amp-group-ref"), Some("customer-42"));
    assert_eq!(requests[0].header("x-amp-installation-id"), None);
    assert_eq!(requests[1].header("x-amp-installation-id"), Some("inst-9"));
    assert_eq!(requests[1].header("x-amp-group-ref"), Some("customer-42"));

    // The mock, like Ampersand, uses the installation id when all three are sent.
    let (mock, project, first) = mock_with_installation().await;
    let second = mock.proxy().install(&project, "crm", "customer-2", true);
    let client = mock_client(&mock);
    let by_group = client.proxy(&project, ProxyTarget::group("crm", "customer-1"));
    let both = client.proxy(
        &project,
        ProxyTarget::group("crm", "customer-1").with_installation(second.as_str()),
    );
    let answered_by = |response: http::Response<Bytes>| {
        response.headers()["x-amp-installation-id"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        answered_by(by_group.get("/echo").send().await.unwrap()),
        first
    );
    assert_eq!(answered_by(both.get("/echo").send().await.unwrap()), second);
}

#[tokio::test]
async fn proxy_refuses_a_client_without_an_api_key() {
    let server = TestServer::start(|_| json(j!({}))).await;
    let client = Client::builder()
        .bearer_token(JWT)
        .base_url(Host::Proxy, &format!("http://{}", server.addr()))
        .build()
        .unwrap();
    let error = client
        .proxy("p", ProxyTarget::installation("i"))
        .get("/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth, "{error}");
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn proxy_path_and_query_are_sent_byte_for_byte_and_never_change_host() {
    let server = TestServer::start(|_| json(j!({}))).await;
    let client = loopback_client(&server);
    let proxy = client.proxy("p", ProxyTarget::installation("i"));
    let paths = [
        "/services/data/v56.0/sobjects/Account",
        "/a%2Fb/c%20d?x=1&x=2&y=a+b&z=%E2%9C%93&empty=&flag",
        "/q?filter=name%3D%27O%27Brien%27&sort=-createdAt",
        "//evil.example/steal?to=https://evil.example",
        "/@evil.example/x",
    ];
    for path in paths {
        proxy.get(path).send().await.unwrap();
    }
    proxy
        .get("/search?limit=1")
        .query(&[("q", "a b&c=d"), ("tag", "x/y")])
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    for (sent, path) in requests.iter().zip(paths) {
        assert_eq!(sent.path_and_query, path);
        assert_eq!(
            sent.header("host"),
            Some(server.addr().to_string().as_str())
        );
    }
    assert_eq!(
        requests[paths.len()].path_and_query,
        "/search?limit=1&q=a+b%26c%3Dd&tag=x%2Fy"
    );

    // What could send the request (or the API key) elsewhere is refused before sending.
    for bad in [
        "https://evil.example/x",
        "http://127.0.0.1:1/x",
        "relative/path",
    ] {
        let error = proxy.get(bad).send().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{bad}: {error}");
    }
    let with_authorization = http::Request::get("/x")
        .header("authorization", "Bearer provider-token")
        .body(Bytes::new())
        .unwrap();
    let error = proxy.clone().oneshot(with_authorization).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config, "{error}");
    let error = proxy
        .get("/x")
        .header("host", "evil.example")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config, "{error}");
    assert_eq!(server.request_count(), paths.len() + 1);

    // Behind a base URL with a path (the mock's `/proxy`), the provider sees the same bytes.
    let (mock, project, installation) = mock_with_installation().await;
    let proxy = mock_client(&mock).proxy(&project, ProxyTarget::installation(installation));
    let echoed: Value = proxy
        .get(paths[1].replace("/a%2Fb", "/echo/a%2Fb"))
        .send()
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        echoed["pathAndQuery"],
        "/echo/a%2Fb/c%20d?x=1&x=2&y=a+b&z=%E2%9C%93&empty=&flag"
    );
}

#[tokio::test]
async fn proxy_service_takes_every_in_memory_body() {
    let (mock, project, installation) = mock_with_installation().await;
    let proxy = mock_client(&mock).proxy(&project, ProxyTarget::installation(installation));
    let echo = |response: http::Response<Bytes>| -> String {
        let value: Value = response.json().unwrap();
        value["body"].as_str().unwrap().to_owned()
    };
    let post = || http::Request::post("/echo");
    let bytes = post().body(Bytes::from_static(b"bytes")).unwrap();
    let string = post().body(String::from("string")).unwrap();
    let vec = post().body(b"vec".to_vec()).unwrap();
    let full = post().body(Full::new(Bytes::from_static(b"full"))).unwrap();
    assert_eq!(echo(proxy.clone().oneshot(bytes).await.unwrap()), "bytes");
    assert_eq!(echo(proxy.clone().oneshot(string).await.unwrap()), "string");
    assert_eq!(echo(proxy.clone().oneshot(vec).await.unwrap()), "vec");
    assert_eq!(echo(proxy.clone().oneshot(full).await.unwrap()), "full");
}

#[tokio::test]
async fn proxy_provider_answers_pass_through_and_ampersand_errors_are_errors() {
    let (mock, project, installation) = mock_with_installation().await;
    let client = mock_client(&mock);
    let proxy = client.proxy(&project, ProxyTarget::installation(installation.as_str()));

    // The provider's 404 and 422 are answers.
    let missing = proxy
        .get("/crm/v3/objects/contacts/999")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers()["content-type"], "application/json");
    let body: Value = missing.clone().json().unwrap();
    assert_eq!(body["message"], "no contacts record 999");
    let error = missing.error_for_status().unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
    assert!(
        error
            .body_text()
            .unwrap()
            .contains("no contacts record 999")
    );

    let invalid = proxy
        .post("/crm/v3/objects/contacts")
        .json(&j!({"name": "no properties"}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The provider's 500 too, after the retries a GET gets.
    mock.proxy().push_fault(ProxyFault::ProviderStatus(500), 1);
    let failed = proxy.get("/crm/v3/objects/contacts").send().await.unwrap();
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);

    // Ampersand's own refusals are errors, with their problem.
    let bad_key = Client::builder()
        .api_key("amp_not_a_key")
        .base_url(Host::Proxy, &mock.urls().proxy)
        .build()
        .unwrap()
        .proxy(&project, ProxyTarget::installation(installation.as_str()))
        .get("/echo")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_key.status(), Some(StatusCode::UNAUTHORIZED));
    assert!(bad_key.problem().is_some());

    let unknown = client
        .proxy(&project, ProxyTarget::installation("no-such-installation"))
        .get("/echo")
        .send()
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(unknown.operation_id(), Some("proxy"));

    let by_name = client
        .proxy(
            "mock-project",
            ProxyTarget::installation(installation.as_str()),
        )
        .get("/echo")
        .send()
        .await
        .unwrap_err();
    assert_eq!(by_name.status(), Some(StatusCode::BAD_REQUEST));
    assert!(by_name.to_string().contains("project name"), "{by_name}");

    let disabled = mock
        .proxy()
        .install(&project, "no-proxy", "customer-1", false);
    let error = client
        .proxy(&project, ProxyTarget::installation(disabled))
        .get("/echo")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::FORBIDDEN));
    assert!(error.to_string().contains("not enabled"), "{error}");

    let half_target = client
        .proxy(&project, ProxyTarget::group("crm", "nobody"))
        .get("/echo")
        .send()
        .await
        .unwrap_err();
    assert_eq!(half_target.status(), Some(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn proxy_retry_rules_follow_the_method() {
    let (mock, project, installation) = mock_with_installation().await;
    let proxy = mock_client(&mock).proxy(&project, ProxyTarget::installation(installation));
    let contact = j!({"properties": {"email": "a@example.com"}});

    // (method, path, retried?)
    let cases = [
        (http::Method::GET, "/crm/v3/objects/contacts", true),
        (http::Method::PUT, "/echo", true),
        (http::Method::DELETE, "/echo", true),
        (http::Method::POST, "/crm/v3/objects/contacts", false),
        (http::Method::PATCH, "/echo", false),
    ];
    for (method, path, retried) in cases {
        mock.proxy().push_fault(ProxyFault::ProviderStatus(503), 1);
        let before = mock.proxy().requests();
        let response = proxy
            .request(method.clone(), path)
            .json(&contact)
            .send()
            .await
            .unwrap();
        let sent = mock.proxy().requests() - before;
        if retried {
            assert!(
                response.status().is_success(),
                "{method}: {}",
                response.status()
            );
            assert_eq!(sent, 2, "{method}");
        } else {
            assert_eq!(
                response.status(),
                StatusCode::SERVICE_UNAVAILABLE,
                "{method}"
            );
            assert_eq!(sent, 1, "{method}");
        }
    }

    // A POST the caller declares idempotent is retried.
    mock.proxy().push_fault(ProxyFault::ProviderStatus(503), 1);
    let response = proxy
        .post("/crm/v3/objects/contacts")
        .json(&contact)
        .options(CallOptions::new().idempotent(true))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn proxy_retryable_header_decides() {
    let (mock, project, installation) = mock_with_installation().await;
    let proxy = mock_client(&mock).proxy(&project, ProxyTarget::installation(installation));

    // `X-Amp-Retryable: false`: never retried, even a GET.
    mock.proxy().push_fault(
        ProxyFault::Throttle {
            retry_after: "0".into(),
            retryable: false,
        },
        1,
    );
    let before = mock.proxy().requests();
    let error = proxy.get("/echo").send().await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(error.attempts(), 1);
    assert_eq!(mock.proxy().requests() - before, 1);

    // `X-Amp-Retryable: true`: retried, even a POST.
    mock.proxy().push_fault(
        ProxyFault::Throttle {
            retry_after: "0".into(),
            retryable: true,
        },
        1,
    );
    let before = mock.proxy().requests();
    let created = proxy
        .post("/crm/v3/objects/contacts")
        .json(&j!({"properties": {"email": "b@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(mock.proxy().requests() - before, 2);
    assert_eq!(
        mock.proxy()
            .records(&proxy_installation(&proxy), "contacts")
            .len(),
        1
    );
}

fn proxy_installation(proxy: &ampersand::proxy::Proxy) -> String {
    proxy.target().installation_id().unwrap().to_owned()
}

/// Thu, 06 Mar 2025 22:09:49 UTC, the date of the throttle below.
const THROTTLED_UNTIL: u64 = 1_741_298_989;

fn one_minute_before() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(THROTTLED_UNTIL - 60)
}

fn at_the_date() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(THROTTLED_UNTIL)
}

#[tokio::test]
async fn proxy_utc_retry_after_date_is_honoured() {
    // 429 with the proxy's UTC date, then 200.
    let throttle = || {
        let server_said = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        move |_: &ampersand_tests::server::Recorded| {
            if server_said.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                let mut response = respond(
                    429,
                    "application/problem+json",
                    r#"{"title":"Too Many Requests","status":429}"#,
                );
                let headers = response.headers_mut();
                headers.insert(
                    "x-amp-retry-after",
                    "Thu, 06 Mar 2025 22:09:49 UTC".parse().unwrap(),
                );
                headers.insert("x-amp-retryable", "true".parse().unwrap());
                response
            } else {
                json(j!({"ok": true}))
            }
        }
    };
    let client_at = |server: &TestServer, now: fn() -> SystemTime| {
        Client::builder()
            .api_key(KEY)
            .base_url(Host::Proxy, &format!("http://{}", server.addr()))
            .retry(
                // The default 60 s cap on waits: a 5 ms cap would hide the server's date.
                RetryConfig::default()
                    .initial_backoff(Duration::from_millis(1))
                    .wall_clock(now),
            )
            .deadline(Duration::from_secs(10))
            .build()
            .unwrap()
    };

    // A minute before the date: the wait would pass the 10 s deadline, so no retry.
    let server = TestServer::start(throttle()).await;
    let error = client_at(&server, one_minute_before)
        .proxy("p", ProxyTarget::installation("i"))
        .get("/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(server.request_count(), 1);

    // At the date: nothing to wait for, retried at once.
    let server = TestServer::start(throttle()).await;
    let response = client_at(&server, at_the_date)
        .proxy("p", ProxyTarget::installation("i"))
        .get("/x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn proxy_rate_limit_is_keyed_per_installation() {
    let (mock, project, first) = mock_with_installation().await;
    let second = mock.proxy().install(&project, "crm", "customer-2", true);
    let client = Client::builder()
        .api_key(mock.api_key())
        .base_url(Host::Api, &mock.urls().api)
        .base_url(Host::Proxy, &mock.urls().proxy)
        .no_retry()
        .rate_limit(RateLimitConfig::default().fail_fast(true))
        .build()
        .unwrap();
    let a = client.proxy(&project, ProxyTarget::installation(first));
    let b = client.proxy(&project, ProxyTarget::installation(second));

    mock.proxy().push_fault(
        ProxyFault::Throttle {
            retry_after: "30".into(),
            retryable: true,
        },
        1,
    );
    let throttled = a.get("/echo").send().await.unwrap_err();
    assert_eq!(throttled.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    // a cools down for 30 s; b does not.
    let before = mock.proxy().requests();
    let held = a.get("/echo").send().await.unwrap_err();
    assert_eq!(held.kind(), ErrorKind::RateLimited, "{held}");
    assert_eq!(mock.proxy().requests(), before);
    assert_eq!(
        b.get("/echo").send().await.unwrap().status(),
        StatusCode::OK
    );
    // Nor does the platform API.
    if let Err(error) = client.projects().list().await {
        assert_ne!(error.kind(), ErrorKind::RateLimited, "{error}");
    }
}

#[tokio::test]
async fn proxy_response_size_limit_is_per_call() {
    let (mock, project, installation) = mock_with_installation().await;
    let proxy = mock_client(&mock).proxy(&project, ProxyTarget::installation(installation));
    let body = "x".repeat(4096);
    let small = proxy
        .post("/echo")
        .body(body.clone())
        .max_response_body(1024)
        .send()
        .await
        .unwrap_err();
    assert_eq!(small.kind(), ErrorKind::BodyTooLarge, "{small}");
    let whole = proxy.post("/echo").body(body.clone()).send().await.unwrap();
    assert!(whole.body().len() > 4096);
    let handle_limit = proxy.clone().max_response_body(1024);
    let error = handle_limit
        .post("/echo")
        .body(body)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BodyTooLarge);
}

#[tokio::test]
async fn proxy_crm_crud_and_pagination_through_the_mock() {
    let (mock, project, installation) = mock_with_installation().await;
    let proxy = mock_client(&mock).proxy(&project, ProxyTarget::installation(installation));
    let mut ids = Vec::new();
    for n in 0..25 {
        let created: Value = proxy
            .post("/crm/v3/objects/contacts")
            .json(&j!({"properties": {"n": n}}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let mut listed = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = proxy
            .get("/crm/v3/objects/contacts")
            .query(&[("limit", "10")]);
        if let Some(cursor) = &after {
            request = request.query(&[("after", cursor)]);
        }
        let page: Value = request.send().await.unwrap().json().unwrap();
        pages += 1;
        for record in page["results"].as_array().unwrap() {
            listed.push(record["id"].as_str().unwrap().to_owned());
        }
        match page["paging"]["next"]["after"].as_str() {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(listed, ids);

    let path = format!("/crm/v3/objects/contacts/{}", ids[0]);
    let updated: Value = proxy
        .patch(&path)
        .json(&j!({"properties": {"email": "c@example.com"}}))
        .send()
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        updated["properties"],
        j!({"n": 0, "email": "c@example.com"})
    );
    assert_eq!(
        proxy.delete(&path).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        proxy.get(&path).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_load_20000_requests_at_256_in_flight_none_lost_or_duplicated() {
    const REQUESTS: usize = 20_000;
    const IN_FLIGHT: usize = 256;
    let (mock, project, installation) = mock_with_installation().await;
    let proxy =
        mock_client(&mock).proxy(&project, ProxyTarget::installation(installation.as_str()));
    let permits = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..REQUESTS {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let proxy = proxy.clone();
        tasks.spawn(async move {
            let response = proxy
                .post("/crm/v3/objects/contacts")
                .json(&j!({"properties": {"n": n}}))
                .send()
                .await;
            drop(permit);
            (n, response)
        });
    }
    let mut answered = BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (n, response) = joined.unwrap();
        let response = response.unwrap_or_else(|e| panic!("request {n} failed: {e}"));
        assert_eq!(response.status(), StatusCode::CREATED, "request {n}");
        assert!(answered.insert(n), "request {n} answered twice");
    }
    assert_eq!(answered.len(), REQUESTS);
    assert_eq!(mock.proxy().requests(), REQUESTS as u64);
    let stored: BTreeSet<u64> = mock
        .proxy()
        .records(&installation, "contacts")
        .iter()
        .map(|record| record["properties"]["n"].as_u64().unwrap())
        .collect();
    assert_eq!(stored.len(), REQUESTS, "records lost or duplicated");
    assert_eq!(stored, (0..REQUESTS as u64).collect::<BTreeSet<_>>());
    assert_eq!(
        mock.proxy().records(&installation, "contacts").len(),
        REQUESTS
    );
}
