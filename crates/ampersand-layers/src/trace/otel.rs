//! The OpenTelemetry half of the tracing layer: a Client span per attempt, the
//! `http.client.request.duration` histogram, and trace-context injection, all through the API
//! crate and the application's global providers.

use std::time::Instant;

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::metrics::Histogram;
use opentelemetry::propagation::Injector;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, InstrumentationScope, KeyValue};

use super::{Outcome, REQUEST_DURATION_BOUNDARIES, RequestInfo};

/// The tracer and the duration histogram of the layer.
pub(super) struct Instruments {
    tracer: BoxedTracer,
    duration: Histogram<f64>,
}

impl Instruments {
    /// Takes the tracer and meter of this crate's scope from the global providers.
    pub(super) fn from_globals() -> Self {
        let scope = InstrumentationScope::builder(env!("CARGO_PKG_NAME"))
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        let tracer = global::tracer_with_scope(scope.clone());
        let duration = global::meter_with_scope(scope)
            .f64_histogram("http.client.request.duration")
            .with_unit("s")
            .with_description("Duration of HTTP client requests.")
            .with_boundaries(REQUEST_DURATION_BOUNDARIES.to_vec())
            .build();
        Instruments { tracer, duration }
    }

    /// Starts the span of an attempt (a child of the current context) and injects its context
    /// into the request headers.
    pub(super) fn start(&self, info: &RequestInfo, headers: &mut HeaderMap) -> Attempt {
        let mut common = Vec::with_capacity(6);
        common.push(KeyValue::new("http.request.method", info.method.clone()));
        if let Some(address) = &info.server_address {
            common.push(KeyValue::new("server.address", address.clone()));
        }
        if let Some(port) = info.server_port {
            common.push(KeyValue::new("server.port", i64::from(port)));
        }

        let mut attributes = common.clone();
        attributes.push(KeyValue::new("url.full", info.url_full.clone()));
        if let Some(original) = &info.method_original {
            attributes.push(KeyValue::new(
                "http.request.method_original",
                original.clone(),
            ));
        }
        if let Some(id) = info.operation_id {
            attributes.push(KeyValue::new("ampersand.operation_id", id));
        }
        if let Some(id) = &info.installation_id {
            attributes.push(KeyValue::new("ampersand.installation_id", id.to_string()));
        }
        if let Some(count) = info.resend_count {
            attributes.push(KeyValue::new("http.request.resend_count", i64::from(count)));
        }
        let span = self
            .tracer
            .span_builder(info.name.clone())
            .with_kind(SpanKind::Client)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &Context::current());
        let cx = Context::current().with_span(span);
        global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&cx, &mut HeaderInjector(headers));
        });
        Attempt {
            cx,
            started: Instant::now(),
            duration: self.duration.clone(),
            metric_attributes: common,
        }
    }
}

/// One attempt's span and the start of its duration.
pub(super) struct Attempt {
    cx: Context,
    started: Instant,
    duration: Histogram<f64>,
    metric_attributes: Vec<KeyValue>,
}

impl Attempt {
    /// The context holding the attempt's span, current while the request is in flight.
    pub(super) fn context(&self) -> Context {
        self.cx.clone()
    }

    /// Records the outcome on the span, ends it, and records the duration.
    pub(super) fn finish(mut self, outcome: &Outcome<'_>) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let span = self.cx.span();
        let mut ended = Vec::with_capacity(2);
        if let Some(status) = outcome.status {
            ended.push(KeyValue::new(
                "http.response.status_code",
                i64::from(status.as_u16()),
            ));
        }
        if let Some(error_type) = &outcome.error_type {
            ended.push(KeyValue::new("error.type", error_type.clone()));
            // The status code explains an HTTP error; describe only other failures.
            let description = match (outcome.status, outcome.error) {
                (None, Some(error)) => error.to_string(),
                _ => String::new(),
            };
            span.set_status(Status::error(description));
        }
        span.set_attributes(ended.iter().cloned());
        span.end();
        self.metric_attributes.extend(ended);
        self.duration.record(elapsed, &self.metric_attributes);
    }
}

/// Writes propagation fields into request headers.
struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}
