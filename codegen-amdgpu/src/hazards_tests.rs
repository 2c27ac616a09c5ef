//! Each rule on a provoking sequence (gets the fix) and a harmless one (does not);
//! the windows are the ISA guide's / LLVM's (see the module comment), one wider here.

use super::{HazardError, fix};
use crate::test_prog::{norm, prog, text};

fn check(input: &str, expected: &str) {
    let mut p = prog(input);
    fix(&mut p).expect("no error");
    assert_eq!(text(&p), norm(expected));
}

const SIX_VALUS: &str = "v_mov_b32_e32 v10, 0
    v_mov_b32_e32 v11, 0
    v_mov_b32_e32 v12, 0
    v_mov_b32_e32 v13, 0
    v_mov_b32_e32 v14, 0
    v_mov_b32_e32 v15, 0";

#[test]
fn trans_result_read_at_once_waits_for_va_vdst() {
    check(
        "v_exp_f32_e32 v1, v2
         v_add_f32_e32 v3, v1, v1
         s_endpgm",
        "v_exp_f32_e32 v1, v2
         s_waitcnt_depctr 0xfff
         v_add_f32_e32 v3, v1, v1
         s_endpgm",
    );
}

#[test]
fn every_transcendental_is_covered_f16_and_f64_too() {
    for op in ["v_rcp_f64_e32 v[0:1], v[4:5]", "v_sqrt_f16_e32 v1, v4"] {
        let input = format!("{op}\nv_mov_b32_e32 v3, v1\ns_endpgm");
        let expected = format!("{op}\ns_waitcnt_depctr 0xfff\nv_mov_b32_e32 v3, v1\ns_endpgm");
        check(&input, &expected);
    }
}

#[test]
fn trans_result_six_valus_later_is_still_fixed() {
    let input = format!("v_log_f32_e32 v1, v2\n{SIX_VALUS}\nv_add_f32_e32 v3, v1, v1");
    let expected = format!(
        "v_log_f32_e32 v1, v2\n{SIX_VALUS}\ns_waitcnt_depctr 0xfff\nv_add_f32_e32 v3, v1, v1"
    );
    check(&input, &expected);
}

#[test]
fn distant_or_unrelated_reads_need_nothing() {
    let far = format!(
        "v_rsq_f32_e32 v1, v2\n{SIX_VALUS}\nv_mov_b32_e32 v16, 0\nv_add_f32_e32 v3, v1, v1"
    );
    check(&far, &far);
    let other = "v_sin_f32_e32 v1, v2\nv_add_f32_e32 v3, v2, v2\nglobal_store_b32 v[4:5], v1, off";
    check(other, other);
    let waited = "v_cos_f32_e32 v1, v2\ns_waitcnt_depctr 0xfff\nv_add_f32_e32 v3, v1, v1";
    check(waited, waited);
}

#[test]
fn trans_at_the_end_of_a_loop_is_checked_at_its_top() {
    check(
        "v_mov_b32_e32 v1, 0
         L0:
         v_add_f32_e32 v3, v1, v1
         v_rcp_f32_e32 v1, v3
         s_cbranch_scc1 L0
         s_endpgm",
        "v_mov_b32_e32 v1, 0
         L0:
         s_waitcnt_depctr 0xfff
         v_add_f32_e32 v3, v1, v1
         v_rcp_f32_e32 v1, v3
         s_cbranch_scc1 L0
         s_endpgm",
    );
}

#[test]
fn wmma_reading_previous_d_as_a_or_b_gets_a_v_nop() {
    check(
        "v_wmma_f32_16x16x16_f16 v[0:7], v[8:15], v[16:23], v[0:7]
         v_wmma_f32_16x16x16_f16 v[24:31], v[0:7], v[16:23], v[24:31]
         s_endpgm",
        "v_wmma_f32_16x16x16_f16 v[0:7], v[8:15], v[16:23], v[0:7]
         v_nop
         v_wmma_f32_16x16x16_f16 v[24:31], v[0:7], v[16:23], v[24:31]
         s_endpgm",
    );
}

#[test]
fn wmma_accumulating_into_previous_d_or_after_a_valu_needs_nothing() {
    let chain = "v_wmma_f32_16x16x16_f16 v[0:7], v[8:15], v[16:23], v[0:7]
        v_wmma_f32_16x16x16_f16 v[0:7], v[8:15], v[16:23], v[0:7]";
    check(chain, chain);
    let apart = "v_wmma_f32_16x16x16_f16 v[0:7], v[8:15], v[16:23], v[0:7]
        v_mov_b32_e32 v40, 0
        v_wmma_f32_16x16x16_f16 v[24:31], v[8:15], v[4:11], v[24:31]";
    check(apart, apart);
}

#[test]
fn mad_u64_destination_overlapping_a_source_is_an_error() {
    let mut p = prog("v_mad_u64_u32 v[2:3], null, v3, v4, v[6:7]\ns_endpgm");
    let err = fix(&mut p).unwrap_err();
    assert_eq!(
        err,
        HazardError::MadOverlap {
            index: 0,
            text: "v_mad_u64_u32 v[2:3], null, v3, v4, v[6:7]".into()
        }
    );
    let ok = "v_mad_u64_u32 v[2:3], null, v4, v5, v[6:7]\ns_endpgm";
    check(ok, ok);
}

#[test]
fn dealloc_message_gets_an_s_nop_unless_one_is_there() {
    check(
        "s_sendmsg sendmsg(MSG_DEALLOC_VGPRS)
         s_endpgm",
        "s_nop 0
         s_sendmsg sendmsg(MSG_DEALLOC_VGPRS)
         s_endpgm",
    );
    let ok = "s_nop 0\ns_sendmsg sendmsg(MSG_DEALLOC_VGPRS)\ns_endpgm";
    check(ok, ok);
}
