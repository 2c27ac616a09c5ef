//! The instruction value: one variant per encoding family, holding exactly the fields
//! that family encodes. Unused operand slots hold `Operand::None`, so equal
//! instructions have equal encodings and `decode(encode(x)) == x`.

use super::opcode::Op;
use super::operand::Operand;

/// VOP3/VOP3SD modifiers. Bit i of `neg`/`abs` applies to source i.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mods {
    pub neg: u8,
    pub abs: u8,
    pub clamp: bool,
    /// Output modifier: 0 none, 1 mul:2, 2 mul:4, 3 div:2.
    pub omod: u8,
}

/// VOP3P modifiers. Bit i applies to source i.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PMods {
    pub neg_lo: u8,
    pub neg_hi: u8,
    pub op_sel: u8,
    pub op_sel_hi: u8,
    pub clamp: bool,
}

/// Cache-policy bits of memory instructions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cache {
    pub glc: bool,
    pub slc: bool,
    pub dlc: bool,
}

/// One half (X or Y) of a VOPD instruction. `src` holds the sources in the order LLVM
/// writes them: `src0` (any 32-bit source), then the VGPR-only `vsrc1`, with the K
/// literal of `v_dual_fmaak_f32` last and of `v_dual_fmamk_f32` in the middle.
/// `v_dual_cndmask_b32` reads VCC_LO implicitly; `v_dual_fmac_f32` and
/// `v_dual_dot2acc_f32_f16` read `vdst` as their accumulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dual {
    pub op: Op,
    pub vdst: Operand,
    pub src: [Operand; 3],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Inst {
    Sop2 {
        op: Op,
        sdst: Operand,
        src0: Operand,
        src1: Operand,
    },
    Sop1 {
        op: Op,
        sdst: Operand,
        src0: Operand,
    },
    Sopc {
        op: Op,
        src0: Operand,
        src1: Operand,
    },
    Sopk {
        op: Op,
        sdst: Operand,
        imm: u16,
    },
    /// Branch immediates are signed dword offsets from the next instruction.
    Sopp {
        op: Op,
        imm: u16,
    },
    /// `soffset` is `Operand::Null` when only the immediate offset is used.
    Smem {
        op: Op,
        sdata: Operand,
        sbase: Operand,
        soffset: Operand,
        offset: i32,
        cache: Cache,
    },
    /// VOP1, VOP2, VOPC, VOP3 and VOP3SD. `e64` selects the VOP3 encoding of a
    /// VOP1/VOP2/VOPC opcode (always true for VOP3-only opcodes). `sdst` is the
    /// VOP3SD scalar destination; a VOPC's SGPR destination is `vdst`.
    Valu {
        op: Op,
        e64: bool,
        vdst: Operand,
        sdst: Operand,
        src: [Operand; 3],
        mods: Mods,
    },
    Vop3p {
        op: Op,
        vdst: Operand,
        src: [Operand; 3],
        mods: PMods,
    },
    /// FLAT and GLOBAL. `saddr` is `Operand::Null` for `off` (64-bit VGPR address).
    /// For atomics `cache.glc` selects the returning form, which writes `vdst`.
    Flat {
        op: Op,
        vdst: Operand,
        addr: Operand,
        data: Operand,
        saddr: Operand,
        offset: i16,
        cache: Cache,
    },
    Ds {
        op: Op,
        vdst: Operand,
        addr: Operand,
        data0: Operand,
        data1: Operand,
        offset0: u8,
        offset1: u8,
        gds: bool,
    },
    /// VOPD: X and Y issue together, each reading its sources before either writes
    /// (`isa::vopd`).
    Vopd {
        x: Dual,
        y: Dual,
    },
}

impl Inst {
    pub fn op(&self) -> Op {
        match *self {
            Inst::Sop2 { op, .. }
            | Inst::Sop1 { op, .. }
            | Inst::Sopc { op, .. }
            | Inst::Sopk { op, .. }
            | Inst::Sopp { op, .. }
            | Inst::Smem { op, .. }
            | Inst::Valu { op, .. }
            | Inst::Vop3p { op, .. }
            | Inst::Flat { op, .. }
            | Inst::Ds { op, .. } => op,
            // A VOPD is named by its X half (its Y half is `y.op`).
            Inst::Vopd { x, .. } => x.op,
        }
    }

    /// The DS byte offset of single-address forms (`offset1:offset0`).
    pub fn ds_offset(offset0: u8, offset1: u8) -> u16 {
        u16::from(offset0) | (u16::from(offset1) << 8)
    }
}
