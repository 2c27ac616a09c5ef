//! f16 and bf16 arithmetic: every result rounded once to the dtype (f16 natively with the
//! `v_*_f16` ops; bf16 computed in f32, where the result of add/sub/mul of two bf16 rounds
//! to the same bf16 whether rounded once or via f32 (24 ≥ 2·8 + 2 bits), then rounded to
//! nearest even). Results sit in the low 16 bits with the upper 16 bits zero: the
//! `v_*_f16` ops leave the upper half undefined, so each result is masked.

use super::emit::op;
use super::fparts::{MinMax, k, low16, min_max, narrow, pick, round_bf16, v, widen};
use super::{IselError, Piece, Sel, Src};
use egpu_ir::DType;
use egpu_ir::{BinaryOp, UnaryOp};

const F16_MINMAX: [MinMax; 2] = [
    MinMax {
        hw: "v_min_f16",
        eq: "v_cmp_eq_f16",
        unordered: "v_cmp_u_f16",
        nan: 0x7e00,
    },
    MinMax {
        hw: "v_max_f16",
        eq: "v_cmp_eq_f16",
        unordered: "v_cmp_u_f16",
        nan: 0x7e00,
    },
];

/// f32 max/min (bf16 is compared widened; the result is one of the operands, so narrowing
/// it back is a shift).
pub(super) const F32_MINMAX: [MinMax; 2] = [
    MinMax {
        hw: "v_min_f32",
        eq: "v_cmp_eq_f32",
        unordered: "v_cmp_u_f32",
        nan: 0x7fc0_0000,
    },
    MinMax {
        hw: "v_max_f32",
        eq: "v_cmp_eq_f32",
        unordered: "v_cmp_u_f32",
        nan: 0x7fc0_0000,
    },
];

pub(super) fn binary(
    sel: &mut Sel,
    op: BinaryOp,
    dt: DType,
    a: Piece,
    b: Piece,
) -> Result<Piece, IselError> {
    match dt {
        DType::F16 => f16_binary(sel, op, a, b),
        DType::BF16 => bf16_binary(sel, op, a, b),
        _ => Err(sel.malformed(format!("{op:?} on {dt:?} routed to f16/bf16"))),
    }
}

fn f16_binary(sel: &mut Sel, bop: BinaryOp, a: Piece, b: Piece) -> Result<Piece, IselError> {
    let (a, b) = (Src::Reg(a), Src::Reg(b));
    let arith = |sel: &mut Sel, name| {
        let r = v(sel, name, &[a, b]);
        low16(sel, r)
    };
    Ok(match bop {
        BinaryOp::Add => arith(sel, "v_add_f16"),
        BinaryOp::Sub => arith(sel, "v_sub_f16"),
        BinaryOp::Mul => arith(sel, "v_mul_f16"),
        BinaryOp::Max | BinaryOp::Min => {
            let r = min_max(sel, bop == BinaryOp::Max, &F16_MINMAX[bop_index(bop)], a, b);
            low16(sel, r)
        }
        BinaryOp::CmpLt => sel.vcmp(op("v_cmp_lt_f16"), a, b),
        BinaryOp::CmpEq => sel.vcmp(op("v_cmp_eq_f16"), a, b),
        BinaryOp::CmpNe => sel.vcmp(op("v_cmp_neq_f16"), a, b),
        _ => return Err(sel.malformed(format!("{bop:?} on F16"))),
    })
}

/// 0 for min, 1 for max (the index into the MinMax tables).
pub(super) fn bop_index(bop: BinaryOp) -> usize {
    usize::from(bop == BinaryOp::Max)
}

