//! cast and bitcast between every pair of dtypes, run on the lane oracle over edge values
//! (MIN, MAX, −1, 0, NaN, ±inf, ±0, subnormals, 2^24+1, 2^53+1, halfway cases) against
//! the kernel-IR interpreter.

use super::super::int::lane_eval::{
    Lane, Rng, check_encodable, check_result, dummy_kernel, int_values, names, new_sel, operand,
    oracle,
};
use egpu_ir::DType;
use egpu_ir::Scalar;

fn float_edges() -> Vec<f64> {
    let p = |e: i32| 2f64.powi(e);
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        0.49999999999999994,
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        f64::from(f32::MAX),
        f64::from(f32::MIN_POSITIVE),
        1e-40,
        1e-45,
        -1e-45,
        p(-24),
        p(-25),
        p(-25) * 1.000001,
        p(-149),
        p(-150),
        p(24) + 1.0,
        p(53) + 1.0,
        p(53) + 2.0,
        65504.0,
        65519.0,
        65520.0,
        65535.0,
        65536.0,
        1e38,
        3.4e38,
        3.3961e38,
        3.3963e38,
        127.5,
        127.9,
        128.0,
        -128.5,
        -129.0,
        255.5,
        256.0,
        32767.5,
        -32768.9,
        -32769.0,
        65535.9,
        p(31),
        p(31) - 0.5,
        -p(31),
        -p(31) - 1.0,
        p(32),
        p(32) - 1.0,
        p(63),
        p(63) - 1024.0,
        -p(63),
        -p(63) - 2048.0,
        p(64),
        p(64) - 2048.0,
        1e30,
        -1e30,
        1.0 + p(-23) + p(-30),
        1.0 + p(-24),
        1.0 + p(-24) + p(-40),
        1.0 + p(-11),
        1.0 + p(-11) + p(-40),
        1.0 + p(-8),
        1.0 + p(-8) + p(-40),
        1.0 + 3.0 * p(-8),
        0.1,
        -0.3,
        std::f64::consts::PI,
    ];
    let mut rng = Rng(77);
    for _ in 0..40 {
        let bits = rng.next();
        let f = f64::from_bits(bits);
        // Random finite values over a useful range of exponents.
        let e = (rng.next() % 140) as i32 - 70;
        let m = 1.0 + (bits >> 12) as f64 / p(52);
        v.push(if bits & 1 == 0 { m * p(e) } else { -m * p(e) });
        if f.is_finite() {
            v.push(f);
        }
    }
    v
}

fn values(dt: DType, rng: &mut Rng) -> Vec<Scalar> {
    if dt.is_bool() {
        return vec![Scalar::Bool(false), Scalar::Bool(true)];
    }
    if dt.is_float() {
        return float_edges()
            .into_iter()
            .map(|f| Scalar::Float(f).cast(dt))
            .collect();
    }
    let mut v: Vec<Scalar> = int_values(dt, rng, 20)
        .into_iter()
        .map(Scalar::Int)
        .collect();
    // Integers that do not fit the float formats exactly, rounding ties among them.
    for x in [
        (1i128 << 24) + 1,
        (1 << 24) + 3,
        (1 << 53) + 1,
        (1 << 53) + 3,
        (1 << 62) + (1 << 38),
        (1 << 62) + (1 << 38) + 1,
        (1 << 62) + (1 << 39) + (1 << 38),
        2049,
        2051,
        65519,
        65520,
        257,
        259,
        -2049,
        -((1 << 53) + 1),
    ] {
        let w = egpu_ir::wrap_int(x, dt);
        v.push(Scalar::Int(w));
    }
    v
}

fn run(from: DType, to: DType, x: Scalar, bit: bool) {
    for sgpr in [false, true] {
        run_in(from, to, x, bit, sgpr);
    }
}

