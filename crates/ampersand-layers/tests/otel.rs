//! The tracing layer's OpenTelemetry output, read back from the SDK's in-memory exporters:
//! span attributes, kinds, statuses and resend counts, the duration histogram, and the
//! `traceparent` header the server receives.
//!
//! The providers are global, so the tests share one set and tell their spans apart by the
//! port of their own loopback server.

#![cfg(feature = "opentelemetry")]

mod loopback;

use std::sync::OnceLock;

use ampersand_core::Error;
use ampersand_layers::problem::ProblemLayer;
use ampersand_layers::trace::{REQUEST_DURATION_BOUNDARIES, TraceLayer};
use bytes::Bytes;
use http::Response;
use loopback::{CREATE_PROJECT, GET_PROJECT, Server, json, request, transport};
use opentelemetry::context::FutureExt;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue, Value, global};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, HistogramDataPoint, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tower::{Layer, ServiceExt};

struct Telemetry {
    spans: InMemorySpanExporter,
    metrics: InMemoryMetricExporter,
    meter_provider: SdkMeterProvider,
}

/// Installs the global providers and propagator once for the whole test binary.
fn telemetry() -> &'static Telemetry {
    static TELEMETRY: OnceLock<Telemetry> = OnceLock::new();
    TELEMETRY.get_or_init(|| {
        let spans = InMemorySpanExporter::default();
        let tracer_provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        global::set_tracer_provider(tracer_provider);
        let metrics = InMemoryMetricExporter::default();
        let meter_provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(metrics.clone()).build())
            .build();
        global::set_meter_provider(meter_provider.clone());
        global::set_text_map_propagator(TraceContextPropagator::new());
        Telemetry {
            spans,
            metrics,
            meter_provider,
        }
    })
}

fn attribute<'a>(attributes: impl IntoIterator<Item = &'a KeyValue>, key: &str) -> Option<Value> {
    attributes
        .into_iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.clone())
}

/// The finished spans of requests to `port`, in the order they ended.
fn spans_to(port: u16) -> Vec<SpanData> {
    telemetry()
        .spans
        .get_finished_spans()
        .unwrap()
        .into_iter()
        .filter(|span| attribute(&span.attributes, "server.port") == Some(Value::I64(port.into())))
        .collect()
}

fn str_value(value: &str) -> Option<Value> {
    Some(Value::from(value.to_owned()))
}

#[tokio::test]
async fn client_spans_carry_the_convention_attributes_and_propagate_their_context() {
    telemetry();
    let server = Server::ok().await;
    let port = server.addr.port();
    let service = TraceLayer::new().layer(ProblemLayer::new().layer(transport()));

    let parent = global::tracer("test").start("parent");
    let parent_cx = Context::current_with_span(parent);
    let parent_span = parent_cx.span().span_context().clone();
    service
        .oneshot(request(
            &GET_PROJECT,
            &server.url("/projects/p?Signature=abc&AWSAccessKeyId=AKIA&page=2"),
        ))
        .with_context(parent_cx.clone())
        .await
        .unwrap();

    let spans = spans_to(port);
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.name, "GET /projects/{projectIdOrName}");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(span.status, Status::Unset);
    assert_eq!(span.instrumentation_scope.name(), "ampersand-layers");
    assert_eq!(span.span_context.trace_id(), parent_span.trace_id());
    assert_eq!(span.parent_span_id, parent_span.span_id());
    let expected = [
        ("http.request.method", str_value("GET")),
        ("server.address", str_value("127.0.0.1")),
        ("server.port", Some(Value::I64(port.into()))),
        (
            "url.full",
            str_value(&format!(
                "http://127.0.0.1:{port}/projects/p?Signature=REDACTED&AWSAccessKeyId=REDACTED&page=2"
            )),
        ),
        ("http.response.status_code", Some(Value::I64(200))),
        ("ampersand.operation_id", str_value("getProject")),
        ("error.type", None),
        ("http.request.resend_count", None),
    ];
    for (key, value) in expected {
        assert_eq!(attribute(&span.attributes, key), value, "{key}");
    }

    // The server received the attempt's span as its parent.
    let traceparent = server.seen()[0].headers["traceparent"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        traceparent,
        format!(
            "00-{}-{}-01",
            span.span_context.trace_id(),
            span.span_context.span_id()
        )
    );
}

