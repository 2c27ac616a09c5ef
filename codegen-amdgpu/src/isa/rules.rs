//! Which operands and modifiers each instruction accepts. The encoder refuses
//! anything else, and the decoder refuses bytes whose instruction breaks a rule, so
//! that everything this layer decodes, it also prints the way LLVM does.

use super::error::EncodeError;
use super::format::{Inst, Mods, PMods};
use super::opcode::{Class, Fmt, OpInfo, Ty};
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
            expect_fmt(info, &[Fmt::Sopp])?;
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
        } => check_vop3p(info, vdst, src, mods),
        Inst::Flat { .. } | Inst::Ds { .. } => super::rules_mem::check_mem(inst, info),
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

/// VALU modifiers the opcode's class allows (see `Class`); `n` sources take them.
pub(super) fn mods_ok(info: &OpInfo, m: Mods, n: usize) -> Result<(), EncodeError> {
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

fn check_vop3p(
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
