//! `egpu bench --compile-only`: how long the compiler takes per graph, and in which pass;
//! for an NVIDIA target also the PTX writer (graph → kernel IR → PTX; ptxas not included),
//! for an AMD target the RDNA3 backend (kernel IR → code object: isel, register allocation,
//! waits, hazards, encoding, the ELF and its DWARF), in the `hsaco` column.

use super::compile::{compile, pipeline_options};
use super::error::output;
use super::{CliError, load};
use crate::{amd, nvidia};
use egpu_codegen_ptx::PtxOptions;
use egpu_passes::pipeline::Pass;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Each graph goes through the pipeline at least `MIN_RUNS` times and for at least
/// `MIN_TIME`; the medians are printed. One thread, so the numbers are per core.
const MIN_RUNS: usize = 20;
const MIN_TIME: Duration = Duration::from_millis(300);

pub fn run(files: &[PathBuf], target: &str, out: &mut dyn Write) -> Result<(), CliError> {
    let options = pipeline_options(target, &[], false)?;
    let ptx = nvidia::is_nvidia(&options.target);
    let hsaco = amd::is_amd(&options.target);
    let backend = if ptx {
        " -> PTX"
    } else if hsaco {
        " -> code object"
    } else {
        ""
    };
    let mut text = format!(
        "compile time, graph -> kernel IR{backend}, target {target}, one thread, median of repeated runs (ms)\n"
    );
    text += &format!("{:<28} {:>7} {:>9}", "graph", "kernels", "total");
    for pass in Pass::TIMED.map(Pass::name) {
        text += &format!(" {pass:>9}");
    }
    if ptx {
        text += &format!(" {:>9}", "ptx");
    }
    if hsaco {
        text += &format!(" {:>9}", "hsaco");
    }
    text += "\n";
    // Graphs the RDNA3 backend refuses: their column shows `-`, the reason follows the table.
    let mut refused = String::new();
    for file in files {
        let graph = load::graph(file)?;
        let mut totals = Vec::new();
        let mut passes: [Vec<Duration>; Pass::TIMED.len()] = Default::default();
        let mut emits = Vec::new();
        let mut kernels = 0;
        let mut objects = Vec::new();
        let mut amd_failed = false;
        let started = Instant::now();
        while totals.len() < MIN_RUNS || started.elapsed() < MIN_TIME {
            let t = Instant::now();
            let compiled = compile(&graph, &options)?;
            if ptx {
                let e = Instant::now();
                nvidia::emit_program(&compiled.program, &compiled.target, &PtxOptions::default())
                    .map_err(|e| CliError::User(format!("{}: {e}", file.display())))?;
                emits.push(e.elapsed());
            }
            if hsaco && !amd_failed {
                let e = Instant::now();
                match amd::build_program(&compiled.program, &compiled.target) {
                    Ok(_) => objects.push(e.elapsed()),
                    Err(error) => {
                        amd_failed = true;
                        refused += &format!("{}: no code object: {error}\n", file.display());
                    }
                }
            }
            totals.push(t.elapsed());
            kernels = compiled.kernel_count();
            for (times, time) in passes.iter_mut().zip(compiled.times) {
                times.push(time);
            }
        }
        let name = file.display().to_string();
        text += &format!("{name:<28} {kernels:>7} {:>9.3}", median_ms(&mut totals));
        for times in &mut passes {
            text += &format!(" {:>9.3}", median_ms(times));
        }
        if ptx {
            text += &format!(" {:>9.3}", median_ms(&mut emits));
        }
        if hsaco && amd_failed {
            text += &format!(" {:>9}", "-");
        } else if hsaco {
            text += &format!(" {:>9.3}", median_ms(&mut objects));
        }
        text += "\n";
    }
    text += &refused;
    out.write_all(text.as_bytes()).map_err(output)
}

/// The median of `times` in milliseconds.
fn median_ms(times: &mut [Duration]) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}
