//! The `egpu` command line: `check`, `fmt`, `eval`, `compile`, `disasm`, `run`, `run-kernel`,
//! `bench`, `devices`, `cache`.
//!
//! Exit codes: 0 success; 1 anything the user can fix (a bad graph, flag or `.npy` file, an
//! output folder that cannot be written, a division by zero in their data); 2 only a bug in
//! egpu or a failing tool. Errors are sorted by type ([`CliError`]), never by their text. A
//! usage error (unknown flag, bad value, missing argument) is one line on stderr with exit 1
//! (`usage.rs`); `--help` and `--version` print in full and exit 0.
//! Graph files are read up to [`crate::bounded::GRAPH_FILE_LIMIT`], `.npy` inputs up to their
//! data size plus [`crate::npy::HEADER_LIMIT`].

mod amd;
mod bench;
mod cache;
mod check;
mod compile;
mod devices;
mod disasm;
mod error;
mod eval;
mod fmt;
mod load;
mod progress;
mod run;
mod run_kernel;
mod summary;
mod tensors;
mod usage;

pub use error::CliError;

use clap::builder::PossibleValuesParser;
use clap::{Parser, Subcommand};
use egpu_ir::Target;
use egpu_passes::pipeline::{Pass, Stage};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// egpu: a kernel compiler and JIT for external GPUs (AMD RDNA3, NVIDIA Ampere and newer).
#[derive(Parser, Debug)]
#[command(name = "egpu", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 success; 1 anything you can fix (a bad graph, flag or .npy file, an \
unwritable output folder, a division by zero in your data); 2 a bug in egpu or a failing tool.\n\
Limits: graph files at most 128 MiB; a .npy input at most its data size plus 64 KiB of header.\n\
Graph files use the .egir text format: see docs/egir.md.\n\
Run `egpu help COMMAND` for a command's options and examples."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate a graph file and print its inputs and outputs with dtype and shape.
    ///
    /// Example: egpu check examples/mlp.egir
    Check {
        /// The .egir file.
        file: PathBuf,
    },
    /// Rewrite graph files in canonical form (one primitive per line, explicit types).
    ///
    /// Example: egpu fmt --check examples/*.egir
    Fmt {
        /// Do not write; exit 1 if any file is not in canonical form.
        #[arg(long)]
        check: bool,
        /// The .egir files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Evaluate a graph with the reference interpreter and summarize each output.
    ///
    /// Inputs not given with --input are filled with deterministic random values from --seed:
    /// floats uniform in [-1, 1), signed integers in [-16, 16), unsigned in [0, 16), fair bools.
    /// A .npy input must hold exactly the input's dtype and shape and nothing after the array
    /// (at most its data size plus 64 KiB of header is read); bf16 inputs are read from
    /// float32 files (rounded) and bf16 outputs are written as float32.
    ///
    /// Example: egpu eval examples/softmax.egir --seed 7
    ///
    /// Example: egpu eval examples/add.egir --output-dir out/
    Eval {
        /// The .egir file.
        file: PathBuf,
        /// Seed for the random inputs.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// An input from a .npy file, as NAME=FILE.npy (repeatable).
        #[arg(long = "input", value_name = "NAME=FILE.npy")]
        inputs: Vec<String>,
        /// Write each output to DIR/NAME.npy and each input used to DIR/inputs/NAME.npy (folders
        /// are created if missing), so another tool can reproduce the results.
        #[arg(long, value_name = "DIR")]
        output_dir: Option<PathBuf>,
    },
    /// Compile a graph for a target and print one stage, or write the kernels and a manifest.
    ///
    /// Stages: graph (as parsed), simplified (after e-graph simplification), schedule (kernels
    /// and their buffers), kernels (lowered, target-optimized kernel IR and launches), ptx (each
    /// kernel's PTX module, with the kernel-IR statement before its instructions; NVIDIA
    /// targets only), asm (each kernel's RDNA3 assembly in LLVM's syntax after a header
    /// comment with its registers, scratch, LDS and instruction count, with `; stmt N`
    /// comments naming the kernel-IR statement; AMD targets only).
    ///
    /// AMD targets (gfx1100): with -o, every kernel's machine code goes into one HSA code
    /// object DIR/GRAPH.hsaco (GRAPH = the graph's name), with DWARF line tables mapping each
    /// instruction to its line in DIR/KERNEL.kir; the manifest names the object ("hsaco") and
    /// each kernel's descriptor symbol ("symbol": KERNEL.kd). -v prints per kernel its VGPRs,
    /// SGPRs, scratch bytes, LDS bytes and instruction count. A kernel the backend cannot
    /// compile yet exits 1 naming it. docs/amd.md explains the output.
    ///
    /// NVIDIA targets (sm_*): with -o, each kernel's PTX is assembled to a cubin by the first
    /// assembler found: EGPU_PTXAS (a path) → ptxas on PATH → $CUDA_HOME/bin/ptxas →
    /// /usr/local/cuda/bin/ptxas → ptxas in a container (engine EGPU_CONTAINER_ENGINE, default
    /// docker, or podman; image EGPU_NVCC_IMAGE, default egpu-ptxas:13.5; PTX in on stdin,
    /// cubin out on stdout, no mounts) → none: only the PTX is written, and the CUDA driver
    /// compiles it at load. -v names the assembler used and ptxas's registers, spills and
    /// shared bytes per kernel. docs/ptx.md says how to build the container image.
    ///
    /// Example: egpu compile examples/softmax.egir --target sm_90 --emit ptx
    ///
    /// Example: egpu compile examples/mlp.egir --target sm_80 -o out/ -v
    ///
    /// Example: egpu compile examples/add.egir --target gfx1100 --emit asm
    ///
    /// Example: egpu compile examples/add.egir --target gfx1100 -o out/ -v
    Compile {
        /// The .egir file.
        file: PathBuf,
        /// The GPU to compile for.
        #[arg(long, value_parser = targets())]
        target: String,
        /// The stage to print.
        #[arg(long, default_value = "kernels", value_parser = stages())]
        emit: String,
        /// Skip a pass, to bisect a wrong result (repeatable).
        #[arg(long = "disable-pass", value_name = "NAME", value_parser = optional_passes())]
        disabled: Vec<String>,
        /// Write every stage to DIR/N-STAGE.txt.
        #[arg(long, value_name = "DIR")]
        dump_dir: Option<PathBuf>,
        /// Write each kernel's IR (NAME.kir), for an NVIDIA target its PTX (NAME.ptx), for an
        /// AMD target the code object (GRAPH.hsaco), and manifest.json (kernels in launch
        /// order with their files, launch shapes, buffer bindings, buffers, inputs and
        /// outputs) to DIR instead of printing.
        #[arg(short = 'o', value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Allow rewrites that change floating-point results (reassociation, x·0 → 0, …).
        #[arg(long)]
        fast_math: bool,
        /// Print what each pass did (e-graph stop reason and size, kernel count, plans) to stderr.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Disassemble a gfx1100 code object: each kernel's descriptor and instructions.
    ///
    /// Reads any gfx1100 HSA code object (egpu's, or one clang and ld.lld made) and prints,
    /// per kernel, its descriptor fields (as .amdhsa_* directives) and one instruction per line:
    /// the byte offset from the kernel's entry, the instruction in llvm-objdump's syntax, and
    /// its dwords after `//`. A dword egpu's decoder does not know prints as
    /// `.long 0x...  ; unknown instruction (reason)` and decoding goes on at the next dword.
    /// Exits 1 only when the file cannot be read as a gfx1100 code object or --kernel names
    /// no kernel in it.
    ///
    /// The examples read the code object that `egpu compile examples/add.egir --target
    /// gfx1100 -o out/` wrote.
    ///
    /// Example: egpu disasm out/add.hsaco
    ///
    /// Example: egpu disasm out/add.hsaco --kernel k0_elementwise
    Disasm {
        /// The code object (.hsaco).
        file: PathBuf,
        /// Only this kernel.
        #[arg(long, value_name = "NAME")]
        kernel: Option<String>,
    },
    /// Compile a graph and run its kernels on a device.
    ///
    /// Inputs are as for `eval`. With --check, every output is compared with the reference
    /// interpreter (per-dtype tolerance); a mismatch exits 1 and names the worst element.
    ///
    /// Example: egpu run examples/softmax.egir --device emu --check
    ///
    /// Example: egpu run examples/mlp.egir --device cuda --check
    ///
    /// Example: egpu run examples/add.egir --check --output-dir out/
    Run {
        /// The .egir file.
        file: PathBuf,
        /// Where to run: cpu (the kernel-IR interpreter), emu (the strict RDNA3 emulator: the
        /// kernels compiled for gfx1100 into one code object, run instruction by instruction),
        /// cuda or cuda:N (an NVIDIA GPU through the CUDA driver; the kernels are compiled to
        /// PTX, assembled as for `compile -o`), hsa or hsa:N (an AMD gfx1100 through ROCm's HSA
        /// runtime, the same code object as emu; not yet run on AMD hardware). Default:
        /// EGPU_DEVICE if set, else the first GPU that opens (cuda, then hsa), else emu.
        #[arg(long)]
        device: Option<String>,
        /// The target to compile for: by default the device's own (cuda: from its compute
        /// capability; emu and cpu: gfx1100).
        #[arg(long, value_parser = targets())]
        target: Option<String>,
        /// Seed for the random inputs.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// An input from a .npy file, as NAME=FILE.npy (repeatable).
        #[arg(long = "input", value_name = "NAME=FILE.npy")]
        inputs: Vec<String>,
        /// Write each output to DIR/NAME.npy.
        #[arg(long, value_name = "DIR")]
        output_dir: Option<PathBuf>,
        /// Compare every output with the reference interpreter.
        #[arg(long)]
        check: bool,
        /// Also print each launch's time.
        #[arg(short, long)]
        verbose: bool,
    },
    RunKernel(run_kernel::RunKernelArgs),
    /// Run the benchmark suite (or FILES) on a device and report speed, or time the compiler.
    ///
    /// Without FILES the built-in suite runs (docs/benchmarks.md): add, gelu_chain, sum_rows,
    /// sum_all, softmax, layernorm, matmul_f32, matmul_f16. Each graph is compiled for the
    /// device, run on seeded random inputs (warm-up runs untimed, then --runs timed with the
    /// device's clock: CUDA events on cuda, wall-clock time on emu and cpu) and its outputs
    /// are verified: against the reference interpreter element by element at --size small,
    /// on sampled rows at --size full (the same computation on a few rows, both ends
    /// included, cut from the device's own inputs); a graph file is checked whole when the reference
    /// interpreter can hold it, else reported as not checked. A failed verification marks
    /// the row and exits 1.
    ///
    /// Per row: kernels, compile ms (graph to machine code, ptxas included), run ms (the
    /// median timed run, the sum of its kernels' times), the rate (TFLOP/s for a graph with
    /// a contraction, 2 flops per product element, else GB/s of every input and output
    /// moved once) and, for GB/s rows, the percentage of the device's copy bandwidth, which
    /// the bench measures first with a compiled copy kernel (y = x over 2^26 f32 at full
    /// size, 2^16 at small; read + write counted), together with the link's host->device
    /// and device->host bandwidth.
    ///
    /// --compile-only: no device; the median compile time per graph from graph to kernel IR
    /// and per pass (and to PTX for an NVIDIA target, to the code object for an AMD one: the
    /// hsaco column, "-" with the reason below the table when the backend refuses a kernel),
    /// on one thread.
    ///
    /// A progress bar is drawn on stderr when it is a terminal and the work takes more than
    /// a second.
    ///
    /// Example: egpu bench
    ///
    /// Example: egpu bench --device emu --size small
    ///
    /// Example: egpu bench --device cuda --json > egpu.json
    ///
    /// Example: egpu bench --compile-only --target sm_90 --json
    ///
    /// Example: egpu bench --device cpu examples/softmax.egir
    Bench {
        /// Time compilation only (no device).
        #[arg(long, conflicts_with = "device")]
        compile_only: bool,
        /// Where to run: cpu, emu, cuda, cuda:N, hsa or hsa:N. Default: EGPU_DEVICE if set,
        /// else the first GPU that opens (cuda, then hsa), else emu.
        #[arg(long)]
        device: Option<String>,
        /// The suite's size: small or full (default: small on emu and cpu, full on a GPU and
        /// with --compile-only). With FILES it sets only the copy measurement's size.
        #[arg(long)]
        size: Option<String>,
        /// Timed runs per graph (default: 20 on a GPU after 3 warm-up runs, 5 on emu and cpu
        /// after 1).
        #[arg(long)]
        runs: Option<usize>,
        /// Print one JSON object instead of the table (keys in docs/benchmarks.md).
        #[arg(long)]
        json: bool,
        /// The target to compile for (default: the device's own; gfx1100 on cpu and with
        /// --compile-only).
        #[arg(long, value_parser = targets())]
        target: Option<String>,
        /// .egir files to measure instead of the suite (e.g. examples/*.egir).
        files: Vec<PathBuf>,
    },
    /// List every device egpu knows: whether it opens here (its description, or why not),
    /// the target code for it is compiled for, and the default device (marked `*`), which
    /// `run` uses without --device: EGPU_DEVICE if set (a name that does not open is an
    /// error), else the first GPU that opens (cuda, then hsa), else emu.
    ///
    /// Example: egpu devices
    ///
    /// Example: egpu devices --json
    Devices {
        /// Print JSON: {"devices": [{"name", "available", "default", "target",
        /// "description", "reason"}]} (target null for cpu, which runs any target's kernel
        /// IR; description null when unavailable, reason null when available).
        #[arg(long)]
        json: bool,
    },
    /// Show or empty the kernel cache (compiled programs kept on disk between runs).
    ///
    /// The folder is EGPU_CACHE_DIR, else $XDG_CACHE_HOME/egpu, else $HOME/.cache/egpu;
    /// EGPU_CACHE=off stops compiles from using it. docs/cache.md explains the cache.
    ///
    /// Example: egpu cache stats
    ///
    /// Example: egpu cache stats --json
    ///
    /// Example: egpu cache clear
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
}

/// What `egpu cache` does.
#[derive(Subcommand, Debug)]
enum CacheAction {
    /// Print the cache folder, its entries and their total bytes, and the compiler version
    /// the entries are keyed by.
    Stats {
        /// Print JSON: {"enabled", "directory", "entries", "bytes", "temporary", "compiler"}.
        #[arg(long)]
        json: bool,
    },
    /// Remove every cache entry from the folder, and temporary files a stopped write left
    /// (only files egpu recognizes by name).
    Clear,
}

/// `--target` values: every `ir::Target`.
fn targets() -> PossibleValuesParser {
    PossibleValuesParser::new(Target::ALL.map(|t| t.name))
}

/// `--emit` values: every pipeline stage, and `ptx`.
fn stages() -> PossibleValuesParser {
    let mut names: Vec<&'static str> = Stage::ALL.iter().map(|s| s.name()).collect();
    names.push(compile::EMIT_PTX);
    names.push(compile::EMIT_ASM);
    PossibleValuesParser::new(names)
}

/// `--disable-pass` values: the passes the pipeline can skip.
fn optional_passes() -> PossibleValuesParser {
    PossibleValuesParser::new(Pass::optional_names())
}

/// Runs the command line `args` (program name first), writing to `out` and `err`; returns the
/// exit code.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help or --version: the full text, on stdout.
            let _ = write!(out, "{}", e.render());
            return 0;
        }
        Err(e) => {
            let _ = writeln!(err, "{}", usage::one_line(&e, &args));
            return 1;
        }
    };
    let result = match cli.command {
        Command::Check { file } => check::run(&file, out),
        Command::Fmt { check, files } => fmt::run(&files, check, out),
        Command::Eval {
            file,
            seed,
            inputs,
            output_dir,
        } => eval::run(&file, seed, &inputs, output_dir.as_deref(), out),
        Command::Compile {
            file,
            target,
            emit,
            disabled,
            dump_dir,
            out_dir,
            fast_math,
            verbose,
        } => {
            let args = compile::CompileArgs {
                file: &file,
                target: &target,
                emit: &emit,
                disabled: &disabled,
                dump_dir: dump_dir.as_deref(),
                out_dir: out_dir.as_deref(),
                fast_math,
                verbose,
            };
            compile::run(&args, out, err)
        }
        Command::Disasm { file, kernel } => disasm::run(&file, kernel.as_deref(), out),
        Command::Run {
            file,
            device,
            target,
            seed,
            inputs,
            output_dir,
            check,
            verbose,
        } => {
            let args = run::RunArgs {
                file: &file,
                device: device.as_deref(),
                target: target.as_deref(),
                seed,
                inputs: &inputs,
                output_dir: output_dir.as_deref(),
                check,
                verbose,
            };
            run::run(&args, out)
        }
        Command::RunKernel(args) => run_kernel::run(&args, out),
        Command::Bench {
            compile_only,
            device,
            size,
            runs,
            json,
            target,
            files,
        } => {
            let args = bench::BenchArgs {
                files: &files,
                device: device.as_deref(),
                size: size.as_deref(),
                compile_only,
                json,
                runs,
                target: target.as_deref(),
            };
            bench::run(&args, out)
        }
        Command::Devices { json } => devices::run(json, out),
        Command::Cache {
            action: CacheAction::Stats { json },
        } => cache::stats(json, out),
        Command::Cache {
            action: CacheAction::Clear,
        } => cache::clear(out),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            e.exit_code()
        }
    }
}
