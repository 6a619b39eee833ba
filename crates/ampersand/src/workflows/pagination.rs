//! Pagination: every page or every item of a paginated operation, as a `Stream`.
//!
//! An operation pages when it implements [`Paginated`] (the generator marks every operation
//! with a `pageToken` parameter and a `pagination` response; today that is `listOperations`).
//! [`Client::paginate`] binds such an operation to a client; the [`Paginator`] it returns
//! sends the operation, then sends it again with each `nextPageToken` until the server says
//! `pagination.done`.
//!
//! A server that hands back a token it already gave (a loop), or that is not done but gives
//! no token, ends the stream with a [`PaginationError`] instead of fetching forever. A page
//! size outside the spec's bounds (`PAGE_SIZE_MIN..=PAGE_SIZE_MAX` on the operation) fails
//! when the first page is encoded, before anything is sent.
//!
//! ```no_run
//! # async fn demo(client: ampersand::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use ampersand::resources::operations::ListOperations;
//! use futures_util::TryStreamExt;
//!
//! let list = ListOperations::new("my-project", "integration-id", "installation-id").page_size(100);
//!
//! // Every operation, one at a time, fetching pages as needed.
//! let mut operations = client.paginate(list.clone()).items();
//! while let Some(operation) = operations.try_next().await? {
//!     println!("{} {}", operation.id, operation.status);
//! }
//!
//! // Or everything at once.
//! let all = client.paginate(list).collect().await?;
//! # let _ = all; Ok(()) }
//! ```

use std::collections::HashSet;
use std::fmt;

use ampersand_core::Error;
use ampersand_resources::Paginated;
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::Client;

impl Client {
    /// Binds a paginated operation to this client: stream its pages or items, or collect
    /// them. The operation's own `pageToken`, if set, is where the first page starts.
    pub fn paginate<O: Paginated>(&self, operation: O) -> Paginator<O> {
        Paginator {
            client: self.clone(),
            operation,
        }
    }
}

/// A paginated operation bound to a client; see the [module docs](self).
///
/// Nothing is sent until the stream returned by [`pages`](Self::pages) or
/// [`items`](Self::items) is polled, or [`collect`](Self::collect) is awaited.
#[must_use = "a Paginator does nothing until its stream is polled"]
pub struct Paginator<O> {
    client: Client,
    operation: O,
}

impl<O: fmt::Debug> fmt::Debug for Paginator<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paginator")
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

impl<O> Paginator<O>
where
    O: Paginated + Send + Sync + 'static,
    O::Output: Send + 'static,
    O::Item: Send + 'static,
{
    /// Every page, as the operation returns it (results and pagination info).
    ///
    /// The stream ends after the page marked `done`, or after the first error.
    pub fn pages(self) -> BoxStream<'static, Result<O::Output, PaginationError>> {
        let cursor = Cursor {
            client: self.client,
            next: Some(self.operation),
            seen: HashSet::new(),
            fetched: 0,
        };
        stream::unfold(cursor, Cursor::advance).boxed()
    }

    /// Every item of every page, in order; pages are fetched as the stream is polled.
    pub fn items(self) -> BoxStream<'static, Result<O::Item, PaginationError>> {
        self.pages()
            .map_ok(|page| stream::iter(O::into_items(page).into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Fetches every page and returns all the items.
    pub async fn collect(self) -> Result<Vec<O::Item>, PaginationError> {
        self.items().try_collect().await
    }
}

/// Where a page stream stands: the operation for the next page (`None` once finished) and
/// the tokens already followed.
struct Cursor<O> {
    client: Client,
    next: Option<O>,
    seen: HashSet<String>,
    fetched: usize,
}

impl<O> Cursor<O>
where
    O: Paginated + Send + Sync + 'static,
    O::Output: Send + 'static,
{
    async fn advance(mut self) -> Option<(Result<O::Output, PaginationError>, Self)> {
        let mut operation = self.next.take()?;
        let output = match self.client.send(operation.clone()).await {
            Ok(output) => output,
            Err(error) => return Some((Err(PaginationError::Request(error)), self)),
        };
        self.fetched += 1;
        let page = self.fetched;
        if O::is_done(&output) {
            return Some((Ok(output), self));
        }
        match O::next_page_token(&output).filter(|token| !token.is_empty()) {
            None => Some((Err(PaginationError::MissingPageToken { page }), self)),
            Some(token) if !self.seen.insert(token.to_owned()) => {
                let token = token.to_owned();
                Some((
                    Err(PaginationError::RepeatedPageToken { token, page }),
                    self,
                ))
            }
            Some(token) => {
                operation.set_page_token(Some(token.to_owned()));
                self.next = Some(operation);
                Some((Ok(output), self))
            }
        }
    }
}

/// Why a page stream ended early.
#[derive(Debug)]
#[non_exhaustive]
pub enum PaginationError {
    /// A page could not be fetched: the request failed or could not be built (for example a
    /// page size outside the spec's bounds).
    Request(Error),
    /// The server returned a page token it had already returned: following it would fetch
    /// the same pages forever.
    RepeatedPageToken {
        /// The repeated token.
        token: String,
        /// The 1-based number of the page that carried it.
        page: usize,
    },
    /// The server said more pages follow (`done: false`) but gave no `nextPageToken`.
    MissingPageToken {
        /// The 1-based number of the page that lacked it.
        page: usize,
    },
}

impl fmt::Display for PaginationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaginationError::Request(error) => write!(f, "fetching a page failed: {error}"),
            PaginationError::RepeatedPageToken { token, page } => write!(
                f,
                "page {page} repeats the page token {token:?}; stopping instead of looping"
            ),
            PaginationError::MissingPageToken { page } => write!(
                f,
                "page {page} is not the last (`done` is false) but has no `nextPageToken`"
            ),
        }
    }
}

impl std::error::Error for PaginationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PaginationError::Request(error) => Some(error),
            _ => None,
        }
    }
}

impl From<Error> for PaginationError {
    fn from(error: Error) -> Self {
        PaginationError::Request(error)
    }
}

/// A request error is returned as it is; a misbehaving server becomes an
/// [`ErrorKind::Other`](ampersand_core::ErrorKind::Other) error with this one as its source.
impl From<PaginationError> for Error {
    fn from(error: PaginationError) -> Self {
        match error {
            PaginationError::Request(error) => error,
            other => Error::from_boxed(Box::new(other)),
        }
    }
}
