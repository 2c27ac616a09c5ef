//! ALU semantics against values derived by hand from the RDNA3 ISA manual's definitions.

use super::*;

/// One lane (lane 0) of the op.
fn v(name: &str, s: [u64; 3], c: bool) -> (u64, bool) {
    let f = vector(name).unwrap_or_else(|| panic!("{name} has no semantics"));
    let mut l = Lanes {
        src: [[s[0]; 32], [s[1]; 32], [s[2]; 32]],
        cin: u32::from(c),
        exec: 1,
        out: [0; 32],
        bits: 0,
    };
    f(&mut l);
    (l.out[0], l.bits & 1 == 1)
}

fn sc(name: &str, a: u64, b: u64, scc: bool) -> (u64, Option<bool>) {
    scalar(name).unwrap_or_else(|| panic!("{name} has no semantics"))(a, b, scc)
}

fn fb(x: f32) -> u64 {
    u64::from(x.to_bits())
}

#[test]
fn scalar_carries_and_flags() {
    assert_eq!(sc("s_add_u32", 0xffff_ffff, 2, false), (1, Some(true)));
    assert_eq!(sc("s_addc_u32", 0xffff_fffe, 1, true), (0, Some(true)));
    assert_eq!(sc("s_sub_u32", 1, 2, false), (0xffff_ffff, Some(true)));
    assert_eq!(sc("s_subb_u32", 5, 5, true), (0xffff_ffff, Some(true)));
    assert_eq!(
        sc("s_add_i32", 0x7fff_ffff, 1, false),
        (0x8000_0000, Some(true))
    );
    // s_bfe: offset in bits 4:0, width in bits 22:16.
    assert_eq!(
        sc("s_bfe_u32", 0xabcd_1234, 8 | (8 << 16), false),
        (0x12, Some(true))
    );
    assert_eq!(
        sc("s_bfe_i32", 0x0000_8000, 12 | (4 << 16), false),
        (0xffff_fff8, Some(true))
    );
    assert_eq!(sc("s_ctz_i32_b32", 0, 0, false).0, 0xffff_ffff);
    assert_eq!(sc("s_clz_i32_u32", 1, 0, false).0, 31);
    assert_eq!(
        sc("s_lshl2_add_u32", 0x4000_0000, 1, false),
        (1, Some(true))
    );
    assert_eq!(sc("s_movk_i32", 0, 0xfffe, false).0, 0xffff_fffe);
    assert_eq!(sc("s_cmpk_eq_u32", 0xfffe, 0xfffe, false).1, Some(true));
    assert_eq!(sc("s_cselect_b32", 1, 2, false).0, 2);
    assert_eq!(
        sc("s_min_i32", 0xffff_ffff, 3, false),
        (0xffff_ffff, Some(true))
    );
}

#[test]
fn vector_integer_ops() {
    assert_eq!(v("v_add_co_ci_u32", [0xffff_ffff, 0, 0], true), (0, true));
    assert_eq!(v("v_sub_co_ci_u32", [0, 0, 0], true), (0xffff_ffff, true));
    // (2^32 - 1)^2 + 2^64 - 1 = 2^64 + 2^64 - 2^33: a carry out, low half 2^64 - 2^33.
    let big = [0xffff_ffff, 0xffff_ffff, 0xffff_ffff_ffff_ffff];
    assert_eq!(
        v("v_mad_u64_u32", big, false),
        (0xffff_fffe_0000_0000, true)
    );
    assert_eq!(
        v("v_mul_i32_i24", [0x00ff_ffff, 2, 0], false).0,
        0xffff_fffe
    );
    assert_eq!(
        v("v_alignbit_b32", [0x1234_5678, 0x9abc_def0, 8], false).0,
        0x789a_bcde
    );
    assert_eq!(
        v("v_bfi_b32", [0xff00_ff00, 0x1111_1111, 0x2222_2222], false).0,
        0x1122_1122
    );
    // v_perm: selectors 0-3 pick S1's bytes, 4-7 S0's, 12 is 0x00, 13+ is 0xff.
    assert_eq!(
        v("v_perm_b32", [0x4433_2211, 0x8877_6655, 0x0c0d_0407], false).0,
        0x00ff_1144
    );
    assert_eq!(
        v("v_lshlrev_b64", [4, 0x8000_0000_0000_0001, 0], false).0,
        0x10
    );
    assert_eq!(
        v("v_cvt_pk_u16_u32", [0x1_0000, 7, 0], false).0,
        0x0007_ffff
    );
    assert_eq!(v("v_ctz_i32_b32", [0, 0, 0], false).0, 0xffff_ffff);
}

