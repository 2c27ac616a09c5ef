//! Which assembler egpu uses, in the documented order (docs/ptx.md, Toolchain):
//! `EGPU_PTXAS` → `ptxas` on PATH → `$CUDA_HOME/bin/ptxas` → `/usr/local/cuda/bin/ptxas` →
//! a container engine with a ptxas image → the CUDA driver's JIT.

use std::path::{Path, PathBuf};

use super::container::{self, DEFAULT_ENGINE, DEFAULT_IMAGE};
use super::env::Env;
use super::ptxas::query_version;
use super::{Assembler, HowFound, Limits, Toolchain, ToolchainError};

/// Resolves the toolchain from `env`. Fails only when `EGPU_PTXAS` names no executable:
/// every other miss falls through to the next route, the last being the driver's JIT.
pub fn resolve(env: &Env, limits: Limits) -> Result<Toolchain, ToolchainError> {
    let found = |path: PathBuf, how_found| {
        let version = query_version(&path, limits.probe);
        Ok(Toolchain {
            assembler: Assembler::Local {
                path,
                how_found,
                version,
            },
            limits,
        })
    };
    if let Some(path) = env.get("EGPU_PTXAS") {
        let path = env.cwd().join(path);
        if !is_executable(&path) {
            return Err(ToolchainError::PtxasVarMissing { path });
        }
        return found(path, HowFound::EnvVar);
    }
    // Why each route was passed over, for the DriverJit line.
    let mut misses = Vec::new();
    match env.which("ptxas") {
        Some(path) => return found(path, HowFound::Path),
        None => misses.push("no ptxas on PATH".to_string()),
    }
    match env.get("CUDA_HOME") {
        Some(home) => {
            let path = Path::new(home).join("bin/ptxas");
            if is_executable(&path) {
                return found(path, HowFound::CudaHome);
            }
            misses.push(format!("no {}", path.display()));
        }
        None => misses.push("CUDA_HOME unset".to_string()),
    }
    let path = env.cuda_default_dir().join("bin/ptxas");
    if is_executable(&path) {
        return found(path, HowFound::CudaDefault);
    }
    misses.push(format!("no {}", path.display()));
    match container_route(env, limits) {
        Ok(assembler) => {
            return Ok(Toolchain { assembler, limits });
        }
        Err(why) => misses.push(why),
    }
    Ok(Toolchain {
        assembler: Assembler::DriverJit {
            why: misses.join(", "),
        },
        limits,
    })
}

/// The container route when the engine answers and has the image; else why not.
fn container_route(env: &Env, limits: Limits) -> Result<Assembler, String> {
    let name = env
        .get("EGPU_CONTAINER_ENGINE")
        .map_or(DEFAULT_ENGINE.into(), |s| s.to_string_lossy());
    let image = env
        .get("EGPU_NVCC_IMAGE")
        .map_or(DEFAULT_IMAGE.into(), |s| s.to_string_lossy())
        .into_owned();
    let Some(engine) = env.which(&name) else {
        return Err(format!("no {name} on PATH"));
    };
    container::probe(&engine, &image, limits.probe).map_err(|e| e.to_string())?;
    Ok(Assembler::Container { engine, image })
}

/// A regular file with an execute bit (what `which` also demands).
#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
