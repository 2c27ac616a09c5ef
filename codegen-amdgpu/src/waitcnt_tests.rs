//! Waits inserted into hand-written programs; the expected counts are derived by hand
//! from the counter rules (reference/rdna3.md "GFX11 rules").

use super::insert;
use crate::test_prog::{norm, prog, text};

fn check(input: &str, expected: &str) {
    let mut p = prog(input);
    insert(&mut p);
    assert_eq!(text(&p), norm(expected));
}

#[test]
fn load_then_use_waits_vmcnt0() {
    check(
        "global_load_b32 v1, v[2:3], off
         v_add_f32_e32 v4, v1, v1
         s_endpgm",
        "global_load_b32 v1, v[2:3], off
         s_waitcnt vmcnt(0)
         v_add_f32_e32 v4, v1, v1
         s_endpgm",
    );
}

#[test]
fn use_of_older_of_two_loads_waits_vmcnt1() {
    check(
        "global_load_b32 v1, v[2:3], off
         global_load_b32 v5, v[2:3], off
         v_add_f32_e32 v4, v1, v1
         v_add_f32_e32 v6, v5, v1
         s_endpgm",
        "global_load_b32 v1, v[2:3], off
         global_load_b32 v5, v[2:3], off
         s_waitcnt vmcnt(1)
         v_add_f32_e32 v4, v1, v1
         s_waitcnt vmcnt(0)
         v_add_f32_e32 v6, v5, v1
         s_endpgm",
    );
}

#[test]
fn wide_load_waits_on_any_register_of_its_tuple() {
    check(
        "global_load_b128 v[4:7], v[2:3], off
         global_load_b32 v8, v[2:3], off
         v_mov_b32_e32 v0, v7
         s_endpgm",
        "global_load_b128 v[4:7], v[2:3], off
         global_load_b32 v8, v[2:3], off
         s_waitcnt vmcnt(1)
         v_mov_b32_e32 v0, v7
         s_endpgm",
    );
}

#[test]
fn scalar_loads_return_out_of_order_so_wait_lgkmcnt0() {
    check(
        "s_load_b64 s[2:3], s[0:1], 0x10
         s_load_b32 s4, s[0:1], 0x18
         s_add_u32 s5, s2, 1
         s_endpgm",
        "s_load_b64 s[2:3], s[0:1], 0x10
         s_load_b32 s4, s[0:1], 0x18
         s_waitcnt lgkmcnt(0)
         s_add_u32 s5, s2, 1
         s_endpgm",
    );
}

#[test]
fn lds_loads_return_in_order() {
    check(
        "ds_load_b32 v1, v0
         ds_load_b32 v2, v0 offset:4
         v_add_f32_e32 v3, v1, v1
         s_endpgm",
        "ds_load_b32 v1, v0
         ds_load_b32 v2, v0 offset:4
         s_waitcnt lgkmcnt(1)
         v_add_f32_e32 v3, v1, v1
         s_endpgm",
    );
}

#[test]
fn lds_wait_is_zero_while_a_scalar_load_is_outstanding() {
    check(
        "ds_load_b32 v1, v0
         s_load_b32 s4, s[0:1], 0x18
         ds_load_b32 v2, v0 offset:4
         v_add_f32_e32 v3, v1, v1
         s_endpgm",
        "ds_load_b32 v1, v0
         s_load_b32 s4, s[0:1], 0x18
         ds_load_b32 v2, v0 offset:4
         s_waitcnt lgkmcnt(0)
         v_add_f32_e32 v3, v1, v1
         s_endpgm",
    );
}

#[test]
fn vmem_and_lds_waits_combine_in_one_instruction() {
    check(
        "global_load_b32 v1, v[2:3], off
         ds_load_b32 v5, v0
         v_add_f32_e32 v4, v1, v5
         s_endpgm",
        "global_load_b32 v1, v[2:3], off
         ds_load_b32 v5, v0
         s_waitcnt vmcnt(0) lgkmcnt(0)
         v_add_f32_e32 v4, v1, v5
         s_endpgm",
    );
}

