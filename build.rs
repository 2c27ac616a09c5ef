//! Build script: the compiler's identity for the kernel cache (src/cache/key.rs).
//!
//! A cached program must never outlive the code that compiled it, also between two builds
//! of the same crate version during development. So the key holds a SHA-256 of every source
//! file that decides what `Jit::compile` produces: the graph IR, the passes, both code
//! generators, the facade's compile path, and `Cargo.lock` (a new `egg` can change what
//! the simplifier extracts). Any edit to them gives a new hash, so old entries are simply
//! never looked up again (`egpu cache clear` removes them).

use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};

/// Files and folders (relative to this crate) whose contents make the compiler.
const COMPILER_SOURCES: [&str; 13] = [
    "ir/src",
    "ir/Cargo.toml",
    "passes/src",
    "passes/Cargo.toml",
    "codegen-ptx/src",
    "codegen-ptx/Cargo.toml",
    "codegen-amdgpu/src",
    "codegen-amdgpu/Cargo.toml",
    "src/jit",
    "src/amd.rs",
    "src/nvidia.rs",
    "Cargo.toml",
    "Cargo.lock",
];

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let mut hasher = Sha256::new();
    for source in COMPILER_SOURCES {
        println!("cargo:rerun-if-changed={source}");
        for file in files_under(&root.join(source)) {
            let relative = file.strip_prefix(&root).unwrap_or(&file);
            // Length-prefixed name and contents, so two different trees never hash alike
            // by moving bytes from one file into the next.
            let name = relative.to_string_lossy();
            let contents = fs::read(&file).unwrap_or_default();
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update((contents.len() as u64).to_le_bytes());
            hasher.update(&contents);
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=EGPU_COMPILER_HASH={hex}");
}

/// Every file at or under `path`, sorted by path so the hash does not depend on the order
/// the file system lists a folder in (an explicit stack: no recursion). A missing path
/// gives no files (a packaged crate has no sibling folders).
fn files_under(path: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(next) = pending.pop() {
        if next.is_file() {
            files.push(next);
        } else if let Ok(entries) = fs::read_dir(&next) {
            pending.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        }
    }
    files.sort();
    files
}
