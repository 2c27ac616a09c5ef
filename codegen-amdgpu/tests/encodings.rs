//! The ISA layer against LLVM's assembler and disassembler: every line of
//! tests/data/encodings.txt (made by regen.sh with llvm-mc-19 from asm.s) must parse,
//! encode to LLVM's bytes, decode back to the same instruction, and print as LLVM's
//! disassembler prints it.

mod common;

use common::{normalize, rows};
use egpu_codegen_amdgpu::isa::{Inst, Op, decode, encode, parse, print};
use std::collections::BTreeSet;

#[test]
fn every_table_line_matches_llvm() {
    let rows = rows();
    let mut failures = Vec::new();
    for r in &rows {
        let at = format!("encodings.txt:{} `{}`", r.line, r.asm);
        let inst = match parse(&r.asm) {
            Ok(i) => i,
            Err(e) => {
                failures.push(format!("{at}: parse: {e}"));
                continue;
            }
        };
        match encode(&inst) {
            Ok(b) if b == r.bytes => {}
            Ok(b) => failures.push(format!(
                "{at}: encode gave {b:02x?}, llvm-mc {:02x?}",
                r.bytes
            )),
            Err(e) => failures.push(format!("{at}: encode: {e}")),
        }
        match decode(&r.bytes) {
            Ok((d, len)) => {
                if d != inst {
                    failures.push(format!("{at}: decode gave {d:?}, parse gave {inst:?}"));
                }
                if len != r.bytes.len() {
                    failures.push(format!(
                        "{at}: decode length {len}, expected {}",
                        r.bytes.len()
                    ));
                }
                let text = print(&d);
                if normalize(&text) != normalize(&r.asm) {
                    failures.push(format!("{at}: print gave `{text}`"));
                }
            }
            Err(e) => failures.push(format!("{at}: decode: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} lines fail:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn table_covers_enough_forms() {
    let rows = rows();
    assert!(rows.len() >= 150, "only {} encodings", rows.len());
    let mnemonics: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.asm.split_whitespace().next())
        .collect();
    assert!(
        mnemonics.len() >= 150,
        "only {} distinct mnemonics",
        mnemonics.len()
    );
    // Every opcode in the table is exercised by at least one line, so no opcode
    // number goes unchecked against LLVM (a VOPD line uses two).
    let used: BTreeSet<Op> = rows
        .iter()
        .filter_map(|r| parse(&r.asm).ok())
        .flat_map(|i| match i {
            Inst::Vopd { x, y } => vec![x.op, y.op],
            _ => vec![i.op()],
        })
        .collect();
    let missing: Vec<&str> = Op::all()
        .filter(|o| !used.contains(o))
        .map(|o| o.name())
        .collect();
    assert!(
        missing.is_empty(),
        "opcodes without an encodings.txt line: {missing:?}"
    );
}

#[test]
fn encodings_file_is_current() {
    let Some(mc) = common::llvm_mc("encodings_file_is_current") else {
        return;
    };
    let script = common::data_dir().join("regen.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .env("LLVM_MC", &mc)
        .output()
        .expect("run regen.sh");
    assert!(
        out.status.success(),
        "regen.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = String::from_utf8_lossy(&out.stdout);
    let stored = std::fs::read_to_string(common::data_dir().join("encodings.txt")).expect("read");
    assert_eq!(
        fresh, stored,
        "encodings.txt is stale: run codegen-amdgpu/tests/data/regen.sh > encodings.txt"
    );
}