fn bf16_binary(sel: &mut Sel, bop: BinaryOp, a: Piece, b: Piece) -> Result<Piece, IselError> {
    let name = match bop {
        BinaryOp::Add => "v_add_f32",
        BinaryOp::Sub => "v_sub_f32",
        BinaryOp::Mul => "v_mul_f32",
        BinaryOp::Max | BinaryOp::Min => "",
        BinaryOp::CmpLt => "v_cmp_lt_f32",
        BinaryOp::CmpEq => "v_cmp_eq_f32",
        BinaryOp::CmpNe => "v_cmp_neq_f32",
        _ => return Err(sel.malformed(format!("{bop:?} on BF16"))),
    };
    let wa = widen(sel, true, a);
    let wb = widen(sel, true, b);
    let (wa, wb) = (Src::Reg(wa), Src::Reg(wb));
    Ok(match bop {
        BinaryOp::Max | BinaryOp::Min => {
            let r = min_max(
                sel,
                bop == BinaryOp::Max,
                &F32_MINMAX[bop_index(bop)],
                wa,
                wb,
            );
            let c16 = k(sel, 16);
            v(sel, "v_lshrrev_b32", &[c16, r.into()])
        }
        BinaryOp::CmpLt | BinaryOp::CmpEq | BinaryOp::CmpNe => sel.vcmp(op(name), wa, wb),
        _ => {
            let r = v(sel, name, &[wa, wb]);
            round_bf16(sel, r)
        }
    })
}

/// `neg` (flip the sign bit, NaN included) and `trunc`.
pub(super) fn unary(sel: &mut Sel, uop: UnaryOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    let bf16 = match dt {
        DType::F16 => false,
        DType::BF16 => true,
        _ => return Err(sel.malformed(format!("{uop:?} on {dt:?} routed to f16/bf16"))),
    };
    match uop {
        UnaryOp::Neg => {
            let s = k(sel, 0x8000);
            Ok(v(sel, "v_xor_b32", &[s, x.into()]))
        }
        UnaryOp::Trunc if bf16 => {
            // trunc of a bf16 is a bf16: the f32 result's low half is zero
            let w = widen(sel, true, x);
            let t = v(sel, "v_trunc_f32", &[w.into()]);
            let c16 = k(sel, 16);
            Ok(v(sel, "v_lshrrev_b32", &[c16, t.into()]))
        }
        UnaryOp::Trunc => {
            let t = v(sel, "v_trunc_f16", &[x.into()]);
            Ok(low16(sel, t))
        }
        _ => Err(sel.malformed(format!("{uop:?} on {dt:?}"))),
    }
}

pub(super) fn fma(
    sel: &mut Sel,
    dt: DType,
    a: Piece,
    b: Piece,
    c: Piece,
) -> Result<Piece, IselError> {
    match dt {
        DType::F16 => {
            let r = v(sel, "v_fma_f16", &[a.into(), b.into(), c.into()]);
            Ok(low16(sel, r))
        }
        DType::BF16 => Ok(bf16_fma(sel, a, b, c)),
        _ => Err(sel.malformed(format!("fma on {dt:?} routed to f16/bf16"))),
    }
}

