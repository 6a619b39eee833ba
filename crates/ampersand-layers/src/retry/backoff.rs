//! How long to wait before the next attempt.
//!
//! Truncated exponential backoff with **full jitter** (the wait is drawn uniformly from
//! `[0, ceiling]`, as google-cloud-rust's gax and the AWS SDKs do), then combined with what
//! the server asked for: the wait is the largest of the backoff, the `Retry-After` header
//! (delta-seconds or HTTP-date) and the problem's `retryAfter`, clamped to the maximum delay.
//! When the wait would reach past the call's deadline there is no point in waiting: the retry
//! layer gives up at once and returns the last error.
//!
//! Everything here is a pure function of its inputs (the retry number, a uniform random number
//! in `[0, 1)`, the server's hint and the time left), so it is tested with tables; the retry
//! policy supplies the random number and the clocks.

use std::time::Duration;

/// How the backoff ceiling is turned into a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// A uniform random wait in `[0, ceiling]`: spreads the retries of many clients so that
    /// they do not arrive together after an outage. The default.
    #[default]
    Full,
    /// Always wait the ceiling; for tests and for callers that want predictable waits.
    None,
}

/// Truncated exponential backoff: the ceiling of retry `n` (1 for the first retry) is
/// `initial * multiplier^(n-1)`, capped at `max`.
///
/// ```
/// use std::time::Duration;
/// use ampersand_layers::retry::{ExponentialBackoff, Jitter};
///
/// let backoff = ExponentialBackoff::new(Duration::from_millis(500), 2.0, Duration::from_secs(60))
///     .jitter(Jitter::None);
/// assert_eq!(backoff.ceiling(1), Duration::from_millis(500));
/// assert_eq!(backoff.ceiling(3), Duration::from_secs(2));
/// // The server asked for 5 s: that wins over the 500 ms backoff.
/// let wait = backoff.next_wait(1, 0.0, Some(Duration::from_secs(5)), None);
/// assert_eq!(wait, Some(Duration::from_secs(5)));
/// // Only 3 s are left before the deadline: give up instead of waiting.
/// let wait = backoff.next_wait(1, 0.0, Some(Duration::from_secs(5)), Some(Duration::from_secs(3)));
/// assert_eq!(wait, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[must_use]
pub struct ExponentialBackoff {
    initial: Duration,
    multiplier: f64,
    max: Duration,
    jitter: Jitter,
}

impl ExponentialBackoff {
    /// A backoff from `initial`, growing by `multiplier` per retry, never above `max`, with
    /// full jitter. A multiplier below 1 (or NaN) is taken as 1, and `max` is raised to
    /// `initial` if it is smaller.
    pub fn new(initial: Duration, multiplier: f64, max: Duration) -> Self {
        let multiplier = if multiplier >= 1.0 { multiplier } else { 1.0 };
        ExponentialBackoff {
            initial,
            multiplier,
            max: max.max(initial),
            jitter: Jitter::Full,
        }
    }

    /// Sets how the ceiling becomes a wait.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The ceiling of the first retry.
    pub fn initial(&self) -> Duration {
        self.initial
    }

    /// The growth factor per retry.
    pub fn multiplier(&self) -> f64 {
        self.multiplier
    }

    /// The longest wait, for the backoff and for the server's hints alike.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The jitter mode.
    pub fn jitter_mode(&self) -> Jitter {
        self.jitter
    }

    /// The ceiling of retry `retry` (1 for the first retry; 0 is taken as 1).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(i32::MAX as u32) as i32;
        let seconds = self.initial.as_secs_f64() * self.multiplier.powi(exponent);
        if !seconds.is_finite() || seconds >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::from_secs_f64(seconds)
        }
    }

    /// The backoff of retry `retry`, given `unit`, a uniform random number in `[0, 1)`
    /// (ignored without jitter; clamped into `[0, 1]`).
    pub fn delay(&self, retry: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(retry);
        match self.jitter {
            Jitter::Full => {
                let unit = if unit.is_nan() {
                    0.0
                } else {
                    unit.clamp(0.0, 1.0)
                };
                // Not `mul_f64`, which panics when rounding passes `Duration::MAX`: the
                // ceiling itself is then the wait.
                Duration::try_from_secs_f64(ceiling.as_secs_f64() * unit).unwrap_or(ceiling)
            }
            Jitter::None => ceiling,
        }
    }

    /// The wait before retry `retry`: the largest of the backoff and the server's hint,
    /// clamped to [`max`](Self::max). `None` when that wait would not end before the time
    /// left (`remaining`, none for no deadline): the caller should give up now.
    pub fn next_wait(
        &self,
        retry: u32,
        unit: f64,
        server_hint: Option<Duration>,
        remaining: Option<Duration>,
    ) -> Option<Duration> {
        let backoff = self.delay(retry, unit);
        let wait = server_hint
            .map_or(backoff, |hint| hint.max(backoff))
            .min(self.max);
        match remaining {
            Some(remaining) if wait >= remaining => None,
            _ => Some(wait),
        }
    }
}

