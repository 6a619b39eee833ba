//! Tower layers of the Ampersand SDK.
//!
//! Each layer wraps any `tower::Service<http::Request<Bytes>, Response = http::Response<Bytes>>`
//! whose error converts into a [`BoxError`](ampersand_core::BoxError), and answers with
//! [`ampersand_core::Error`]. Each reads the operation's
//! [`OperationMeta`](ampersand_core::OperationMeta) and [`CallOptions`](ampersand_core::CallOptions)
//! from the request's extensions, so one stack serves every operation.

pub mod attempt;
pub mod auth;
pub mod identity;
pub mod problem;
pub mod rate_limit;
pub mod retry;
pub mod timeout;
pub mod trace;
