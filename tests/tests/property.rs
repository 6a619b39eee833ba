//! Short property tests of the decoders (the long runs are the `cargo fuzz` targets in
//! `fuzz/`): problem decoding and the response decoding of the largest models never panic,
//! and an error always keeps the response's status. And of the settings: any duration in any
//! duration setting, through a real client against a loopback server, never panics and ends
//! the call sensibly.
//!
//! Inputs come from a small seeded generator: random JSON (deep, wide, every type, odd numbers
//! and strings), mutations of realistic documents (a subtree replaced, a member removed or
//! added), and random bytes. The seed is printed; `AMP_PROPTEST_SEED` replays a run and
//! `AMP_PROPTEST_CASES` changes its length.

use ampersand::core::InputValidationProblem;
use ampersand::resources::connections::{CustomAuthConnect, GetConnection};
use ampersand::resources::installations::GetInstallation;
use ampersand::resources::integrations::{GetIntegration, ListIntegrations};
use ampersand::resources::oauth::OauthConnect;
use ampersand::resources::operations::ListOperations;
use ampersand::resources::revisions::GetHydratedRevision;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use ampersand::core::CallOptions;
use ampersand::layers::auth::Token;
use ampersand::layers::rate_limit::{Quota, RateLimitConfig};
use ampersand::layers::retry::RetryConfig;
use ampersand::resources::projects::GetProject;
use ampersand::transport::TransportConfig;
use ampersand::workflows::{WaitError, WaitOptions};
use ampersand::{Client, Error, ErrorKind, Operation};
use ampersand_tests::server::{TestServer, json as json_response, respond};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value, json};

