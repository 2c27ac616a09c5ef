//! Instruction value → machine code (little-endian dwords, then the literal if any).

use super::error::EncodeError;
use super::format::{Cache, Inst, Mods, PMods};
use super::opcode::{Class, Fmt, OpInfo};
use super::operand::Operand;
use super::rules::check;

/// Encodes one instruction: 4 or 8 bytes, plus 4 for a literal.
pub fn encode(inst: &Inst) -> Result<Vec<u8>, EncodeError> {
    check(inst)?;
    let info = inst.op().info();
    let code = u32::from(info.code);
    let words: Vec<u32> = match *inst {
        Inst::Sop2 {
            sdst, src0, src1, ..
        } => {
            vec![(0b10 << 30) | (code << 23) | (f(sdst) << 16) | (f(src1) << 8) | f(src0)]
        }
        Inst::Sop1 { sdst, src0, .. } => {
            vec![(0x17D << 23) | (f(sdst) << 16) | (code << 8) | f(src0)]
        }
        Inst::Sopc { src0, src1, .. } => {
            vec![(0x17E << 23) | (code << 16) | (f(src1) << 8) | f(src0)]
        }
        Inst::Sopk { sdst, imm, .. } => {
            vec![(0xB << 28) | (code << 23) | (f(sdst) << 16) | u32::from(imm)]
        }
        Inst::Sopp { .. } if info.fmt == Fmt::Mubuf => vec![(0x38 << 26) | (code << 18), 0],
        Inst::Sopp { imm, .. } => vec![(0x17F << 23) | (code << 16) | u32::from(imm)],
        Inst::Smem {
            sdata,
            sbase,
            soffset,
            offset,
            cache,
            ..
        } => smem(code, sdata, sbase, soffset, offset, cache),
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
        } => vop3p(code, vdst, src, mods),
        Inst::Flat {
            vdst,
            addr,
            data,
            saddr,
            offset,
            cache,
            ..
        } => {
            let seg = match info.fmt {
                Fmt::Scratch => 1,
                Fmt::Global => 2,
                _ => 0,
            };
            // SCRATCH: SVE says a VGPR offset is present.
            let sve = u32::from(info.fmt == Fmt::Scratch && addr.is_vgpr());
            let w0 = (0x37 << 26)
                | (code << 18)
                | (seg << 16)
                | cache_bits(cache)
                | (offset as u32 & 0x1fff);
            let w1 = (f(vdst) << 24) | (sve << 23) | (f(saddr) << 16) | (f(data) << 8) | f(addr);
            vec![w0, w1]
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
            let w0 = (0x36 << 26)
                | (code << 18)
                | (u32::from(gds) << 17)
                | (u32::from(offset1) << 8)
                | u32::from(offset0);
            let w1 = (f(vdst) << 24) | (f(data1) << 16) | (f(data0) << 8) | f(addr);
            vec![w0, w1]
        }
        Inst::Vopd { x, y } => super::vopd::encode_words(&x, &y).to_vec(),
    };
    let mut out: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    if let Some(lit) = literal_of(inst) {
        out.extend_from_slice(&lit.to_le_bytes());
    }
    Ok(out)
}

/// A field's value: registers keep their 8 low code bits (VGPR fields of 8 bits hold
/// the register number), 9-bit source fields use `src9`. Absent operands encode as 0.
fn f(o: Operand) -> u32 {
    u32::from(o.code().unwrap_or(0) & 0xff)
}

fn src9(o: Operand) -> u32 {
    u32::from(o.code().unwrap_or(0))
}

fn cache_bits(c: Cache) -> u32 {
    (u32::from(c.slc) << 15) | (u32::from(c.glc) << 14) | (u32::from(c.dlc) << 13)
}

fn smem(
    code: u32,
    sdata: Operand,
    sbase: Operand,
    soffset: Operand,
    offset: i32,
    c: Cache,
) -> Vec<u32> {
    let w0 = (0x3D << 26)
        | (code << 18)
        | (u32::from(c.glc) << 14)
        | (u32::from(c.dlc) << 13)
        | (f(sdata) << 6)
        | (f(sbase) >> 1);
    let w1 = (f(soffset) << 25) | (offset as u32 & 0x1f_ffff);
    vec![w0, w1]
}

/// The VOP3 opcode of a VALU instruction (VOP1/VOP2/VOPC promote by a fixed offset).
pub(super) fn vop3_code(info: &OpInfo) -> u32 {
    u32::from(info.code)
        + match info.fmt {
            Fmt::Vop1 => 0x180,
            Fmt::Vop2 => 0x100,
            _ => 0,
        }
}

fn valu(
    info: &OpInfo,
    e64: bool,
    vdst: Operand,
    sdst: Operand,
    src: [Operand; 3],
    m: Mods,
) -> Vec<u32> {
    let code = u32::from(info.code);
    if !e64 {
        return vec![match info.fmt {
            Fmt::Vop1 => (0x3F << 25) | (f(vdst) << 17) | (code << 9) | src9(src[0]),
            // v_fmamk holds its VGPR in the third source slot (K is the second).
            Fmt::Vop2 if info.class == Class::KMid => {
                (code << 25) | (f(vdst) << 17) | (f(src[2]) << 9) | src9(src[0])
            }
            Fmt::Vop2 => (code << 25) | (f(vdst) << 17) | (f(src[1]) << 9) | src9(src[0]),
            _ => (0x3E << 25) | (code << 17) | (f(src[1]) << 9) | src9(src[0]),
        }];
    }
    let sd = matches!(info.class, Class::CoCi | Class::Sd | Class::SdFloat);
    let mid = if sd {
        f(sdst) << 8
    } else {
        u32::from(m.abs & 7) << 8
    };
    let vdst_field = if info.is_cmpx() {
        super::decode::CMPX_VDST
    } else {
        f(vdst)
    };
    let w0 = (0x35 << 26) | (vop3_code(info) << 16) | (u32::from(m.clamp) << 15) | mid | vdst_field;
    let w1 = (u32::from(m.neg & 7) << 29)
        | (u32::from(m.omod & 3) << 27)
        | (src9(src[2]) << 18)
        | (src9(src[1]) << 9)
        | src9(src[0]);
    vec![w0, w1]
}

fn vop3p(code: u32, vdst: Operand, src: [Operand; 3], m: PMods) -> Vec<u32> {
    let w0 = (0xCC << 24)
        | (code << 16)
        | (u32::from(m.clamp) << 15)
        | (u32::from((m.op_sel_hi >> 2) & 1) << 14)
        | (u32::from(m.op_sel & 7) << 11)
        | (u32::from(m.neg_hi & 7) << 8)
        | f(vdst);
    let w1 = (u32::from(m.neg_lo & 7) << 29)
        | (u32::from(m.op_sel_hi & 3) << 27)
        | (src9(src[2]) << 18)
        | (src9(src[1]) << 9)
        | src9(src[0]);
    vec![w0, w1]
}

/// The literal dword an instruction carries (rules::check made sure there is one value).
fn literal_of(inst: &Inst) -> Option<u32> {
    match *inst {
        Inst::Sop2 { src0, src1, .. } | Inst::Sopc { src0, src1, .. } => {
            src0.literal().or(src1.literal())
        }
        Inst::Sop1 { src0, .. } => src0.literal(),
        Inst::Valu { src, .. } | Inst::Vop3p { src, .. } => src.iter().find_map(|o| o.literal()),
        Inst::Vopd { x, y } => super::vopd::literal(&x, &y),
        _ => None,
    }
}
