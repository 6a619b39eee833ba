//! The Ampersand SDK for Rust.
//!
//! Every operation of the Ampersand platform API and of the read, write and search hosts is a
//! typed request ([`resources`]). A [`Client`] sends them through one tower stack: auth, retry
//! with backoff and a shared budget, client-side rate limiting, tracing (and OpenTelemetry with
//! the `opentelemetry` feature), RFC 9457 problem decoding and timeouts, over a pooled
//! hyper + rustls transport. The [`proxy`] module calls a customer's SaaS through Ampersand's
//! Proxy API on the same stack.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ampersand::Error> {
//! let client = ampersand::Client::builder().from_env().build()?;
//! for project in client.projects().list().await? {
//!     println!("{} {}", project.id, project.name);
//! }
//! # Ok(()) }
//! ```
//!
//! See `ARCHITECTURE.md` for the crates, the life of one request and the layer order.

mod base_url;
mod builder;
mod client;
mod generated_accessors;
#[cfg(feature = "jwt")]
pub mod jwt;
#[cfg(feature = "manifest")]
pub mod manifest;
pub mod proxy;
mod shared_stack;
pub mod transport;
#[cfg(feature = "webhooks")]
pub mod webhooks;

pub use base_url::{BaseUrl, BaseUrls};
pub use builder::{
    ClientBuilder, ENV_API_KEY, ENV_API_URL, ENV_PROXY_URL, ENV_READ_URL, ENV_SEARCH_URL,
    ENV_WRITE_URL,
};
pub use client::{Client, HttpService, ResponseFuture};

pub use ampersand_core::{
    Answers, ApiKey, ApiProblem, AuthSchemes, BearerToken, BoxError, CallContext, CallOptions,
    Error, ErrorKind, Execute, Host, InputValidationIssue, InputValidationProblem, Operation,
    OperationMeta, Problem, Secret, Timestamp,
};

/// The sans-IO core: operation model, encoding and decoding helpers, problems.
pub use ampersand_core as core;
/// The tower layers of the default stack, usable on their own.
pub use ampersand_layers as layers;
/// Every operation and model of the spec, one module per tag.
pub use ampersand_resources as resources;

/// The README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
pub mod workflows;
