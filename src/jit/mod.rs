//! The library API: [`Jit::new`] for a target, [`Jit::compile`] a graph into a [`Program`]
//! (kernels, launch list, buffer plan, machine code), then [`Program::run`] it on a device
//! ([`egpu_runtime::open_default_device`]: `EGPU_DEVICE`, else a GPU, else the emulator).

mod program;
mod run;

pub use program::{Code, NvidiaCode, Program};
pub use run::ProgramRunError;

use crate::amd::{self, AmdBuildError};
use crate::cache::{Cache, CacheKey, key};
use crate::nvidia::{self, NvidiaError};
use egpu_codegen_ptx::PtxOptions;
use egpu_codegen_ptx::toolchain::{Toolchain, ToolchainError};
use egpu_ir::{Graph, Target};
use egpu_passes::pipeline::{self, PipelineError, PipelineOptions};
use egpu_passes::simplify::SimplifyOptions;
use std::sync::{Arc, OnceLock};

/// How [`Jit`] compiles, beyond the target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JitOptions {
    /// Allow rewrites that change floating-point results (reassociation, x·0 → 0, ...).
    pub fast_math: bool,
    /// Optional passes to skip, by name (to bisect a wrong result).
    pub disabled_passes: Vec<String>,
}

/// Why a graph did not compile.
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    /// The target name is not one egpu knows.
    #[error("unknown target '{name}' (targets: {known})")]
    UnknownTarget { name: String, known: String },
    /// A pass refused the graph or failed (the message names the pass).
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The RDNA3 backend refused a kernel (the message names it).
    #[error(transparent)]
    Amd(#[from] AmdBuildError),
    /// The PTX backend refused a kernel, or the assembler failed.
    #[error(transparent)]
    Nvidia(#[from] NvidiaError),
    /// No NVIDIA toolchain could be resolved.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
}

/// A compiler for one target.
pub struct Jit {
    options: PipelineOptions,
    /// The NVIDIA assembler, resolved at the first NVIDIA compile.
    toolchain: OnceLock<Toolchain>,
    /// Where compiled programs are kept; `None` compiles every time.
    cache: Option<Cache>,
}

impl Jit {
    /// A compiler for `target` (`gfx1100`, `sm_80`, `sm_86`, `sm_89`, `sm_90`).
    pub fn new(target: &str) -> Result<Jit, JitError> {
        Jit::with_options(target, JitOptions::default())
    }

    /// A compiler for `target` with `options`.
    pub fn with_options(target: &str, options: JitOptions) -> Result<Jit, JitError> {
        let target = Target::by_name(target).ok_or_else(|| JitError::UnknownTarget {
            name: target.to_string(),
            known: Target::ALL.map(|t| t.name).join(", "),
        })?;
        let simplify = SimplifyOptions {
            fast_math: options.fast_math,
            ..SimplifyOptions::default()
        };
        Ok(Jit {
            options: PipelineOptions {
                target,
                disabled: options.disabled_passes,
                simplify,
            },
            toolchain: OnceLock::new(),
            cache: Cache::shared(),
        })
    }

    /// This compiler with `cache` instead of the process's shared one (`None`: no caching).
    /// By default a compiler uses [`Cache::shared`]: the folder from `EGPU_CACHE_DIR` and
    /// friends, or none with `EGPU_CACHE=off` (docs/cache.md).
    pub fn with_cache(mut self, cache: Option<Cache>) -> Jit {
        self.cache = cache;
        self
    }

    /// The cache this compiler uses.
    pub fn cache(&self) -> Option<&Cache> {
        self.cache.as_ref()
    }

    /// The target this compiler generates code for.
    pub fn target(&self) -> &Target {
        &self.options.target
    }

    /// Compiles `graph`: the pass pipeline, then the target's code generator; or takes the
    /// program from the cache when the same graph was compiled the same way before.
    pub fn compile(&self, graph: &Graph) -> Result<Program, JitError> {
        self.compile_shared(graph).map(Arc::unwrap_or_clone)
    }

    /// [`Jit::compile`] without copying a program the cache already holds.
    pub fn compile_shared(&self, graph: &Graph) -> Result<Arc<Program>, JitError> {
        let Some(cache) = &self.cache else {
            return self.build(graph).map(Arc::new);
        };
        let key = self.cache_key(graph)?;
        if let Some(program) = cache.get(&key) {
            return Ok(program);
        }
        let program = Arc::new(self.build(graph)?);
        cache.insert(key, &program);
        Ok(program)
    }

    /// What the cache knows a compile of `graph` by (docs/cache.md): the graph's text, the
    /// target, the options, the compiler's version and, for NVIDIA, the assembler (resolved
    /// here if it was not yet).
    pub fn cache_key(&self, graph: &Graph) -> Result<CacheKey, JitError> {
        let assembler = if amd::is_amd(&self.options.target) {
            None
        } else {
            Some(&self.toolchain()?.assembler)
        };
        Ok(key::program_key(graph, &self.options, assembler))
    }

    /// The pass pipeline, then the target's code generator.
    fn build(&self, graph: &Graph) -> Result<Program, JitError> {
        let compiled = pipeline::compile(graph, &self.options)?;
        let target = compiled.target;
        let plan = compiled.program;
        let code = if amd::is_amd(&target) {
            Code::Amd {
                object: amd::build_program(&plan, &target)?.object,
            }
        } else {
            let toolchain = self.toolchain()?;
            let kernels = nvidia::build_program(&plan, &target, toolchain, &PtxOptions::default())?;
            Code::Nvidia {
                kernels: kernels
                    .into_iter()
                    .map(|k| NvidiaCode {
                        ptx: k.module.ptx,
                        cubin: k.assembled.map(|a| a.cubin),
                    })
                    .collect(),
            }
        };
        Ok(Program { target, plan, code })
    }

    /// The NVIDIA toolchain, resolved from this process's environment at the first NVIDIA
    /// compile that succeeds in resolving it (a failure is tried again next time).
    fn toolchain(&self) -> Result<&Toolchain, JitError> {
        if let Some(toolchain) = self.toolchain.get() {
            return Ok(toolchain);
        }
        let resolved = Toolchain::from_process()?;
        Ok(self.toolchain.get_or_init(|| resolved))
    }
}
