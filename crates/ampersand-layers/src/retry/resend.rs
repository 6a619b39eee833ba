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
//! own). The retry layer adds the call's [`Deadline`](crate::timeout::Deadline) and the
//! [`AttemptNumber`](crate::attempt::AttemptNumber) to what it returns, as to a copy.

use std::fmt;
use std::sync::Arc;

use ampersand_core::Error;
use bytes::Bytes;

/// Makes the request of a call again, for a resend; in the request's extensions.
///
/// ```
/// use ampersand_layers::retry::Resend;
/// use bytes::Bytes;
///
/// let make = || {
///     http::Request::get("https://api.withampersand.com/v1/providers")
///         .body(Bytes::new())
///         .map_err(|e| ampersand_core::Error::encode(e.to_string()))
/// };
/// let mut request = make().unwrap();
/// request.extensions_mut().insert(Resend::new(make));
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

    /// The resend attached to a request, if any.
    pub fn of<B>(request: &http::Request<B>) -> Option<&Resend> {
        request.extensions().get::<Resend>()
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
