//! Binary ops on one scalar element: the kernel IR's `add … shr` with its exact semantics
//! (floats round to nearest with `.rn` so ptxas never contracts; integers wrap to their
//! width; shifts take the count modulo the width). This is also [`PtxSink::binary`], so a
//! subgroup reduction combines exactly like the kernel's own op.
//!
//! `dst` may be `a` or `b` (accumulator updates): every sequence reads its operands before
//! its last instruction writes `dst`.
//!
//! [`PtxSink::binary`]: super::sink::PtxSink::binary

use super::PtxError;
use super::emitter::Emitter;
use super::half::{bit_type, float_type, int_type, is_half};
use super::sink::RegClass;
use egpu_ir::{BinaryOp, DType};

impl Emitter<'_> {
    pub(crate) fn binary_scalar(
        &mut self,
        op: BinaryOp,
        dtype: DType,
        dst: &str,
        a: &str,
        b: &str,
    ) -> Result<(), PtxError> {
        if dtype == DType::Bool {
            self.bool_binary(op, dst, a, b);
            Ok(())
        } else if dtype.is_int() {
            self.int_binary(op, dtype, dst, a, b)
        } else if is_half(dtype) {
            self.half_binary(op, dtype, dst, a, b)
        } else {
            self.float_binary(op, float_type(dtype), dst, a, b)
        }
    }

    fn bool_binary(&mut self, op: BinaryOp, dst: &str, a: &str, b: &str) {
        use BinaryOp::*;
        match op {
            CmpLt => {
                // false < true is the only true case
                let t = self.new_temp(RegClass::Pred);
                self.ins(format!("not.pred {t}, {a}"));
                self.ins(format!("and.pred {dst}, {t}, {b}"));
            }
            CmpEq => {
                let t = self.new_temp(RegClass::Pred);
                self.ins(format!("xor.pred {t}, {a}, {b}"));
                self.ins(format!("not.pred {dst}, {t}"));
            }
            // bool is not numeric: only and/or/xor and comparisons reach here from a
            // verified kernel; the rest take their logical reading.
            CmpNe | Xor | Add | Sub => self.ins(format!("xor.pred {dst}, {a}, {b}")),
            Or | Max => self.ins(format!("or.pred {dst}, {a}, {b}")),
            And | Mul | Min | Div | Idiv | Mod | Shl | Shr => {
                self.ins(format!("and.pred {dst}, {a}, {b}"))
            }
        }
    }

    fn int_binary(
        &mut self,
        op: BinaryOp,
        dtype: DType,
        dst: &str,
        a: &str,
        b: &str,
    ) -> Result<(), PtxError> {
        use BinaryOp::*;
        let t = int_type(dtype);
        let bits = bit_type(dtype);
        match op {
            Add | Sub | Mul | Idiv | Mod | Max | Min => {
                let name = match op {
                    Add => "add",
                    Sub => "sub",
                    Mul => "mul.lo",
                    Idiv => "div",
                    Mod => "rem",
                    Max => "max",
                    _ => "min",
                };
                self.ins(format!("{name}.{t} {dst}, {a}, {b}"));
                if matches!(op, Add | Sub | Mul | Idiv) {
                    self.renarrow(dtype, dst);
                }
            }
            CmpLt => self.ins(format!("setp.lt.{t} {dst}, {a}, {b}")),
            CmpEq => self.ins(format!("setp.eq.{t} {dst}, {a}, {b}")),
            CmpNe => self.ins(format!("setp.ne.{t} {dst}, {a}, {b}")),
            And | Or | Xor => {
                let name = op.name();
                self.ins(format!("{name}.{bits} {dst}, {a}, {b}"));
            }
            Shl | Shr => self.shift(op, dtype, dst, a, b),
            Div => return Err(self.malformed(format!("div on {dtype}"))),
        }
        Ok(())
    }

    /// PTX clamps shift counts at the register width; the kernel IR takes them modulo the
    /// dtype's width, so the count is masked first (8-bit integers by 7).
    fn shift(&mut self, op: BinaryOp, dtype: DType, dst: &str, a: &str, b: &str) {
        let n = self.new_temp(RegClass::B32);
        match bit_type(dtype) {
            "b16" => self.ins(format!("cvt.u32.u16 {n}, {b}")),
            "b32" => self.ins(format!("mov.b32 {n}, {b}")),
            _ => self.ins(format!("cvt.u32.u64 {n}, {b}")),
        }
        self.ins(format!("and.b32 {n}, {n}, {}", dtype.bits() - 1));
        if op == BinaryOp::Shl {
            self.ins(format!("shl.{} {dst}, {a}, {n}", bit_type(dtype)));
            self.renarrow(dtype, dst);
        } else {
            // shr.s is arithmetic, shr.u logical; 8-bit registers hold the extended value.
            self.ins(format!("shr.{} {dst}, {a}, {n}", int_type(dtype)));
        }
    }

    /// f32 and f64 (`ty`).
    fn float_binary(
        &mut self,
        op: BinaryOp,
        ty: &str,
        dst: &str,
        a: &str,
        b: &str,
    ) -> Result<(), PtxError> {
        use BinaryOp::*;
        match op {
            Add | Sub | Mul | Div => {
                self.ins(format!("{}.rn.{ty} {dst}, {a}, {b}", op.name()));
            }
            Max | Min => self.float_max_min(op == Max, ty, dst, a, b),
            CmpLt => self.ins(format!("setp.lt.{ty} {dst}, {a}, {b}")),
            CmpEq => self.ins(format!("setp.eq.{ty} {dst}, {a}, {b}")),
            // not-equal is true when either is NaN: the unordered form
            CmpNe => self.ins(format!("setp.neu.{ty} {dst}, {a}, {b}")),
            Idiv | Mod | And | Or | Xor | Shl | Shr => {
                return Err(self.malformed(format!("{} on {ty}", op.name())));
            }
        }
        Ok(())
    }

    /// max/min with the kernel IR's rules, which the PTX ISA does not promise for
    /// `max`/`min` alone: NaN when either is NaN (`max.f32` returns the other operand),
    /// and −0 < +0 (for equal operands the bitwise `and` of the two gives +0 for max if
    /// either is +0, the `or` gives −0 for min; equal non-zero operands have equal bits).
    fn float_max_min(&mut self, is_max: bool, ty: &str, dst: &str, a: &str, b: &str) {
        let class = if ty == "f64" {
            RegClass::F64
        } else {
            RegClass::F32
        };
        let (bits, nan) = if ty == "f64" {
            ("b64", "0d7FF8000000000000")
        } else {
            ("b32", "0f7FC00000")
        };
        let m = self.new_temp(class);
        let z = self.new_temp(class);
        let (p_nan, p_eq) = (self.new_temp(RegClass::Pred), self.new_temp(RegClass::Pred));
        let (name, join) = if is_max {
            ("max", "and")
        } else {
            ("min", "or")
        };
        self.ins(format!("{name}.{ty} {m}, {a}, {b}"));
        self.ins(format!("setp.nan.{ty} {p_nan}, {a}, {b}"));
        self.ins(format!("setp.eq.{ty} {p_eq}, {a}, {b}"));
        self.ins(format!("{join}.{bits} {z}, {a}, {b}"));
        self.ins(format!("selp.{ty} {m}, {z}, {m}, {p_eq}"));
        self.ins(format!("selp.{ty} {dst}, {nan}, {m}, {p_nan}"));
    }

    /// f16/bf16: both operands widened exactly, the f32 op, one rounding back.
    fn half_binary(
        &mut self,
        op: BinaryOp,
        dtype: DType,
        dst: &str,
        a: &str,
        b: &str,
    ) -> Result<(), PtxError> {
        let (fa, fb) = (self.widen_half(dtype, a), self.widen_half(dtype, b));
        if matches!(op, BinaryOp::CmpLt | BinaryOp::CmpEq | BinaryOp::CmpNe) {
            return self.float_binary(op, "f32", dst, &fa, &fb);
        }
        let r = self.new_temp(RegClass::F32);
        self.float_binary(op, "f32", &r, &fa, &fb)?;
        self.narrow_half(dtype, dst, &r);
        Ok(())
    }
}
