//! Operand and modifier rules of VALU instructions (VOP1, VOP2, VOPC, VOP3, VOP3SD,
//! VOP3P).

use super::error::EncodeError;
use super::format::{Inst, Mods, PMods};
use super::opcode::{Class, Fmt, OpInfo, Ty};
use super::operand::Operand;
use super::rules::{bad, expect_fmt, is_const_of, is_sreg_of, no_mod, one_literal, vgpr_tuple};

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
        lo128(info, "src2", src[2], info.src[2])?;
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
        // v_cmpx writes EXEC, named by no operand.
        (Fmt::Vopc, _, Ty::N) => o == Operand::None,
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
    let k_slot = match info.class {
        Class::KLast => Some(2),
        Class::KMid => Some(1),
        _ => None,
    };
    let ok = match ty {
        Ty::N => o == Operand::None,
        // K is a literal dword whatever its value (LLVM prints it in hex even when an
        // inline constant has the same value); a 16-bit K fits 16 bits.
        _ if k_slot == Some(i) => o.literal().is_some_and(|v| !ty.is_16bit() || v <= 0xffff),
        // The other VGPR-only source of v_fmaak/fmamk.
        _ if k_slot.is_some() && i > 0 => vgpr,
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

/// VALU modifiers the opcode's class allows (see `Class`); `n` sources take them.
fn mods_ok(info: &OpInfo, m: Mods, n: usize) -> Result<(), EncodeError> {
    let (neg, abs, clamp, omod) = match info.class {
        Class::Float => (true, true, true, true),
        Class::FloatOut => (false, false, true, true),
        Class::FloatIn => (true, true, false, false),
        Class::Clamp | Class::Sd => (false, false, true, false),
        Class::NoOmod => (true, true, true, false),
        Class::SdFloat => (true, false, true, true),
        Class::CndMask => (true, true, false, false),
        _ => (false, false, false, false),
    };
    // CndMask's src2 is the condition mask, which takes no modifier.
    let n = if info.class == Class::CndMask { 2 } else { n };
    let mut used = ((1u16 << n) - 1) as u8;
    // The exponent of ldexp and the class mask of cmp_class are integers: LLVM reads a
    // neg bit there as sign extension and ignores abs.
    let int_src1 = info.name.starts_with("v_ldexp_") || info.name.starts_with("v_cmp_class_");
    if int_src1 {
        used &= !2;
    }
    let clamp = clamp && !info.name.starts_with("v_cmp_class_");
    no_mod(info, "neg", m.neg & !(if neg { used } else { 0 }) != 0)?;
    no_mod(info, "abs", m.abs & !(if abs { used } else { 0 }) != 0)?;
    no_mod(info, "clamp", m.clamp && !clamp)?;
    no_mod(info, "omod", m.omod != 0 && !omod)?;
    no_mod(info, "omod", m.omod > 3)
}

pub(super) fn check_vop3p(
    info: &OpInfo,
    vdst: Operand,
    src: [Operand; 3],
    m: PMods,
) -> Result<(), EncodeError> {
    expect_fmt(info, &[Fmt::Vop3p])?;
    vgpr_tuple(info, "vdst", vdst, info.dst)?;
    let n = info.num_src();
    for (i, (o, ty)) in src.iter().zip(info.src).enumerate() {
        let slot = ["src0", "src1", "src2"][i];
        let ok = match ty {
            Ty::N => *o == Operand::None,
            Ty::B32 => {
                o.is_vgpr() || o.is_sreg() || matches!(o, Operand::Int(_) | Operand::Float(_))
            }
            _ => vgpr_tuple(info, slot, *o, ty).is_ok(),
        };
        if !ok {
            return bad(info, slot, *o);
        }
    }
    let used = ((1u16 << n) - 1) as u8;
    let (neg, default_hi) = match info.class {
        Class::Packed if info.name.contains("f16") => (used, 0b111),
        Class::Packed => (0, 0b111),
        Class::Mix => (0, 0),
        _ => (0, 0b111),
    };
    no_mod(info, "neg_lo", m.neg_lo & !neg != 0)?;
    no_mod(info, "neg_hi", m.neg_hi & !neg != 0)?;
    no_mod(
        info,
        "op_sel",
        m.op_sel & !used != 0 || (info.class == Class::Wmma && m.op_sel != 0),
    )?;
    // Sources an instruction lacks keep op_sel_hi at its default; WMMA takes none.
    let fixed = if info.class == Class::Wmma {
        0b111
    } else {
        0b111 & !used
    };
    no_mod(
        info,
        "op_sel_hi",
        (m.op_sel_hi ^ default_hi) & fixed != 0 || m.op_sel_hi > 7,
    )?;
    no_mod(info, "clamp", m.clamp && info.class == Class::Wmma)
}
