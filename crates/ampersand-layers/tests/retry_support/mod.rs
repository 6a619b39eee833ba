//! Test doubles shared by the retry, rate-limit and timeout tests: operation metadata, a
//! scripted inner service that records each attempt, a loopback hyper server and a hyper
//! client transport, and the "non-2xx becomes an API error" step that the problem layer
//! performs in the real stack.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use ampersand_core::{AuthSchemes, CallContext, CallOptions, Error, Host, OperationMeta};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use tokio::time::Instant;
use tower::Service;

pub static GET_THING: OperationMeta = OperationMeta {
    operation_id: "getThing",
    method: Method::GET,
    path_template: "/things/{id}",
    host: Host::Api,
    auth: AuthSchemes::NONE,
    idempotent: true,
};

pub static CREATE_THING: OperationMeta = OperationMeta {
    operation_id: "createThing",
    method: Method::POST,
    path_template: "/things",
    host: Host::Api,
    auth: AuthSchemes::NONE,
    idempotent: false,
};

pub static READ_RECORDS: OperationMeta = OperationMeta {
    operation_id: "readRecords",
    method: Method::GET,
    path_template: "/records",
    host: Host::Read,
    auth: AuthSchemes::NONE,
    idempotent: true,
};

pub static WRITE_RECORD: OperationMeta = OperationMeta {
    operation_id: "writeRecord",
    method: Method::POST,
    path_template: "/records",
    host: Host::Write,
    auth: AuthSchemes::NONE,
    idempotent: false,
};

/// A request for `meta` against `base` (a path-only URI when `base` is empty).
pub fn request_to(base: &str, meta: &'static OperationMeta) -> http::Request<Bytes> {
    let mut request = http::Request::builder()
        .method(meta.method.clone())
        .uri(format!("{base}{}", meta.path_template.replace("{id}", "1")))
        .body(Bytes::new())
        .unwrap();
    request
        .extensions_mut()
        .insert(CallContext::for_operation(meta));
    request
}

pub fn request(meta: &'static OperationMeta) -> http::Request<Bytes> {
    request_to("", meta)
}

pub fn with_options(
    mut request: http::Request<Bytes>,
    options: CallOptions,
) -> http::Request<Bytes> {
    let context = CallContext::of(&request).clone().with_options(options);
    request.extensions_mut().insert(context);
    request
}

/// `request`, its call's deadline fixed at `at` (as a retry layer above would).
pub fn with_deadline(mut request: http::Request<Bytes>, at: Instant) -> http::Request<Bytes> {
    CallContext::of_mut(&mut request).set_deadline(Some(at.into_std()));
    request
}

/// An API error as the problem layer makes it.
pub fn api_error(status: u16, headers: &[(&str, &str)], body: &str) -> Error {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    Error::api(
        StatusCode::from_u16(status).unwrap(),
        map,
        Bytes::from(body.to_owned()),
    )
}

/// A problem+json API error.
pub fn problem_error(status: u16, fields: &str) -> Error {
    api_error(
        status,
        &[("content-type", "application/problem+json")],
        &format!(r#"{{"status":{status},{fields}}}"#),
    )
}

/// What the scripted service answers to one attempt.
#[derive(Clone)]
pub enum Reply {
    /// A response with this status and an empty body.
    Status(u16),
    /// An error built when the attempt arrives.
    Fail(Arc<dyn Fn() -> Error + Send + Sync>),
    /// A 200 after this long.
    Slow(Duration),
    /// Never answers.
    Hang,
}

impl Reply {
    pub fn fail(make: impl Fn() -> Error + Send + Sync + 'static) -> Reply {
        Reply::Fail(Arc::new(make))
    }
}

/// One attempt as the scripted service saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub attempt: u32,
    pub deadline: Option<Instant>,
    pub host: Option<Host>,
    /// The value of its `x-made` header, if any.
    pub made: Option<String>,
}

/// An inner service that answers from a script (the last reply repeats) and records each
/// attempt. Clones share the script and the record.
#[derive(Clone)]
pub struct Script {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Script {
    pub fn new(replies: impl IntoIterator<Item = Reply>) -> Script {
        let replies: VecDeque<Reply> = replies.into_iter().collect();
        assert!(!replies.is_empty());
        Script {
            replies: Arc::new(Mutex::new(replies)),
            seen: Arc::default(),
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn calls(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    fn next(&self) -> Reply {
        let mut replies = self.replies.lock().unwrap();
        if replies.len() > 1 {
            replies.pop_front().unwrap()
        } else {
            replies.front().unwrap().clone()
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Service<http::Request<Bytes>> for Script {
    type Response = http::Response<Bytes>;
    type Error = Error;
    type Future = BoxFuture<Result<http::Response<Bytes>, Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Bytes>) -> Self::Future {
        self.seen.lock().unwrap().push(Seen {
            at: Instant::now(),
            attempt: CallContext::of(&request).attempt(),
            deadline: CallContext::of(&request).deadline().map(Instant::from_std),
            host: CallContext::of(&request).host(),
            made: request
                .headers()
                .get("x-made")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
        let reply = self.next();
        Box::pin(async move {
            match reply {
                Reply::Status(status) => Ok(http::Response::builder()
                    .status(status)
                    .body(Bytes::new())
                    .unwrap()),
                Reply::Fail(make) => Err(make()),
                Reply::Slow(delay) => {
                    tokio::time::sleep(delay).await;
                    Ok(http::Response::new(Bytes::from_static(b"slow")))
                }
                Reply::Hang => std::future::pending().await,
            }
        })
    }
}

/// A loopback HTTP/1 server on 127.0.0.1 whose handler sees the request number (1-based) and
/// the request; it counts requests and records when (tokio time) each arrived.
pub struct Loopback {
    pub addr: SocketAddr,
    count: Arc<AtomicU32>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Loopback {
    pub async fn start<F>(handler: F) -> Loopback
    where
        F: Fn(u32, &http::Request<hyper::body::Incoming>) -> http::Response<Full<Bytes>>
            + Send
            + Sync
            + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let count = Arc::new(AtomicU32::new(0));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let handler = Arc::new(handler);
        let (c, a) = (count.clone(), arrivals.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (handler, count, arrivals) = (handler.clone(), c.clone(), a.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                        arrivals.lock().unwrap().push(Instant::now());
                        let response = handler(n, &request);
                        async move { Ok::<_, Infallible>(response) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Loopback {
            addr,
            count,
            arrivals,
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> u32 {
        self.count.load(Ordering::SeqCst)
    }

    pub fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }
}

pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Full<Bytes>> {
    let mut builder = http::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

/// A transport over hyper-util's pooling client; non-2xx responses become API errors (what
/// the problem layer does in the real stack).
#[derive(Clone)]
pub struct HyperTransport {
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
}

impl HyperTransport {
    pub fn new() -> HyperTransport {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http();
        HyperTransport { client }
    }
}

impl Service<http::Request<Bytes>> for HyperTransport {
    type Response = http::Response<Bytes>;
    type Error = Error;
    type Future = BoxFuture<Result<http::Response<Bytes>, Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Bytes>) -> Self::Future {
        let client = self.client.clone();
        Box::pin(async move {
            let response = client.request(request.map(Full::new)).await.map_err(|e| {
                if e.is_connect() {
                    Error::connect(e)
                } else {
                    Error::transport(e)
                }
            })?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(Error::transport)?.to_bytes();
            let response = http::Response::from_parts(parts, body);
            if response.status().is_success() {
                Ok(response)
            } else {
                Err(Error::from_response(response))
            }
        })
    }
}
