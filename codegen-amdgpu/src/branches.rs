//! Far branches. A SOPP branch reaches ±32,767 dwords from the next instruction; a kernel
//! whose skipped region or loop body is longer (a 10,000-op fused chain under one `if`)
//! needs a jump through the program counter instead:
//!
//! ```text
//! s_getpc_b64 s[104:105]            ; the address of the next instruction
//! s_add_u32 s104, s104, LO          ; + (target - that address)
//! s_addc_u32 s105, s105, HI
//! s_setpc_b64 s[104:105]
//! ```
//!
//! A conditional far branch becomes the inverse condition branching over that sequence.
//! `s[104:105]` is kept out of register allocation for this ([`FAR_PAIR`]). Runs after the
//! hazard fixes, before the assembler; code that fits the short range is left untouched
//! (and costs no layout: a kernel of fewer than [`ALWAYS_NEAR`] instructions cannot hold a
//! far branch).

use crate::isa::{Inst, Op, Operand, encode};
use crate::mir::{Label, MInst};

/// The SGPR pair the far-branch sequence uses (never allocated; see `regalloc`).
pub const FAR_PAIR: u8 = 104;

/// Below this many instructions every branch is near: 12 bytes is the longest encoding.
const ALWAYS_NEAR: usize = (i16::MAX as usize * 4) / 12;

/// Marks the target label number held in an unfilled `s_add_u32` literal; with the top bit
/// set the value is never an inline constant, so the sequence is laid out at its final size.
const PLACEHOLDER: u32 = 1 << 31;

/// The largest forward or backward distance in dwords a branch is left near at; the margin
/// absorbs the growth of the sequences inserted in the same round.
const NEAR: i64 = i16::MAX as i64 - 4096;

/// Replaces every branch too far for SOPP by the sequence above. Returns whether any
/// was (the kernel then uses `s[104:105]`).
pub fn relax(insts: &mut Vec<MInst>) -> bool {
    if insts.len() < ALWAYS_NEAR {
        return false;
    }
    let mut any = false;
    let mut next_label = next_label(insts);
    loop {
        let (offsets, labels) = layout(insts);
        let far: Vec<usize> = (0..insts.len())
            .filter(|&i| match &insts[i] {
                MInst::Branch { target, .. } => {
                    let to = labels.get(target.0 as usize).copied().flatten();
                    to.is_some_and(|to| {
                        (i64::from(to) - i64::from(offsets[i]) - 4).abs() / 4 > NEAR
                    })
                }
                _ => false,
            })
            .collect();
        if far.is_empty() {
            break;
        }
        any = true;
        for &i in far.iter().rev() {
            let MInst::Branch { op, target, line } = insts[i].clone() else {
                continue;
            };
            let seq = far_sequence(op, target, line, &mut next_label);
            insts.splice(i..=i, seq);
        }
    }
    if any {
        fill_offsets(insts);
    }
    any
}

