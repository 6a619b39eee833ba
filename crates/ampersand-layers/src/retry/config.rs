//! [`RetryConfig`]: how many attempts, how long between them, for how long in all.

use std::time::{Duration, SystemTime};

use super::backoff::{ExponentialBackoff, Jitter};
use super::budget::BudgetConfig;

/// The retry settings.
///
/// | setting | default | official SDKs |
/// |---|---|---|
/// | attempts | 4 (3 retries) | unlimited within 1 h (sdk-node); none at all (sdk-node-platform, the CLI) |
/// | first backoff | 500 ms | 500 ms |
/// | growth | x2, exponential | `500 ms * n^1.5` (n = retry index from 0) |
/// | jitter | full: uniform in `[0, backoff]` | plus uniform `[0, 1 s]` |
/// | maximum wait | 60 s (also caps `Retry-After`) | 60 s |
/// | overall deadline | none here; the client sets 120 s | 1 h elapsed (sdk-node) |
/// | budget | 500-token bucket shared by all clones | none |
///
/// (The official figures are from Speakeasy's `src/lib/retries.ts` in sdk-node and the
/// `x-speakeasy-retries` overlay of the platform spec.)
///
/// Why ours differ: the attempt limit and the deadline bound how long a library call can
/// block, where an hour of silent retries surprises the caller. Full jitter spreads the
/// retries of many clients over the whole window after an outage; an additive jitter of up to
/// 1 s still lets them arrive in waves. Because full jitter waits half the ceiling on average,
/// we grow it by 2 rather than 1.5, so the mean waits are 0.25 s, 0.5 s and 1 s. The maximum
/// stays at 60 s so that a server's `Retry-After` of up to a minute is honoured. The budget
/// caps the extra load retries can add during an outage, which no attempt limit does.
///
/// ```
/// use std::time::Duration;
/// use ampersand_layers::retry::RetryConfig;
///
/// let config = RetryConfig::default()
///     .max_attempts(6)
///     .initial_backoff(Duration::from_millis(200))
///     .max_backoff(Duration::from_secs(10))
///     .deadline(Duration::from_secs(30));
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct RetryConfig {
    pub(super) max_attempts: u32,
    pub(super) backoff: ExponentialBackoff,
    pub(super) deadline: Option<Duration>,
    pub(super) budget: Option<BudgetConfig>,
    pub(super) wall_clock: fn() -> SystemTime,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 4,
            backoff: ExponentialBackoff::default(),
            deadline: None,
            budget: Some(BudgetConfig::default()),
            wall_clock: SystemTime::now,
        }
    }
}

impl RetryConfig {
    /// The defaults (see the table above).
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `attempts` attempts per call, the first included; 1 disables retries, 0 is
    /// taken as 1. A call overrides it with
    /// [`CallOptions::max_attempts`](ampersand_core::CallOptions::max_attempts).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff ceiling of the first retry.
    pub fn initial_backoff(mut self, initial: Duration) -> Self {
        self.backoff =
            ExponentialBackoff::new(initial, self.backoff.multiplier(), self.backoff.max())
                .jitter(self.backoff.jitter_mode());
        self
    }

    /// The growth of the backoff ceiling per retry (at least 1).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.backoff =
            ExponentialBackoff::new(self.backoff.initial(), multiplier, self.backoff.max())
                .jitter(self.backoff.jitter_mode());
        self
    }

    /// The longest wait between attempts; server hints (`Retry-After`, `retryAfter`) are
    /// clamped to it too.
    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.backoff =
            ExponentialBackoff::new(self.backoff.initial(), self.backoff.multiplier(), max)
                .jitter(self.backoff.jitter_mode());
        self
    }

    /// How the backoff ceiling becomes a wait (full jitter by default).
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.backoff = self.backoff.jitter(jitter);
        self
    }

    /// Replaces the whole backoff.
    pub fn backoff(mut self, backoff: ExponentialBackoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The time allowed for a whole call, attempts and waits included. A call overrides it
    /// with [`CallOptions::deadline`](ampersand_core::CallOptions::deadline) (the earlier one
    /// wins). A duration too long to be an instant means no deadline.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// No overall deadline, unless a call sets one.
    pub fn no_deadline(mut self) -> Self {
        self.deadline = None;
        self
    }

    /// The size and prices of the shared retry budget.
    pub fn budget(mut self, budget: BudgetConfig) -> Self {
        self.budget = Some(budget);
        self
    }

    /// No retry budget: only the attempt limit and the deadline bound retries.
    pub fn no_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    /// The wall clock used to turn an HTTP-date `Retry-After` (or the problem's `retryAfter`)
    /// into a wait; `SystemTime::now` by default. Tests use a fixed one.
    pub fn wall_clock(mut self, now: fn() -> SystemTime) -> Self {
        self.wall_clock = now;
        self
    }
}
