//! `egpu bench --device D FILES...`: each graph compiled for the device and run on it; the
//! kernels are timed with the device's own clock (CUDA events on `cuda`) over repeated runs
//! after a warm-up, and reported with the graph's throughput: TFLOP/s for a graph with a
//! contraction (a sum over a product: 2 flops per product element), else GB/s of every graph
//! input and output moved once.

use super::compile::{compile, nvidia_error, pipeline_options, toolchain_error};
use super::error::{output, shown};
use super::{CliError, load};
use crate::nvidia;
use egpu_codegen_ptx::toolchain::Toolchain;
use egpu_ir::interp::random_inputs;
use egpu_ir::{BinaryOp, Graph, Op, ReduceOp};
use egpu_runtime::program::{ProgramRun, RunOptions, run_program};
use egpu_runtime::{Binary, CpuDevice, Device, open_device};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Untimed runs before the timed ones (module loads, caches, clocks).
const WARMUP_RUNS: usize = 3;

/// What one graph's throughput is measured in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    /// Bytes of every input and output, counted once per run.
    GigabytesPerSecond { bytes: f64 },
    /// Floating-point operations per run.
    TeraflopsPerSecond { flops: f64 },
}

impl Metric {
    /// The graph's metric: flops of its contractions (`sum(mul(a, b))`: a multiply and an add
    /// per product element) when it has any, else the bytes it must move.
    pub fn of(graph: &Graph) -> Metric {
        let flops: f64 = graph
            .nodes()
            .filter_map(|(_, node)| match &node.op {
                Op::Reduce {
                    op: ReduceOp::Sum,
                    x,
                    ..
                } => Some(graph.node(*x)),
                _ => None,
            })
            .filter(|x| {
                matches!(
                    x.op,
                    Op::Binary {
                        op: BinaryOp::Mul,
                        ..
                    }
                )
            })
            .map(|product| 2.0 * product.shape.numel() as f64)
            .sum();
        if flops > 0.0 {
            return Metric::TeraflopsPerSecond { flops };
        }
        let bytes = |id| {
            let node = graph.node(id);
            (node.shape.numel() * node.dtype.size_bytes()) as f64
        };
        let inputs: f64 = graph.inputs().iter().map(|&id| bytes(id)).sum();
        let outputs: f64 = graph.outputs().iter().map(|o| bytes(o.node)).sum();
        Metric::GigabytesPerSecond {
            bytes: inputs + outputs,
        }
    }

    /// (unit, value) for a run taking `ms`.
    pub fn rate(self, ms: f64) -> (&'static str, f64) {
        let seconds = ms / 1e3;
        match self {
            Metric::GigabytesPerSecond { bytes } => ("GB/s", bytes / seconds / 1e9),
            Metric::TeraflopsPerSecond { flops } => ("TFLOP/s", flops / seconds / 1e12),
        }
    }
}

/// One graph's measurement.
struct Row {
    name: String,
    kernels: usize,
    compile_ms: f64,
    median_ms: f64,
    unit: &'static str,
    value: f64,
}

pub fn run(
    files: &[PathBuf],
    device_name: &str,
    runs: usize,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let mut device = open_device(device_name)
        .map_err(|e| CliError::User(format!("--device {}: {e}", shown(device_name))))?;
    let target = device.target_name().unwrap_or("gfx1100");
    // Resolved once for all graphs (it may start programs: ptxas --version, docker info).
    let toolchain = match device.name() {
        CpuDevice::NAME => None,
        _ => Some(Toolchain::from_process().map_err(toolchain_error)?),
    };
    let mut rows = Vec::new();
    for file in files {
        let graph = load::graph(file)?;
        let name = file.file_stem().map_or_else(
            || file.display().to_string(),
            |s| s.to_string_lossy().into(),
        );
        let row = measure(
            &graph,
            name,
            device.as_mut(),
            toolchain.as_ref(),
            target,
            runs,
        )?;
        rows.push(row);
    }
    let text = if json {
        json_text(device.describe(), &rows)
    } else {
        table_text(device.describe(), target, runs, &rows)
    };
    out.write_all(text.as_bytes()).map_err(output)
}

