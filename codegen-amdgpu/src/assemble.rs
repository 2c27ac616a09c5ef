//! The last stage: branch offsets from labels, encoding with [`crate::isa::encode`], and
//! the assembly text in LLVM's syntax (labels as comments-free `.LBB` lines are not what
//! llvm-objdump prints, so [`print`] writes exactly the instruction lines objdump would,
//! plus optional comments naming the kernel-IR statement).
//!
//! Two passes: the first encodes every instruction (a branch is always one dword) and
//! places the labels; the second fills in each branch's immediate, the signed number of
//! dwords from the instruction after the branch to the label, which must fit 16 bits.
//! The `.text` padding and `s_code_end` fill are the code object writer's.

use crate::isa::{Class, EncodeError, Inst, Op, encode};
use crate::mir::{Label, MInst};

/// A kernel's machine code and its line table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assembled {
    pub code: Vec<u8>,
    /// `(byte offset, kernel-IR statement)` for each instruction, in order.
    pub lines: Vec<(u32, u32)>,
}

/// Why machine code could not be assembled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssembleError {
    #[error("instruction {index} ({text}): {error}")]
    Encode {
        index: usize,
        text: String,
        error: EncodeError,
    },
    #[error("branch at instruction {index} to a label {distance} dwords away: out of range")]
    BranchRange { index: usize, distance: i64 },
    #[error("branch at instruction {index} to a label that is never placed")]
    MissingLabel { index: usize },
    #[error("instruction {index} still holds virtual registers")]
    Unallocated { index: usize },
    #[error("the code does not end in s_endpgm")]
    NoEndpgm,
    #[error("instruction {index}: {op} is not a branch")]
    NotABranch { index: usize, op: &'static str },
    #[error("label .L{label} is placed twice (instruction {index})")]
    DuplicateLabel { index: usize, label: u32 },
}

/// The first pass: the code with every instruction encoded in place (branches as a
/// zero dword, filled in by the second pass), each instruction's byte offset, and each
/// label's byte offset.
struct Layout {
    code: Vec<u8>,
    offsets: Vec<u32>,
    labels: Vec<Option<u32>>,
}

fn encode_at(index: usize, inst: &Inst) -> Result<Vec<u8>, AssembleError> {
    encode(inst).map_err(|error| AssembleError::Encode {
        index,
        text: crate::isa::print(inst),
        error,
    })
}

fn layout(insts: &[MInst]) -> Result<Layout, AssembleError> {
    let mut l = Layout {
        // Most instructions are one or two dwords.
        code: Vec::with_capacity(insts.len() * 8),
        offsets: Vec::with_capacity(insts.len()),
        labels: Vec::new(),
    };
    for (index, m) in insts.iter().enumerate() {
        let here = l.code.len() as u32;
        l.offsets.push(here);
        match m {
            MInst::Inst { inst, regs, .. } => {
                if !regs.is_empty() {
                    return Err(AssembleError::Unallocated { index });
                }
                l.code.extend_from_slice(&encode_at(index, inst)?);
            }
            MInst::Label(Label(n)) => {
                let n = *n as usize;
                if l.labels.len() <= n {
                    l.labels.resize(n + 1, None);
                }
                if l.labels[n].replace(here).is_some() {
                    return Err(AssembleError::DuplicateLabel {
                        index,
                        label: n as u32,
                    });
                }
            }
            MInst::Branch { .. } => l.code.extend_from_slice(&[0; 4]),
        }
    }
    Ok(l)
}

impl Layout {
    /// The branch at `index` as an instruction with its offset filled in.
    fn branch(&self, index: usize, op: Op, target: Label) -> Result<Inst, AssembleError> {
        if op.info().class != Class::Branch {
            return Err(AssembleError::NotABranch {
                index,
                op: op.name(),
            });
        }
        let to = self
            .labels
            .get(target.0 as usize)
            .copied()
            .flatten()
            .ok_or(AssembleError::MissingLabel { index })?;
        let next = i64::from(self.offsets[index]) + 4;
        let distance = (i64::from(to) - next) / 4;
        let imm =
            i16::try_from(distance).map_err(|_| AssembleError::BranchRange { index, distance })?;
        Ok(Inst::Sopp {
            op,
            imm: imm as u16,
        })
    }
}

fn check_end(insts: &[MInst]) -> Result<(), AssembleError> {
    let last = insts.iter().rev().find(|m| !matches!(m, MInst::Label(_)));
    match last {
        Some(MInst::Inst { inst, .. }) if inst.op().name() == "s_endpgm" => Ok(()),
        _ => Err(AssembleError::NoEndpgm),
    }
}

/// Encodes allocated machine code.
pub fn assemble(insts: &[MInst]) -> Result<Assembled, AssembleError> {
    check_end(insts)?;
    let mut l = layout(insts)?;
    let mut lines = Vec::with_capacity(insts.len());
    // Bytes earlier branches added beyond their dword (none: every branch is one SOPP
    // dword; kept so the code is exactly the concatenation of the encodings regardless).
    let mut grown = 0;
    for (index, m) in insts.iter().enumerate() {
        match m {
            MInst::Label(_) => continue,
            MInst::Inst { line, .. } => lines.push((l.offsets[index], *line)),
            MInst::Branch { op, target, line } => {
                lines.push((l.offsets[index], *line));
                let bytes = encode_at(index, &l.branch(index, *op, *target)?)?;
                let at = l.offsets[index] as usize + grown;
                if bytes.len() == 4 {
                    l.code[at..at + 4].copy_from_slice(&bytes);
                } else {
                    grown += bytes.len().saturating_sub(4);
                    l.code.splice(at..at + 4, bytes);
                }
            }
        }
    }
    Ok(Assembled {
        code: l.code,
        lines,
    })
}

/// The assembly text of allocated machine code, one instruction per line as
/// `llvm-objdump-19 -d` prints it (branch offsets as numbers); with `comments`, each
/// kernel-IR statement's first instruction is preceded by `; stmt N`. Labels are comment
/// lines (`; .L3:`). Code that does not lay out (an unencodable instruction, a missing
/// label) prints its branches by label name instead.
pub fn print(insts: &[MInst], comments: bool) -> String {
    let l = layout(insts).ok();
    let mut s = String::new();
    let mut stmt = None;
    for (index, m) in insts.iter().enumerate() {
        let line = match m {
            MInst::Inst { line, .. } | MInst::Branch { line, .. } => *line,
            MInst::Label(Label(n)) => {
                s.push_str(&format!("; .L{n}:\n"));
                continue;
            }
        };
        if comments && stmt != Some(line) {
            s.push_str(&format!("; stmt {line}\n"));
        }
        stmt = Some(line);
        let text = match m {
            MInst::Branch { op, target, .. } => {
                match l.as_ref().map(|l| l.branch(index, *op, *target)) {
                    Some(Ok(inst)) => crate::isa::print(&inst),
                    _ => format!("{} .L{}", op.name(), target.0),
                }
            }
            MInst::Inst { inst, .. } => crate::isa::print(inst),
            MInst::Label(_) => continue,
        };
        s.push_str(&text);
        s.push('\n');
    }
    s
}

#[cfg(test)]
#[path = "assemble_tests.rs"]
mod tests;
