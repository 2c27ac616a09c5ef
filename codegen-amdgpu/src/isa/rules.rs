//! Which operands and modifiers each instruction accepts. The encoder refuses
//! anything else, and the decoder refuses bytes whose instruction breaks a rule, so
//! that everything this layer decodes, it also prints the way LLVM does.

use super::error::EncodeError;
use super::format::Inst;
use super::opcode::{Fmt, OpInfo, Ty};
use super::operand::Operand;

/// Checks an instruction against its opcode's operand types and modifier rules.
pub fn check(inst: &Inst) -> Result<(), EncodeError> {
    let info = inst.op().info();
    match *inst {
        Inst::Sop2 {
            sdst, src0, src1, ..
        } => {
            expect_fmt(info, &[Fmt::Sop2])?;
            sdst_ok(info, "sdst", sdst, info.dst)?;
            ssrc_ok(info, "ssrc0", src0, info.src[0])?;
            ssrc_ok(info, "ssrc1", src1, info.src[1])?;
            one_literal(info, &[src0, src1])
        }
        Inst::Sop1 { sdst, src0, .. } => {
            expect_fmt(info, &[Fmt::Sop1])?;
            sdst_ok(info, "sdst", sdst, info.dst)?;
            // s_setpc_b64 jumps to an address held in registers, never a constant.
            if info.name == "s_setpc_b64" && !is_sreg_of(src0, Ty::B64) {
                return bad(info, "ssrc0", src0);
            }
            ssrc_ok(info, "ssrc0", src0, info.src[0])
        }
        Inst::Sopc { src0, src1, .. } => {
            expect_fmt(info, &[Fmt::Sopc])?;
            ssrc_ok(info, "ssrc0", src0, info.src[0])?;
            ssrc_ok(info, "ssrc1", src1, info.src[1])?;
            one_literal(info, &[src0, src1])
        }
        Inst::Sopk { sdst, .. } => {
            expect_fmt(info, &[Fmt::Sopk])?;
            sdst_ok(info, "sdst", sdst, info.dst)
        }
        Inst::Sopp { imm, .. } => {
            expect_fmt(info, &[Fmt::Sopp, Fmt::Mubuf])?;
            super::sopp::check_imm(info, imm)
        }
        Inst::Smem {
            sdata,
            sbase,
            soffset,
            offset,
            cache,
            ..
        } => {
            expect_fmt(info, &[Fmt::Smem])?;
            sgpr_tuple(info, "sdata", sdata, info.dst)?;
            sgpr_tuple(info, "sbase", sbase, Ty::R2)?;
            if !matches!(
                soffset,
                Operand::Null | Operand::Sgpr(0..=105) | Operand::M0
            ) {
                return bad(info, "soffset", soffset);
            }
            range(info, "offset", i64::from(offset), -(1 << 20), (1 << 20) - 1)?;
            if cache.slc {
                return Err(EncodeError::BadModifier {
                    op: info.name,
                    what: "slc",
                });
            }
            Ok(())
        }
        Inst::Valu { .. } => super::rules_valu::check_valu(inst, info),
        Inst::Vop3p {
            vdst, src, mods, ..
        } => super::rules_valu::check_vop3p(info, vdst, src, mods),
        Inst::Flat { .. } | Inst::Ds { .. } => super::rules_mem::check_mem(inst, info),
        Inst::Vopd { x, y } => super::vopd::check(&x, &y),
    }
}

pub(super) fn expect_fmt(info: &OpInfo, fmts: &[Fmt]) -> Result<(), EncodeError> {
    if fmts.contains(&info.fmt) {
        Ok(())
    } else {
        Err(EncodeError::WrongFormat {
            op: info.name,
            fmt: fmt_name(info.fmt),
        })
    }
}

pub fn fmt_name(fmt: Fmt) -> &'static str {
    match fmt {
        Fmt::Sop2 => "SOP2",
        Fmt::Sop1 => "SOP1",
        Fmt::Sopc => "SOPC",
        Fmt::Sopk => "SOPK",
        Fmt::Sopp => "SOPP",
        Fmt::Smem => "SMEM",
        Fmt::Vop1 => "VOP1",
        Fmt::Vop2 => "VOP2",
        Fmt::Vopc => "VOPC",
        Fmt::Vop3 => "VOP3",
        Fmt::Vop3p => "VOP3P",
        Fmt::Flat => "FLAT",
        Fmt::Scratch => "SCRATCH",
        Fmt::Global => "GLOBAL",
        Fmt::Ds => "DS",
        Fmt::Mubuf => "MUBUF",
        Fmt::Vopd => "VOPD",
    }
}

