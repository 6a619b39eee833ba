//! Sans-IO core of the Ampersand SDK.
//!
//! This crate does no IO and depends on no runtime. It holds what every other crate shares:
//!
//! - [`Operation`]: the trait every typed API call implements, and [`OperationMeta`], its
//!   static description, which travels in each request's extensions inside a
//!   [`CallContext`] (with the call's [`Resend`] and deadline, once they are known);
//! - [`encode`] and [`decode`]: path, query and body encoding, and response decoding;
//! - [`Error`]: the one error type, which never loses status, headers or body;
//! - [`problem`]: RFC 9457 problem details as Ampersand defines them;
//! - [`credentials`]: API keys and Bearer tokens that redact themselves;
//! - [`CallOptions`]: per-call overrides (retries, deadline);
//! - [`time`]: instants a user's duration away, `None` (no limit) rather than a panic when
//!   the clock cannot hold them;
//! - [`Execute`]: the seam between typed resources and whatever sends them.

pub mod context;
pub mod credentials;
pub mod decode;
pub mod encode;
pub mod error;
pub mod execute;
pub mod operation;
pub mod options;
pub mod problem;
pub mod resend;
pub mod time;

pub use context::CallContext;
pub use credentials::{ApiKey, BearerToken, Secret};
pub use error::{BoxError, Error, ErrorKind};
pub use execute::Execute;
pub use operation::{AuthSchemes, Host, Operation, OperationMeta, WithOptions};
pub use options::CallOptions;
pub use problem::{ApiProblem, InputValidationIssue, InputValidationProblem, Problem};
pub use resend::Resend;

/// Timestamps of the API (`format: date-time`), in UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

pub use bytes::Bytes;
pub use chrono;
pub use http;
pub use serde_json;