#[tokio::test]
async fn resends_report_their_count_and_failures_set_the_error_status() {
    telemetry();
    let server = Server::start(|n, _| {
        if n < 2 {
            json(503, r#"{"title":"Service Unavailable"}"#)
        } else {
            json(201, "{}")
        }
    })
    .await;
    let port = server.addr.port();
    let service = TraceLayer::new().layer(ProblemLayer::new().layer(transport()));
    for attempt in 1..=3 {
        let mut req = request(&CREATE_PROJECT, &server.url("/projects"));
        ampersand_core::CallContext::of_mut(&mut req).set_attempt(attempt);
        let _ = service.clone().oneshot(req).await;
    }

    let spans = spans_to(port);
    assert_eq!(spans.len(), 3);
    let resend_counts: Vec<_> = spans
        .iter()
        .map(|span| attribute(&span.attributes, "http.request.resend_count"))
        .collect();
    assert_eq!(
        resend_counts,
        [None, Some(Value::I64(1)), Some(Value::I64(2))]
    );
    for span in &spans[..2] {
        assert_eq!(span.name, "POST /projects");
        assert_eq!(
            attribute(&span.attributes, "http.response.status_code"),
            Some(Value::I64(503))
        );
        assert_eq!(attribute(&span.attributes, "error.type"), str_value("503"));
        assert!(
            matches!(span.status, Status::Error { .. }),
            "{:?}",
            span.status
        );
    }
    assert_eq!(
        attribute(&spans[2].attributes, "http.response.status_code"),
        Some(Value::I64(201))
    );
    assert_eq!(attribute(&spans[2].attributes, "error.type"), None);
    assert_eq!(spans[2].status, Status::Unset);
    // Each attempt propagates its own span.
    let traceparents: Vec<_> = server
        .seen()
        .iter()
        .map(|seen| seen.headers["traceparent"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(traceparents.len(), 3);
    for (span, header) in spans.iter().zip(&traceparents) {
        assert!(
            header.contains(&span.span_context.span_id().to_string()),
            "{header}"
        );
    }
}

#[tokio::test]
async fn failures_without_a_response_report_their_kind() {
    telemetry();
    let timing_out = tower::service_fn(|_request: http::Request<Bytes>| async {
        Err::<Response<Bytes>, Error>(Error::timeout("the attempt took longer than 30s"))
    });
    let _ = TraceLayer::new()
        .layer(timing_out)
        .oneshot(request(
            &GET_PROJECT,
            "https://timeout.example.com:9443/v1/projects/p",
        ))
        .await
        .unwrap_err();

    let spans = spans_to(9443);
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(
        attribute(&span.attributes, "error.type"),
        str_value("timeout")
    );
    assert_eq!(
        attribute(&span.attributes, "http.response.status_code"),
        None
    );
    assert_eq!(
        attribute(&span.attributes, "server.address"),
        str_value("timeout.example.com")
    );
    match &span.status {
        Status::Error { description } => assert!(description.contains("30s"), "{description}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn request_durations_are_recorded_in_seconds_with_the_convention_buckets() {
    let telemetry = telemetry();
    let server = Server::start(|n, _| {
        if n == 0 {
            json(200, "{}")
        } else {
            json(404, "{}")
        }
    })
    .await;
    let port = server.addr.port();
    let service = TraceLayer::new().layer(ProblemLayer::new().layer(transport()));
    for _ in 0..2 {
        let _ = service
            .clone()
            .oneshot(request(&GET_PROJECT, &server.url("/projects/p")))
            .await;
    }
    telemetry.meter_provider.force_flush().unwrap();

    let exported = telemetry.metrics.get_finished_metrics().unwrap();
    let metric = exported
        .iter()
        .rev()
        .flat_map(|resource| resource.scope_metrics())
        .filter(|scope| scope.scope().name() == "ampersand-layers")
        .flat_map(|scope| scope.metrics())
        .find(|metric| metric.name() == "http.client.request.duration")
        .expect("the histogram was exported");
    assert_eq!(metric.unit(), "s");
    let AggregatedMetrics::F64(MetricData::Histogram(histogram)) = metric.data() else {
        panic!("not an f64 histogram: {:?}", metric.data());
    };
    let ours: Vec<&HistogramDataPoint<f64>> = histogram
        .data_points()
        .filter(|point| {
            attribute(point.attributes(), "server.port") == Some(Value::I64(port.into()))
        })
        .collect();
    assert_eq!(ours.len(), 2, "one series per status");
    for point in &ours {
        assert_eq!(point.count(), 1);
        assert_eq!(
            point.bounds().collect::<Vec<_>>(),
            REQUEST_DURATION_BOUNDARIES
        );
        assert_eq!(
            attribute(point.attributes(), "http.request.method"),
            str_value("GET")
        );
        assert_eq!(
            attribute(point.attributes(), "server.address"),
            str_value("127.0.0.1")
        );
        assert!(point.sum() >= 0.0 && point.sum() < 60.0, "seconds, not ms");
    }
    let not_found = ours
        .iter()
        .find(|point| {
            attribute(point.attributes(), "http.response.status_code") == Some(Value::I64(404))
        })
        .expect("a 404 series");
    assert_eq!(
        attribute(not_found.attributes(), "error.type"),
        str_value("404")
    );
    let ok = ours
        .iter()
        .find(|point| {
            attribute(point.attributes(), "http.response.status_code") == Some(Value::I64(200))
        })
        .expect("a 200 series");
    assert_eq!(attribute(ok.attributes(), "error.type"), None);
}
