//! VOPD (gfx11 dual issue, wave32): two VALU operations, X and Y, in one instruction.
//! Both halves read their sources before either writes, so Y may read X's destination
//! and gets the old value.
//!
//! Layout (learned from `llvm-mc-19 -show-encoding`; tests/data/encodings.txt checks it):
//! - dword 0: `0b110010` [31:26], OPX [25:22], OPY [21:17], VSRCX1 [16:9], SRCX0 [8:0]
//! - dword 1: VDSTX [31:24], VDSTY [23:17], VSRCY1 [16:9], SRCY0 [8:0]
//!
//! VDSTY holds bits 7:1 of Y's destination; bit 0 is the opposite of VDSTX's bit 0, so
//! one destination is always even and the other odd. One literal dword follows when
//! either SRC0 is the literal code or either half is `v_dual_fmaak/fmamk_f32` (their
//! K); the halves share it, so an instruction holds at most one literal value.
//!
//! [`pairing`] states the operand rules the hardware needs beyond the encoding (VGPR
//! bank conflicts, scalar reads). The encoder and decoder do not apply them, as LLVM's
//! disassembler does not; the emulator does.

use super::error::EncodeError;
use super::format::{Dual, Inst};
use super::opcode::{Class, Fmt, Op, OpInfo, Ty};
use super::operand::{LITERAL_CODE, Operand};
use super::print::operand_text;
use super::rules::{bad, is_const_of, one_literal};
use thiserror::Error;

/// Bits 31:26 of the first dword.
pub const ENCODING: u32 = 0b11_0010;
/// Opcodes from this value up exist only as the Y half.
pub const Y_ONLY: u16 = 0x10;

/// The source slot holding K, the literal of `v_dual_fmaak/fmamk_f32`.
pub fn k_slot(info: &OpInfo) -> Option<usize> {
    match info.class {
        Class::KLast => Some(2),
        Class::KMid => Some(1),
        _ => None,
    }
}

/// The source slot holding the VGPR-only second source (VSRC1), if the op has one.
pub fn vsrc1_slot(info: &OpInfo) -> Option<usize> {
    match info.class {
        Class::KMid => Some(2),
        _ if info.num_src() >= 2 => Some(1),
        _ => None,
    }
}

/// The VGPR a half reads through the SRC2 port: the accumulator (its destination) of
/// `v_dual_fmac`/`dot2acc`, the VSRC1 of `v_dual_fmamk` (S0 * K + S1 reads S1 there).
pub fn src2_vgpr(d: &Dual) -> Option<u8> {
    let info = d.op.info();
    let o = match info.class {
        Class::DualAcc => d.vdst,
        Class::KMid => d.src[2],
        _ => return None,
    };
    vgpr(o)
}

/// The VGPR a half reads through the SRC1 port (fmamk's VSRC1 uses SRC2 instead).
fn src1_vgpr(d: &Dual) -> Option<u8> {
    match d.op.info().class {
        Class::KMid => None,
        _ => vsrc1_slot(d.op.info()).and_then(|i| vgpr(d.src[i])),
    }
}

fn vgpr(o: Operand) -> Option<u8> {
    match o {
        Operand::Vgpr(r) => Some(r),
        _ => None,
    }
}

/// The two dwords (the literal, if any, is appended by the caller).
pub(super) fn encode_words(x: &Dual, y: &Dual) -> [u32; 2] {
    let code = |d: &Dual| u32::from(d.op.info().code);
    let src0 = |d: &Dual| u32::from(d.src[0].code().unwrap_or(0));
    let vsrc1 = |d: &Dual| {
        let slot = vsrc1_slot(d.op.info());
        slot.and_then(|i| vgpr(d.src[i])).map_or(0, u32::from)
    };
    let dst = |d: &Dual| vgpr(d.vdst).map_or(0, u32::from);
    let w0 = (ENCODING << 26) | (code(x) << 22) | (code(y) << 17) | (vsrc1(x) << 9) | src0(x);
    let w1 = (dst(x) << 24) | ((dst(y) >> 1) << 17) | (vsrc1(y) << 9) | src0(y);
    [w0, w1]
}

/// The literal dword, if the instruction carries one.
pub(super) fn literal(x: &Dual, y: &Dual) -> Option<u32> {
    x.src.iter().chain(&y.src).find_map(|o| o.literal())
}