fn run_in(from: DType, to: DType, x: Scalar, bit: bool, sgpr: bool) {
    let want = oracle(|kb| {
        let c = kb.constant(from, x).unwrap();
        if bit {
            kb.bitcast(c, to).unwrap()
        } else {
            kb.cast(c, to).unwrap()
        }
    })
    .expect("oracle");
    let k = dummy_kernel();
    let mut sel = new_sel(&k);
    let mut lane = Lane::default();
    let p = operand(&mut sel, &mut lane, from, x, sgpr);
    let r = if bit {
        super::bitcast(&mut sel, from, to, p)
    } else {
        super::cast(&mut sel, from, to, p)
    };
    let r = r.unwrap_or_else(|e| panic!("{from:?} -> {to:?}: {e}"));
    check_encodable(&sel.mir);
    lane.run(&sel.mir.insts);
    let kind = if bit { "bitcast" } else { "cast" };
    check_result(
        &lane,
        to,
        r,
        want,
        &format!("{kind} {from:?} {x} -> {to:?}"),
    );
}

#[test]
fn every_cast_matches_the_interpreter() {
    let mut rng = Rng(3);
    for from in DType::ALL {
        let vals = values(from, &mut rng);
        for to in DType::ALL {
            for &x in &vals {
                run(from, to, x, false);
            }
        }
    }
}

#[test]
fn every_bitcast_matches_the_interpreter() {
    let mut rng = Rng(4);
    for from in DType::ALL {
        let vals = values(from, &mut rng);
        for to in DType::ALL {
            if from.is_bool() || to.is_bool() || from.bits() != to.bits() {
                continue;
            }
            for &x in &vals {
                run(from, to, x, true);
            }
        }
    }
}

#[test]
fn bitcast_between_widths_is_refused() {
    let k = dummy_kernel();
    let mut sel = new_sel(&k);
    let p = sel.new_v(1);
    assert!(super::bitcast(&mut sel, DType::I32, DType::I64, p).is_err());
    assert!(super::bitcast(&mut sel, DType::Bool, DType::U8, p).is_err());
}

fn selected(from: DType, to: DType) -> Vec<&'static str> {
    let k = dummy_kernel();
    let mut sel = new_sel(&k);
    let p = sel.new_v(if from.bits() == 64 { 2 } else { 1 });
    super::cast(&mut sel, from, to, p).unwrap();
    names(&sel.mir)
}

#[test]
fn uniform_integer_casts_stay_scalar() {
    let k = dummy_kernel();
    let mut sel = new_sel(&k);
    let x = sel.new_s(1);
    let r = super::cast(&mut sel, DType::I32, DType::I64, x).unwrap();
    assert!(r.is_sgpr());
    assert_eq!(names(&sel.mir), ["s_ashr_i32", "s_mov_b32", "s_mov_b32"]);
    let n = super::cast(&mut sel, DType::I64, DType::I8, r).unwrap();
    assert!(n.is_sgpr());
}

#[test]
fn sequences_are_the_intended_ones() {
    assert_eq!(selected(DType::F32, DType::I32), ["v_cvt_i32_f32"]);
    assert_eq!(
        selected(DType::F32, DType::U8),
        ["v_cvt_u32_f32", "v_min_u32"]
    );
    assert_eq!(
        selected(DType::F64, DType::I16),
        ["v_cvt_i32_f64", "v_max_i32", "v_min_i32"]
    );
    assert_eq!(selected(DType::BF16, DType::F32), ["v_lshlrev_b32"]);
    assert_eq!(
        selected(DType::F32, DType::F16),
        ["v_cvt_f16_f32", "v_and_b32"]
    );
    assert_eq!(selected(DType::I8, DType::I32), Vec::<&str>::new());
    assert_eq!(selected(DType::I32, DType::I8), ["v_bfe_i32"]);
    assert_eq!(selected(DType::U32, DType::I64), ["v_mov_b32", "v_mov_b32"]);
    assert_eq!(
        selected(DType::U64, DType::F64),
        ["v_cvt_f64_u32", "v_ldexp_f64", "v_cvt_f64_u32", "v_add_f64"]
    );
    let f64_to_f16 = selected(DType::F64, DType::F16);
    assert_eq!(f64_to_f16[0], "v_cvt_f32_f64");
    assert_eq!(
        f64_to_f16[f64_to_f16.len() - 2..],
        ["v_cvt_f16_f32", "v_and_b32"]
    );
}
