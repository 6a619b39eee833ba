//! [`Resend`]: how to make a call's request again, so the retry layer need not copy it.
//!
//! To resend a request, the retry layer needs it again after the first attempt consumed it.
//! Without help it keeps a copy made before the first attempt: its headers, its extensions
//! and its URI cloned for every call, though most calls succeed the first time. Whoever made
//! the request can do better: it can make the same request again, and only when a resend is
//! due. The `ampersand` client attaches a `Resend` that encodes the operation again; the
//! retry layer then keeps no copy, and calls it only after a failed attempt that may be
//! retried.
//!
//! The contract is the caller's to keep: the function must return the request exactly as the
//! retry layer received it, so attach it only where no layer between the maker and the retry
//! layer changes the request (the client attaches it only when you added no layers of your
//! own). The retry layer adds the call's deadline and attempt number to what it returns, as
//! to a copy.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::context::CallContext;
use crate::error::Error;

/// Makes the request of a call again, for a resend; in the request's extensions.
///
/// ```
/// use ampersand_core::Resend;
/// use bytes::Bytes;
///
/// let make = || {
///     http::Request::get("https://api.withampersand.com/v1/providers")
///         .body(Bytes::new())
///         .map_err(|e| ampersand_core::Error::encode(e.to_string()))
/// };
/// let mut request = make().unwrap();
/// Resend::new(make).attach(&mut request);
/// assert!(Resend::of(&request).is_some());
/// ```
#[derive(Clone)]
pub struct Resend(Arc<dyn Fn() -> Result<http::Request<Bytes>, Error> + Send + Sync>);

impl Resend {
    /// A resend that calls `make` for each new attempt's request.
    pub fn new(
        make: impl Fn() -> Result<http::Request<Bytes>, Error> + Send + Sync + 'static,
    ) -> Self {
        Resend(Arc::new(make))
    }

    /// The resend attached to a request, if any: in its [`CallContext`], else as an
    /// extension of its own.
    pub fn of<B>(request: &http::Request<B>) -> Option<&Resend> {
        CallContext::of(request)
            .and_then(CallContext::resend)
            .or_else(|| request.extensions().get::<Resend>())
    }

    /// Attaches the resend to a request: in its [`CallContext`] when it has one (no
    /// allocation), else as an extension of its own.
    pub fn attach<B>(self, request: &mut http::Request<B>) {
        match CallContext::of_mut(request) {
            Some(context) => context.set_resend(self),
            None => {
                request.extensions_mut().insert(self);
            }
        }
    }

    /// The request again.
    pub fn make(&self) -> Result<http::Request<Bytes>, Error> {
        (self.0)()
    }
}

impl fmt::Debug for Resend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resend(..)")
    }
}
