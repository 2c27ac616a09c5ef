//! `egpu cache stats [--json]` and `egpu cache clear`: the kernel cache's folder (from
//! `EGPU_CACHE_DIR`, `XDG_CACHE_HOME` or `HOME`; docs/cache.md), what it holds, and
//! removing egpu's entries from it (only files egpu recognizes by name).

use super::CliError;
use super::error::output;
use crate::cache::{COMPILER_VERSION, DiskStore, DiskUsage, location};
use egpu_ir::kernel::json_string;
use std::io::Write;
use std::path::PathBuf;

/// Prints the folder, its entries and their total size, and whether the cache is on.
pub fn stats(json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let enabled = location::enabled(location::process_var);
    let dir = location::cache_dir(location::process_var);
    let usage = match &dir {
        Some(dir) => DiskStore::new(dir).usage().map_err(disk_error)?,
        None => DiskUsage::default(),
    };
    let text = if json {
        json_text(enabled, dir.as_ref(), &usage)
    } else {
        plain_text(enabled, dir.as_ref(), &usage)
    };
    out.write_all(text.as_bytes()).map_err(output)
}

/// Removes every entry (and temporary file left by a stopped writer) from the folder.
pub fn clear(out: &mut dyn Write) -> Result<(), CliError> {
    let dir = location::cache_dir(location::process_var).ok_or_else(|| {
        CliError::User(format!(
            "no cache folder: set {} or HOME",
            location::DIR_VAR
        ))
    })?;
    let removed = DiskStore::new(&dir).clear().map_err(disk_error)?;
    let text = format!(
        "removed {} entries ({} bytes) from {}\n",
        removed.entries,
        removed.bytes,
        dir.display()
    );
    out.write_all(text.as_bytes()).map_err(output)
}

/// The folder cannot be listed or a file in it removed: permissions are the user's to fix.
fn disk_error(e: crate::cache::DiskError) -> CliError {
    CliError::User(e.to_string().trim_start_matches("cache: ").to_string())
}

fn plain_text(enabled: bool, dir: Option<&PathBuf>, usage: &DiskUsage) -> String {
    let mut text = String::new();
    if !enabled {
        text += &format!("cache: off ({}=off)\n", location::SWITCH_VAR);
    }
    match dir {
        Some(dir) => text += &format!("directory: {}\n", dir.display()),
        None => {
            text += &format!(
                "directory: none (set {} or HOME; programs are cached in memory only)\n",
                location::DIR_VAR
            )
        }
    }
    text += &format!("entries: {}\nbytes: {}\n", usage.entries, usage.bytes);
    if usage.temporary > 0 {
        text += &format!(
            "temporary files: {} (writes in progress, or left by a stopped process)\n",
            usage.temporary
        );
    }
    text + &format!("compiler: {COMPILER_VERSION}\n")
}

/// `{"enabled", "directory" (null without one), "entries", "bytes", "temporary",
/// "compiler"}`.
fn json_text(enabled: bool, dir: Option<&PathBuf>, usage: &DiskUsage) -> String {
    let directory = dir.map_or_else(|| "null".to_string(), |d| json_string(&d.to_string_lossy()));
    format!(
        "{{\"enabled\": {enabled}, \"directory\": {directory}, \"entries\": {}, \"bytes\": {}, \
\"temporary\": {}, \"compiler\": {}}}\n",
        usage.entries,
        usage.bytes,
        usage.temporary,
        json_string(COMPILER_VERSION)
    )
}
