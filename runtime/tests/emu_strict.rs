//! The `emu` device's strict checks, each provoked by a small hand-written kernel
//! (assembled by llvm-mc-19, linked by ld.lld-19) next to a control that differs only in
//! the fix and must run. Without the LLVM tools the tests skip.

mod emu;

use egpu_runtime::ir::kernel::Launch;
use egpu_runtime::{Binary, Device, DeviceError, EmuDevice};
use emu::*;

/// Runs kernel `k` (64 lanes unless `lanes` says) with one 256-byte buffer argument.
fn run_asm(body: &str, directives: &str, lanes: u32) -> Result<Vec<Vec<u8>>, DeviceError> {
    let code = assembly("k", body, directives);
    launch(
        &code,
        "k",
        Launch::linear(1, lanes),
        vec![A::Buf(vec![0; 256])],
    )
}

/// The error's text, which must name the device and kernel.
fn error(body: &str, directives: &str, lanes: u32) -> String {
    let err = run_asm(body, directives, lanes)
        .expect_err("the launch must fail")
        .to_string();
    assert!(err.starts_with("emu: kernel 'k': "), "{err}");
    err
}

fn has(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "{err:?} lacks {p:?}");
    }
}

const LOAD_PTR: &str = "s_load_b64 s[2:3], s[0:1], 0x0\n";

#[test]
fn scalar_load_result_read_before_waitcnt() {
    if !tools() {
        return;
    }
    let err = error(&format!("{LOAD_PTR}v_mov_b32 v1, s2\ns_endpgm"), "", 64);
    has(
        &err,
        &[
            "pc 0x8",
            "v_mov_b32_e32 v1, s2",
            "reads s2 before an s_waitcnt",
            "pc 0x0",
        ],
    );
    run_asm(
        &format!("{LOAD_PTR}s_waitcnt lgkmcnt(0)\nv_mov_b32 v1, s2\ns_endpgm"),
        "",
        64,
    )
    .unwrap();
}

#[test]
fn global_load_result_read_before_waitcnt() {
    if !tools() {
        return;
    }
    let body = |wait: &str| {
        format!(
            "{LOAD_PTR}v_lshlrev_b32 v1, 2, v0\ns_waitcnt lgkmcnt(0)\nglobal_load_b32 v2, v1, s[2:3]\n{wait}v_add_nc_u32 v3, v2, v2\ns_endpgm"
        )
    };
    let err = error(&body(""), "", 64);
    has(
        &err,
        &[
            "v_add_nc_u32_e32 v3, v2, v2",
            "reads v2 before an s_waitcnt covers the load at pc 0x10",
        ],
    );
    run_asm(&body("s_waitcnt vmcnt(0)\n"), "", 64).unwrap();
}

#[test]
fn lds_load_result_read_before_waitcnt() {
    if !tools() {
        return;
    }
    let body = |wait: &str| {
        format!("v_lshlrev_b32 v1, 2, v0\nds_load_b32 v2, v1\n{wait}v_mov_b32 v3, v2\ns_endpgm")
    };
    let lds = ".amdhsa_group_segment_fixed_size 256";
    let err = error(&body(""), lds, 64);
    has(
        &err,
        &["reads v2 before an s_waitcnt covers the load at pc 0x4"],
    );
    // The load reads LDS nothing wrote; the emulator zero-fills it, which is allowed.
    run_asm(&body("s_waitcnt lgkmcnt(0)\n"), lds, 64).unwrap();
}

#[test]
fn access_outside_every_buffer() {
    if !tools() {
        return;
    }
    // 64 lanes store 4 bytes each at 4 * lane: lanes 0-63 fit the 256-byte buffer.
    let store = |shift: u32| {
        format!(
            "{LOAD_PTR}v_lshlrev_b32 v1, {shift}, v0\ns_waitcnt lgkmcnt(0)\nglobal_store_b32 v1, v0, s[2:3]\ns_endpgm"
        )
    };
    run_asm(&store(2), "", 64).unwrap();
    // At 8 * lane, lane 32 (the second wave's first) is the first past the end.
    let err = error(&store(3), "", 64);
    has(
        &err,
        &[
            "wave 1",
            "pc 0x10",
            "global_store_b32",
            "lane 0 accesses 4 bytes at 0x100000000100",
            "outside every allocated buffer",
        ],
    );
}

#[test]
fn unknown_instruction() {
    if !tools() {
        return;
    }
    let err = error("tbuffer_load_format_x v0, off, s[0:3], 0\ns_endpgm", "", 64);
    has(&err, &["pc 0x0", "cannot decode", "0x00,0x00,0x08,0xe8"]);
}

