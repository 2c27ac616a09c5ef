//! NVIDIA's assembler as a test oracle: every PTX module egpu writes must assemble with no
//! error and no warning. Found at `EGPU_PTXAS`, else the PyPI install under
//! `$HOME/.cache/egpu-tools/cu13` (see /work/shared/reference/ptx.md); when it is missing,
//! a test prints why and skips — unless `CI` is set, where a missing oracle is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh folder under the system's temporary folder, removed when dropped (the library
/// part of the test crate has no `tempfile`).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new() -> Result<Scratch, String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("egpu-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The ptxas to test with, or `None` (after printing why) where the machine has none.
/// Panics when `CI` is set and there is none.
pub fn find() -> Option<PathBuf> {
    let path = match std::env::var_os("EGPU_PTXAS") {
        Some(p) => PathBuf::from(p),
        None => {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/egpu-tools/cu13/nvidia/cu13/bin/ptxas")
        }
    };
    if path.is_file() {
        return Some(path);
    }
    let why = format!("ptxas not found at {} (set EGPU_PTXAS)", path.display());
    assert!(std::env::var_os("CI").is_none(), "CI: {why}");
    eprintln!("skipped: {why}");
    None
}

/// What one assembly gave: the cubin's bytes and ptxas's stderr (`-v` output included).
pub struct Assembled {
    pub cubin: Vec<u8>,
    pub stderr: String,
}

/// Assembles `ptx` for `arch` (`sm_80` …) in a fresh temporary folder, with `extra`
/// arguments (e.g. `-v`). `Err` holds ptxas's message, or its warnings when it succeeded
/// with any (a warning is a failure here too, except `-v`'s information lines).
pub fn assemble(ptxas: &Path, ptx: &str, arch: &str, extra: &[&str]) -> Result<Assembled, String> {
    let dir = Scratch::new()?;
    let input = dir.path().join("k.ptx");
    let output = dir.path().join("k.cubin");
    std::fs::write(&input, ptx).map_err(|e| format!("writing {}: {e}", input.display()))?;
    let out = Command::new(ptxas)
        .arg(format!("-arch={arch}"))
        .args(extra)
        .arg("-o")
        .arg(&output)
        .arg(&input)
        .output()
        .map_err(|e| format!("running {}: {e}", ptxas.display()))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "ptxas -arch={arch} failed ({}):\n{stderr}{stdout}",
            out.status
        ));
    }
    let text = format!("{stderr}{stdout}");
    if text.to_lowercase().contains("warning") {
        return Err(format!("ptxas -arch={arch} warned:\n{text}"));
    }
    let cubin = std::fs::read(&output).map_err(|e| format!("reading the cubin: {e}"))?;
    Ok(Assembled {
        cubin,
        stderr: text,
    })
}

/// `cuobjdump -sass` of a cubin (the tool beside `ptxas`).
pub fn sass(ptxas: &Path, cubin: &[u8]) -> Result<String, String> {
    let tool = ptxas.with_file_name("cuobjdump");
    let dir = Scratch::new()?;
    let file = dir.path().join("k.cubin");
    std::fs::write(&file, cubin).map_err(|e| format!("writing the cubin: {e}"))?;
    let out = Command::new(&tool)
        .arg("-sass")
        .arg(&file)
        .output()
        .map_err(|e| format!("running {}: {e}", tool.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
