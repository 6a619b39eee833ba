//! A loopback HTTP/1 server on 127.0.0.1 that records what it receives and answers from a
//! script, and a hyper client transport with the shape the layers wrap.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ampersand_core::{AuthSchemes, BoxError, Host, OperationMeta};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tower::Service;

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
}

/// Builds the response to the `n`th request (0-based).
pub type Script = Arc<dyn Fn(usize, &Seen) -> Response<Bytes> + Send + Sync>;

/// A running loopback server.
#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Starts a server answering with `script`.
    pub async fn start(
        script: impl Fn(usize, &Seen) -> Response<Bytes> + Send + Sync + 'static,
    ) -> Server {
        let script: Script = Arc::new(script);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let server = Server {
            addr,
            seen: seen.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let script = script.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                        let script = script.clone();
                        let seen = seen.clone();
                        async move {
                            let (parts, _body) = request.into_parts();
                            let request = Seen {
                                method: parts.method,
                                uri: parts.uri,
                                headers: parts.headers,
                            };
                            let index = {
                                let mut seen = seen.lock().unwrap();
                                seen.push(request.clone());
                                seen.len() - 1
                            };
                            let response = script(index, &request).map(Full::new);
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        server
    }

    /// A server answering every request with 200 and `{}`.
    pub async fn ok() -> Server {
        Server::start(|_, _| json(200, "{}")).await
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A response with a JSON body.
pub fn json(status: u16, body: &'static str) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Bytes::from_static(body.as_bytes()))
        .unwrap()
}

/// A hyper client with the shape the layers wrap.
pub fn transport() -> impl Service<
    Request<Bytes>,
    Response = Response<Bytes>,
    Error = BoxError,
    Future = impl Future<Output = Result<Response<Bytes>, BoxError>> + Send,
> + Clone
+ Send
+ Sync
+ 'static {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    tower::service_fn(move |request: Request<Bytes>| {
        let client = client.clone();
        async move {
            let response = client.request(request.map(Full::new)).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok::<_, BoxError>(Response::from_parts(parts, body))
        }
    })
}

/// A request to `url` carrying `meta`.
pub fn request(meta: &'static OperationMeta, url: &str) -> Request<Bytes> {
    let mut request = Request::builder()
        .method(meta.method.clone())
        .uri(url)
        .body(Bytes::new())
        .unwrap();
    request
        .extensions_mut()
        .insert(ampersand_core::CallContext::for_operation(meta));
    request
}

macro_rules! operation {
    ($name:ident, $id:literal, $method:ident, $path:literal, $auth:ident) => {
        pub static $name: OperationMeta = OperationMeta {
            operation_id: $id,
            method: Method::$method,
            path_template: $path,
            host: Host::Api,
            auth: AuthSchemes::$auth,
            idempotent: true,
        };
    };
}

operation!(
    GET_PROJECT,
    "getProject",
    GET,
    "/projects/{projectIdOrName}",
    API_KEY_OR_BEARER
);
operation!(CREATE_PROJECT, "createProject", POST, "/projects", BEARER);
operation!(LIST_PROVIDERS, "listProviders", GET, "/providers", NONE);
operation!(KEY_ONLY, "keyOnly", GET, "/key-only", API_KEY);
