//! Test support: a one-lane evaluator of the straight-line VALU/SALU machine IR the float
//! families emit, so their sequences can be run on numbers before the RDNA3 emulator
//! exists. Semantics come from the ISA reference; where the hardware is approximate or
//! under-documented the model is deliberately pessimistic: the f32 transcendental units
//! flush denormal operands and results, `v_rcp_f64`/`v_rsq_f64` return only 22 correct
//! bits, `v_min`/`v_max` return the first operand for equal ones and the other operand for
//! a NaN. `v_div_scale` is modelled only where it scales both operands alike (see
//! [`div_scale`]; quotients beyond the range are left out of the tests), `v_div_fixup` with
//! its special cases.

use crate::isa::{FloatConst, Inst, Mods, Operand, Ty};
use crate::mir::{MInst, Mir, RegRef, Slot, VReg};
use egpu_ir::DType;
use std::collections::HashMap;

#[derive(Default)]
pub struct Eval {
    regs: HashMap<VReg, Vec<u32>>,
    vcc: bool,
}

impl Eval {
    pub fn set(&mut self, reg: VReg, offset: u8, bits: u64, dwords: u8) {
        let r = self.regs.entry(reg).or_insert_with(|| vec![0; 16]);
        r[usize::from(offset)] = bits as u32;
        if dwords == 2 {
            r[usize::from(offset) + 1] = (bits >> 32) as u32;
        }
    }

    pub fn get(&self, reg: VReg, offset: u8, dwords: u8) -> u64 {
        let at = |i: usize| self.regs.get(&reg).map_or(0, |r| r[i]);
        let lo = u64::from(at(usize::from(offset)));
        if dwords == 2 {
            lo | (u64::from(at(usize::from(offset) + 1)) << 32)
        } else {
            lo
        }
    }

    pub fn run(&mut self, mir: &Mir) {
        for m in &mir.insts {
            if let MInst::Inst { inst, regs, .. } = m {
                self.step(inst, regs);
            }
        }
    }

    fn operand(&self, slot: Slot, o: Operand, ty: Ty, regs: &[RegRef]) -> u64 {
        if let Some(r) = regs.iter().find(|r| r.slot == slot) {
            return self.get(r.reg, r.offset, ty.dwords().max(1));
        }
        match (o, ty) {
            (Operand::Int(n), Ty::F64) => f64::from(n).to_bits(),
            (Operand::Int(n), Ty::B64) => n as i64 as u64,
            (Operand::Int(n), _) => u64::from(n as i32 as u32),
            (Operand::Float(FloatConst::InvTwoPi), Ty::F64) => 0x3fc4_5f30_6dc9_c882,
            (Operand::Float(f), Ty::F64) => f64::from(f32::from_bits(f.f32_bits())).to_bits(),
            (Operand::Float(f), Ty::B16 | Ty::I16) => u64::from(f.f16_bits()),
            (Operand::Float(f), _) => u64::from(f.f32_bits()),
            (Operand::Literal(v), _) => u64::from(v),
            (Operand::VccLo, _) => u64::from(self.vcc),
            _ => 0,
        }
    }

    fn write(&mut self, slot: Slot, regs: &[RegRef], v: u64, dwords: u8) {
        if let Some(r) = regs.iter().find(|r| r.slot == slot) {
            self.set(r.reg, r.offset, v, dwords);
        }
    }

    fn step(&mut self, inst: &Inst, regs: &[RegRef]) {
        match *inst {
            Inst::Valu {
                op,
                sdst,
                src,
                mods,
                ..
            } => {
                let info = op.info();
                let s: Vec<u64> = (0..info.num_src())
                    .map(|i| self.operand(Slot::Src(i as u8), src[i], info.src[i], regs))
                    .collect();
                let (d, sd) = valu(info.name, &s, mods);
                self.write(Slot::Dst, regs, d, info.dst.dwords().max(1));
                if sdst == Operand::VccLo {
                    self.vcc = sd;
                }
                self.write(Slot::Sdst, regs, u64::from(sd), 1);
            }
            Inst::Sop1 { op, src0, .. } => {
                let a = self.operand(Slot::Src(0), src0, Ty::B32, regs);
                assert_eq!(op.name(), "s_mov_b32");
                self.write(Slot::Dst, regs, a, 1);
            }
            Inst::Sop2 { op, src0, src1, .. } => {
                let a = self.operand(Slot::Src(0), src0, Ty::B32, regs);
                let b = self.operand(Slot::Src(1), src1, Ty::B32, regs);
                let r = match op.name() {
                    "s_and_b32" => a & b,
                    "s_and_not1_b32" => a & !b,
                    other => panic!("the float evaluator does not model {other}"),
                };
                self.write(Slot::Dst, regs, r, 1);
            }
            ref other => panic!("the float evaluator does not model {other:?}"),
        }
    }
}

