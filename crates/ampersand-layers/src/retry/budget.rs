//! A retry budget shared by every clone of a client.
//!
//! Attempt limits bound the retries of *one* call; they do nothing against an outage, when
//! every call fails and each one retries: with 4 attempts per call, an unavailable API
//! receives four times the normal load just when it can least take it (tower's
//! `retry::budget` module explains this "retry storm" well). A budget bounds the retries of
//! *all* calls together.
//!
//! This one is a token bucket, after the AWS SDKs' (smithy-rs `TokenBucket`, the "standard"
//! retry mode): it starts full; each retry withdraws a cost (more for a timeout, which held a
//! connection for the whole attempt timeout); a first attempt that succeeds deposits a small
//! reward and a retry that succeeds refunds its cost. When the bucket cannot pay, the call
//! fails with its last error instead of retrying, while first attempts still go through. So
//! during an outage the total number of retries is about `capacity / retry_cost`, whatever
//! the number of calls, and the bucket refills as soon as calls succeed again. Unlike tower's
//! `TpsBudget` it has no clock, which makes its behaviour exact and easy to test.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::classify::RetryReason;

/// The size and prices of a [`RetryBudget`].
///
/// Defaults (the AWS SDKs'): capacity 500, retry cost 5, timeout retry cost 10, success
/// reward 1; that is 100 retries (50 after timeouts) before an outage stops retries.
///
/// ```
/// use ampersand_layers::retry::BudgetConfig;
///
/// let config = BudgetConfig::default().capacity(50).retry_cost(5);
/// assert_eq!(config.max_retries(), 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct BudgetConfig {
    capacity: u32,
    retry_cost: u32,
    timeout_retry_cost: u32,
    success_reward: u32,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            capacity: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
            success_reward: 1,
        }
    }
}

impl BudgetConfig {
    /// The number of tokens the bucket holds, and starts with.
    pub fn capacity(mut self, tokens: u32) -> Self {
        self.capacity = tokens;
        self
    }

    /// The price of a retry after any failure but a timeout.
    pub fn retry_cost(mut self, tokens: u32) -> Self {
        self.retry_cost = tokens;
        self
    }

    /// The price of a retry after a timeout.
    pub fn timeout_retry_cost(mut self, tokens: u32) -> Self {
        self.timeout_retry_cost = tokens;
        self
    }

    /// The tokens a first attempt that succeeds puts back.
    pub fn success_reward(mut self, tokens: u32) -> Self {
        self.success_reward = tokens;
        self
    }

    /// How many retries (none after a timeout) a full bucket pays for.
    pub fn max_retries(&self) -> u32 {
        self.capacity
            .checked_div(self.retry_cost)
            .unwrap_or(u32::MAX)
    }

    /// The price of a retry for `reason`.
    pub fn cost(&self, reason: RetryReason) -> u32 {
        match reason {
            RetryReason::Timeout => self.timeout_retry_cost,
            _ => self.retry_cost,
        }
    }
}

/// A token bucket for retries; clones share the same bucket.
///
/// The [`RetryLayer`](super::RetryLayer) makes one per layer, so every service it builds, and
/// every clone of the client, draws from it. To share one bucket between several clients, make
/// it yourself and pass it to [`RetryLayer::with_budget`](super::RetryLayer::with_budget).
///
/// ```
/// use ampersand_layers::retry::{BudgetConfig, RetryBudget, RetryReason};
///
/// let budget = RetryBudget::new(BudgetConfig::default().capacity(10).retry_cost(5));
/// let shared = budget.clone();
/// assert!(budget.try_withdraw(RetryReason::Unavailable));
/// assert!(shared.try_withdraw(RetryReason::Unavailable));
/// assert!(!budget.try_withdraw(RetryReason::Unavailable)); // empty for both
/// shared.record_success(1);
/// assert_eq!(budget.available(), 1);
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    inner: Arc<Bucket>,
}

struct Bucket {
    config: BudgetConfig,
    tokens: AtomicU32,
}

impl RetryBudget {
    /// A full bucket.
    pub fn new(config: BudgetConfig) -> Self {
        RetryBudget {
            inner: Arc::new(Bucket {
                config,
                tokens: AtomicU32::new(config.capacity),
            }),
        }
    }

    /// The bucket's configuration.
    pub fn config(&self) -> BudgetConfig {
        self.inner.config
    }

    /// The tokens left.
    pub fn available(&self) -> u32 {
        self.inner.tokens.load(Ordering::Acquire)
    }

    /// Pays for a retry after a failure of kind `reason`; false (and nothing withdrawn) when
    /// the bucket cannot pay.
    pub fn try_withdraw(&self, reason: RetryReason) -> bool {
        let cost = self.inner.config.cost(reason);
        self.inner
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |tokens| {
                tokens.checked_sub(cost)
            })
            .is_ok()
    }

    /// Records a successful attempt, the `attempt`-th of its call: a first attempt deposits
    /// the success reward, a retry refunds the retry cost. Never beyond the capacity.
    pub fn record_success(&self, attempt: u32) {
        let config = self.inner.config;
        let amount = if attempt > 1 {
            config.retry_cost
        } else {
            config.success_reward
        };
        if amount == 0 {
            return;
        }
        // A full bucket (the steady state) is left without a write, so that the successes of
        // many threads read the shared cache line instead of contending to own it.
        let _ = self
            .inner
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |tokens| {
                let next = tokens.saturating_add(amount).min(config.capacity);
                (next != tokens).then_some(next)
            });
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("available", &self.available())
            .field("config", &self.inner.config)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_by_reason() {
        let budget = RetryBudget::new(BudgetConfig::default().capacity(25));
        assert!(budget.try_withdraw(RetryReason::Timeout)); // 10
        assert!(budget.try_withdraw(RetryReason::Throttled)); // 5
        assert!(budget.try_withdraw(RetryReason::NotSent)); // 5
        assert_eq!(budget.available(), 5);
        assert!(!budget.try_withdraw(RetryReason::Timeout));
        assert_eq!(budget.available(), 5, "a refused withdrawal takes nothing");
        assert!(budget.try_withdraw(RetryReason::Transport));
        assert!(!budget.try_withdraw(RetryReason::Transport));
    }

    #[test]
    fn successes_refill_up_to_capacity() {
        let budget = RetryBudget::new(BudgetConfig::default().capacity(12));
        assert!(budget.try_withdraw(RetryReason::Unavailable));
        assert!(budget.try_withdraw(RetryReason::Unavailable));
        assert_eq!(budget.available(), 2);
        budget.record_success(1);
        assert_eq!(budget.available(), 3);
        budget.record_success(3);
        assert_eq!(budget.available(), 8);
        budget.record_success(2);
        budget.record_success(2);
        assert_eq!(budget.available(), 12);
    }

    #[test]
    fn concurrent_withdrawals_never_overdraw() {
        let budget = RetryBudget::new(BudgetConfig::default().capacity(1000).retry_cost(7));
        let granted: u32 = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let budget = budget.clone();
                    scope.spawn(move || {
                        (0..100)
                            .filter(|_| budget.try_withdraw(RetryReason::Unavailable))
                            .count() as u32
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(granted, 1000 / 7);
        assert_eq!(budget.available(), 1000 % 7);
    }
}
