//! Assembling test kernels with NVIDIA's ptxas and reading the SASS back with cuobjdump.
//! Without the tools a test is skipped with a printed reason, unless `CI` is set.

use std::path::PathBuf;
use std::process::Command;

/// `name` from `EGPU_CUDA_BIN`, the PyPI wheels' folder (docs: /work/shared/reference/ptx.md),
/// or PATH.
fn tool(name: &str) -> Option<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("EGPU_CUDA_BIN") {
        dirs.push(PathBuf::from(dir));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cache/egpu-tools/cu13/nvidia/cu13/bin"));
    }
    dirs.iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .or_else(|| which::which(name).ok())
}

/// The two tools, or `None` after printing why the caller's test is skipped.
fn tools() -> Option<(PathBuf, PathBuf)> {
    match (tool("ptxas"), tool("cuobjdump")) {
        (Some(p), Some(c)) => Some((p, c)),
        _ => {
            let why = "ptxas/cuobjdump not found (EGPU_CUDA_BIN, ~/.cache/egpu-tools, PATH)";
            assert!(std::env::var_os("CI").is_none(), "{why}, and CI is set");
            eprintln!("skipping: {why}");
            None
        }
    }
}

/// `ptx` numbered by line, for failure messages (ptxas reports line numbers).
fn numbered(ptx: &str) -> String {
    ptx.lines()
        .enumerate()
        .map(|(i, l)| format!("{:4} {l}\n", i + 1))
        .collect()
}

/// Assembles `ptx` for `sm_{sm}`, asserting that ptxas says nothing (no error, no warning),
/// and returns the cubin's SASS; `None` when the tools are missing (see [`tools`]).
pub(crate) fn sass(ptx: &str, sm: u32) -> Option<String> {
    let (ptxas, cuobjdump) = tools()?;
    let dir = tempfile::tempdir().expect("temp dir");
    let (src, cubin) = (dir.path().join("k.ptx"), dir.path().join("k.cubin"));
    std::fs::write(&src, ptx).expect("write ptx");
    let out = Command::new(&ptxas)
        .arg(format!("-arch=sm_{sm}"))
        .arg(&src)
        .arg("-o")
        .arg(&cubin)
        .output()
        .expect("run ptxas");
    let said =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.trim().is_empty(),
        "ptxas sm_{sm}: {}\n{said}\n{}",
        out.status,
        numbered(ptx)
    );
    let dump = Command::new(&cuobjdump)
        .arg("-sass")
        .arg(&cubin)
        .output()
        .expect("run cuobjdump");
    assert!(
        dump.status.success(),
        "cuobjdump: {}",
        String::from_utf8_lossy(&dump.stderr)
    );
    Some(String::from_utf8_lossy(&dump.stdout).to_string())
}

/// ptxas's complaint about `ptx` for `sm_{sm}` (empty if it assembled); `None` without tools.
pub(crate) fn errors(ptx: &str, sm: u32) -> Option<String> {
    let (ptxas, _) = tools()?;
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("k.ptx");
    std::fs::write(&src, ptx).expect("write ptx");
    let out = Command::new(&ptxas)
        .arg(format!("-arch=sm_{sm}"))
        .arg(&src)
        .arg("-o")
        .arg(dir.path().join("k.cubin"))
        .output()
        .expect("run ptxas");
    Some(String::from_utf8_lossy(&out.stderr).to_string())
}

/// How many SASS instructions have exactly the opcode `opcode` (e.g. `HMMA.16816.F32`).
pub(crate) fn count(sass: &str, opcode: &str) -> usize {
    sass.lines()
        .filter_map(|l| l.split("*/").nth(1))
        .filter(|ins| {
            ins.split_whitespace()
                .find(|w| !w.starts_with('@'))
                .is_some_and(|w| w == opcode)
        })
        .count()
}
