//! `egpu bench --compile-only`: how long the compiler takes per graph, and in which pass;
//! for an NVIDIA target also the PTX writer (graph → kernel IR → PTX; ptxas not included),
//! for an AMD target the RDNA3 backend (kernel IR → code object: isel, register allocation,
//! waits, hazards, encoding, the ELF and its DWARF), in the `hsaco` column.

use super::super::CliError;
use super::super::compile::{compile, pipeline_options};
use super::super::error::output;
use super::report::number;
use crate::cli::progress::Progress;
use crate::{amd, nvidia};
use egpu_codegen_ptx::PtxOptions;
use egpu_ir::Graph;
use egpu_ir::kernel::json_string;
use egpu_passes::pipeline::Pass;
use std::io::Write;
use std::time::{Duration, Instant};

/// Each graph goes through the pipeline at least `MIN_RUNS` times and for at least
/// `MIN_TIME`; the medians are printed. One thread, so the numbers are per core.
const MIN_RUNS: usize = 20;
const MIN_TIME: Duration = Duration::from_millis(300);

/// One graph's compile times, medians in milliseconds.
struct Times {
    name: String,
    kernels: usize,
    total: f64,
    passes: [f64; Pass::TIMED.len()],
    /// The PTX writer (NVIDIA targets) or the RDNA3 backend (AMD targets); `None` for a
    /// graph the RDNA3 backend refuses.
    backend: Option<f64>,
}

/// Times every graph of `graphs` (name, graph) and prints the table or, with `json`, one
/// JSON object.
pub fn run(
    graphs: &[(String, Graph)],
    target: &str,
    size: &str,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let options = pipeline_options(target, &[], false)?;
    let backend = if nvidia::is_nvidia(&options.target) {
        Some("ptx")
    } else if amd::is_amd(&options.target) {
        Some("hsaco")
    } else {
        None
    };
    let mut progress = Progress::new(graphs.len());
    let mut rows = Vec::new();
    // Graphs the RDNA3 backend refuses: their column shows `-`, the reason follows the table.
    let mut refused = String::new();
    for (name, graph) in graphs {
        progress.doing(name);
        rows.push(time_graph(name, graph, &options, &mut refused)?);
        progress.step();
    }
    progress.finish();
    let text = if json {
        json_text(target, size, backend, &rows)
    } else {
        table_text(target, backend, &rows) + &refused
    };
    out.write_all(text.as_bytes()).map_err(output)
}

/// Compiles `graph` at least `MIN_RUNS` times and for at least `MIN_TIME`.
fn time_graph(
    name: &str,
    graph: &Graph,
    options: &egpu_passes::pipeline::PipelineOptions,
    refused: &mut String,
) -> Result<Times, CliError> {
    let (ptx, hsaco) = (
        nvidia::is_nvidia(&options.target),
        amd::is_amd(&options.target),
    );
    let mut totals = Vec::new();
    let mut passes: [Vec<Duration>; Pass::TIMED.len()] = Default::default();
    let mut backends = Vec::new();
    let mut kernels = 0;
    let mut amd_failed = false;
    let started = Instant::now();
    while totals.len() < MIN_RUNS || started.elapsed() < MIN_TIME {
        let t = Instant::now();
        let compiled = compile(graph, options)?;
        if ptx {
            let e = Instant::now();
            nvidia::emit_program(&compiled.program, &compiled.target, &PtxOptions::default())
                .map_err(|e| CliError::User(format!("{name}: {e}")))?;
            backends.push(e.elapsed());
        }
        if hsaco && !amd_failed {
            let e = Instant::now();
            match amd::build_program(&compiled.program, &compiled.target) {
                Ok(_) => backends.push(e.elapsed()),
                Err(error) => {
                    amd_failed = true;
                    *refused += &format!("{name}: no code object: {error}\n");
                }
            }
        }
        totals.push(t.elapsed());
        kernels = compiled.kernel_count();
        for (times, time) in passes.iter_mut().zip(compiled.times) {
            times.push(time);
        }
    }
    let backend = (!amd_failed && (ptx || hsaco)).then(|| median_ms(&mut backends));
    Ok(Times {
        name: name.to_string(),
        kernels,
        total: median_ms(&mut totals),
        passes: passes.map(|mut times| median_ms(&mut times)),
        backend,
    })
}

fn table_text(target: &str, backend: Option<&str>, rows: &[Times]) -> String {
    let what = match backend {
        Some("ptx") => " -> PTX",
        Some(_) => " -> code object",
        None => "",
    };
    let mut text = format!(
        "compile time, graph -> kernel IR{what}, target {target}, one thread, median of repeated runs (ms)\n"
    );
    text += &format!("{:<28} {:>7} {:>9}", "graph", "kernels", "total");
    for pass in Pass::TIMED.map(Pass::name) {
        text += &format!(" {pass:>9}");
    }
    if let Some(column) = backend {
        text += &format!(" {column:>9}");
    }
    text += "\n";
    for row in rows {
        text += &format!("{:<28} {:>7} {:>9.3}", row.name, row.kernels, row.total);
        for ms in row.passes {
            text += &format!(" {ms:>9.3}");
        }
        match (backend, row.backend) {
            (Some(_), Some(ms)) => text += &format!(" {ms:>9.3}"),
            (Some(_), None) => text += &format!(" {:>9}", "-"),
            (None, _) => {}
        }
        text += "\n";
    }
    text
}

/// `{"target", "size", "rows": [{"name", "kernels", "compile_ms", "passes": {PASS: ms},
/// "ptx_ms" | "hsaco_ms"}]}` (the backend key only for a target with one; `null` where the
/// RDNA3 backend refused the graph).
fn json_text(target: &str, size: &str, backend: Option<&str>, rows: &[Times]) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|r| {
            let passes: Vec<String> = Pass::TIMED
                .iter()
                .zip(r.passes)
                .map(|(p, ms)| format!("{}: {}", json_string(p.name()), number(Some(ms), 3)))
                .collect();
            let backend = backend.map_or_else(String::new, |b| {
                format!(", \"{b}_ms\": {}", number(r.backend, 3))
            });
            format!(
                "    {{\"name\": {}, \"kernels\": {}, \"compile_ms\": {}, \"passes\": {{{}}}{backend}}}",
                json_string(&r.name),
                r.kernels,
                number(Some(r.total), 3),
                passes.join(", ")
            )
        })
        .collect();
    format!(
        "{{\n  \"target\": {},\n  \"size\": {},\n  \"rows\": [\n{}\n  ]\n}}\n",
        json_string(target),
        json_string(size),
        rows.join(",\n")
    )
}

/// The median of `times` in milliseconds.
fn median_ms(times: &mut [Duration]) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}
