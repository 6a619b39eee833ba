//! The seam between typed resources and a client that can send them.

use std::future::Future;

use crate::{Error, Operation};

/// Something that sends operations and returns their typed output: the `ampersand` crate's
/// `Client`, a test double, or a user's wrapper.
///
/// Generated resource accessors (`client.projects().get("p")`) are written against this trait,
/// so they work with any implementation.
pub trait Execute {
    /// Sends `operation` and decodes its output.
    fn execute<O>(&self, operation: O) -> impl Future<Output = Result<O::Output, Error>> + Send
    where
        O: Operation + 'static,
        O::Output: Send + 'static;
}
