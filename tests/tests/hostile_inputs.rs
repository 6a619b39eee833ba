//! Promises that hold under hostile input (issue 21), each proved through a real client
//! against a loopback server:
//!
//! - a duration past what the clock can hold, in any setting, is "no limit" and never a panic
//!   (the property test over every setting is in `property.rs`);
//! - a base URL with user information is refused at build time, and never shown;
//! - a credential outside visible ASCII is refused before anything is sent;
//! - a problem with one mistyped member keeps every other member;
//! - `Retry-After` in any of RFC 9110's three date forms is read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use ampersand::core::CallOptions;
use ampersand::core::chrono::{self, Utc};
use ampersand::layers::auth::Token;
use ampersand::layers::rate_limit::{Quota, RateLimitConfig};
use ampersand::layers::retry::RetryConfig;
use ampersand::resources::projects::GetProject;
use ampersand::transport::TransportConfig;
use ampersand::{BaseUrl, Client, ErrorKind, Host, Operation};
use ampersand_tests::server::{TestServer, json, respond};
use serde_json::json as j;

fn project() -> serde_json::Value {
    j!({"id": "proj_1", "name": "p", "appName": "A", "orgId": "org_1",
        "createTime": "2024-04-22T18:55:28Z"})
}

// ---------------------------------------------------------------------------------------------
// Durations past the clock.

#[tokio::test]
async fn duration_max_in_every_setting_means_no_limit() {
    let server = TestServer::start(|_| json(project())).await;
    let minted = Arc::new(AtomicUsize::new(0));
    let mut transport = TransportConfig::default();
    transport.pool_idle_timeout = Duration::MAX;
    let client = {
        let minted = minted.clone();
        Client::builder()
            .base_url_all(&server.url())
            .transport_config(transport)
            .connect_timeout(Duration::MAX)
            .attempt_timeout(Duration::MAX)
            .deadline(Duration::MAX)
            .retry(
                RetryConfig::default()
                    .initial_backoff(Duration::MAX)
                    .max_backoff(Duration::MAX)
                    .deadline(Duration::MAX),
            )
            .rate_limit(
                RateLimitConfig::new()
                    .quota(Quota::with_period(Duration::MAX).unwrap().allow_burst(10))
                    .default_cooldown(Duration::MAX)
                    .max_cooldown(Duration::MAX),
            )
            .token_provider(move || {
                minted.fetch_add(1, Ordering::SeqCst);
                async { Ok(Token::new("eyJ.forever").expires_in(Duration::MAX)) }
            })
            .build()
            .expect("every setting is accepted")
    };
    let options = CallOptions::new()
        .deadline(Duration::MAX)
        .attempt_timeout(Duration::MAX);
    for _ in 0..3 {
        client
            .send(GetProject::new("p").with_options(options.clone()))
            .await
            .expect("no limit is no limit");
    }
    // A token whose lifetime the clock cannot hold never expires: minted once.
    assert_eq!(minted.load(Ordering::SeqCst), 1);
    assert_eq!(server.request_count(), 3);
    let sent = &server.requests()[2];
    assert_eq!(sent.header("authorization"), Some("Bearer eyJ.forever"));
}

// ---------------------------------------------------------------------------------------------
// User information in a base URL.

#[tokio::test]
async fn a_base_url_with_user_information_is_refused_and_never_shown() {
    let server = TestServer::start(|_| json(project())).await;
    let with_userinfo = format!("http://amp-user:S3CRETPW@{}/v1", server.addr());
    let origin = format!("http://amp-user:S3CRETPW@{}", server.addr());
    let builders = [
        Client::builder()
            .api_key("amp_key")
            .base_url(Host::Api, &with_userinfo),
        Client::builder()
            .api_key("amp_key")
            .base_url_all(&with_userinfo),
        Client::builder().api_key("amp_key").api_origin(&origin),
    ];
    for builder in builders {
        let shown = format!("{builder:?}");
        assert!(!shown.contains("S3CRETPW"), "{shown}");
        let error = builder.build().expect_err("user information is refused");
        assert_eq!(error.kind(), ErrorKind::Config);
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains("S3CRETPW"), "{text}");
            assert!(!text.contains("amp-user"), "{text}");
            assert!(text.contains("user information"), "{text}");
        }
    }
    let error = BaseUrl::parse(&with_userinfo).unwrap_err();
    assert!(!format!("{error} {error:?}").contains("S3CRETPW"));
    // Nothing was ever sent.
    assert_eq!(server.request_count(), 0);

    // Without it, the same URL works.
    let client = Client::builder()
        .api_key("amp_key")
        .base_url_all(&server.url())
        .build()
        .unwrap();
    client.send(GetProject::new("p")).await.unwrap();
    assert_eq!(server.request_count(), 1);
}

// ---------------------------------------------------------------------------------------------
// Credentials outside visible ASCII.

