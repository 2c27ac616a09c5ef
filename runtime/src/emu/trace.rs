//! `EGPU_EMU_TRACE=1`: one line per instruction of one wave, with the registers it changed.

use super::loader::Ins;
use super::wave::{Wave, sreg_name};
use egpu_codegen_amdgpu::isa;

/// The launch-wide index of the wave to trace, when tracing is on.
pub fn chosen_wave() -> Option<u64> {
    let on = std::env::var("EGPU_EMU_TRACE").is_ok_and(|v| !v.is_empty() && v != "0");
    if !on {
        return None;
    }
    let wave = std::env::var("EGPU_EMU_TRACE_WAVE").ok();
    Some(wave.and_then(|w| w.parse().ok()).unwrap_or(0))
}

/// The instruction as LLVM prints it (a v_cmpx as itself, not as the v_cmp it runs as).
pub fn text(ins: &Ins) -> String {
    let printed = isa::print(&ins.inst);
    let base = ins.inst.op().name();
    if ins.name == base {
        printed
    } else if let (Some(op), isa::Inst::Valu { e64, src, mods, .. }) =
        (isa::Op::by_name(ins.name), ins.inst)
        && op.info().is_cmpx()
    {
        // A v_cmpx runs as its v_cmp writing EXEC; print the instruction it was.
        isa::print(&isa::Inst::Valu {
            op,
            e64,
            vdst: isa::Operand::None,
            sdst: isa::Operand::None,
            src,
            mods,
        })
    } else {
        ins.name.to_string()
    }
}

/// Prints the instruction and what changed between `before` and `after`.
pub fn print(before: &Wave, after: &Wave, ins: &Ins) {
    eprintln!("{}", line(before, after, ins));
}

/// The trace line: wave, pc, instruction, then each changed register (`s4=0x1`,
/// `v3[0:0x2 5:0x7]` by lane).
pub fn line(before: &Wave, after: &Wave, ins: &Ins) -> String {
    let mut changes = Vec::new();
    for r in 0..128 {
        let was = before.s_written >> r & 1 == 1;
        if after.s[r] != before.s[r] || (after.s_written >> r & 1 == 1) != was {
            changes.push(format!("{}={:#x}", sreg_name(r), after.s[r]));
        }
    }
    if after.scc != before.scc || after.scc_written != before.scc_written {
        changes.push(format!("scc={}", u8::from(after.scc)));
    }
    for r in 0..after.vgprs {
        let lanes: Vec<String> = (0..32)
            .filter(|&l| {
                after.get_v(r, l) != before.get_v(r, l)
                    || (after.v_written[r] ^ before.v_written[r]) >> l & 1 == 1
            })
            .map(|l| format!("{l}:{:#x}", after.get_v(r, l)))
            .collect();
        if !lanes.is_empty() {
            changes.push(format!("v{r}[{}]", lanes.join(" ")));
        }
    }
    format!(
        "emu wave {} pc {:#06x}: {:<48} {}",
        after.id,
        ins.pc,
        text(ins),
        changes.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::super::loader::decode_all;
    use super::*;

    #[test]
    fn a_line_names_the_instruction_and_the_changed_registers() {
        // v_fmamk_f32 v1, v2, 0x40400000, v3 (bytes from llvm-mc-19).
        let ins = &decode_all(&[0x02, 0x07, 0x02, 0x58, 0x00, 0x00, 0x40, 0x40])[0];
        let before = Wave::new(0, 8, 0);
        let mut after = before.clone();
        after.set_v(1, 0, 2);
        after.set_v(1, 5, 7);
        let _ = after.set_s(4, 1);
        let text = line(&before, &after, ins);
        assert!(
            text.starts_with("emu wave 0 pc 0x0000: v_fmamk_f32 v1, v2, 0x40400000, v3"),
            "{text}"
        );
        assert!(text.ends_with("s4=0x1 v1[0:0x2 5:0x7]"), "{text}");
    }
}
