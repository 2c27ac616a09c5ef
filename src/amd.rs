//! The AMD route of a compiled program: every kernel through `egpu-codegen-amdgpu`'s
//! pipeline (isel → regalloc → waitcnt → hazards → assemble) into one HSA code object, with
//! a DWARF line table mapping each instruction to its line in the kernel's `.kir` file.

use egpu_codegen_amdgpu::{AmdError, CompiledKernel, compile_program_with_lines};
use egpu_ir::Target;
use egpu_ir::interp::Tensor;
use egpu_ir::kernel::{Kernel, KernelIndex, Program, StmtId, print_with_lines, statement_text};
use egpu_ir::precision::Family;
use egpu_runtime::program::{ProgramRun, RunError, RunOptions, run_program};
use egpu_runtime::{Binary, Device};
use std::collections::BTreeMap;

pub use egpu_codegen_amdgpu::isel::IselError;

/// Whether `target` is one the RDNA3 backend compiles for.
pub fn is_amd(target: &Target) -> bool {
    Family::of(target) == Family::Amd
}

/// A program's code object and each kernel's compiled form (its machine code, assembly
/// text, registers and resources), in the program's kernel order.
#[derive(Clone, Debug)]
pub struct AmdBuild {
    /// The HSA code object (`.hsaco`) holding every kernel, with DWARF line tables.
    pub object: Vec<u8>,
    pub kernels: Vec<CompiledKernel>,
}

/// Why a program has no RDNA3 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmdBuildError {
    /// The target is not an AMD one.
    #[error("{0} is not an AMD target")]
    NotAmd(String),
    /// The program has no kernels: there is nothing to put in a code object.
    #[error("program {0} has no kernels")]
    Empty(String),
    /// A stage of the backend refused a kernel (the message names it).
    #[error(transparent)]
    Compile(#[from] AmdError),
}

impl AmdBuildError {
    /// Whether the user can avoid it (a construct the backend does not support, a wrong
    /// target, an empty program); anything else is a bug in egpu.
    pub fn is_users(&self) -> bool {
        matches!(
            self,
            AmdBuildError::NotAmd(_)
                | AmdBuildError::Empty(_)
                | AmdBuildError::Compile(AmdError::Isel(IselError::Unsupported { .. }))
        )
    }
}

/// Every kernel of `program` compiled for `target` and written into one code object.
pub fn build_program(program: &Program, target: &Target) -> Result<AmdBuild, AmdBuildError> {
    if !is_amd(target) {
        return Err(AmdBuildError::NotAmd(target.name.to_string()));
    }
    if program.kernels.is_empty() {
        return Err(AmdBuildError::Empty(program.name.clone()));
    }
    let (object, kernels) = compile_program_with_lines(program, target)?;
    Ok(AmdBuild { object, kernels })
}

/// Per-kernel resources as `-v` and `--emit asm` report them.
pub fn resources(kernel: &CompiledKernel) -> String {
    let a = &kernel.allocation;
    let instructions = instruction_count(kernel);
    format!(
        "{} VGPRs, {} SGPRs{}, {} scratch bytes per lane, {} LDS bytes, {instructions} instructions ({} bytes)",
        a.vgprs.max(1),
        a.sgprs,
        if a.uses_vcc { " + VCC" } else { "" },
        a.scratch_bytes_per_lane,
        kernel.info.lds_bytes,
        kernel.assembled.code.len()
    )
}

/// The number of machine instructions (labels not counted).
pub fn instruction_count(kernel: &CompiledKernel) -> usize {
    use egpu_codegen_amdgpu::mir::MInst;
    kernel
        .insts
        .iter()
        .filter(|m| !matches!(m, MInst::Label(_)))
        .count()
}

/// `--emit asm`: each kernel's assembly after a comment header naming it and its
/// resources, kernels separated by a blank line. Each `; stmt N` comment gets the
/// statement's line in `KERNEL.kir` and its text, so the assembly reads beside the IR.
pub fn asm_text(program: &Program, build: &AmdBuild) -> String {
    let mut text = String::new();
    for (i, kernel) in build.kernels.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text += &format!("; kernel {}\n; {}\n", kernel.name, resources(kernel));
        let asm = kernel.asm(true);
        match program.kernels.get(i) {
            Some(ir) => text += &annotate(ir, &asm),
            None => text += &asm,
        }
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    text
}

/// The binary each kernel of `build` is loaded from: the one code object, which holds them
/// all (the device finds each by name).
pub fn binaries(build: &AmdBuild) -> Vec<Binary> {
    vec![Binary::CodeObject(build.object.clone()); build.kernels.len()]
}

/// Why a program did not run on an AMD device (the emulator, later HSA).
#[derive(Debug, thiserror::Error)]
pub enum AmdRunError {
    #[error(transparent)]
    Build(#[from] AmdBuildError),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Compiles every kernel of `program` for `target` into one code object and runs the
/// program on `device` with `inputs`.
pub fn run_on_device(
    device: &mut dyn Device,
    program: &Program,
    target: &Target,
    inputs: &BTreeMap<String, Tensor>,
    options: RunOptions,
) -> Result<ProgramRun, AmdRunError> {
    let build = build_program(program, target)?;
    Ok(run_program(
        device,
        program,
        &binaries(&build),
        inputs,
        options,
    )?)
}

/// `; stmt N` → `; stmt N, line L: TEXT` (the statement's `.kir` line and text).
fn annotate(kernel: &Kernel, asm: &str) -> String {
    let index = KernelIndex::new(kernel);
    let (_, lines) = print_with_lines(kernel);
    let mut out = String::with_capacity(asm.len() * 2);
    for line in asm.lines() {
        let stmt = line
            .strip_prefix("; stmt ")
            .and_then(|n| n.trim().parse::<u32>().ok());
        let info = stmt.and_then(|n| Some((n, index.stmt(StmtId::from_u32(n))?)));
        match info {
            Some((n, info)) => {
                let at = lines.get(n as usize).copied().unwrap_or(0);
                let stmt_text = statement_text(kernel, info.stmt);
                out += &format!("; stmt {n}, line {at}: {stmt_text}");
            }
            None => out += line,
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIR: &str = "\
kernel k(a: global f32[64] read_write)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  v0: i32 = local_id.x
  v1: f32 = load a[v0]
  store a[v0] = v1
}
";

    /// Statement comments gain the `.kir` line (counted by hand above) and text; other
    /// lines, and a statement number the kernel does not have, stay as they were.
    #[test]
    fn statement_comments_name_their_kir_line_and_text() {
        let kernel = egpu_ir::kernel::text::parse(KIR).expect("parses");
        let asm = "; stmt 0\nv_and_b32_e32 v1, 0x3ff, v0\n; .L0:\n; stmt 2\ns_endpgm\n; stmt 9\n";
        assert_eq!(
            annotate(&kernel, asm),
            "; stmt 0, line 4: v0: i32 = local_id.x\nv_and_b32_e32 v1, 0x3ff, v0\n; .L0:\n\
             ; stmt 2, line 6: store a[v0] = v1\ns_endpgm\n; stmt 9\n"
        );
    }
}
