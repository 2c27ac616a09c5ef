//! Unary ops, `mulhi` and `fma` on one scalar element, with the instructions the precision
//! model (ir/src/precision.rs, NVIDIA) names: `sqrt.rn`, `rcp.approx.f32` (`rcp.rn.f64`),
//! `ex2.approx.f32`, `lg2.approx.f32`, `sin.approx.f32` after range reduction; never
//! `.ftz`. f64 has no exp2/log2/sin instruction: exp2 and log2 are inline
//! sequences (f64_math.rs), sin one too (f64_sin.rs).

use super::PtxError;
use super::emitter::Emitter;
use super::half::{bit_type, float_type, int_type};
use super::sink::RegClass;
use egpu_ir::{DType, UnaryOp};

/// 2π rounded to f32, and 2π minus that (rounded to f32): the two constants of the
/// Cody–Waite reduction `x − k·2π`, and 1/(2π) to find k.
const TWO_PI_HI: &str = "0f40C90FDB";
const TWO_PI_LO: &str = "0fB43BBD2E";
const INV_TWO_PI: &str = "0f3E22F983";

impl Emitter<'_> {
    pub(crate) fn unary_scalar(
        &mut self,
        op: UnaryOp,
        dtype: DType,
        dst: &str,
        x: &str,
    ) -> Result<(), PtxError> {
        match (op, dtype) {
            (UnaryOp::Not, DType::Bool) => self.ins(format!("not.pred {dst}, {x}")),
            (UnaryOp::Not, _) => {
                self.ins(format!("not.{} {dst}, {x}", bit_type(dtype)));
                self.renarrow(dtype, dst);
            }
            (UnaryOp::Neg, _) if dtype.is_int() => {
                // two's complement negation is the same bits signed or not
                let bits = &bit_type(dtype)[1..];
                self.ins(format!("neg.s{bits} {dst}, {x}"));
                self.renarrow(dtype, dst);
            }
            // flipping the sign bit is exact for both 16-bit formats
            (UnaryOp::Neg, DType::F16 | DType::BF16) => {
                self.ins(format!("xor.b16 {dst}, {x}, 0x8000"));
            }
            (_, DType::F16 | DType::BF16) => {
                let f = self.widen_half(dtype, x);
                let r = self.new_temp(RegClass::F32);
                self.float_unary(op, DType::F32, &r, &f)?;
                self.narrow_half(dtype, dst, &r);
            }
            (_, DType::F32 | DType::F64) => self.float_unary(op, dtype, dst, x)?,
            _ => return Err(self.malformed(format!("{} on {dtype}", op.name()))),
        }
        Ok(())
    }

    fn float_unary(
        &mut self,
        op: UnaryOp,
        dtype: DType,
        dst: &str,
        x: &str,
    ) -> Result<(), PtxError> {
        let ty = float_type(dtype);
        let f64 = dtype == DType::F64;
        match op {
            UnaryOp::Neg => self.ins(format!("neg.{ty} {dst}, {x}")),
            UnaryOp::Sqrt => self.ins(format!("sqrt.rn.{ty} {dst}, {x}")),
            UnaryOp::Trunc => self.ins(format!("cvt.rzi.{ty}.{ty} {dst}, {x}")),
            UnaryOp::Recip if f64 => self.ins(format!("rcp.rn.f64 {dst}, {x}")),
            UnaryOp::Recip => self.ins(format!("rcp.approx.f32 {dst}, {x}")),
            UnaryOp::Exp2 if f64 => self.exp2_f64(dst, x),
            UnaryOp::Log2 if f64 => self.log2_f64(dst, x),
            UnaryOp::Sin if f64 => self.sin_f64(dst, x),
            UnaryOp::Exp2 => self.ins(format!("ex2.approx.f32 {dst}, {x}")),
            UnaryOp::Log2 => self.ins(format!("lg2.approx.f32 {dst}, {x}")),
            UnaryOp::Sin => self.sin_f32(dst, x),
            UnaryOp::Not => return Err(self.malformed(format!("not on {dtype}"))),
        }
        Ok(())
    }

    /// `sin.approx.f32` is accurate to 2^-20.5 only on [−2π, 2π]: an argument beyond is
    /// first reduced to about [−π, π] as `x − k·2π`, `k = round(x/2π)`, with 2π split in two
    /// constants so that `k·2π` keeps about 48 bits (each step one `fma.rn`).
    fn sin_f32(&mut self, dst: &str, x: &str) {
        let k = self.new_temp(RegClass::F32);
        let r = self.new_temp(RegClass::F32);
        let mag = self.new_temp(RegClass::F32);
        let far = self.new_temp(RegClass::Pred);
        self.ins(format!("mul.rn.f32 {k}, {x}, {INV_TWO_PI}"));
        self.ins(format!("cvt.rni.f32.f32 {k}, {k}"));
        self.ins(format!("neg.f32 {k}, {k}"));
        self.ins(format!("fma.rn.f32 {r}, {k}, {TWO_PI_HI}, {x}"));
        self.ins(format!("fma.rn.f32 {r}, {k}, {TWO_PI_LO}, {r}"));
        self.ins(format!("abs.f32 {mag}, {x}"));
        self.ins(format!("setp.gt.f32 {far}, {mag}, {TWO_PI_HI}"));
        self.ins(format!("selp.f32 {r}, {r}, {x}, {far}"));
        self.ins(format!("sin.approx.f32 {dst}, {r}"));
    }

    /// The high half of the double-width product (`mul.hi.s32` … `mul.hi.u64`).
    pub(crate) fn mulhi_scalar(&mut self, dtype: DType, dst: &str, a: &str, b: &str) {
        self.ins(format!("mul.hi.{} {dst}, {a}, {b}", int_type(dtype)));
    }

    /// One fused multiply-add rounded once: `fma.rn` exists for f16, bf16 (sm_80+), f32
    /// and f64.
    pub(crate) fn fma_scalar(&mut self, dtype: DType, dst: &str, a: &str, b: &str, c: &str) {
        let ty = match dtype {
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::F64 => "f64",
            _ => "f32",
        };
        self.ins(format!("fma.rn.{ty} {dst}, {a}, {b}, {c}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reduction constants are 2π split as hi + lo, and 1/(2π), each rounded to f32.
    #[test]
    fn reduction_constants_are_two_pi() {
        let bits = |s: &str| f32::from_bits(u32::from_str_radix(&s[2..], 16).unwrap());
        let hi = bits(TWO_PI_HI);
        let lo = bits(TWO_PI_LO);
        assert_eq!(hi, std::f32::consts::TAU);
        let rest = std::f64::consts::TAU - f64::from(hi);
        assert_eq!(lo, rest as f32);
        assert_eq!(bits(INV_TWO_PI), (1.0 / std::f64::consts::TAU) as f32);
    }
}