impl Default for ExponentialBackoff {
    /// 500 ms initial, x2, 60 s max, full jitter (see [`RetryConfig`](super::RetryConfig) for
    /// why).
    fn default() -> Self {
        ExponentialBackoff::new(Duration::from_millis(500), 2.0, Duration::from_secs(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;
    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn ceilings_grow_and_are_capped() {
        let backoff = ExponentialBackoff::new(MS(500), 2.0, S(5));
        let table = [
            (0, MS(500)),
            (1, MS(500)),
            (2, MS(1000)),
            (3, MS(2000)),
            (4, MS(4000)),
            (5, S(5)),
            (6, S(5)),
            (1000, S(5)),
            (u32::MAX, S(5)),
        ];
        for (retry, want) in table {
            assert_eq!(backoff.ceiling(retry), want, "retry {retry}");
        }
    }

    #[test]
    fn official_sdk_factor() {
        let backoff = ExponentialBackoff::new(MS(500), 1.5, S(60));
        let table = [
            (1, MS(500)),
            (2, MS(750)),
            (3, MS(1125)),
            (4, Duration::from_micros(1_687_500)),
        ];
        for (retry, want) in table {
            assert_eq!(backoff.ceiling(retry), want, "retry {retry}");
        }
    }

    #[test]
    fn full_jitter_scales_the_ceiling() {
        let backoff = ExponentialBackoff::new(MS(1000), 2.0, S(60));
        let table = [
            (1, 0.0, MS(0)),
            (1, 0.25, MS(250)),
            (1, 0.999, MS(999)),
            (2, 0.5, MS(1000)),
            (3, 0.5, MS(2000)),
            (1, -1.0, MS(0)),
            (1, 7.0, MS(1000)),
            (1, f64::NAN, MS(0)),
        ];
        for (retry, unit, want) in table {
            assert_eq!(
                backoff.delay(retry, unit),
                want,
                "retry {retry} unit {unit}"
            );
        }
        let none = backoff.jitter(Jitter::None);
        assert_eq!(none.delay(2, 0.0), MS(2000));
        let forever = ExponentialBackoff::new(Duration::MAX, 2.0, Duration::MAX);
        assert_eq!(forever.delay(1, 1.0), Duration::MAX);
        assert_eq!(forever.delay(u32::MAX, 0.0), Duration::ZERO);
    }

    #[test]
    fn next_wait_takes_the_largest_then_clamps_then_checks_the_deadline() {
        let backoff = ExponentialBackoff::new(MS(500), 2.0, S(30));
        type Row = (
            u32,
            f64,
            Option<Duration>,
            Option<Duration>,
            Option<Duration>,
        );
        // (retry, unit, hint, remaining, want)
        let table: [Row; 10] = [
            (1, 1.0, None, None, Some(MS(500))),
            (3, 0.5, None, None, Some(MS(1000))),
            (1, 0.5, Some(S(7)), None, Some(S(7))),
            (4, 1.0, Some(S(1)), None, Some(S(4))),
            (1, 0.0, Some(S(120)), None, Some(S(30))),
            (1, 0.0, Some(Duration::ZERO), None, Some(MS(0))),
            (1, 1.0, None, Some(S(10)), Some(MS(500))),
            (1, 1.0, Some(S(7)), Some(S(7)), None),
            (1, 1.0, Some(S(7)), Some(S(6)), None),
            (1, 0.0, Some(S(120)), Some(S(31)), Some(S(30))),
        ];
        for (retry, unit, hint, remaining, want) in table {
            assert_eq!(
                backoff.next_wait(retry, unit, hint, remaining),
                want,
                "retry {retry} unit {unit} hint {hint:?} remaining {remaining:?}"
            );
        }
    }

    #[test]
    fn constructor_repairs_nonsense() {
        let backoff = ExponentialBackoff::new(S(2), 0.5, S(1));
        assert_eq!(backoff.multiplier(), 1.0);
        assert_eq!(backoff.max(), S(2));
        assert_eq!(backoff.ceiling(10), S(2));
        assert_eq!(
            ExponentialBackoff::new(S(1), f64::NAN, S(4)).multiplier(),
            1.0
        );
    }
}
