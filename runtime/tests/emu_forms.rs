//! Instruction forms clang emits that our code generator does not (VOPD, v_fma_mixlo/hi),
//! hand-assembled with llvm-mc-19 and run on the `emu` device; every expected value is
//! computed by hand in the test. Without the LLVM tools the tests skip.

mod emu;

use egpu_runtime::ir::kernel::Launch;
use emu::*;

/// Runs kernel `k` (`lanes` lanes, one wave) with one 256-byte buffer; returns its bytes.
fn run(body: &str, lanes: u32) -> Vec<u8> {
    let code = assembly("k", body, "");
    let out = launch(
        &code,
        "k",
        Launch::linear(1, lanes),
        vec![A::Buf(vec![0; 256])],
    )
    .unwrap();
    out[0].clone()
}

#[test]
fn vopd_halves_read_before_either_writes() {
    if !tools() {
        return;
    }
    // Per lane l (16 lanes, 16 bytes each): X copies v2 = 7l into v4 while Y adds the
    // old v4 (1000) to v1 = l; dx9 multiplies 0 by +Inf (0, not NaN); dot2acc adds
    // 1*3 + 2*4 to 0.5.
    let body = "s_load_b64 s[2:3], s[0:1], 0x0
v_mov_b32 v1, v0
v_mul_u32_u24 v2, 7, v0
v_mov_b32 v4, 1000
v_mov_b32 v11, 0x7f800000
v_mov_b32 v12, 0x40003c00
v_mov_b32 v14, 0x44004200
v_mov_b32 v13, 0.5
v_dual_mov_b32 v4, v2 :: v_dual_add_nc_u32 v5, v4, v1
v_dual_mul_dx9_zero_f32 v10, 0, v11 :: v_dual_dot2acc_f32_f16 v13, v12, v14
v_lshlrev_b32 v15, 4, v0
s_waitcnt lgkmcnt(0)
global_store_b32 v15, v4, s[2:3]
global_store_b32 v15, v5, s[2:3] offset:4
global_store_b32 v15, v10, s[2:3] offset:8
global_store_b32 v15, v13, s[2:3] offset:12
s_endpgm";
    let words = to_i32s(&run(body, 16));
    for l in 0..16 {
        let at = &words[4 * l..4 * l + 4];
        assert_eq!(at[0], 7 * l as i32, "lane {l}: X's result");
        assert_eq!(
            at[1],
            1000 + l as i32,
            "lane {l}: Y read X's destination before X wrote it"
        );
        assert_eq!(at[2], 0, "lane {l}: 0 * Inf under DX9 rules");
        assert_eq!(f32::from_bits(at[3] as u32), 11.5, "lane {l}: dot2acc");
    }
}

#[test]
fn fma_mix_writes_one_half() {
    if !tools() {
        return;
    }
    // f32 sources: 1.5 * 2.0 + 0.25 = 3.25 = f16 0x4280. mixlo replaces the low half of
    // 0xdead_beef, mixhi the high half; with op_sel_hi the low halves of the sources
    // are f16: 0x3e00 (1.5) * 0x4000 (2.0) + 0x3400 (0.25).
    let body = "s_load_b64 s[2:3], s[0:1], 0x0
v_mov_b32 v1, 1.5
v_mov_b32 v2, 2.0
v_mov_b32 v3, 0x3e800000
v_mov_b32 v4, 0xdeadbeef
v_mov_b32 v5, 0xdeadbeef
v_mov_b32 v6, 0xdeadbeef
v_mov_b32 v7, 0x3e00
v_mov_b32 v8, 0x4000
v_mov_b32 v9, 0x3400
v_fma_mixlo_f16 v4, v1, v2, v3
v_fma_mixhi_f16 v5, v1, v2, v3
v_fma_mixlo_f16 v6, v7, v8, v9 op_sel_hi:[1,1,1]
v_lshlrev_b32 v10, 4, v0
s_waitcnt lgkmcnt(0)
global_store_b32 v10, v4, s[2:3]
global_store_b32 v10, v5, s[2:3] offset:4
global_store_b32 v10, v6, s[2:3] offset:8
s_endpgm";
    let words = to_i32s(&run(body, 16));
    for l in 0..16 {
        let at = &words[4 * l..4 * l + 3];
        assert_eq!(at[0] as u32, 0xdead_4280, "lane {l}: mixlo");
        assert_eq!(at[1] as u32, 0x4280_beef, "lane {l}: mixhi");
        assert_eq!(at[2] as u32, 0xdead_4280, "lane {l}: mixlo of f16 sources");
    }
}
