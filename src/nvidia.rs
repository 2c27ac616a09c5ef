//! The NVIDIA route of a compiled program: each kernel's PTX module (written by
//! `egpu-codegen-ptx`), in the program's kernel order, and its cubin from the toolchain.

use egpu_codegen_ptx::toolchain::{Assembled, Assembler, Session, Toolchain, ToolchainError};
use egpu_codegen_ptx::{PtxError, PtxOptions, emit_kernel};
use egpu_ir::Target;
use egpu_ir::interp::Tensor;
use egpu_ir::kernel::Program;
use egpu_ir::precision::Family;
use egpu_runtime::program::{ProgramRun, RunError, RunOptions, run_program};
use egpu_runtime::{Binary, Device};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One kernel's PTX module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PtxModule {
    /// The kernel's name, which is also the module's `.entry`.
    pub kernel: String,
    pub ptx: String,
}

/// Whether `target` is one the PTX backend compiles for.
pub fn is_nvidia(target: &Target) -> bool {
    Family::of(target) == Family::Nvidia
}

/// The PTX of every kernel of `program` for `target`, in kernel order.
pub fn emit_program(
    program: &Program,
    target: &Target,
    options: &PtxOptions,
) -> Result<Vec<PtxModule>, PtxError> {
    program
        .kernels
        .iter()
        .map(|kernel| {
            Ok(PtxModule {
                kernel: kernel.name().to_string(),
                ptx: emit_kernel(kernel, target, options)?,
            })
        })
        .collect()
}

/// A kernel's PTX and, when an assembler was found, its cubin with ptxas's `-v` report.
#[derive(Clone, Debug)]
pub struct NvidiaKernel {
    pub module: PtxModule,
    /// `None` on the driver-JIT route (no assembler): the driver compiles the PTX at load.
    pub assembled: Option<Assembled>,
}

/// Why a program has no NVIDIA code.
#[derive(Debug, thiserror::Error)]
pub enum NvidiaError {
    /// A kernel uses something the PTX backend does not support on the target.
    #[error(transparent)]
    Ptx(#[from] PtxError),
    /// The assembler could not be found or run, or it refused egpu's PTX.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
}

/// Every kernel of `program` as PTX for `target`, assembled by `toolchain` unless it is the
/// driver-JIT route. A many-kernel program shares one assembler session (one container on
/// the container route, instead of one per kernel).
pub fn build_program(
    program: &Program,
    target: &Target,
    toolchain: &Toolchain,
    options: &PtxOptions,
) -> Result<Vec<NvidiaKernel>, NvidiaError> {
    let modules = emit_program(program, target, options)?;
    if matches!(toolchain.assembler, Assembler::DriverJit { .. }) {
        let unassembled = |module| NvidiaKernel {
            module,
            assembled: None,
        };
        return Ok(modules.into_iter().map(unassembled).collect());
    }
    let session = toolchain.start_session()?;
    let assembled = assemble_all(&session, &modules, target.name);
    modules
        .into_iter()
        .zip(assembled)
        .map(|(module, assembled)| {
            Ok(NvidiaKernel {
                module,
                assembled: Some(assembled?),
            })
        })
        .collect()
}

/// Assembles every module through `session`, several ptxas processes at once (one per
/// core; each call costs tens of milliseconds, most of a program's compile time); the
/// results come back in module order whatever order they finish in.
fn assemble_all(
    session: &Session,
    modules: &[PtxModule],
    arch: &str,
) -> Vec<Result<Assembled, ToolchainError>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(modules.len());
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Assembled, ToolchainError>>>> =
        Mutex::new((0..modules.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(module) = modules.get(i) else { break };
                    let result = session.assemble(&module.ptx, arch);
                    if let Ok(mut results) = results.lock() {
                        results[i] = Some(result);
                    }
                }
            });
        }
    });
    let results = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(ToolchainError::Io {
                    what: "assembling a kernel".into(),
                    source: std::io::Error::other("its worker thread stopped early"),
                })
            })
        })
        .collect()
}

/// The binary a GPU device loads for each kernel: the cubin with its PTX beside it (the
/// device JIT-compiles the PTX if the driver refuses the cubin), or the PTX alone.
pub fn binaries(kernels: Vec<NvidiaKernel>) -> Vec<Binary> {
    kernels
        .into_iter()
        .map(|k| match k.assembled {
            Some(a) => Binary::Cubin {
                image: a.cubin,
                ptx: Some(k.module.ptx),
            },
            None => Binary::Ptx(k.module.ptx),
        })
        .collect()
}

/// Why a program did not run on an NVIDIA device.
#[derive(Debug, thiserror::Error)]
pub enum NvidiaRunError {
    #[error(transparent)]
    Build(#[from] NvidiaError),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Compiles every kernel of `program` for `target` (assembled by `toolchain` where it can be)
/// and runs the program on `device` with `inputs`.
pub fn run_on_device(
    device: &mut dyn Device,
    program: &Program,
    target: &Target,
    toolchain: &Toolchain,
    inputs: &BTreeMap<String, Tensor>,
    options: RunOptions,
) -> Result<ProgramRun, NvidiaRunError> {
    let kernels = build_program(program, target, toolchain, &PtxOptions::default())?;
    Ok(run_program(
        device,
        program,
        &binaries(kernels),
        inputs,
        options,
    )?)
}
