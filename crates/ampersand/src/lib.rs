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
//! # Install
//!
//! ```toml
//! [dependencies]
//! ampersand = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `rustls-ring` | yes | rustls with the ring crypto provider |
//! | `aws-lc-rs` | | rustls with the aws-lc-rs provider; enabling it selects it, even beside `rustls-ring` |
//! | `webpki-roots` | yes | Mozilla's root certificates, compiled in |
//! | `native-roots` | | the operating system's root store (beside `webpki-roots`, both are trusted) |
//! | `manifest` | yes | amp.yaml ([`manifest`]) and the deploy workflow ([`Client::deploy`]) |
//! | `webhooks` | yes | Svix-signed webhook verification and typed payloads ([`webhooks`]) |
//! | `opentelemetry` | | OpenTelemetry spans, metrics and trace-context propagation |
//! | `jwt` | | RS256 tokens for Ampersand's embedded UI (`jwt`) |
//!
//! # Where to start
//!
//! - [`Client::builder`]: credentials, hosts, the default stack's settings, your own layers;
//! - the per-tag accessors (`client.projects()`, `client.connections()`, ...) or
//!   [`Client::send`] with any operation of [`resources`];
//! - [`Error`]: one error type; `{:#}` prints it with its causes;
//! - [`workflows`]: pagination, waiting for an operation, deploying amp.yaml, connecting;
//! - [`proxy`]: the Proxy API;
//! - the examples (`cargo run --example quickstart`, `proxy`, `pagination`,
//!   `wait_for_read`, `connect_and_install`, `deploy`, `webhooks`, `custom_layer`, and with
//!   the `jwt` feature `embedded_ui_token`) run offline against the embedded mock.
//!
//! The repository's `ARCHITECTURE.md` describes the crates, the life of one request and the
//! layer order.

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
