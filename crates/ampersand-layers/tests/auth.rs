//! The auth layer against a loopback server (and a counting service where nothing must be
//! sent): scheme choice per operation, refusal without a request, token caching, expiry,
//! single-flight refresh and the refetch after a 401.

mod loopback;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ampersand_core::{BoxError, Error, ErrorKind};
use ampersand_layers::auth::{AuthLayer, Credentials, Token, TokenProvider};
use ampersand_layers::problem::ProblemLayer;
use bytes::Bytes;
use http::{Request, Response};
use loopback::{
    CREATE_PROJECT, GET_PROJECT, KEY_ONLY, LIST_PROVIDERS, Server, json, request, transport,
};
use tower::util::BoxCloneSyncService;
use tower::{Layer, ServiceBuilder, ServiceExt};

const API_KEY: &str = "amp_key_s3cr3t";
const JWT: &str = "jwt_s3cr3t";

/// A transport that counts the requests it receives and keeps their `Authorization` header.
#[derive(Clone, Default)]
struct Counting {
    calls: Arc<AtomicUsize>,
    authorizations: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Counting {
    fn service(&self) -> BoxCloneSyncService<Request<Bytes>, Response<Bytes>, Infallible> {
        let this = self.clone();
        let service = tower::service_fn(move |request: Request<Bytes>| {
            this.calls.fetch_add(1, Ordering::SeqCst);
            let authorization = request
                .headers()
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            this.authorizations.lock().unwrap().push(authorization);
            async { Ok(Response::new(Bytes::new())) }
        });
        BoxCloneSyncService::new(service)
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// A provider minting `token-1`, `token-2`, ... that live `lifetime`, counting its calls.
fn counting_provider(
    lifetime: Option<Duration>,
) -> (Arc<AtomicUsize>, impl TokenProvider + 'static) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let provider = move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let token = Token::new(format!("token-{n}"));
            Ok::<_, BoxError>(match lifetime {
                Some(lifetime) => token.expires_in(lifetime),
                None => token,
            })
        }
    };
    (calls, provider)
}

fn header(seen: &loopback::Seen, name: &str) -> Option<String> {
    seen.headers
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn api_key_for_normal_operations_bearer_for_bearer_only_nothing_for_anonymous() {
    let server = Server::ok().await;
    let credentials = Credentials::default()
        .with_api_key(API_KEY)
        .with_bearer(JWT);
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(credentials))
        .layer(ProblemLayer::new())
        .service(transport());

    for (meta, path) in [
        (&GET_PROJECT, "/projects/p"),
        (&CREATE_PROJECT, "/projects"),
        (&LIST_PROVIDERS, "/providers"),
        (&KEY_ONLY, "/key-only"),
    ] {
        service
            .clone()
            .oneshot(request(meta, &server.url(path)))
            .await
            .unwrap();
    }

    let seen = server.seen();
    assert_eq!(seen.len(), 4);
    // Either accepted: the API key is preferred.
    assert_eq!(header(&seen[0], "x-api-key").as_deref(), Some(API_KEY));
    assert_eq!(header(&seen[0], "authorization"), None);
    // Bearer only.
    assert_eq!(header(&seen[1], "x-api-key"), None);
    assert_eq!(
        header(&seen[1], "authorization").as_deref(),
        Some("Bearer jwt_s3cr3t")
    );
    // security: [] sends nothing.
    assert_eq!(header(&seen[2], "x-api-key"), None);
    assert_eq!(header(&seen[2], "authorization"), None);
    // API key only.
    assert_eq!(header(&seen[3], "x-api-key").as_deref(), Some(API_KEY));
}

#[tokio::test]
async fn bearer_is_used_where_either_is_accepted_and_there_is_no_api_key() {
    let server = Server::ok().await;
    let service = AuthLayer::new(Credentials::default().with_bearer(JWT)).layer(transport());
    service
        .oneshot(request(&GET_PROJECT, &server.url("/projects/p")))
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(
        header(&seen[0], "authorization").as_deref(),
        Some("Bearer jwt_s3cr3t")
    );
    assert_eq!(header(&seen[0], "x-api-key"), None);
}

#[tokio::test]
async fn a_missing_scheme_fails_at_once_without_a_request() {
    let counting = Counting::default();
    let only_key = AuthLayer::new(Credentials::default().with_api_key(API_KEY));
    let error = only_key
        .layer(counting.service())
        .oneshot(request(
            &CREATE_PROJECT,
            "https://api.withampersand.com/v1/projects",
        ))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert_eq!(error.operation_id(), Some("createProject"));
    let text = error.to_string();
    assert!(text.starts_with("createProject: "), "{text}");
    assert!(text.contains("only a Bearer token"), "{text}");

    let only_bearer = AuthLayer::new(Credentials::default().with_bearer(JWT));
    let error = only_bearer
        .layer(counting.service())
        .oneshot(request(
            &KEY_ONLY,
            "https://api.withampersand.com/v1/key-only",
        ))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert!(error.to_string().contains("only an API key"), "{error}");

    let nothing = AuthLayer::new(Credentials::default());
    let error = nothing
        .layer(counting.service())
        .oneshot(request(
            &GET_PROJECT,
            "https://api.withampersand.com/v1/projects/p",
        ))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert!(error.to_string().contains("getProject"), "{error}");

    assert_eq!(counting.calls(), 0, "nothing may be sent");

    // An anonymous operation needs no credential at all.
    nothing
        .layer(counting.service())
        .oneshot(request(
            &LIST_PROVIDERS,
            "https://api.withampersand.com/v1/providers",
        ))
        .await
        .unwrap();
    assert_eq!(counting.calls(), 1);
}

#[tokio::test]
async fn credentials_never_go_over_plain_http_to_a_remote_host() {
    let counting = Counting::default();
    let layer = AuthLayer::new(Credentials::default().with_api_key(API_KEY));

    for url in [
        "http://api.example.com/v1/projects/p",
        "http://10.0.0.1:8080/v1/projects/p",
        "http://[2001:db8::1]/v1/projects/p",
    ] {
        let error = layer
            .layer(counting.service())
            .oneshot(request(&GET_PROJECT, url))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Auth, "{url}");
        assert!(error.to_string().contains("plain http://"), "{error}");
        assert!(!error.to_string().contains(API_KEY));
    }
    assert_eq!(counting.calls(), 0);

