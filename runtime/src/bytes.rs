//! Tensors as the bytes a device holds: little-endian, each element `dtype.size_bytes()`
//! wide, bool as one byte 0 or 1, f16 and bf16 as their IEEE / bfloat16 bit patterns.
//!
//! The interpreter holds floats as the f64 they equal. Ordinary values convert exactly both
//! ways; a NaN's payload is moved bit for bit (its top mantissa bits, as hardware widening
//! does), so every bit pattern a device writes reads back to the same bytes.

use egpu_ir::interp::{Data, Tensor};
use egpu_ir::{DType, Scalar, Shape};

/// Bytes that are not a tensor of the asked dtype and shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BytesError {
    #[error("{dtype}{shape} needs {expected} bytes, got {got}")]
    Length {
        dtype: DType,
        shape: Shape,
        expected: usize,
        got: usize,
    },
    #[error("byte {index} of a bool buffer is {value}, not 0 or 1")]
    Bool { index: usize, value: u8 },
    #[error("{0}")]
    Tensor(String),
}

/// The tensor's elements as device bytes, in row-major order.
pub fn to_bytes(tensor: &Tensor) -> Vec<u8> {
    let dtype = tensor.dtype;
    let mut out = Vec::with_capacity(tensor.data.len() * dtype.size_bytes());
    for value in tensor.data.scalars() {
        push_scalar(value, dtype, &mut out);
    }
    out
}

/// Appends one element of `dtype` to `out`.
pub fn push_scalar(value: Scalar, dtype: DType, out: &mut Vec<u8>) {
    let bits = match value {
        Scalar::Float(f) if f.is_nan() => narrow_nan(f, dtype),
        other => other.to_bits(dtype),
    };
    out.extend_from_slice(&bits.to_le_bytes()[..dtype.size_bytes()]);
}

/// The tensor of `dtype` and `shape` whose device bytes are `bytes`.
pub fn from_bytes(dtype: DType, shape: Shape, bytes: &[u8]) -> Result<Tensor, BytesError> {
    let width = dtype.size_bytes();
    let expected = shape.numel().saturating_mul(width);
    if bytes.len() != expected {
        return Err(BytesError::Length {
            dtype,
            shape,
            expected,
            got: bytes.len(),
        });
    }
    let data = if dtype.is_bool() {
        Data::Bool(bools(bytes)?)
    } else {
        let elements = bytes.chunks_exact(width).map(|chunk| {
            let mut word = [0u8; 8];
            word[..width].copy_from_slice(chunk);
            u64::from_le_bytes(word)
        });
        if dtype.is_float() {
            Data::Float(elements.map(|bits| widen_float(bits, dtype)).collect())
        } else {
            let ints = elements.map(|bits| match Scalar::from_bits(bits, dtype) {
                Scalar::Int(i) => i,
                _ => 0, // from_bits answers Int for every integer dtype
            });
            Data::Int(ints.collect())
        }
    };
    Tensor::new(dtype, shape, data).map_err(|e| BytesError::Tensor(e.to_string()))
}

fn bools(bytes: &[u8]) -> Result<Vec<bool>, BytesError> {
    // Refused rather than read as "not zero": a kernel that writes 2 to a bool is wrong.
    bytes
        .iter()
        .enumerate()
        .map(|(index, &value)| match value {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(BytesError::Bool { index, value }),
        })
        .collect()
}

/// (total bits, mantissa bits) of a float dtype.
fn float_layout(dtype: DType) -> (u32, u32) {
    match dtype {
        DType::F16 => (16, 10),
        DType::BF16 => (16, 7),
        DType::F32 => (32, 23),
        _ => (64, 52),
    }
}

/// The f64 an element of float `dtype` with bit pattern `bits` holds.
fn widen_float(bits: u64, dtype: DType) -> f64 {
    let (total, mantissa) = float_layout(dtype);
    let exponent_mask = (1u64 << (total - 1 - mantissa)) - 1;
    let is_nan =
        (bits >> mantissa) & exponent_mask == exponent_mask && bits & ((1u64 << mantissa) - 1) != 0;
    if !is_nan {
        return Scalar::from_bits(bits, dtype).to_f64();
    }
    let sign = (bits >> (total - 1)) & 1;
    let payload = bits & ((1u64 << mantissa) - 1);
    f64::from_bits(sign << 63 | 0x7ff << 52 | payload << (52 - mantissa))
}

/// The bit pattern in `dtype` of the NaN `f`: its sign and top mantissa bits (the quiet
/// bit set if that would leave no mantissa, which would be an infinity).
fn narrow_nan(f: f64, dtype: DType) -> u64 {
    let (total, mantissa) = float_layout(dtype);
    let bits = f.to_bits();
    let sign = bits >> 63;
    let mut payload = (bits & ((1u64 << 52) - 1)) >> (52 - mantissa);
    if payload == 0 {
        payload = 1 << (mantissa - 1);
    }
    let exponent_mask = (1u64 << (total - 1 - mantissa)) - 1;
    sign << (total - 1) | exponent_mask << mantissa | payload
}

#[cfg(test)]
#[path = "bytes_tests.rs"]
mod tests;
