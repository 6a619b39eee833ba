//! Per-call options, which travel with a request in its [`CallContext`](crate::CallContext).

use std::time::Duration;

/// Options for one call that override the client's defaults.
///
/// Attach them with [`Operation::with_options`](crate::Operation::with_options) (or, on a request
/// made by hand, [`CallContext::with_options`](crate::CallContext::with_options)); the layers read
/// them from the request's [`CallContext`](crate::CallContext). Unset fields keep the client's
/// configuration.
///
/// ```
/// use std::time::Duration;
/// use ampersand_core::CallOptions;
///
/// let options = CallOptions::new()
///     .max_attempts(5)
///     .deadline(Duration::from_secs(30));
/// assert_eq!(options.max_attempts_override(), Some(5));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct CallOptions {
    max_attempts: Option<u32>,
    deadline: Option<Duration>,
    attempt_timeout: Option<Duration>,
    idempotent: Option<bool>,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions::new()
    }
}

impl CallOptions {
    /// No overrides.
    pub const fn new() -> Self {
        CallOptions {
            max_attempts: None,
            deadline: None,
            attempt_timeout: None,
            idempotent: None,
        }
    }

    /// Sends the request once, whatever the retry policy says.
    pub fn no_retry(self) -> Self {
        self.max_attempts(1)
    }

    /// At most `attempts` attempts (the first one included). Zero is treated as one.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// The overall time allowed for the call, retries and waits included. A duration past
    /// what the clock can hold (such as `Duration::MAX`) means no limit
    /// (see [`time`](crate::time)).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The time allowed for each attempt (capped by what remains of the deadline). A duration
    /// past what the clock can hold means no limit.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Declares the call idempotent (or not), overriding the operation's metadata; for example a
    /// POST that carries its own idempotency guarantee.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// The attempt limit, if overridden.
    pub fn max_attempts_override(&self) -> Option<u32> {
        self.max_attempts
    }

    /// The overall deadline, if overridden.
    pub fn deadline_override(&self) -> Option<Duration> {
        self.deadline
    }

    /// The per-attempt timeout, if overridden.
    pub fn attempt_timeout_override(&self) -> Option<Duration> {
        self.attempt_timeout
    }

    /// The idempotency, if overridden.
    pub fn idempotent_override(&self) -> Option<bool> {
        self.idempotent
    }
}
