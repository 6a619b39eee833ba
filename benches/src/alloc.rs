//! A global allocator that counts allocations, for the "allocations per call" figures.
//!
//! A bench binary installs it with
//! `#[global_allocator] static ALLOC: CountingAllocator = CountingAllocator;` and reads
//! [`snapshot`] before and after a batch of calls. The counters are relaxed atomics: a few
//! nanoseconds per allocation, paid equally by every variant a bench compares.
//!
//! This is the only unsafe code of the crate: `GlobalAlloc` is an unsafe trait. Each method
//! forwards to the system allocator with the caller's arguments unchanged, so the caller's
//! obligations carry over as they are.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting allocations (reallocations included) and bytes requested.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

// SAFETY: every method forwards to `System` with the same arguments; the counters do not
// touch the memory.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded as is; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: as above; `ptr` and `layout` come from this allocator, i.e. from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn count(bytes: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Allocations and reallocations so far.
    pub allocations: u64,
    /// Bytes requested so far.
    pub bytes: u64,
}

/// Reads the counters (all zero unless [`CountingAllocator`] is the global allocator).
pub fn snapshot() -> Snapshot {
    Snapshot {
        allocations: ALLOCATIONS.load(Ordering::Relaxed),
        bytes: BYTES.load(Ordering::Relaxed),
    }
}

/// Runs `f` `calls` times and returns the allocations and bytes per call, averaged.
pub fn per_call(calls: u64, mut f: impl FnMut()) -> (f64, f64) {
    let before = snapshot();
    for _ in 0..calls {
        f();
    }
    let after = snapshot();
    (
        (after.allocations - before.allocations) as f64 / calls as f64,
        (after.bytes - before.bytes) as f64 / calls as f64,
    )
}

/// Prints one line of the allocation pre-pass: `alloc <bench>/<variant>: N allocations, B bytes per call`.
pub fn report(bench: &str, variant: &str, (allocations, bytes): (f64, f64)) {
    println!("alloc {bench}/{variant}: {allocations:.2} allocations, {bytes:.0} bytes per call");
}
