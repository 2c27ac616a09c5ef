//! Turning PTX text into a cubin with NVIDIA's assembler, wherever it is: found on this
//! machine ([`Toolchain::resolve`]: `EGPU_PTXAS`, PATH, `$CUDA_HOME`, `/usr/local/cuda`),
//! inside a container ([`container`]: docker or podman, PTX in on stdin, cubin out on
//! stdout), or nowhere (the CUDA driver JIT-compiles the PTX at load). docs/ptx.md is the
//! user's guide.

pub mod container;
mod env;
mod error;
mod ptxas;
pub mod report;
mod resolve;
mod run;
mod session;

use std::path::PathBuf;
use std::time::Duration;

pub use env::{DEFAULT_CUDA_DIR, Env};
pub use error::ToolchainError;
pub use ptxas::{PtxasVersion, parse_version};
pub use report::{KernelInfo, PtxasInfo, parse_info};
pub use session::Session;

/// A cubin and what ptxas `-v` said about it.
#[derive(Clone, Debug)]
pub struct Assembled {
    pub cubin: Vec<u8>,
    pub info: PtxasInfo,
}

/// How a local ptxas was found (the resolution step that found it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HowFound {
    /// `EGPU_PTXAS`
    EnvVar,
    /// `ptxas` on PATH
    Path,
    /// `$CUDA_HOME/bin/ptxas`
    CudaHome,
    /// `/usr/local/cuda/bin/ptxas`
    CudaDefault,
}

impl HowFound {
    fn describe(self) -> &'static str {
        match self {
            HowFound::EnvVar => "from EGPU_PTXAS",
            HowFound::Path => "found on PATH",
            HowFound::CudaHome => "from $CUDA_HOME",
            HowFound::CudaDefault => "in /usr/local/cuda",
        }
    }
}

/// The route PTX takes to a cubin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assembler {
    /// A ptxas binary on this machine.
    Local {
        path: PathBuf,
        how_found: HowFound,
        /// None when `ptxas --version` did not say.
        version: Option<PtxasVersion>,
    },
    /// `/bin/ptxas` inside `image`, run by the engine at `engine` (docker or podman).
    Container { engine: PathBuf, image: String },
    /// No assembler: the caller keeps the PTX and the CUDA driver compiles it at load.
    DriverJit { why: String },
}

/// How long the toolchain waits for the programs it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `docker info`, `image inspect`, `ptxas --version`, removing a container.
    pub probe: Duration,
    /// One ptxas run (with its container's start), and starting a session's container.
    pub assemble: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            probe: Duration::from_secs(5),
            assemble: Duration::from_secs(120),
        }
    }
}

/// A resolved toolchain: the route and the time limits its programs run under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolchain {
    pub assembler: Assembler,
    pub limits: Limits,
}

impl Toolchain {
    /// Resolves from this process's environment (see [`Toolchain::resolve`]).
    pub fn from_process() -> Result<Toolchain, ToolchainError> {
        Toolchain::resolve(&Env::from_process(), Limits::default())
    }

    /// Resolves from `env`: `EGPU_PTXAS` → `ptxas` on PATH → `$CUDA_HOME/bin/ptxas` →
    /// `/usr/local/cuda/bin/ptxas` → a container engine that answers and has the image →
    /// the driver's JIT. Fails only when `EGPU_PTXAS` is set to no executable file.
    pub fn resolve(env: &Env, limits: Limits) -> Result<Toolchain, ToolchainError> {
        resolve::resolve(env, limits)
    }

    /// The ptxas at `path`, used as given (its version is asked for).
    pub fn local(path: impl Into<PathBuf>, how_found: HowFound) -> Toolchain {
        let path = path.into();
        let limits = Limits::default();
        let version = ptxas::query_version(&path, limits.probe);
        Toolchain {
            assembler: Assembler::Local {
                path,
                how_found,
                version,
            },
            limits,
        }
    }

    /// ptxas in `image` run by `engine` (a path to docker or podman), not probed.
    pub fn container(engine: impl Into<PathBuf>, image: &str) -> Toolchain {
        Toolchain {
            assembler: Assembler::Container {
                engine: engine.into(),
                image: image.to_string(),
            },
            limits: Limits::default(),
        }
    }

    /// The same toolchain with other time limits (builder style).
    pub fn with_limits(mut self, limits: Limits) -> Toolchain {
        self.limits = limits;
        self
    }

    /// One line saying which assembler this is and where it came from, e.g.
    /// `ptxas 13.5 (V13.5.37) at /usr/local/cuda/bin/ptxas (in /usr/local/cuda)`.
    pub fn describe(&self) -> String {
        match &self.assembler {
            Assembler::Local {
                path,
                how_found,
                version,
            } => {
                let version = version.as_ref().map_or_else(
                    || "(version unknown)".to_string(),
                    |v| format!("{} ({})", v.release, v.build),
                );
                format!(
                    "ptxas {version} at {} ({})",
                    path.display(),
                    how_found.describe()
                )
            }
            Assembler::Container { engine, image } => format!(
                "ptxas in image {image} run by {} ({})",
                container::engine_name(engine),
                engine.display()
            ),
            Assembler::DriverJit { why } => {
                format!("no ptxas: the CUDA driver JIT-compiles the PTX at load ({why})")
            }
        }
    }

    /// Assembles `ptx` for `arch` (`sm_80`, `sm_90a`) into a cubin with ptxas's `-v` report.
    /// The driver-JIT route has no assembler and answers [`ToolchainError::NoAssembler`].
    pub fn assemble(&self, ptx: &str, arch: &str) -> Result<Assembled, ToolchainError> {
        ptxas::check_arch(arch)?;
        match &self.assembler {
            Assembler::Local { path, .. } => {
                ptxas::assemble_local(path, ptx, arch, self.limits.assemble)
            }
            Assembler::Container { engine, image } => {
                container::assemble_once(engine, image, ptx, arch, self.limits.assemble)
            }
            Assembler::DriverJit { why } => Err(ToolchainError::NoAssembler { why: why.clone() }),
        }
    }
}
