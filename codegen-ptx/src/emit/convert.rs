//! `cast` and `bitcast` of one scalar element, with the semantics of `Scalar::cast`:
//! float→int truncates, saturates and maps NaN to 0; int→float and float→float round once
//! to nearest even; →bool is `≠ 0` (NaN ≠ 0); bool→number is 0 or 1.
//!
//! Narrowing to f16/bf16 from something wider than f32 (f64, 32- and 64-bit integers) goes
//! through an f32 rounded *to odd*, which the final `cvt.rn` then rounds correctly: two
//! round-to-nearest steps could round a tie the wrong way.

use super::PtxError;
use super::emitter::Emitter;
use super::half::{bit_type, float_type, int_type, is_half};
use super::sink::{RegClass, reg_class};
use egpu_ir::DType;

impl Emitter<'_> {
    pub(crate) fn cast_scalar(&mut self, from: DType, to: DType, dst: &str, x: &str) {
        if from == to {
            self.mov(reg_class(to), dst, x);
        } else if to == DType::Bool {
            self.cast_to_bool(from, dst, x);
        } else if from == DType::Bool {
            self.cast_from_bool(to, dst, x);
        } else if to.is_int() && from.is_int() {
            self.int_to_int(from, to, dst, x);
        } else if to.is_int() {
            self.float_to_int(from, to, dst, x);
        } else if is_half(to) {
            let f = self.f32_for_half(from, x);
            self.narrow_half(to, dst, &f);
        } else if is_half(from) {
            let f = self.widen_half(from, x);
            match to {
                DType::F32 => self.mov(RegClass::F32, dst, &f),
                _ => self.ins(format!("cvt.f64.f32 {dst}, {f}")),
            }
        } else if from.is_int() {
            let src = int_type(from);
            self.ins(format!("cvt.rn.{}.{src} {dst}, {x}", float_type(to)));
        } else if to == DType::F64 {
            self.ins(format!("cvt.f64.f32 {dst}, {x}"));
        } else {
            self.ins(format!("cvt.rn.f32.f64 {dst}, {x}"));
        }
    }

    fn cast_to_bool(&mut self, from: DType, dst: &str, x: &str) {
        if from.is_int() {
            self.ins(format!("setp.ne.{} {dst}, {x}, 0", int_type(from)));
            return;
        }
        let (f, ty) = if is_half(from) {
            (self.widen_half(from, x), "f32")
        } else {
            (x.to_string(), float_type(from))
        };
        // NaN ≠ 0 is true: the unordered not-equal; −0 = +0.
        let zero = if ty == "f64" {
            "0d0000000000000000"
        } else {
            "0f00000000"
        };
        self.ins(format!("setp.neu.{ty} {dst}, {f}, {zero}"));
    }

    fn cast_from_bool(&mut self, to: DType, dst: &str, x: &str) {
        let (ty, one, zero) = match to {
            DType::F32 => ("f32", "0f3F800000", "0f00000000"),
            DType::F64 => ("f64", "0d3FF0000000000000", "0d0000000000000000"),
            DType::F16 => ("b16", "0x3C00", "0x0000"),
            DType::BF16 => ("b16", "0x3F80", "0x0000"),
            _ => (bit_type(to), "1", "0"),
        };
        self.ins(format!("selp.{ty} {dst}, {one}, {zero}, {x}"));
    }

    /// Wraps to the destination's width: truncate or extend (by the source's signedness),
    /// then restore the 16-bit form of an 8-bit destination.
    fn int_to_int(&mut self, from: DType, to: DType, dst: &str, x: &str) {
        let (fb, tb) = (bit_type(from), bit_type(to));
        if fb == tb {
            self.ins(format!("mov.{tb} {dst}, {x}"));
        } else if from.bits() > to.bits() {
            let (t, f) = (&tb[1..], &fb[1..]);
            self.ins(format!("cvt.u{t}.u{f} {dst}, {x}"));
        } else {
            let sign = if from.is_signed_int() { "s" } else { "u" };
            let (t, f) = (&tb[1..], &fb[1..]);
            self.ins(format!("cvt.{sign}{t}.{sign}{f} {dst}, {x}"));
        }
        if matches!(to, DType::I8 | DType::U8) {
            self.renarrow(to, dst);
        }
    }

    /// Truncating, saturating, NaN → 0. `cvt.rzi` clamps to the destination range; 8- and
    /// 16-bit destinations are converted to 32 bits and clamped by hand, and NaN is mapped
    /// to 0 explicitly rather than trusting the instruction's NaN result.
    fn float_to_int(&mut self, from: DType, to: DType, dst: &str, x: &str) {
        let (f, ty) = if is_half(from) {
            (self.widen_half(from, x), "f32")
        } else {
            (x.to_string(), float_type(from))
        };
        let nan = self.new_temp(RegClass::Pred);
        self.ins(format!("setp.nan.{ty} {nan}, {f}, {f}"));
        if to.bits() > 16 {
            let t = self.new_temp(reg_class(to));
            self.ins(format!("cvt.rzi.{}.{ty} {t}, {f}", int_type(to)));
            self.ins(format!("selp.{} {dst}, 0, {t}, {nan}", bit_type(to)));
            return;
        }
        let t = self.new_temp(RegClass::B32);
        let (lo, hi) = to.int_range().unwrap_or((0, 0));
        if to.is_signed_int() {
            self.ins(format!("cvt.rzi.s32.{ty} {t}, {f}"));
            self.ins(format!("max.s32 {t}, {t}, {lo}"));
            self.ins(format!("min.s32 {t}, {t}, {hi}"));
        } else {
            self.ins(format!("cvt.rzi.u32.{ty} {t}, {f}"));
            self.ins(format!("min.u32 {t}, {t}, {hi}"));
        }
        self.ins(format!("selp.b32 {t}, 0, {t}, {nan}"));
        self.ins(format!("cvt.u16.u32 {dst}, {t}"));
    }

    /// An f32 register from which one `cvt.rn` to f16/bf16 gives the correctly rounded
    /// value of `x`: `x` itself when f32 holds it exactly (16-bit floats, ≤ 16-bit
    /// integers), otherwise `x` rounded to odd.
    fn f32_for_half(&mut self, from: DType, x: &str) -> String {
        let f = self.new_temp(RegClass::F32);
        match from {
            DType::F32 => self.mov(RegClass::F32, &f, x),
            DType::F16 | DType::BF16 => return self.widen_half(from, x),
            _ if from.is_int() && from.bits() <= 16 => {
                self.ins(format!("cvt.rn.f32.{} {f}, {x}", int_type(from)));
            }
            _ => self.round_to_odd_f32(from, &f, x),
        }
        f
    }

    /// `f` = `x` (f64 or a 32/64-bit integer) truncated to f32, with the last bit set when
    /// the truncation dropped anything (NaN stays NaN; an f64 beyond f32 truncates to the
    /// largest finite f32, which the final rounding takes to infinity as it should).
    fn round_to_odd_f32(&mut self, from: DType, f: &str, x: &str) {
        let inexact = self.new_temp(RegClass::Pred);
        if from == DType::F64 {
            let back = self.new_temp(RegClass::F64);
            self.ins(format!("cvt.rz.f32.f64 {f}, {x}"));
            self.ins(format!("cvt.f64.f32 {back}, {f}"));
            self.ins(format!("setp.neu.f64 {inexact}, {back}, {x}"));
        } else {
            let t = int_type(from);
            let back = self.new_temp(reg_class(from));
            self.ins(format!("cvt.rz.f32.{t} {f}, {x}"));
            self.ins(format!("cvt.rzi.{t}.f32 {back}, {f}"));
            self.ins(format!("setp.ne.{t} {inexact}, {back}, {x}"));
        }
        let bits = self.new_temp(RegClass::B32);
        self.ins(format!("mov.b32 {bits}, {f}"));
        self.ins(format!("@{inexact} or.b32 {bits}, {bits}, 1"));
        self.ins(format!("mov.b32 {f}, {bits}"));
    }

    /// The same bits as another dtype of the same width. Only 8-bit integers need work:
    /// their registers hold the extended value, which differs between i8 and u8.
    pub(crate) fn bitcast_scalar(
        &mut self,
        from: DType,
        to: DType,
        dst: &str,
        x: &str,
    ) -> Result<(), PtxError> {
        if from == DType::Bool || to == DType::Bool || from.bits() != to.bits() {
            return Err(self.malformed(format!("bitcast {from} to {to}")));
        }
        self.ins(format!("mov.{} {dst}, {x}", bit_type(to)));
        if from != to {
            self.renarrow(to, dst);
        }
        Ok(())
    }
}
