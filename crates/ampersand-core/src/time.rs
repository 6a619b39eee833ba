//! Instants a duration away, for settings that may mean "no limit".
//!
//! `Instant + Duration` panics when the sum does not fit the clock ("overflow when adding
//! duration to instant"), and every duration a user passes (a deadline, an attempt timeout, a
//! token's lifetime, `Duration::MAX` meaning "forever") ends up added to an instant somewhere.
//! The SDK adds them only through [`instant_after`], which says `None` instead of panicking:
//! an instant the clock cannot hold is later than any instant the program will see, so the
//! caller reads `None` as "no limit" (no deadline, a token that never expires).

use std::time::{Duration, Instant};

/// The instant `duration` after `start`, or `None` when the clock cannot hold it.
///
/// Works with `std::time::Instant` and with any clock's instant that converts both ways
/// (`tokio::time::Instant` does, paused or not).
///
/// ```
/// use std::time::{Duration, Instant};
/// use ampersand_core::time::instant_after;
///
/// let now = Instant::now();
/// assert_eq!(instant_after(now, Duration::from_secs(5)), Some(now + Duration::from_secs(5)));
/// assert_eq!(instant_after(now, Duration::MAX), None); // no limit
/// ```
pub fn instant_after<I>(start: I, duration: Duration) -> Option<I>
where
    I: Into<Instant> + From<Instant>,
{
    start.into().checked_add(duration).map(I::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_that_fit_and_sums_that_do_not() {
        let now = Instant::now();
        let table: &[(Duration, bool)] = &[
            (Duration::ZERO, true),
            (Duration::from_nanos(1), true),
            (Duration::from_secs(120), true),
            (Duration::from_secs(100 * 365 * 24 * 3600), true),
            (Duration::from_secs(u64::MAX), false),
            (Duration::MAX, false),
        ];
        for (duration, fits) in table {
            let at = instant_after(now, *duration);
            assert_eq!(at.is_some(), *fits, "{duration:?}");
            if let Some(at) = at {
                assert_eq!(at.duration_since(now), *duration);
            }
        }
    }
}