fn cases() -> usize {
    std::env::var("AMP_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3_000)
}

fn rng(test: &str) -> fastrand::Rng {
    let seed = std::env::var("AMP_PROPTEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("{test}: seed {seed} (replay with AMP_PROPTEST_SEED={seed})");
    fastrand::Rng::with_seed(seed)
}

// ---------------------------------------------------------------------------------------------
// Generators.

const WORDS: &[&str] = &[
    "id",
    "name",
    "type",
    "title",
    "status",
    "detail",
    "issues",
    "remedy",
    "requestId",
    "retryable",
    "instance",
    "in",
    "content",
    "read",
    "objects",
    "provider",
    "createTime",
    "latestRevision",
    "config",
    "connection",
    "redirect",
    "providerApp",
    "scopes",
    "group",
    "consumer",
    "fields",
    "",
];

fn string(rng: &mut fastrand::Rng) -> String {
    match rng.u8(..6) {
        0 => WORDS[rng.usize(..WORDS.len())].to_owned(),
        1 => "2024-04-22T18:55:28.456076Z".to_owned(),
        2 => "not-a-date".to_owned(),
        3 => "é日本🦀\u{0}\u{7f}\"\\".to_owned(),
        4 => "x".repeat(rng.usize(..2_000)),
        _ => (0..rng.usize(..12)).map(|_| rng.alphanumeric()).collect(),
    }
}

fn number(rng: &mut fastrand::Rng) -> Value {
    match rng.u8(..7) {
        0 => json!(rng.i64(..)),
        1 => json!(rng.u64(..)),
        2 => json!(rng.f64() * 1e300),
        3 => json!(-0.5),
        4 => json!(i64::MIN),
        5 => json!(u64::MAX),
        _ => json!(rng.u16(..)),
    }
}

fn value(rng: &mut fastrand::Rng, depth: usize) -> Value {
    let leaf = depth >= 6 || rng.u8(..3) == 0;
    match if leaf { rng.u8(..4) } else { rng.u8(..6) } {
        0 => Value::Null,
        1 => Value::Bool(rng.bool()),
        2 => number(rng),
        3 => Value::String(string(rng)),
        4 => Value::Array((0..rng.usize(..5)).map(|_| value(rng, depth + 1)).collect()),
        _ => Value::Object(
            (0..rng.usize(..6))
                .map(|_| (string(rng), value(rng, depth + 1)))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// A document with one random change somewhere.
fn mutate(rng: &mut fastrand::Rng, document: &Value, depth: usize) -> Value {
    if depth > 0 && rng.u8(..4) == 0 {
        return value(rng, depth);
    }
    match document {
        Value::Object(members) if !members.is_empty() => {
            let mut members = members.clone();
            let keys: Vec<String> = members.keys().cloned().collect();
            let key = &keys[rng.usize(..keys.len())];
            match rng.u8(..4) {
                0 => {
                    members.remove(key);
                }
                1 => {
                    members.insert(string(rng), value(rng, depth + 1));
                }
                _ => {
                    let inner = mutate(rng, &members[key], depth + 1);
                    members.insert(key.clone(), inner);
                }
            }
            Value::Object(members)
        }
        Value::Array(items) if !items.is_empty() => {
            let mut items = items.clone();
            let index = rng.usize(..items.len());
            items[index] = mutate(rng, &items[index], depth + 1);
            Value::Array(items)
        }
        _ => value(rng, depth),
    }
}

/// Realistic documents the mutations start from.
fn seeds() -> Vec<Value> {
    let read_object = json!({"objectName": "contact", "destination": "my-webhook",
        "schedule": "*/10 * * * *", "selectedFields": {"email": true},
        "selectedFieldMappings": {"mail": "email"}, "backfill": {"defaultPeriod": {"fullHistory": true}}});
    let revision = json!({"id": "rev_1", "specVersion": "1.0.0", "createTime": "2024-04-22T18:55:28Z",
        "content": {"provider": "salesforce", "read": {"objects": [{"objectName": "contact",
        "destination": "d", "schedule": "*/10 * * * *", "requiredFields": [{"fieldName": "id"}],
        "optionalFields": [{"mapToName": "x", "default": "y"}]}]}}});
    let connection = json!({"id": "conn_1", "projectId": "p", "provider": "salesforce",
        "group": {"groupRef": "g", "groupName": "G", "projectId": "p", "createTime": "2024-04-22T18:55:28Z"},
        "consumer": {"consumerRef": "c", "consumerName": "C", "projectId": "p", "createTime": "2024-04-22T18:55:28Z"},
        "providerApp": {"id": "app", "projectId": "p", "provider": "salesforce", "clientId": "cid",
            "scopes": ["read"], "createTime": "2024-04-22T18:55:28Z"},
        "createTime": "2024-04-22T18:55:28Z", "authScheme": "oauth2/authorizationCode", "status": "working"});
    vec![
        json!({"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "d",
               "issues": [{"in": "body", "name": "name", "detail": "missing"}], "retryable": false,
               "requestId": "r", "remedy": "fix it"}),
        json!({"id": "int_1", "projectId": "p", "name": "n", "provider": "salesforce",
               "createTime": "2024-04-22T18:55:28Z", "latestRevision": revision}),
        json!({"id": "inst_1", "projectId": "p", "integrationId": "int_1", "groupRef": "g",
               "healthStatus": "healthy", "connection": connection.clone(), "createTime": "2024-04-22T18:55:28Z",
               "createdBy": "api:x", "config": {"id": "cfg", "revisionId": "rev_1", "createTime": "2024-04-22T18:55:28Z",
               "createdBy": "api:x", "content": {"provider": "salesforce", "read": {"objects": {"contact": read_object}}}}}),
        connection.clone(),
        json!({"connection": connection}),
        json!({"redirect": {"url": "https://example.com", "sessionId": "s"}}),
        json!([]),
        json!({"operations": [], "pagination": {"done": true}}),
    ]
}

/// A body: random JSON, a mutated seed, or random bytes.
fn body(rng: &mut fastrand::Rng, seeds: &[Value]) -> Vec<u8> {
    match rng.u8(..5) {
        0 => serde_json::to_vec(&value(rng, 0)).unwrap(),
        1 => (0..rng.usize(..256)).map(|_| rng.u8(..)).collect(),
        2 => {
            // Valid JSON cut short.
            let mut bytes = serde_json::to_vec(&seeds[rng.usize(..seeds.len())]).unwrap();
            bytes.truncate(rng.usize(..=bytes.len()));
            bytes
        }
        _ => {
            let seed = &seeds[rng.usize(..seeds.len())];
            serde_json::to_vec(&mutate(rng, seed, 0)).unwrap()
        }
    }
}

fn status(rng: &mut fastrand::Rng, range: std::ops::Range<u16>) -> StatusCode {
    StatusCode::from_u16(rng.u16(range)).unwrap()
}

fn headers(rng: &mut fastrand::Rng) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let media = [
        "application/problem+json",
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/PROBLEM+JSON",
        "text/html",
        "text/plain",
        "application/vnd.custom+json",
        "",
    ];
    let chosen = media[rng.usize(..media.len())];
    if !chosen.is_empty() {
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(chosen));
    }
    if rng.bool() {
        let retry_after = [
            "1",
            "0",
            "-5",
            "99999999999",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "soon",
        ];
        headers.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_static(retry_after[rng.usize(..retry_after.len())]),
        );
    }
    headers
}

// ---------------------------------------------------------------------------------------------
// Properties.

#[test]
fn problem_decoding_never_panics_and_keeps_the_status() {
    let mut rng = rng("problem decoding");
    let seeds = seeds();
    for _ in 0..cases() {
        let status = status(&mut rng, 400..600);
        let headers = headers(&mut rng);
        let body = body(&mut rng, &seeds);

        let problem = InputValidationProblem::from_response(status, &headers, &body);
        assert!(problem.status.is_some(), "a problem always has a status");

        let error = Error::api(status, headers.clone(), Bytes::from(body.clone()));
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.body().map(|b| b.as_ref()), Some(body.as_slice()));
        assert!(error.problem().is_some());
        let _ = error.issues();
        let _ = error.request_id();
        let _ = error.retry_after(std::time::SystemTime::now());
        let _ = error.is_retryable();
        let _ = format!("{error} {error:?}");
    }
}

/// Decodes a random 2xx response with an operation's decoder.
fn decode_with<O: Operation>(rng: &mut fastrand::Rng, seeds: &[Value]) -> bool
where
    O::Output: std::fmt::Debug,
{
    let status = status(rng, 200..300);
    let mut response = http::Response::new(Bytes::from(body(rng, seeds)));
    *response.status_mut() = status;
    *response.headers_mut() = headers(rng);
    match O::decode(response) {
        Ok(output) => {
            let _ = format!("{output:?}");
            true
        }
        Err(error) => {
            assert_eq!(error.status(), Some(status), "{error}");
            assert!(error.body().is_some(), "the body is kept: {error}");
            let _ = format!("{error} {error:?}");
            false
        }
    }
}

/// Decodes one random response; true when it decoded.
type Decoder = fn(&mut fastrand::Rng, &[Value]) -> bool;

#[test]
fn response_decoding_of_the_largest_models_never_panics_and_keeps_the_status() {
    let mut rng = rng("response decoding");
    let seeds = seeds();
    let decoders: &[(&str, Decoder)] = &[
        ("getIntegration", decode_with::<GetIntegration>),
        ("listIntegrations", decode_with::<ListIntegrations>),
        ("getInstallation", decode_with::<GetInstallation>),
        ("getConnection", decode_with::<GetConnection>),
        ("getHydratedRevision", decode_with::<GetHydratedRevision>),
        ("customAuthConnect", decode_with::<CustomAuthConnect>),
        ("listOperations", decode_with::<ListOperations>),
        ("oauthConnect (text)", decode_with::<OauthConnect>),
    ];
    for (name, decode) in decoders {
        let decoded = (0..cases() / 2)
            .filter(|_| decode(&mut rng, &seeds))
            .count();
        println!(
            "  {name}: {decoded} of {} random responses decoded",
            cases() / 2
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Durations in every setting.

/// Counts the panics of the whole test binary, on any thread: a panic inside a task the
/// transport spawned (hyper-util's pool) would otherwise be caught by tokio and go unseen.
fn panics() -> &'static AtomicUsize {
    static PANICS: OnceLock<AtomicUsize> = OnceLock::new();
    PANICS.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            panics().fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
        AtomicUsize::new(0)
    })
}

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// A duration a user might pass: nothing, tiny, short, long, past any clock.
fn any_duration(rng: &mut fastrand::Rng) -> Duration {
    match rng.u8(..10) {
        0 => Duration::ZERO,
        1 => Duration::from_nanos(rng.u64(1..1_000)),
        2 => Duration::from_millis(rng.u64(1..40)),
        3 => Duration::from_secs(rng.u64(1..1_000)),
        4 => YEAR * rng.u32(1..1_000),
        5 => Duration::from_secs(i64::MAX as u64),
        6 => Duration::from_secs(u64::MAX),
        7 => Duration::MAX,
        _ => Duration::new(rng.u64(..), rng.u32(..1_000_000_000)),
    }
}

/// Sometimes not set at all.
fn maybe(rng: &mut fastrand::Rng) -> Option<Duration> {
    rng.bool().then(|| any_duration(rng))
}

/// Every duration setting of one client and one call.
#[derive(Debug, Clone)]
struct Settings {
    attempt_timeout: Option<Duration>,
    deadline: Option<Duration>,
    connect_timeout: Duration,
    pool_idle_timeout: Duration,
    /// The backoff's initial and longest waits and the retry deadline; `None` for the
    /// default retry settings, and no retry layer at all when `no_retry`.
    retry: Option<(Duration, Duration, Duration)>,
    no_retry: bool,
    quota: Option<(Duration, u32)>,
    default_cooldown: Duration,
    max_cooldown: Duration,
    call_deadline: Option<Duration>,
    call_attempt_timeout: Option<Duration>,
    /// The token provider's token lifetime, and whether it is given as a wall-clock time;
    /// `None` for an API key.
    token_lifetime: Option<(Duration, bool)>,
}

impl Settings {
    fn any(rng: &mut fastrand::Rng) -> Self {
        Settings {
            attempt_timeout: maybe(rng),
            deadline: maybe(rng),
            connect_timeout: any_duration(rng),
            pool_idle_timeout: any_duration(rng),
            retry: rng
                .bool()
                .then(|| (any_duration(rng), any_duration(rng), any_duration(rng))),
            no_retry: rng.u8(..4) == 0,
            quota: rng.bool().then(|| {
                let burst = [0, 1, 2, 10, u32::MAX][rng.usize(..5)];
                (any_duration(rng), burst)
            }),
            default_cooldown: any_duration(rng),
            max_cooldown: any_duration(rng),
            call_deadline: maybe(rng),
            call_attempt_timeout: maybe(rng),
            token_lifetime: rng.bool().then(|| (any_duration(rng), rng.bool())),
        }
    }

    /// The shortest setting that may end a call with a timeout.
    fn shortest_timeout(&self) -> Option<Duration> {
        [
            self.attempt_timeout,
            self.deadline,
            Some(self.connect_timeout),
            self.retry
                .filter(|_| !self.no_retry)
                .map(|(_, _, deadline)| deadline),
            self.call_deadline,
            self.call_attempt_timeout,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn client(&self, url: &str) -> Result<Client, Error> {
        let mut transport = TransportConfig::default();
        transport.pool_idle_timeout = self.pool_idle_timeout;
        let mut builder = Client::builder()
            .base_url_all(url)
            .transport_config(transport)
            .connect_timeout(self.connect_timeout)
            .attempt_timeout(self.attempt_timeout)
            .deadline(self.deadline);
        builder = match self.retry {
            _ if self.no_retry => builder.no_retry(),
            Some((initial, max, deadline)) => builder.retry(
                RetryConfig::default()
                    .initial_backoff(initial)
                    .max_backoff(max)
                    .deadline(deadline),
            ),
            None => builder,
        };
        let mut rate_limit = RateLimitConfig::new()
            .default_cooldown(self.default_cooldown)
            .max_cooldown(self.max_cooldown);
        if let Some(quota) = self
            .quota
            .and_then(|(interval, burst)| Some(Quota::with_period(interval)?.allow_burst(burst)))
        {
            rate_limit = rate_limit.quota(quota);
        }
        builder = builder.rate_limit(rate_limit);
        builder = match self.token_lifetime {
            None => builder.api_key("amp_property"),
            Some((lifetime, wall_clock)) => builder.token_provider(move || async move {
                let token = Token::new("eyJ.property");
                Ok(match SystemTime::now().checked_add(lifetime) {
                    Some(at) if wall_clock => token.expires_at(at),
                    _ => token.expires_in(lifetime),
                })
            }),
        };
        builder.build()
    }

    fn options(&self) -> CallOptions {
        let mut options = CallOptions::new();
        if let Some(deadline) = self.call_deadline {
            options = options.deadline(deadline);
        }
        if let Some(timeout) = self.call_attempt_timeout {
            options = options.attempt_timeout(timeout);
        }
        options
    }
}

/// What the loopback server answers first (every later request gets a 200).
fn first_answer(rng: &mut fastrand::Rng) -> http::Response<Bytes> {
    let project = br#"{"id":"proj_1","name":"p","appName":"A","orgId":"o","createTime":"2024-04-22T18:55:28Z"}"#;
    match rng.u8(..4) {
        0 => {
            let retry_after = [
                "0".to_owned(),
                "1".to_owned(),
                "18446744073709551615".to_owned(),
                "99999999999999999999".to_owned(),
                "Fri, 31 Dec 9999 23:59:59 GMT".to_owned(),
                "Friday, 31-Dec-69 23:59:59 GMT".to_owned(),
                "Fri Dec 31 23:59:59 9999".to_owned(),
            ];
            let mut response = respond(
                429,
                "application/problem+json",
                r#"{"title":"Too Many Requests","retryAfter":"9999-12-31T23:59:59Z"}"#,
            );
            response.headers_mut().insert(
                http::header::RETRY_AFTER,
                HeaderValue::try_from(retry_after[rng.usize(..retry_after.len())].clone()).unwrap(),
            );
            response
        }
        1 => respond(503, "text/plain", "unavailable"),
        2 => respond(
            401,
            "application/problem+json",
            r#"{"title":"Unauthorized"}"#,
        ),
        _ => respond(200, "application/json", &project[..]),
    }
}

#[tokio::test]
async fn any_duration_in_any_setting_never_panics_and_ends_sensibly() {
    let panics = panics();
    let mut rng = rng("duration settings");
    let cases = (cases() / 30).max(1);
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for case in 0..cases {
        let settings = Settings::any(&mut rng);
        let first = first_answer(&mut rng);
        let first_status = first.status();
        let answered = Arc::new(AtomicUsize::new(0));
        let server = {
            let answered = answered.clone();
            let first = std::sync::Mutex::new(Some(first));
            TestServer::start(move |_| {
                answered.fetch_add(1, Ordering::SeqCst);
                first.lock().unwrap().take().unwrap_or_else(|| {
                    json_response(json!({"id":"proj_1","name":"p","appName":"A","orgId":"o",
                        "createTime":"2024-04-22T18:55:28Z"}))
                })
            })
            .await
        };
        let before = panics.load(Ordering::SeqCst);
        let client = match settings.client(&server.url()) {
            Ok(client) => client,
            Err(error) => {
                // Refusing a setting at build time is a sensible outcome, if it says why.
                assert_eq!(error.kind(), ErrorKind::Config, "case {case}: {settings:?}");
                *outcomes.entry("refused at build".into()).or_default() += 1;
                continue;
            }
        };
        let started = Instant::now();
        // A call whose first answer is a 200, and that no timeout cuts short, has nothing to
        // wait for: it must end, and well. Otherwise a setting may ask for a wait of years
        // (a backoff, a cooldown, the quota of a retry); the call is cancelled after a while.
        let must_end = first_status == StatusCode::OK
            && settings
                .shortest_timeout()
                .is_none_or(|t| t >= Duration::from_secs(10));
        let bound = if must_end {
            Duration::from_secs(60)
        } else {
            Duration::from_millis(200)
        };
        let call = client.send(GetProject::new("p").with_options(settings.options()));
        let outcome = tokio::time::timeout(bound, call).await;
        let elapsed = started.elapsed();
        // Let the transport's tasks run (the pool's idle timer starts after the call).
        tokio::task::yield_now().await;
        drop(client);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(
            panics.load(Ordering::SeqCst),
            before,
            "case {case}: a panic (see above) with {settings:?}"
        );
        if must_end {
            assert!(
                matches!(outcome, Ok(Ok(_))),
                "case {case}: {outcome:?} with {settings:?}"
            );
        }
        let name = match &outcome {
            Ok(Ok(_)) => "ok".to_owned(),
            Ok(Err(error)) => {
                match error.kind() {
                    ErrorKind::Api => assert!(
                        error.status().is_some() && error.status() != Some(StatusCode::OK),
                        "case {case}: {error} with {settings:?}"
                    ),
                    ErrorKind::Timeout => {
                        let shortest = settings.shortest_timeout();
                        assert!(
                            shortest.is_some_and(|t| t <= elapsed),
                            "case {case}: timed out after {elapsed:?}, before any timeout \
                             setting ({shortest:?}): {error} with {settings:?}"
                        );
                    }
                    // A connect timeout shorter than the call.
                    ErrorKind::Connect => assert!(
                        settings.connect_timeout <= elapsed,
                        "case {case}: {error} with {settings:?}"
                    ),
                    // A cooldown or quota wait that would pass the deadline.
                    ErrorKind::RateLimited => {}
                    _ => panic!("case {case}: unexpected {error:?} with {settings:?}"),
                }
                format!("{} {:?}", error.kind().as_str(), error.status())
            }
            Err(_) => {
                assert!(
                    !must_end,
                    "case {case}: a call answered at once did not end in {bound:?}: {settings:?}"
                );
                "still waiting (cancelled)".to_owned()
            }
        };
        *outcomes.entry(name).or_default() += 1;
    }
    println!("  outcomes of {cases} cases: {outcomes:?}");
}

/// `wait_for_operation`'s own durations (its timeout and delays), the same way.
#[tokio::test]
async fn any_duration_in_the_wait_options_never_panics() {
    let panics = panics();
    let mut rng = rng("wait options");
    for case in 0..(cases() / 100).max(1) {
        let options = WaitOptions::default()
            .timeout(any_duration(&mut rng))
            .initial_delay(any_duration(&mut rng))
            .max_delay(any_duration(&mut rng));
        let polls = Arc::new(AtomicUsize::new(0));
        let server = {
            let polls = polls.clone();
            TestServer::start(move |_| {
                let n = polls.fetch_add(1, Ordering::SeqCst);
                let operation = ampersand::resources::operations::Operation {
                    status: if n == 0 { "in_progress" } else { "success" }.into(),
                    ..Default::default()
                };
                json_response(serde_json::to_value(operation).unwrap())
            })
            .await
        };
        let client = Client::builder()
            .api_key("amp_property")
            .base_url_all(&server.url())
            .build()
            .unwrap();
        let before = panics.load(Ordering::SeqCst);
        let timeout = options.timeout;
        let wait = client.wait_for_operation("p", "op", options);
        match tokio::time::timeout(Duration::from_millis(200), wait).await {
            Ok(Ok(operation)) => assert_eq!(operation.status, "success"),
            Ok(Err(WaitError::TimedOut { .. })) => {
                assert!(
                    timeout < YEAR,
                    "case {case}: timed out with a timeout of {timeout:?}"
                )
            }
            Ok(Err(other)) => panic!("case {case}: {other:?}"),
            Err(_) => {} // a long delay between polls: cancelled
        }
        assert_eq!(
            panics.load(Ordering::SeqCst),
            before,
            "case {case}: a panic"
        );
    }
}
