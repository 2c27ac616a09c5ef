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
