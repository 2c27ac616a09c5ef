//! `egpu compile FILE --target T`: run the pass pipeline and print or dump its stages, print
//! the PTX of an NVIDIA target (`--emit ptx`) or the assembly of an AMD one (`--emit asm`),
//! or write the kernels with a manifest (`-o`).

use super::error::{create_dir, output, shown, unwritable};
use super::{CliError, amd, load};
use crate::jit::JitError;
use crate::nvidia::{self, NvidiaError};
use egpu_codegen_ptx::PtxOptions;
use egpu_codegen_ptx::toolchain::{Assembler, Toolchain, ToolchainError};
use egpu_ir::kernel::KernelFiles;
use egpu_ir::{Graph, Target};
use egpu_passes::pipeline::{self, Compiled, PipelineError, PipelineOptions, Stage};
use egpu_passes::simplify::SimplifyOptions;
use std::io::Write;
use std::path::Path;

/// What `egpu compile` was asked to do.
pub struct CompileArgs<'a> {
    pub file: &'a Path,
    pub target: &'a str,
    pub emit: &'a str,
    pub disabled: &'a [String],
    pub dump_dir: Option<&'a Path>,
    pub out_dir: Option<&'a Path>,
    pub fast_math: bool,
    pub verbose: bool,
}

/// What `--emit` may name besides the pipeline's stages: the PTX of an NVIDIA target.
pub const EMIT_PTX: &str = "ptx";
/// ... and the assembly of an AMD target.
pub const EMIT_ASM: &str = "asm";

/// What `--emit` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Emit {
    Stage(Stage),
    Ptx,
    Asm,
}

pub fn run(args: &CompileArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), CliError> {
    let emit = emitted(args.emit)?;
    let graph = load::graph(args.file)?;
    let options = pipeline_options(args.target, args.disabled, args.fast_math)?;
    check_family(emit, &options.target)?;
    let compiled = compile(&graph, &options)?;
    if args.verbose {
        report(&compiled, err)?;
    }
    if let Some(dir) = args.dump_dir {
        dump(&compiled, dir)?;
    }
    if let Some(dir) = args.out_dir {
        let text = write_program(&compiled, args.file, dir, args.verbose, err)?;
        return out.write_all(text.as_bytes()).map_err(output);
    }
    let text = match emit {
        Emit::Stage(stage) => compiled.stage_text(stage),
        Emit::Ptx => ptx_text(&compiled, &PtxOptions { comments: true })?.join("\n"),
        Emit::Asm => amd::asm(&compiled, args.file)?,
    };
    out.write_all(text.as_bytes()).map_err(output)
}

/// What `--emit` names.
fn emitted(name: &str) -> Result<Emit, CliError> {
    match name {
        EMIT_PTX => return Ok(Emit::Ptx),
        EMIT_ASM => return Ok(Emit::Asm),
        _ => {}
    }
    let stage = Stage::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
        CliError::User(format!(
            "--emit {}: unknown stage (stages: {}, {EMIT_PTX}, {EMIT_ASM})",
            shown(name),
            names.join(", ")
        ))
    })?;
    Ok(Emit::Stage(stage))
}

/// `--emit ptx` needs an NVIDIA target, `--emit asm` an AMD one.
fn check_family(emit: Emit, target: &Target) -> Result<(), CliError> {
    // (flag value, family, what its targets are called, the test)
    let (flag, family, kind, is): (_, _, _, fn(&Target) -> bool) = match emit {
        Emit::Ptx => (EMIT_PTX, "NVIDIA", "PTX", nvidia::is_nvidia),
        Emit::Asm => (EMIT_ASM, "AMD", "AMD", crate::amd::is_amd),
        Emit::Stage(_) => return Ok(()),
    };
    if is(target) {
        return Ok(());
    }
    let names: Vec<&str> = Target::ALL
        .iter()
        .filter(|t| is(t))
        .map(|t| t.name)
        .collect();
    Err(CliError::User(format!(
        "--emit {flag}: {} is not an {family} target ({kind} targets: {})",
        target.name,
        names.join(", ")
    )))
}

/// Every kernel's PTX module, in kernel order. A construct the backend does not support on
/// the target is the user's to avoid (exit 1).
fn ptx_text(compiled: &Compiled, options: &PtxOptions) -> Result<Vec<String>, CliError> {
    let modules = nvidia::emit_program(&compiled.program, &compiled.target, options)
        .map_err(|e| CliError::User(e.to_string()))?;
    Ok(modules.into_iter().map(|m| m.ptx).collect())
}

