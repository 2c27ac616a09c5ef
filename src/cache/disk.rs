//! Entries on disk: one file `<key hex>.egpuc` per program in the cache folder.
//!
//! Writes are atomic: the bytes go to a temporary file `<key hex>.<pid>-<n>.tmp` in the same
//! folder, are flushed to the disk (fsync), and the file is renamed over the entry's name,
//! so a reader sees the old entry, no entry, or the whole new one, never part of it. Two
//! processes storing the same key each rename their own complete file; the last one stays,
//! and both hold the same bytes (compilation is deterministic). Only names of these two
//! shapes are ever counted or removed.

use super::key::CacheKey;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The file name extension of an entry.
pub const ENTRY_EXTENSION: &str = "egpuc";
const TEMP_EXTENSION: &str = "tmp";
/// Entries are read up to this size; a larger file is damaged (and fails its checks).
pub const ENTRY_READ_LIMIT: u64 = 1 << 30;

/// A file operation on the cache folder failed.
#[derive(Debug, thiserror::Error)]
#[error("cache: cannot {what} {}: {source}", path.display())]
pub struct DiskError {
    pub what: &'static str,
    pub path: PathBuf,
    pub source: io::Error,
}

/// What the folder holds that egpu recognizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskUsage {
    /// Entry files.
    pub entries: u64,
    /// Their total size.
    pub bytes: u64,
    /// Temporary files (a write in progress, or left by a process that stopped mid-write).
    pub temporary: u64,
}

/// The cache folder.
#[derive(Clone, Debug)]
pub struct DiskStore {
    dir: PathBuf,
}

/// Which of egpu's files a folder entry is, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    Entry,
    Temporary,
}

impl DiskStore {
    pub fn new(dir: impl Into<PathBuf>) -> DiskStore {
        DiskStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry for `key` lives.
    pub fn entry_path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.{ENTRY_EXTENSION}", key.hex()))
    }

    /// The bytes of the entry for `key` (at most [`ENTRY_READ_LIMIT`] + 1), or `None` when
    /// there is none.
    pub fn read(&self, key: &CacheKey) -> Result<Option<Vec<u8>>, DiskError> {
        let path = self.entry_path(key);
        let error = |source| DiskError {
            what: "read",
            path: path.clone(),
            source,
        };
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(error(e)),
        };
        let mut bytes = Vec::new();
        file.take(ENTRY_READ_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(error)?;
        Ok(Some(bytes))
    }

    /// Stores `bytes` as the entry for `key`, atomically (see the module's comment).
    pub fn write(&self, key: &CacheKey, bytes: &[u8]) -> Result<(), DiskError> {
        fs::create_dir_all(&self.dir).map_err(|source| DiskError {
            what: "create the folder",
            path: self.dir.clone(),
            source,
        })?;
        let temp = self.temp_path(key);
        let result = write_synced(&temp, bytes).and_then(|()| {
            fs::rename(&temp, self.entry_path(key)).map_err(|source| DiskError {
                what: "rename into place",
                path: temp.clone(),
                source,
            })
        });
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result?;
        sync_dir(&self.dir);
        Ok(())
    }

    /// Removes the entry for `key` (nothing to do when there is none).
    pub fn remove(&self, key: &CacheKey) -> Result<(), DiskError> {
        let path = self.entry_path(key);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(DiskError {
                what: "remove",
                path,
                source: e,
            }),
            _ => Ok(()),
        }
    }

    /// What the folder holds (all zero when it does not exist).
    pub fn usage(&self) -> Result<DiskUsage, DiskError> {
        let mut usage = DiskUsage::default();
        for (path, kind) in self.files()? {
            match kind {
                FileKind::Entry => {
                    usage.entries += 1;
                    usage.bytes += fs::metadata(&path).map_or(0, |m| m.len());
                }
                FileKind::Temporary => usage.temporary += 1,
            }
        }
        Ok(usage)
    }

    /// Removes every entry and temporary file, and nothing else; returns what was removed.
    pub fn clear(&self) -> Result<DiskUsage, DiskError> {
        let mut removed = DiskUsage::default();
        for (path, kind) in self.files()? {
            let size = fs::metadata(&path).map_or(0, |m| m.len());
            match fs::remove_file(&path) {
                Ok(()) => {}
                // Another process removed or renamed it meanwhile.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(DiskError {
                        what: "remove",
                        path,
                        source,
                    });
                }
            }
            match kind {
                FileKind::Entry => {
                    removed.entries += 1;
                    removed.bytes += size;
                }
                FileKind::Temporary => removed.temporary += 1,
            }
        }
        Ok(removed)
    }

    /// egpu's files in the folder, sorted by name.
    fn files(&self) -> Result<Vec<(PathBuf, FileKind)>, DiskError> {
        let listing = match fs::read_dir(&self.dir) {
            Ok(listing) => listing,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(DiskError {
                    what: "list",
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut files: Vec<(PathBuf, FileKind)> = listing
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| {
                let kind = file_kind(e.file_name().to_str()?)?;
                Some((e.path(), kind))
            })
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(files)
    }

    /// A temporary name no other writer uses: the key, this process, and a counter.
    fn temp_path(&self, key: &CacheKey) -> PathBuf {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        self.dir
            .join(format!("{}.{pid}-{n}.{TEMP_EXTENSION}", key.hex()))
    }
}

/// `<key hex>.egpuc` is an entry, `<key hex>.<pid>-<n>.tmp` a temporary file; anything
/// else is not egpu's.
fn file_kind(name: &str) -> Option<FileKind> {
    let (stem, rest) = name.split_once('.')?;
    CacheKey::from_hex(stem)?;
    if rest == ENTRY_EXTENSION {
        return Some(FileKind::Entry);
    }
    let (writer, extension) = rest.split_once('.')?;
    let (pid, n) = writer.split_once('-')?;
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    (extension == TEMP_EXTENSION && numeric(pid) && numeric(n)).then_some(FileKind::Temporary)
}

/// Writes `bytes` to a new file at `path` and flushes it to the disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), DiskError> {
    let error = |what| {
        move |source| DiskError {
            what,
            path: path.to_path_buf(),
            source,
        }
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(error("create"))?;
    file.write_all(bytes).map_err(error("write"))?;
    file.sync_all().map_err(error("flush"))
}

/// Flushes the folder itself, so the rename survives a crash; best effort (not every
/// system can open a folder for this).
fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_egpu_names_are_recognized() {
        let hex = "ab".repeat(32);
        assert_eq!(file_kind(&format!("{hex}.egpuc")), Some(FileKind::Entry));
        assert_eq!(
            file_kind(&format!("{hex}.123-4.tmp")),
            Some(FileKind::Temporary)
        );
        for other in [
            format!("{hex}.egpu"),
            format!("{hex}.egpuc.bak"),
            format!("{}.egpuc", "AB".repeat(32)),
            format!("{}.egpuc", "ab".repeat(31)),
            format!("{hex}.12x-4.tmp"),
            format!("{hex}.-4.tmp"),
            "notes.txt".to_string(),
            "egpuc".to_string(),
        ] {
            assert_eq!(file_kind(&other), None, "{other}");
        }
    }
}
