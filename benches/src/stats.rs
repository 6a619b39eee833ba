//! Summaries of the timings the interleaved pre-passes take.

use std::time::Duration;

/// The median of each variant's timings (each list sorted in place): the middle value, so that
/// the rare slow wake-ups of a virtual machine do not move it as they move a mean.
pub fn medians(timings: &mut [Vec<Duration>]) -> Vec<Duration> {
    timings
        .iter_mut()
        .map(|timings| {
            timings.sort_unstable();
            timings[timings.len() / 2]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_ignores_one_outlier() {
        let ms = Duration::from_millis;
        let mut timings = vec![vec![ms(3), ms(1), ms(900), ms(2), ms(2)], vec![ms(7)]];
        assert_eq!(medians(&mut timings), vec![ms(2), ms(7)]);
    }
}