/// Writes each kernel's IR as `DIR/NAME.kir`, for an NVIDIA target its PTX as `DIR/NAME.ptx`
/// (with a comment per kernel-IR statement when `verbose`) and its cubin as `DIR/NAME.cubin`
/// when an assembler is found, for an AMD target one code object `DIR/GRAPH.hsaco`, and
/// `DIR/manifest.json`; returns what it wrote. `verbose` reports the assembler and ptxas's
/// registers, spills and shared bytes per kernel (NVIDIA), or each kernel's registers,
/// scratch, LDS and instruction count (AMD), on `err`. `source` names the graph file in
/// errors.
fn write_program(
    compiled: &Compiled,
    source: &Path,
    dir: &Path,
    verbose: bool,
    err: &mut dyn Write,
) -> Result<String, CliError> {
    create_dir(dir)?;
    let program = &compiled.program;
    let mut files: Vec<KernelFiles> = Vec::new();
    for kernel in &program.kernels {
        let file = format!("{}.kir", kernel.name());
        write_file(&dir.join(&file), egpu_ir::kernel::print(kernel))?;
        files.push(vec![("file", file)]);
    }
    let mut notice = String::new();
    if nvidia::is_nvidia(&compiled.target) {
        notice = write_nvidia(compiled, dir, verbose, &mut files, err)?;
    } else if crate::amd::is_amd(&compiled.target) {
        amd::write(compiled, source, dir, verbose, &mut files, err)?;
    }
    let manifest = program.manifest_json(compiled.target.name, &files);
    write_file(&dir.join("manifest.json"), manifest)?;
    // One code object holds every kernel; a symbol is a name in it, not a file.
    let written: std::collections::BTreeSet<&str> = files
        .iter()
        .flatten()
        .filter(|(key, _)| *key != amd::SYMBOL_KEY)
        .map(|(_, file)| file.as_str())
        .collect();
    Ok(format!(
        "{notice}wrote {} kernel(s) ({} files) and manifest.json to {}\n",
        files.len(),
        written.len(),
        dir.display()
    ))
}

/// The NVIDIA part of `-o`: `NAME.ptx` and, when assembled, `NAME.cubin` per kernel, added to
/// each kernel's files; returns a notice line when there is no assembler.
fn write_nvidia(
    compiled: &Compiled,
    dir: &Path,
    verbose: bool,
    files: &mut [KernelFiles],
    err: &mut dyn Write,
) -> Result<String, CliError> {
    let toolchain = Toolchain::from_process().map_err(toolchain_error)?;
    let options = PtxOptions { comments: verbose };
    let kernels = nvidia::build_program(&compiled.program, &compiled.target, &toolchain, &options)
        .map_err(nvidia_error)?;
    let mut report = format!("assembler: {}\n", toolchain.describe());
    for (kernel, files) in kernels.iter().zip(files.iter_mut()) {
        let name = &kernel.module.kernel;
        let file = format!("{name}.ptx");
        write_file(&dir.join(&file), kernel.module.ptx.clone())?;
        files.push(("ptx", file));
        let Some(assembled) = &kernel.assembled else {
            continue;
        };
        let file = format!("{name}.cubin");
        std::fs::write(dir.join(&file), &assembled.cubin)
            .map_err(|e| unwritable(&dir.join(&file), e))?;
        files.push(("cubin", file));
        for info in &assembled.info.kernels {
            report += &format!(
                "ptxas: {}: {} registers, {} bytes spill stores, {} bytes spill loads, {} bytes shared\n",
                info.name,
                info.registers,
                info.spill_store_bytes,
                info.spill_load_bytes,
                info.shared_bytes
            );
        }
    }
    if verbose {
        err.write_all(report.as_bytes()).map_err(output)?;
    }
    Ok(match toolchain.assembler {
        Assembler::DriverJit { .. } => "no PTX assembler found: wrote PTX only (the CUDA driver \
compiles it at load; see `egpu compile --help`)\n"
            .to_string(),
        _ => String::new(),
    })
}

/// A toolchain failure for people: a wrong `EGPU_PTXAS` is the user's to fix; ptxas refusing
/// our PTX is a bug in egpu; anything else is a failing tool (exit 2 for both).
pub fn toolchain_error(e: ToolchainError) -> CliError {
    match e {
        ToolchainError::PtxasVarMissing { .. } => CliError::User(e.to_string()),
        ToolchainError::Rejected { .. } => CliError::Internal(format!(
            "egpu wrote PTX that ptxas refuses (a bug in egpu): {e}"
        )),
        e => CliError::Internal(e.to_string()),
    }
}

