//! Reading a whole file with a size cap, so that `/dev/zero`, a pipe or a mistaken multi-GB
//! file is refused after at most `limit + 1` bytes instead of exhausting memory.

use std::io::{self, Read};
use std::path::Path;

/// The largest `.egir` graph file the command reads. A canonical graph of a million nodes
/// takes 35 to 80 MB (one primitive per line), so this leaves room while keeping memory
/// bounded.
pub const GRAPH_FILE_LIMIT: u64 = 128 * 1024 * 1024;

/// A file that could not be read whole: an I/O error, or more bytes than allowed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: io::Error },
    /// `what` says whose limit it is and why, e.g. `the limit for a graph file`.
    #[error("{path} is larger than {}, {what}", size_text(*.limit))]
    TooLarge {
        path: String,
        limit: u64,
        what: String,
    },
}

/// The contents of `path` if it holds at most `limit` bytes. Regular files are measured
/// before reading; anything else (a device, a pipe) is read through a cap of `limit + 1`
/// bytes. `what` completes the message of [`ReadError::TooLarge`].
pub fn read_file(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, ReadError> {
    let shown = path.display().to_string();
    let io = |source| ReadError::Io {
        path: shown.clone(),
        source,
    };
    let too_large = || ReadError::TooLarge {
        path: shown.clone(),
        limit,
        what: what.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if metadata.is_dir() {
        return Err(io(io::Error::other("it is a directory")));
    }
    if metadata.is_file() && metadata.len() > limit {
        return Err(too_large());
    }
    // A regular file's size is known: one allocation. Anything else grows as it is read.
    let hint = if metadata.is_file() {
        metadata.len() + 1
    } else {
        0
    };
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// `256 MiB` for whole mebibytes, else `N bytes`.
pub fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file exactly at the limit is read; one byte more is refused, for regular files and
    /// for an endless device alike.
    #[test]
    fn the_limit_is_inclusive_and_holds_for_devices() {
        let dir = std::env::temp_dir().join(format!("egpu-bounded-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f");
        std::fs::write(&file, [7u8; 10]).unwrap();
        assert_eq!(read_file(&file, 10, "x").unwrap(), vec![7u8; 10]);
        let e = read_file(&file, 9, "the limit for x").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{} is larger than 9 bytes, the limit for x", file.display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(size_text(1024 * 1024 + 1), "1048577 bytes");
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_device_is_cut_off_at_the_limit() {
        let e = read_file(Path::new("/dev/zero"), 3 * 1024 * 1024, "y").unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { .. }), "{e}");
        assert!(e.to_string().contains("larger than 3 MiB, y"), "{e}");
    }
}
