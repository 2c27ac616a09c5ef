//! `reguse::effects` against LLVM's own text: for every instruction in encodings.txt
//! (printed by `llvm-mc-19 -disassemble`), each register the text names is one the
//! instruction reads or writes, and the first operand of an instruction with a
//! destination is written.

mod common;

use egpu_codegen_amdgpu::isa::{Inst, Operand, Ty, parse};
use egpu_codegen_amdgpu::reguse::{Regs, effects};

/// The register codes a text operand names (`v3`, `s[4:5]`, `vcc_lo`, ...).
fn named(op: &str) -> Vec<u16> {
    let op = op
        .trim()
        .trim_start_matches(['-', '|'])
        .trim_end_matches('|');
    let range = |prefix: &str, base: u16| -> Option<Vec<u16>> {
        let rest = op.strip_prefix(prefix)?;
        if let Some(r) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            let (a, b) = r.split_once(':')?;
            let (a, b): (u16, u16) = (a.parse().ok()?, b.parse().ok()?);
            Some((a..=b).map(|n| base + n).collect())
        } else {
            rest.parse::<u16>().ok().map(|n| vec![base + n])
        }
    };
    match op {
        "vcc_lo" => vec![106],
        "vcc" => vec![106, 107],
        "exec_lo" => vec![126],
        "exec" => vec![126, 127],
        "m0" => vec![125],
        _ => range("v", 256)
            .or_else(|| range("s", 0))
            .unwrap_or_default(),
    }
}

#[test]
fn every_register_llvm_prints_is_read_or_written() {
    let mut checked = 0;
    for row in common::rows() {
        let Ok(inst) = parse(&row.asm) else { continue };
        let e = effects(&inst);
        let all: Vec<Regs> = e.reads.iter().chain(&e.writes).copied().collect();
        let (_, ops) = row.asm.split_once(' ').unwrap_or((&row.asm, ""));
        let ops: Vec<&str> = ops.split(", ").collect();
        for (i, op) in ops.iter().enumerate() {
            let first = op.split_whitespace().next().unwrap_or("");
            for code in named(first) {
                assert!(
                    all.iter().any(|r| r.overlaps(Regs::one(code))),
                    "line {}: `{}`: operand {i} ({first}) is neither read nor written",
                    row.line,
                    row.asm
                );
                let has_dst = match inst {
                    Inst::Flat { vdst, .. } | Inst::Ds { vdst, .. } => vdst != Operand::None,
                    _ => inst.op().info().dst != Ty::N && !row.asm.starts_with("s_cmp"),
                };
                if i == 0 && has_dst && !row.asm.starts_with("s_waitcnt") {
                    assert!(
                        e.writes.iter().any(|r| r.overlaps(Regs::one(code))),
                        "line {}: `{}`: destination {first} not written",
                        row.line,
                        row.asm
                    );
                }
            }
        }
        checked += 1;
    }
    assert!(checked > 300, "only {checked} rows parsed");
}

/// The implicit operands of the forms LLVM's text leaves out, listed by hand: a VOPD
/// writes both destinations, reads both halves' sources, an accumulating half its
/// destination, cndmask VCC_LO, and EXEC; a v_cmpx writes EXEC and reads its sources.
#[test]
fn vopd_and_cmpx_implicit_operands() {
    let codes = |list: &[Regs]| -> Vec<u16> {
        let mut v: Vec<u16> = list.iter().flat_map(|r| r.units()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let cases: [(&str, &[u16], &[u16]); 3] = [
        (
            "v_dual_fmac_f32 v0, v1, v2 :: v_dual_cndmask_b32 v3, s4, v5",
            &[4, 106, 126, 256, 257, 258, 261],
            &[256, 259],
        ),
        (
            "v_dual_mov_b32 v8, 0x1234 :: v_dual_fmamk_f32 v1, v4, 0x1234, v6",
            &[126, 260, 262],
            &[257, 264],
        ),
        ("v_cmpx_gt_u32_e64 v1, s2", &[2, 126, 257], &[126]),
    ];
    for (asm, reads, writes) in cases {
        let e = effects(&parse(asm).unwrap_or_else(|err| panic!("{asm}: {err}")));
        assert_eq!(codes(&e.reads), reads, "{asm}: reads");
        assert_eq!(codes(&e.writes), writes, "{asm}: writes");
    }
}
