//! The per-process layer: key → shared program, so compiling the same graph again in one
//! process costs a hash and a map look-up, not a file read and a decode.

use super::key::CacheKey;
use crate::jit::Program;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// How many programs the memory layer keeps by default; the oldest goes first past it, so
/// a process that compiles endless distinct graphs does not grow without bound.
pub const DEFAULT_MEMORY_ENTRIES: usize = 1024;

/// Programs by key, at most `capacity` of them (first in, first out).
pub struct MemoryCache {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    programs: BTreeMap<CacheKey, Arc<Program>>,
    /// Keys in insertion order, for eviction.
    order: VecDeque<CacheKey>,
}

impl MemoryCache {
    pub fn new(capacity: usize) -> MemoryCache {
        MemoryCache {
            capacity,
            state: Mutex::new(State::default()),
        }
    }

    pub fn get(&self, key: &CacheKey) -> Option<Arc<Program>> {
        self.lock().programs.get(key).cloned()
    }

    pub fn insert(&self, key: CacheKey, program: Arc<Program>) {
        if self.capacity == 0 {
            return;
        }
        let mut state = self.lock();
        if state.programs.insert(key, program).is_some() {
            return;
        }
        state.order.push_back(key);
        while state.order.len() > self.capacity {
            if let Some(oldest) = state.order.pop_front() {
                state.programs.remove(&oldest);
            }
        }
    }

    /// Programs held now.
    pub fn entries(&self) -> usize {
        self.lock().programs.len()
    }

    pub fn clear(&self) {
        let mut state = self.lock();
        state.programs.clear();
        state.order.clear();
    }

    /// The map survives a thread that panicked while holding it: every update leaves it
    /// whole, so the data is still good.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
