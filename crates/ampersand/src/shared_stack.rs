//! The HTTP stack a [`Client`](crate::Client) and its clones share (and, the same way, a
//! transport supplied by the user).
//!
//! A tower service is called through `&mut self` after `poll_ready`, so a shared stack is
//! cloned per call. `BoxCloneSyncService` does that with two allocations per call (the cloned
//! box, then the boxed response future). [`SharedStack`] keeps the typed stack behind one
//! `Arc` and clones it straight into the call's future, which is the only allocation.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ampersand_core::Error;
use bytes::Bytes;
use tower::util::{BoxCloneSyncService, Oneshot};
use tower::{Service, ServiceExt};

/// The boxed future of one call through the stack.
pub(crate) type CallFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, Error>> + Send + 'static>>;

/// Sends requests through a stack that its holders share.
trait SendThrough: Send + Sync {
    /// Clones the stack into a future that waits for it to be ready, then calls it.
    fn send(&self, request: http::Request<Bytes>) -> CallFuture;
}

impl<S> SendThrough for S
where
    S: Service<http::Request<Bytes>, Response = http::Response<Bytes>, Error = Error>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    fn send(&self, request: http::Request<Bytes>) -> CallFuture {
        let call: Oneshot<S, http::Request<Bytes>> = self.clone().oneshot(request);
        Box::pin(call)
    }
}

/// A typed HTTP stack behind one `Arc`; cloning it is a reference-count increment.
#[derive(Clone)]
pub(crate) struct SharedStack(Arc<dyn SendThrough>);

impl SharedStack {
    /// Shares `stack`.
    pub(crate) fn new<S>(stack: S) -> Self
    where
        S: Service<http::Request<Bytes>, Response = http::Response<Bytes>, Error = Error>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        SharedStack(Arc::new(stack))
    }

    /// Sends one request through a clone of the stack.
    pub(crate) fn send(&self, request: http::Request<Bytes>) -> CallFuture {
        self.0.send(request)
    }

    /// The stack as a boxed tower service (always ready; readiness is awaited per call).
    pub(crate) fn http_service(
        &self,
    ) -> BoxCloneSyncService<http::Request<Bytes>, http::Response<Bytes>, Error> {
        BoxCloneSyncService::new(self.clone())
    }
}

impl Service<http::Request<Bytes>> for SharedStack {
    type Response = http::Response<Bytes>;
    type Error = Error;
    type Future = CallFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Bytes>) -> CallFuture {
        self.send(request)
    }
}
