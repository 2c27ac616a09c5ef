//! What the cache did in this process, counted as it happens.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a cache's counters (this process only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Programs found in memory.
    pub memory_hits: u64,
    /// Programs read from disk (and kept in memory from then on).
    pub disk_hits: u64,
    /// Compiles: the key was in neither layer (a damaged entry counts here too).
    pub misses: u64,
    /// Damaged entries found on disk (bad checksum, truncated, ...): removed, never loaded,
    /// and rebuilt by the compile that found them.
    pub corrupt: u64,
    /// Entries that could not be written (the program was still returned).
    pub write_failures: u64,
    /// Programs held in memory now.
    pub memory_entries: u64,
}

impl CacheStats {
    /// Hits of either layer.
    pub fn hits(&self) -> u64 {
        self.memory_hits + self.disk_hits
    }
}

/// The live counters behind [`CacheStats`].
#[derive(Default)]
pub struct Counters {
    pub memory_hits: AtomicU64,
    pub disk_hits: AtomicU64,
    pub misses: AtomicU64,
    pub corrupt: AtomicU64,
    pub write_failures: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self, memory_entries: usize) -> CacheStats {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheStats {
            memory_hits: read(&self.memory_hits),
            disk_hits: read(&self.disk_hits),
            misses: read(&self.misses),
            corrupt: read(&self.corrupt),
            write_failures: read(&self.write_failures),
            memory_entries: memory_entries as u64,
        }
    }
}
