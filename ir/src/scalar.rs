//! Scalar values and the exact numeric conversions every part of egpu agrees on.
//!
//! A value of any dtype is held as a [`Scalar`]: bools as `bool`, every integer dtype as an
//! `i128` (wide enough for both i64 and u64), every float dtype as the `f64` that it exactly
//! equals. The functions here round and wrap values into their dtype; the reference
//! interpreter calls them after every operation, so a result is always representable.

use crate::DType;
use half::{bf16, f16};
use std::fmt;

/// One value of some dtype; the dtype is carried beside it.
#[derive(Clone, Copy, Debug)]
pub enum Scalar {
    Bool(bool),
    Int(i128),
    Float(f64),
}

impl Scalar {
    /// Exact equality: floats compare by bits (NaN equals NaN, 0.0 differs from -0.0).
    pub fn same(&self, other: &Scalar) -> bool {
        match (self, other) {
            (Scalar::Bool(a), Scalar::Bool(b)) => a == b,
            (Scalar::Int(a), Scalar::Int(b)) => a == b,
            (Scalar::Float(a), Scalar::Float(b)) => {
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
            }
            _ => false,
        }
    }

    /// The value as an f64 (integers may lose precision above 2^53).
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => f64::from(u8::from(b)),
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }

    /// Converts to `dtype` with the semantics of the `cast` op:
    /// float→int truncates toward zero and saturates, NaN becomes 0; int→float rounds to
    /// nearest even; anything→bool is "not zero"; bool→number is 0 or 1.
    pub fn cast(self, dtype: DType) -> Scalar {
        if dtype.is_bool() {
            return Scalar::Bool(match self {
                Scalar::Bool(b) => b,
                Scalar::Int(i) => i != 0,
                Scalar::Float(f) => f != 0.0,
            });
        }
        if dtype.is_float() {
            return Scalar::Float(match self {
                Scalar::Bool(b) => f64::from(u8::from(b)),
                Scalar::Int(i) => int_to_float(i, dtype),
                Scalar::Float(f) => round_float(f, dtype),
            });
        }
        let (lo, hi) = dtype.int_range().unwrap_or((0, 0));
        Scalar::Int(match self {
            Scalar::Bool(b) => i128::from(b),
            Scalar::Int(i) => wrap_int(i, dtype),
            Scalar::Float(f) if f.is_nan() => 0,
            Scalar::Float(f) => (f.trunc() as i128).clamp(lo, hi),
        })
    }

    /// The value's bit pattern in `dtype` (the low `dtype.bits()` bits are used).
    pub fn to_bits(self, dtype: DType) -> u64 {
        match (self, dtype) {
            (Scalar::Bool(b), _) => u64::from(b),
            (Scalar::Int(i), _) => i as u64 & mask(dtype.bits()),
            (Scalar::Float(f), DType::F16) => {
                u64::from(f16::from_f32(round_to_odd_f32(f)).to_bits())
            }
            (Scalar::Float(f), DType::BF16) => {
                u64::from(bf16::from_f32(round_to_odd_f32(f)).to_bits())
            }
            (Scalar::Float(f), DType::F32) => u64::from((f as f32).to_bits()),
            (Scalar::Float(f), _) => f.to_bits(),
        }
    }

    /// The value of `dtype` whose bit pattern is the low `dtype.bits()` bits of `bits`.
    pub fn from_bits(bits: u64, dtype: DType) -> Scalar {
        let bits = bits & mask(dtype.bits());
        match dtype {
            DType::Bool => Scalar::Bool(bits != 0),
            DType::F16 => Scalar::Float(f16::from_bits(bits as u16).to_f64()),
            DType::BF16 => Scalar::Float(bf16::from_bits(bits as u16).to_f64()),
            DType::F32 => Scalar::Float(f64::from(f32::from_bits(bits as u32))),
            DType::F64 => Scalar::Float(f64::from_bits(bits)),
            _ => Scalar::Int(wrap_int(i128::from(bits), dtype)),
        }
    }

    /// The zero of `dtype`.
    pub fn zero(dtype: DType) -> Scalar {
        Scalar::Int(0).cast(dtype)
    }
}

impl fmt::Display for Scalar {
    /// The `.egir` spelling: `true`, `-3`, `1.5`, `2.0`, `inf`, `-inf`, `nan`. Floats print
    /// the shortest text that reads back to the same f64.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) if x.is_nan() => f.write_str("nan"),
            Scalar::Float(x) if x.is_infinite() => {
                f.write_str(if x > 0.0 { "inf" } else { "-inf" })
            }
            Scalar::Float(x) => write!(f, "{x:?}"),
        }
    }
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Wraps an integer into `dtype` by two's complement, as hardware integer arithmetic does.
pub fn wrap_int(v: i128, dtype: DType) -> i128 {
    if dtype.is_bool() {
        return v & 1;
    }
    let bits = dtype.bits();
    let low = v & ((1i128 << bits) - 1);
    if dtype.is_signed_int() && low >= 1i128 << (bits - 1) {
        low - (1i128 << bits)
    } else {
        low
    }
}

/// Rounds an f64 to the nearest value of float `dtype` (ties to even), as one IEEE operation
/// in that dtype would. Because f64 carries more than twice the bits of f32, an f32 operation
/// computed in f64 and rounded here is correctly rounded.
pub fn round_float(v: f64, dtype: DType) -> f64 {
    match dtype {
        DType::F16 => f16::from_f32(round_to_odd_f32(v)).to_f64(),
        DType::BF16 => bf16::from_f32(round_to_odd_f32(v)).to_f64(),
        DType::F32 => f64::from(v as f32),
        _ => v,
    }
}

/// `v` rounded to f32 "to odd": truncated toward zero, with the last bit set when anything
/// was dropped. Rounding that once more to a format at least two bits narrower (f16, bf16)
/// is correctly rounded, which `half`'s own f64 conversions are not (bf16 drops low bits
/// first; f16 goes through a nearest-even f32 on x86 with F16C: double rounding).
fn round_to_odd_f32(v: f64) -> f32 {
    let nearest = v as f32;
    if v.is_nan() || nearest.is_infinite() || f64::from(nearest) == v {
        return nearest;
    }
    let mut bits = nearest.to_bits();
    if f64::from(nearest).abs() > v.abs() {
        bits -= 1; // one step toward zero: f32 bits are sign and magnitude
    }
    f32::from_bits(bits | 1)
}

/// Rounds an integer to float `dtype` in one step, ties to even (no double rounding through
/// f64 for integers above 2^53).
pub fn int_to_float(v: i128, dtype: DType) -> f64 {
    let precision = dtype.float_precision().unwrap_or(53);
    let magnitude = v.unsigned_abs();
    let width = 128 - magnitude.leading_zeros();
    let rounded = if width <= precision {
        magnitude as f64
    } else {
        let shift = width - precision;
        let kept = magnitude >> shift;
        let rest = magnitude & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let kept = if rest > half || (rest == half && kept & 1 == 1) {
            kept + 1
        } else {
            kept
        };
        kept as f64 * 2f64.powi(shift as i32)
    };
    let signed = if v < 0 { -rounded } else { rounded };
    round_float(signed, dtype)
}
