//! f16 and bf16: held as 16 bits, computed in f32. Widening is exact; narrowing rounds
//! once (so each f16/bf16 op rounds exactly once, as docs/kir.md requires). Also the
//! 8-bit integers, held sign- or zero-extended in 16-bit registers.

use super::emitter::Emitter;
use super::sink::RegClass;
use egpu_ir::DType;

impl Emitter<'_> {
    /// A new f32 register holding the f16/bf16 value in `h`, exactly.
    pub(crate) fn widen_half(&mut self, dtype: DType, h: &str) -> String {
        let f = self.new_temp(RegClass::F32);
        if dtype == DType::BF16 {
            // bf16 is the high half of an f32 (cvt.f32.bf16 needs sm_90).
            let r = self.new_temp(RegClass::B32);
            self.ins(format!("cvt.u32.u16 {r}, {h}"));
            self.ins(format!("shl.b32 {r}, {r}, 16"));
            self.ins(format!("mov.b32 {f}, {r}"));
        } else {
            self.ins(format!("cvt.f32.f16 {f}, {h}"));
        }
        f
    }

    /// `dst` (16 bits) = the f32 in `f` rounded to nearest even f16/bf16.
    pub(crate) fn narrow_half(&mut self, dtype: DType, dst: &str, f: &str) {
        let ty = if dtype == DType::BF16 { "bf16" } else { "f16" };
        self.ins(format!("cvt.rn.{ty}.f32 {dst}, {f}"));
    }

    /// Restores the 16-bit register form of an 8-bit integer after an op that may have
    /// left other bits in the high byte: i8 sign-extended, u8 zero-extended.
    pub(crate) fn renarrow(&mut self, dtype: DType, reg: &str) {
        match dtype {
            DType::I8 => self.ins(format!("cvt.s16.s8 {reg}, {reg}")),
            DType::U8 => self.ins(format!("and.b16 {reg}, {reg}, 0x00FF")),
            _ => {}
        }
    }
}

/// Whether `dtype` is computed in f32 and held in 16 bits.
pub(crate) fn is_half(dtype: DType) -> bool {
    matches!(dtype, DType::F16 | DType::BF16)
}

/// The PTX integer type of an integer dtype's register operations: 8- and 16-bit
/// integers operate as 16-bit (their registers hold the extended value).
pub(crate) fn int_type(dtype: DType) -> &'static str {
    match dtype {
        DType::I8 | DType::I16 => "s16",
        DType::U8 | DType::U16 => "u16",
        DType::I32 => "s32",
        DType::U32 => "u32",
        DType::I64 => "s64",
        _ => "u64",
    }
}

/// The bit type of an integer dtype's register (`b16` for 8-bit integers too).
pub(crate) fn bit_type(dtype: DType) -> &'static str {
    match dtype.bits() {
        0..=16 => "b16",
        17..=32 => "b32",
        _ => "b64",
    }
}

/// The PTX float type of an f32/f64 dtype.
pub(crate) fn float_type(dtype: DType) -> &'static str {
    if dtype == DType::F64 { "f64" } else { "f32" }
}
