//! `isa::vopd::pairing` against llvm-mc-19: the assembler refuses a VOPD that breaks a
//! bank, SRC2-parity or scalar-read rule, and our check must refuse exactly those.

mod common;

use egpu_codegen_amdgpu::isa::vopd::pairing;
use egpu_codegen_amdgpu::isa::{Inst, parse};

/// Pairs that encode (dst parities differ, one literal value), legal or not.
const CASES: &[&str] = &[
    "v_dual_mul_f32 v0, v1, v2 :: v_dual_add_f32 v3, v4, v7",
    "v_dual_mul_f32 v0, v1, v2 :: v_dual_add_f32 v3, v5, v7",
    "v_dual_mul_f32 v0, v1, v2 :: v_dual_add_f32 v3, v1, v7",
    "v_dual_mul_f32 v0, v1, v2 :: v_dual_add_f32 v3, v4, v6",
    "v_dual_mul_f32 v0, v1, v2 :: v_dual_add_f32 v3, v4, v10",
    "v_dual_mul_f32 v0, v1, v2 :: v_dual_add_f32 v3, v0, v7",
    "v_dual_mov_b32 v0, v1 :: v_dual_add_f32 v3, v5, v7",
    "v_dual_mov_b32 v0, v2 :: v_dual_mov_b32 v3, v6",
    "v_dual_fmamk_f32 v0, v1, 0x1234, v2 :: v_dual_add_f32 v3, v4, v6",
    "v_dual_fmamk_f32 v0, v1, 0x1234, v2 :: v_dual_fmamk_f32 v3, v4, 0x1234, v6",
    "v_dual_fmamk_f32 v0, v1, 0x1234, v2 :: v_dual_fmamk_f32 v3, v4, 0x1234, v5",
    "v_dual_fmamk_f32 v0, v1, 0x1234, v2 :: v_dual_fmac_f32 v3, v4, v5",
    "v_dual_fmamk_f32 v0, v1, 0x1234, v3 :: v_dual_fmac_f32 v3, v4, v5",
    "v_dual_fmac_f32 v0, v1, v2 :: v_dual_fmamk_f32 v3, v4, 0x1234, v8",
    "v_dual_fmac_f32 v0, v1, v2 :: v_dual_dot2acc_f32_f16 v3, v4, v7",
    "v_dual_mul_f32 v0, s1, v2 :: v_dual_add_f32 v3, s2, v7",
    "v_dual_mul_f32 v0, s1, v2 :: v_dual_add_f32 v3, s1, v7",
    "v_dual_mul_f32 v0, 0x1234, v2 :: v_dual_add_f32 v3, s1, v7",
    "v_dual_mul_f32 v0, 0x1234, v2 :: v_dual_cndmask_b32 v3, v1, v7",
    "v_dual_mul_f32 v0, s2, v2 :: v_dual_cndmask_b32 v3, s1, v7",
    "v_dual_mul_f32 v0, s1, v2 :: v_dual_cndmask_b32 v3, s1, v7",
    "v_dual_cndmask_b32 v0, s2, v2 :: v_dual_cndmask_b32 v3, v1, v7",
    "v_dual_fmaak_f32 v0, s1, v2, 0x1234 :: v_dual_mov_b32 v3, s2",
    "v_dual_fmaak_f32 v0, s1, v2, 0x1234 :: v_dual_mov_b32 v3, s1",
];

#[test]
fn pairing_rules_match_llvm_mc() {
    let Some(mc) = common::llvm_mc("pairing_rules_match_llvm_mc") else {
        return;
    };
    let mut bad = Vec::new();
    let (mut legal, mut illegal) = (0, 0);
    for case in CASES {
        let Inst::Vopd { x, y } = parse(case).unwrap_or_else(|e| panic!("{case}: {e}")) else {
            panic!("{case}: not a VOPD");
        };
        let ours = pairing(&x, &y);
        let llvm = common::run_mc(&mc, &["-show-encoding", common::TRIPLE, common::MCPU], case);
        let llvm_ok = matches!(&llvm, Ok(out) if out.contains("encoding:"));
        if llvm_ok {
            legal += 1
        } else {
            illegal += 1
        }
        if ours.is_ok() != llvm_ok {
            bad.push(format!("{case}: ours {ours:?}, llvm-mc {llvm:?}"));
        }
    }
    assert!(bad.is_empty(), "disagreements:\n{}", bad.join("\n"));
    assert!(
        legal >= 8 && illegal >= 8,
        "{legal} legal, {illegal} illegal cases"
    );
}
