//! Operand and modifier rules of VALU instructions (VOP1, VOP2, VOPC, VOP3, VOP3SD).

use super::error::EncodeError;
use super::format::{Inst, Mods};
use super::opcode::{Class, Fmt, OpInfo, Ty};
use super::operand::Operand;
use super::rules::{
    bad, expect_fmt, is_const_of, is_sreg_of, mods_ok, no_mod, one_literal, vgpr_tuple,
};

const SLOTS: [&str; 3] = ["src0", "src1", "src2"];

pub(super) fn check_valu(inst: &Inst, info: &OpInfo) -> Result<(), EncodeError> {
    let Inst::Valu {
        e64,
        vdst,
        sdst,
        src,
        mods,
        ..
    } = *inst
    else {
        return expect_fmt(info, &[]);
    };
    expect_fmt(info, &[Fmt::Vop1, Fmt::Vop2, Fmt::Vopc, Fmt::Vop3])?;
    if info.fmt == Fmt::Vop3 {
        no_mod(info, "_e32 form", !e64)?;
    }
    if e64 {
        no_mod(info, "_e64 form", info.fmt != Fmt::Vop3 && !info.has_e64())?;
        mods_ok(info, mods, info.num_src())?;
    } else {
        no_mod(
            info,
            "VOP3 modifiers in the _e32 form",
            mods != Mods::default(),
        )?;
    }
    check_vdst(info, e64, vdst)?;
    check_sdst(info, e64, sdst)?;
    for (i, (o, ty)) in src.iter().zip(info.src).enumerate() {
        check_src(info, e64, i, *o, ty)?;
    }
    if !e64 {
        lo128(info, "vdst", vdst, info.dst)?;
        lo128(info, "src0", src[0], info.src[0])?;
        lo128(info, "src1", src[1], info.src[1])?;
    }
    one_literal(info, &src)
}

/// In the 32-bit encodings a 16-bit operand's VGPR field uses bit 7 to pick the high
/// half (true16), so only v0-v127 name whole registers there.
fn lo128(info: &OpInfo, slot: &'static str, o: Operand, ty: Ty) -> Result<(), EncodeError> {
    match o {
        Operand::Vgpr(n) if ty.is_16bit() && n >= 128 => bad(info, slot, o),
        _ => Ok(()),
    }
}

fn check_vdst(info: &OpInfo, e64: bool, o: Operand) -> Result<(), EncodeError> {
    let ok = match (info.fmt, info.class, info.dst) {
        (Fmt::Vopc, _, _) if !e64 => o == Operand::VccLo,
        (Fmt::Vopc, _, _) | (_, Class::ReadLane, _) => o.is_sreg(),
        (_, _, Ty::N) => o == Operand::None,
        (_, _, ty) => vgpr_tuple(info, "vdst", o, ty).is_ok(),
    };
    if ok { Ok(()) } else { bad(info, "vdst", o) }
}

fn check_sdst(info: &OpInfo, e64: bool, o: Operand) -> Result<(), EncodeError> {
    let ok = match info.class {
        Class::CoCi if !e64 => o == Operand::VccLo,
        Class::CoCi | Class::Sd | Class::SdFloat => is_mask_reg(o),
        _ => o == Operand::None,
    };
    if ok { Ok(()) } else { bad(info, "sdst", o) }
}

/// A lane mask held in a scalar register other than EXEC (LLVM's SReg_1_XEXEC).
fn is_mask_reg(o: Operand) -> bool {
    o.is_sreg() && !matches!(o, Operand::ExecLo | Operand::ExecHi)
}

fn check_src(info: &OpInfo, e64: bool, i: usize, o: Operand, ty: Ty) -> Result<(), EncodeError> {
    let slot = SLOTS[i];
    let carry = i == 2 && matches!(info.class, Class::CndMask | Class::CoCi);
    let vgpr = matches!(o, Operand::Vgpr(_)) && vgpr_tuple(info, slot, o, ty).is_ok();
    let scalar = is_sreg_of(o, ty) || (ty.dwords() == 1 && o == Operand::Scc);
    let ok = match ty {
        Ty::N => o == Operand::None,
        _ if carry && !e64 => o == Operand::VccLo,
        _ if carry => is_mask_reg(o),
        // VOP2/VOPC src1 is an 8-bit VGPR field.
        _ if i == 1 && !e64 => vgpr,
        _ => match (info.name, i) {
            ("v_readlane_b32" | "v_readfirstlane_b32", 0) => vgpr,
            ("v_readlane_b32" | "v_writelane_b32", _) => scalar || is_const_of(o, ty),
            _ => vgpr || scalar || is_const_of(o, ty),
        },
    };
    if ok { Ok(()) } else { bad(info, slot, o) }
}
