//! The end-to-end flows most Ampersand users run, each one call on [`Client`](crate::Client):
//!
//! - [`pagination`]: every page or item of a paginated operation as a `Stream`
//!   ([`Client::paginate`](crate::Client::paginate));
//! - [`polling`]: waiting for an operation (a triggered read, an asynchronous write) with
//!   backoff, a deadline, progress and the logs of a failure
//!   ([`Client::wait_for_operation`](crate::Client::wait_for_operation));
//! - [`deploy`]: validating amp.yaml locally and deploying it inline or through a signed
//!   upload ([`Client::deploy`](crate::Client::deploy));
//! - [`connect`]: OAuth URLs and trigger-a-read-and-wait
//!   ([`Client::oauth_connect_url`](crate::Client::oauth_connect_url),
//!   [`Client::read_and_wait`](crate::Client::read_and_wait)), with the whole connect and
//!   install flow as an example.
//!
//! Webhook verification lives in [`webhooks`](crate::webhooks).

pub mod connect;
#[cfg(feature = "manifest")]
pub mod deploy;
pub mod pagination;
pub mod polling;

#[cfg(feature = "manifest")]
pub use deploy::{Deploy, DeployError, DeployMethod, UploadTransport};
pub use pagination::{PaginationError, Paginator};
pub use polling::{FailedOperation, Progress, WaitError, WaitOptions, wait_for_operation};
