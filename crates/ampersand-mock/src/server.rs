//! The server: binds a listener, serves every host under its own path prefix, applies faults
//! and authentication, and hands requests to the route handlers.
//!
//! URL layout (one listener):
//!
//! | prefix | serves |
//! |---|---|
//! | `/api/v1` | the platform API (`Host::Api`) |
//! | `/read/v1` | triggerRead, pauseReads, unpauseReads, deliverResults (`Host::Read`) |
//! | `/write/v1` | writeRecords (`Host::Write`) |
//! | `/search/v1` | searchRecords (`Host::Search`) |
//! | `/proxy` | the Proxy API (`Host::Proxy`), in `proxy/` |
//! | `/upload/{bucket}/{path}` | the signed-URL `PUT` that generateUploadUrl hands out |
//! | `/oauth/{session}` | the "provider consent page" of an OAuth URL: a `GET` completes the flow |
//! | `/_mock/state` | `GET`: the state as JSON (what `--dump-on-exit` writes) |

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ampersand_core::Host;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::conn::{self, FirstBytesDeadline, Limits};
use crate::faults::{FaultAction, FaultRule, Faults};
use crate::handlers;
use crate::jwt;
use crate::proxy::MockProxy;
use crate::query;
use crate::reply::{ApiError, Reply};
use crate::router::{self, Caller, Ctx, Match};
use crate::state::{self, State};

/// Settings the handlers read.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub(crate) origin: String,
    /// The bootstrap API key, valid for every project.
    pub(crate) bootstrap_key: String,
    /// How many `getOperation` calls an operation answers `in_progress` before it succeeds.
    pub(crate) operation_polls: u32,
}

/// The base URL of each host of a running mock.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockUrls {
    /// The platform API, `http://127.0.0.1:PORT/api/v1`.
    pub api: String,
    /// The read API, `http://127.0.0.1:PORT/read/v1`.
    pub read: String,
    /// The write API, `http://127.0.0.1:PORT/write/v1`.
    pub write: String,
    /// The search API, `http://127.0.0.1:PORT/search/v1`.
    pub search: String,
    /// The Proxy API, `http://127.0.0.1:PORT/proxy`.
    pub proxy: String,
}

impl MockUrls {
    fn new(origin: &str) -> MockUrls {
        MockUrls {
            api: format!("{origin}/api/v1"),
            read: format!("{origin}/read/v1"),
            write: format!("{origin}/write/v1"),
            search: format!("{origin}/search/v1"),
            proxy: format!("{origin}/proxy"),
        }
    }

    /// The base URL of `host`.
    pub fn of(&self, host: Host) -> &str {
        match host {
            Host::Read => &self.read,
            Host::Write => &self.write,
            Host::Search => &self.search,
            Host::Proxy => &self.proxy,
            _ => &self.api,
        }
    }
}

struct Shared {
    config: Config,
    state: Mutex<State>,
    faults: Faults,
    limits: Limits,
    proxy: crate::proxy::ProxyHost,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running in-memory Ampersand server.
///
/// The server stops when this value is dropped.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// let server = ampersand_mock::MockServer::start().await?;
/// println!("platform API at {} with key {}", server.urls().api, server.api_key());
/// # Ok(()) }
/// ```
pub struct MockServer {
    shared: Arc<Shared>,
    urls: MockUrls,
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a mock on `127.0.0.1` with a free port and the default state (one org, one
    /// project named `mock-project`).
    pub async fn start() -> std::io::Result<MockServer> {
        MockServer::builder().start().await
    }

    /// A builder to choose the address, key, seed and faults.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The proxy host: its fault knobs, installations to proxy to, its fake providers' records.
    pub fn proxy(&self) -> MockProxy<'_> {
        crate::proxy::MockProxy::new(&self.shared.proxy, &self.shared.state)
    }