#[test]
fn vector_float_ops() {
    assert_eq!(
        v("v_fma_f32", [fb(2.0), fb(3.0), fb(1.0)], false).0,
        fb(7.0)
    );
    // IEEE mode: a NaN operand gives the other one.
    assert_eq!(v("v_max_f32", [fb(f32::NAN), fb(1.0), 0], false).0, fb(1.0));
    assert_eq!(v("v_min_f32", [fb(0.0), fb(-0.0), 0], false).0, fb(-0.0));
    assert_eq!(
        v("v_med3_f32", [fb(5.0), fb(-1.0), fb(2.0)], false).0,
        fb(2.0)
    );
    // v_sin takes turns: sin(2 pi * 0.25) = 1.
    assert_eq!(v("v_sin_f32", [fb(0.25), 0, 0], false).0, fb(1.0));
    assert_eq!(v("v_exp_f32", [fb(-1.0), 0, 0], false).0, fb(0.5));
    assert_eq!(v("v_log_f32", [fb(8.0), 0, 0], false).0, fb(3.0));
    assert_eq!(v("v_fract_f32", [fb(-0.25), 0, 0], false).0, fb(0.75));
    // Denormals are kept: 2^-126 * 2^-3.
    assert_eq!(
        v(
            "v_ldexp_f32",
            [fb(f32::MIN_POSITIVE), (-3i32) as u32 as u64, 0],
            false
        )
        .0,
        0x0010_0000
    );
    assert_eq!(v("v_cvt_u32_f32", [fb(-3.0), 0, 0], false).0, 0);
    assert_eq!(v("v_cvt_i32_f32", [fb(3e9), 0, 0], false).0, 0x7fff_ffff);
    // f16: 1.0 = 0x3c00; v_cvt_pk_rtz rounds toward zero (1 + 2^-11 + 2^-12 -> 1.0).
    assert_eq!(
        v(
            "v_cvt_pk_rtz_f16_f32",
            [fb(1.0 + 2f32.powi(-11) + 2f32.powi(-12)), fb(-2.0), 0],
            false
        )
        .0,
        0xc000_3c00
    );
    assert_eq!(v("v_fma_f16", [0x3c00, 0x4000, 0x3c00], false).0, 0x4200);
}

#[test]
fn compares_and_classes() {
    let nan = fb(f32::NAN);
    assert!(!v("v_cmp_lg_f32", [nan, fb(1.0), 0], false).1);
    assert!(v("v_cmp_neq_f32", [nan, fb(1.0), 0], false).1);
    assert!(v("v_cmp_nlt_f32", [nan, fb(1.0), 0], false).1);
    assert!(v("v_cmp_u_f32", [nan, fb(1.0), 0], false).1);
    assert!(v("v_cmp_lt_i32", [0xffff_ffff, 0, 0], false).1);
    assert!(!v("v_cmp_lt_u32", [0xffff_ffff, 0, 0], false).1);
    // v_cmp_class: bit 9 +inf, bit 5 -0, bit 1 quiet NaN, bit 7 +denormal.
    assert!(v("v_cmp_class_f32", [fb(f32::INFINITY), 1 << 9, 0], false).1);
    assert!(v("v_cmp_class_f32", [fb(-0.0), 1 << 5, 0], false).1);
    assert!(v("v_cmp_class_f32", [nan, 1 << 1, 0], false).1);
    assert!(v("v_cmp_class_f32", [1, 1 << 7, 0], false).1);
    assert!(!v("v_cmp_class_f32", [1, 1 << 8, 0], false).1);
    // The f64 classes, in f64's own width: 1e-310 is denormal, 1e-40 normal.
    let f64b = |x: f64| x.to_bits();
    assert!(v("v_cmp_class_f64", [f64b(1e-310), 1 << 7, 0], false).1);
    assert!(v("v_cmp_class_f64", [f64b(-1e-40), 1 << 3, 0], false).1);
    assert!(v("v_cmp_lt_u64", [1, 1 << 40, 0], false).1);
    assert!(v("v_cmp_neq_f64", [f64b(f64::NAN), f64b(1.0), 0], false).1);
}

