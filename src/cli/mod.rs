//! The `egpu` command line: `check`, `fmt`, `eval`.
//!
//! Exit codes: 0 success, 1 a problem with the user's input (bad file, bad flag, wrong shape),
//! 2 an internal or tool error.

mod check;
mod error;
mod eval;
mod fmt;
mod load;
mod summary;

pub use error::CliError;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// egpu: a kernel compiler and JIT for external GPUs (AMD RDNA3, NVIDIA Ampere and newer).
#[derive(Parser, Debug)]
#[command(name = "egpu", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 success, 1 bad input (file, flag, shape), 2 internal or tool error.\n\
Graph files use the .egir text format: see docs/egir.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate a graph file and print its inputs and outputs with dtype and shape.
    Check {
        /// The .egir file.
        file: PathBuf,
    },
    /// Rewrite graph files in canonical form (one primitive per line, explicit types).
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
    /// A .npy input must hold exactly the input's dtype and shape; bf16 inputs are read from
    /// float32 files (rounded) and bf16 outputs are written as float32.
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
}

/// Runs the command line `args` (program name first), writing to `out` and `err`; returns the
/// exit code.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let is_help = !e.use_stderr();
            let text = e.render().to_string();
            let _ = if is_help {
                write!(out, "{text}")
            } else {
                write!(err, "{text}")
            };
            return if is_help { 0 } else { 1 };
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
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            e.exit_code()
        }
    }
}
