//! Shared support for the SDK's end-to-end tests: a loopback HTTP server that records every
//! request and answers with a scripted handler.

pub mod server;
