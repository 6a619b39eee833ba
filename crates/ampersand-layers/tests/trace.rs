//! The tracing layer's `tracing` spans and logs, captured by a subscriber of our own, against
//! a loopback server.

mod loopback;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};

use ampersand_core::{Error, OperationMeta};
use ampersand_layers::auth::{AuthLayer, Credentials, Token};
use ampersand_layers::identity::IdentityLayer;
use ampersand_layers::problem::ProblemLayer;
use ampersand_layers::trace::TraceLayer;
use bytes::Bytes;
use http::{Method, Response};
use loopback::{CREATE_PROJECT, GET_PROJECT, Server, json, request, transport};
use tower::util::BoxCloneSyncService;
use tower::{Layer, ServiceBuilder, ServiceExt};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Subscriber, subscriber::DefaultGuard};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// A span as the subscriber saw it, fields as text.
#[derive(Debug, Clone)]
struct SpanRecord {
    name: &'static str,
    target: String,
    level: tracing::Level,
    fields: BTreeMap<String, String>,
}

impl SpanRecord {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Keeps every span's fields and hands over the closed ones.
#[derive(Clone, Default)]
struct Spans {
    open: Arc<Mutex<HashMap<u64, SpanRecord>>>,
    closed: Arc<Mutex<Vec<SpanRecord>>>,
}

impl Spans {
    fn install(&self) -> DefaultGuard {
        tracing::subscriber::set_default(tracing_subscriber::registry().with(self.clone()))
    }

    fn closed(&self) -> Vec<SpanRecord> {
        self.closed.lock().unwrap().clone()
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        let mut record = SpanRecord {
            name: attrs.metadata().name(),
            target: attrs.metadata().target().to_owned(),
            level: *attrs.metadata().level(),
            fields: BTreeMap::new(),
        };
        attrs.record(&mut Fields(&mut record.fields));
        self.open.lock().unwrap().insert(id.into_u64(), record);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        if let Some(record) = self.open.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut record.fields));
        }
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        if let Some(record) = self.open.lock().unwrap().remove(&id.into_u64()) {
            self.closed.lock().unwrap().push(record);
        }
    }
}

#[tokio::test]
async fn span_fields_follow_the_http_client_conventions() {
    let spans = Spans::default();
    let _guard = spans.install();
    let server = Server::ok().await;
    let url = server.url("/projects/p?sig=abc123&expand=true");
    TraceLayer::new()
        .layer(ProblemLayer::new().layer(transport()))
        .oneshot(request(&GET_PROJECT, &url))
        .await
        .unwrap();

    let closed = spans.closed();
    assert_eq!(closed.len(), 1, "{closed:?}");
    let span = &closed[0];
    assert_eq!(span.name, "http.request");
    assert_eq!(span.target, "ampersand::http");
    assert_eq!(span.level, tracing::Level::INFO);
    let port = server.addr.port().to_string();
    let expected = [
        ("otel.name", "GET /projects/{projectIdOrName}"),
        ("otel.kind", "client"),
        ("http.request.method", "GET"),
        ("server.address", "127.0.0.1"),
        ("server.port", port.as_str()),
        ("ampersand.operation_id", "getProject"),
        ("http.response.status_code", "200"),
    ];
    for (name, value) in expected {
        assert_eq!(span.field(name), Some(value), "{name} in {span:?}");
    }
    assert_eq!(
        span.field("url.full"),
        Some(format!("http://127.0.0.1:{port}/projects/p?sig=REDACTED&expand=true").as_str())
    );
    for absent in [
        "error.type",
        "http.request.resend_count",
        "otel.status_code",
    ] {
        assert_eq!(span.field(absent), None, "{absent} in {span:?}");
    }
}

