//! Our disassembly of an object file against llvm-objdump-19's, line by line: the
//! kernel in tests/data/kernel.s is assembled by llvm-mc-19, objdump lists each
//! instruction with its words, and decoding the concatenated words instruction by
//! instruction (our lengths) must print objdump's text.

mod common;

use egpu_codegen_amdgpu::isa::{decode, print};
use std::process::Command;

/// objdump's instruction lines: (text, bytes).
fn objdump_lines(out: &str) -> Vec<(String, Vec<u8>)> {
    out.lines()
        .filter_map(|line| {
            let (text, rest) = line.split_once("//")?;
            let (_, words) = rest.split_once(": ")?;
            let words = words.split(" <").next().unwrap_or(words);
            let bytes: Option<Vec<u8>> = words
                .split_whitespace()
                .map(|w| u32::from_str_radix(w, 16).ok().map(u32::to_le_bytes))
                .collect::<Option<Vec<_>>>()
                .map(|ws| ws.concat());
            Some((common::normalize(text), bytes?))
        })
        .collect()
}

#[test]
fn kernel_disassembly_matches_llvm_objdump() {
    let test = "kernel_disassembly_matches_llvm_objdump";
    let (Some(mc), Some(objdump)) = (
        common::llvm_mc(test),
        common::llvm_tool(test, "llvm-objdump-19"),
    ) else {
        return;
    };
    let obj = std::env::temp_dir().join(format!("egpu-isa-kernel-{}.o", std::process::id()));
    let src = common::data_dir().join("kernel.s");
    let status = Command::new(&mc)
        .args([common::TRIPLE, common::MCPU, "-filetype=obj"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
        .expect("run llvm-mc-19");
    assert!(status.success(), "llvm-mc-19 failed on kernel.s");
    let out = Command::new(&objdump)
        .args(["-d", "--mcpu=gfx1100"])
        .arg(&obj)
        .output()
        .expect("run llvm-objdump-19");
    let _ = std::fs::remove_file(&obj);
    assert!(out.status.success(), "llvm-objdump-19 failed");
    let lines = objdump_lines(&String::from_utf8_lossy(&out.stdout));
    let source = std::fs::read_to_string(&src).expect("read kernel.s");
    let prefixes = ["s_", "v_", "global_", "ds_"];
    let count = source
        .lines()
        .filter(|l| prefixes.iter().any(|p| l.trim_start().starts_with(p)))
        .count();
    assert_eq!(
        lines.len(),
        count,
        "objdump lists every instruction of kernel.s"
    );

    let text: Vec<u8> = lines.iter().flat_map(|(_, b)| b.clone()).collect();
    let mut at = 0;
    for (i, (expected, bytes)) in lines.iter().enumerate() {
        let (inst, len) =
            decode(&text[at..]).unwrap_or_else(|e| panic!("line {i} `{expected}`: {e}"));
        assert_eq!(len, bytes.len(), "line {i} `{expected}`: our length {len}");
        assert_eq!(common::normalize(&print(&inst)), *expected, "line {i}");
        at += len;
    }
    assert_eq!(at, text.len());
}
