//! TLS on loopback: a test certificate authority made at test time (rcgen), and an HTTPS
//! server (tokio-rustls under hyper-util's HTTP/1.1 + HTTP/2 server) that counts, on its
//! side, connections, handshakes, the protocol ALPN chose, the TLS version and client
//! certificates.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpListener;
use tokio::sync::Barrier;
use tokio_rustls::TlsAcceptor;

/// The crypto provider of the test servers (ring, as the SDK's default).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate authority made for one test.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    pem: String,
}

/// A certificate chain (leaf first) and its private key.
pub struct Identity {
    /// The leaf, then the CA.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's key.
    pub key: PrivateKeyDer<'static>,
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl TestCa {
    /// A new CA named `name`.
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("a CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).expect("a self-signed CA");
        TestCa {
            der: cert.der().clone(),
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The CA's certificate, DER.
    pub fn der(&self) -> &CertificateDer<'static> {
        &self.der
    }

    /// A server certificate for `localhost` and `127.0.0.1`, valid now.
    pub fn server(&self) -> Identity {
        self.leaf(
            &["localhost", "127.0.0.1"],
            false,
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A server certificate for `names`, valid now.
    pub fn server_for(&self, names: &[&str]) -> Identity {
        self.leaf(names, false, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A server certificate for `localhost` and `127.0.0.1` that expired in 2021.
    pub fn expired_server(&self) -> Identity {
        self.leaf(
            &["localhost", "127.0.0.1"],
            true,
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A client certificate (mutual TLS).
    pub fn client(&self) -> Identity {
        self.leaf(&["sdk-client"], false, ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn leaf(&self, names: &[&str], expired: bool, usage: ExtendedKeyUsagePurpose) -> Identity {
        let key = KeyPair::generate().expect("a leaf key");
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, "leaf");
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let cert = params.signed_by(&key, &self.issuer).expect("a signed leaf");
        Identity {
            chain: vec![cert.der().clone(), self.der.clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// The protocols a [`TlsServer`] offers through ALPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alpn {
    /// `h2` and `http/1.1` (a client offering both gets h2).
    H2AndHttp11,
    /// `http/1.1` only.
    Http11,
}

/// The TLS versions a [`TlsServer`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    /// TLS 1.2 and 1.3.
    Both,
    /// TLS 1.2 only.
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// How a [`TlsServer`] is set up.
pub struct TlsServerConfig {
    /// Its certificate.
    pub identity: Identity,
    /// ALPN protocols offered.
    pub alpn: Alpn,
    /// TLS versions accepted.
    pub versions: Versions,
    /// When set, a client certificate signed by this CA is required (mutual TLS).
    pub client_ca: Option<CertificateDer<'static>>,
    /// When set, requests to a path ending in `/gated` wait until this many of them are in
    /// flight together, then all answer.
    pub gate: Option<usize>,
}

impl TlsServerConfig {
    /// h2 and http/1.1, TLS 1.2 and 1.3, no client certificate, no gate.
    pub fn new(identity: Identity) -> Self {
        TlsServerConfig {
            identity,
            alpn: Alpn::H2AndHttp11,
            versions: Versions::Both,
            client_ca: None,
            gate: None,
        }
    }

    fn rustls(&self) -> rustls::ServerConfig {
        let versions: &[&rustls::SupportedProtocolVersion] = match self.versions {
            Versions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
            Versions::Tls12 => &[&rustls::version::TLS12],
            Versions::Tls13 => &[&rustls::version::TLS13],
        };
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(versions)
            .expect("protocol versions");
        let builder = match &self.client_ca {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(ca.clone()).expect("client CA");
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                        .build()
                        .expect("client verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(self.identity.chain.clone(), self.identity.key.clone_key())
            .expect("server certificate");
        config.alpn_protocols = match self.alpn {
            Alpn::H2AndHttp11 => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            Alpn::Http11 => vec![b"http/1.1".to_vec()],
        };
        config
    }
}

/// What a [`TlsServer`] saw, counted on its side.
#[derive(Debug, Default)]
pub struct TlsStats {
    /// TCP connections accepted.
    pub connections: AtomicUsize,
    /// Handshakes completed.
    pub handshakes: AtomicUsize,
    /// Handshakes that failed (the client rejected the certificate, or the reverse).
    pub failed_handshakes: AtomicUsize,
    /// Handshakes where ALPN chose `h2`.
    pub h2: AtomicUsize,
    /// Handshakes where ALPN chose `http/1.1`, or chose nothing.
    pub http11: AtomicUsize,
    /// Handshakes at TLS 1.2.
    pub tls12: AtomicUsize,
    /// Handshakes at TLS 1.3.
    pub tls13: AtomicUsize,
    /// Handshakes where the client presented a certificate.
    pub client_certificates: AtomicUsize,
    /// Requests answered.
    pub requests: AtomicUsize,
    /// Requests in flight now.
    pub in_flight: AtomicUsize,
    /// The most requests in flight at once.
    pub max_in_flight: AtomicUsize,
}

impl TlsStats {
    /// A counter's value.
    pub fn get(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }
}

/// An HTTPS server on 127.0.0.1 answering every request with `{"ok":true}` (or the body
/// the test's handler gives), counting what it sees.
pub struct TlsServer {
    addr: SocketAddr,
    stats: Arc<TlsStats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Handler = dyn Fn(&http::request::Parts) -> http::Response<Bytes> + Send + Sync;

impl TlsServer {
    /// Starts a server answering `200 {"ok":true}`.
    pub async fn start(config: TlsServerConfig) -> TlsServer {
        TlsServer::start_with(config, |_| {
            http::Response::builder()
                .header("content-type", "application/json")
                .body(Bytes::from_static(br#"{"ok":true}"#))
                .expect("a response")
        })
        .await
    }

    /// Starts a server answering with `handler`.
    pub async fn start_with<F>(config: TlsServerConfig, handler: F) -> TlsServer
    where
        F: Fn(&http::request::Parts) -> http::Response<Bytes> + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let acceptor = TlsAcceptor::from(Arc::new(config.rustls()));
        let stats = Arc::new(TlsStats::default());
        let gate = config.gate.map(|n| Arc::new(Barrier::new(n)));
        let handler: Arc<Handler> = Arc::new(handler);
        let counted = stats.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                counted.connections.fetch_add(1, Ordering::SeqCst);
                // As a production server would: a response's HEADERS and DATA frames (two
                // TLS records) must not wait for the client's delayed ACK.
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let stats = counted.clone();
                let gate = gate.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        stats.failed_handshakes.fetch_add(1, Ordering::SeqCst);
                        return;
                    };
                    record_handshake(&stats, tls.get_ref().1);
                    let service =
                        service_fn(move |request: http::Request<hyper::body::Incoming>| {
                            let stats = stats.clone();
                            let gate = gate.clone();
                            let handler = handler.clone();
                            async move {
                                let (parts, body) = request.into_parts();
                                let _ = body.collect().await;
                                let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                                stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
                                if let Some(gate) =
                                    gate.filter(|_| parts.uri.path().ends_with("/gated"))
                                {
                                    gate.wait().await;
                                }
                                let response = handler(&parts);
                                stats.in_flight.fetch_sub(1, Ordering::SeqCst);
                                stats.requests.fetch_add(1, Ordering::SeqCst);
                                Ok::<_, Infallible>(response.map(Full::new))
                            }
                        });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        TlsServer { addr, stats, task }
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://localhost:<port>/v1`, a base URL for the client.
    pub fn url(&self) -> String {
        format!("https://localhost:{}/v1", self.addr.port())
    }

    /// What the server counted.
    pub fn stats(&self) -> &TlsStats {
        &self.stats
    }
}

fn record_handshake(stats: &TlsStats, connection: &rustls::ServerConnection) {
    stats.handshakes.fetch_add(1, Ordering::SeqCst);
    if connection.alpn_protocol() == Some(b"h2") {
        stats.h2.fetch_add(1, Ordering::SeqCst);
    } else {
        stats.http11.fetch_add(1, Ordering::SeqCst);
    }
    match connection.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_2) => stats.tls12.fetch_add(1, Ordering::SeqCst),
        Some(rustls::ProtocolVersion::TLSv1_3) => stats.tls13.fetch_add(1, Ordering::SeqCst),
        _ => 0,
    };
    if connection
        .peer_certificates()
        .is_some_and(|c| !c.is_empty())
    {
        stats.client_certificates.fetch_add(1, Ordering::SeqCst);
    }
}
