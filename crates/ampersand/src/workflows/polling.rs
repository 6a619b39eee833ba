//! Waiting for long-running work: poll `getOperation` until the operation succeeds or fails.
//!
//! `triggerRead` and asynchronous writes answer at once with an operation ID; the work runs on
//! Ampersand's side. [`Client::wait_for_operation`] polls the operation with a capped
//! exponential backoff until its status is `success` or `failure`, within an overall
//! deadline, reporting [`Progress`] (records processed, estimated total) after every poll.
//! On `failure` it fetches the operation's logs (`listOperationLogs`) and returns them in
//! [`WaitError::Failed`].
//!
//! Time is tokio's, so tests with paused time run the waits instantly.
//!
//! ```no_run
//! # async fn demo(client: ampersand::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use ampersand::workflows::{WaitError, WaitOptions};
//!
//! let options = WaitOptions::default()
//!     .timeout(Duration::from_secs(600))
//!     .on_progress(|p| println!("{} records of {:?}", p.records_processed.unwrap_or(0), p.records_estimated_total));
//! match client.wait_for_operation("my-project", "operation-id", options).await {
//!     Ok(operation) => println!("done: {:?}", operation.result),
//!     Err(WaitError::Failed(failed)) => {
//!         for log in failed.logs() {
//!             eprintln!("{} {}", log.severity, log.message.msg);
//!         }
//!     }
//!     Err(other) => return Err(other.into()),
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ampersand_core::Error;
use ampersand_core::time::instant_after;
use ampersand_resources::operations::{GetOperation, ListOperationLogs, Log, Operation};
use tokio::time::Instant;

use crate::Client;

/// The status of a finished, successful operation.
pub const STATUS_SUCCESS: &str = "success";
/// The status of a finished, failed operation.
pub const STATUS_FAILURE: &str = "failure";

type ProgressCallback = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How [`Client::wait_for_operation`] polls.
///
/// The delay before poll `n` (0-based, after the first) is `initial_delay * multiplier^n`,
/// capped at `max_delay`; the last sleep is shortened so the final poll happens at the
/// deadline.
#[derive(Clone)]
#[non_exhaustive]
#[must_use]
pub struct WaitOptions {
    /// The delay after the first poll. Default: 1 s.
    pub initial_delay: Duration,
    /// The longest delay between polls. Default: 30 s.
    pub max_delay: Duration,
    /// How much the delay grows after each poll. Default: 2.
    pub multiplier: f64,
    /// The overall time allowed, from the first poll. Default: 1 hour.
    ///
    /// It decides whether to poll again, not how long a poll may take: the last poll happens
    /// at the deadline and is bounded by the client's own attempt timeout and deadline.
    pub timeout: Duration,
    /// Whether to fetch the logs of a failed operation. Default: true.
    pub fetch_logs_on_failure: bool,
    on_progress: Option<ProgressCallback>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            multiplier: 2.0,
            timeout: Duration::from_secs(60 * 60),
            fetch_logs_on_failure: true,
            on_progress: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("initial_delay", &self.initial_delay)
            .field("max_delay", &self.max_delay)
            .field("multiplier", &self.multiplier)
            .field("timeout", &self.timeout)
            .field("fetch_logs_on_failure", &self.fetch_logs_on_failure)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl WaitOptions {
    /// Sets the delay after the first poll.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// Sets the longest delay between polls.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets how much the delay grows after each poll (values below 1 are treated as 1).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }

    /// Sets the overall time allowed. A duration past what the clock can hold (such as
    /// `Duration::MAX`) means no limit.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets whether to fetch the logs of a failed operation.
    pub fn fetch_logs_on_failure(mut self, fetch: bool) -> Self {
        self.fetch_logs_on_failure = fetch;
        self
    }

    /// Calls `callback` after every poll with the operation's progress.
    pub fn on_progress(mut self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(callback));
        self
    }

    /// The delay after poll number `poll` (1 for the first poll).
    fn delay_after(&self, poll: u32) -> Duration {
        let growth = self.multiplier.max(1.0).powi(poll.saturating_sub(1) as i32);
        let delay = self.initial_delay.as_secs_f64() * growth;
        if delay.is_finite() && delay < self.max_delay.as_secs_f64() {
            Duration::from_secs_f64(delay)
        } else {
            self.max_delay
        }
    }
}