/// A VOPD as `.long` dwords, from its fields (the layout llvm-mc-19 shows for v_dual_*):
/// `x`/`y` are (vdst, src0 operand code, vsrc1), `k` the literal dword if any.
fn vopd_longs(opx: u32, opy: u32, x: [u32; 3], y: [u32; 3], k: Option<u32>) -> String {
    let w0 = (0x32 << 26) | (opx << 22) | (opy << 17) | (x[2] << 9) | x[1];
    let w1 = (x[0] << 24) | ((y[0] >> 1) << 17) | (y[2] << 9) | y[1];
    let mut out = format!(".long {w0:#x}, {w1:#x}\n");
    if let Some(k) = k {
        out += &format!(".long {k:#x}\n");
    }
    out
}

/// Operand code of VGPR `n` in a 9-bit source field.
const fn v(n: u32) -> u32 {
    256 + n
}

#[test]
fn vopd_breaking_a_pairing_rule() {
    if !tools() {
        return;
    }
    let init: String = (1..10).map(|r| format!("v_mov_b32 v{r}, 1.0\n")).collect();
    let init = format!("{init}s_mov_b32 s1, 2.0\ns_mov_b32 s2, 4.0\ns_mov_b32 vcc_lo, 0\n");
    let at = format!("pc {:#x}", init.lines().count() * 4);
    // (bad instruction as dwords, what the error says, the legal variant as text)
    let cases = [
        (
            vopd_longs(3, 4, [0, v(1), 2], [3, v(5), 7], None),
            "v_dual_mul_f32 v0, v1, v2 :: v_dual_add_f32 v3, v5, v7): VOPD rule: SRCX0 v1 and SRCY0 v5 are in the same VGPR bank",
            "v_dual_mul_f32 v0, v1, v2 :: v_dual_add_f32 v3, v4, v7",
        ),
        (
            vopd_longs(3, 4, [0, v(1), 2], [3, v(4), 6], None),
            "VOPD rule: VSRCX1 v2 and VSRCY1 v6 are in the same VGPR bank",
            "v_dual_mul_f32 v0, v1, v2 :: v_dual_add_f32 v3, v4, v7",
        ),
        (
            vopd_longs(0, 2, [0, v(1), 2], [3, v(4), 8], Some(0x3f80_0000)),
            "VOPD rule: both halves read through the SRC2 port (v0, v8)",
            "v_dual_fmac_f32 v0, v1, v2 :: v_dual_fmamk_f32 v3, v4, 0x3f800000, v9",
        ),
        (
            vopd_longs(3, 9, [0, 2, 2], [3, 1, 7], None),
            "VOPD rule: the pair reads 3 scalar values (s2, s1, vcc_lo)",
            "v_dual_mul_f32 v0, s1, v2 :: v_dual_cndmask_b32 v3, s1, v7",
        ),
    ];
    for (bad, says, good) in cases {
        let err = error(&format!("{init}{bad}s_endpgm"), "", 64);
        has(&err, &[&at, says]);
        run_asm(&format!("{init}{good}\ns_endpgm"), "", 64).unwrap();
    }
}

#[test]
fn register_never_written() {
    if !tools() {
        return;
    }
    let err = error("v_mov_b32 v1, v5\ns_endpgm", "", 64);
    has(
        &err,
        &["reads v5 in lane 0, which nothing in this wave has written"],
    );
    let err = error("v_cndmask_b32 v1, v0, v0, vcc_lo\ns_endpgm", "", 64);
    has(&err, &["reads vcc_lo, which nothing"]);
    let err = error("s_add_u32 s4, s9, 1\ns_endpgm", "", 64);
    has(&err, &["reads s9, which nothing"]);
    // Lanes outside exec need not be written: v1 is written in lanes 0-15 only.
    let partial = "v_cmp_gt_u32 vcc_lo, 16, v0\ns_and_saveexec_b32 s4, vcc_lo\nv_mov_b32 v1, 1\nv_add_nc_u32 v2, v1, v1\ns_or_b32 exec_lo, exec_lo, s4\nv_add_nc_u32 v2, v1, v1\ns_endpgm";
    let err = error(partial, "", 64);
    has(&err, &["pc 0x14", "reads v1 in lane 16"]);
}