#[test]
fn load_around_a_loop_back_edge_is_waited_for_at_the_top() {
    check(
        "v_mov_b32_e32 v1, 0
         L0:
         v_add_f32_e32 v4, v1, v1
         global_load_b32 v1, v[2:3], off
         s_cbranch_scc1 L0
         s_endpgm",
        "v_mov_b32_e32 v1, 0
         L0:
         s_waitcnt vmcnt(0)
         v_add_f32_e32 v4, v1, v1
         global_load_b32 v1, v[2:3], off
         s_cbranch_scc1 L0
         s_endpgm",
    );
}

#[test]
fn join_takes_the_path_that_needs_the_smaller_count() {
    // Taken branch: v1's load is the last one (vmcnt(0)); fallthrough: one more after it.
    check(
        "global_load_b32 v1, v[2:3], off
         s_cbranch_execz L0
         global_load_b32 v5, v[2:3], off
         L0:
         v_add_f32_e32 v4, v1, v1
         s_endpgm",
        "global_load_b32 v1, v[2:3], off
         s_cbranch_execz L0
         global_load_b32 v5, v[2:3], off
         L0:
         s_waitcnt vmcnt(0)
         v_add_f32_e32 v4, v1, v1
         s_endpgm",
    );
}

#[test]
fn barrier_waits_for_lds_and_stores() {
    check(
        "ds_store_b32 v1, v2
         s_barrier
         global_store_b32 v[2:3], v1, off
         s_barrier
         s_endpgm",
        "ds_store_b32 v1, v2
         s_waitcnt lgkmcnt(0)
         s_barrier
         global_store_b32 v[2:3], v1, off
         s_waitcnt_vscnt null, 0x0
         s_barrier
         s_endpgm",
    );
}

#[test]
fn overwriting_a_pending_destination_waits() {
    // An LDS load's late write would clobber the move; a second VMEM load to the same
    // register returns after the first, so it need not wait.
    check(
        "ds_load_b32 v1, v2
         v_mov_b32_e32 v1, 0
         global_load_b32 v5, v[2:3], off
         global_load_b32 v5, v[2:3], off offset:4
         s_endpgm",
        "ds_load_b32 v1, v2
         s_waitcnt lgkmcnt(0)
         v_mov_b32_e32 v1, 0
         global_load_b32 v5, v[2:3], off
         global_load_b32 v5, v[2:3], off offset:4
         s_endpgm",
    );
}

#[test]
fn scratch_reload_and_returning_atomic_count_on_vmcnt() {
    check(
        "scratch_load_b32 v1, off, s2 offset:8
         global_atomic_add_u32 v6, v[2:3], v7, off glc
         global_atomic_add_u32 v[2:3], v7, off
         v_add_f32_e32 v4, v1, v1
         v_add_f32_e32 v4, v6, v6
         s_endpgm",
        "scratch_load_b32 v1, off, s2 offset:8
         global_atomic_add_u32 v6, v[2:3], v7, off glc
         global_atomic_add_u32 v[2:3], v7, off
         s_waitcnt vmcnt(1)
         v_add_f32_e32 v4, v1, v1
         s_waitcnt vmcnt(0)
         v_add_f32_e32 v4, v6, v6
         s_endpgm",
    );
}

#[test]
fn waits_already_present_are_respected_and_endpgm_needs_none() {
    check(
        "global_load_b32 v1, v[2:3], off
         s_waitcnt vmcnt(0)
         v_add_f32_e32 v4, v1, v1
         global_load_b32 v1, v[2:3], off
         s_endpgm",
        "global_load_b32 v1, v[2:3], off
         s_waitcnt vmcnt(0)
         v_add_f32_e32 v4, v1, v1
         global_load_b32 v1, v[2:3], off
         s_endpgm",
    );
}

#[test]
fn swizzle_is_an_lds_operation() {
    check(
        "ds_swizzle_b32 v1, v0 offset:swizzle(SWAP,16)
         v_add_f32_e32 v3, v1, v1
         s_endpgm",
        "ds_swizzle_b32 v1, v0 offset:swizzle(SWAP,16)
         s_waitcnt lgkmcnt(0)
         v_add_f32_e32 v3, v1, v1
         s_endpgm",
    );
}
