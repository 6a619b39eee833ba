//! The interleaved passes of the loopback benches: the variants take turns, in an order
//! shuffled for every turn ([`TurnOrder`]), so that a change in the host's load falls on all of
//! them alike (criterion measures one variant after the other).
//!
//! - Latency: blocks of [`BLOCK`] sequential calls per variant per turn, each call timed.
//!   Blocks rather than single calls: a variant that runs right after another starts with the
//!   other's code and data in the CPU caches, and alternating call by call charged that to
//!   whichever variant came after reqwest (5-7% slower than in any other place).
//! - Throughput: turns of [`BATCHES_PER_TURN`] batches of [`IN_FLIGHT`] concurrent calls per
//!   variant, each turn starting with one untimed batch, since the first batch after a switch
//!   runs with the previous variant's caches (an application runs one client, not several in
//!   turns).
//!
//! A variant is an index into the caller's list; `call(index)` makes one call.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use tokio::runtime::Runtime;

use crate::turns::TurnOrder;

/// Calls in flight in a throughput batch.
pub const IN_FLIGHT: usize = 64;

/// Sequential calls in a row per variant per latency turn.
pub const BLOCK: usize = 50;

/// Timed batches per variant per throughput turn.
pub const BATCHES_PER_TURN: u64 = 5;

/// `iters` batches of [`IN_FLIGHT`] concurrent calls of `call`; the time of all of them.
pub fn batches<'c, T>(rt: &Runtime, iters: u64, call: impl Fn() -> BoxFuture<'c, T>) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let mut in_flight: FuturesUnordered<_> = (0..IN_FLIGHT).map(|_| call()).collect();
            while let Some(output) = in_flight.next().await {
                std::hint::black_box(output);
            }
        }
        start.elapsed()
    })
}

/// Each of `variants` variants' sequential calls, timed one by one: `calls` samples per
/// variant, taken in shuffled blocks of [`BLOCK`].
pub fn latency_samples<'c, T>(
    rt: &Runtime,
    variants: usize,
    calls: usize,
    call: impl Fn(usize) -> BoxFuture<'c, T>,
) -> Vec<Vec<Duration>> {
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(calls); variants];
    let mut orders = TurnOrder::new(variants);
    for turn in 0..calls.div_ceil(BLOCK) {
        let block = BLOCK.min(calls - turn * BLOCK);
        for index in orders.next_turn() {
            for _ in 0..block {
                let start = Instant::now();
                std::hint::black_box(rt.block_on(call(index)));
                samples[index].push(start.elapsed());
            }
        }
    }
    samples
}

/// Each of `variants` variants' time for [`BATCHES_PER_TURN`] batches in each of `turns`
/// turns (after one untimed batch per turn), in a shuffled order per turn.
pub fn throughput_turns<'c, T>(
    rt: &Runtime,
    variants: usize,
    turns: usize,
    call: impl Fn(usize) -> BoxFuture<'c, T>,
) -> Vec<Vec<Duration>> {
    let mut per_turn: Vec<Vec<Duration>> = vec![Vec::with_capacity(turns); variants];
    let mut orders = TurnOrder::new(variants);
    for _ in 0..turns {
        for index in orders.next_turn() {
            batches(rt, 1, || call(index));
            per_turn[index].push(batches(rt, BATCHES_PER_TURN, || call(index)));
        }
    }
    per_turn
}

/// The calls each variant made in [`throughput_turns`] over `turns` turns.
pub fn throughput_calls(turns: usize) -> f64 {
    (turns as u64 * BATCHES_PER_TURN * IN_FLIGHT as u64) as f64
}
