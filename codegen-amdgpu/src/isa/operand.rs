//! Operands: registers, inline constants and literals, and their 9-bit source codes
//! (s0-s105 = 0-105, vcc 106/107, null 124, m0 125, exec 126/127, integers 128-208,
//! float constants 240-248, scc 253, literal 255, v0-v255 = 256-511).

use super::opcode::Ty;

/// The float values that have an inline-constant encoding (codes 240-248).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatConst {
    Half,
    NegHalf,
    One,
    NegOne,
    Two,
    NegTwo,
    Four,
    NegFour,
    /// 1/(2*pi).
    InvTwoPi,
}

const FLOATS: [FloatConst; 9] = [
    FloatConst::Half,
    FloatConst::NegHalf,
    FloatConst::One,
    FloatConst::NegOne,
    FloatConst::Two,
    FloatConst::NegTwo,
    FloatConst::Four,
    FloatConst::NegFour,
    FloatConst::InvTwoPi,
];

impl FloatConst {
    /// The source code (240-248).
    pub fn code(self) -> u16 {
        240 + FLOATS.iter().position(|f| *f == self).unwrap_or(0) as u16
    }

    /// LLVM's spelling; 1/(2*pi) is spelled with more digits for f64 operands.
    pub fn text(self, f64_operand: bool) -> &'static str {
        match self {
            FloatConst::Half => "0.5",
            FloatConst::NegHalf => "-0.5",
            FloatConst::One => "1.0",
            FloatConst::NegOne => "-1.0",
            FloatConst::Two => "2.0",
            FloatConst::NegTwo => "-2.0",
            FloatConst::Four => "4.0",
            FloatConst::NegFour => "-4.0",
            FloatConst::InvTwoPi if f64_operand => "0.15915494309189532",
            FloatConst::InvTwoPi => "0.15915494",
        }
    }

    pub fn all() -> &'static [FloatConst] {
        &FLOATS
    }

    /// The value as f32 bits.
    pub fn f32_bits(self) -> u32 {
        const BITS: [u32; 9] = [
            0x3f00_0000,
            0xbf00_0000,
            0x3f80_0000,
            0xbf80_0000,
            0x4000_0000,
            0xc000_0000,
            0x4080_0000,
            0xc080_0000,
            0x3e22_f983,
        ];
        BITS[usize::from(self.code() - 240)]
    }

    /// The value as f16 bits.
    pub fn f16_bits(self) -> u16 {
        const BITS: [u16; 9] = [
            0x3800, 0xb800, 0x3c00, 0xbc00, 0x4000, 0xc000, 0x4400, 0xc400, 0x3118,
        ];
        BITS[usize::from(self.code() - 240)]
    }
}

/// One operand. Register operands name their first register; the width of a
/// register range comes from the opcode table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// The slot is not used by this instruction.
    None,
    /// s0-s105.
    Sgpr(u8),
    VccLo,
    VccHi,
    Null,
    M0,
    ExecLo,
    ExecHi,
    Scc,
    /// v0-v255.
    Vgpr(u8),
    /// Inline integer constant, -16..=64.
    Int(i8),
    Float(FloatConst),
    /// 32-bit literal dword following the instruction.
    Literal(u32),
}

pub const LITERAL_CODE: u16 = 255;
pub const NULL_CODE: u16 = 124;

impl Operand {
    /// The 9-bit source code, or None for operands that have none (`None`) or an
    /// out-of-range register or constant.
    pub fn code(self) -> Option<u16> {
        Some(match self {
            Operand::None => return None,
            Operand::Sgpr(n) if n <= 105 => u16::from(n),
            Operand::Sgpr(_) => return None,
            Operand::VccLo => 106,
            Operand::VccHi => 107,
            Operand::Null => NULL_CODE,
            Operand::M0 => 125,
            Operand::ExecLo => 126,
            Operand::ExecHi => 127,
            Operand::Int(n @ 0..=64) => 128 + n as u16,
            Operand::Int(n @ -16..=-1) => (192 - i16::from(n)) as u16,
            Operand::Int(_) => return None,
            Operand::Float(f) => f.code(),
            Operand::Scc => 253,
            Operand::Literal(_) => LITERAL_CODE,
            Operand::Vgpr(n) => 256 + u16::from(n),
        })
    }

    /// The operand a 9-bit source code names (`literal` supplies code 255's value).
    /// None for codes this layer does not model (trap registers, hardware registers).
    pub fn from_code(code: u16, literal: u32) -> Option<Operand> {
        Some(match code {
            0..=105 => Operand::Sgpr(code as u8),
            106 => Operand::VccLo,
            107 => Operand::VccHi,
            124 => Operand::Null,
            125 => Operand::M0,
            126 => Operand::ExecLo,
            127 => Operand::ExecHi,
            128..=192 => Operand::Int((code - 128) as i8),
            193..=208 => Operand::Int(-((code - 192) as i8)),
            240..=248 => Operand::Float(FLOATS[usize::from(code - 240)]),
            253 => Operand::Scc,
            255 => Operand::Literal(literal),
            256..=511 => Operand::Vgpr((code - 256) as u8),
            _ => return None,
        })
    }

    /// The inline constant whose bits equal `v` read as an operand of type `ty`, if
    /// any. A literal with such a value is not canonical: LLVM's disassembler prints it
    /// as the inline constant, and the assembler encodes it inline.
    pub fn inline_for(v: u32, ty: Ty) -> Option<Operand> {
        let (int, float) = match ty {
            Ty::B16 => (
                i32::from(v as u16 as i16),
                FLOATS.iter().find(|f| u32::from(f.f16_bits()) == v),
            ),
            Ty::I16 => (v as i32, None),
            _ => (v as i32, FLOATS.iter().find(|f| f.f32_bits() == v)),
        };
        let int_ok = match ty {
            Ty::I16 => (0..=64).contains(&int),
            _ => (-16..=64).contains(&int),
        };
        if ty.is_16bit() && v > 0xffff {
            None
        } else if int_ok {
            Some(Operand::Int(int as i8))
        } else {
            float.map(|f| Operand::Float(*f))
        }
    }

    /// A 32-bit constant as the operand that encodes it: inline when possible.
    pub fn constant(v: u32, ty: Ty) -> Operand {
        Operand::inline_for(v, ty).unwrap_or(Operand::Literal(v))
    }

    pub fn is_vgpr(self) -> bool {
        matches!(self, Operand::Vgpr(_))
    }

    /// Whether the operand is a scalar register (an SGPR or a named scalar register).
    pub fn is_sreg(self) -> bool {
        matches!(
            self,
            Operand::Sgpr(_)
                | Operand::VccLo
                | Operand::VccHi
                | Operand::Null
                | Operand::M0
                | Operand::ExecLo
                | Operand::ExecHi
        )
    }

    pub fn is_constant(self) -> bool {
        matches!(
            self,
            Operand::Int(_) | Operand::Float(_) | Operand::Literal(_)
        )
    }

    pub fn literal(self) -> Option<u32> {
        match self {
            Operand::Literal(v) => Some(v),
            _ => None,
        }
    }
}
