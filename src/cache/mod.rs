//! The kernel cache: compiled programs kept in memory for this process and on disk for
//! the next ones, by a content hash of what compiled them ([`key`]). docs/cache.md is the
//! user's guide: the key, the folder, the entry format and what is guaranteed.
//!
//! [`crate::Jit::compile`] looks here first; a damaged entry on disk is found by its
//! checksum, removed, and rebuilt, never loaded; a folder that cannot be written costs
//! only the caching (the compile still succeeds, and [`Cache::warning`] says why).

mod codec;
pub mod disk;
pub mod entry;
pub mod key;
pub mod location;
mod memory;
mod stats;

pub use disk::{DiskError, DiskStore, DiskUsage};
pub use entry::EntryError;
pub use key::{COMPILER_VERSION, CacheKey, KeyInputs};
pub use memory::DEFAULT_MEMORY_ENTRIES;
pub use stats::CacheStats;

use crate::jit::Program;
use memory::MemoryCache;
use stats::Counters;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A kernel cache: a memory layer and, unless memory-only, a folder. Cloning gives another
/// handle to the same cache (counters included).
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    memory: MemoryCache,
    disk: Option<DiskStore>,
    counters: Counters,
    /// The latest problem that cost caching but not the compile.
    warning: Mutex<Option<String>>,
}

impl Cache {
    /// A cache in folder `dir` (created at the first store).
    pub fn at(dir: impl Into<PathBuf>) -> Cache {
        Cache::new(Some(DiskStore::new(dir)), None)
    }

    /// A cache that keeps programs in this process's memory only.
    pub fn in_memory() -> Cache {
        Cache::new(None, None)
    }

    /// The cache the environment asks for (see [`location`]): `None` when `EGPU_CACHE=off`;
    /// memory-only, with a warning, when no folder can be named.
    pub fn from_env() -> Option<Cache> {
        if !location::enabled(location::process_var) {
            return None;
        }
        Some(match location::cache_dir(location::process_var) {
            Some(dir) => Cache::at(dir),
            None => Cache::new(
                None,
                Some(format!(
                    "cache: no folder for it (set {} or HOME): programs are kept in memory only",
                    location::DIR_VAR
                )),
            ),
        })
    }

    /// The process's shared cache ([`Cache::from_env`], read once): what `Jit::new` uses, so
    /// every compiler in the process shares one memory layer.
    pub fn shared() -> Option<Cache> {
        static SHARED: OnceLock<Option<Cache>> = OnceLock::new();
        SHARED.get_or_init(Cache::from_env).clone()
    }

    fn new(disk: Option<DiskStore>, warning: Option<String>) -> Cache {
        Cache {
            inner: Arc::new(Inner {
                memory: MemoryCache::new(DEFAULT_MEMORY_ENTRIES),
                disk,
                counters: Counters::default(),
                warning: Mutex::new(warning),
            }),
        }
    }

    /// The folder, unless memory-only.
    pub fn dir(&self) -> Option<&Path> {
        self.inner.disk.as_ref().map(DiskStore::dir)
    }

    /// The program stored under `key`: from memory, else from disk (then kept in memory).
    /// A damaged entry is removed and counted in [`CacheStats::corrupt`]; it, and any
    /// entry that cannot be read, is a miss.
    pub fn get(&self, key: &CacheKey) -> Option<Arc<Program>> {
        let inner = &self.inner;
        if let Some(program) = inner.memory.get(key) {
            Counters::bump(&inner.counters.memory_hits);
            return Some(program);
        }
        let found = inner.disk.as_ref().and_then(|disk| self.load(disk, key));
        match &found {
            Some(program) => {
                Counters::bump(&inner.counters.disk_hits);
                inner.memory.insert(*key, Arc::clone(program));
            }
            None => Counters::bump(&inner.counters.misses),
        }
        found
    }

    /// The program in `disk`'s entry for `key`, if it is there and whole.
    fn load(&self, disk: &DiskStore, key: &CacheKey) -> Option<Arc<Program>> {
        let bytes = match disk.read(key) {
            Ok(bytes) => bytes?,
            Err(e) => {
                self.warn(e.to_string());
                return None;
            }
        };
        match entry::decode(key, &bytes) {
            Ok(program) => Some(Arc::new(program)),
            Err(e) => {
                Counters::bump(&self.inner.counters.corrupt);
                let path = disk.entry_path(key);
                self.warn(format!(
                    "cache: damaged entry {} ({e}): removed, rebuilding",
                    path.display()
                ));
                if let Err(e) = disk.remove(key) {
                    self.warn(e.to_string());
                }
                None
            }
        }
    }

    /// Keeps `program` under `key`, in memory and on disk. A failed write is counted in
    /// [`CacheStats::write_failures`] and reported by [`Cache::warning`], nothing more.
    pub fn insert(&self, key: CacheKey, program: &Arc<Program>) {
        self.inner.memory.insert(key, Arc::clone(program));
        let Some(disk) = &self.inner.disk else {
            return;
        };
        if let Err(e) = disk.write(&key, &entry::encode(&key, program)) {
            Counters::bump(&self.inner.counters.write_failures);
            self.warn(format!("{e} (compiled without caching)"));
        }
    }

    /// This process's counters.
    pub fn stats(&self) -> CacheStats {
        self.inner.counters.snapshot(self.inner.memory.entries())
    }

    /// What the folder holds (all zero for a memory-only cache).
    pub fn disk_usage(&self) -> Result<DiskUsage, DiskError> {
        match &self.inner.disk {
            Some(disk) => disk.usage(),
            None => Ok(DiskUsage::default()),
        }
    }

    /// Empties the memory layer and removes egpu's files from the folder (nothing else);
    /// returns what was removed from disk.
    pub fn clear(&self) -> Result<DiskUsage, DiskError> {
        self.inner.memory.clear();
        match &self.inner.disk {
            Some(disk) => disk.clear(),
            None => Ok(DiskUsage::default()),
        }
    }

    /// The latest problem that cost caching but not a compile (an unwritable folder, a
    /// damaged entry), as one line.
    pub fn warning(&self) -> Option<String> {
        self.inner
            .warning
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn warn(&self, message: String) {
        *self.inner.warning.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
    }
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("dir", &self.dir())
            .field("stats", &self.stats())
            .finish()
    }
}