#[tokio::test]
async fn credentials_outside_visible_ascii_are_never_sent() {
    let server = TestServer::start(|_| json(project())).await;
    let bad = [
        "amp_ключ",
        "amp_key\u{a0}",
        "amp_key_é",
        "amp key",
        "amp_key\t",
        "amp_key\r\nX-Injected: 1",
        "amp_key\u{7f}",
        "",
    ];
    for credential in bad {
        let clients = [
            Client::builder().api_key(credential),
            Client::builder().bearer_token(credential),
            Client::builder().token_provider(move || async move { Ok(Token::new(credential)) }),
        ]
        .map(|builder| builder.base_url_all(&server.url()).build().unwrap());
        for client in clients {
            let error = client.send(GetProject::new("p")).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Config, "{credential:?}: {error}");
            let text = format!("{error} {error:?}");
            if credential.len() > 4 {
                assert!(!text.contains(credential), "{text}");
            }
        }
    }
    assert_eq!(server.request_count(), 0, "{:?}", server.requests());

    // Visible ASCII goes out as it is.
    let client = Client::builder()
        .api_key("amp_key-0.9~!")
        .base_url_all(&server.url())
        .build()
        .unwrap();
    client.send(GetProject::new("p")).await.unwrap();
    assert_eq!(
        server.requests()[0].header("x-api-key"),
        Some("amp_key-0.9~!")
    );
}

// ---------------------------------------------------------------------------------------------
// Problems decoded member by member.

#[tokio::test]
async fn a_mistyped_problem_member_loses_nothing_else() {
    let server = TestServer::start(|request| match request.path() {
        "/v1/projects/mistyped" => respond(
            409,
            "application/problem+json",
            r#"{"title":"Conflict","status":70000,"detail":"name is taken",
                "requestId":"req-70000","retryable":false,"remedy":"pick another",
                "issues":[{"in":"body","name":"name","detail":"taken"}]}"#,
        ),
        _ => respond(
            400,
            "application/json",
            r#"{"type":"https://httpstatuses.com/400","title":"Bad Request","status":400,
                "detail":"unsupported algorithm","validationIssues":[{"field":"algorithm",
                "value":"ECDSA","detail":"only RSA algorithm is supported"}]}"#,
        ),
    })
    .await;
    let client = Client::builder()
        .api_key("amp_key")
        .base_url_all(&server.url())
        .build()
        .unwrap();

    let error = client.send(GetProject::new("mistyped")).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(409));
    let problem = error.problem().expect("a problem");
    assert_eq!(problem.status, Some(409), "the response's status stands in");
    assert_eq!(
        problem.extensions["status"], 70000,
        "the bad member is kept"
    );
    assert_eq!(problem.detail.as_deref(), Some("name is taken"));
    assert_eq!(problem.remedy.as_deref(), Some("pick another"));
    assert_eq!(problem.retryable, Some(false));
    assert_eq!(error.request_id(), Some("req-70000"));
    assert_eq!(error.issues().len(), 1);
    assert_eq!(error.issues()[0].name.as_deref(), Some("name"));
    let text = error.to_string();
    assert!(
        text.contains("name is taken") && text.contains("req-70000"),
        "{text}"
    );

    let error = client.send(GetProject::new("jwt-key")).await.unwrap_err();
    assert!(error.is_invalid_input(), "{error}");
    assert_eq!(error.issues().len(), 1);
    assert_eq!(error.issues()[0].name.as_deref(), Some("algorithm"));
    let text = error.to_string();
    assert!(
        text.contains("[algorithm: only RSA algorithm is supported]"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Retry-After in every date form.

/// An hour from now in each of RFC 9110's three HTTP-date forms.
fn an_hour_from_now() -> [(&'static str, String); 3] {
    let at = Utc::now() + chrono::Duration::hours(1);
    [
        (
            "IMF-fixdate",
            at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ),
        (
            "RFC 850",
            at.format("%A, %d-%b-%y %H:%M:%S GMT").to_string(),
        ),
        ("asctime", at.format("%a %b %e %H:%M:%S %Y").to_string()),
    ]
}

fn too_many_requests(retry_after: &str) -> http::Response<bytes::Bytes> {
    let mut response = respond(
        429,
        "application/problem+json",
        r#"{"title":"Too Many Requests","status":429}"#,
    );
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, retry_after.parse().unwrap());
    response
}

#[tokio::test]
async fn retry_after_in_every_date_form_is_read() {
    for (form, date) in an_hour_from_now() {
        // The error of a call sent once tells how long the server asked to wait.
        let server = {
            let date = date.clone();
            TestServer::start(move |_| too_many_requests(&date)).await
        };
        let client = Client::builder()
            .api_key("amp_key")
            .base_url_all(&server.url())
            .no_retry()
            .build()
            .unwrap();
        let error = client.send(GetProject::new("p")).await.unwrap_err();
        let wait = error.retry_after(SystemTime::now());
        assert!(
            wait.is_some_and(|w| w > Duration::from_secs(3000)),
            "{form} `{date}`: {wait:?}"
        );

        // With retries, a wait of an hour is past a 10 s deadline: the call ends at once
        // with the server's answer instead of retrying after its own backoff.
        let server = {
            let date = date.clone();
            let answered = AtomicUsize::new(0);
            TestServer::start(move |_| match answered.fetch_add(1, Ordering::SeqCst) {
                0 => too_many_requests(&date),
                _ => json(project()),
            })
            .await
        };
        let client = Client::builder()
            .api_key("amp_key")
            .base_url_all(&server.url())
            .deadline(Duration::from_secs(10))
            .build()
            .unwrap();
        let error = client
            .send(GetProject::new("p"))
            .await
            .expect_err("the server's wait is honoured");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(429), "{form}");
        assert_eq!(server.request_count(), 1, "{form} `{date}`");
    }
}
