//! Sans-IO core of the Ampersand SDK.
//!
//! This crate does no IO and depends on no runtime. It holds what every other crate shares:
//!
//! - [`Operation`]: the trait every typed API call implements, and [`OperationMeta`], its
//!   static description;
//! - [`CallContext`]: what the layers need to know about one call (operation, accepted
//!   credentials, idempotency, options, deadline, attempt), in the request's extensions;
//! - [`encode`] and [`decode`]: path, query and body encoding, and response decoding;
//! - [`Error`]: the one error type, which never loses status, headers or body;
//! - [`problem`]: RFC 9457 problem details as Ampersand defines them;
//! - [`ApiKey`], [`BearerToken`]: credentials that redact themselves;
//! - [`CallOptions`]: per-call overrides (retries, deadline);
//! - [`time`]: instants a user's duration away, `None` (no limit) rather than a panic when
//!   the clock cannot hold them;
//! - [`Execute`]: the seam between typed resources and whatever sends them.

mod context;
mod credentials;
pub mod decode;
pub mod encode;
mod error;
mod execute;
mod operation;
mod options;
pub mod problem;
pub mod time;

pub use context::{Answers, CallContext};
pub use credentials::{ApiKey, BearerToken, Secret};
pub use error::{BoxError, Error, ErrorKind, parse_amp_retry_after, parse_retry_after};
pub use execute::Execute;
pub use operation::{AuthSchemes, Host, Operation, OperationMeta, WithOptions};
pub use options::CallOptions;
pub use problem::{ApiProblem, InputValidationIssue, InputValidationProblem, Problem};

/// Timestamps of the API (`format: date-time`), in UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

pub use bytes::Bytes;
pub use chrono;
pub use http;
pub use serde_json;
