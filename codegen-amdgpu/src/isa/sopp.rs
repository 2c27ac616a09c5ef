//! SOPP immediates: what each program-control instruction's 16-bit field means, which
//! values this layer models, and how LLVM's disassembler spells them.

use super::error::EncodeError;
use super::opcode::{Class, OpInfo};

/// `s_delay_alu` instruction-id names (values 0-11).
const INST_ID: [&str; 12] = [
    "NO_DEP",
    "VALU_DEP_1",
    "VALU_DEP_2",
    "VALU_DEP_3",
    "VALU_DEP_4",
    "TRANS32_DEP_1",
    "TRANS32_DEP_2",
    "TRANS32_DEP_3",
    "FMA_ACCUM_CYCLE_1",
    "SALU_CYCLE_1",
    "SALU_CYCLE_2",
    "SALU_CYCLE_3",
];

/// `s_delay_alu` skip names (values 0-5).
const INST_SKIP: [&str; 6] = ["SAME", "NEXT", "SKIP_1", "SKIP_2", "SKIP_3", "SKIP_4"];

/// `s_waitcnt_depctr` values whose spelling is a plain hex number (the ones LLVM's
/// hazard recognizer emits); other values LLVM prints as named fields, not modelled.
const DEPCTR_HEX: [u16; 3] = [0x0fff, 0xffe3, 0xffff];

/// The one message modelled: release the wave's VGPRs before `s_endpgm`.
pub const MSG_DEALLOC_VGPRS: u16 = 3;

/// Waitcnt fields: (vmcnt, expcnt, lgkmcnt) and their "do not wait" maxima.
pub fn waitcnt_fields(imm: u16) -> (u16, u16, u16) {
    ((imm >> 10) & 0x3f, imm & 7, (imm >> 4) & 0x3f)
}

/// The waitcnt immediate for counts (each clamped to its field by masking).
pub fn waitcnt_imm(vm: u16, exp: u16, lgkm: u16) -> u16 {
    ((vm & 0x3f) << 10) | ((lgkm & 0x3f) << 4) | (exp & 7)
}

pub(super) fn check_imm(info: &OpInfo, imm: u16) -> Result<(), EncodeError> {
    let ok = match info.class {
        Class::NoImm => imm == 0,
        Class::Waitcnt => imm & 8 == 0,
        Class::DelayAlu => {
            imm >> 11 == 0
                && usize::from(imm & 0xf) < INST_ID.len()
                && usize::from((imm >> 4) & 7) < INST_SKIP.len()
                && usize::from((imm >> 7) & 0xf) < INST_ID.len()
        }
        Class::Sendmsg => imm == MSG_DEALLOC_VGPRS,
        Class::Hex => DEPCTR_HEX.contains(&imm),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(EncodeError::OutOfRange {
            op: info.name,
            what: "immediate",
            value: i64::from(imm),
        })
    }
}

/// The operand text after the mnemonic (empty when LLVM prints none).
pub(super) fn print_imm(info: &OpInfo, imm: u16) -> String {
    match info.class {
        Class::NoImm => String::new(),
        Class::ImmOpt if imm == 0 => String::new(),
        Class::ImmOpt | Class::Branch => imm.to_string(),
        Class::Imm if imm <= 64 => imm.to_string(),
        Class::Waitcnt => print_waitcnt(imm),
        Class::DelayAlu => print_delay_alu(imm),
        Class::Sendmsg => "sendmsg(MSG_DEALLOC_VGPRS)".to_string(),
        _ => format!("{imm:#x}"),
    }
}

fn print_waitcnt(imm: u16) -> String {
    let (vm, exp, lgkm) = waitcnt_fields(imm);
    let all = vm == 0x3f && exp == 7 && lgkm == 0x3f;
    let mut parts = Vec::new();
    if all || vm != 0x3f {
        parts.push(format!("vmcnt({vm})"));
    }
    if all || exp != 7 {
        parts.push(format!("expcnt({exp})"));
    }
    if all || lgkm != 0x3f {
        parts.push(format!("lgkmcnt({lgkm})"));
    }
    parts.join(" ")
}

fn print_delay_alu(imm: u16) -> String {
    let id0 = usize::from(imm & 0xf);
    let skip = usize::from((imm >> 4) & 7);
    let id1 = usize::from((imm >> 7) & 0xf);
    let mut parts = Vec::new();
    if id0 != 0 {
        parts.push(format!("instid0({})", INST_ID[id0]));
    }
    if skip != 0 {
        parts.push(format!("instskip({})", INST_SKIP[skip]));
    }
    if id1 != 0 {
        parts.push(format!("instid1({})", INST_ID[id1]));
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join(" | ")
    }
}

/// Parses the operand text of a SOPP instruction back to its immediate.
pub(super) fn parse_imm(info: &OpInfo, text: &str) -> Option<u16> {
    let text = text.trim();
    match info.class {
        Class::NoImm | Class::ImmOpt if text.is_empty() => Some(0),
        Class::Waitcnt => parse_waitcnt(text),
        Class::DelayAlu => parse_delay_alu(text),
        Class::Sendmsg => (text == "sendmsg(MSG_DEALLOC_VGPRS)").then_some(MSG_DEALLOC_VGPRS),
        _ => super::parse_operand::parse_int(text).and_then(|v| u16::try_from(v).ok()),
    }
}

fn parse_waitcnt(text: &str) -> Option<u16> {
    let (mut vm, mut exp, mut lgkm) = (0x3f, 7, 0x3f);
    for part in text.split_whitespace() {
        let (name, rest) = part.split_once('(')?;
        let v: u16 = rest.strip_suffix(')')?.parse().ok()?;
        match name {
            "vmcnt" => vm = v,
            "expcnt" => exp = v,
            "lgkmcnt" => lgkm = v,
            _ => return None,
        }
    }
    Some(waitcnt_imm(vm, exp, lgkm))
}

fn parse_delay_alu(text: &str) -> Option<u16> {
    if text == "0" {
        return Some(0);
    }
    let mut imm = 0u16;
    for part in text.split('|') {
        let (name, rest) = part.trim().split_once('(')?;
        let v = rest.strip_suffix(')')?;
        let find = |t: &[&str]| t.iter().position(|n| *n == v).map(|i| i as u16);
        match name {
            "instid0" => imm |= find(&INST_ID)?,
            "instskip" => imm |= find(&INST_SKIP)? << 4,
            "instid1" => imm |= find(&INST_ID)? << 7,
            _ => return None,
        }
    }
    Some(imm)
}
