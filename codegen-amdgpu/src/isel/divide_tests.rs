//! idiv/mod on every integer dtype, run on the lane oracle against the kernel-IR
//! interpreter: edge values, divisors around powers of two, random magnitudes, and a
//! reciprocal that is off by up to ±4 ULPs (the error budget of the module docs).

use super::super::int::lane_eval::{Rng, int_values};
use super::super::int::tests::{Case, run_binary};
use egpu_ir::kernel::KernelBuilder;
use egpu_ir::{BinaryOp, DType, Scalar};

const INTS: [DType; 8] = [
    DType::I8,
    DType::I16,
    DType::I32,
    DType::I64,
    DType::U8,
    DType::U16,
    DType::U32,
    DType::U64,
];

fn want(op: BinaryOp, dt: DType, a: i128, b: i128) -> Scalar {
    super::super::int::lane_eval::oracle(|kb: &mut KernelBuilder| {
        let x = kb.constant(dt, Scalar::Int(a)).unwrap();
        let y = kb.constant(dt, Scalar::Int(b)).unwrap();
        kb.binary(op, x, y).unwrap()
    })
    .expect("oracle")
}

fn check(dt: DType, a: i128, b: i128, sgpr: bool, ulps: i32) {
    if b == 0 {
        return;
    }
    for op in [BinaryOp::Idiv, BinaryOp::Mod] {
        let w = want(op, dt, a, b);
        let what = format!("{op:?} ulps {ulps}");
        let case = Case {
            what: &what,
            dt,
            rdt: dt,
            a,
            b,
            sgpr,
            want: w,
            rcp_ulps: ulps,
        };
        run_binary(&case, |s, x, y| super::binary(s, op, dt, x, y).unwrap());
    }
}

/// Divisors near powers of two and of the dtype's limits, where the estimate is tightest.
fn divisors(dt: DType) -> Vec<i128> {
    let (lo, hi) = dt.int_range().unwrap_or((0, 1));
    let mut v = Vec::new();
    for k in 0..dt.bits() {
        for d in [-1i128, 0, 1] {
            let x = (1i128 << k) + d;
            v.push(egpu_ir::wrap_int(x, dt));
            v.push(egpu_ir::wrap_int(-x, dt));
        }
    }
    v.extend([lo, hi, lo + 1, hi - 1, 3, 5, 7, 641, 6700417]);
    v.into_iter().map(|x| x.clamp(lo, hi)).collect()
}

#[test]
fn edge_values_of_every_integer_dtype() {
    let mut rng = Rng(0xdead_beef);
    for dt in INTS {
        let vals = int_values(dt, &mut rng, 10);
        for (i, &a) in vals.iter().enumerate() {
            for &b in &vals {
                check(dt, a, b, i % 4 == 0, 0);
            }
        }
    }
}

#[test]
fn divisors_near_powers_of_two_with_rcp_error() {
    let mut rng = Rng(42);
    for dt in INTS {
        let (lo, hi) = dt.int_range().unwrap_or((0, 1));
        for b in divisors(dt) {
            for ulps in [-4, 4] {
                for a in [
                    hi,
                    lo,
                    hi - 1,
                    egpu_ir::wrap_int(i128::from(rng.bits()), dt),
                ] {
                    check(dt, a, b, false, ulps);
                }
                // Dividends just below and at multiples of the divisor.
                let q = egpu_ir::wrap_int(i128::from(rng.bits()), dt);
                let m = q.saturating_mul(b);
                if (lo..=hi).contains(&m) && (lo..=hi).contains(&(m - 1)) {
                    check(dt, m, b, false, ulps);
                    check(dt, m - 1, b, false, ulps);
                }
            }
        }
    }
}

