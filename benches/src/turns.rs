//! The order in which the variants of an interleaved pre-pass take their turns.
//!
//! Each turn runs every variant once, in an order shuffled afresh, so that no variant always
//! follows the same other one (and inherits its effect on the CPU caches and the allocator)
//! or always runs at the same place in the turn. The shuffle is seeded, so a pass is
//! reproducible.

/// Shuffled orders of `0..len`, one per turn.
#[derive(Debug, Clone)]
pub struct TurnOrder {
    len: usize,
    state: u64,
}

impl TurnOrder {
    /// Orders of `len` variants, from a fixed seed.
    pub fn new(len: usize) -> Self {
        TurnOrder {
            len,
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// The next turn's order: a permutation of `0..len` (Fisher-Yates over xorshift64*).
    pub fn next_turn(&mut self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.len).collect();
        for i in (1..self.len).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        order
    }

    fn next_u64(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_turn_is_a_permutation_and_every_variant_leads_alike() {
        let mut orders = TurnOrder::new(9);
        let mut first = [0usize; 9];
        let mut follows_reqwest = [0usize; 9];
        for _ in 0..9_000 {
            let order = orders.next_turn();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..9).collect::<Vec<_>>());
            first[order[0]] += 1;
            let at = order
                .iter()
                .position(|&v| v == 1)
                .expect("1 is in every turn");
            if let Some(&next) = order.get(at + 1) {
                follows_reqwest[next] += 1;
            }
        }
        // 1,000 expected each; a biased shuffle would be far off.
        assert!(first.iter().all(|&n| (850..1150).contains(&n)), "{first:?}");
        let after: Vec<usize> = follows_reqwest
            .iter()
            .enumerate()
            .filter(|&(v, _)| v != 1)
            .map(|(_, &n)| n)
            .collect();
        assert!(after.iter().all(|&n| (850..1150).contains(&n)), "{after:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_turns() {
        let (mut a, mut b) = (TurnOrder::new(5), TurnOrder::new(5));
        for _ in 0..10 {
            assert_eq!(a.next_turn(), b.next_turn());
        }
    }
}
