//! Shared support for the SDK's end-to-end tests: a loopback HTTP server that records every
//! request and answers with a scripted handler; an HTTPS server with a test certificate
//! authority (`tls`); an egress proxy (`proxy`); HTTP/2 servers that misbehave on cue
//! (`h2_server`).

pub mod h2_server;
pub mod proxy;
pub mod server;
pub mod tls;
