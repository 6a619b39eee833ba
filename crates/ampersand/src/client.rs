//! The [`Client`]: a `tower::Service` for every operation.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ampersand_core::{Error, Execute, Operation};
use bytes::Bytes;
use tower::Service;
use tower::util::BoxCloneSyncService;

use crate::base_url::BaseUrls;
use crate::builder::ClientBuilder;
use crate::shared_stack::SharedStack;
use crate::transport::TransportConfig;

/// The HTTP stack a client drives: every layer and the transport, boxed.
pub type HttpService = BoxCloneSyncService<http::Request<Bytes>, http::Response<Bytes>, Error>;

/// A client of the Ampersand API.
///
/// Cheap to clone (an `Arc` and a boxed service) and safe to share across tasks: clones share
/// the connection pool, the retry budget, the rate limiter and the token cache.
///
/// Send an operation with [`Client::send`], through the per-tag accessors
/// (`client.projects().get("my-project")`), or drive the client as a
/// `tower::Service<O>` for any operation `O`, which lets it sit under your own tower
/// middleware.
///
/// ```no_run
/// # async fn demo() -> Result<(), ampersand::Error> {
/// use ampersand::Client;
/// use ampersand::resources::projects::GetProject;
///
/// let client = Client::builder().api_key("amp_...").build()?;
/// let project = client.send(GetProject::new("my-project")).await?;
/// let same = client.projects().get("my-project").await?;
/// # let _ = (project, same);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    stack: SharedStack,
    base_urls: Arc<BaseUrls>,
    /// The builder's transport settings (TLS, proxy), for transports the client makes
    /// apart from its stack: the deploy workflow's signed upload.
    transport_config: Arc<TransportConfig>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_urls", &self.base_urls)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with the default stack.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client over an already assembled HTTP stack. The stack receives requests with absolute
    /// URIs (joined to `base_urls`) and the call's [`CallContext`](ampersand_core::CallContext)
    /// in their extensions.
    pub fn from_service(service: HttpService, base_urls: BaseUrls) -> Self {
        Client::from_stack(SharedStack::new(service), base_urls)
    }

    /// A client over a shared typed stack (the builder's path: no box around the stack).
    pub(crate) fn from_stack(stack: SharedStack, base_urls: BaseUrls) -> Self {
        Client {
            stack,
            base_urls: Arc::new(base_urls),
            transport_config: Arc::default(),
        }
    }

    /// Records the builder's transport settings (see [`Client::transport_config`]).
    pub(crate) fn with_transport_config(mut self, config: TransportConfig) -> Self {
        self.transport_config = Arc::new(config);
        self
    }

    /// The transport settings the client was built with (the defaults for
    /// [`Client::from_service`]): a plain transport made apart from the stack (the deploy
    /// workflow's upload) uses the same TLS roots and egress proxy.
    #[cfg_attr(not(feature = "manifest"), allow(dead_code))]
    pub(crate) fn transport_config(&self) -> &TransportConfig {
        &self.transport_config
    }

    /// The base URLs this client sends to.
    pub fn base_urls(&self) -> &BaseUrls {
        &self.base_urls
    }

    /// Sends an operation and decodes its output.
    ///
    /// The operation is encoded at once; the returned future owns everything it needs
    /// (`'static`), so it can be spawned.
    pub fn send<O>(
        &self,
        operation: O,
    ) -> impl Future<Output = Result<O::Output, Error>> + Send + 'static
    where
        O: Operation + 'static,
        O::Output: Send + 'static,
    {
        let call = self
            .prepare(&operation)
            .map(|request| self.stack.send(request));
        async move {
            let response = call?.await.map_err(with_operation::<O>)?;
            O::decode(response).map_err(|error| error.with_operation(O::META.operation_id))
        }
    }

    /// Encodes an operation into the request the stack receives: its
    /// [`CallContext`](ampersand_core::CallContext) attached, its URI made absolute against the
    /// operation's host.
    pub fn prepare<O: Operation>(&self, operation: &O) -> Result<http::Request<Bytes>, Error> {
        let meta = O::META;
        let mut request = operation
            .to_request()
            .map_err(|error| error.with_operation(meta.operation_id))?;
        let uri = self
            .base_urls
            .get(meta.host)
            .join(request.uri().path_and_query())
            .map_err(|error| error.with_operation(meta.operation_id))?;
        *request.uri_mut() = uri;
        Ok(request)
    }

    /// The typed stack itself, shared (the proxy sends through it).
    pub(crate) fn stack(&self) -> &SharedStack {
        &self.stack
    }

    /// The HTTP stack, for sending raw requests through the same layers.
    pub fn http_service(&self) -> HttpService {
        self.stack.http_service()
    }
}

fn with_operation<O: Operation>(error: Error) -> Error {
    if error.operation_id().is_some() {
        error
    } else {
        error.with_operation(O::META.operation_id)
    }
}

/// The future of `<Client as Service<O>>::call`.
pub type ResponseFuture<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>;

impl<O> Service<O> for Client
where
    O: Operation + 'static,
    O::Output: Send + 'static,
{
    type Response = O::Output;
    type Error = Error;
    type Future = ResponseFuture<O::Output>;

    /// Always ready: each call drives its own clone of the stack, so readiness (rate limits,
    /// concurrency) is awaited inside the call.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, operation: O) -> Self::Future {
        Box::pin(self.send(operation))
    }
}

impl Execute for Client {
    fn execute<O>(&self, operation: O) -> impl Future<Output = Result<O::Output, Error>> + Send
    where
        O: Operation + 'static,
        O::Output: Send + 'static,
    {
        self.send(operation)
    }
}
