//! `egpu bench --compile-only`: how long the compiler takes per graph.

use super::compile::{compile, pipeline_options};
use super::error::output;
use super::{CliError, load};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Runs each graph through the pipeline repeatedly (at least `MIN_RUNS` times and for at least
/// `MIN_TIME`) and prints the median time per graph. One thread, so the number is per core.
const MIN_RUNS: usize = 20;
const MIN_TIME: Duration = Duration::from_millis(300);

pub fn run(files: &[PathBuf], target: &str, out: &mut dyn Write) -> Result<(), CliError> {
    let options = pipeline_options(target, &[], false)?;
    let mut text = format!(
        "compile time, graph -> kernel IR (simplify, schedule, optimize, lower), target {target}, one thread, median of repeated runs\n"
    );
    text += &format!("{:<28} {:>7} {:>12}\n", "graph", "kernels", "median");
    for file in files {
        let graph = load::graph(file)?;
        let mut times = Vec::new();
        let started = Instant::now();
        let mut kernels = 0;
        while times.len() < MIN_RUNS || started.elapsed() < MIN_TIME {
            let t = Instant::now();
            kernels = compile(&graph, &options)?.kernel_count();
            times.push(t.elapsed());
        }
        times.sort();
        let median = times[times.len() / 2];
        let name = file.display().to_string();
        text += &format!(
            "{name:<28} {kernels:>7} {:>9.3} ms\n",
            median.as_secs_f64() * 1e3
        );
    }
    out.write_all(text.as_bytes()).map_err(output)
}
