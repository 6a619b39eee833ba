//! Tower layers of the Ampersand SDK.
//!
//! Each layer wraps any `tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>>`
//! whose error converts into a [`BoxError`](ampersand_core::BoxError), and answers with
//! [`ampersand_core::Error`]. Each reads what it needs to know about the call (the operation,
//! its options, its deadline, the attempt) from the request's
//! [`CallContext`](ampersand_core::CallContext), so one stack serves every operation.
//!
//! Each layer does one thing and has no "off" mode: a stack without rate limiting or tracing
//! leaves the layer out (see `tower::util::option_layer`).

pub mod auth;
pub mod identity;
pub mod problem;
pub mod rate_limit;
pub mod retry;
pub mod timeout;
pub mod trace;
