//! ptxas as the oracle of the emitter's unit tests: every module must assemble with no error
//! and no warning. Found at `EGPU_PTXAS`, else `$HOME/.cache/egpu-tools/cu13/…/ptxas`;
//! missing, a test prints why and skips, unless `CI` is set (then it fails).

#![allow(dead_code)]

use egpu_codegen_ptx::{PtxError, PtxOptions, emit_kernel};
use egpu_ir::Target;
use egpu_ir::kernel::text;
use std::path::PathBuf;
use std::process::Command;

pub const NVIDIA: [&str; 4] = ["sm_80", "sm_86", "sm_89", "sm_90"];

pub fn ptxas() -> Option<PathBuf> {
    let path = match std::env::var_os("EGPU_PTXAS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/egpu-tools/cu13/nvidia/cu13/bin/ptxas"),
    };
    if path.is_file() {
        return Some(path);
    }
    let why = format!("ptxas not found at {} (set EGPU_PTXAS)", path.display());
    assert!(std::env::var_os("CI").is_none(), "CI: {why}");
    eprintln!("skipped: {why}");
    None
}

/// The PTX of the one kernel in `kir` for `target`.
pub fn emit(kir: &str, target: &str) -> Result<String, PtxError> {
    let kernel = text::parse(kir).unwrap_or_else(|e| panic!("{e}\n{kir}"));
    let target = Target::by_name(target).expect("known target");
    emit_kernel(&kernel, &target, &PtxOptions { comments: true })
}

/// Assembles `ptx` for `arch`; panics with ptxas's message (and the PTX) on an error or a
/// warning.
pub fn assemble(ptx: &str, arch: &str) {
    let Some(ptxas) = ptxas() else { return };
    let dir = tempfile::tempdir().expect("temporary folder");
    let input = dir.path().join("k.ptx");
    std::fs::write(&input, ptx).expect("write the PTX");
    let out = Command::new(&ptxas)
        .arg(format!("-arch={arch}"))
        .arg("-o")
        .arg(dir.path().join("k.cubin"))
        .arg(&input)
        .output()
        .expect("run ptxas");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.to_lowercase().contains("warning"),
        "ptxas -arch={arch}: {}\n{stderr}\n{}",
        out.status,
        numbered(ptx)
    );
}

/// Emits `kir` for every NVIDIA target and assembles each; returns the sm_80 PTX.
pub fn emit_and_assemble(kir: &str) -> String {
    let mut first = None;
    for target in NVIDIA {
        let ptx = emit(kir, target).unwrap_or_else(|e| panic!("{target}: {e}"));
        assemble(&ptx, target);
        first.get_or_insert(ptx);
    }
    first.unwrap_or_default()
}

/// The instruction lines (no comments, declarations or labels).
pub fn instructions(ptx: &str) -> Vec<&str> {
    ptx.lines()
        .map(str::trim)
        .filter(|l| l.ends_with(';') && !l.starts_with("//") && !l.starts_with('.'))
        .collect()
}

/// Whether some instruction starts with `opcode` (after an optional `@%p ` guard).
pub fn has(ptx: &str, opcode: &str) -> bool {
    instructions(ptx).iter().any(|l| {
        let l = match l.strip_prefix('@') {
            Some(rest) => rest.split_once(' ').map_or(*l, |(_, i)| i),
            None => l,
        };
        l.starts_with(opcode)
    })
}

fn numbered(ptx: &str) -> String {
    ptx.lines()
        .enumerate()
        .map(|(i, l)| format!("{:4} {l}\n", i + 1))
        .collect()
}
