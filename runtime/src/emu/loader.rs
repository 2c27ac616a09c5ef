//! Loading a kernel from an HSA code object: its descriptor, and its code decoded once
//! into [`Ins`] values indexed by pc, each with the semantics the wave executes.
//!
//! Bytes the ISA layer does not decode stay in the program as [`Exec::Bad`] and are an
//! error only if a wave reaches them (LLVM pads `.text` with `s_code_end`, and data may
//! follow code). A `v_cmpx_*` (a compare that writes EXEC) runs as its `v_cmp_*` with
//! EXEC as the destination; `v_fmamk/fmaak` (an FMA with a K literal) as `v_fma`. The
//! cache invalidates `buffer_gl0_inv`/`_gl1_inv` are no-ops: the emulator has no caches.

use super::alu::{self, HalfFn, ScalarFn, VectorFn};
use egpu_codegen_amdgpu::isa::{self, Class, Fmt, Inst, Op, Operand};
use egpu_codegen_amdgpu::object::{CodeObject, DescriptorFields};

/// One decoded instruction.
#[derive(Clone, Debug)]
pub struct Ins {
    pub pc: u32,
    pub len: u32,
    /// The instruction value (for a v_cmpx: its v_cmp writing EXEC; see `name`).
    pub inst: Inst,
    /// The mnemonic, as LLVM spells it.
    pub name: &'static str,
    pub exec: Exec,
    /// Memory instructions: bytes per lane (or per scalar load) and whether a 1- or
    /// 2-byte load sign-extends; computed once here rather than from the name per lane.
    pub bytes: u8,
    pub sext: bool,
    /// The fast path's plan, for the frequent plain forms (`fast.rs`).
    pub fast: Option<super::fast::Fast>,
}

impl Ins {
    pub(super) fn new(pc: u32, len: u32, inst: Inst, name: &'static str, exec: Exec) -> Ins {
        let (bytes, sext) = mem_shape(name);
        let fast = super::fast::plan(&inst);
        Ins {
            pc,
            len,
            inst,
            name,
            exec,
            bytes,
            sext,
            fast,
        }
    }
}

/// Bytes a load or store moves and whether it sign-extends, from its mnemonic.
fn mem_shape(name: &str) -> (u8, bool) {
    let base = name.trim_end_matches("_hi").trim_end_matches("_d16");
    let suffix = base.rsplit('_').next().unwrap_or("");
    let bytes = match suffix {
        "b8" | "u8" | "i8" => 1,
        "b16" | "u16" | "i16" => 2,
        "b64" => 8,
        "b96" => 12,
        "b128" => 16,
        _ => 4,
    };
    (bytes, suffix.starts_with('i'))
}

/// Where a VALU op's lane bit comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cin {
    None,
    /// The SGPR mask in source slot 2 (vcc_lo in the 32-bit encoding).
    Src2,
    /// VCC (v_div_fmas).
    Vcc,
}

