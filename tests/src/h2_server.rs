//! HTTP/2 servers that misbehave on cue, over plain TCP (the client speaks HTTP/2 with prior
//! knowledge): the `h2` crate's server for what it can send (`GOAWAY` after a stream,
//! `RST_STREAM`, a `SETTINGS_MAX_CONCURRENT_STREAMS` limit), and raw frames for what no
//! well-behaved library sends (a `GOAWAY` below a stream it has received, an endless
//! header block).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A project, as the platform API returns it.
pub const PROJECT_JSON: &[u8] = br#"{"id":"proj_1","name":"my-project","appName":"My App","orgId":"org_1","createTime":"2024-04-22T18:55:28.456076Z"}"#;

type Script = dyn Fn(usize, TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// A listener on 127.0.0.1 handing each connection, with its index (0 for the first), to a
/// script.
pub struct ScriptedServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer {
    /// Starts the server; `script(index, socket)` runs for each connection.
    pub async fn start<F, Fut>(script: F) -> ScriptedServer
    where
        F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let script: Arc<Script> = Arc::new(move |i, socket| Box::pin(script(i, socket)));
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let index = counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(script(index, socket));
            }
        });
        ScriptedServer {
            addr,
            connections,
            task,
        }
    }

    /// `http://127.0.0.1:<port>/v1`.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Answers a stream `200` with [`PROJECT_JSON`], after reading its body.
pub async fn respond_project(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<Bytes>,
) -> Result<(), h2::Error> {
    let mut body = request.into_body();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(())
        .expect("a response");
    let mut send = respond.send_response(response, false)?;
    send.send_data(Bytes::from_static(PROJECT_JSON), true)
}

/// One HTTP/2 frame.
#[derive(Debug)]
pub struct Frame {
    /// The frame type (0x1 HEADERS, 0x4 SETTINGS, ...).
    pub kind: u8,
    /// Its flags.
    pub flags: u8,
    /// Its stream.
    pub stream_id: u32,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// Frame types used here.
pub mod kind {
    /// HEADERS
    pub const HEADERS: u8 = 0x1;
    /// SETTINGS
    pub const SETTINGS: u8 = 0x4;
    /// GOAWAY
    pub const GOAWAY: u8 = 0x7;
    /// CONTINUATION
    pub const CONTINUATION: u8 = 0x9;
}

/// The server side of an HTTP/2 connection spoken frame by frame (RFC 9113, section 4.1):
/// only what the fault scripts need.
pub struct RawH2 {
    socket: TcpStream,
    /// Bytes written so far.
    pub written: usize,
}

impl RawH2 {
    /// Reads the client's preface and sends an empty SETTINGS frame.
    pub async fn accept(mut socket: TcpStream) -> std::io::Result<RawH2> {
        let mut preface = [0u8; 24];
        socket.read_exact(&mut preface).await?;
        if &preface != b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" {
            return Err(std::io::Error::other("not an HTTP/2 preface"));
        }
        let mut raw = RawH2 { socket, written: 0 };
        raw.write_frame(kind::SETTINGS, 0, 0, &[]).await?;
        Ok(raw)
    }

    /// Reads one frame.
    pub async fn read_frame(&mut self) -> std::io::Result<Frame> {
        let mut head = [0u8; 9];
        self.socket.read_exact(&mut head).await?;
        let len = (usize::from(head[0]) << 16) | (usize::from(head[1]) << 8) | usize::from(head[2]);
        let stream_id = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        let mut payload = vec![0u8; len];
        self.socket.read_exact(&mut payload).await?;
        Ok(Frame {
            kind: head[3],
            flags: head[4],
            stream_id,
            payload,
        })
    }

    /// Writes one frame.
    pub async fn write_frame(
        &mut self,
        kind: u8,
        flags: u8,
        stream_id: u32,
        payload: &[u8],
    ) -> std::io::Result<()> {
        let len = payload.len();
        let mut frame = Vec::with_capacity(9 + len);
        frame.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags]);
        frame.extend_from_slice(&stream_id.to_be_bytes());
        frame.extend_from_slice(payload);
        self.socket.write_all(&frame).await?;
        self.written += frame.len();
        Ok(())
    }

    /// Reads frames (acknowledging the client's SETTINGS) until a HEADERS frame opens a
    /// stream; returns its id.
    pub async fn until_headers(&mut self) -> std::io::Result<u32> {
        loop {
            let frame = self.read_frame().await?;
            match frame.kind {
                kind::SETTINGS if frame.flags & 0x1 == 0 => {
                    self.write_frame(kind::SETTINGS, 0x1, 0, &[]).await?;
                }
                kind::HEADERS => return Ok(frame.stream_id),
                _ => {}
            }
        }
    }

    /// Sends GOAWAY with `last_stream_id` and an error code (0 = NO_ERROR).
    pub async fn go_away(&mut self, last_stream_id: u32, code: u32) -> std::io::Result<()> {
        let mut payload = last_stream_id.to_be_bytes().to_vec();
        payload.extend_from_slice(&code.to_be_bytes());
        self.write_frame(kind::GOAWAY, 0, 0, &payload).await
    }

    /// Reads until the client closes the connection (or fails it).
    pub async fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.socket.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    }
}

/// A header block fragment of `len` bytes: HPACK literal fields without indexing
/// (`x-flood: aaa...`), each 100 bytes or so, valid if it were ever decoded.
pub fn header_fragment(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 128);
    while out.len() < len {
        out.push(0x00); // literal without indexing, new name
        out.push(7);
        out.extend_from_slice(b"x-flood");
        out.push(90);
        out.extend_from_slice(&[b'a'; 90]);
    }
    out
}