/// Compiles `graph` for `target` (to kernel IR for the cpu device, else to PTX and cubins with
/// `toolchain`), then runs it `WARMUP_RUNS` times untimed and `runs` (at least 1) times timed;
/// the time of a run is the sum of its launches.
fn measure(
    graph: &Graph,
    name: String,
    device: &mut dyn Device,
    toolchain: Option<&Toolchain>,
    target: &str,
    runs: usize,
) -> Result<Row, CliError> {
    let runs = runs.max(1);
    let started = Instant::now();
    let options = pipeline_options(target, &[], false)?;
    let compiled = compile(graph, &options)?;
    let binaries = match toolchain {
        None => compiled
            .program
            .kernels
            .iter()
            .cloned()
            .map(Binary::Kir)
            .collect(),
        Some(toolchain) => {
            let options = egpu_codegen_ptx::PtxOptions::default();
            nvidia::build_program(&compiled.program, &compiled.target, toolchain, &options)
                .map(nvidia::binaries)
                .map_err(nvidia_error)?
        }
    };
    let compile_ms = started.elapsed().as_secs_f64() * 1e3;
    let inputs = random_inputs(graph, 1);
    let timed = RunOptions {
        time_launches: true,
        ..RunOptions::default()
    };
    let mut times = Vec::with_capacity(runs);
    for i in 0..WARMUP_RUNS + runs {
        let run: ProgramRun = run_program(device, &compiled.program, &binaries, &inputs, timed)
            .map_err(|e| CliError::Internal(format!("{name}: {e}")))?;
        if i >= WARMUP_RUNS {
            times.push(run.launch_ms.iter().sum::<f64>());
        }
    }
    times.sort_by(f64::total_cmp);
    let median_ms = times.get(times.len() / 2).copied().unwrap_or(0.0);
    let (unit, value) = Metric::of(graph).rate(median_ms);
    Ok(Row {
        name,
        kernels: compiled.kernel_count(),
        compile_ms,
        median_ms,
        unit,
        value,
    })
}

fn table_text(device: String, target: &str, runs: usize, rows: &[Row]) -> String {
    let mut text = format!(
        "{device}, target {target}: median of {runs} timed runs after {WARMUP_RUNS} warm-up runs\n"
    );
    text += &format!(
        "{:<20} {:>7} {:>11} {:>10} {:>10}\n",
        "graph", "kernels", "compile ms", "run ms", "rate"
    );
    for r in rows {
        text += &format!(
            "{:<20} {:>7} {:>11.1} {:>10.4} {:>10.3} {}\n",
            r.name, r.kernels, r.compile_ms, r.median_ms, r.value, r.unit
        );
    }
    text
}

/// `{"device": …, "results": [{"name", "kernels", "compile_ms", "median_ms", "unit",
/// "value"}, …]}` (what scripts/gpu/bench_torch.py reads).
fn json_text(device: String, rows: &[Row]) -> String {
    let quote = |s: &str| format!("{s:?}");
    let results: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "    {{\"name\": {}, \"kernels\": {}, \"compile_ms\": {:.3}, \"median_ms\": {:.6}, \"unit\": {}, \"value\": {:.3}}}",
                quote(&r.name),
                r.kernels,
                r.compile_ms,
                r.median_ms,
                quote(r.unit),
                r.value
            )
        })
        .collect();
    format!(
        "{{\n  \"device\": {},\n  \"results\": [\n{}\n  ]\n}}\n",
        quote(&device),
        results.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(text: &str) -> Graph {
        egpu_ir::text::parse(text).unwrap()
    }

    /// The suite's metrics: bytes of inputs and outputs, 2·M·N·K for a matmul.
    #[test]
    fn metrics_count_bytes_or_contraction_flops() {
        let add =
            graph("graph add(a: f32[1024], b: f32[1024]) {\n  c = add(a, b)\n  return c\n}\n");
        assert_eq!(
            Metric::of(&add),
            Metric::GigabytesPerSecond {
                bytes: 3.0 * 4096.0
            }
        );
        let mm = graph(
            "graph mm(a: f16[64, 32], b: f16[32, 16]) {\n  c = matmul(a, b)\n  return c\n}\n",
        );
        assert_eq!(
            Metric::of(&mm),
            Metric::TeraflopsPerSecond {
                flops: 2.0 * 64.0 * 32.0 * 16.0
            }
        );
        let (unit, value) = Metric::GigabytesPerSecond { bytes: 2e9 }.rate(1000.0);
        assert_eq!((unit, value), ("GB/s", 2.0));
    }
}