    /// The base URL of each host.
    pub fn urls(&self) -> &MockUrls {
        &self.urls
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bootstrap API key, valid for every project.
    pub fn api_key(&self) -> &str {
        &self.shared.config.bootstrap_key
    }

    /// The fault knobs; changes apply to the next request.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// A copy of the state.
    pub fn state(&self) -> State {
        self.shared.state().clone()
    }

    /// The state as JSON, the format [`MockServerBuilder::seed`] accepts.
    pub fn dump(&self) -> Value {
        serde_json::to_value(&*self.shared.state()).unwrap_or(Value::Null)
    }

    /// Writes [`MockServer::dump`] to a file, pretty-printed.
    pub fn dump_to_file(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(&self.dump()).map_err(std::io::Error::other)?;
        std::fs::write(path, text)
    }

    /// The ID of the first org of the state (the bootstrap org of a fresh mock).
    pub fn org_id(&self) -> Option<String> {
        let state = self.shared.state();
        state
            .first_org()
            .and_then(|o| o["id"].as_str())
            .map(str::to_owned)
    }

    /// Stops accepting connections.
    pub fn shutdown(&self) {
        self.task.abort();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Configures a [`MockServer`].
#[derive(Debug, Default)]
pub struct MockServerBuilder {
    addr: Option<SocketAddr>,
    api_key: Option<String>,
    seed: Option<State>,
    faults: Option<Faults>,
    rules: Vec<FaultRule>,
    latency: Option<Duration>,
    operation_polls: Option<u32>,
    limits: Limits,
}

impl MockServerBuilder {
    /// The address to bind (default `127.0.0.1:0`, a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// Binds `127.0.0.1:port`.
    pub fn port(self, port: u16) -> Self {
        self.addr(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    /// The bootstrap API key (default: a random `amp_mock_…` key).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Starts from this state instead of the default one.
    pub fn seed(mut self, state: State) -> Self {
        self.seed = Some(state);
        self
    }

    /// Starts from a state in JSON (the format of [`MockServer::dump`]).
    pub fn seed_json(self, json: Value) -> Result<Self, serde_json::Error> {
        Ok(self.seed(serde_json::from_value(json)?))
    }

    /// Starts from a state read from a JSON file.
    pub fn seed_file(self, path: impl AsRef<Path>) -> std::io::Result<Self> {
        let text = std::fs::read(path)?;
        let state = serde_json::from_slice(&text).map_err(std::io::Error::other)?;
        Ok(self.seed(state))
    }

    /// Uses these fault knobs (e.g. [`Faults::with_seed`]) instead of fresh ones.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = Some(faults);
        self
    }

    /// Adds a fault rule from the start.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Adds latency to every request from the start.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = Some(latency);
        self
    }

    /// How many `getOperation` calls an operation answers `in_progress` before it reports
    /// `success` (default 1; 0 completes operations at their first poll).
    pub fn operation_polls(mut self, polls: u32) -> Self {
        self.operation_polls = Some(polls);
        self
    }

    /// The largest request body accepted (default 16 MiB). A request that declares a larger
    /// `Content-Length` is refused with `413` before its body is read; a streamed body is
    /// refused as soon as it passes the limit. Credentials are checked before any body is
    /// read.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_body_bytes = bytes;
        self
    }

    /// The time a client has to send a request's head (default 10 s): from its first byte on
    /// a new connection, and from the previous response on a kept-alive one. A connection
    /// silent or trickling its headers for longer is closed, as is one idle for longer
    /// between requests. HTTP/2 connections are pinged at this interval and closed when a
    /// ping goes unanswered for as long.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// The time a client has to send a request's whole body once its head has arrived
    /// (default 30 s); a slower body is answered with `408`.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.body_read_timeout = timeout;
        self
    }

    /// Binds the listener and starts serving.
    pub async fn start(self) -> std::io::Result<MockServer> {
        let addr = self
            .addr
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let origin = format!("http://{addr}");
        let faults = self.faults.unwrap_or_default();
        for rule in self.rules {
            faults.push(rule);
        }
        if let Some(latency) = self.latency {
            faults.set_latency(latency);
        }
        let shared = Arc::new(Shared {
            config: Config {
                origin: origin.clone(),
                bootstrap_key: self
                    .api_key
                    .unwrap_or_else(|| format!("amp_mock_{}", state::random_hex(16))),
                operation_polls: self.operation_polls.unwrap_or(1),
            },
            state: Mutex::new(self.seed.unwrap_or_else(State::bootstrap)),
            faults,
            limits: self.limits,
            proxy: crate::proxy::ProxyHost::default(),
        });
        let task = tokio::spawn(serve_connections(listener, shared.clone()));
        Ok(MockServer {
            shared,
            urls: MockUrls::new(&origin),
            addr,
            task,
        })
    }
}

async fn serve_connections(listener: TcpListener, shared: Arc<Shared>) {
    let builder = Arc::new(conn::http_builder(&shared.limits));
    conn::accept_loop(listener, move |stream| {
        let shared = shared.clone();
        let builder = builder.clone();
        tokio::spawn(async move {
            let io = FirstBytesDeadline::new(stream, shared.limits.header_read_timeout);
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { serve(shared, request).await }
            });
            let _ = builder.serve_connection(TokioIo::new(io), service).await;
        });
    })
    .await;
}

