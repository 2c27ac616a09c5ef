//! Instruction value → assembly text, spelled as `llvm-mc-19 -disassemble` and
//! `llvm-objdump-19 -d --mcpu=gfx1100` print it (single spaces between fields).

use super::format::{Cache, Inst, Mods, PMods};
use super::opcode::{Class, Fmt, OpInfo, Ty};
use super::operand::Operand;

/// The instruction in LLVM's syntax.
pub fn print(inst: &Inst) -> String {
    if let Inst::Vopd { x, y } = inst {
        return super::vopd::print(x, y);
    }
    let info = inst.op().info();
    let (mnemonic, operands, suffix) = parts(inst, info);
    let mut out = mnemonic;
    if !operands.is_empty() {
        out.push(' ');
        out.push_str(&operands.join(", "));
    }
    for s in suffix {
        out.push(' ');
        out.push_str(&s);
    }
    out
}

/// An operand of type `ty` (register ranges take their width from the type).
pub fn operand_text(o: Operand, ty: Ty) -> String {
    let w = ty.dwords().max(1);
    let range = |prefix: char, n: u8| {
        if w == 1 {
            format!("{prefix}{n}")
        } else {
            format!("{prefix}[{n}:{}]", u16::from(n) + u16::from(w) - 1)
        }
    };
    match o {
        Operand::None => String::new(),
        Operand::Sgpr(n) => range('s', n),
        Operand::Vgpr(n) => range('v', n),
        Operand::VccLo if w == 2 => "vcc".into(),
        Operand::VccLo => "vcc_lo".into(),
        Operand::VccHi => "vcc_hi".into(),
        Operand::ExecLo if w == 2 => "exec".into(),
        Operand::ExecLo => "exec_lo".into(),
        Operand::ExecHi => "exec_hi".into(),
        Operand::Null => "null".into(),
        Operand::M0 => "m0".into(),
        Operand::Scc => "src_scc".into(),
        Operand::Int(n) => n.to_string(),
        Operand::Float(f) => f.text(matches!(ty, Ty::F64 | Ty::B64)).into(),
        Operand::Literal(v) => format!("{v:#x}"),
    }
}

type Parts = (String, Vec<String>, Vec<String>);

fn parts(inst: &Inst, info: &OpInfo) -> Parts {
    let name = info.name.to_string();
    let t = operand_text;
    match *inst {
        Inst::Sop2 {
            sdst, src0, src1, ..
        } => (
            name,
            vec![
                t(sdst, info.dst),
                t(src0, info.src[0]),
                t(src1, info.src[1]),
            ],
            vec![],
        ),
        Inst::Sop1 { sdst, src0, .. } => {
            let ops = [t(sdst, info.dst), t(src0, info.src[0])];
            (
                name,
                ops.into_iter().filter(|s| !s.is_empty()).collect(),
                vec![],
            )
        }
        Inst::Sopc { src0, src1, .. } => (
            name,
            vec![t(src0, info.src[0]), t(src1, info.src[1])],
            vec![],
        ),
        Inst::Sopk { sdst, imm, .. } => {
            (name, vec![t(sdst, info.dst), format!("{imm:#x}")], vec![])
        }
        Inst::Sopp { imm, .. } => {
            let text = super::sopp::print_imm(info, imm);
            (
                name,
                if text.is_empty() { vec![] } else { vec![text] },
                vec![],
            )
        }
        Inst::Smem {
            sdata,
            sbase,
            soffset,
            offset,
            cache,
            ..
        } => smem(info, sdata, sbase, soffset, offset, cache),
        Inst::Valu {
            e64,
            vdst,
            sdst,
            src,
            mods,
            ..
        } => valu(info, e64, vdst, sdst, src, mods),
        Inst::Vop3p {
            vdst, src, mods, ..
        } => vop3p(info, vdst, src, mods),
        Inst::Flat { .. } | Inst::Ds { .. } => super::print_mem::mem(inst, info),
        // `print` writes both halves itself.
        Inst::Vopd { x, y } => (super::vopd::print(&x, &y), vec![], vec![]),
    }
}

fn hex_signed(v: i32) -> String {
    if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("{v:#x}")
    }
}