#[test]
fn random_magnitudes() {
    let mut rng = Rng(0x5eed);
    for dt in [DType::U32, DType::I32, DType::U64, DType::I64] {
        for i in 0..600 {
            let a = egpu_ir::wrap_int(i128::from(rng.bits()), dt);
            let b = egpu_ir::wrap_int(i128::from(rng.bits()), dt);
            let ulps = i % 9 - 4;
            check(dt, a, b, false, ulps);
        }
    }
}

#[test]
fn min_over_minus_one_wraps() {
    for dt in [DType::I8, DType::I16, DType::I32, DType::I64] {
        let (lo, _) = dt.int_range().unwrap();
        check(dt, lo, -1, false, 0);
        check(dt, lo, lo, false, 0);
        check(dt, -1, lo, false, 0);
    }
}

/// f32 `x` (a positive finite value) as the nearest-even f32, then `ulps` steps off.
fn rcp_model(x: f32, ulps: i32) -> f32 {
    f32::from_bits((1.0 / x).to_bits().wrapping_add_signed(ulps))
}

/// The bounds the module docs prove, checked directly on the estimate itself (not only on
/// the final quotients): z ≤ E = 2^W / d and E − z < 2 after the Newton steps, for
/// divisors around every power of two and a dense range of small ones, with the
/// reciprocal off by ±4 ULPs.
#[test]
fn the_estimate_stays_within_two_below_two_pow_w_over_d() {
    let scale32 = f32::from_bits(super::SCALE32);
    let check32 = |d: u32, ulps: i32| {
        let z0 = (rcp_model(d as f32, ulps) * scale32) as u32;
        let e = 0u32.wrapping_sub(d).wrapping_mul(z0);
        let z = z0.wrapping_add(((u64::from(z0) * u64::from(e)) >> 32) as u32);
        // E − z < 2  ⇔  2^32 < d·(z + 2), and z ≤ E  ⇔  d·z ≤ 2^32.
        let (dz, d2) = (u128::from(d) * u128::from(z), u128::from(d) * 2);
        assert!(
            dz <= 1 << 32 && dz + d2 > 1 << 32,
            "d {d} ulps {ulps}: z {z}"
        );
    };
    let mut ds: Vec<u32> = (1..=1 << 16).collect();
    for k in 0..32 {
        for off in -64i64..=64 {
            let d = (1i64 << k) + off;
            if (1..=i64::from(u32::MAX)).contains(&d) {
                ds.push(d as u32);
            }
        }
    }
    ds.extend((0..4096).map(|k| u32::MAX - k));
    for d in ds {
        for ulps in [-4, 0, 4] {
            check32(d, ulps);
        }
    }
    let scale64 = f32::from_bits(super::SCALE64);
    let mut rng = Rng(11);
    let check64 = |d: u64, ulps: i32| {
        let fd = ((d >> 32) as u32 as f32).mul_add(2f32.powi(32), d as u32 as f32);
        let m = rcp_model(fd, ulps) * scale64;
        let mh = (m * 2f32.powi(-32)).trunc();
        let ml = mh.mul_add(-(2f32.powi(32)), m);
        let mut z = (u64::from(mh as u32) << 32) | u64::from(ml as u32);
        for _ in 0..2 {
            let e = 0u64.wrapping_sub(d).wrapping_mul(z);
            z = z.wrapping_add(((u128::from(z) * u128::from(e)) >> 64) as u64);
        }
        let (dz, d2) = (u128::from(d) * u128::from(z), u128::from(d) * 2);
        assert!(
            dz <= 1 << 64 && dz + d2 > 1 << 64,
            "d {d} ulps {ulps}: z {z}"
        );
    };
    for i in 0..20000 {
        let d = rng.bits().max(1);
        check64(d, i % 9 - 4);
    }
    for k in 0..64 {
        for off in -8i128..=8 {
            let d = (1i128 << k) + off;
            if (1..=i128::from(u64::MAX)).contains(&d) {
                for ulps in [-4, 4] {
                    check64(d as u64, ulps);
                }
            }
        }
    }
}