/// bf16 `a·b + c` rounded once (docs/kir.md, "fma") — except where |a·b| < 2^-151 (below
/// f32's subnormals even unscaled): that product rounds, which can change a tie against
/// the least bf16 subnormals or the sign of a zero result. Computed in f32 scaled by ¼ so that no
/// product of two bf16 overflows (|a·b| < 2^256·¼² fits; ¼ of a bf16 is exact in f32, its
/// subnormals reaching 2^-149): the product of ¼a and b is exact (8 + 8 ≤ 24 bits; only a
/// product below f32's subnormal range, far under every bf16, rounds); the sum
/// s = RN(¼c + p) and its exact error e come from a two-sum; the sum rounded to odd (s when
/// e = 0 or s is odd, else the odd neighbour on e's side) keeps what a second rounding
/// needs, and ×4 is exact (or overflows to inf where the bf16 result does), so rounding it
/// to bf16 (24 ≥ 8 + 2 bits, 14 extra bits still at bf16's least subnormal) is correctly
/// rounded. An infinite s has a NaN e and is kept. A product that overflows even scaled
/// (|a·b| ≥ 2^130) makes the result ±inf like the exact one, except with an infinite c,
/// which is then the result (finite a·b + c = c) where inf − inf would give NaN.
fn bf16_fma(sel: &mut Sel, a: Piece, b: Piece, c: Piece) -> Piece {
    let quarter = super::fparts::kf(sel, 0.25);
    let wa = widen(sel, true, a);
    let wa = v(sel, "v_mul_f32", &[wa.into(), quarter]);
    let wb = widen(sel, true, b);
    let wc = widen(sel, true, c);
    let wc = v(sel, "v_mul_f32", &[wc.into(), quarter]);
    let p = v(sel, "v_mul_f32", &[wa.into(), wb.into()]);
    let (s, e) = two_sum(sel, wc, p);
    let odd = round_to_odd(sel, s, e);
    let four = Src::Const(crate::isa::Operand::Float(crate::isa::FloatConst::Four));
    let r = v(sel, "v_mul_f32", &[odd.into(), four]);
    let r = round_bf16(sel, r);
    let class = op("v_cmp_class_f32");
    let (inf, finite) = (k(sel, 0x204), k(sel, 0x1f8));
    let c_inf = sel.vcmp(class, wc.into(), inf);
    let a_fin = sel.vcmp(class, wa.into(), finite);
    let b_fin = sel.vcmp(class, wb.into(), finite);
    let m1 = sel.new_s(1);
    sel.sop2(op("s_and_b32"), m1, c_inf.into(), a_fin.into());
    let m = sel.new_s(1);
    sel.sop2(op("s_and_b32"), m, m1.into(), b_fin.into());
    pick(sel, m, c.into(), r.into())
}

/// Knuth's two-sum: s = RN(x + y) and e = (x + y) − s exactly, for any order of sizes.
fn two_sum(sel: &mut Sel, x: Piece, y: Piece) -> (Piece, Piece) {
    let s = v(sel, "v_add_f32", &[x.into(), y.into()]);
    let yv = v(sel, "v_sub_f32", &[s.into(), x.into()]);
    let xv = v(sel, "v_sub_f32", &[s.into(), yv.into()]);
    let dy = v(sel, "v_sub_f32", &[y.into(), yv.into()]);
    let dx = v(sel, "v_sub_f32", &[x.into(), xv.into()]);
    let e = v(sel, "v_add_f32", &[dx.into(), dy.into()]);
    (s, e)
}

/// s + e (s = RN(s + e)) rounded to odd: when e ≠ 0 and s is even, the exact value lies
/// strictly between s and its neighbour on e's side, one of which is odd: s | 1 (one step
/// away from zero) when e has s's sign, s − 1 (one step toward zero) otherwise.
fn round_to_odd(sel: &mut Sel, s: Piece, e: Piece) -> Piece {
    let zero = k(sel, 0);
    // ordered and unequal: false for e = ±0 and for the NaN e of an infinite s
    let inexact = sel.vcmp(op("v_cmp_lg_f32"), e.into(), zero);
    let one = k(sel, 1);
    let low = v(sel, "v_and_b32", &[one, s.into()]);
    let even = sel.vcmp(op("v_cmp_eq_u32"), low.into(), zero);
    let adjust = sel.new_s(1);
    sel.sop2(op("s_and_b32"), adjust, inexact.into(), even.into());
    let signs = v(sel, "v_xor_b32", &[s.into(), e.into()]);
    let minus1 = k(sel, u32::MAX);
    let same = sel.vcmp(op("v_cmp_gt_i32"), signs.into(), minus1);
    let up = v(sel, "v_or_b32", &[one, s.into()]);
    let down = v(sel, "v_add_nc_u32", &[minus1, s.into()]);
    let stepped = pick(sel, same, up.into(), down.into());
    pick(sel, adjust, stepped.into(), s.into())
}

/// f16/bf16 `x` converted to f32, `f` applied, rounded back once.
pub(super) fn via_f32(
    sel: &mut Sel,
    bf16: bool,
    x: Piece,
    f: impl FnOnce(&mut Sel, Piece) -> Piece,
) -> Piece {
    let w = widen(sel, bf16, x);
    let r = f(sel, w);
    narrow(sel, bf16, r)
}