fn smem(
    info: &OpInfo,
    sdata: Operand,
    sbase: Operand,
    soffset: Operand,
    offset: i32,
    c: Cache,
) -> Parts {
    let mut ops = vec![operand_text(sdata, info.dst), operand_text(sbase, Ty::R2)];
    let mut suffix = Vec::new();
    match soffset {
        Operand::Null if offset != 0 => ops.push(hex_signed(offset)),
        _ => {
            ops.push(operand_text(soffset, Ty::B32));
            if offset != 0 {
                suffix.push(format!("offset:{}", hex_signed(offset)));
            }
        }
    }
    suffix.extend(cache_flags(c));
    (info.name.to_string(), ops, suffix)
}

pub(super) fn cache_flags(c: Cache) -> Vec<String> {
    let flags = [(c.glc, "glc"), (c.slc, "slc"), (c.dlc, "dlc")];
    flags
        .iter()
        .filter(|f| f.0)
        .map(|f| f.1.to_string())
        .collect()
}

/// A VALU mnemonic: VOP1/VOP2/VOPC opcodes carry `_e32` or `_e64` (as LLVM prints them
/// for opcodes that have both encodings; v_fmac_* has both in LLVM, one here).
fn valu_name(info: &OpInfo, e64: bool) -> String {
    let both = info.has_e64() || info.class == Class::NoE64;
    match info.fmt {
        Fmt::Vop1 | Fmt::Vop2 | Fmt::Vopc if both => {
            format!("{}_{}", info.name, if e64 { "e64" } else { "e32" })
        }
        _ => info.name.to_string(),
    }
}

/// A source with its neg/abs modifiers. A negated constant without abs is written
/// `neg(c)`, since `-c` would read as a different constant.
fn modded(o: Operand, ty: Ty, neg: bool, abs: bool) -> String {
    let s = operand_text(o, ty);
    match (neg, abs) {
        (false, false) => s,
        (false, true) => format!("|{s}|"),
        (true, true) => format!("-|{s}|"),
        (true, false) if o.is_constant() => format!("neg({s})"),
        (true, false) => format!("-{s}"),
    }
}

fn valu(
    info: &OpInfo,
    e64: bool,
    vdst: Operand,
    sdst: Operand,
    src: [Operand; 3],
    m: Mods,
) -> Parts {
    let mut ops = Vec::new();
    let dst_ty = if info.fmt == Fmt::Vopc || info.class == Class::ReadLane {
        Ty::B32
    } else {
        info.dst
    };
    if vdst != Operand::None {
        ops.push(operand_text(vdst, dst_ty));
    }
    if sdst != Operand::None {
        ops.push(operand_text(sdst, Ty::B32));
    }
    for (i, (o, ty)) in src.iter().zip(info.src).enumerate() {
        if *o != Operand::None {
            let bit = 1 << i;
            ops.push(modded(*o, ty, m.neg & bit != 0, m.abs & bit != 0));
        }
    }
    let mut suffix = Vec::new();
    if m.clamp {
        suffix.push("clamp".to_string());
    }
    match m.omod {
        1 => suffix.push("mul:2".to_string()),
        2 => suffix.push("mul:4".to_string()),
        3 => suffix.push("div:2".to_string()),
        _ => {}
    }
    (valu_name(info, e64), ops, suffix)
}

fn bit_list(bits: u8, n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| ((bits >> i) & 1).to_string()).collect();
    format!("[{}]", items.join(","))
}

fn vop3p(info: &OpInfo, vdst: Operand, src: [Operand; 3], m: PMods) -> Parts {
    let n = info.num_src();
    let mut ops = vec![operand_text(vdst, info.dst)];
    for (o, ty) in src.iter().zip(info.src).take(n) {
        ops.push(operand_text(*o, ty));
    }
    let default_hi = if info.class == Class::Mix { 0 } else { 0b111 };
    let mask = ((1u16 << n) - 1) as u8;
    let mut suffix = Vec::new();
    if m.op_sel != 0 {
        suffix.push(format!("op_sel:{}", bit_list(m.op_sel, n)));
    }
    if (m.op_sel_hi ^ default_hi) & mask != 0 {
        suffix.push(format!("op_sel_hi:{}", bit_list(m.op_sel_hi, n)));
    }
    if m.neg_lo != 0 {
        suffix.push(format!("neg_lo:{}", bit_list(m.neg_lo, n)));
    }
    if m.neg_hi != 0 {
        suffix.push(format!("neg_hi:{}", bit_list(m.neg_hi, n)));
    }
    if m.clamp {
        suffix.push("clamp".to_string());
    }
    (info.name.to_string(), ops, suffix)
}
