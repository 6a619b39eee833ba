//! A loopback hyper server on 127.0.0.1 for tests.
//!
//! It records every request it receives (method, path and query, headers, body) and answers
//! with a handler the test provides. HTTP/1.1 and HTTP/2 (prior knowledge) are both served.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method.
    pub method: http::Method,
    /// The HTTP version it came in.
    pub version: http::Version,
    /// The path and query, exactly as sent.
    pub path_and_query: String,
    /// The authority of the request target: HTTP/2's `:authority` (an HTTP/1.1 request line
    /// carries none; its `Host` header is among the headers).
    pub authority: Option<String>,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Recorded {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query.split('?').next().unwrap_or_default()
    }

    /// The query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.path_and_query.split_once('?').map(|(_, q)| q)
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

type Handler = dyn Fn(&Recorded) -> http::Response<Bytes> + Send + Sync;

/// A running test server; it stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Starts a server answering every request with `handler`.
    pub async fn start<F>(handler: F) -> TestServer
    where
        F: Fn(&Recorded) -> http::Response<Bytes> + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let handler = handler.clone();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request: http::Request<hyper::body::Incoming>| {
                            let handler = handler.clone();
                            let recorded = recorded.clone();
                            async move {
                                let (parts, body) = request.into_parts();
                                let body = body
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                let request = Recorded {
                                    method: parts.method,
                                    version: parts.version,
                                    path_and_query: parts
                                        .uri
                                        .path_and_query()
                                        .map(|pq| pq.as_str().to_owned())
                                        .unwrap_or_default(),
                                    authority: parts.uri.authority().map(|a| a.to_string()),
                                    headers: parts.headers,
                                    body,
                                };
                                let response = handler(&request);
                                recorded.lock().unwrap().push(request);
                                Ok::<_, Infallible>(response.map(Full::new))
                            }
                        });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        TestServer {
            addr,
            requests,
            task,
        }
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>/v1`, a base URL for the client.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// A response with a status, a content type and a body.
pub fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> http::Response<Bytes> {
    let mut builder = http::Response::builder().status(status);
    if !content_type.is_empty() {
        builder = builder.header(http::header::CONTENT_TYPE, content_type);
    }
    builder.body(body.into()).expect("valid response")
}

/// A `200 application/json` response.
pub fn json(value: serde_json::Value) -> http::Response<Bytes> {
    respond(
        200,
        "application/json",
        serde_json::to_vec(&value).expect("json"),
    )
}
