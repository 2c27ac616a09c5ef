//! Operand rules of memory instructions (FLAT/GLOBAL and DS).

use super::error::EncodeError;
use super::format::Inst;
use super::opcode::{Class, Fmt, OpInfo, Ty};
use super::operand::Operand;
use super::rules::{bad, expect_fmt, range, sgpr_tuple, vgpr_tuple};

pub(super) fn check_mem(inst: &Inst, info: &OpInfo) -> Result<(), EncodeError> {
    match *inst {
        Inst::Flat {
            vdst,
            addr,
            data,
            saddr,
            offset,
            cache,
            ..
        } => {
            expect_fmt(info, &[Fmt::Flat, Fmt::Scratch, Fmt::Global])?;
            match (info.fmt, saddr) {
                (Fmt::Scratch, _) => {
                    if !matches!(saddr, Operand::Null | Operand::Sgpr(0..=105)) {
                        return bad(info, "saddr", saddr);
                    }
                    if addr != Operand::None {
                        vgpr_tuple(info, "vaddr", addr, Ty::R1)?;
                    }
                }
                (_, Operand::Null) => vgpr_tuple(info, "vaddr", addr, Ty::R2)?,
                (Fmt::Global, _) => {
                    sgpr_tuple(info, "saddr", saddr, Ty::R2)?;
                    vgpr_tuple(info, "vaddr", addr, Ty::R1)?;
                }
                _ => return bad(info, "saddr", saddr),
            }
            let returns = match info.class {
                Class::Load => true,
                Class::Atomic => cache.glc,
                _ => false,
            };
            opt_vgpr(info, "vdst", vdst, returns, info.dst)?;
            opt_vgpr(info, "vdata", data, info.class != Class::Load, info.src[1])?;
            let lo = if info.fmt == Fmt::Flat { 0 } else { -4096 };
            range(info, "offset", i64::from(offset), lo, 4095)
        }
        Inst::Ds {
            vdst,
            addr,
            data0,
            data1,
            gds,
            ..
        } => {
            expect_fmt(info, &[Fmt::Ds])?;
            // Lane permutes work within a wave's VGPRs; they have no GDS form.
            if gds && (info.class == Class::Swizzle || info.name.contains("permute")) {
                return Err(EncodeError::BadModifier {
                    op: info.name,
                    what: "gds",
                });
            }
            vgpr_tuple(info, "addr", addr, Ty::R1)?;
            let c = info.class;
            let has_dst = matches!(c, Class::Load | Class::Load2 | Class::Rtn | Class::Swizzle);
            let has_d0 = matches!(c, Class::Store | Class::Store2 | Class::Rtn);
            opt_vgpr(info, "vdst", vdst, has_dst, info.dst)?;
            opt_vgpr(info, "data0", data0, has_d0, info.src[1])?;
            opt_vgpr(info, "data1", data1, c == Class::Store2, info.src[2])
        }
        _ => expect_fmt(info, &[]),
    }
}

/// A VGPR tuple when `present`, else `Operand::None`.
fn opt_vgpr(
    info: &OpInfo,
    slot: &'static str,
    o: Operand,
    present: bool,
    ty: Ty,
) -> Result<(), EncodeError> {
    if present {
        vgpr_tuple(info, slot, o, ty)
    } else if o == Operand::None {
        Ok(())
    } else {
        bad(info, slot, o)
    }
}
