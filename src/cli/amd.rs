//! `egpu compile` for an AMD target: `--emit asm` prints each kernel's assembly, `-o` writes
//! the code object (`GRAPH.hsaco`, every kernel in one object) beside the `.kir` files.

use super::CliError;
use super::error::{output, unwritable};
use crate::amd::{self, AmdBuild, AmdBuildError};
use egpu_ir::kernel::KernelFiles;
use egpu_passes::pipeline::Compiled;
use std::io::Write;
use std::path::Path;

/// The manifest key naming a kernel's descriptor symbol in the code object (`NAME.kd`,
/// what an HSA loader looks up); the only key whose value is not a file.
pub const SYMBOL_KEY: &str = "symbol";
/// The manifest key naming the code object file.
pub const HSACO_KEY: &str = "hsaco";

/// A backend failure for people: a construct gfx1100 code does not support is the user's
/// to avoid (exit 1), anything else a bug in egpu (exit 2). The message names the kernel.
pub fn build_error(file: &Path, e: AmdBuildError) -> CliError {
    let message = format!("{}: {e}", file.display());
    if e.is_users() {
        CliError::User(message)
    } else {
        CliError::Internal(message)
    }
}

fn build(compiled: &Compiled, file: &Path) -> Result<AmdBuild, CliError> {
    amd::build_program(&compiled.program, &compiled.target).map_err(|e| build_error(file, e))
}

/// `--emit asm`: every kernel's assembly with a header comment (name and resources).
pub fn asm(compiled: &Compiled, file: &Path) -> Result<String, CliError> {
    Ok(amd::asm_text(&compiled.program, &build(compiled, file)?))
}

/// The AMD part of `-o`: `DIR/GRAPH.hsaco`, named with each kernel's descriptor symbol in
/// its manifest files; with `verbose`, each kernel's registers, scratch, LDS and
/// instruction count on `err`.
pub fn write(
    compiled: &Compiled,
    source: &Path,
    dir: &Path,
    verbose: bool,
    files: &mut [KernelFiles],
    err: &mut dyn Write,
) -> Result<(), CliError> {
    if compiled.program.kernels.is_empty() {
        return Ok(()); // nothing to put in a code object (and an empty one is not valid)
    }
    let built = build(compiled, source)?;
    let object = format!("{}.hsaco", compiled.program.name);
    let path = dir.join(&object);
    std::fs::write(&path, &built.object).map_err(|e| unwritable(&path, e))?;
    for (kernel, files) in built.kernels.iter().zip(files.iter_mut()) {
        files.push((HSACO_KEY, object.clone()));
        files.push((SYMBOL_KEY, format!("{}.kd", kernel.name)));
    }
    if verbose {
        let mut report = String::new();
        for kernel in &built.kernels {
            report += &format!(
                "{}: {}: {}\n",
                compiled.target.name,
                kernel.name,
                amd::resources(kernel)
            );
        }
        err.write_all(report.as_bytes()).map_err(output)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use egpu_codegen_amdgpu::AmdError;
    use egpu_codegen_amdgpu::isel::IselError;
    use egpu_codegen_amdgpu::regalloc::RegallocError;

    /// What the user can avoid exits 1; a bug in egpu exits 2; the message names the file
    /// and the kernel once.
    #[test]
    fn backend_failures_are_sorted_by_whose_they_are() {
        let file = Path::new("g.egir");
        let unsupported = AmdBuildError::Compile(AmdError::Isel(IselError::Unsupported {
            kernel: "k0".into(),
            what: "fragment_zero".into(),
        }));
        let e = build_error(file, unsupported);
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.to_string(),
            "error: g.egir: kernel k0: fragment_zero is not supported on gfx1100"
        );
        let malformed = AmdBuildError::Compile(AmdError::Isel(IselError::Malformed {
            kernel: "k0".into(),
            what: "v3 has no type".into(),
        }));
        assert_eq!(build_error(file, malformed).exit_code(), 2);
        let regalloc = AmdBuildError::Compile(AmdError::Regalloc {
            kernel: "k1".into(),
            error: RegallocError::Failed("out of VGPRs".into()),
        });
        let e = build_error(file, regalloc);
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .starts_with("internal error: g.egir: kernel k1: "),
            "{e}"
        );
        assert_eq!(
            build_error(file, AmdBuildError::NotAmd("sm_90".into())).exit_code(),
            1
        );
    }
}