fn f32_src(v: u64, i: usize, m: Mods) -> f32 {
    let mut x = f32::from_bits(v as u32);
    if m.abs >> i & 1 == 1 {
        x = x.abs();
    }
    if m.neg >> i & 1 == 1 {
        x = -x;
    }
    x
}

fn f64_src(v: u64, i: usize, m: Mods) -> f64 {
    let mut x = f64::from_bits(v);
    if m.abs >> i & 1 == 1 {
        x = x.abs();
    }
    if m.neg >> i & 1 == 1 {
        x = -x;
    }
    x
}

fn f16_src(v: u64, i: usize, m: Mods) -> f64 {
    let mut x = half::f16::from_bits(v as u16).to_f64();
    if m.abs >> i & 1 == 1 {
        x = x.abs();
    }
    if m.neg >> i & 1 == 1 {
        x = -x;
    }
    x
}

fn b(v: bool) -> (u64, bool) {
    (u64::from(v), false)
}

fn r32(x: f32) -> (u64, bool) {
    (u64::from(x.to_bits()), false)
}

fn r64(x: f64) -> (u64, bool) {
    (x.to_bits(), false)
}

/// An f16 result with the upper half of the register set (the hardware leaves it
/// undefined; garbage here catches a missing mask).
fn r16(x: f64) -> (u64, bool) {
    let h = egpu_ir::Scalar::Float(x).to_bits(DType::F16);
    (h | 0xdead_0000, false)
}

/// Flush an f32 denormal to a signed zero (the transcendental units' operands/results).
fn ftz(x: f32) -> f32 {
    if x.is_subnormal() {
        0.0f32.copysign(x)
    } else {
        x
    }
}

/// x with only its top 22 significand bits kept (a hardware estimate's precision).
fn estimate(x: f64) -> f64 {
    if x.is_finite() {
        f64::from_bits(x.to_bits() & !((1u64 << 30) - 1))
    } else {
        x
    }
}