/// What executing the instruction does.
#[derive(Clone, Debug)]
pub enum Exec {
    /// A scalar ALU op; `scc_in`: it reads SCC; `dst_in`: it reads its destination.
    Scalar {
        f: ScalarFn,
        scc_in: bool,
        dst_in: bool,
    },
    /// SOPK: the destination is also the first source.
    ScalarK(ScalarFn),
    SaveExec(fn(u32, u32) -> u32),
    GetPc,
    SetPc,
    Branch(Cond),
    Waitcnt,
    DepCtr,
    Barrier,
    End,
    Nop,
    /// v_nop: a VALU that does nothing (it still separates hazards).
    VNop,
    /// Reaching `s_code_end`: the wave ran past its program.
    CodeEnd,
    Smem,
    Valu {
        f: VectorFn,
        cin: Cin,
        trans: bool,
    },
    /// v_div_scale_f32 (false) / _f64 (true): per-lane, may refuse (see `alu::div_scale`).
    DivScale(bool),
    /// v_mbcnt_lo_u32_b32: the lane's count of mask bits below it (needs the lane id).
    MbcntLo,
    ReadFirstLane,
    ReadLane,
    WriteLane,
    Packed(HalfFn),
    Dot2,
    FmaMix,
    /// VOPD: the X and Y halves' lane functions (`dual.rs`).
    Dual(VectorFn, VectorFn),
    Wmma,
    Global,
    Scratch,
    Ds,
    /// Bytes that did not decode, an op without semantics, or a VOPD that breaks a
    /// pairing rule: the message says which.
    Bad(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    Always,
    Scc0,
    Scc1,
    Vccz,
    Vccnz,
    Execz,
    Execnz,
}

/// A loaded kernel.
#[derive(Clone, Debug)]
pub struct Program {
    pub name: String,
    pub descriptor: DescriptorFields,
    pub ins: Vec<Ins>,
    /// The kernarg slots the metadata note declares (`None`: the object has no note).
    pub args: Option<Vec<super::metadata::Slot>>,
    /// Index into `ins` of the instruction starting at byte `4 * k`, or `u32::MAX`.
    pub at: Vec<u32>,
}

impl Program {
    /// The instruction index at byte offset `pc`, if an instruction starts there.
    pub fn index(&self, pc: u64) -> Option<usize> {
        if !pc.is_multiple_of(4) {
            return None;
        }
        let k = *self.at.get(usize::try_from(pc / 4).ok()?)?;
        (k != u32::MAX).then_some(k as usize)
    }
}

/// Loads kernel `kernel` of the code object `bytes`.
pub fn load(bytes: &[u8], kernel: &str) -> Result<Program, String> {
    let kernels = CodeObject::read(bytes).map_err(|e| e.to_string())?;
    let names: Vec<&str> = kernels.iter().map(|k| k.name.as_str()).collect();
    let found = kernels
        .iter()
        .find(|k| k.name == kernel)
        .ok_or_else(|| format!("no kernel '{kernel}' in the code object (it holds {names:?})"))?;
    let d = &found.descriptor;
    if !d.wavefront32 {
        return Err("the descriptor asks for wave64; the emulator runs wave32 only".into());
    }
    let args = super::metadata::kernel_args(bytes, kernel)?;
    let ins = decode_all(&found.code);
    let mut at = vec![u32::MAX; found.code.len().div_ceil(4)];
    for (k, i) in ins.iter().enumerate() {
        at[(i.pc / 4) as usize] = k as u32;
    }
    Ok(Program {
        name: kernel.to_string(),
        descriptor: *d,
        ins,
        args,
        at,
    })
}

/// Decodes `code` front to back; undecodable dwords become one 4-byte `Bad` each.
pub fn decode_all(code: &[u8]) -> Vec<Ins> {
    let mut out = Vec::new();
    let mut pc = 0usize;
    while pc + 4 <= code.len() {
        let ins = decode_one(&code[pc..], pc as u32);
        pc += ins.len as usize;
        out.push(ins);
    }
    out
}

fn nop_inst() -> Inst {
    Inst::Sopp {
        op: Op::by_name("s_nop").expect("s_nop is in the opcode table"),
        imm: 0,
    }
}

fn decode_one(bytes: &[u8], pc: u32) -> Ins {
    match isa::decode(bytes) {
        Ok((inst, len)) if inst.op().info().is_cmpx() => cmpx(inst, len, pc),
        Ok((inst, len)) => {
            let name = inst.op().name();
            Ins::new(pc, len as u32, inst, name, semantics(&inst))
        }
        Err(e) => Ins::new(
            pc,
            4,
            nop_inst(),
            "<undecoded>",
            Exec::Bad(format!("cannot decode: {e}")),
        ),
    }
}

/// A v_cmpx runs as the matching v_cmp with EXEC as its destination (the printed
/// mnemonic stays the v_cmpx's).
fn cmpx(inst: Inst, len: usize, pc: u32) -> Ins {
    let name = inst.op().name();
    let cmp = name
        .strip_prefix("v_cmpx_")
        .and_then(|rest| Op::by_name(&format!("v_cmp_{rest}")));
    match (cmp, inst) {
        (Some(op), Inst::Valu { e64, src, mods, .. }) => {
            let as_cmp = Inst::Valu {
                op,
                e64,
                vdst: Operand::ExecLo,
                sdst: Operand::None,
                src,
                mods,
            };
            Ins::new(pc, len as u32, as_cmp, name, semantics(&as_cmp))
        }
        _ => Ins::new(pc, len as u32, inst, name, bad_op(name)),
    }
}

fn bad_op(name: &str) -> Exec {
    Exec::Bad(format!("{name} has no semantics in the emulator"))
}

/// What an instruction the ISA layer decoded does.
fn semantics(inst: &Inst) -> Exec {
    if let Inst::Vopd { .. } = inst {
        return super::dual::semantics(inst);
    }
    semantics_of(inst.op())
}

/// What an opcode does (it depends on nothing else of the instruction).
pub(super) fn semantics_of(op: Op) -> Exec {
    let info = op.info();
    let name = info.name;
    match info.fmt {
        Fmt::Sop2 | Fmt::Sop1 | Fmt::Sopc => scalar_semantics(name),
        Fmt::Sopk => match name {
            "s_waitcnt_vscnt" => Exec::Nop,
            _ => alu::scalar(name).map_or_else(|| bad_op(name), Exec::ScalarK),
        },
        Fmt::Sopp => sopp_semantics(name),
        Fmt::Smem => Exec::Smem,
        // A v_cmpx computes what its v_cmp does (the loader points it at EXEC).
        Fmt::Vopc if info.is_cmpx() => name
            .strip_prefix("v_cmpx_")
            .and_then(|rest| Op::by_name(&format!("v_cmp_{rest}")))
            .map_or_else(|| bad_op(name), semantics_of),
        Fmt::Vop1 | Fmt::Vop2 | Fmt::Vopc | Fmt::Vop3 => valu_semantics(name, info.class),
        Fmt::Vop3p => match name {
            "v_dot2_f32_f16" => Exec::Dot2,
            "v_fma_mix_f32" | "v_fma_mixlo_f16" | "v_fma_mixhi_f16" => Exec::FmaMix,
            _ if info.class == Class::Wmma => Exec::Wmma,
            _ => alu::packed(name).map_or_else(|| bad_op(name), Exec::Packed),
        },
        Fmt::Global | Fmt::Flat => Exec::Global,
        Fmt::Scratch => Exec::Scratch,
        Fmt::Ds => Exec::Ds,
        // buffer_gl0_inv / buffer_gl1_inv: cache invalidations; the emulator has no caches.
        Fmt::Mubuf => Exec::Nop,
        // A VOPD half runs only with its partner (`dual::semantics`); alone it is what
        // `dual::half_fn` gives both halves.
        Fmt::Vopd => super::dual::half_fn(op).map_or_else(|| bad_op(name), |f| Exec::Dual(f, f)),
    }
}

fn scalar_semantics(name: &str) -> Exec {
    match name {
        "s_and_saveexec_b32" => Exec::SaveExec(|src, exec| src & exec),
        "s_or_saveexec_b32" => Exec::SaveExec(|src, exec| src | exec),
        "s_and_not1_saveexec_b32" => Exec::SaveExec(|src, exec| src & !exec),
        "s_getpc_b64" => Exec::GetPc,
        "s_setpc_b64" => Exec::SetPc,
        _ => alu::scalar(name).map_or_else(
            || bad_op(name),
            |f| Exec::Scalar {
                f,
                scc_in: matches!(
                    name,
                    "s_addc_u32" | "s_subb_u32" | "s_cselect_b32" | "s_cselect_b64" | "s_cmov_b32"
                ),
                dst_in: name == "s_cmov_b32",
            },
        ),
    }
}

fn sopp_semantics(name: &str) -> Exec {
    match name {
        // Scheduling hints, prefetch control and the VGPR-release message change nothing
        // the emulator models.
        "s_nop"
        | "s_delay_alu"
        | "s_sendmsg"
        | "s_sleep"
        | "s_clause"
        | "s_set_inst_prefetch_distance" => Exec::Nop,
        "s_endpgm" => Exec::End,
        "s_code_end" => Exec::CodeEnd,
        "s_barrier" => Exec::Barrier,
        "s_waitcnt" => Exec::Waitcnt,
        "s_waitcnt_depctr" => Exec::DepCtr,
        "s_branch" => Exec::Branch(Cond::Always),
        "s_cbranch_scc0" => Exec::Branch(Cond::Scc0),
        "s_cbranch_scc1" => Exec::Branch(Cond::Scc1),
        "s_cbranch_vccz" => Exec::Branch(Cond::Vccz),
        "s_cbranch_vccnz" => Exec::Branch(Cond::Vccnz),
        "s_cbranch_execz" => Exec::Branch(Cond::Execz),
        "s_cbranch_execnz" => Exec::Branch(Cond::Execnz),
        _ => bad_op(name),
    }
}

fn valu_semantics(name: &str, class: Class) -> Exec {
    match name {
        "v_nop" => return Exec::VNop,
        "v_readfirstlane_b32" => return Exec::ReadFirstLane,
        "v_readlane_b32" => return Exec::ReadLane,
        "v_writelane_b32" => return Exec::WriteLane,
        "v_mbcnt_lo_u32_b32" => return Exec::MbcntLo,
        "v_div_scale_f32" => return Exec::DivScale(false),
        "v_div_scale_f64" => return Exec::DivScale(true),
        _ => {}
    }
    // v_fmaak/fmamk hold their sources in v_fma's order (K in place).
    let name = match name {
        "v_fmaak_f32" | "v_fmamk_f32" => "v_fma_f32",
        "v_fmaak_f16" | "v_fmamk_f16" => "v_fma_f16",
        _ => name,
    };
    let cin = match class {
        Class::CndMask | Class::CoCi => Cin::Src2,
        _ if name.starts_with("v_div_fmas") => Cin::Vcc,
        _ => Cin::None,
    };
    match alu::vector(name) {
        Some(f) => Exec::Valu {
            f,
            cin,
            trans: alu::is_trans(name),
        },
        None => bad_op(name),
    }
}

#[cfg(test)]
#[path = "loader_tests.rs"]
mod tests;