/// The error that makes hyper close a connection without an answer.
#[derive(Debug)]
struct DroppedByFault;

impl std::fmt::Display for DroppedByFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for DroppedByFault {}

async fn serve(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DroppedByFault> {
    let (parts, body) = request.into_parts();
    let request_id = state::uuid();
    let path = parts.uri.path().to_owned();
    let routed = route_of(&parts.method, &path);
    let operation_id = match &routed {
        Routed::Operation(Match::Found(route, _), _) => Some(route.operation_id),
        _ => None,
    };

    let decision = shared.faults.decide(operation_id, &path);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let response = match decision.fault {
        Some(FaultAction::Delay(_)) | None => {
            // Credentials first, then the body: an unauthenticated or oversized request is
            // answered without reading its body (hyper then closes the connection instead of
            // reading the rest).
            match authorize(&shared, &routed, &parts.headers) {
                Err(error) => error.into_response(&request_id),
                Ok(caller) => match read_body(&shared.limits, &parts.headers, body).await {
                    Err(BodyError::Dropped) => return Err(DroppedByFault),
                    Err(BodyError::Refused(error)) => error.into_response(&request_id),
                    Ok(body) => match routed {
                        // The proxy host checks its own headers and key.
                        Routed::Proxy => {
                            let key = &shared.config.bootstrap_key;
                            let (proxy, state) = (&shared.proxy, &shared.state);
                            crate::proxy::serve(proxy, state, key, &parts, &body, &request_id).await
                        }
                        routed => dispatch(&shared, routed, caller, &parts, &body, &request_id),
                    },
                },
            }
        }
        // An injected failure happens after the request arrived, as a server's would: the
        // body is read (within the limits) first, so that the client sees the answer or the
        // dropped connection, not a reset while it is still sending.
        Some(FaultAction::Drop) => {
            drain(&shared.limits, &parts.headers, body).await?;
            return Err(DroppedByFault);
        }
        Some(FaultAction::Status(status)) => {
            drain(&shared.limits, &parts.headers, body).await?;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            ApiError::new(status, "injected fault")
                .remedy("This failure was injected by the mock's fault rules; retry the request.")
                .into_response(&request_id)
        }
        Some(FaultAction::RateLimit(retry_after)) => {
            drain(&shared.limits, &parts.headers, body).await?;
            let mut error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate limit exceeded (injected fault)",
            )
            .remedy("Wait for the number of seconds in Retry-After, then retry.");
            error.retry_after_secs = Some(retry_after.as_secs().max(1));
            error.into_response(&request_id)
        }
    };
    let (mut parts, body) = response.into_parts();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        parts.headers.insert("x-request-id", value);
    }
    Ok(Response::from_parts(parts, Full::new(body)))
}

