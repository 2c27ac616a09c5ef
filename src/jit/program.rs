//! A compiled [`Program`]: the kernel-IR plan (kernels, buffers, launch order, outputs) and
//! the target's machine code, ready to run on any device that can load it.

use egpu_ir::Target;
use egpu_ir::kernel;
use egpu_runtime::Binary;

/// A graph compiled for one target by [`super::Jit::compile`].
#[derive(Clone, Debug)]
pub struct Program {
    /// The target the code was generated for.
    pub target: Target,
    /// Kernels (as kernel IR), the buffer plan, launches in order and the graph's outputs.
    pub plan: kernel::Program,
    /// The target's machine code for every kernel of `plan`.
    pub code: Code,
}

/// Machine code for every kernel of a program, in the plan's kernel order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code {
    /// AMD targets: one HSA code object holding every kernel (symbol `NAME.kd`).
    Amd { object: Vec<u8> },
    /// NVIDIA targets: each kernel's PTX, and its cubin when an assembler was found (without
    /// one the CUDA driver JIT-compiles the PTX at load).
    Nvidia { kernels: Vec<NvidiaCode> },
}

/// One kernel's NVIDIA code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NvidiaCode {
    pub ptx: String,
    pub cubin: Option<Vec<u8>>,
}

impl Program {
    /// The program's name (the graph's).
    pub fn name(&self) -> &str {
        &self.plan.name
    }

    /// Kernels per run.
    pub fn kernel_count(&self) -> usize {
        self.plan.kernels.len()
    }

    /// The binary each kernel loads from on a device of kind `device` (its
    /// [`egpu_runtime::Device::name`]): kernel IR on `cpu`, the code object on `emu` and
    /// `hsa`, the cubin (with its PTX as a fallback) or PTX on `cuda`. `None` when this
    /// program's code cannot run there (AMD code on a CUDA device, ...).
    pub fn binaries_for(&self, device: &str) -> Option<Vec<Binary>> {
        let kind = device.split(':').next().unwrap_or(device);
        match (kind, &self.code) {
            ("cpu", _) => Some(self.plan.kernels.iter().cloned().map(Binary::Kir).collect()),
            ("emu" | "hsa", Code::Amd { object }) => Some(vec![
                Binary::CodeObject(object.clone());
                self.kernel_count()
            ]),
            ("cuda", Code::Nvidia { kernels }) => Some(
                kernels
                    .iter()
                    .map(|k| match &k.cubin {
                        Some(image) => Binary::Cubin {
                            image: image.clone(),
                            ptx: Some(k.ptx.clone()),
                        },
                        None => Binary::Ptx(k.ptx.clone()),
                    })
                    .collect(),
            ),
            _ => None,
        }
    }
}
