//! Hand-written support for the generated accessors: [`Call`], the awaitable that
//! `client.projects().get("p")` returns, and [`Paginated`], implemented by operations that page.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use ampersand_core::{CallOptions, Error, Execute, Operation, WithOptions};

/// An operation bound to a client, sent when awaited.
///
/// Accessor methods return it with the operation's required arguments set; adjust the
/// optional ones with [`Call::map`] before awaiting:
///
/// ```
/// use ampersand_resources::projects::Projects;
///
/// async fn entitlements<C: ampersand_core::Execute>(client: &C) -> Result<(), ampersand_core::Error> {
///     let project = Projects::new(client)
///         .get("my-project")
///         .map(|op| op.include_entitlements(true))
///         .await?;
///     println!("{:?}", project.entitlements);
///     Ok(())
/// }
/// ```
#[must_use = "a Call does nothing until it is awaited"]
pub struct Call<'c, C, O> {
    client: &'c C,
    operation: O,
}

impl<'c, C, O> Call<'c, C, O> {
    /// Binds `operation` to `client`.
    pub fn new(client: &'c C, operation: O) -> Self {
        Call { client, operation }
    }

    /// Changes the operation before it is sent, typically to set optional parameters.
    pub fn map(self, f: impl FnOnce(O) -> O) -> Self {
        Call {
            client: self.client,
            operation: f(self.operation),
        }
    }

    /// Sends the operation with per-call options (retries, deadline).
    pub fn with_options(self, options: CallOptions) -> Call<'c, C, WithOptions<O>>
    where
        O: Operation,
    {
        Call {
            client: self.client,
            operation: self.operation.with_options(options),
        }
    }

    /// The operation that will be sent.
    pub fn operation(&self) -> &O {
        &self.operation
    }

    /// Unbinds the operation from the client.
    pub fn into_operation(self) -> O {
        self.operation
    }
}

impl<C, O: std::fmt::Debug> std::fmt::Debug for Call<'_, C, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

impl<'c, C, O> IntoFuture for Call<'c, C, O>
where
    C: Execute,
    O: Operation + 'static,
    O::Output: Send + 'static,
{
    type Output = Result<O::Output, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'c>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.client.execute(self.operation))
    }
}

/// An operation that returns its results one page at a time (`pageToken` in,
/// `pagination.nextPageToken` out).
///
/// A pager sends the operation, collects [`Paginated::into_items`], and while
/// [`Paginated::is_done`] is false sends it again with the token of
/// [`Paginated::next_page_token`] set by [`Paginated::set_page_token`].
pub trait Paginated: Operation + Clone {
    /// One result.
    type Item;

    /// Sets the token of the page to fetch (`None` for the first page).
    fn set_page_token(&mut self, token: Option<String>);

    /// The token of the page after `output`, if the server gave one.
    fn next_page_token(output: &Self::Output) -> Option<&str>;

    /// Whether `output` is the last page.
    fn is_done(output: &Self::Output) -> bool;

    /// The results of one page.
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
}
