//! The PTX interpreter (egpu_tests::ptx_sim) on hand-written PTX: each instruction family
//! against values worked out by hand or by plain Rust, the strict checks (uninitialized
//! register, out-of-bounds access, divergent barrier, unknown instruction), then egpu's
//! own PTX for every example and random graphs against the kernel-IR interpreter.

use egpu_tests::ptx_sim::{GlobalMemory, SimArg, SimError, parse, run};
use half::{bf16, f16};

/// A kernel with an output and an input pointer (`%rd0`, `%rd1`, both global) and a
/// bank of registers, around `body`.
fn kernel(body: &str) -> String {
    format!(
        ".version 7.8\n.target sm_80\n.address_size 64\n\
         .visible .entry k(.param .u64 out, .param .u64 inp)\n{{\n\
         .reg .b32 %r<40>;\n.reg .b64 %rd<16>;\n.reg .pred %p<8>;\n.reg .f32 %f<16>;\n.reg .b16 %h<8>;\n\
         ld.param.u64 %rd0, [out];\ncvta.to.global.u64 %rd0, %rd0;\n\
         ld.param.u64 %rd1, [inp];\ncvta.to.global.u64 %rd1, %rd1;\n{body}\nret;\n}}\n"
    )
}

/// Runs `body` on `block` threads of one CTA with `out_words` zeroed output words and
/// `input` bytes; returns the output words.
fn sim(body: &str, block: u32, out_words: usize, input: &[u8]) -> Result<Vec<u32>, SimError> {
    let mut mem = GlobalMemory::new();
    let out = mem.alloc(vec![0; out_words * 4]);
    let inp = mem.alloc(if input.is_empty() {
        vec![0; 4]
    } else {
        input.to_vec()
    });
    run(
        &kernel(body),
        "k",
        [1, 1, 1],
        [block, 1, 1],
        &[SimArg::U64(out), SimArg::U64(inp)],
        &mut mem,
    )?;
    let bytes = mem.buffer(out).unwrap_or_default();
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn ok(body: &str, words: usize) -> Vec<u32> {
    sim(body, 1, words, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn err(body: &str, block: u32) -> String {
    match sim(body, block, 64, &[]) {
        Ok(_) => panic!("expected an error from:\n{body}"),
        Err(e) => e.to_string(),
    }
}

/// `st.global.u32 [%rd0+4i], REG` for each register, in order.
fn stores(regs: &[&str]) -> String {
    regs.iter()
        .enumerate()
        .map(|(i, r)| format!("st.global.u32 [%rd0+{}], {r};\n", 4 * i))
        .collect()
}

#[test]
fn integer_arithmetic_wraps_and_divides_toward_zero() {
    let body = format!(
        "mov.u32 %r1, 0xffffffff;\nadd.u32 %r2, %r1, 2;\n\
         mov.u32 %r3, 0x7fffffff;\nadd.s32 %r4, %r3, 1;\n\
         mul.lo.s32 %r5, %r3, 3;\nmul.hi.u32 %r6, %r1, %r1;\n\
         mov.s32 %r7, -7;\ndiv.s32 %r8, %r7, 2;\nrem.s32 %r9, %r7, 2;\n\
         div.u32 %r10, %r7, 2;\nadd.sat.s32 %r11, %r3, 5;\n\
         mul.wide.s32 %rd2, %r7, 5;\nmov.b64 {{%r12, %r13}}, %rd2;\n\
         mad.lo.s32 %r14, %r7, 3, 100;\nmin.s32 %r15, %r7, 1;\nmin.u32 %r16, %r7, 1;\n{}",
        stores(&[
            "%r2", "%r4", "%r5", "%r6", "%r8", "%r9", "%r10", "%r11", "%r12", "%r13", "%r14",
            "%r15", "%r16"
        ])
    );
    let got = ok(&body, 13);
    let neg7 = (-7i32) as u32;
    let want = [
        1u32,
        0x8000_0000,
        0x7fff_ffffu32.wrapping_mul(3),
        ((0xffff_ffffu64 * 0xffff_ffffu64) >> 32) as u32,
        (-3i32) as u32,
        (-1i32) as u32,
        neg7 / 2,
        0x7fff_ffff,
        (-35i64) as u64 as u32,
        ((-35i64) as u64 >> 32) as u32,
        79,
        neg7,
        1,
    ];
    assert_eq!(got, want);
}

#[test]
fn sixty_four_bit_multiplies_keep_every_bit() {
    let (x, y) = (0xfedc_ba98_7654_3210u64, 0xffff_ffff_ffff_fff1u64);
    let body = format!(
        "mov.u64 %rd2, {x:#x};\nmov.u64 %rd3, {y:#x};\nmul.hi.u64 %rd4, %rd2, %rd3;\nmul.lo.u64 %rd5, %rd2, %rd3;\n\
         mad.lo.u64 %rd6, %rd2, %rd3, 7;\nmul.hi.s64 %rd7, %rd2, %rd3;\n\
         st.global.u64 [%rd0], %rd4;\nst.global.u64 [%rd0+8], %rd5;\nst.global.u64 [%rd0+16], %rd6;\nst.global.u64 [%rd0+24], %rd7;"
    );
    let got = ok(&body, 8);
    let words = |v: u64| [v as u32, (v >> 32) as u32];
    let p = u128::from(x) * u128::from(y);
    let ps = i128::from(x as i64) * i128::from(y as i64);
    let want: Vec<u32> = [
        (p >> 64) as u64,
        p as u64,
        (p as u64).wrapping_add(7),
        (ps >> 64) as u64,
    ]
    .into_iter()
    .flat_map(words)
    .collect();
    assert_eq!(got, want);
}

#[test]
fn shifts_clamp_their_count_to_the_width() {
    let body = format!(
        "mov.u32 %r1, 1;\nshl.b32 %r2, %r1, 31;\nshl.b32 %r3, %r1, 32;\nshl.b32 %r4, %r1, 1000;\n\
         mov.s32 %r5, -8;\nshr.s32 %r6, %r5, 1;\nshr.s32 %r7, %r5, 40;\nshr.u32 %r8, %r5, 40;\n\
         shr.u32 %r9, %r2, 31;\nshr.b32 %r10, %r5, 28;\n{}",
        stores(&["%r2", "%r3", "%r4", "%r6", "%r7", "%r8", "%r9", "%r10"])
    );
    let got = ok(&body, 8);
    // shr.b32 is a logical shift (only .s types shift in the sign).
    assert_eq!(
        got,
        [0x8000_0000, 0, 0, (-4i32) as u32, u32::MAX, 0, 1, 0xf]
    );
}

#[test]
fn cvt_saturates_float_to_int_and_turns_nan_into_zero() {
    let nan = 0x7fc0_0000u32;
    let body = format!(
        "mov.b32 %f1, 0f4F32D05E;\ncvt.rzi.s32.f32 %r1, %f1;\nneg.f32 %f2, %f1;\ncvt.rzi.s32.f32 %r2, %f2;\n\
         mov.b32 %f3, {nan:#x};\ncvt.rzi.s32.f32 %r3, %f3;\ncvt.rzi.u32.f32 %r4, %f2;\n\
         mov.f32 %f4, 0f40200000;\ncvt.rni.s32.f32 %r5, %f4;\nmov.f32 %f5, 0f40600000;\ncvt.rni.s32.f32 %r6, %f5;\n\
         mov.f32 %f6, 0fBFC00000;\ncvt.rmi.s32.f32 %r7, %f6;\ncvt.rpi.s32.f32 %r8, %f6;\ncvt.rzi.s32.f32 %r9, %f6;\n\
         mov.s32 %r10, 300;\ncvt.sat.u8.s32 %r11, %r10;\ncvt.u8.s32 %r12, %r10;\n\
         mov.s32 %r13, -300;\ncvt.sat.s8.s32 %r14, %r13;\ncvt.s8.s32 %r15, %r13;\n\
         mov.f32 %f7, 0f40000000;\ncvt.sat.f32.f32 %f8, %f7;\nmov.b32 %r16, %f8;\n\
         cvt.sat.f32.f32 %f9, %f3;\nmov.b32 %r17, %f9;\n\
         cvt.rzi.s64.f32 %rd2, %f1;\ncvt.u32.u64 %r18, %rd2;\n{}",
        stores(&[
            "%r1", "%r2", "%r3", "%r4", "%r5", "%r6", "%r7", "%r8", "%r9", "%r11", "%r12", "%r14",
            "%r15", "%r16", "%r17", "%r18"
        ])
    );
    let got = ok(&body, 16);
    // 0f4F32D05E is 3e9: beyond i32, inside i64.
    let three_e9 = f32::from_bits(0x4F32_D05E) as i64;
    let want = [
        i32::MAX as u32,
        i32::MIN as u32,
        0,
        0,
        2,
        4,
        (-2i32) as u32,
        (-1i32) as u32,
        (-1i32) as u32,
        255,
        300 & 0xff,
        (-128i32) as u32,
        // cvt.s8 truncates to 8 bits and the register holds them sign-extended.
        (((-300i32) as u8) as i8) as i32 as u32,
        1.0f32.to_bits(),
        0,
        three_e9 as u32,
    ];
    assert_eq!(got, want);
}

#[test]
fn cvt_to_f16_and_bf16_rounds_as_each_mode_says() {
    // 1 + 2^-11 is the tie between 1 and 1 + 2^-10 in f16; 1 + 3·2^-11 a tie up to
    // 1 + 2^-9; 1 + 2^-11 + 2^-20 just above the first tie.
    let cases: [f32; 5] = [
        1.0 + 2f32.powi(-11),
        1.0 + 3.0 * 2f32.powi(-11),
        1.0 + 2f32.powi(-11) + 2f32.powi(-20),
        -(1.0 + 2f32.powi(-11) + 2f32.powi(-20)),
        70000.0,
    ];
    let mut body = String::new();
    let mut want = Vec::new();
    for (i, x) in cases.iter().enumerate() {
        body += &format!(
            "mov.b32 %f1, {:#x};\ncvt.rn.f16.f32 %h1, %f1;\ncvt.rz.f16.f32 %h2, %f1;\n\
             cvt.rm.f16.f32 %h3, %f1;\ncvt.rp.f16.f32 %h4, %f1;\ncvt.rn.bf16.f32 %h5, %f1;\n\
             mov.b32 %r1, {{%h1, %h2}};\nmov.b32 %r2, {{%h3, %h4}};\ncvt.u32.u16 %r3, %h5;\n\
             st.global.u32 [%rd0+{}], %r1;\nst.global.u32 [%rd0+{}], %r2;\nst.global.u32 [%rd0+{}], %r3;\n",
            x.to_bits(),
            12 * i,
            12 * i + 4,
            12 * i + 8
        );
        let rn = f16::from_f32(*x);
        // Directed modes by hand: the neighbours below and above in f16.
        let below = f16_neighbour(*x, false);
        let above = f16_neighbour(*x, true);
        let rz = if *x > 0.0 { below } else { above };
        want.push(u32::from(rn.to_bits()) | (u32::from(rz.to_bits()) << 16));
        want.push(u32::from(below.to_bits()) | (u32::from(above.to_bits()) << 16));
        want.push(u32::from(bf16::from_f32(*x).to_bits()));
    }
    assert_eq!(ok(&body, want.len()), want);
    // The hand-worked ones: ties to even, and 70000 overflows f16 to inf under rn but
    // stays at the largest finite value (65504) when rounding toward zero.
    assert_eq!(want[0] & 0xffff, 0x3c00);
    assert_eq!(want[3] & 0xffff, 0x3c02);
    assert_eq!(want[6] & 0xffff, 0x3c01);
    assert_eq!(want[12] & 0xffff, 0x7c00);
    assert_eq!(want[12] >> 16, 0x7bff);
}

/// The f16 value next to `x` below it (or above it), found by walking the f16 grid.
fn f16_neighbour(x: f32, up: bool) -> f16 {
    let mut best: Option<f16> = None;
    for bits in 0u16..=0xffff {
        let h = f16::from_bits(bits);
        if h.is_nan() {
            continue;
        }
        let v = h.to_f32();
        let fits = if up { v >= x } else { v <= x };
        let better = match best {
            None => true,
            Some(b) => {
                if up {
                    v < b.to_f32()
                } else {
                    v > b.to_f32()
                }
            }
        };
        if fits && better {
            best = Some(h);
        }
    }
    best.unwrap_or(f16::NAN)
}

#[test]
fn float_min_max_setp_and_selp_follow_the_nan_rules() {
    let nan = 0x7fc0_0000u32;
    let body = format!(
        "mov.b32 %f1, {nan:#x};\nmov.f32 %f2, 0f3F800000;\nmin.f32 %f3, %f1, %f2;\nmin.NaN.f32 %f4, %f1, %f2;\n\
         mov.f32 %f5, 0f80000000;\nmov.f32 %f6, 0f00000000;\nmin.f32 %f7, %f6, %f5;\nmax.f32 %f8, %f5, %f6;\n\
         setp.lt.f32 %p1, %f1, %f2;\nsetp.ltu.f32 %p2, %f1, %f2;\nsetp.eq.f32 %p3, %f5, %f6;\n\
         selp.u32 %r1, 1, 0, %p1;\nselp.u32 %r2, 1, 0, %p2;\nselp.u32 %r3, 1, 0, %p3;\n\
         setp.lt.and.f32 %p4|%p5, %f5, %f2, %p2;\nselp.u32 %r4, 1, 0, %p4;\nselp.u32 %r5, 1, 0, %p5;\n\
         mov.s32 %r6, -1;\nsetp.lt.u32 %p6, %r6, 1;\nselp.u32 %r7, 1, 0, %p6;\nsetp.lt.s32 %p7, %r6, 1;\nselp.u32 %r8, 1, 0, %p7;\n\
         mov.b32 %r9, %f3;\nmov.b32 %r10, %f4;\nmov.b32 %r11, %f7;\nmov.b32 %r12, %f8;\n{}",
        stores(&[
            "%r9", "%r10", "%r11", "%r12", "%r1", "%r2", "%r3", "%r4", "%r5", "%r7", "%r8"
        ])
    );
    let got = ok(&body, 11);
    assert_eq!(
        got,
        [
            1.0f32.to_bits(),
            0x7fff_ffff,
            0x8000_0000,
            0,
            0,
            1,
            1,
            1,
            0,
            0,
            1
        ]
    );
}

#[test]
fn float_arithmetic_rounds_correctly_and_approx_ops_are_close() {
    // 1 + 2^-24 is not an f32: add.rn ties to even (1.0), add.rp goes up, add.rz stays.
    let body = format!(
        "mov.f32 %f1, 0f3F800000;\nmov.f32 %f2, 0f33800000;\nadd.rn.f32 %f3, %f1, %f2;\nadd.rp.f32 %f4, %f1, %f2;\n\
         add.rz.f32 %f5, %f1, %f2;\nsub.rm.f32 %f6, %f1, %f2;\n\
         mov.f32 %f7, 0f40400000;\ndiv.rn.f32 %f8, %f1, %f7;\nsqrt.rn.f32 %f9, %f7;\n\
         fma.rn.f32 %f10, %f8, %f7, 0fBF800000;\nex2.approx.ftz.f32 %f11, 0f3F000000;\nrcp.approx.f32 %f12, %f7;\n\
         {}",
        [3, 4, 5, 6, 8, 9, 10, 11, 12]
            .iter()
            .enumerate()
            .map(|(k, i)| format!(
                "mov.b32 %r{i}, %f{i};\nst.global.u32 [%rd0+{}], %r{i};\n",
                4 * k
            ))
            .collect::<String>()
    );
    let got = ok(&body, 9);
    let one = 1.0f32;
    let three = 3.0f32;
    let third = one / three;
    let exact = [
        one.to_bits(),
        f32::from_bits(one.to_bits() + 1).to_bits(),
        one.to_bits(),
        f32::from_bits(one.to_bits() - 1).to_bits(),
        third.to_bits(),
        three.sqrt().to_bits(),
        third.mul_add(three, -1.0).to_bits(),
    ];
    assert_eq!(&got[..7], &exact);
    let ulps = |got: u32, want: f64| (i64::from(got) - i64::from((want as f32).to_bits())).abs();
    assert!(
        ulps(got[7], 2f64.sqrt()) <= 2,
        "ex2(0.5) = {}",
        f32::from_bits(got[7])
    );
    assert!(ulps(got[8], 1.0 / 3.0) <= 1);
}

#[test]
fn bit_ops_int_to_float_rounding_and_f64() {
    let body = format!(
        "mov.u32 %r1, 17;\nrem.u32 %r2, %r1, 5;\nneg.s32 %r3, %r1;\nmov.s32 %r4, -7;\nabs.s32 %r5, %r4;\n\
         not.b32 %r6, %r2;\nmov.u32 %r7, 0xf0f0;\npopc.b32 %r8, %r7;\nclz.b32 %r9, %r1;\nxor.b32 %r10, %r7, 0xff;\n\
         mov.u32 %r11, 0xffffffff;\ncvt.rz.f32.u32 %f1, %r11;\ncvt.rn.f32.u32 %f2, %r11;\n\
         mov.s32 %r12, 16777217;\ncvt.rp.f32.s32 %f3, %r12;\nneg.s32 %r13, %r12;\ncvt.rm.f32.s32 %f4, %r13;\n\
         mov.b32 %r14, %f1;\nmov.b32 %r15, %f2;\nmov.b32 %r16, %f3;\nmov.b32 %r17, %f4;\n\
         .reg .f64 %d<4>;\nmov.f64 %d1, 0d4008000000000000;\nrcp.rn.f64 %d2, %d1;\nmov.b64 {{%r18, %r19}}, %d2;\n\
         cvt.rn.f32.f64 %f5, %d2;\ncvt.rz.f32.f64 %f6, %d2;\nmov.b32 %r20, %f5;\nmov.b32 %r21, %f6;\n{}",
        stores(&[
            "%r2", "%r3", "%r5", "%r6", "%r8", "%r9", "%r10", "%r14", "%r15", "%r16", "%r17",
            "%r18", "%r19", "%r20", "%r21"
        ])
    );
    let got = ok(&body, 15);
    let third = 1.0f64 / 3.0;
    let rn = third as f32;
    // Toward zero: the f32 below 1/3 when nearest rounded up.
    let rz = if f64::from(rn) > third {
        f32::from_bits(rn.to_bits() - 1)
    } else {
        rn
    };
    let want = [
        2,
        (-17i32) as u32,
        7,
        !2u32,
        8,
        27,
        0xf0f0 ^ 0xff,
        // u32::MAX toward zero is 2^32 - 256; to nearest it is 2^32.
        4_294_967_040f32.to_bits(),
        4_294_967_296f32.to_bits(),
        // 2^24 + 1 up is 2^24 + 2; -(2^24 + 1) down is -(2^24 + 2).
        16_777_218f32.to_bits(),
        (-16_777_218f32).to_bits(),
        third.to_bits() as u32,
        (third.to_bits() >> 32) as u32,
        rn.to_bits(),
        rz.to_bits(),
    ];
    assert_eq!(got, want);
}

#[test]
fn cp_async_lands_at_the_wait_not_before() {
    let input: Vec<u8> = (1..=16u8).collect();
    let body = ".shared .align 16 .b8 s[16];\nmov.u32 %r1, s;\n\
        cp.async.cg.shared.global [%r1], [%rd1], 16;\ncp.async.commit_group;\n\
        cp.async.wait_group 0;\nld.shared.u32 %r3, [%r1];\n\
        cp.async.ca.shared.global [%r1+8], [%rd1], 8, 4;\ncp.async.wait_all;\nld.shared.v2.u32 {%r4, %r5}, [%r1+8];\n\
        st.global.u32 [%rd0], %r3;\nst.global.v2.u32 [%rd0+8], {%r4, %r5};";
    let got = sim(body, 1, 4, &input).unwrap_or_else(|e| panic!("{e}"));
    // The zero-fill after src-size 4 clears bytes 12..16 of the shared array.
    assert_eq!(got, [0x0403_0201, 0, 0x0403_0201, 0]);
    // Reading the destination before waiting sees bytes the copy has not written yet.
    let early = ".shared .align 16 .b8 s[16];\nmov.u32 %r1, s;\n\
        cp.async.cg.shared.global [%r1], [%rd1], 16;\ncp.async.commit_group;\n\
        ld.shared.u32 %r2, [%r1];\ncp.async.wait_group 0;";
    let e = sim(early, 1, 1, &input)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("no thread of this CTA has written") && e.contains("line 19"),
        "{e}"
    );
}

#[test]
fn half_a_warp_at_an_mma_is_an_error() {
    let body = "mov.u32 %r1, %tid.x;\nsetp.ge.u32 %p1, %r1, 16;\n@%p1 ret;\nmov.f32 %f1, 0f00000000;\nmov.b32 %r2, 0;\n\
        mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%f2, %f3, %f4, %f5}, {%r2, %r2, %r2, %r2}, {%r2, %r2}, {%f1, %f1, %f1, %f1};";
    let e = err(body, 32);
    assert!(
        e.contains("exited before a .aligned warp instruction"),
        "{e}"
    );
}

#[test]
fn a_grid_of_ctas_sees_its_coordinates() {
    // Module-scope shared array, block comments, a 3x2 grid of 2x2 CTAs: each thread
    // writes ctaid.x + 10 ctaid.y + 100 tid.x + 1000 tid.y + 10000 nctaid.x at its
    // global linear index.
    let ptx = ".version 7.8 /* a\ncomment */\n.target sm_80\n.address_size 64\n\
        .shared .align 4 .b8 unused[4];\n\
        .visible .entry g(.param .u64 out)\n.reqntid 2, 2, 1\n{\n\
        .reg .b32 %r<20>;\n.reg .b64 %rd<4>;\n\
        ld.param.u64 %rd0, [out];\n\
        mov.u32 %r1, %ctaid.x;\nmov.u32 %r2, %ctaid.y;\nmov.u32 %r3, %tid.x;\nmov.u32 %r4, %tid.y;\nmov.u32 %r5, %nctaid.x;\n\
        mad.lo.u32 %r6, %r2, 10, %r1;\nmad.lo.u32 %r6, %r3, 100, %r6;\nmad.lo.u32 %r6, %r4, 1000, %r6;\nmad.lo.u32 %r6, %r5, 10000, %r6;\n\
        mov.u32 %r7, %ntid.x;\nmad.lo.u32 %r8, %r1, %r7, %r3;\n\
        mov.u32 %r9, %ntid.y;\nmad.lo.u32 %r10, %r2, %r9, %r4;\n\
        mul.lo.u32 %r11, %r5, %r7;\nmad.lo.u32 %r12, %r10, %r11, %r8;\n\
        mul.wide.u32 %rd1, %r12, 4;\nadd.s64 %rd2, %rd0, %rd1;\nst.global.u32 [%rd2], %r6;\nret;\n}\n";
    let mut mem = GlobalMemory::new();
    let out = mem.alloc(vec![0; 24 * 4]);
    run(
        ptx,
        "g",
        [3, 2, 1],
        [2, 2, 1],
        &[SimArg::U64(out)],
        &mut mem,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<u32> = mem
        .buffer(out)
        .unwrap_or_default()
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut want = vec![0u32; 24];
    for cy in 0..2u32 {
        for cx in 0..3u32 {
            for ty in 0..2u32 {
                for tx in 0..2u32 {
                    let (gx, gy) = (cx * 2 + tx, cy * 2 + ty);
                    want[(gy * 6 + gx) as usize] = cx + 10 * cy + 100 * tx + 1000 * ty + 30000;
                }
            }
        }
    }
    assert_eq!(got, want);
    let e = run(
        ptx,
        "g",
        [1, 1, 1],
        [4, 1, 1],
        &[SimArg::U64(out)],
        &mut mem,
    );
    assert!(e.is_err_and(|e| e.to_string().contains(".reqntid")));
}

#[test]
fn parse_errors_name_their_line() {
    let cases = [
        ("mov.u32 %r1, %nosuch;", "nosuch"),
        // Without its ';' the statement runs on into the template's `ret`.
        ("mov.u32 %r1, 1", "'1 ret'"),
        ("bra NOWHERE;", "NOWHERE"),
        ("ld.global.v3.f32 {%r1, %r2, %r3}, [%rd0];", "v3"),
    ];
    for (body, what) in cases {
        let text = kernel(body);
        let e = parse(&text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("line 15") || what == "without ';'",
            "{body}: {e}"
        );
        assert!(e.contains(what), "{body}: {e}");
    }
}

#[test]
fn shfl_bfly_reduces_a_warp() {
    let body = "mov.u32 %r1, %tid.x;\nmov.u32 %r2, %r1;\n\
        shfl.sync.bfly.b32 %r3, %r1, 1, 31, 0xffffffff;\n\
        shfl.sync.bfly.b32 %r4, %r2, 16, 31, 0xffffffff;\nadd.u32 %r2, %r2, %r4;\n\
        shfl.sync.bfly.b32 %r4, %r2, 8, 31, 0xffffffff;\nadd.u32 %r2, %r2, %r4;\n\
        shfl.sync.bfly.b32 %r4, %r2, 4, 31, 0xffffffff;\nadd.u32 %r2, %r2, %r4;\n\
        shfl.sync.bfly.b32 %r4, %r2, 2, 31, 0xffffffff;\nadd.u32 %r2, %r2, %r4;\n\
        shfl.sync.bfly.b32 %r4, %r2, 1, 31, 0xffffffff;\nadd.u32 %r2, %r2, %r4;\n\
        shfl.sync.down.b32 %r5|%p1, %r1, 3, 31, 0xffffffff;\n\
        shfl.sync.up.b32 %r6, %r1, 2, 0, 0xffffffff;\n\
        shfl.sync.idx.b32 %r7, %r1, 5, 0x1c1f, 0xffffffff;\n\
        selp.u32 %r8, 1, 0, %p1;\n\
        mul.wide.u32 %rd2, %r1, 24;\nadd.s64 %rd3, %rd0, %rd2;\n\
        st.global.u32 [%rd3], %r3;\nst.global.u32 [%rd3+4], %r2;\nst.global.u32 [%rd3+8], %r5;\n\
        st.global.u32 [%rd3+12], %r8;\nst.global.u32 [%rd3+16], %r6;\nst.global.u32 [%rd3+20], %r7;";
    let got = sim(body, 32, 32 * 6, &[]).unwrap_or_else(|e| panic!("{e}"));
    for lane in 0..32u32 {
        let row = &got[lane as usize * 6..lane as usize * 6 + 6];
        let down = if lane + 3 <= 31 { lane + 3 } else { lane };
        let up = if lane >= 2 { lane - 2 } else { lane };
        // c = 0x1c1f: segments of 4 lanes (segmask 0x1c), idx 5 picks lane 5 & 3 = 1 of
        // each segment.
        let idx = (lane & !3) | (5 & 3);
        assert_eq!(
            row,
            [lane ^ 1, 496, down, u32::from(lane + 3 <= 31), up, idx],
            "lane {lane}"
        );
    }
}

#[test]
fn bar_sync_orders_shared_memory_between_threads() {
    let body = ".shared .align 4 .b8 buf[256];\n\
        mov.u32 %r1, %tid.x;\nmov.u32 %r2, buf;\nshl.b32 %r3, %r1, 2;\nadd.u32 %r4, %r2, %r3;\n\
        mul.lo.u32 %r5, %r1, 7;\nst.shared.u32 [%r4], %r5;\nbar.sync 0;\n\
        sub.u32 %r6, 63, %r1;\nshl.b32 %r7, %r6, 2;\nadd.u32 %r8, %r2, %r7;\nld.shared.u32 %r9, [%r8];\n\
        mul.wide.u32 %rd2, %r1, 4;\nadd.s64 %rd3, %rd0, %rd2;\nst.global.u32 [%rd3], %r9;";
    let got = sim(body, 64, 64, &[]).unwrap_or_else(|e| panic!("{e}"));
    let want: Vec<u32> = (0..64).map(|i| (63 - i) * 7).collect();
    assert_eq!(got, want);
}

#[test]
fn atomics_add_every_threads_value() {
    let body = "mov.u32 %r1, %tid.x;\ncvt.rn.f32.u32 %f1, %r1;\nred.global.add.f32 [%rd0], %f1;\n\
        atom.global.add.u32 %r2, [%rd0+4], 1;\nmax.u32 %r3, %r2, 0;\natom.global.max.s32 %r4, [%rd0+8], %r1;";
    let got = sim(body, 100, 3, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, [4950.0f32.to_bits(), 100, 99]);
}

#[test]
fn vector_loads_and_their_alignment() {
    let input: Vec<u8> = (0..8u32)
        .flat_map(|i| (i as f32 * 1.5).to_le_bytes())
        .collect();
    let body = "ld.global.nc.v4.f32 {%f1, %f2, %f3, %f4}, [%rd1+16];\nst.global.v4.f32 [%rd0], {%f4, %f3, %f2, %f1};";
    let got = sim(body, 1, 4, &input).unwrap_or_else(|e| panic!("{e}"));
    let want: Vec<u32> = [7.0f32, 6.0, 5.0, 4.0]
        .iter()
        .map(|v| (v * 1.5).to_bits())
        .collect();
    assert_eq!(got, want);
    let e = sim(
        "ld.global.v4.f32 {%f1, %f2, %f3, %f4}, [%rd1+4];",
        1,
        4,
        &input,
    )
    .err();
    assert!(e.is_some_and(|e| e.to_string().contains("not aligned")));
}

/// A (16x16) times B (16x8) through shared memory, ldmatrix and mma, with halves of
/// type f16 or bf16 (`bf`).
fn mma_case(bf: bool) {
    // A: 16x16 row-major f16 at input offset 0; B: 16x8 (k x n) row-major f16 at 512;
    // Bt: 8x16 (n x k) row-major at 768. Each is staged in shared memory, loaded with
    // ldmatrix (A plain, B with .trans, Bt plain) and multiplied twice.
    let a: Vec<f32> = (0..256)
        .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.25)
        .collect();
    let b: Vec<f32> = (0..128)
        .map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.5)
        .collect();
    let mut input = Vec::new();
    for v in &a {
        input.extend(half_bytes(*v, bf));
    }
    for v in &b {
        input.extend(half_bytes(*v, bf));
    }
    for n in 0..8 {
        for k in 0..16 {
            input.extend(half_bytes(b[k * 8 + n], bf));
        }
    }
    let body = format!(
        ".shared .align 16 .b8 s[1024];\n\
        mov.u32 %r1, %tid.x;\nmov.u32 %r2, s;\n\
        shl.b32 %r3, %r1, 5;\ncvt.u64.u32 %rd2, %r3;\nadd.s64 %rd3, %rd1, %rd2;\nadd.u32 %r4, %r2, %r3;\n\
        ld.global.v4.u32 {{%r5, %r6, %r7, %r8}}, [%rd3];\nst.shared.v4.u32 [%r4], {{%r5, %r6, %r7, %r8}};\n\
        ld.global.v4.u32 {{%r5, %r6, %r7, %r8}}, [%rd3+16];\nst.shared.v4.u32 [%r4+16], {{%r5, %r6, %r7, %r8}};\n\
        bar.sync 0;\n\
        and.b32 %r9, %r1, 7;\nshr.u32 %r10, %r1, 3;\nand.b32 %r11, %r10, 1;\nshl.b32 %r11, %r11, 3;\n\
        add.u32 %r12, %r9, %r11;\nshl.b32 %r12, %r12, 5;\nshr.u32 %r13, %r1, 4;\nshl.b32 %r13, %r13, 4;\n\
        add.u32 %r14, %r12, %r13;\nadd.u32 %r14, %r14, %r2;\n\
        ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{%r15, %r16, %r17, %r18}}, [%r14];\n\
        and.b32 %r19, %r1, 15;\nshl.b32 %r20, %r19, 4;\nadd.u32 %r20, %r20, 512;\nadd.u32 %r20, %r20, %r2;\n\
        ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {{%r21, %r22}}, [%r20];\n\
        shl.b32 %r23, %r9, 5;\nshl.b32 %r24, %r10, 4;\nand.b32 %r24, %r24, 16;\nadd.u32 %r23, %r23, %r24;\n\
        add.u32 %r23, %r23, 768;\nadd.u32 %r23, %r23, %r2;\n\
        ldmatrix.sync.aligned.m8n8.x2.shared.b16 {{%r25, %r26}}, [%r23];\n\
        mov.f32 %f1, 0f00000000;\n\
        mma.sync.aligned.m16n8k16.row.col.f32.{t}.{t}.f32 {{%f2, %f3, %f4, %f5}}, {{%r15, %r16, %r17, %r18}}, {{%r21, %r22}}, {{%f1, %f1, %f1, %f1}};\n\
        mma.sync.aligned.m16n8k16.row.col.f32.{t}.{t}.f32 {{%f6, %f7, %f8, %f9}}, {{%r15, %r16, %r17, %r18}}, {{%r25, %r26}}, {{%f1, %f1, %f1, %f1}};\n\
        shr.u32 %r27, %r1, 2;\nand.b32 %r28, %r1, 3;\nshl.b32 %r29, %r27, 3;\nshl.b32 %r30, %r28, 1;\nadd.u32 %r29, %r29, %r30;\n\
        mul.wide.u32 %rd4, %r29, 4;\nadd.s64 %rd5, %rd0, %rd4;\n\
        st.global.v2.f32 [%rd5], {{%f2, %f3}};\nst.global.v2.f32 [%rd5+256], {{%f4, %f5}};\n\
        st.global.v2.f32 [%rd5+512], {{%f6, %f7}};\nst.global.v2.f32 [%rd5+768], {{%f8, %f9}};",
        t = if bf { "bf16" } else { "f16" }
    );
    let got = sim(&body, 32, 256, &input).unwrap_or_else(|e| panic!("{e}"));
    for m in 0..16 {
        for n in 0..8 {
            let want: f64 = (0..16)
                .map(|k| f64::from(a[m * 16 + k]) * f64::from(b[k * 8 + n]))
                .sum();
            let want = (want as f32).to_bits();
            assert_eq!(got[m * 8 + n], want, "D[{m}][{n}] via B.trans");
            assert_eq!(got[128 + m * 8 + n], want, "D[{m}][{n}] via Bt");
        }
    }
}

fn half_bytes(v: f32, bf: bool) -> [u8; 2] {
    if bf {
        bf16::from_f32(v).to_le_bytes()
    } else {
        f16::from_f32(v).to_le_bytes()
    }
}

#[test]
fn ldmatrix_and_mma_multiply_16x16_by_16x8_in_f16() {
    mma_case(false);
}

#[test]
fn ldmatrix_and_mma_multiply_16x16_by_16x8_in_bf16() {
    mma_case(true);
}

#[test]
fn reading_an_unwritten_register_is_an_error() {
    let e = err("add.u32 %r2, %r1, 1;\nst.global.u32 [%rd0], %r2;", 1);
    assert!(e.contains("%r1") && e.contains("read before"), "{e}");
    // The body starts on line 15 of `kernel`'s template.
    assert!(e.contains("line 15"), "{e}");
}

#[test]
fn an_access_outside_every_buffer_is_an_error() {
    let e = err("st.global.u32 [%rd0+256], %r1;", 1);
    assert!(
        e.contains("read before"),
        "an unwritten register is caught first: {e}"
    );
    let e = err("mov.u32 %r1, 5;\nst.global.u32 [%rd0+256], %r1;", 1);
    assert!(
        e.contains("outside every buffer") && e.contains("line 16"),
        "{e}"
    );
    let e = err(
        ".shared .align 4 .b8 s[16];\nmov.u32 %r1, s;\nld.shared.u32 %r2, [%r1+16];",
        1,
    );
    assert!(e.contains("outside the 16 bytes of shared"), "{e}");
}

#[test]
fn divergent_barriers_are_errors() {
    let exit_early = "mov.u32 %r1, %tid.x;\nsetp.ge.u32 %p1, %r1, 32;\n@%p1 ret;\nbar.sync 0;";
    let e = err(exit_early, 64);
    assert!(
        e.contains("divergent barrier") && e.contains("exited"),
        "{e}"
    );
    let two_lines = "mov.u32 %r1, %tid.x;\nsetp.ge.u32 %p1, %r1, 32;\n@%p1 bra L;\nbar.sync 0;\nret;\nL:\nbar.sync 0;";
    let e = err(two_lines, 64);
    assert!(e.contains("divergent barrier"), "{e}");
    let partial_shfl = "mov.u32 %r1, %tid.x;\nsetp.ge.u32 %p1, %r1, 16;\n@%p1 ret;\nshfl.sync.bfly.b32 %r2, %r1, 1, 31, 0xffffffff;";
    let e = err(partial_shfl, 32);
    assert!(e.contains("exited"), "{e}");
}

#[test]
fn a_buffer_read_through_nc_and_written_in_one_launch_is_an_error() {
    let e = err(
        "ld.global.nc.u32 %r1, [%rd0];\nadd.u32 %r1, %r1, 1;\nst.global.u32 [%rd0+4], %r1;",
        1,
    );
    assert!(
        e.contains("ld.global.nc (line 15)") && e.contains("written (line 17)"),
        "{e}"
    );
    let fine = sim(
        "ld.global.nc.u32 %r1, [%rd1];\nst.global.u32 [%rd0], %r1;",
        1,
        1,
        &[9, 0, 0, 0],
    );
    assert_eq!(fine, Ok(vec![9]));
}

#[test]
fn unknown_instructions_and_modifiers_are_errors() {
    let e = err("mov.u32 %r1, 1;\nfrobnicate.u32 %r2, %r1;", 1);
    assert!(e.contains("frobnicate"), "{e}");
    let e = err("mov.u32 %r1, 1;\nadd.rn.wobbly.f32 %f1, %f1, %f1;", 1);
    assert!(e.contains("wobbly"), "{e}");
    let e = err("mov.u32 %r1, 1;\nmul.u32 %r2, %r1, %r1;", 1);
    assert!(e.contains(".lo, .hi or .wide"), "{e}");
}

mod programs {
    //! egpu's PTX for whole programs, run in the sim and compared with the reference
    //! interpreter's bounds for sm_80 (and, informally, bit for bit with the kernel-IR
    //! interpreter).

    use egpu_codegen_ptx::{PtxError, PtxOptions, emit_kernel};
    use egpu_ir::interp::{evaluate, random_inputs};
    use egpu_ir::{Graph, Target};
    use egpu_passes::pipeline::{PipelineOptions, compile};
    use egpu_passes::simplify::SimplifyOptions;
    use egpu_tests::compare::{check_outputs, compare_within};
    use egpu_tests::examples;
    use egpu_tests::ptx_sim::{Approx, UlpsFrom, run_program};
    use egpu_tests::random_graph::arb_graph;
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, TestRng, TestRunner};

    /// What became of one graph.
    enum Outcome {
        /// Ran and matched; how many outputs were also bit-identical to the kernel-IR
        /// interpreter's, of how many; whether the PTX used tensor cores (mma.sync).
        Matched(usize, usize, bool),
        /// The emitter declined a kernel (PtxError::Unsupported).
        Unsupported(String),
        /// The reference interpreter has no value for these inputs.
        Undefined(String),
    }

    fn check_graph(graph: &Graph, seed: u64) -> Result<Outcome, String> {
        check_mutated(graph, seed, &|_, ptx| ptx.to_string(), Approx::Exact)
    }

    /// [`check_graph`] with each kernel's PTX passed through `mutate(kernel name, ptx)`.
    fn check_mutated(
        graph: &Graph,
        seed: u64,
        mutate: &dyn Fn(&str, &str) -> String,
        approx: Approx,
    ) -> Result<Outcome, String> {
        let target = Target::by_name("sm_80").ok_or("no sm_80 target")?;
        let options = PipelineOptions {
            target,
            disabled: Vec::new(),
            simplify: SimplifyOptions::default(),
        };
        let compiled = compile(graph, &options).map_err(|e| format!("compile: {e}"))?;
        let program = &compiled.program;
        let mut ptx = Vec::new();
        for kernel in &program.kernels {
            match emit_kernel(kernel, &target, &PtxOptions { comments: false }) {
                Ok(text) => ptx.push(mutate(kernel.name(), &text)),
                Err(e @ PtxError::Unsupported { .. }) => {
                    return Ok(Outcome::Unsupported(e.to_string()));
                }
                Err(e) => return Err(format!("emit: {e}")),
            }
        }
        let inputs = random_inputs(graph, seed);
        // A graph the reference cannot evaluate (an integer division by zero) has no
        // result to compare with; integer division by zero is undefined in PTX too.
        if let Err(e) = evaluate(graph, &inputs) {
            return Ok(Outcome::Undefined(e.to_string()));
        }
        let (got, _) = run_program(program, &ptx, &inputs, approx).map_err(|e| {
            let k = match &e {
                egpu_tests::ptx_sim::ProgramError::Launch { launch, .. } => program
                    .launches
                    .get(*launch)
                    .and_then(|l| ptx.get(l.kernel))
                    .map(|p| numbered(p))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            format!("sim: {e}\n{k}")
        })?;
        check_outputs(graph, &inputs, &got, &target).map_err(|e| format!("outputs: {e}"))?;
        let mma = ptx.iter().any(|p| p.contains("mma.sync"));
        if approx != Approx::Exact {
            // Approximate results moved to their bounds differ from the interpreter's on
            // purpose: the reference's bounds are the whole check.
            return Ok(Outcome::Matched(0, got.len(), mma));
        }
        // The reference's bounds are worst cases (a 65536-term sum may be off by ~100),
        // so the kernel-IR interpreter, which does the kernel's own operations in its
        // order, is the sharp oracle: bit for bit where every instruction is exactly
        // rounded, within 1e-4 where the PTX uses .approx instructions (the sim computes
        // those correctly rounded; the ISA only bounds them).
        let ir = program
            .run(&inputs)
            .map_err(|e| format!("kernel-IR interpreter: {e}"))?;
        // f64 exp2 and log2 are instruction sequences within 1 ULP, not correctly rounded:
        // compared like the approximate instructions.
        let f64_math = program.kernels.iter().any(|k| {
            egpu_ir::kernel::print(k).lines().any(|l| {
                l.contains(": f64")
                    && ["= exp2 ", "= log2 ", "= sin "]
                        .iter()
                        .any(|op| l.contains(op))
            })
        });
        let approx = f64_math || ptx.iter().any(|p| p.contains(".approx"));
        let mut same = 0;
        for ((name, want), (_, have)) in ir.iter().zip(&got) {
            if want.same(have) {
                same += 1;
            } else if approx {
                compare_within(name, want, have, 1e-4).map_err(|e| format!("vs kernel IR: {e}"))?;
            } else {
                compare_within(name, want, have, 0.0)
                    .map_err(|e| format!("vs kernel IR (exact): {e}"))?;
                return Err(format!(
                    "{name}: not bit-identical to the kernel-IR interpreter"
                ));
            }
        }
        Ok(Outcome::Matched(same, got.len(), mma))
    }

    /// PTX with line numbers, for failure messages.
    fn numbered(ptx: &str) -> String {
        ptx.lines()
            .enumerate()
            .map(|(i, l)| format!("{:4} {l}\n", i + 1))
            .collect()
    }

    #[test]
    fn every_example_runs_in_the_sim_and_matches_the_reference() {
        let mut failures = Vec::new();
        for (name, graph) in examples() {
            match check_graph(&graph, 7) {
                Ok(Outcome::Matched(same, all, _)) => {
                    println!(
                        "{name}: ok ({same} of {all} outputs bit-identical to the kernel-IR interpreter)"
                    )
                }
                Ok(Outcome::Unsupported(why)) => println!("{name}: skipped, {why}"),
                Ok(Outcome::Undefined(why)) => failures.push(format!("{name}: {why}")),
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    #[test]
    fn random_graphs_run_in_the_sim_and_match_the_reference() {
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::deterministic_rng(Config::default().rng_algorithm),
        );
        let strategy = arb_graph();
        let (mut ran, mut skipped, mut identical) = (0, 0, 0);
        let mut failures = Vec::new();
        for i in 0..50u64 {
            let Ok(tree) = strategy.new_tree(&mut runner) else {
                continue;
            };
            let graph = tree.current();
            match check_graph(&graph, i) {
                Ok(Outcome::Matched(same, all, _)) => {
                    ran += 1;
                    identical += usize::from(same == all);
                }
                Ok(Outcome::Unsupported(_) | Outcome::Undefined(_)) => skipped += 1,
                Err(e) => {
                    failures.push(format!("graph {i}:\n{}\n{e}", egpu_ir::text::print(&graph)))
                }
            }
        }
        println!(
            "random graphs: {ran} ran ({identical} bit-identical to the kernel-IR interpreter), {skipped} skipped (unsupported, or no reference value), {} failed",
            failures.len()
        );
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        assert!(ran >= 25, "only {ran} of 50 random graphs ran");
    }

    /// The product of `a: DT[M, K]` and `b: DT[K, N]` accumulated in f32, as a graph.
    fn matmul_graph(dt: &str, m: usize, k: usize, n: usize) -> Graph {
        let text = format!(
            "graph mm(a: {dt}[{m}, {k}], b: {dt}[{k}, {n}]) {{\n\
             t2: f32[{m}, {k}] = cast(a, to=f32)\n\
             t3: f32[{k}, {n}] = cast(b, to=f32)\n\
             t4: f32[{m}, {k}, 1] = reshape(t2, shape=[{m}, {k}, 1])\n\
             t5: f32[1, {k}, {n}] = reshape(t3, shape=[1, {k}, {n}])\n\
             t6: f32[{m}, {k}, {n}] = expand(t4, shape=[{m}, {k}, {n}])\n\
             t7: f32[{m}, {k}, {n}] = expand(t5, shape=[{m}, {k}, {n}])\n\
             t8: f32[{m}, {k}, {n}] = mul(t6, t7)\n\
             t9: f32[{m}, 1, {n}] = sum(t8, axes=[1])\n\
             c: f32[{m}, {n}] = reshape(t9, shape=[{m}, {n}])\n\
             return c\n}}\n"
        );
        egpu_ir::text::parse(&text).unwrap_or_else(|e| panic!("{text}\n{e}"))
    }

    /// Tensor-core products beyond the examples: bf16 inputs, and sizes that are not
    /// multiples of the 16x16 tile.
    #[test]
    fn tensor_core_products_in_f16_and_bf16_run_in_the_sim() {
        let shapes = [
            ("bf16", 64, 128, 64),
            ("bf16", 32, 48, 80),
            ("f16", 48, 40, 24),
            ("f16", 16, 16, 16),
        ];
        let mut failures = Vec::new();
        let mut used_mma = false;
        for (dt, m, k, n) in shapes {
            let graph = matmul_graph(dt, m, k, n);
            match check_graph(&graph, 3) {
                Ok(Outcome::Matched(same, all, mma)) => {
                    println!(
                        "{dt} {m}x{k}x{n}: ok ({same} of {all} bit-identical, mma.sync: {mma})"
                    );
                    used_mma |= mma;
                }
                Ok(Outcome::Unsupported(why) | Outcome::Undefined(why)) => {
                    failures.push(format!("{dt} {m}x{k}x{n}: {why}"))
                }
                Err(e) => failures.push(format!("{dt} {m}x{k}x{n}: {e}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        assert!(used_mma, "no shape was lowered to mma.sync");
    }

    /// Every example with each approximate instruction off by its whole ISA bound (up or
    /// down per operand, for two choices of directions); the failures.
    fn worst_case_failures(from: UlpsFrom) -> Vec<String> {
        let mut failures = Vec::new();
        for (name, graph) in examples() {
            for seed in [1, 2] {
                let same = |_: &str, ptx: &str| ptx.to_string();
                match check_mutated(&graph, 7, &same, Approx::Worst { seed, from }) {
                    Ok(Outcome::Matched(..)) => {}
                    Ok(Outcome::Unsupported(why) | Outcome::Undefined(why)) => {
                        println!("{name}: skipped, {why}")
                    }
                    Err(e) => failures.push(format!(
                        "{name} (worst, seed {seed}): {}",
                        e.lines().next().unwrap_or("")
                    )),
                }
            }
        }
        failures
    }

    /// With approximate results at their bounds as egpu's precision model reads them (n
    /// ULPs from the exact value), the outputs must stay within the reference's bounds:
    /// else the bound propagation, or the emitter's choice of instruction, is wrong.
    #[test]
    fn examples_hold_their_bounds_with_approximate_instructions_at_their_worst() {
        let failures = worst_case_failures(UlpsFrom::Exact);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// The same with the PTX ISA's wording for ex2.approx.f32 ("2 ulp from correctly
    /// rounded result", section 9.7.3.21), which allows 2.5 ULP from the exact value (and
    /// rcp read the same way): the model allows exactly that. With 2 ULP from the exact
    /// value, gelu_chain (ex2 then rcp) exceeded its bound at one element by about 1%.
    #[test]
    fn examples_hold_their_bounds_with_the_isa_reading_of_ulp_bounds() {
        let failures = worst_case_failures(UlpsFrom::Rounded);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// The sim is an oracle only if wrong PTX fails: each of these breaks egpu's real PTX
    /// the way an emitter bug would, and the comparison (or the sim) must catch it.
    #[test]
    fn broken_ptx_is_caught() {
        type Mutation = (&'static str, &'static str, &'static str, &'static str);
        let mutations: [Mutation; 5] = [
            // B loaded without its transpose.
            ("matmul_f16", "ldmatrix", ".x4.trans.shared", ".x4.shared"),
            // One butterfly step of a reduction reads the wrong lane.
            ("sum_rows", "shfl", ", 16, 31,", ", 8, 31,"),
            // A barrier between shared-memory phases dropped.
            ("sum_all", "bar.sync", "bar.sync 0;", "// no barrier"),
            // An exact op replaced by a neighbour.
            ("gelu_chain", "add.rn", "add.rn.f32", "sub.rn.f32"),
            // The exponential of a softmax replaced by a logarithm.
            ("softmax", "ex2", "ex2.approx.f32", "lg2.approx.f32"),
        ];
        let mut missed = Vec::new();
        for (name, what, from, to) in mutations {
            let graph = egpu_tests::example(name);
            let found = std::cell::Cell::new(false);
            let mutate = |_: &str, ptx: &str| {
                if ptx.contains(from) {
                    found.set(true);
                }
                ptx.replacen(from, to, 1)
            };
            let result = check_mutated(&graph, 7, &mutate, Approx::Exact);
            assert!(
                found.get(),
                "{name}: the PTX has no '{from}' to break ({what})"
            );
            match result {
                Err(e) => println!(
                    "{name} with {what} broken: caught: {}",
                    e.lines().next().unwrap_or("")
                ),
                Ok(_) => missed.push(format!("{name}: '{from}' -> '{to}'")),
            }
        }
        assert!(missed.is_empty(), "not caught: {missed:?}");
    }
}