/// Reads and discards a body within the limits (one too large or too slow is left unread).
async fn drain(
    limits: &Limits,
    headers: &http::HeaderMap,
    body: Incoming,
) -> Result<(), DroppedByFault> {
    match read_body(limits, headers, body).await {
        Err(BodyError::Dropped) => Err(DroppedByFault),
        Ok(_) | Err(BodyError::Refused(_)) => Ok(()),
    }
}

/// Authenticates a request to an operation (other paths need no credentials).
fn authorize(
    shared: &Shared,
    routed: &Routed,
    headers: &http::HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    match routed {
        Routed::Operation(Match::Found(route, _), _) => {
            let state = shared.state();
            authenticate(route, headers, &state, &shared.config)
                .map(Some)
                .map_err(|e| handlers::error_format(route, e))
        }
        _ => Ok(None),
    }
}

/// Why a request body was not read.
enum BodyError {
    /// Answer with this error (too large, too slow).
    Refused(ApiError),
    /// The connection failed while reading.
    Dropped,
}

/// Reads a request body within the limits: a declared `Content-Length` above the limit is
/// refused before any byte is read, a streamed body as soon as it passes the limit, and a body
/// that does not arrive within the body-read timeout is refused too.
async fn read_body(
    limits: &Limits,
    headers: &http::HeaderMap,
    body: Incoming,
) -> Result<Bytes, BodyError> {
    let limit = limits.max_body_bytes;
    let too_large = || {
        BodyError::Refused(
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body exceeds the mock's limit of {limit} bytes"),
            )
            .remedy("Send a smaller body, or start the mock with a larger --max-body-bytes."),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let read = http_body_util::Limited::new(body, limit).collect();
    match tokio::time::timeout(limits.body_read_timeout, read).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(_)) => Err(BodyError::Dropped),
        Err(_) => Err(BodyError::Refused(
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive within the body-read timeout",
            )
            .remedy("Send the body without pauses."),
        )),
    }
}

/// What a path addresses.
enum Routed {
    /// An operation of a host (with the path relative to the host's base URL).
    Operation(Match, String),
    /// The signed-URL upload endpoint (`bucket/path`).
    Upload(String),
    /// The OAuth consent page of a session.
    OAuth(String),
    /// The state dump.
    State,
    /// The Proxy API host.
    Proxy,
    /// Nothing.
    Unknown,
}

fn route_of(method: &Method, path: &str) -> Routed {
    let hosts = [
        ("/api/v1", Host::Api),
        ("/read/v1", Host::Read),
        ("/write/v1", Host::Write),
        ("/search/v1", Host::Search),
    ];
    for (prefix, host) in hosts {
        if let Some(rest) = path.strip_prefix(prefix)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return Routed::Operation(router::find(host, method, rest), rest.to_owned());
        }
    }
    if let Some(rest) = path.strip_prefix("/upload/") {
        return Routed::Upload(rest.to_owned());
    }
    if let Some(rest) = path.strip_prefix("/oauth/") {
        return Routed::OAuth(rest.to_owned());
    }
    if path == "/proxy" || path.starts_with("/proxy/") {
        return Routed::Proxy;
    }
    if path == "/_mock/state" {
        return Routed::State;
    }
    Routed::Unknown
}

