//! Shared by the ISA tests: finding LLVM's tools and reading the encodings table.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const TRIPLE: &str = "-triple=amdgcn-amd-amdhsa";
pub const MCPU: &str = "-mcpu=gfx1100";

/// `llvm-mc-19` on PATH (or `$LLVM_MC`). When missing, prints why the caller skips,
/// and fails instead when `CI` is set (CI installs llvm-19).
pub fn llvm_mc(test: &str) -> Option<PathBuf> {
    let env = std::env::var_os("LLVM_MC").map(PathBuf::from);
    env.or_else(|| llvm_tool(test, "llvm-mc-19"))
}

/// An LLVM 19 tool on PATH; None (with the skip reason printed) when missing, a
/// failure when `CI` is set.
pub fn llvm_tool(test: &str, name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: {name} is missing and CI is set (install llvm-19)"
        );
        eprintln!("{test}: skipped, {name} not found (apt-get install llvm-19)");
    }
    found
}

/// Runs llvm-mc with `args`, feeding `input`; returns stdout (stderr on failure).
pub fn run_mc(mc: &Path, args: &[&str], input: &str) -> Result<String, String> {
    use std::io::Write;
    let mut child = Command::new(mc)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", mc.display()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(text + &err)
    } else {
        Err(err)
    }
}

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// One line of encodings.txt: LLVM's disassembly text and the bytes.
pub struct Row {
    pub line: usize,
    pub asm: String,
    pub bytes: Vec<u8>,
}

/// Parses `[0x01,0x02]`.
pub fn parse_bytes(s: &str) -> Option<Vec<u8>> {
    let body = s.trim().strip_prefix('[')?.strip_suffix(']')?;
    body.split(',')
        .map(|b| u8::from_str_radix(b.trim().strip_prefix("0x")?, 16).ok())
        .collect()
}

pub fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(data_dir().join("encodings.txt")).expect("encodings.txt");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let (asm, bytes) = l.rsplit_once(" ; ").expect("line has ` ; `");
            Row {
                line: i + 1,
                asm: asm.trim().to_string(),
                bytes: parse_bytes(bytes).expect("bytes parse"),
            }
        })
        .collect()
}

/// Collapses runs of whitespace (LLVM pads with tabs and spaces).
pub fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
