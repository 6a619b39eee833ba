//! An egress proxy on loopback: `CONNECT` tunnels and forwarded plain-http requests, with
//! Basic credentials checked and everything counted on its side.
//!
//! Hand-written rather than a crate: a test proxy must count tunnels, refuse with 407 on
//! cue and record each request head it sees, and the protocol needed (one request head,
//! then bytes copied both ways) is a few dozen lines. It connects only to 127.0.0.1 and
//! `localhost`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request head the proxy received.
#[derive(Debug, Clone)]
pub struct ProxyRequest {
    /// `CONNECT`, `GET`, `PUT`...
    pub method: String,
    /// `host:port` for `CONNECT`, the absolute URL for a forwarded request.
    pub target: String,
    /// The header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl ProxyRequest {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a [`ConnectProxy`] saw.
#[derive(Debug, Default)]
pub struct ProxyStats {
    /// Tunnels opened (`CONNECT` answered 200).
    pub tunnels: AtomicUsize,
    /// Requests forwarded (plain http).
    pub forwarded: AtomicUsize,
    /// Requests refused with 407.
    pub refused: AtomicUsize,
    /// Every request head, in order.
    pub requests: Mutex<Vec<ProxyRequest>>,
}

/// The proxy. Dropping it stops accepting.
pub struct ConnectProxy {
    addr: SocketAddr,
    stats: Arc<ProxyStats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ConnectProxy {
    /// Starts a proxy; with `credentials` (`user:password`), a request without
    /// `Proxy-Authorization: Basic base64(user:password)` is refused with 407.
    pub async fn start(credentials: Option<&str>) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let expected = credentials.map(|c| format!("Basic {}", base64(c.as_bytes())));
        let stats = Arc::new(ProxyStats::default());
        let counted = stats.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let stats = counted.clone();
                let expected = expected.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, expected.as_deref(), &stats).await;
                });
            }
        });
        ConnectProxy { addr, stats, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://user:password@127.0.0.1:<port>`.
    pub fn url_with(&self, credentials: &str) -> String {
        format!("http://{credentials}@{}", self.addr)
    }

    /// What the proxy counted.
    pub fn stats(&self) -> &ProxyStats {
        &self.stats
    }

    /// Tunnels opened so far.
    pub fn tunnels(&self) -> usize {
        self.stats.tunnels.load(Ordering::SeqCst)
    }

    /// Requests forwarded so far.
    pub fn forwarded(&self) -> usize {
        self.stats.forwarded.load(Ordering::SeqCst)
    }

    /// Requests refused with 407 so far.
    pub fn refused(&self) -> usize {
        self.stats.refused.load(Ordering::SeqCst)
    }

    /// Every request head so far.
    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.stats.requests.lock().unwrap().clone()
    }
}

/// Serves one client connection: one request head, then a tunnel or a forward.
async fn serve(
    mut client: TcpStream,
    expected: Option<&str>,
    stats: &ProxyStats,
) -> std::io::Result<()> {
    let (head, rest) = read_head(&mut client).await?;
    let request = parse_head(&head).ok_or_else(|| std::io::Error::other("bad request head"))?;
    stats.requests.lock().unwrap().push(request.clone());
    if let Some(expected) = expected
        && request.header("proxy-authorization") != Some(expected)
    {
        stats.refused.fetch_add(1, Ordering::SeqCst);
        client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\
                  Connection: close\r\n\r\n",
            )
            .await?;
        return Ok(());
    }
    if request.method == "CONNECT" {
        let mut server = connect_loopback(&request.target).await?;
        stats.tunnels.fetch_add(1, Ordering::SeqCst);
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        server.write_all(&rest).await?;
        tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    } else {
        // Forward: to the origin in the absolute URL, without the proxy's credentials, and
        // with `Connection: close` so that each request comes through here (and is seen).
        let authority = request
            .target
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| std::io::Error::other("not an absolute http URL"))?
            .to_owned();
        let mut server = connect_loopback(&authority).await?;
        stats.forwarded.fetch_add(1, Ordering::SeqCst);
        let mut forwarded = String::new();
        for (i, line) in head.split("\r\n").enumerate() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("proxy-authorization:") || lower.starts_with("connection:") {
                continue;
            }
            if i > 0 && line.is_empty() {
                break;
            }
            forwarded.push_str(line);
            forwarded.push_str("\r\n");
        }
        forwarded.push_str("connection: close\r\n\r\n");
        server.write_all(forwarded.as_bytes()).await?;
        server.write_all(&rest).await?;
        tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    }
    Ok(())
}

/// Connects to `host:port`, refusing anything but loopback.
async fn connect_loopback(authority: &str) -> std::io::Result<TcpStream> {
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| std::io::Error::other("no port"))?;
    if host != "127.0.0.1" && host != "localhost" {
        return Err(std::io::Error::other(
            "the test proxy only reaches loopback",
        ));
    }
    TcpStream::connect((
        "127.0.0.1",
        port.parse::<u16>().map_err(std::io::Error::other)?,
    ))
    .await
}

/// Reads up to the end of the request head (at most 16 KiB); returns the head as text and
/// the bytes read after it.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((String::from_utf8_lossy(&buf).into_owned(), rest));
        }
        if buf.len() > 16 * 1024 {
            return Err(std::io::Error::other("request head too long"));
        }
    }
}

fn parse_head(head: &str) -> Option<ProxyRequest> {
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(ProxyRequest {
        method,
        target,
        headers,
    })
}

/// Standard base64 with padding (the proxy's expected `Proxy-Authorization`).
pub fn base64(input: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(input)
}