#[test]
fn division_helpers() {
    // Plain operands are left alone with VCC clear.
    assert_eq!(div_scale(3.0, 3.0, 1.0, false), Some((3.0, false)));
    // A quotient near the top of the range: only the denominator is scaled up.
    let (d, vcc) = div_scale(2f64.powi(-10), 2f64.powi(-10), 2f64.powi(100), false).unwrap();
    assert_eq!((d, vcc), (2f64.powi(54), true));
    let (n, vcc) = div_scale(2f64.powi(100), 2f64.powi(-10), 2f64.powi(100), false).unwrap();
    assert_eq!((n, vcc), (2f64.powi(100), true));
    assert_eq!(
        v("v_div_fixup_f32", [fb(5.0), fb(-2.0), fb(10.0)], false).0,
        fb(-5.0)
    );
    assert_eq!(
        v("v_div_fixup_f32", [fb(5.0), fb(0.0), fb(-1.0)], false).0,
        fb(f32::NEG_INFINITY)
    );
    // With VCC set the FMA is scaled back: a large estimate by 2^64.
    assert_eq!(
        v("v_div_fmas_f32", [fb(1.0), fb(1.0), fb(3.0)], true).0,
        fb(4.0 * 2f32.powi(64))
    );
    assert_eq!(
        v("v_div_fmas_f32", [fb(1.0), fb(1.0), fb(0.5)], true).0,
        fb(1.5 * 2f32.powi(-64))
    );
}

#[test]
fn f64_helpers_and_medians() {
    let f64b = |x: f64| x.to_bits();
    // frexp: 12 = 0.75 * 2^4; the denormal 2^-1070 = 0.5 * 2^-1069.
    assert_eq!(
        v("v_frexp_mant_f64", [f64b(-12.0), 0, 0], false).0,
        f64b(-0.75)
    );
    assert_eq!(v("v_frexp_exp_i32_f64", [f64b(12.0), 0, 0], false).0, 4);
    assert_eq!(
        v("v_frexp_exp_i32_f64", [1 << 4, 0, 0], false).0,
        (-1069i32) as u32 as u64
    );
    assert_eq!(v("v_trunc_f64", [f64b(-2.5), 0, 0], false).0, f64b(-2.0));
    assert_eq!(v("v_rndne_f64", [f64b(2.5), 0, 0], false).0, f64b(2.0));
    assert_eq!(v("v_trunc_f16", [0xc100, 0, 0], false).0, 0xc000); // -2.5 -> -2
    assert_eq!(v("v_med3_i32", [0xffff_fffb, 7, 2], false).0, 2);
    assert_eq!(v("v_med3_u32", [0xffff_fffb, 7, 2], false).0, 7);
    assert_eq!(
        v("v_div_fixup_f64", [f64b(2.0), f64b(-1.0), f64b(2.0)], false).0,
        f64b(-2.0)
    );
    assert_eq!(
        v("v_div_fmas_f64", [f64b(1.0), f64b(1.0), f64b(3.0)], true).0,
        f64b(4.0 * 2f64.powi(128))
    );
}

#[test]
fn packed_halves() {
    let add = packed("v_pk_add_f16").unwrap();
    assert_eq!(add(0x3c00, 0x3c00, 0), 0x4000);
    assert_eq!(packed("v_pk_mul_lo_u16").unwrap()(0x8000, 2, 0), 0);
}

#[test]
fn every_alu_opcode_in_the_table_has_semantics() {
    use egpu_codegen_amdgpu::isa::{Class, Fmt, Op};
    let special = [
        "s_and_saveexec_b32",
        "s_or_saveexec_b32",
        "s_and_not1_saveexec_b32",
        "s_getpc_b64",
        "s_setpc_b64",
        "s_waitcnt_vscnt",
        "v_nop",
        "v_readfirstlane_b32",
        "v_readlane_b32",
        "v_writelane_b32",
        "v_mbcnt_lo_u32_b32",
        "v_div_scale_f32",
        "v_div_scale_f64",
        "v_dot2_f32_f16",
        "v_fma_mix_f32",
        "v_fma_mixlo_f16",
        "v_fma_mixhi_f16",
        "v_mbcnt_lo_u32_b32",
    ];
    let mut missing = Vec::new();
    for op in Op::all() {
        let info = op.info();
        let name = info.name;
        let has = match info.fmt {
            Fmt::Sop1 | Fmt::Sop2 | Fmt::Sopc | Fmt::Sopk => scalar(name).is_some(),
            // A v_cmpx computes its v_cmp, v_fmaak/fmamk a v_fma.
            Fmt::Vopc if info.is_cmpx() => vector(&name.replace("v_cmpx_", "v_cmp_")).is_some(),
            Fmt::Vop2 if matches!(info.class, Class::KLast | Class::KMid) => {
                vector(&format!("v_fma_{}", &name[name.len() - 3..])).is_some()
            }
            Fmt::Vop1 | Fmt::Vop2 | Fmt::Vopc | Fmt::Vop3 => vector(name).is_some(),
            Fmt::Vop3p => packed(name).is_some() || name.starts_with("v_wmma"),
            _ => true,
        };
        if !has && !special.contains(&name) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "no semantics for {missing:?}");
}