fn valu(name: &str, s: &[u64], m: Mods) -> (u64, bool) {
    let u = |i: usize| s[i] as u32;
    let f = |i: usize| f32_src(s[i], i, m);
    let d = |i: usize| f64_src(s[i], i, m);
    let h = |i: usize| f16_src(s[i], i, m);
    match name {
        "v_mov_b32" => (s[0], false),
        "v_and_b32" => (u64::from(u(0) & u(1)), false),
        "v_or_b32" => (u64::from(u(0) | u(1)), false),
        "v_xor_b32" => (u64::from(u(0) ^ u(1)), false),
        "v_lshlrev_b32" => (u64::from(u(1) << (u(0) & 31)), false),
        "v_lshrrev_b32" => (u64::from(u(1) >> (u(0) & 31)), false),
        "v_bfe_u32" => (
            u64::from((u(0) >> (u(1) & 31)) & ((1u32 << u(2)) - 1)),
            false,
        ),
        "v_add3_u32" => (u64::from(u(0).wrapping_add(u(1)).wrapping_add(u(2))), false),
        "v_add_nc_u32" => (u64::from(u(0).wrapping_add(u(1))), false),
        "v_sub_nc_u32" => (u64::from(u(0).wrapping_sub(u(1))), false),
        "v_and_or_b32" => (u64::from((u(0) & u(1)) | u(2)), false),
        "v_ashrrev_i32" => (u64::from(((u(1) as i32) >> (u(0) & 31)) as u32), false),
        "v_not_b32" => (u64::from(!u(0)), false),
        "v_clz_i32_u32" => (
            u64::from(if u(0) == 0 {
                u32::MAX
            } else {
                u(0).leading_zeros()
            }),
            false,
        ),
        "v_alignbit_b32" => (
            (((u64::from(u(0)) << 32) | u64::from(u(1))) >> (u(2) & 31)) & 0xffff_ffff,
            false,
        ),
        "v_lshlrev_b64" => (s[1] << (u(0) & 63), false),
        "v_lshrrev_b64" => (s[1] >> (u(0) & 63), false),
        "v_mad_u64_u32" => (
            u64::from(u(0))
                .wrapping_mul(u64::from(u(1)))
                .wrapping_add(s[2]),
            false,
        ),
        "v_add_co_u32" => {
            let r = u64::from(u(0)) + u64::from(u(1));
            (r & 0xffff_ffff, r >> 32 != 0)
        }
        "v_add_co_ci_u32" => {
            let r = u64::from(u(0)) + u64::from(u(1)) + (s[2] & 1);
            (r & 0xffff_ffff, r >> 32 != 0)
        }
        "v_sub_co_u32" => (u64::from(u(0).wrapping_sub(u(1))), u(1) > u(0)),
        "v_sub_co_ci_u32" => {
            let sub = u64::from(u(1)) + (s[2] & 1);
            (
                u64::from(u(0)).wrapping_sub(sub) & 0xffff_ffff,
                sub > u64::from(u(0)),
            )
        }
        "v_cmp_ne_u32" => b(u(0) != u(1)),
        "v_mul_lo_u32" => (u64::from(u(0).wrapping_mul(u(1))), false),
        "v_cvt_f64_u32" => r64(f64::from(u(0))),
        "v_cvt_f32_f64" => r32(d(0) as f32),
        "v_cndmask_b32" => (if s[2] & 1 == 1 { s[1] } else { s[0] }, false),
        "v_cmp_eq_u32" => b(u(0) == u(1)),
        "v_cmp_gt_i32" => b((u(0) as i32) > (u(1) as i32)),
        "v_cmp_lt_f32" => b(f(0) < f(1)),
        "v_cmp_gt_f32" => b(f(0) > f(1)),
        "v_cmp_eq_f32" => b(f(0) == f(1)),
        "v_cmp_lg_f32" => b(f(0) < f(1) || f(0) > f(1)),
        "v_cmp_neq_f32" => b(f(0) != f(1)),
        "v_cmp_u_f32" => b(f(0).is_nan() || f(1).is_nan()),
        "v_cmp_lt_f16" => b(h(0) < h(1)),
        "v_cmp_eq_f16" => b(h(0) == h(1)),
        "v_cmp_neq_f16" => b(h(0) != h(1)),
        "v_cmp_u_f16" => b(h(0).is_nan() || h(1).is_nan()),
        "v_cmp_lt_f64" => b(d(0) < d(1)),
        "v_cmp_eq_f64" => b(d(0) == d(1)),
        "v_cmp_neq_f64" => b(d(0) != d(1)),
        "v_cmp_u_f64" => b(d(0).is_nan() || d(1).is_nan()),
        "v_cmp_class_f32" => b(u(1) >> class_bit(f(0).into(), 2f64.powi(-126)) & 1 == 1),
        "v_cmp_class_f64" => b(u(1) >> class_bit(d(0), f64::MIN_POSITIVE) & 1 == 1),
        "v_add_f32" => r32(f(0) + f(1)),
        "v_sub_f32" => r32(f(0) - f(1)),
        "v_mul_f32" => r32(f(0) * f(1)),
        "v_fma_f32" | "v_div_fmas_f32" => r32(f(0).mul_add(f(1), f(2))),
        "v_min_f32" => r32(ieee_min_max(f(0).into(), f(1).into(), false) as f32),
        "v_max_f32" => r32(ieee_min_max(f(0).into(), f(1).into(), true) as f32),
        "v_trunc_f32" => r32(f(0).trunc()),
        "v_rndne_f32" => r32(f(0).round_ties_even()),
        "v_exp_f32" => r32(ftz((f64::from(ftz(f(0)))).exp2() as f32)),
        "v_log_f32" => r32(ftz((f64::from(ftz(f(0)))).log2() as f32)),
        "v_sqrt_f32" => r32(ftz((f64::from(ftz(f(0)))).sqrt() as f32)),
        "v_rcp_f32" => r32(ftz((1.0 / f64::from(ftz(f(0)))) as f32)),
        "v_sin_f32" => r32(ftz(
            (f64::from(ftz(f(0))) * std::f64::consts::TAU).sin() as f32
        )),
        "v_div_scale_f32" => r32(div_scale(f(0).into(), f(1).into(), f(2).into(), 126, 64) as f32),
        "v_div_fixup_f32" => r32(div_fixup(f(0).into(), f(1).into(), f(2).into()) as f32),
        "v_cvt_f32_f16" => r32(h(0) as f32),
        "v_cvt_f16_f32" => r16(f(0).into()),
        "v_add_f16" => r16(h(0) + h(1)),
        "v_sub_f16" => r16(h(0) - h(1)),
        "v_mul_f16" => r16(h(0) * h(1)),
        "v_fma_f16" => r16(egpu_ir::kernel::fma(h(0), h(1), h(2), DType::F16)),
        "v_min_f16" => r16(ieee_min_max(h(0), h(1), false)),
        "v_max_f16" => r16(ieee_min_max(h(0), h(1), true)),
        "v_trunc_f16" => r16(h(0).trunc()),
        "v_add_f64" => r64(d(0) + d(1)),
        "v_mul_f64" => r64(d(0) * d(1)),
        "v_fma_f64" | "v_div_fmas_f64" => r64(d(0).mul_add(d(1), d(2))),
        "v_min_f64" => r64(ieee_min_max(d(0), d(1), false)),
        "v_max_f64" => r64(ieee_min_max(d(0), d(1), true)),
        "v_trunc_f64" => r64(d(0).trunc()),
        "v_rndne_f64" => r64(d(0).round_ties_even()),
        "v_rcp_f64" => r64(estimate(1.0 / d(0))),
        "v_rsq_f64" => r64(estimate(1.0 / d(0).sqrt())),
        "v_ldexp_f64" => r64(ldexp(d(0), u(1) as i32)),
        "v_frexp_mant_f64" => r64(frexp(d(0)).0),
        "v_frexp_exp_i32_f64" => (u64::from(frexp(d(0)).1 as u32), false),
        "v_cvt_i32_f64" => (u64::from(d(0) as i32 as u32), false),
        "v_cvt_f64_i32" => r64(f64::from(u(0) as i32)),
        "v_div_scale_f64" => r64(div_scale(d(0), d(1), d(2), 1022, 128)),
        "v_div_fixup_f64" => r64(div_fixup(d(0), d(1), d(2))),
        other => panic!("the float evaluator does not model {other}"),
    }
}

