//! Connections: the accept loop (with a back-off when accepting fails), the limits every
//! connection gets (header-read, idle and first-bytes timeouts, HTTP/2 keep-alive), and the
//! settings that bound what one client can hold of the server.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

/// What one client may send and how long it may take: the mock is meant to be shared by a
/// team, so no client can hold memory or connections without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The largest request body accepted; a larger one is refused with `413` before it is
    /// read (from `Content-Length`) or as soon as the streamed body passes it.
    pub(crate) max_body_bytes: usize,
    /// The time a client has to send a request's head (from the connection's first byte, or
    /// from the end of the previous response on a kept-alive connection). A connection that
    /// is silent or trickles its headers for longer is closed, and so is a kept-alive
    /// connection idle for longer.
    pub(crate) header_read_timeout: Duration,
    /// The time a client has to send a request's whole body once its head has arrived.
    pub(crate) body_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
        }
    }
}

/// The HTTP/1 and HTTP/2 connection builder with the limits applied.
pub(crate) fn http_builder(
    limits: &Limits,
) -> hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor> {
    use hyper_util::rt::{TokioExecutor, TokioTimer};
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_read_timeout)
        .keep_alive_timeout(limits.header_read_timeout)
        .max_concurrent_streams(256);
    builder
}

/// Something that accepts connections: the TCP listener, or a scripted one in tests.
pub(crate) trait Accept: Send + 'static {
    /// The connection type.
    type Io: Send + 'static;
    /// Waits for the next connection.
    fn accept(&mut self) -> impl Future<Output = io::Result<Self::Io>> + Send;
}

impl Accept for TcpListener {
    type Io = TcpStream;

    async fn accept(&mut self) -> io::Result<TcpStream> {
        TcpListener::accept(self).await.map(|(stream, _)| stream)
    }
}

/// The first pause after an accept error that is not about one connection (out of file
/// descriptors, out of memory); it doubles up to [`MAX_ACCEPT_BACKOFF`] while they last.
pub(crate) const FIRST_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
/// The longest pause between accepts while accepting fails.
pub(crate) const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Whether an accept error concerns only the connection being accepted (the peer reset it
/// before it was accepted): the next accept may succeed at once.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// Accepts connections for ever and hands each to `serve`. When accepting fails for a reason
/// that is not about one connection (`EMFILE`, `ENFILE`, `ENOMEM`), the loop pauses, from
/// [`FIRST_ACCEPT_BACKOFF`] doubling to [`MAX_ACCEPT_BACKOFF`], instead of retrying at once
/// and spinning at full CPU until a descriptor is freed.
pub(crate) async fn accept_loop<A: Accept>(mut acceptor: A, mut serve: impl FnMut(A::Io)) {
    let mut backoff = FIRST_ACCEPT_BACKOFF;
    loop {
        match acceptor.accept().await {
            Ok(io) => {
                backoff = FIRST_ACCEPT_BACKOFF;
                serve(io);
            }
            Err(error) if is_connection_error(&error) => {}
            Err(_) => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
            }
        }
    }
}

/// The number of bytes after which hyper has told HTTP/1 from HTTP/2 (the HTTP/2 preface).
const PREFACE_LEN: usize = 24;

/// A connection whose first bytes must arrive within a deadline.
///
/// hyper's header-read timeout starts only once hyper-util has told HTTP/1 from HTTP/2, which
/// waits for the first bytes without a limit: a client that connects and sends nothing (or a
/// few bytes of the HTTP/2 preface) would hold the connection for ever. Until the preface's
/// length has been read or a response byte written, a read that waits past the deadline fails
/// with `TimedOut`, which closes the connection.
pub(crate) struct FirstBytesDeadline<I> {
    io: I,
    deadline: Pin<Box<Sleep>>,
    read: usize,
    written: bool,
}

impl<I> FirstBytesDeadline<I> {
    /// Wraps `io`; its first bytes must arrive within `timeout`.
    pub(crate) fn new(io: I, timeout: Duration) -> Self {
        FirstBytesDeadline {
            io,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            read: 0,
            written: false,
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for FirstBytesDeadline<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.read += buf.filled().len() - before;
                Poll::Ready(result)
            }
            Poll::Pending if this.read < PREFACE_LEN && !this.written => {
                ready!(this.deadline.as_mut().poll(cx));
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no request arrived within the header-read timeout",
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for FirstBytesDeadline<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.written = true;
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.written = true;
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// An acceptor that fails with `EMFILE` a number of times, then yields connections
    /// (unit values), counting every accept call.
    struct Scripted {
        failures: usize,
        calls: Arc<AtomicUsize>,
    }

    impl Accept for Scripted {
        type Io = ();

        async fn accept(&mut self) -> io::Result<()> {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            if call < self.failures {
                Err(io::Error::from_raw_os_error(24)) // EMFILE
            } else {
                std::future::pending().await
            }
        }
    }

    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn accept_errors_back_off_instead_of_spinning() {
        let calls = Arc::new(AtomicUsize::new(0));
        let acceptor = Scripted {
            failures: 3,
            calls: calls.clone(),
        };
        let task = tokio::spawn(accept_loop(acceptor, |()| {}));
        settle().await;
        // The first accept failed; the loop sleeps instead of accepting again at once.
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(FIRST_ACCEPT_BACKOFF - Duration::from_millis(1)).await;
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_millis(1)).await;
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // The pause doubles while the errors last.
        tokio::time::advance(FIRST_ACCEPT_BACKOFF).await;
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        tokio::time::advance(FIRST_ACCEPT_BACKOFF).await;
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        // After the third failure (a 40 ms pause) the fourth accept waits for a connection.
        tokio::time::advance(FIRST_ACCEPT_BACKOFF * 4).await;
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn connection_errors_are_retried_at_once() {
        struct Reset(Arc<AtomicUsize>);
        impl Accept for Reset {
            type Io = ();
            async fn accept(&mut self) -> io::Result<()> {
                if self.0.fetch_add(1, Ordering::SeqCst) < 5 {
                    Err(io::ErrorKind::ConnectionAborted.into())
                } else {
                    std::future::pending().await
                }
            }
        }
        let calls = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(accept_loop(Reset(calls.clone()), |()| {}));
        settle().await;
        assert_eq!(calls.load(Ordering::SeqCst), 6);
        task.abort();
    }
}
