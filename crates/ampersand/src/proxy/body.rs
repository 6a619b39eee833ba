//! [`ProxyBody`]: the request bodies a [`Proxy`](super::Proxy) accepts.

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Body;

mod sealed {
    pub trait Sealed {}
}

/// A request body already in memory: `Bytes`, `String`, `Vec<u8>`, `&'static str`,
/// `&'static [u8]`, `()` (no body) or `http_body_util::Full<Bytes>`.
///
/// Sealed: the stack sends `Bytes` (a retry resends the same body), so only bodies that are
/// whole in memory are accepted.
pub trait ProxyBody: sealed::Sealed + Send + 'static {
    /// The body's bytes.
    fn into_bytes(self) -> Bytes;
}

macro_rules! from_into_bytes {
    ($($ty:ty),*) => {$(
        impl sealed::Sealed for $ty {}
        impl ProxyBody for $ty {
            fn into_bytes(self) -> Bytes {
                Bytes::from(self)
            }
        }
    )*};
}

from_into_bytes!(Bytes, String, Vec<u8>, &'static str, &'static [u8]);

impl sealed::Sealed for () {}
impl ProxyBody for () {
    fn into_bytes(self) -> Bytes {
        Bytes::new()
    }
}

impl sealed::Sealed for Full<Bytes> {}
impl ProxyBody for Full<Bytes> {
    fn into_bytes(self) -> Bytes {
        // `Full` holds its one frame and answers at once, so one poll with a no-op waker reads it.
        let mut body = pin!(self);
        let mut cx = Context::from_waker(Waker::noop());
        match body.as_mut().poll_frame(&mut cx) {
            Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
            Poll::Ready(Some(Err(never))) => match never {},
            Poll::Ready(None) | Poll::Pending => Bytes::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_gives_its_bytes() {
        assert_eq!(Full::new(Bytes::from_static(b"full")).into_bytes(), "full");
        assert_eq!(Full::<Bytes>::default().into_bytes(), "");
        assert_eq!(ProxyBody::into_bytes(String::from("s")), "s");
        assert_eq!(vec![1u8, 2].into_bytes(), Bytes::from_static(&[1, 2]));
        assert_eq!(().into_bytes(), "");
    }
}