#[tokio::test]
async fn each_attempt_gets_a_span_and_resends_report_their_count() {
    let spans = Spans::default();
    let _guard = spans.install();
    let server = Server::start(|n, _| {
        if n < 2 {
            json(503, r#"{"title":"Service Unavailable"}"#)
        } else {
            json(200, "{}")
        }
    })
    .await;
    let service = TraceLayer::new().layer(ProblemLayer::new().layer(transport()));
    // What the retry layer does: one request per attempt, numbered.
    for attempt in 1..=3 {
        let mut req = request(&GET_PROJECT, &server.url("/projects/p"));
        ampersand_core::CallContext::of_mut(&mut req).set_attempt(attempt);
        let result = service.clone().oneshot(req).await;
        assert_eq!(result.is_ok(), attempt == 3);
    }

    let closed = spans.closed();
    assert_eq!(closed.len(), 3);
    assert_eq!(closed[0].field("http.request.resend_count"), None);
    assert_eq!(closed[1].field("http.request.resend_count"), Some("1"));
    assert_eq!(closed[2].field("http.request.resend_count"), Some("2"));
    for failed in &closed[..2] {
        assert_eq!(failed.field("http.response.status_code"), Some("503"));
        assert_eq!(failed.field("error.type"), Some("503"));
        assert_eq!(failed.field("otel.status_code"), Some("ERROR"));
    }
    assert_eq!(closed[2].field("http.response.status_code"), Some("200"));
    assert_eq!(closed[2].field("error.type"), None);
}

#[tokio::test]
async fn failures_without_a_response_report_their_kind() {
    let spans = Spans::default();
    let _guard = spans.install();
    let timing_out = tower::service_fn(|_request: http::Request<Bytes>| async {
        Err::<Response<Bytes>, Error>(Error::timeout("the attempt took longer than 30s"))
    });
    let error = TraceLayer::new()
        .layer(timing_out)
        .oneshot(request(
            &GET_PROJECT,
            "https://api.withampersand.com/v1/projects/p",
        ))
        .await
        .unwrap_err();
    assert!(error.is_timeout());

    let span = &spans.closed()[0];
    assert_eq!(span.field("error.type"), Some("timeout"));
    assert_eq!(span.field("http.response.status_code"), None);
    assert_eq!(span.field("server.address"), Some("api.withampersand.com"));
    assert_eq!(span.field("server.port"), Some("443"));
}

#[tokio::test]
async fn requests_without_metadata_and_odd_methods() {
    static PURGE: OperationMeta = OperationMeta {
        operation_id: "purge",
        method: Method::GET,
        path_template: "/cache",
        host: ampersand_core::Host::Api,
        auth: ampersand_core::AuthSchemes::NONE,
        idempotent: true,
    };
    let spans = Spans::default();
    let _guard = spans.install();
    let server = Server::ok().await;
    let service = TraceLayer::new().layer(transport());

    let mut purge = request(&PURGE, &server.url("/cache"));
    *purge.method_mut() = Method::from_bytes(b"PURGE").unwrap();
    service.clone().oneshot(purge).await.unwrap();
    let bare = http::Request::get(server.url("/health"))
        .body(Bytes::new())
        .unwrap();
    service.oneshot(bare).await.unwrap();

    let closed = spans.closed();
    assert_eq!(closed[0].field("http.request.method"), Some("_OTHER"));
    assert_eq!(closed[0].field("otel.name"), Some("_OTHER /cache"));
    assert_eq!(closed[1].field("otel.name"), Some("GET"));
    assert_eq!(closed[1].field("ampersand.operation_id"), None);
}

/// Everything the fmt subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn no_secret_in_any_log_line_at_trace_level() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL),
    );
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Server::start(|n, seen| {
        let rejected = n == 1 && seen.uri.path() == "/projects";
        let mut response = json(if rejected { 401 } else { 200 }, "{}");
        response
            .headers_mut()
            .insert("set-cookie", "session=cookie_s3cr3t".parse().unwrap());
        response
    })
    .await;
    let credentials = Credentials::default()
        .with_api_key("key_s3cr3t")
        .with_token_provider(|| async { Ok(Token::new("jwt_s3cr3t")) });
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(credentials))
        .layer(TraceLayer::new())
        .layer(ProblemLayer::new())
        .layer(IdentityLayer::with_version("1.0.0").unwrap())
        .service(transport());
    // The stack boxes the way the facade boxes it: Clone + Send + Sync, with Send futures.
    let service = BoxCloneSyncService::new(service);

    let mut signed = request(
        &GET_PROJECT,
        &server.url("/projects/p?X-Amz-Signature=sig_s3cr3t&X-Goog-Credential=cred_s3cr3t"),
    );
    signed
        .headers_mut()
        .insert("cookie", "session=cookie_s3cr3t".parse().unwrap());
    service.clone().oneshot(signed).await.unwrap();
    // Bearer-only: the first answer is a 401, so the token is refetched and logged around.
    service
        .clone()
        .oneshot(request(&CREATE_PROJECT, &server.url("/projects")))
        .await
        .unwrap();

    // The secrets did go over the wire...
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].headers["x-api-key"], "key_s3cr3t");
    assert_eq!(seen[2].headers["authorization"], "Bearer jwt_s3cr3t");
    // ...and never into the logs.
    let text = captured.text();
    for needle in [
        "sending request",
        "received response",
        "request failed",
        "x-api-key",
        "authorization",
        "<redacted>",
        "X-Amz-Signature=REDACTED",
        "refetching the Bearer token",
        "createProject",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    assert!(!text.contains("s3cr3t"), "a secret leaked:\n{text}");
}