    for url in [
        "https://api.example.com/v1/projects/p",
        "http://127.0.0.1:8080/v1/projects/p",
        "http://127.0.0.53/v1/projects/p",
        "http://localhost:8080/v1/projects/p",
        "http://[::1]:8080/v1/projects/p",
    ] {
        layer
            .layer(counting.service())
            .oneshot(request(&GET_PROJECT, url))
            .await
            .unwrap_or_else(|error| panic!("{url}: {error}"));
    }
    assert_eq!(counting.calls(), 5);

    // Anonymous operations carry nothing, so plain HTTP is fine.
    layer
        .layer(counting.service())
        .oneshot(request(
            &LIST_PROVIDERS,
            "http://api.example.com/v1/providers",
        ))
        .await
        .unwrap();
    // Explicitly allowed.
    layer
        .clone()
        .allow_insecure_http(true)
        .layer(counting.service())
        .oneshot(request(
            &GET_PROJECT,
            "http://api.example.com/v1/projects/p",
        ))
        .await
        .unwrap();
    assert_eq!(counting.calls(), 7);
}

#[tokio::test]
async fn fifty_concurrent_calls_trigger_one_refresh() {
    let server = Server::ok().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let provider = {
        let calls = calls.clone();
        let gate = gate.clone();
        move || {
            let calls = calls.clone();
            let gate = gate.clone();
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                // Hold the refresh open until every caller is waiting for it.
                drop(gate.acquire().await.unwrap());
                Ok(Token::new(format!("token-{n}")).expires_in(Duration::from_secs(3600)))
            }
        }
    };
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(
            Credentials::default().with_token_provider(provider),
        ))
        .layer(ProblemLayer::new())
        .service(transport());

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let service = service.clone();
            let url = server.url("/projects/p");
            tokio::spawn(async move { service.oneshot(request(&CREATE_PROJECT, &url)).await })
        })
        .collect();
    // On this current-thread runtime, yielding lets every task run up to the refresh.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        server.seen().len(),
        0,
        "nobody may send before the token exists"
    );
    gate.add_permits(1);
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let seen = server.seen();
    assert_eq!(seen.len(), 50);
    assert!(
        seen.iter()
            .all(|s| header(s, "authorization").as_deref() == Some("Bearer token-1"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_token_is_cached_until_shortly_before_it_expires() {
    let counting = Counting::default();
    let (calls, provider) = counting_provider(Some(Duration::from_secs(600)));
    // The default skew is 60 s: a 600 s token is used for 540 s.
    let service = AuthLayer::new(Credentials::default().with_token_provider(provider))
        .layer(counting.service());
    let call = || {
        service.clone().oneshot(request(
            &CREATE_PROJECT,
            "https://api.withampersand.com/v1/projects",
        ))
    };

    call().await.unwrap();
    call().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    tokio::time::advance(Duration::from_secs(539)).await;
    call().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    call().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    call().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let sent = counting.authorizations.lock().unwrap().clone();
    assert_eq!(
        sent,
        [
            "Bearer token-1",
            "Bearer token-1",
            "Bearer token-1",
            "Bearer token-2",
            "Bearer token-2"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_skew_is_configurable_and_short_tokens_live_half_their_lifetime() {
    let counting = Counting::default();
    let (calls, provider) = counting_provider(Some(Duration::from_secs(100)));
    let service = AuthLayer::new(Credentials::default().with_token_provider(provider))
        .refresh_skew(Duration::from_secs(10))
        .layer(counting.service());
    let call = || {
        service.clone().oneshot(request(
            &CREATE_PROJECT,
            "https://api.withampersand.com/v1/projects",
        ))
    };
    call().await.unwrap();
    tokio::time::advance(Duration::from_secs(89)).await;
    call().await.unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "used until 10 s before expiry"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    call().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // A 60 s token with the default 60 s skew is still reused for 30 s.
    let counting = Counting::default();
    let (calls, provider) = counting_provider(Some(Duration::from_secs(60)));
    let service = AuthLayer::new(Credentials::default().with_token_provider(provider))
        .layer(counting.service());
    let call = || {
        service.clone().oneshot(request(
            &CREATE_PROJECT,
            "https://api.withampersand.com/v1/projects",
        ))
    };
    call().await.unwrap();
    tokio::time::advance(Duration::from_secs(29)).await;
    call().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    tokio::time::advance(Duration::from_secs(2)).await;
    call().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_401_refetches_the_token_once() {
    // 401 first, then 200.
    let server = Server::start(|n, _| {
        if n == 0 {
            json(401, r#"{"title":"Unauthorized","detail":"token revoked"}"#)
        } else {
            json(200, "{}")
        }
    })
    .await;
    let (calls, provider) = counting_provider(None);
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(
            Credentials::default().with_token_provider(provider),
        ))
        .layer(ProblemLayer::new())
        .service(transport());
    let response = service
        .clone()
        .oneshot(request(&CREATE_PROJECT, &server.url("/projects")))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        header(&seen[0], "authorization").as_deref(),
        Some("Bearer token-1")
    );
    assert_eq!(
        header(&seen[1], "authorization").as_deref(),
        Some("Bearer token-2")
    );

    // The refreshed token is cached for the next call.
    service
        .oneshot(request(&CREATE_PROJECT, &server.url("/projects")))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        header(&server.seen()[2], "authorization").as_deref(),
        Some("Bearer token-2")
    );
}

#[tokio::test]
async fn a_second_401_is_returned_as_the_error() {
    let server =
        Server::start(|_, _| json(401, r#"{"title":"Unauthorized","detail":"bad token"}"#)).await;
    let (calls, provider) = counting_provider(None);
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(
            Credentials::default().with_token_provider(provider),
        ))
        .layer(ProblemLayer::new())
        .service(transport());
    let error = service
        .oneshot(request(&CREATE_PROJECT, &server.url("/projects")))
        .await
        .unwrap_err();
    assert!(error.is_unauthorized());
    assert_eq!(
        error.problem().unwrap().detail.as_deref(),
        Some("bad token")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(server.seen().len(), 2);
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains("token-"), "{text}");
    }
}

#[tokio::test]
async fn a_401_to_a_static_credential_is_not_resent() {
    let server = Server::start(|_, _| json(401, r#"{"title":"Unauthorized"}"#)).await;
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(Credentials::default().with_api_key(API_KEY)))
        .layer(ProblemLayer::new())
        .service(transport());
    let error = service
        .oneshot(request(&GET_PROJECT, &server.url("/projects/p")))
        .await
        .unwrap_err();
    assert!(error.is_unauthorized());
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_provider_failure_is_an_auth_error_and_nothing_is_sent() {
    let counting = Counting::default();
    let provider = || async { Err::<Token, BoxError>("signing key unavailable".into()) };
    let error = AuthLayer::new(Credentials::default().with_token_provider(provider))
        .layer(counting.service())
        .oneshot(request(
            &CREATE_PROJECT,
            "https://api.withampersand.com/v1/projects",
        ))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert!(
        format!("{error:#}").contains("signing key unavailable"),
        "{error:#}"
    );
    assert_eq!(counting.calls(), 0);
}

#[tokio::test]
async fn no_secret_in_debug_or_display() {
    let credentials = Credentials::default()
        .with_api_key(API_KEY)
        .with_bearer(JWT)
        .with_token_provider(|| async { Ok(Token::new("provider_s3cr3t")) });
    let layer = AuthLayer::new(credentials.clone()).allow_insecure_http(false);
    let token = Token::new("token_s3cr3t").expires_in(Duration::from_secs(1));
    let refused: Error = layer
        .layer(Counting::default().service())
        .oneshot(request(
            &GET_PROJECT,
            "http://api.example.com/v1/projects/p",
        ))
        .await
        .unwrap_err();
    for text in [
        format!("{credentials:?}"),
        format!("{layer:?}"),
        format!("{token:?}"),
        format!("{refused:?}"),
        refused.to_string(),
    ] {
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}