pub(super) fn bad(info: &OpInfo, slot: &'static str, o: Operand) -> Result<(), EncodeError> {
    Err(EncodeError::BadOperand {
        op: info.name,
        slot,
        operand: format!("{o:?}"),
    })
}

pub(super) fn range(
    info: &OpInfo,
    what: &'static str,
    v: i64,
    lo: i64,
    hi: i64,
) -> Result<(), EncodeError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(EncodeError::OutOfRange {
            op: info.name,
            what,
            value: v,
        })
    }
}

/// Whether `o` names a scalar register that can hold a value of type `ty`.
pub(super) fn is_sreg_of(o: Operand, ty: Ty) -> bool {
    match ty.dwords() {
        1 => o.is_sreg(),
        2 => {
            matches!(o, Operand::VccLo | Operand::ExecLo | Operand::Null)
                || matches!(o, Operand::Sgpr(n) if n % 2 == 0 && n < 105)
        }
        _ => false,
    }
}

/// Whether `o` is a constant allowed for type `ty`.
pub(super) fn is_const_of(o: Operand, ty: Ty) -> bool {
    match o {
        Operand::Float(_) if ty == Ty::I16 => false,
        Operand::Int(_) | Operand::Float(_) => ty.takes_constants() && o.code().is_some(),
        Operand::Literal(v) => {
            let fits = match ty {
                Ty::B16 | Ty::I16 => v <= 0xffff,
                _ => ty.takes_literal(),
            };
            fits && Operand::inline_for(v, ty).is_none()
        }
        _ => false,
    }
}

fn sdst_ok(info: &OpInfo, slot: &'static str, o: Operand, ty: Ty) -> Result<(), EncodeError> {
    let ok = match ty {
        Ty::N => o == Operand::None,
        _ => is_sreg_of(o, ty),
    };
    if ok { Ok(()) } else { bad(info, slot, o) }
}

fn ssrc_ok(info: &OpInfo, slot: &'static str, o: Operand, ty: Ty) -> Result<(), EncodeError> {
    let ok = match ty {
        Ty::N => o == Operand::None,
        _ => is_sreg_of(o, ty) || (ty.dwords() == 1 && o == Operand::Scc) || is_const_of(o, ty),
    };
    if ok { Ok(()) } else { bad(info, slot, o) }
}

/// An SGPR tuple of `ty.dwords()` registers, aligned as the hardware requires.
pub(super) fn sgpr_tuple(
    info: &OpInfo,
    slot: &'static str,
    o: Operand,
    ty: Ty,
) -> Result<(), EncodeError> {
    let w = ty.dwords();
    let align = w.min(4);
    let ok = match o {
        Operand::Sgpr(n) => n % align == 0 && u16::from(n) + u16::from(w) <= 106,
        _ => false,
    };
    if ok { Ok(()) } else { bad(info, slot, o) }
}

/// A VGPR tuple of `ty.dwords()` registers within v0-v255.
pub(super) fn vgpr_tuple(
    info: &OpInfo,
    slot: &'static str,
    o: Operand,
    ty: Ty,
) -> Result<(), EncodeError> {
    let ok = match o {
        Operand::Vgpr(n) => u16::from(n) + u16::from(ty.dwords()) <= 256,
        _ => false,
    };
    if ok { Ok(()) } else { bad(info, slot, o) }
}

/// At most one literal value per instruction (it is encoded once).
pub(super) fn one_literal(info: &OpInfo, ops: &[Operand]) -> Result<(), EncodeError> {
    let mut seen: Option<u32> = None;
    for v in ops.iter().filter_map(|o| o.literal()) {
        match seen {
            Some(a) if a != v => {
                return Err(EncodeError::TwoLiterals {
                    op: info.name,
                    a,
                    b: v,
                });
            }
            _ => seen = Some(v),
        }
    }
    Ok(())
}

pub(super) fn no_mod(info: &OpInfo, what: &'static str, set: bool) -> Result<(), EncodeError> {
    if set {
        Err(EncodeError::BadModifier {
            op: info.name,
            what,
        })
    } else {
        Ok(())
    }
}