/// An operation's progress, reported after every poll.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// The operation ID.
    pub operation_id: String,
    /// The status the poll returned (`in_progress`, `success`, `failure`).
    pub status: String,
    /// Records processed so far (`metadata.progress.recordsProcessed`), when reported.
    pub records_processed: Option<i64>,
    /// The estimated total (`metadata.progress.recordsEstimatedTotal`); only some
    /// providers report it.
    pub records_estimated_total: Option<i64>,
    /// How many polls were made, this one included.
    pub polls: u32,
    /// Time since the first poll.
    pub elapsed: Duration,
}

impl Progress {
    fn of(operation: &Operation, polls: u32, elapsed: Duration) -> Self {
        let progress = operation
            .metadata
            .as_ref()
            .and_then(|m| m.progress.as_ref());
        Progress {
            operation_id: operation.id.clone(),
            status: operation.status.clone(),
            records_processed: progress.and_then(|p| p.records_processed),
            records_estimated_total: progress.and_then(|p| p.records_estimated_total),
            polls,
            elapsed,
        }
    }

    /// Processed over estimated total, in `0.0..=1.0`, when both are known.
    pub fn fraction(&self) -> Option<f64> {
        let processed = self.records_processed?;
        let total = self.records_estimated_total.filter(|t| *t > 0)?;
        Some((processed as f64 / total as f64).clamp(0.0, 1.0))
    }
}

impl Client {
    /// Polls `getOperation` until the operation's status is `success` (returned) or `failure`
    /// ([`WaitError::Failed`], with its logs), or until `options.timeout` passes
    /// ([`WaitError::TimedOut`]). Any other status (`in_progress`, or one this SDK does not
    /// know) means "not finished yet".
    ///
    /// A request that fails after the client's own retries ends the wait with
    /// [`WaitError::Request`].
    pub async fn wait_for_operation(
        &self,
        project_id_or_name: impl Into<String>,
        operation_id: impl Into<String>,
        options: WaitOptions,
    ) -> Result<Operation, WaitError> {
        wait_for_operation(self, project_id_or_name, operation_id, options).await
    }
}

/// The function behind [`Client::wait_for_operation`].
pub async fn wait_for_operation(
    client: &Client,
    project_id_or_name: impl Into<String>,
    operation_id: impl Into<String>,
    options: WaitOptions,
) -> Result<Operation, WaitError> {
    let project = project_id_or_name.into();
    let operation_id = operation_id.into();
    let started = Instant::now();
    // A timeout past what the clock can hold is no timeout.
    let deadline = instant_after(started, options.timeout);
    let mut polls = 0;
    loop {
        let operation = client
            .send(GetOperation::new(&project, &operation_id))
            .await
            .map_err(WaitError::Request)?;
        polls += 1;
        if let Some(callback) = &options.on_progress {
            callback(&Progress::of(&operation, polls, started.elapsed()));
        }
        match operation.status.as_str() {
            STATUS_SUCCESS => return Ok(operation),
            STATUS_FAILURE => {
                return Err(WaitError::Failed(Box::new(
                    FailedOperation::with_logs(client, &project, operation, &options).await,
                )));
            }
            _ => {}
        }
        let now = Instant::now();
        if deadline.is_some_and(|deadline| now >= deadline) {
            return Err(WaitError::TimedOut {
                operation_id,
                timeout: options.timeout,
                last: Box::new(operation),
            });
        }
        let wake = [instant_after(now, options.delay_after(polls)), deadline]
            .into_iter()
            .flatten()
            .min();
        match wake {
            Some(wake) => tokio::time::sleep_until(wake).await,
            // Neither the delay nor the timeout ends within the clock's range.
            None => std::future::pending().await,
        }
    }
}

/// Why [`Client::wait_for_operation`] returned without a successful operation.
#[derive(Debug)]
#[non_exhaustive]
pub enum WaitError {
    /// The operation finished with `failure`.
    Failed(Box<FailedOperation>),
    /// The deadline passed before the operation finished.
    TimedOut {
        /// The operation waited for.
        operation_id: String,
        /// The deadline that passed.
        timeout: Duration,
        /// The operation as the last poll returned it.
        last: Box<Operation>,
    },
    /// Polling failed: `getOperation` returned an error the client did not retry away.
    Request(Error),
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::Failed(failed) => failed.fmt(f),
            WaitError::TimedOut {
                operation_id,
                timeout,
                ..
            } => write!(
                f,
                "operation {operation_id} did not finish within {timeout:?}"
            ),
            WaitError::Request(error) => write!(f, "polling the operation failed: {error}"),
        }
    }
}

