//! Summaries of the timings the interleaved pre-passes take.

use std::cmp::Ordering;
use std::time::Duration;

/// The median of each variant's timings (each list sorted in place): the middle value, so that
/// the rare slow wake-ups of a virtual machine do not move it as they move a mean.
pub fn medians(timings: &mut [Vec<Duration>]) -> Vec<Duration> {
    timings
        .iter_mut()
        .map(|timings| middle(timings, Duration::cmp))
        .collect()
}

/// For each variant, the median over turns of `baseline's time / the variant's time` in the
/// same turn (`turns[variant][turn]`): its throughput relative to the baseline's, taken turn
/// by turn, so that a turn slowed down by the host weighs no more than any other.
pub fn median_turn_ratios(turns: &[Vec<Duration>], baseline: usize) -> Vec<f64> {
    turns
        .iter()
        .map(|variant| {
            let mut ratios: Vec<f64> = variant
                .iter()
                .zip(&turns[baseline])
                .map(|(own, base)| base.as_secs_f64() / own.as_secs_f64())
                .collect();
            middle(&mut ratios, f64::total_cmp)
        })
        .collect()
}

/// The middle value of `values` once sorted by `order` (the upper one of an even count).
fn middle<T: Copy>(values: &mut [T], order: impl FnMut(&T, &T) -> Ordering) -> T {
    values.sort_unstable_by(order);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_ratios_ignore_one_slow_turn() {
        let ms = Duration::from_millis;
        // Turn 3 was slowed down for the second variant only; a ratio of sums would say 0.47.
        let turns = vec![
            vec![ms(10), ms(10), ms(10), ms(10), ms(10)],
            vec![ms(20), ms(20), ms(20), ms(200), ms(20)],
            vec![ms(8), ms(10), ms(12), ms(10), ms(10)],
        ];
        let ratios = median_turn_ratios(&turns, 0);
        assert_eq!(ratios[0], 1.0);
        assert_eq!(ratios[1], 0.5);
        assert_eq!(ratios[2], 1.0);
    }

    #[test]
    fn the_median_ignores_one_outlier() {
        let ms = Duration::from_millis;
        let mut timings = vec![vec![ms(3), ms(1), ms(900), ms(2), ms(2)], vec![ms(7)]];
        assert_eq!(medians(&mut timings), vec![ms(2), ms(7)]);
    }
}
