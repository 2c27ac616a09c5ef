//! Test support: machine code written as LLVM assembly text, one instruction per line,
//! with `L<n>:` for labels and `<s_branch|s_cbranch_*> L<n>` for branches; and the
//! code back as text, one line per instruction (labels as `L<n>:`).

use crate::isa::{Op, parse, print};
use crate::mir::{Label, MInst};

/// Parses a program; each instruction's kernel-IR line is its line number in `text`.
pub fn prog(text: &str) -> Vec<MInst> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        let n = n as u32;
        if line.is_empty() {
            continue;
        }
        if let Some(l) = line.strip_prefix('L').and_then(|l| l.strip_suffix(':')) {
            out.push(MInst::Label(Label(l.parse().expect("label number"))));
            continue;
        }
        if let Some((op, target)) = line.split_once(" L")
            && let Some(op) = Op::by_name(op).filter(|o| o.name().contains("branch"))
        {
            let target = Label(target.parse().expect("label number"));
            out.push(MInst::Branch {
                op,
                target,
                line: n,
            });
            continue;
        }
        let inst = parse(line).unwrap_or_else(|e| panic!("`{line}`: {e}"));
        out.push(MInst::Inst {
            inst,
            regs: Vec::new(),
            line: n,
        });
    }
    out
}

/// The program as text in the form [`prog`] reads.
pub fn text(insts: &[MInst]) -> String {
    let mut s = String::new();
    for m in insts {
        match m {
            MInst::Inst { inst, .. } => s.push_str(&print(inst)),
            MInst::Label(l) => s.push_str(&format!("L{}:", l.0)),
            MInst::Branch { op, target, .. } => s.push_str(&format!("{} L{}", op.name(), target.0)),
        }
        s.push('\n');
    }
    s
}

/// Normalizes indentation so expected programs can be written indented.
pub fn norm(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}
