//! LLVM 19 as the oracle for egpu's RDNA3 code: `llvm-objdump-19` disassembles our code
//! objects and decodes their descriptors, `llvm-readelf-19` decodes the metadata note,
//! `llvm-mc-19` reassembles our printed assembly, `clang-19`/`ld.lld-19` build reference
//! objects. When a tool is missing a test prints why and skips, unless `CI` is set, where a
//! missing oracle is a failure (the README's test command installs llvm-19, lld-19, clang-19).

use crate::ptxas::Scratch;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

pub const MCPU: &str = "--mcpu=gfx1100";

/// Whether every named tool runs; if not, prints why (the caller skips), and fails under CI.
pub fn present(test: &str, tools: &[&str]) -> bool {
    for name in tools {
        let ok = Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: {name} is required when CI is set (apt-get install llvm-19 lld-19 clang-19)"
            );
            eprintln!(
                "{test}: skipped, {name} not found (apt-get install llvm-19 lld-19 clang-19)"
            );
            return false;
        }
    }
    true
}

/// Runs a tool; stdout, or stderr as the error.
pub fn run(tool: &str, args: &[&str], stdin: Option<&str>) -> Result<String, String> {
    use std::io::Write;
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {tool}: {e}"))?;
    let mut pipe = child.stdin.take().ok_or("no stdin")?;
    let input = stdin.unwrap_or("").to_string();
    let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{tool} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Runs a tool on `bytes` written to a file in a fresh temporary folder.
pub fn run_on(tool: &str, args: &[&str], bytes: &[u8]) -> Result<String, String> {
    let dir = Scratch::new()?;
    let file = dir.path().join("k.hsaco");
    std::fs::write(&file, bytes).map_err(|e| e.to_string())?;
    let path = file.to_str().ok_or("temporary path is not UTF-8")?;
    let mut all: Vec<&str> = args.to_vec();
    all.push(path);
    run(tool, &all, None)
}

/// One disassembled instruction: objdump's text (whitespace-normalized) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub bytes: Vec<u8>,
}

/// `llvm-objdump-19 -d` of a code object, per function symbol in order of appearance.
pub fn disassemble(object: &[u8]) -> Result<BTreeMap<String, Vec<Line>>, String> {
    let out = run_on("llvm-objdump-19", &["-d", MCPU], object)?;
    let mut by_symbol: BTreeMap<String, Vec<Line>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in out.lines() {
        if let Some(name) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")) {
            current = Some(name.1.to_string());
            by_symbol.entry(name.1.to_string()).or_default();
            continue;
        }
        let Some(sym) = &current else { continue };
        if line.contains("<unknown>") {
            return Err(format!("{sym}: objdump cannot decode `{}`", line.trim()));
        }
        let Some((text, rest)) = line.split_once("//") else {
            continue;
        };
        let Some((_, words)) = rest.split_once(": ") else {
            continue;
        };
        let words = words.split(" <").next().unwrap_or(words);
        let bytes: Option<Vec<u8>> = words
            .split_whitespace()
            .map(|w| u32::from_str_radix(w, 16).ok().map(u32::to_le_bytes))
            .collect::<Option<Vec<_>>>()
            .map(|ws| ws.concat());
        let Some(bytes) = bytes else { continue };
        if let Some(list) = by_symbol.get_mut(sym) {
            list.push(Line {
                text: normalize(text),
                bytes,
            });
        }
    }
    Ok(by_symbol)
}

/// Whitespace collapsed, trimmed: how lines are compared.
pub fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The bytes `llvm-mc-19` assembles `asm` (one instruction per line, `;` comments) to.
pub fn assemble(asm: &str) -> Result<Vec<u8>, String> {
    let out = run(
        "llvm-mc-19",
        &[
            "-triple=amdgcn-amd-amdhsa",
            "-mcpu=gfx1100",
            "-show-encoding",
        ],
        Some(asm),
    )?;
    let mut bytes = Vec::new();
    for line in out.lines() {
        let Some((_, enc)) = line.split_once("; encoding: [") else {
            continue;
        };
        let enc = enc.trim_end().trim_end_matches(']');
        for b in enc.split(',') {
            let b = b.trim().trim_start_matches("0x");
            bytes.push(u8::from_str_radix(b, 16).map_err(|e| format!("{line}: {e}"))?);
        }
    }
    Ok(bytes)
}

/// `llvm-readelf-19 --notes`: the decoded metadata (YAML text).
pub fn notes(object: &[u8]) -> Result<String, String> {
    run_on("llvm-readelf-19", &["--notes"], object)
}

/// The `.amdhsa_*` fields llvm-objdump decodes from the descriptor `kd`, as key → value.
pub fn descriptor(object: &[u8], kd: &str) -> Result<BTreeMap<String, String>, String> {
    let sym = format!("--disassemble-symbols={kd}");
    let out = run_on("llvm-objdump-19", &["-D", &sym, MCPU], object)?;
    if out.contains("error decoding") {
        return Err(format!("{kd} did not decode:\n{out}"));
    }
    let fields: BTreeMap<String, String> = out
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with(".amdhsa_") && !l.starts_with(".amdhsa_kernel"))
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect();
    if fields.len() < 20 {
        return Err(format!("no descriptor decoded for {kd}:\n{out}"));
    }
    Ok(fields)
}

/// Builds an OpenCL C source with clang-19 for gfx1100 and links it with ld.lld-19.
pub fn clang_object(source: &str) -> Result<Vec<u8>, String> {
    let dir = Scratch::new()?;
    let cl = dir.path().join("k.cl");
    let obj = dir.path().join("k.o");
    let so = dir.path().join("k.hsaco");
    std::fs::write(&cl, source).map_err(|e| e.to_string())?;
    let s = |p: &Path| p.to_str().map(str::to_string).ok_or("path not UTF-8");
    let (cl, obj, so) = (s(&cl)?, s(&obj)?, s(&so)?);
    run(
        "clang-19",
        &[
            "-x",
            "cl",
            "-cl-std=CL2.0",
            "-target",
            "amdgcn-amd-amdhsa",
            "-mcpu=gfx1100",
            "-nogpulib",
            "-O3",
            "-c",
            &cl,
            "-o",
            &obj,
        ],
        None,
    )?;
    run("ld.lld-19", &["-shared", &obj, "-o", &so], None)?;
    std::fs::read(&so).map_err(|e| e.to_string())
}