/// A compile failure for people: the user's when the graph uses something a backend does not
/// support or a pass name is unknown (exit 1), else egpu's or a tool's (exit 2).
pub fn jit_error(file: &Path, e: JitError) -> CliError {
    match e {
        JitError::UnknownTarget { .. } => CliError::User(format!("--target: {e}")),
        JitError::Pipeline(PipelineError::UnknownPass(_)) => {
            CliError::User(format!("--disable-pass: {e}"))
        }
        JitError::Pipeline(e) => CliError::Internal(e.to_string()),
        JitError::Amd(e) => super::amd::build_error(file, e),
        JitError::Nvidia(e) => nvidia_error(e),
        JitError::Toolchain(e) => toolchain_error(e),
    }
}

/// An NVIDIA build failure for people: an unsupported construct is the user's (exit 1), a
/// toolchain failure as [`toolchain_error`] says.
pub fn nvidia_error(e: NvidiaError) -> CliError {
    match e {
        NvidiaError::Ptx(e) => CliError::User(e.to_string()),
        NvidiaError::Toolchain(e) => toolchain_error(e),
    }
}

/// Builds the options (clap has already restricted the names to known ones; the checks here
/// serve callers that did not come through clap).
pub fn pipeline_options(
    target: &str,
    disabled: &[String],
    fast_math: bool,
) -> Result<PipelineOptions, CliError> {
    let Some(target) = Target::by_name(target) else {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name).collect();
        return Err(CliError::User(format!(
            "--target {target}: unknown target (targets: {})",
            names.join(", ")
        )));
    };
    let simplify = SimplifyOptions {
        fast_math,
        ..SimplifyOptions::default()
    };
    Ok(PipelineOptions {
        target,
        disabled: disabled.to_vec(),
        simplify,
    })
}

/// Runs the pipeline; an unknown pass name is the user's mistake, any other pass failure on
/// a valid graph is the compiler's fault (exit 2).
pub fn compile(graph: &Graph, options: &PipelineOptions) -> Result<Compiled, CliError> {
    pipeline::compile(graph, options).map_err(pipeline_error)
}

/// A pipeline error for people: the pipeline's message (which names the pass once) after
/// the command's own `error: ` or `internal error: `.
fn pipeline_error(e: PipelineError) -> CliError {
    match e {
        PipelineError::UnknownPass(_) => CliError::User(format!("--disable-pass: {e}")),
        e => CliError::Internal(e.to_string()),
    }
}

/// Debug output: what each pass did.
fn report(compiled: &Compiled, err: &mut dyn Write) -> Result<(), CliError> {
    let simplify = match &compiled.simplify_report {
        Some(r) => format!("simplify: {r}"),
        None => "simplify: disabled".to_string(),
    };
    let mut text = format!(
        "{simplify}\nschedule: {} kernel(s)\n",
        compiled.kernel_count()
    );
    for (kernel, plan) in compiled.program.kernels.iter().zip(&compiled.plans) {
        text += &format!("optimize: {}: {plan}\n", kernel.name());
    }
    for (pass, before, after) in &compiled.kernel_passes {
        text += &format!("{pass}: {before} -> {after} statements\n");
    }
    err.write_all(text.as_bytes()).map_err(output)
}

/// Writes every stage to `DIR/NN-STAGE.txt`.
fn dump(compiled: &Compiled, dir: &Path) -> Result<(), CliError> {
    create_dir(dir)?;
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        let file = dir.join(format!("{i}-{}.txt", stage.name()));
        write_file(&file, compiled.stage_text(stage))?;
    }
    Ok(())
}

fn write_file(path: &Path, text: String) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| unwritable(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use egpu_ir::NodeId;
    use egpu_passes::lower::LowerError;
    use egpu_passes::schedule::ScheduleError;

    /// Each prefix (the command's, then the pass's) appears exactly once.
    #[test]
    fn a_failing_pass_is_named_once_after_internal_error() {
        let cases = [
            (
                PipelineError::from(LowerError::PlanCount {
                    kernels: 1,
                    plans: 0,
                }),
                "internal error: lower: 0 plans for 1 kernels",
            ),
            (
                PipelineError::from(ScheduleError::Unwritten {
                    node: NodeId::from_u32(2),
                }),
                "internal error: schedule: node n2 is loaded but no kernel writes it (internal error)",
            ),
        ];
        for (error, want) in cases {
            let e = pipeline_error(error);
            assert_eq!(e.exit_code(), 2);
            assert_eq!(e.to_string(), want);
        }
        let unknown = pipeline_error(PipelineError::UnknownPass("lower".into()));
        assert_eq!(unknown.exit_code(), 1);
        let text = unknown.to_string();
        assert!(
            text.starts_with("error: --disable-pass: unknown pass 'lower'"),
            "{text}"
        );
    }
}