fn next_label(insts: &[MInst]) -> u32 {
    insts
        .iter()
        .filter_map(|m| match m {
            MInst::Label(l) => Some(l.0 + 1),
            MInst::Branch { target, .. } => Some(target.0 + 1),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// Byte offset of each instruction and of each label.
fn layout(insts: &[MInst]) -> (Vec<u32>, Vec<Option<u32>>) {
    let mut offsets = Vec::with_capacity(insts.len());
    let mut labels: Vec<Option<u32>> = Vec::new();
    let mut at = 0u32;
    for m in insts {
        offsets.push(at);
        at += match m {
            MInst::Inst { inst, .. } => encode(inst).map_or(12, |b| b.len() as u32),
            MInst::Label(l) => {
                let n = l.0 as usize;
                if labels.len() <= n {
                    labels.resize(n + 1, None);
                }
                labels[n] = Some(at);
                0
            }
            MInst::Branch { .. } => 4,
        };
    }
    (offsets, labels)
}

fn op(name: &str) -> Op {
    crate::isel::emit::op(name)
}

fn inverse(op: Op) -> Option<Op> {
    let name = match op.name() {
        "s_cbranch_scc0" => "s_cbranch_scc1",
        "s_cbranch_scc1" => "s_cbranch_scc0",
        "s_cbranch_vccz" => "s_cbranch_vccnz",
        "s_cbranch_vccnz" => "s_cbranch_vccz",
        "s_cbranch_execz" => "s_cbranch_execnz",
        "s_cbranch_execnz" => "s_cbranch_execz",
        _ => return None,
    };
    Some(self::op(name))
}

/// The far form of `op` to `target`: the four-instruction jump, after an inverted branch
/// over it when `op` is conditional. The offsets are filled in by [`fill_offsets`]; the
/// jump's target is kept in the `s_add_u32` literal's place until then, as a label number.
fn far_sequence(op: Op, target: Label, line: u32, labels: &mut u32) -> Vec<MInst> {
    let lo = Operand::Sgpr(FAR_PAIR);
    let hi = Operand::Sgpr(FAR_PAIR + 1);
    let inst = |inst: Inst| MInst::Inst {
        inst,
        regs: Vec::new(),
        line,
    };
    let jump = [
        inst(Inst::Sop1 {
            op: self::op("s_getpc_b64"),
            sdst: lo,
            src0: Operand::None,
        }),
        inst(Inst::Sop2 {
            op: self::op("s_add_u32"),
            sdst: lo,
            src0: lo,
            src1: Operand::Literal(PLACEHOLDER | target.0),
        }),
        inst(Inst::Sop2 {
            op: self::op("s_addc_u32"),
            sdst: hi,
            src0: hi,
            // The high half is 0 or -1 (|offset| < 2^31): an inline constant either way,
            // so the sequence's length is known before the offset is.
            src1: Operand::Int(0),
        }),
        inst(Inst::Sop1 {
            op: self::op("s_setpc_b64"),
            sdst: Operand::None,
            src0: lo,
        }),
    ];
    match inverse(op) {
        None => jump.to_vec(),
        Some(inv) => {
            let skip = Label(*labels);
            *labels += 1;
            let mut seq = vec![MInst::Branch {
                op: inv,
                target: skip,
                line,
            }];
            seq.extend(jump);
            seq.push(MInst::Label(skip));
            seq
        }
    }
}

/// Writes each far jump's offset: target minus the address after its `s_getpc_b64`.
fn fill_offsets(insts: &mut [MInst]) {
    let (offsets, labels) = layout(insts);
    let getpc = op("s_getpc_b64");
    for i in 0..insts.len().saturating_sub(2) {
        let is_far = matches!(&insts[i], MInst::Inst { inst: Inst::Sop1 { op, sdst, .. }, .. }
            if *op == getpc && *sdst == Operand::Sgpr(FAR_PAIR));
        if !is_far {
            continue;
        }
        let Some(MInst::Inst {
            inst: Inst::Sop2 { src1, .. },
            ..
        }) = insts.get(i + 1)
        else {
            continue;
        };
        let Operand::Literal(label) = *src1 else {
            continue;
        };
        let label = label & !PLACEHOLDER;
        let to = labels.get(label as usize).copied().flatten().unwrap_or(0);
        let delta = i64::from(to) - i64::from(offsets[i]) - 4;
        if let Some(MInst::Inst {
            inst: Inst::Sop2 { src1, .. },
            ..
        }) = insts.get_mut(i + 1)
        {
            *src1 = Operand::Literal(delta as u32);
        }
        if let Some(MInst::Inst {
            inst: Inst::Sop2 { src1, .. },
            ..
        }) = insts.get_mut(i + 2)
        {
            *src1 = Operand::Int(if delta < 0 { -1 } else { 0 });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nop() -> MInst {
        MInst::Inst {
            inst: Inst::Valu {
                op: op("v_nop"),
                e64: false,
                vdst: Operand::None,
                sdst: Operand::None,
                src: [Operand::None; 3],
                mods: Default::default(),
            },
            regs: Vec::new(),
            line: 0,
        }
    }

    /// `s_cbranch_execz` over `n` one-dword instructions, then `s_endpgm`.
    fn skip_over(n: usize) -> Vec<MInst> {
        let mut insts = vec![MInst::Branch {
            op: op("s_cbranch_execz"),
            target: Label(0),
            line: 0,
        }];
        insts.extend(std::iter::repeat_with(nop).take(n));
        insts.push(MInst::Label(Label(0)));
        insts
    }

    #[test]
    fn near_branches_are_left_alone() {
        let mut insts = skip_over(25_000);
        let before = insts.clone();
        assert!(!relax(&mut insts));
        assert_eq!(insts, before);
    }

    #[test]
    fn a_far_conditional_branch_jumps_through_the_pc() {
        let mut insts = skip_over(40_000);
        assert!(relax(&mut insts));
        let names: Vec<String> = insts[..6]
            .iter()
            .map(|m| match m {
                MInst::Inst { inst, .. } => crate::isa::print(inst),
                MInst::Branch { op, .. } => op.name().to_string(),
                MInst::Label(_) => "label".into(),
            })
            .collect();
        // The getpc's next instruction is at byte 8 (after the 4-byte branch and getpc);
        // the target follows s_add with its literal (8), s_addc (4), s_setpc (4) and the
        // 40,000 nops.
        let target = 4 + 4 + 8 + 4 + 4 + 40_000 * 4;
        assert_eq!(
            names,
            [
                "s_cbranch_execnz".to_string(),
                "s_getpc_b64 s[104:105]".into(),
                format!("s_add_u32 s104, s104, 0x{:x}", target - 8),
                "s_addc_u32 s105, s105, 0".into(),
                "s_setpc_b64 s[104:105]".into(),
                "label".into(),
            ]
        );
        crate::assemble::assemble(&[insts, vec![endpgm()]].concat()).expect("assembles");
    }

    fn endpgm() -> MInst {
        MInst::Inst {
            inst: Inst::Sopp {
                op: op("s_endpgm"),
                imm: 0,
            },
            regs: Vec::new(),
            line: 0,
        }
    }
}
