//! Constants as PTX immediates: floats by their exact bits (`0f3F800000`, `0d…`), 16-bit
//! floats and integers as hex bit patterns of their register form (8-bit integers
//! sign- or zero-extended to 16 bits), bools as 0/1.

use super::emitter::Emitter;
use super::sink::reg_class;
use egpu_ir::{DType, Scalar};

/// The immediate a `mov` of `dtype`'s register class takes for `value`.
pub(crate) fn immediate(dtype: DType, value: Scalar) -> String {
    let bits = value.to_bits(dtype);
    match dtype {
        DType::Bool => u8::from(bits != 0).to_string(),
        DType::F32 => format!("0f{bits:08X}"),
        DType::F64 => format!("0d{bits:016X}"),
        DType::I8 => format!("0x{:04X}", bits as u8 as i8 as i16 as u16),
        DType::U8 | DType::I16 | DType::U16 | DType::F16 | DType::BF16 => {
            format!("0x{:04X}", bits as u16)
        }
        // non-negative 32/64-bit integers read best in decimal
        DType::I32 | DType::U32 if bits < 1 << 31 => bits.to_string(),
        DType::I64 | DType::U64 if bits < 1 << 63 => bits.to_string(),
        DType::I32 | DType::U32 => format!("0x{:08X}", bits as u32),
        DType::I64 | DType::U64 => format!("0x{bits:016X}"),
    }
}

impl Emitter<'_> {
    pub(crate) fn constant(&mut self, dtype: DType, dst: &str, value: Scalar) {
        let imm = immediate(dtype, value);
        self.mov(reg_class(dtype), dst, &imm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immediates_are_the_register_bits() {
        assert_eq!(immediate(DType::F32, Scalar::Float(1.0)), "0f3F800000");
        assert_eq!(immediate(DType::F32, Scalar::Float(-0.0)), "0f80000000");
        assert_eq!(
            immediate(DType::F64, Scalar::Float(1.0)),
            "0d3FF0000000000000"
        );
        assert_eq!(immediate(DType::F16, Scalar::Float(1.0)), "0x3C00");
        assert_eq!(immediate(DType::BF16, Scalar::Float(1.0)), "0x3F80");
        assert_eq!(immediate(DType::I8, Scalar::Int(-1)), "0xFFFF");
        assert_eq!(immediate(DType::U8, Scalar::Int(255)), "0x00FF");
        assert_eq!(immediate(DType::I32, Scalar::Int(-2)), "0xFFFFFFFE");
        assert_eq!(immediate(DType::I32, Scalar::Int(256)), "256");
        assert_eq!(
            immediate(DType::U64, Scalar::Int(1 << 63)),
            "0x8000000000000000"
        );
        assert_eq!(immediate(DType::Bool, Scalar::Bool(true)), "1");
    }
}