/// `v_div_scale` where it scales numerator and denominator alike (a denormal denominator
/// up, one whose reciprocal is denormal down, a numerator within the significand's width
/// of the denormals up), which leaves the quotient and VCC alone.
fn div_scale(x: f64, den: f64, num: f64, emax: i32, by: i32) -> f64 {
    let a = den.abs();
    let digits = if emax == 126 { 23 } else { 52 };
    if a != 0.0 && a < 2f64.powi(-emax) {
        ldexp(x, by)
    } else if a.is_finite() && a > 2f64.powi(emax) {
        ldexp(x, -by)
    } else if num != 0.0 && num.abs() < 2f64.powi(-emax + digits) {
        ldexp(x, by)
    } else {
        x
    }
}

/// The class bit `v_cmp_class_*` tests (see math64.rs).
fn class_bit(x: f64, min_normal: f64) -> u32 {
    let neg = x.is_sign_negative();
    if x.is_nan() {
        1
    } else if x.is_infinite() {
        if neg { 2 } else { 9 }
    } else if x == 0.0 {
        if neg { 5 } else { 6 }
    } else if x.abs() < min_normal {
        if neg { 4 } else { 7 }
    } else if neg {
        3
    } else {
        8
    }
}

fn ieee_min_max(a: f64, b: f64, max: bool) -> f64 {
    if a.is_nan() {
        return b;
    }
    if b.is_nan() || a == b {
        return a;
    }
    if (a > b) == max { a } else { b }
}

/// `v_div_fixup`: the quotient `q` of `n / d` unless an operand is special.
fn div_fixup(q: f64, d: f64, n: f64) -> f64 {
    let sign = if (n.is_sign_negative()) != (d.is_sign_negative()) {
        -1.0
    } else {
        1.0
    };
    let both_zero = n == 0.0 && d == 0.0;
    let both_inf = n.is_infinite() && d.is_infinite();
    if n.is_nan() || d.is_nan() || both_zero || both_inf {
        f64::NAN
    } else if d == 0.0 || n.is_infinite() {
        sign * f64::INFINITY
    } else if d.is_infinite() || n == 0.0 {
        sign * 0.0
    } else {
        q
    }
}

/// x = m·2^e with |m| ∈ [½, 1) (IEEE frexp, denormals included).
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (x, adj) = if x.is_subnormal() {
        (x * 2f64.powi(64), -64)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i32 - 1022;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, e + adj)
}

/// x·2^n rounded once (nearest even), by integer arithmetic on the significand.
fn ldexp(x: f64, n: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let (m, e) = frexp(x); // |m| in [0.5, 1)
    let mant = (m.abs() * 2f64.powi(53)) as u64; // 53-bit integer, value mant·2^(e−53)
    let exp = e + n - 53;
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    if exp + 53 > 1024 {
        return sign * f64::INFINITY;
    }
    // the least exponent a 53-bit integer significand may have: −1074
    if exp >= -1074 {
        return sign * mant as f64 * 2f64.powi(exp.max(-1022)) * 2f64.powi((exp + 1022).min(0));
    }
    let shift = (-1074 - exp) as u32;
    if shift > 60 {
        return sign * 0.0;
    }
    let kept = mant >> shift;
    let rest = mant & ((1u64 << shift) - 1);
    let halfway = 1u64 << (shift - 1);
    let up = rest > halfway || (rest == halfway && kept & 1 == 1);
    sign * (kept + u64::from(up)) as f64 * f64::from_bits(1)
}