impl std::error::Error for WaitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WaitError::Request(error) => Some(error),
            WaitError::Failed(failed) => failed.logs_error().map(|e| e as _),
            WaitError::TimedOut { .. } => None,
        }
    }
}

/// A request error is returned as it is; a timeout becomes an
/// [`ErrorKind::Timeout`](ampersand_core::ErrorKind::Timeout) error; a failed operation an
/// [`ErrorKind::Other`](ampersand_core::ErrorKind::Other) error with the [`WaitError`] as its
/// source.
impl From<WaitError> for Error {
    fn from(error: WaitError) -> Self {
        match error {
            WaitError::Request(error) => error,
            timed_out @ WaitError::TimedOut { .. } => Error::timeout(timed_out.to_string()),
            failed => Error::from_boxed(Box::new(failed)),
        }
    }
}

/// An operation that finished with `failure`, and its logs.
#[derive(Debug)]
pub struct FailedOperation {
    operation: Operation,
    logs: Vec<Log>,
    logs_error: Option<Error>,
}

impl FailedOperation {
    async fn with_logs(
        client: &Client,
        project: &str,
        operation: Operation,
        options: &WaitOptions,
    ) -> Self {
        let (logs, logs_error) = if options.fetch_logs_on_failure {
            match client
                .send(ListOperationLogs::new(project, &operation.id))
                .await
            {
                Ok(logs) => (logs, None),
                Err(error) => (Vec::new(), Some(error)),
            }
        } else {
            (Vec::new(), None)
        };
        FailedOperation {
            operation,
            logs,
            logs_error,
        }
    }

    /// The operation as the last poll returned it (`result` often says what went wrong).
    pub fn operation(&self) -> &Operation {
        &self.operation
    }

    /// The operation's logs; empty when they were not fetched or could not be.
    pub fn logs(&self) -> &[Log] {
        &self.logs
    }

    /// Why the logs could not be fetched, if they could not.
    pub fn logs_error(&self) -> Option<&Error> {
        self.logs_error.as_ref()
    }

    /// The operation and its logs.
    pub fn into_parts(self) -> (Operation, Vec<Log>) {
        (self.operation, self.logs)
    }
}

impl fmt::Display for FailedOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operation {} failed", self.operation.id)?;
        if let Some(result) = &self.operation.result {
            write!(f, ": {result}")?;
        }
        if let Some(error) = self
            .logs
            .iter()
            .rev()
            .find_map(|l| l.message.error.as_ref())
        {
            write!(f, " (last logged error: {error})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_and_are_capped() {
        let options = WaitOptions::default()
            .initial_delay(Duration::from_millis(500))
            .multiplier(2.0)
            .max_delay(Duration::from_secs(3));
        let table = [
            (1, 500),
            (2, 1000),
            (3, 2000),
            (4, 3000),
            (5, 3000),
            (60, 3000),
        ];
        for (poll, millis) in table {
            assert_eq!(
                options.delay_after(poll),
                Duration::from_millis(millis),
                "poll {poll}"
            );
        }
    }

    #[test]
    fn a_multiplier_below_one_keeps_the_delay_constant() {
        let options = WaitOptions::default()
            .initial_delay(Duration::from_secs(2))
            .multiplier(0.5);
        for poll in 1..5 {
            assert_eq!(options.delay_after(poll), Duration::from_secs(2));
        }
    }

    #[test]
    fn progress_fraction_needs_a_positive_total() {
        let mut progress = Progress {
            operation_id: "op".into(),
            status: "in_progress".into(),
            records_processed: Some(250),
            records_estimated_total: Some(1000),
            polls: 1,
            elapsed: Duration::ZERO,
        };
        assert_eq!(progress.fraction(), Some(0.25));
        progress.records_estimated_total = Some(0);
        assert_eq!(progress.fraction(), None);
        progress.records_estimated_total = None;
        assert_eq!(progress.fraction(), None);
        progress.records_estimated_total = Some(100);
        assert_eq!(progress.fraction(), Some(1.0));
    }
}
