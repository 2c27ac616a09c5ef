//! What the stand-in driver tests share (`cuda_mock.rs`, `hsa_mock.rs`, and the `devices`
//! test in `tests/tests/cli_errors.rs`, which includes this file by path): building a C
//! stand-in library with `cc`, and running one `#[ignore]`d test of the current test binary
//! in a child process whose loader finds the stand-in (LD_LIBRARY_PATH is read at process
//! start, so the child is the only way to load it).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `source` with `flags` into `dir/library`; returns `dir`, or `None` (after saying
/// why) without a C compiler outside CI. Call it once per process (e.g. in a `OnceLock`):
/// tests run in parallel, and a half-written library must not be loaded.
pub fn build_c_library(
    source: &Path,
    dir: &Path,
    library: &str,
    flags: &[&str],
) -> Option<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let built = Command::new("cc")
        .args(["-shared", "-fPIC"])
        .args(flags)
        .arg("-o")
        .arg(dir.join(library))
        .arg(source)
        .status();
    match built {
        Ok(status) => {
            assert!(status.success(), "cc failed to build {}", source.display());
            Some(dir.to_path_buf())
        }
        Err(e) if std::env::var_os("CI").is_none() => {
            println!("skipped: no C compiler to build {} ({e})", source.display());
            None
        }
        Err(e) => panic!("cc is needed in CI: {e}"),
    }
}

/// Runs the ignored test `name` of this test binary in a child with `library_dir` on the
/// loader's path and `env` set, and requires that it ran and passed.
#[allow(dead_code)] // cli_errors.rs runs the command instead
pub fn run_ignored_in_child(name: &str, library_dir: &Path, env: &[(&str, &OsStr)]) {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--ignored",
            "--exact",
            name,
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LD_LIBRARY_PATH", library_dir);
    for (key, value) in env {
        child.env(key, value);
    }
    let out = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed in the child:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "{name} did not run in the child:\n{stdout}"
    );
}
