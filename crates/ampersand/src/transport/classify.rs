//! What a failure of hyper-util's client means for the caller and the retry policy.
//!
//! hyper-util reports every failure as one opaque error ("client error (Connect)",
//! "client error (SendRequest)"); the cause sits deep in its source chain, sometimes inside
//! an `io::Error` (rustls's errors reach hyper-rustls's caller that way). This walks the
//! chain and names the cause:
//!
//! | cause | kind | retried |
//! |---|---|---|
//! | a rustls error (unknown CA, wrong name, expired certificate, no common protocol) | [`ErrorKind::Tls`] | no: the same handshake would fail again |
//! | the egress proxy refused the tunnel (`407`, another non-200 answer) | [`ErrorKind::Proxy`] | no |
//! | any other failure to connect (refused, unreachable, timed out, the proxy unreachable) | [`ErrorKind::Connect`] | always: nothing was sent |
//! | HTTP/2 `GOAWAY` whose last stream id is below the request's stream | [`ErrorKind::Connect`] | always: the server says it did not process it (RFC 9113, section 6.8) |
//! | HTTP/2 `RST_STREAM` with `REFUSED_STREAM` | [`ErrorKind::Connect`] | always: the same promise (RFC 9113, section 8.7) |
//! | anything else after the request may have been written | [`ErrorKind::Transport`] | only idempotent calls |
//!
//! [`ErrorKind::Tls`]: ampersand_core::ErrorKind::Tls
//! [`ErrorKind::Proxy`]: ampersand_core::ErrorKind::Proxy
//! [`ErrorKind::Connect`]: ampersand_core::ErrorKind::Connect
//! [`ErrorKind::Transport`]: ampersand_core::ErrorKind::Transport

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use ampersand_core::Error;
use rustls::CertificateError;

use super::connector::ProxyRefused;

/// The SDK error for a failure of hyper-util's client. See the [module docs](self).
#[cold]
pub(crate) fn classify(error: hyper_util::client::legacy::Error) -> Error {
    if let Some(tls) = find::<rustls::Error>(&error) {
        return Error::tls(tls_cause(tls), tls.clone());
    }
    if find::<ProxyRefused>(&error).is_some() {
        return Error::proxy(
            "the egress proxy refused the tunnel",
            Some(Box::new(Chain(error))),
        );
    }
    if error.is_connect() {
        return Error::connect(Chain(error));
    }
    if let Some(h2) = find::<h2::Error>(&error)
        && h2.is_remote()
    {
        if h2.is_go_away() {
            return Error::unprocessed(
                "the server is closing the HTTP/2 connection (GOAWAY) and did not process \
                 the request",
                Chain(error),
            );
        }
        if h2.is_reset() && h2.reason() == Some(h2::Reason::REFUSED_STREAM) {
            return Error::unprocessed(
                "the server refused the HTTP/2 stream (REFUSED_STREAM) before processing it",
                Chain(error),
            );
        }
    }
    Error::transport(Chain(error))
}

/// What a person needs to know about a failed handshake.
fn tls_cause(error: &rustls::Error) -> Cow<'static, str> {
    use rustls::Error as E;
    match error {
        E::InvalidCertificate(CertificateError::UnknownIssuer) => Cow::Borrowed(
            "TLS: the server's certificate is not signed by a trusted certificate authority \
             (for a private CA, add its root with ClientBuilder::add_root_certificates_pem)",
        ),
        E::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => Cow::Borrowed("TLS: the server's certificate is not valid for the host name"),
        E::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => Cow::Borrowed("TLS: the server's certificate has expired"),
        E::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => Cow::Borrowed("TLS: the server's certificate is not valid yet"),
        E::InvalidCertificate(CertificateError::Revoked) => {
            Cow::Borrowed("TLS: the server's certificate is revoked")
        }
        E::InvalidCertificate(_) => Cow::Borrowed("TLS: the server's certificate was rejected"),
        E::AlertReceived(_) => Cow::Borrowed("TLS: the server ended the handshake with an alert"),
        E::PeerIncompatible(_) => {
            Cow::Borrowed("TLS: the server has no protocol version or cipher suite in common")
        }
        _ => Cow::Borrowed("TLS: the handshake failed"),
    }
}

/// The first error of type `T` in `error`'s source chain. An `io::Error` made with
/// `io::Error::new(kind, inner)` hides `inner` from `source()` (it returns `inner.source()`),
/// so each `io::Error` is opened with `get_ref` as well.
fn find<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(found) = current.downcast_ref::<T>() {
            return Some(found);
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(found) = find::<T>(inner)
        {
            return Some(found);
        }
        next = current.source();
    }
    None
}

/// hyper-util's error shown with its whole chain (`client error (Connect): tcp connect
/// error: Connection refused`), not only its first line; `source()` still walks the chain.
struct Chain(hyper_util::client::legacy::Error);

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            write!(f, ": {cause}")?;
            next = cause.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl StdError for Chain {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}
