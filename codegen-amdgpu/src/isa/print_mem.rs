//! Assembly text of memory instructions (FLAT/GLOBAL and DS), as LLVM prints them.

use super::format::Inst;
use super::opcode::{Class, Fmt, OpInfo, Ty};
use super::operand::Operand;
use super::print::{cache_flags, operand_text};

pub(super) fn mem(inst: &Inst, info: &OpInfo) -> (String, Vec<String>, Vec<String>) {
    let t = operand_text;
    let mut ops = Vec::new();
    let mut suffix = Vec::new();
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
            if vdst != Operand::None {
                ops.push(t(vdst, info.dst));
            }
            let scratch = info.fmt == Fmt::Scratch;
            let addr_ty = if saddr == Operand::Null && !scratch {
                Ty::R2
            } else {
                Ty::R1
            };
            ops.push(match addr {
                Operand::None => "off".to_string(),
                a => t(a, addr_ty),
            });
            if data != Operand::None {
                ops.push(t(data, info.src[1]));
            }
            if info.fmt != Fmt::Flat {
                let saddr_ty = if scratch { Ty::R1 } else { Ty::R2 };
                ops.push(match saddr {
                    Operand::Null => "off".to_string(),
                    s => t(s, saddr_ty),
                });
            }
            if offset != 0 {
                suffix.push(format!("offset:{offset}"));
            }
            suffix.extend(cache_flags(cache));
        }
        Inst::Ds {
            vdst,
            addr,
            data0,
            data1,
            offset0,
            offset1,
            gds,
            ..
        } => {
            for (o, ty) in [
                (vdst, info.dst),
                (addr, Ty::R1),
                (data0, info.src[1]),
                (data1, info.src[2]),
            ] {
                if o != Operand::None {
                    ops.push(t(o, ty));
                }
            }
            let offset = Inst::ds_offset(offset0, offset1);
            match info.class {
                Class::Load2 | Class::Store2 => {
                    if offset0 != 0 {
                        suffix.push(format!("offset0:{offset0}"));
                    }
                    if offset1 != 0 {
                        suffix.push(format!("offset1:{offset1}"));
                    }
                }
                Class::Swizzle => match super::swizzle::print(offset) {
                    Some(s) if !s.is_empty() => suffix.push(format!("offset:{s}")),
                    _ => {}
                },
                _ if offset != 0 => suffix.push(format!("offset:{offset}")),
                _ => {}
            }
            if gds {
                suffix.push("gds".to_string());
            }
        }
        _ => {}
    }
    (info.name.to_string(), ops, suffix)
}
