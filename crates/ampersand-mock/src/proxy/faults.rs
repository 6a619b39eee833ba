//! Fault knobs of the proxy host: Ampersand's rate limiter, a failing provider, latency.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// One fault the proxy host serves, in place of (or before) the provider's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyFault {
    /// Ampersand's proxy rate limiter refuses the call: `429` with an RFC 9457 problem,
    /// `X-Amp-Retry-After: <value>` and `X-Amp-Retryable: <retryable>`.
    Throttle {
        /// The `X-Amp-Retry-After` value, sent as it is (delta-seconds or a date such as
        /// `Thu, 06 Mar 2025 22:09:49 UTC`).
        retry_after: String,
        /// The `X-Amp-Retryable` value.
        retryable: bool,
    },
    /// The provider answers this status with a JSON body of its own (not a problem): the
    /// proxy passes it through.
    ProviderStatus(u16),
    /// The answer is delayed by this long, then served as usual.
    Latency(Duration),
}

impl ProxyFault {
    /// A throttle whose `X-Amp-Retry-After` is the date `after` from now, in the proxy's `UTC`
    /// form (`Thu, 06 Mar 2025 22:09:49 UTC`).
    pub fn throttle_for(after: Duration, retryable: bool) -> ProxyFault {
        let at = chrono::Utc::now()
            + chrono::Duration::from_std(after).unwrap_or(chrono::Duration::zero());
        ProxyFault::Throttle {
            retry_after: at.format("%a, %d %b %Y %H:%M:%S UTC").to_string(),
            retryable,
        }
    }
}

/// The queue of faults: each is served `times` times, in order, then dropped.
#[derive(Debug, Default)]
pub(crate) struct ProxyFaults {
    queue: Mutex<VecDeque<(ProxyFault, u32)>>,
}

impl ProxyFaults {
    pub(crate) fn push(&self, fault: ProxyFault, times: u32) {
        if times > 0 {
            self.lock().push_back((fault, times));
        }
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// The next fault, spending one of its times.
    pub(crate) fn next(&self) -> Option<ProxyFault> {
        let mut queue = self.lock();
        let (fault, times) = queue.front_mut()?;
        let fault = fault.clone();
        *times -= 1;
        if *times == 0 {
            queue.pop_front();
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(ProxyFault, u32)>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}
