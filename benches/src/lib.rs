//! Helpers shared by the benchmarks of the Ampersand SDK (see `BENCHMARKS.md` at the repo root).
//!
//! - [`alloc`]: a counting global allocator, to report allocations per call;
//! - [`fixtures`]: the response bodies the benches serve and decode;
//! - [`in_memory`]: the canned in-memory transport and the clients over it;
//! - [`interleave`]: the interleaved latency and throughput passes of the loopback benches;
//! - [`server`]: a hyper HTTP/1.1 server on 127.0.0.1 that answers every request with one body;
//! - [`stats`]: the medians of the interleaved pre-passes;
//! - [`turns`]: the shuffled order in which their variants take turns.

pub mod alloc;
pub mod fixtures;
pub mod in_memory;
pub mod interleave;
pub mod server;
pub mod stats;
pub mod turns;