/// `div_scale` as first written: both divisions computed for every lane. The shipped
/// version skips them where their results cannot be denormal; this is its oracle.
fn div_scale_eager(s0: f64, s1: f64, s2: f64, wide: bool) -> Option<(f64, bool)> {
    let (gap, tiny, k) = if wide { (768, 53, 128) } else { (96, 23, 64) };
    let round = |x: f64| if wide { x } else { f64::from(x as f32) };
    let exp = |x: f64| -> i32 {
        if wide {
            ((x.to_bits() >> 52) & 0x7ff) as i32
        } else {
            (((x as f32).to_bits() >> 23) & 0xff) as i32
        }
    };
    let denormal = |x: f64| x != 0.0 && exp(x) == 0;
    if !(s0.is_finite() && s1.is_finite() && s2.is_finite()) {
        return Some((s0, false));
    }
    if s1 == 0.0 || s2 == 0.0 {
        return Some((f64::NAN, false));
    }
    let (rcp, quot) = (round(1.0 / s1), round(s2 / s1));
    let only = |cond: bool, n: i32| Some((if cond { ldexp(s0, n) } else { s0 }, true));
    if exp(s2) - exp(s1) >= gap {
        only(s0 == s1, k)
    } else if denormal(s1) {
        Some((ldexp(s0, k), false))
    } else if denormal(rcp) && denormal(quot) {
        only(s0 == s1, -k)
    } else if denormal(rcp) {
        Some((ldexp(s0, -k), false))
    } else if denormal(quot) {
        only(s0 == s2, k)
    } else if exp(s2) <= tiny {
        Some((ldexp(s0, k), false))
    } else {
        Some((s0, false))
    }
}

#[test]
fn div_scale_skips_divisions_without_changing_a_bit() {
    // Every pair of f32 exponents (each with a few mantissas, both signs) around the
    // bounds where the skipped divisions could give a denormal, plus zeros, denormals,
    // infinities and NaNs.
    let mut f32s: Vec<f32> = vec![0.0, -0.0, f32::INFINITY, f32::NAN, 1e-45, -1e-40];
    for e in 0..=255u32 {
        for m in [0u32, 1, 0x40_0000, 0x7f_ffff] {
            f32s.push(f32::from_bits(e << 23 | m));
        }
    }
    for (i, &a) in f32s.iter().enumerate() {
        for (j, &b) in f32s.iter().enumerate() {
            let (a, b) = if (i + j) % 2 == 0 { (a, b) } else { (-a, b) };
            for s0 in [a, b, f32::NAN, 1e-40] {
                let got = div_scale(s0.into(), a.into(), b.into(), false);
                let want = div_scale_eager(s0.into(), a.into(), b.into(), false);
                if div_scale32_plain(s0.to_bits(), a.to_bits(), b.to_bits()) {
                    // The shortcut's claim: S0's own bits back, VCC clear.
                    let back = want.map(|(r, c)| ((r as f32).to_bits(), c));
                    assert_eq!(back, Some((s0.to_bits(), false)), "{s0:e} {a:e} {b:e}");
                }
                assert_eq!(
                    got.map(|(r, c)| (r.to_bits(), c)),
                    want.map(|(r, c)| (r.to_bits(), c)),
                    "{a:e} {b:e}"
                );
            }
        }
    }
    // f64: exponents near both ends and the middle, with denormals and specials.
    let mut f64s: Vec<f64> = vec![0.0, f64::INFINITY, f64::NAN, 5e-324, -1e-310];
    for e in (0..=40u64).chain(980..=1070).chain(2000..=2047) {
        for m in [0u64, 1, 1 << 51, (1 << 52) - 1] {
            f64s.push(f64::from_bits(e << 52 | m));
        }
    }
    for &a in &f64s {
        for &b in &f64s {
            for s0 in [a, -b] {
                let got = div_scale(s0, a, b, true);
                let want = div_scale_eager(s0, a, b, true);
                assert_eq!(
                    got.map(|(r, c)| (r.to_bits(), c)),
                    want.map(|(r, c)| (r.to_bits(), c)),
                    "{a:e} {b:e}"
                );
            }
        }
    }
}
