//! The last stage: branch offsets from labels, encoding with [`crate::isa::encode`], and
//! the assembly text in LLVM's syntax (labels as comments-free `.LBB` lines are not what
//! llvm-objdump prints, so [`print`] writes exactly the instruction lines objdump would,
//! plus optional comments naming the kernel-IR statement).

use crate::isa::{EncodeError, Inst, encode};
use crate::mir::MInst;

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
}

/// Encodes allocated machine code.
/// NOTE: a stand-in (no padding rules, no checks beyond the encoder's) until the real
/// assembler lands.
pub fn assemble(insts: &[MInst]) -> Result<Assembled, AssembleError> {
    let sizes: Vec<usize> = insts
        .iter()
        .enumerate()
        .map(|(index, m)| match m {
            MInst::Inst { inst, .. } => {
                encode(inst)
                    .map(|b| b.len())
                    .map_err(|error| AssembleError::Encode {
                        index,
                        text: crate::isa::print(inst),
                        error,
                    })
            }
            MInst::Label(_) => Ok(0),
            MInst::Branch { .. } => Ok(4),
        })
        .collect::<Result<_, _>>()?;
    let mut label_at = std::collections::HashMap::new();
    let mut at = 0usize;
    for (m, n) in insts.iter().zip(&sizes) {
        if let MInst::Label(l) = m {
            label_at.insert(*l, at);
        }
        at += n;
    }
    let mut out = Assembled::default();
    for (index, m) in insts.iter().enumerate() {
        let here = out.code.len();
        match m {
            MInst::Inst { inst, line, .. } => {
                out.lines.push((here as u32, *line));
                out.code
                    .extend(encode(inst).map_err(|error| AssembleError::Encode {
                        index,
                        text: crate::isa::print(inst),
                        error,
                    })?);
            }
            MInst::Label(_) => {}
            MInst::Branch { op, target, line } => {
                let to = *label_at
                    .get(target)
                    .ok_or(AssembleError::MissingLabel { index })?;
                let distance = (to as i64 - here as i64 - 4) / 4;
                let imm = i16::try_from(distance)
                    .map_err(|_| AssembleError::BranchRange { index, distance })?;
                out.lines.push((here as u32, *line));
                let inst = Inst::Sopp {
                    op: *op,
                    imm: imm as u16,
                };
                out.code
                    .extend(encode(&inst).map_err(|error| AssembleError::Encode {
                        index,
                        text: crate::isa::print(&inst),
                        error,
                    })?);
            }
        }
    }
    Ok(out)
}

/// The assembly text of allocated machine code, one instruction per line as
/// `llvm-objdump-19 -d` prints it (branch offsets as numbers); with `comments`, each
/// kernel-IR statement's first instruction is preceded by `; stmt N`.
pub fn print(insts: &[MInst], comments: bool) -> String {
    let mut s = String::new();
    for m in insts {
        match m {
            MInst::Inst { inst, .. } => {
                s.push_str(&crate::isa::print(inst));
                s.push('\n');
            }
            MInst::Label(l) => {
                if comments {
                    s.push_str(&format!("; .L{}:\n", l.0));
                }
            }
            MInst::Branch { op, target, .. } => {
                s.push_str(&format!("{} .L{}\n", op.name(), target.0));
            }
        }
    }
    s
}
