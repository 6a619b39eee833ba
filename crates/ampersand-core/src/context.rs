//! [`CallContext`]: what the layers need to know about one call, in one extension.
//!
//! A request's extensions are a map of boxed values: each value put in costs an allocation
//! and an insertion into the map. A call of the client carries three things for the layers
//! below it: the operation's [`OperationMeta`], how to make the request again ([`Resend`]),
//! and the instant by which the call must be over. [`Operation::to_request`] puts in one
//! `CallContext` holding the first; the client and the retry layer fill in the others in
//! place, which costs a lookup instead of an allocation.
//!
//! A request made another way (by hand, or by a client of your own) may carry each of them
//! as an extension of its own: [`OperationMeta::of`], [`Resend::of`] and the layers' deadline
//! look in the context first, then for that extension.
//!
//! [`Operation::to_request`]: crate::Operation::to_request

use std::time::Instant;

use crate::operation::OperationMeta;
use crate::resend::Resend;

/// The per-call values the layers read and write, in a request's extensions; see the
/// [module docs](self).
///
/// ```
/// use ampersand_core::{CallContext, Operation, OperationMeta};
/// # use ampersand_core::{AuthSchemes, Error, Host};
/// # use bytes::Bytes;
/// # struct Ping;
/// # impl Operation for Ping {
/// #     type Output = ();
/// #     const META: &'static OperationMeta = &OperationMeta {
/// #         operation_id: "ping", method: http::Method::GET, path_template: "/ping",
/// #         host: Host::Api, auth: AuthSchemes::NONE, idempotent: true,
/// #     };
/// #     fn encode(&self) -> Result<http::Request<Bytes>, Error> {
/// #         Ok(http::Request::get("/ping").body(Bytes::new()).unwrap())
/// #     }
/// #     fn decode(_: http::Response<Bytes>) -> Result<(), Error> { Ok(()) }
/// # }
///
/// let request = Ping.to_request().unwrap();
/// let context = CallContext::of(&request).unwrap();
/// assert_eq!(context.meta().operation_id, "ping");
/// assert!(context.deadline().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct CallContext {
    meta: &'static OperationMeta,
    resend: Option<Resend>,
    deadline: Option<Instant>,
}

impl CallContext {
    /// The context of a call of the operation `meta` describes, with nothing else known yet.
    pub fn new(meta: &'static OperationMeta) -> Self {
        CallContext {
            meta,
            resend: None,
            deadline: None,
        }
    }

    /// The context attached to a request, if any.
    pub fn of<B>(request: &http::Request<B>) -> Option<&CallContext> {
        request.extensions().get::<CallContext>()
    }

    /// The context attached to a request, to fill in.
    pub fn of_mut<B>(request: &mut http::Request<B>) -> Option<&mut CallContext> {
        request.extensions_mut().get_mut::<CallContext>()
    }

    /// The operation's static description.
    pub fn meta(&self) -> &'static OperationMeta {
        self.meta
    }

    /// How to make the request again, when its maker said.
    pub fn resend(&self) -> Option<&Resend> {
        self.resend.as_ref()
    }

    /// Says how to make the request again.
    pub fn set_resend(&mut self, resend: Resend) {
        self.resend = Some(resend);
    }

    /// The instant by which the whole call must be over, once the retry layer (or the
    /// deadline layer) has set it.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Sets the instant by which the whole call must be over.
    pub fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{AuthSchemes, Host};
    use bytes::Bytes;

    static PING: OperationMeta = OperationMeta {
        operation_id: "ping",
        method: http::Method::GET,
        path_template: "/ping",
        host: Host::Api,
        auth: AuthSchemes::NONE,
        idempotent: true,
    };

    fn request() -> http::Request<Bytes> {
        http::Request::get("/ping").body(Bytes::new()).unwrap()
    }

    fn resend() -> Resend {
        Resend::new(|| Ok(request()))
    }

    #[test]
    fn a_request_with_a_context_keeps_everything_in_it() {
        let mut with_context = request();
        with_context
            .extensions_mut()
            .insert(CallContext::new(&PING));
        resend().attach(&mut with_context);

        assert_eq!(with_context.extensions().len(), 1);
        assert_eq!(OperationMeta::of(&with_context), Some(&PING));
        assert!(Resend::of(&with_context).is_some());
        assert!(CallContext::of(&with_context).unwrap().resend().is_some());

        let at = Instant::now();
        CallContext::of_mut(&mut with_context)
            .unwrap()
            .set_deadline(at);
        assert_eq!(CallContext::of(&with_context).unwrap().deadline(), Some(at));
        assert_eq!(with_context.extensions().len(), 1);
    }

    #[test]
    fn a_request_without_one_carries_each_value_as_its_own_extension() {
        let mut bare = request();
        assert_eq!(OperationMeta::of(&bare), None);
        assert!(Resend::of(&bare).is_none());

        bare.extensions_mut().insert(&PING);
        resend().attach(&mut bare);
        assert!(CallContext::of(&bare).is_none());
        assert_eq!(bare.extensions().len(), 2);
        assert_eq!(OperationMeta::of(&bare), Some(&PING));
        assert!(Resend::of(&bare).is_some());
    }
}