/// Why two dwords are not a VOPD this layer models.
pub(super) enum FieldError {
    /// `(half, code)`: an opcode LLVM 19 does not accept in that half.
    Opcode(&'static str, u16),
    /// `(op, field)`.
    Field(&'static str, &'static str),
}

/// The fields of the two dwords.
pub(super) struct Fields {
    w0: u32,
    w1: u32,
}

fn bits(w: u32, lo: u32, n: u32) -> u32 {
    (w >> lo) & ((1 << n) - 1)
}

impl Fields {
    pub(super) fn new(w0: u32, w1: u32) -> Fields {
        Fields { w0, w1 }
    }

    fn opx(&self) -> u16 {
        bits(self.w0, 22, 4) as u16
    }

    fn opy(&self) -> u16 {
        bits(self.w0, 17, 5) as u16
    }

    /// Whether a literal dword follows the two.
    pub(super) fn needs_literal(&self) -> bool {
        let k = |code: u16| code == 1 || code == 2;
        bits(self.w0, 0, 9) == u32::from(LITERAL_CODE)
            || bits(self.w1, 0, 9) == u32::from(LITERAL_CODE)
            || k(self.opx())
            || k(self.opy())
    }

    /// The instruction, `lit` being the literal dword (0 when there is none).
    pub(super) fn inst(&self, lit: u32) -> Result<Inst, FieldError> {
        let op = |half: &'static str, code: u16| {
            Op::by_code(Fmt::Vopd, code).ok_or(FieldError::Opcode(half, code))
        };
        // OPX has 4 bits, so the Y-only opcodes cannot appear there.
        let opx = op("VOPD X", self.opx())?;
        let opy = op("VOPD Y", self.opy())?;
        let vdstx = bits(self.w1, 24, 8);
        let vdsty = (bits(self.w1, 17, 7) << 1) | (!vdstx & 1);
        let x = half(opx, vdstx, bits(self.w0, 0, 9), bits(self.w0, 9, 8), lit)?;
        let y = half(opy, vdsty, bits(self.w1, 0, 9), bits(self.w1, 9, 8), lit)?;
        Ok(Inst::Vopd { x, y })
    }
}

fn half(op: Op, vdst: u32, src0: u32, vsrc1: u32, lit: u32) -> Result<Dual, FieldError> {
    let info = op.info();
    let src0 = Operand::from_code(src0 as u16, lit).ok_or(FieldError::Field(info.name, "src0"))?;
    let mut src = [src0, Operand::None, Operand::None];
    match vsrc1_slot(info) {
        Some(i) => src[i] = Operand::Vgpr(vsrc1 as u8),
        // v_dual_mov_b32 has no VSRC1; LLVM refuses the encoding unless the field is 0.
        None if vsrc1 != 0 => return Err(FieldError::Field(info.name, "unused vsrc1 field")),
        None => {}
    }
    if let Some(i) = k_slot(info) {
        src[i] = Operand::Literal(lit);
    }
    Ok(Dual {
        op,
        vdst: Operand::Vgpr(vdst as u8),
        src,
    })
}

/// The operand rules the encoding itself imposes: opcodes valid in their half, VGPR
/// destinations of opposite parity, a VGPR in VSRC1, K a literal, one literal value.
pub(super) fn check(x: &Dual, y: &Dual) -> Result<(), EncodeError> {
    for d in [x, y] {
        check_half(d)?;
    }
    let xi = x.op.info();
    if xi.code >= Y_ONLY {
        return Err(EncodeError::WrongFormat {
            op: xi.name,
            fmt: "VOPD Y (it has no X form)",
        });
    }
    if let (Some(a), Some(b)) = (vgpr(x.vdst), vgpr(y.vdst))
        && a % 2 == b % 2
    {
        return bad(y.op.info(), "vdst (must differ from X's in parity)", y.vdst);
    }
    let all: Vec<Operand> = x.src.iter().chain(&y.src).copied().collect();
    one_literal(xi, &all)
}