#[test]
fn transcendental_result_used_too_soon() {
    if !tools() {
        return;
    }
    let body = |between: &str| {
        format!("v_cvt_f32_u32 v1, v0\nv_exp_f32 v2, v1\n{between}v_add_f32 v3, v2, v2\ns_endpgm")
    };
    let err = error(&body(""), "", 64);
    has(
        &err,
        &["hazard: reads v2, written by the transcendental op at pc 0x4"],
    );
    run_asm(&body("s_waitcnt_depctr 0xfff\n"), "", 64).unwrap();
    // Five unrelated VALU instructions in between also suffice.
    run_asm(&body(&"v_mov_b32 v4, 0\n".repeat(5)), "", 64).unwrap();
    let err = error(&body(&"v_mov_b32 v4, 0\n".repeat(4)), "", 64);
    has(&err, &["hazard"]);
}

#[test]
fn wmma_reading_the_previous_wmma_result() {
    if !tools() {
        return;
    }
    let init: String = (0..32).map(|r| format!("v_mov_b32 v{r}, 0\n")).collect();
    let body = |between: &str| {
        format!(
            "{init}v_wmma_f32_16x16x16_f16 v[0:7], v[8:15], v[16:23], v[0:7]\n{between}v_wmma_f32_16x16x16_f16 v[24:31], v[0:7], v[16:23], v[24:31]\ns_endpgm"
        )
    };
    // WMMA needs every lane: one wave of 32.
    let err = error(&body(""), "", 32);
    has(
        &err,
        &["hazard: A/B overlap the result of the WMMA at pc 0x80"],
    );
    run_asm(&body("v_nop\n"), "", 32).unwrap();
}

#[test]
fn lds_race_between_waves() {
    if !tools() {
        return;
    }
    let lds = ".amdhsa_group_segment_fixed_size 256";
    // Every lane of both waves writes LDS dword 0: the two waves race.
    let err = error(
        "v_mov_b32 v1, 0\nds_store_b32 v1, v0\ns_waitcnt lgkmcnt(0)\ns_endpgm",
        lds,
        64,
    );
    has(
        &err,
        &[
            "wave 1",
            "LDS race: lane 0 writes LDS byte 0x0, written by wave 0",
        ],
    );
    // Each lane writes its own dword, then reads its neighbour across the wave boundary
    // (lane 31 reads lane 32's dword): ordered by s_barrier it is fine, without it a race.
    let exchange = |sync: &str| {
        format!(
            "v_lshlrev_b32 v1, 2, v0\nds_store_b32 v1, v0\ns_waitcnt lgkmcnt(0)\n{sync}v_add_nc_u32 v2, 4, v1\nv_and_b32 v2, 0xff, v2\nds_load_b32 v3, v2\ns_waitcnt lgkmcnt(0)\ns_endpgm"
        )
    };
    run_asm(&exchange("s_barrier\n"), lds, 64).unwrap();
    let err = error(&exchange(""), lds, 64);
    has(&err, &["LDS race"]);
    // A barrier before the store has completed does not order it.
    let err = error(
        "v_lshlrev_b32 v1, 2, v0\nds_store_b32 v1, v0\ns_barrier\ns_endpgm",
        lds,
        64,
    );
    has(
        &err,
        &["s_barrier before an s_waitcnt lgkmcnt covers the LDS store at pc 0x4"],
    );
}

#[test]
fn runaway_loop_stops_at_the_budget() {
    if !tools() {
        return;
    }
    let code = assembly("k", "loop:\ns_branch loop\ns_endpgm", "");
    let mut dev = EmuDevice::with_budget(1000);
    let err = launch_on(
        &mut dev,
        &code,
        "k",
        Launch::linear(1, 32),
        vec![A::Buf(vec![0; 4])],
    )
    .expect_err("must stop")
    .to_string();
    has(
        &err,
        &[
            "instruction budget of 1000 wave-instructions exhausted",
            "s_branch",
        ],
    );
}

#[test]
fn device_bookkeeping_errors() {
    let mut dev = EmuDevice::new();
    let b = dev.alloc(8).unwrap();
    assert_eq!(dev.size(b), Ok(8));
    assert!(matches!(
        dev.upload(b, &[0; 4]),
        Err(DeviceError::CopySize { .. })
    ));
    dev.free(b).unwrap();
    assert!(matches!(dev.size(b), Err(DeviceError::NoSuchBuffer { .. })));
    let err = dev.load(&Binary::Ptx(String::new()), "k").unwrap_err();
    assert!(
        matches!(err, DeviceError::UnsupportedBinary { .. }),
        "{err}"
    );
    let err = dev
        .load(&Binary::CodeObject(vec![1, 2, 3]), "k")
        .unwrap_err();
    assert!(matches!(err, DeviceError::Load { .. }), "{err}");
    if tools() {
        let code = assembly("k", "s_endpgm", "");
        let err = dev
            .load(&Binary::CodeObject(code), "other")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no kernel 'other'"), "{err}");
    }
}
