//! The TCP connector under TLS: straight to the server, through a `CONNECT` tunnel of the
//! egress proxy (`https://` destinations), or to the proxy itself (`http://` destinations,
//! which the proxy forwards).
//!
//! The tunnel is hyper-util's [`Tunnel`]; the choice of proxy is hyper-util's [`Matcher`].
//! What is added here is the choice between the three routes per destination and the
//! errors: a proxy that refuses the tunnel becomes a [`ProxyRefused`], which the transport
//! reports as [`ErrorKind::Proxy`](ampersand_core::ErrorKind::Proxy) (not retried) rather
//! than as a connection failure (retried).

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ampersand_core::BoxError;
use http::Uri;
use http::uri::Scheme;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower::{Service, ServiceExt};

/// Connects to a destination directly or through the configured egress proxy.
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    proxy: Option<Arc<Matcher>>,
}

impl ProxyConnector {
    pub(crate) fn new(http: HttpConnector, proxy: Option<Arc<Matcher>>) -> Self {
        ProxyConnector { http, proxy }
    }
}

type Connecting = Pin<Box<dyn Future<Output = Result<ProxyStream, BoxError>> + Send>>;

impl Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    // Boxed: a connection is made once per pooled connection, and hyper-util's own
    // connector futures are boxed too.
    type Future = Connecting;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, destination: Uri) -> Connecting {
        let intercept = self
            .proxy
            .as_ref()
            .and_then(|matcher| matcher.intercept(&destination));
        let mut http = self.http.clone();
        match intercept {
            None => Box::pin(async move {
                let stream = http.call(destination).await?;
                Ok(ProxyStream::new(stream, false))
            }),
            Some(proxy) if destination.scheme() == Some(&Scheme::HTTPS) => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), http);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                Box::pin(async move {
                    let stream = tunnel
                        .ready()
                        .await
                        .map_err(tunnel_error)?
                        .call(destination)
                        .await
                        .map_err(tunnel_error)?;
                    Ok(ProxyStream::new(stream, false))
                })
            }
            // Plain http through the proxy: connect to the proxy, which receives the request
            // in absolute form (`Connected::proxy`) with `Proxy-Authorization` (added by the
            // transport, per request).
            Some(proxy) => Box::pin(async move {
                let stream = http.call(proxy.uri().clone()).await?;
                Ok(ProxyStream::new(stream, true))
            }),
        }
    }
}

/// A tunnel failure: a refusal when the proxy answered (`407`, any other non-200 answer to
/// `CONNECT`), else a connection failure (the proxy could not be reached, or hung up). The
/// tunnel's error type is private to hyper-util; whether it has a source (the I/O or
/// connect error) is what tells the two apart.
fn tunnel_error<E: StdError + Send + Sync + 'static>(error: E) -> BoxError {
    if error.source().is_some() {
        Box::new(error)
    } else {
        Box::new(ProxyRefused(Box::new(error)))
    }
}

/// The egress proxy answered the `CONNECT` with a refusal; nothing reached the server.
#[derive(Debug)]
pub(crate) struct ProxyRefused(BoxError);

impl fmt::Display for ProxyRefused {
    /// hyper-util's description (`tunnel error: proxy authorization required`); it has no
    /// source of its own.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for ProxyRefused {}

/// A TCP connection, to the server or to the proxy; `forwarded` when the proxy receives
/// the requests (plain http through a proxy), so that hyper writes them in absolute form.
#[derive(Debug)]
pub(crate) struct ProxyStream {
    io: TokioIo<TcpStream>,
    forwarded: bool,
}

impl ProxyStream {
    fn new(io: TokioIo<TcpStream>, forwarded: bool) -> Self {
        ProxyStream { io, forwarded }
    }
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.forwarded)
    }
}

impl Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}
