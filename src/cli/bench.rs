//! `egpu bench --compile-only`: how long the compiler takes per graph, and in which pass;
//! for an NVIDIA target also the PTX writer (graph → kernel IR → PTX; ptxas not included).

use super::compile::{compile, pipeline_options};
use super::error::output;
use super::{CliError, load};
use crate::nvidia;
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
    let mut text = format!(
        "compile time, graph -> kernel IR{}, target {target}, one thread, median of repeated runs (ms)\n",
        if ptx { " -> PTX" } else { "" }
    );
    text += &format!("{:<28} {:>7} {:>9}", "graph", "kernels", "total");
    for pass in Pass::TIMED.map(Pass::name) {
        text += &format!(" {pass:>9}");
    }
    if ptx {
        text += &format!(" {:>9}", "ptx");
    }
    text += "\n";
    for file in files {
        let graph = load::graph(file)?;
        let mut totals = Vec::new();
        let mut passes: [Vec<Duration>; Pass::TIMED.len()] = Default::default();
        let mut emits = Vec::new();
        let mut kernels = 0;
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
        text += "\n";
    }
    out.write_all(text.as_bytes()).map_err(output)
}

/// The median of `times` in milliseconds.
fn median_ms(times: &mut [Duration]) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}
