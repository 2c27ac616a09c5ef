//! The whole AMD pipeline for a kernel and a program: isel → regalloc → waitcnt → hazards →
//! assemble → code object.

use crate::assemble::{AssembleError, Assembled};
use crate::isel::{IselError, KernelInfo};
use crate::mir::MInst;
use crate::object::{KernelCode, KernelResources, ObjectError};
use crate::regalloc::{Allocation, RegallocError};
use egpu_ir::Target;
use egpu_ir::kernel::{Kernel, Program};

/// Why a kernel or program has no RDNA3 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmdError {
    #[error(transparent)]
    Isel(#[from] IselError),
    #[error("kernel {kernel}: {error}")]
    Regalloc {
        kernel: String,
        error: RegallocError,
    },
    #[error("kernel {kernel}: {error}")]
    Hazard {
        kernel: String,
        error: crate::hazards::HazardError,
    },
    #[error("kernel {kernel}: {error}")]
    Assemble {
        kernel: String,
        error: AssembleError,
    },
    #[error(transparent)]
    Object(#[from] ObjectError),
}

/// One kernel through the pipeline.
#[derive(Clone, Debug)]
pub struct CompiledKernel {
    pub name: String,
    /// The final machine code (physical registers, waits and hazard fixes in place).
    pub insts: Vec<MInst>,
    pub assembled: Assembled,
    pub info: KernelInfo,
    pub allocation: Allocation,
}

impl CompiledKernel {
    /// What the code object writer takes.
    pub fn code(&self) -> KernelCode {
        let a = &self.allocation;
        let i = &self.info;
        KernelCode {
            name: self.name.clone(),
            code: self.assembled.code.clone(),
            resources: KernelResources {
                vgpr_count: a.vgprs.max(1),
                sgpr_count: a.sgprs,
                uses_vcc: a.uses_vcc,
                lds_bytes: i.lds_bytes,
                scratch_bytes_per_lane: a.scratch_bytes_per_lane,
                kernarg_size: i.kernarg_size,
                kernarg_align: i.kernarg_align,
                workgroup_id: i.workgroup_id,
                workitem_id_dims: i.workitem_id_dims,
                max_flat_workgroup_size: i.max_flat_workgroup_size,
            },
            args: i.args.clone(),
        }
    }

    /// The assembly text (see [`crate::assemble::print`]).
    pub fn asm(&self, comments: bool) -> String {
        crate::assemble::print(&self.insts, comments)
    }
}

/// Compiles one kernel.
pub fn compile_kernel(kernel: &Kernel, target: &Target) -> Result<CompiledKernel, AmdError> {
    let name = kernel.name().to_string();
    let (mut mir, info) = crate::isel::select(kernel, target)?;
    let mut allocation =
        crate::regalloc::allocate(&mut mir).map_err(|error| AmdError::Regalloc {
            kernel: name.clone(),
            error,
        })?;
    let mut insts = mir.insts;
    crate::waitcnt::insert(&mut insts);
    crate::hazards::fix(&mut insts).map_err(|error| AmdError::Hazard {
        kernel: name.clone(),
        error,
    })?;
    if crate::branches::relax(&mut insts) {
        // The far-branch pair s[104:105] is in use.
        allocation.sgprs = allocation
            .sgprs
            .max(u32::from(crate::branches::FAR_PAIR) + 2);
    }
    let assembled = crate::assemble::assemble(&insts).map_err(|error| AmdError::Assemble {
        kernel: name.clone(),
        error,
    })?;
    Ok(CompiledKernel {
        name,
        insts,
        assembled,
        info,
        allocation,
    })
}

/// Compiles every kernel of a program into one code object (kernels in program order).
pub fn compile_program(
    program: &Program,
    target: &Target,
) -> Result<(Vec<u8>, Vec<CompiledKernel>), AmdError> {
    build(program, target, false)
}

/// [`compile_program`] with a DWARF line table per kernel ([`crate::dwarf`]): each
/// instruction's address → its statement's line in the kernel's printed `.kir`.
pub fn compile_program_with_lines(
    program: &Program,
    target: &Target,
) -> Result<(Vec<u8>, Vec<CompiledKernel>), AmdError> {
    build(program, target, true)
}

fn build(
    program: &Program,
    target: &Target,
    lines: bool,
) -> Result<(Vec<u8>, Vec<CompiledKernel>), AmdError> {
    let kernels = program
        .kernels
        .iter()
        .map(|k| compile_kernel(k, target))
        .collect::<Result<Vec<_>, _>>()?;
    let codes: Vec<KernelCode> = kernels.iter().map(CompiledKernel::code).collect();
    let object = if lines {
        let lines: Vec<_> = program
            .kernels
            .iter()
            .zip(&kernels)
            .map(|(k, c)| crate::dwarf::kernel_lines(k, &c.assembled.lines))
            .collect();
        crate::object::CodeObject::write_with_debug(&codes, &lines)?
    } else {
        crate::object::CodeObject::write(&codes)?
    };
    Ok((object, kernels))
}