fn check_half(d: &Dual) -> Result<(), EncodeError> {
    let info = d.op.info();
    if info.fmt != Fmt::Vopd {
        return Err(EncodeError::WrongFormat {
            op: info.name,
            fmt: "VOPD",
        });
    }
    if !d.vdst.is_vgpr() {
        return bad(info, "vdst", d.vdst);
    }
    let src0 = d.src[0];
    let src0_ok =
        src0.is_vgpr() || (src0.is_sreg() && src0 != Operand::Null) || is_const_of(src0, Ty::B32);
    if !src0_ok {
        return bad(info, "src0", src0);
    }
    for (i, &o) in d.src.iter().enumerate().skip(1) {
        let ok = if Some(i) == k_slot(info) {
            o.literal().is_some()
        } else if Some(i) == vsrc1_slot(info) {
            o.is_vgpr()
        } else {
            o == Operand::None
        };
        if !ok {
            return bad(info, ["src0", "src1", "src2"][i], o);
        }
    }
    Ok(())
}

/// One half in LLVM's syntax (`v_dual_mul_f32 v0, v1, v2`).
fn half_text(d: &Dual) -> String {
    let ops: Vec<String> = std::iter::once(&d.vdst)
        .chain(d.src.iter())
        .filter(|o| **o != Operand::None)
        .map(|o| operand_text(*o, Ty::B32))
        .collect();
    format!("{} {}", d.op.name(), ops.join(", "))
}

/// The instruction in LLVM's syntax: `X :: Y`.
pub(super) fn print(x: &Dual, y: &Dual) -> String {
    format!("{} :: {}", half_text(x), half_text(y))
}

/// A hardware rule a VOPD breaks (RDNA3 ISA guide, "VOPD"; the same rules llvm-mc-19
/// refuses to assemble).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PairingError {
    #[error(
        "VOPD rule: SRCX0 v{x} and SRCY0 v{y} are in the same VGPR bank (register mod 4 = {bank})"
    )]
    Src0Bank { x: u8, y: u8, bank: u8 },
    #[error(
        "VOPD rule: VSRCX1 v{x} and VSRCY1 v{y} are in the same VGPR bank (register mod 4 = {bank})"
    )]
    Src1Bank { x: u8, y: u8, bank: u8 },
    #[error(
        "VOPD rule: both halves read through the SRC2 port (v{x}, v{y}); one register must be even and the other odd"
    )]
    Src2Parity { x: u8, y: u8 },
    #[error(
        "VOPD rule: the pair reads {count} scalar values ({what}); at most 2 (SGPRs, VCC_LO of v_dual_cndmask, the literal)"
    )]
    ScalarReads { count: usize, what: String },
}

/// Checks the operand rules of a VOPD pair that the encoding does not enforce:
/// - SRCX0/SRCY0 and VSRCX1/VSRCY1, when both are VGPRs, must be in different banks
///   (bank = register mod 4; each bank's cache has one port per source slot);
/// - two SRC2-port reads (fmac/dot2acc accumulators, fmamk's VSRC1) differ in parity;
/// - at most two scalar values are read in all: distinct SGPRs (VCC_LO for
///   `v_dual_cndmask_b32`) plus the literal.
pub fn pairing(x: &Dual, y: &Dual) -> Result<(), PairingError> {
    if let (Some(a), Some(b)) = (vgpr(x.src[0]), vgpr(y.src[0]))
        && a % 4 == b % 4
    {
        return Err(PairingError::Src0Bank {
            x: a,
            y: b,
            bank: a % 4,
        });
    }
    if let (Some(a), Some(b)) = (src1_vgpr(x), src1_vgpr(y))
        && a % 4 == b % 4
    {
        return Err(PairingError::Src1Bank {
            x: a,
            y: b,
            bank: a % 4,
        });
    }
    if let (Some(a), Some(b)) = (src2_vgpr(x), src2_vgpr(y))
        && a % 2 == b % 2
    {
        return Err(PairingError::Src2Parity { x: a, y: b });
    }
    scalar_reads(x, y)
}

fn scalar_reads(x: &Dual, y: &Dual) -> Result<(), PairingError> {
    let mut regs: Vec<Operand> = Vec::new();
    for d in [x, y] {
        let src0 = d.src[0];
        if src0.is_sreg() && src0 != Operand::Null && !regs.contains(&src0) {
            regs.push(src0);
        }
        if d.op.info().class == Class::CndMask && !regs.contains(&Operand::VccLo) {
            regs.push(Operand::VccLo);
        }
    }
    let mut what: Vec<String> = regs.iter().map(|o| operand_text(*o, Ty::B32)).collect();
    if let Some(v) = literal(x, y) {
        what.push(format!("literal {v:#x}"));
    }
    if what.len() > 2 {
        return Err(PairingError::ScalarReads {
            count: what.len(),
            what: what.join(", "),
        });
    }
    Ok(())
}