fn dispatch(
    shared: &Shared,
    routed: Routed,
    caller: Option<Caller>,
    parts: &http::request::Parts,
    body: &Bytes,
    request_id: &str,
) -> Response<Bytes> {
    let result = match routed {
        Routed::Operation(Match::Found(route, params), _) => {
            let query = router::parse_query(parts.uri.query());
            let caller = caller.unwrap_or(Caller::Anonymous);
            query::check(route, &query)
                .and_then(|()| {
                    if let Caller::Embedded(token) = &caller {
                        jwt::check_group(token, &query, body)?;
                    }
                    let mut state = shared.state();
                    let mut ctx = Ctx {
                        state: &mut state,
                        route,
                        params,
                        query,
                        body,
                        headers: &parts.headers,
                        config: &shared.config,
                        caller,
                    };
                    (route.handler)(&mut ctx)
                })
                .map_err(|e| handlers::error_format(route, e))
        }
        Routed::Operation(Match::MethodNotAllowed, rest) => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} is not allowed on {rest}", parts.method),
        )
        .remedy("Use a method the spec declares for this path.")),
        Routed::Upload(key) if parts.method == Method::PUT => {
            handlers::integrations::receive_upload(&mut shared.state(), &key, &parts.headers, body)
        }
        Routed::OAuth(session) if parts.method == Method::GET => {
            handlers::connections::complete_oauth(&mut shared.state(), &session)
        }
        Routed::State if parts.method == Method::GET => Ok(Reply::ok(
            serde_json::to_value(&*shared.state()).unwrap_or(Value::Null),
        )),
        Routed::Upload(_) | Routed::OAuth(_) | Routed::State => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} is not allowed here", parts.method),
        )
        .remedy("Uploads take PUT; the OAuth consent page and the state dump take GET.")),
        // Served by `crate::proxy::serve`, never dispatched.
        Routed::Proxy => Err(ApiError::new(StatusCode::NOT_FOUND, "not a platform route")),
        Routed::Operation(Match::NotFound, _) | Routed::Unknown => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no operation at {} {}", parts.method, parts.uri.path()),
        )
        .remedy(
            "Check the base URL: the mock serves /api/v1, /read/v1, /write/v1 and /search/v1.",
        )),
    };
    match result {
        Ok(reply) => {
            let mut response = Response::new(reply.body);
            *response.status_mut() = reply.status;
            if let Some(ct) = reply.content_type {
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
            }
            response
        }
        Err(error) => error.into_response(request_id),
    }
}

/// Checks the credentials a route accepts.
fn authenticate(
    route: &router::Route,
    headers: &http::HeaderMap,
    state: &State,
    config: &Config,
) -> Result<Caller, ApiError> {
    if route.auth.is_anonymous() {
        return Ok(Caller::Anonymous);
    }
    let api_key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if route.auth.bearer
        && let Some(token) = bearer
    {
        if !jwt::is_jwt(token) {
            return Ok(Caller::Bearer);
        }
        let embedded = jwt::verify(token, state)?;
        if !route.auth.api_key {
            return Err(ApiError::unauthorized(format!(
                "{} is a builder operation; an embedded-UI token (for consumer '{}') is not \
                 accepted there",
                route.operation_id, embedded.consumer_ref
            )));
        }
        return Ok(Caller::Embedded(embedded));
    }
    if route.auth.api_key
        && let Some(key) = api_key
    {
        if key == config.bootstrap_key {
            return Ok(Caller::BootstrapKey);
        }
        return match state.api_keys.get(key) {
            Some(k) if k["active"].as_bool() != Some(false) => Ok(Caller::ProjectKey {
                project_id: state::s(k, "projectId").to_owned(),
            }),
            Some(_) => Err(ApiError::unauthorized("the API key is inactive")),
            None => Err(ApiError::unauthorized("the API key is not known")),
        };
    }
    Err(if !route.auth.api_key {
        ApiError::unauthorized(format!(
            "{} needs `Authorization: Bearer <token>` (API keys are not accepted)",
            route.operation_id
        ))
    } else if route.auth.bearer {
        ApiError::unauthorized("missing credentials: send X-Api-Key or Authorization: Bearer")
    } else {
        ApiError::unauthorized("missing credentials: send X-Api-Key")
    })
}
