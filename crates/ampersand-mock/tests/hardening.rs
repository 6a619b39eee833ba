//! The mock as a shared service: request bodies bounded before they are read, credentials
//! checked before the body, and connections that trickle, stall or idle closed after the
//! configured timeouts. Raw TCP clients, so that the test controls every byte; waits run on
//! paused tokio time, and no duration is asserted.

use std::time::Duration;

use ampersand_mock::MockServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A wait that only fails a test instead of letting it hang (never a measurement).
const GUARD: Duration = Duration::from_secs(3600);

/// Reads a whole HTTP/1.1 response head and its `Content-Length` body; returns the status and
/// the body text.
async fn read_response(stream: &mut TcpStream) -> std::io::Result<(u16, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head[9..12].parse().unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().unwrap())
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&buf[end + 4..]).into_owned();
            return Ok((status, body));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Whether the server closed the connection: a read ends (EOF or reset) before the guard.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(GUARD, stream.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

fn head(server: &MockServer, key: Option<&str>, content_length: u64) -> String {
    let auth = key
        .map(|k| format!("X-Api-Key: {k}\r\n"))
        .unwrap_or_default();
    format!(
        "PUT /api/v1/projects/mock-project/integrations:batch HTTP/1.1\r\nHost: {}\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {content_length}\r\n\r\n",
        server.local_addr()
    )
}

const HUNDRED_MIB: u64 = 100 * 1024 * 1024;

#[tokio::test(start_paused = true)]
async fn a_declared_oversized_body_is_refused_before_it_is_read() {
    // The default limit, 16 MiB.
    let server = MockServer::start().await.unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    // The head announces 100 MiB; not one byte of the body is sent. A server that read the
    // body before answering would wait for it for ever.
    stream
        .write_all(head(&server, Some(server.api_key()), HUNDRED_MIB).as_bytes())
        .await
        .unwrap();
    let (status, body) = tokio::time::timeout(GUARD, read_response(&mut stream))
        .await
        .expect("the server waited for the body instead of refusing it")
        .unwrap();
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("16777216 bytes"), "{body}");
}

#[tokio::test(start_paused = true)]
async fn an_unauthenticated_body_is_refused_before_it_is_read() {
    // Credentials are checked first: the answer is 401, not the 413 of the body's size.
    let server = MockServer::start().await.unwrap();
    for key in [None, Some("amp_not_a_key")] {
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(head(&server, key, HUNDRED_MIB).as_bytes())
            .await
            .unwrap();
        let (status, body) = tokio::time::timeout(GUARD, read_response(&mut stream))
            .await
            .expect("the server waited for the body before checking credentials")
            .unwrap();
        assert_eq!(status, 401, "{body}");
    }
}

// Real time: the client keeps writing while the server reads, and no timeout is involved.
#[tokio::test]
async fn a_streamed_body_stops_being_read_at_the_limit() {
    let server = MockServer::builder()
        .max_body_bytes(64 * 1024)
        .start()
        .await
        .unwrap();
    let stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let request = format!(
        "PUT /api/v1/projects/mock-project/integrations:batch HTTP/1.1\r\nHost: {}\r\n\
         X-Api-Key: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.local_addr(),
        server.api_key()
    );
    writer.write_all(request.as_bytes()).await.unwrap();
    // Stream 100 MiB in chunks without a declared length, counting what the server let in:
    // once it stops reading, writes block when the socket buffers are full, then fail when it
    // closes the connection.
    let writing = tokio::spawn(async move {
        let chunk = vec![b' '; 64 * 1024];
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        let mut sent: u64 = 0;
        while sent < HUNDRED_MIB {
            if writer.write_all(&framed).await.is_err() {
                break;
            }
            sent += 64 * 1024;
        }
        sent
    });
    let mut response = Vec::new();
    let _ = tokio::time::timeout(GUARD, reader.read_to_end(&mut response)).await;
    let sent = tokio::time::timeout(GUARD, writing).await.unwrap().unwrap();
    // What was written is what the server read plus the kernel's socket buffers (a few MiB
    // on loopback): far from the whole body.
    assert!(
        sent < HUNDRED_MIB / 4,
        "the server read {sent} bytes of a body over its 64 KiB limit"
    );
    let text = String::from_utf8_lossy(&response);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 413"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_loris_connection_is_closed_after_the_header_timeout() {
    // The default header-read timeout (10 s of paused time).
    let server = MockServer::start().await.unwrap();
    // Half a request head, then nothing.
    let mut trickling = TcpStream::connect(server.local_addr()).await.unwrap();
    trickling
        .write_all(b"GET /api/v1/providers HTTP/1.1\r\nHost: mock\r\nX-Slow: ")
        .await
        .unwrap();
    assert!(closed_by_server(&mut trickling).await);
    // A connection that sends nothing at all.
    let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
    assert!(closed_by_server(&mut silent).await);
    // A kept-alive connection, idle after its first request.
    let mut idle = TcpStream::connect(server.local_addr()).await.unwrap();
    idle.write_all(b"GET /api/v1/providers HTTP/1.1\r\nHost: mock\r\n\r\n")
        .await
        .unwrap();
    let (status, _) = read_response(&mut idle).await.unwrap();
    assert_eq!(status, 200);
    assert!(closed_by_server(&mut idle).await);
}

#[tokio::test(start_paused = true)]
async fn a_stalled_body_is_answered_with_408() {
    // The default body-read timeout (30 s of paused time).
    let server = MockServer::start().await.unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(head(&server, Some(server.api_key()), 100).as_bytes())
        .await
        .unwrap();
    stream.write_all(b"{\"sourceYaml\": ").await.unwrap();
    let (status, body) = tokio::time::timeout(GUARD, read_response(&mut stream))
        .await
        .expect("the server waited for the rest of the body for ever")
        .unwrap();
    assert_eq!(status, 408, "{body}");
}

#[tokio::test(start_paused = true)]
async fn the_timeouts_are_configurable() {
    let server = MockServer::builder()
        .header_read_timeout(Duration::from_secs(600))
        .body_read_timeout(Duration::from_secs(900))
        .start()
        .await
        .unwrap();
    let mut trickling = TcpStream::connect(server.local_addr()).await.unwrap();
    trickling
        .write_all(b"GET /api/v1/providers HTTP/1.1\r\n")
        .await
        .unwrap();
    // Still open after the default 10 s: the read is still waiting when 60 s have passed.
    let mut byte = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_secs(60), trickling.read(&mut byte))
            .await
            .is_err()
    );
    assert!(closed_by_server(&mut trickling).await);
}
