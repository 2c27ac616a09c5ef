//! Element types of tensors.

use std::fmt;

/// The element type of a tensor. Every backend must say which of these it supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    BF16,
    F32,
    F64,
}

impl DType {
    /// Every dtype, in a fixed order (used by tests and by "did you mean" suggestions).
    pub const ALL: [DType; 13] = [
        DType::Bool,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    /// The name used in `.egir` text and in messages.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "i8",
            DType::I16 => "i16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::U8 => "u8",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// Parses a dtype name as written in `.egir` text.
    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Storage size of one element in bytes (bool is stored as one byte).
    pub fn size_bytes(self) -> usize {
        self.bits().div_ceil(8) as usize
    }

    /// Width in bits of the value (1 for bool).
    pub fn bits(self) -> u32 {
        match self {
            DType::Bool => 1,
            DType::I8 | DType::U8 => 8,
            DType::I16 | DType::U16 | DType::F16 | DType::BF16 => 16,
            DType::I32 | DType::U32 | DType::F32 => 32,
            DType::I64 | DType::U64 | DType::F64 => 64,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    pub fn is_int(self) -> bool {
        self.is_signed_int() || self.is_unsigned_int()
    }

    pub fn is_signed_int(self) -> bool {
        matches!(self, DType::I8 | DType::I16 | DType::I32 | DType::I64)
    }

    pub fn is_unsigned_int(self) -> bool {
        matches!(self, DType::U8 | DType::U16 | DType::U32 | DType::U64)
    }

    pub fn is_bool(self) -> bool {
        self == DType::Bool
    }

    /// Numbers that arithmetic applies to: ints and floats, not bool.
    pub fn is_numeric(self) -> bool {
        self.is_int() || self.is_float()
    }

    /// Smallest and largest value of an integer dtype (bool counts as 0..=1).
    pub fn int_range(self) -> Option<(i128, i128)> {
        if self.is_bool() {
            return Some((0, 1));
        }
        if self.is_signed_int() {
            let b = self.bits() - 1;
            return Some((-(1i128 << b), (1i128 << b) - 1));
        }
        if self.is_unsigned_int() {
            return Some((0, (1i128 << self.bits()) - 1));
        }
        None
    }

    /// Significand precision of a float dtype in bits, counting the implicit bit.
    pub fn float_precision(self) -> Option<u32> {
        match self {
            DType::F16 => Some(11),
            DType::BF16 => Some(8),
            DType::F32 => Some(24),
            DType::F64 => Some(53),
            _ => None,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
