//! `egpu bench` on a device: each graph compiled for the device, run on seeded random inputs
//! `warmup` times untimed and `runs` times timed with the device's clock (CUDA events on
//! `cuda`, wall-clock time on `emu` and `cpu`), its outputs verified, and its throughput
//! computed from the median run ([`super::metric::Metric`]).

use super::super::CliError;
use super::super::compile::{compile, jit_error, pipeline_options};
use super::metric::Metric;
use super::verify::{Check, Verdict, verify};
use crate::cli::progress::Progress;
use crate::jit::Jit;
use egpu_ir::interp::{Tensor, random_inputs};
use egpu_ir::{Graph, Target, kernel};
use egpu_runtime::program::{RunOptions, run_program};
use egpu_runtime::{Binary, CpuDevice, Device};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// The seed of every row's random inputs.
const INPUT_SEED: u64 = 1;

/// A run's outputs in graph order.
type Outputs = Vec<(String, Tensor)>;

/// One graph to measure.
pub struct Workload {
    pub name: String,
    pub graph: Graph,
    pub check: Check,
}

/// How many runs a row gets.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Untimed runs first (module loads, caches, clocks).
    pub warmup: usize,
    /// Timed runs; the median is reported.
    pub runs: usize,
}

/// One graph's measurement.
pub struct Row {
    pub name: String,
    pub kernels: usize,
    pub compile_ms: f64,
    /// The median timed run: the sum of its launches' times.
    pub run_ms: f64,
    pub unit: &'static str,
    pub value: f64,
    pub verdict: Verdict,
}

/// A graph compiled for the bench's device.
pub struct Compiled {
    pub plan: kernel::Program,
    pub binaries: Vec<Binary>,
}

/// Compiles graphs for one device and runs them there.
pub struct Bench<'a> {
    pub device: &'a mut dyn Device,
    pub target: Target,
    /// `None` for the cpu device, which runs kernel IR and needs no code generator.
    jit: Option<Jit>,
    pub timing: Timing,
}

impl<'a> Bench<'a> {
    /// A bench on `device` compiling for `target`.
    pub fn new(device: &'a mut dyn Device, target: &str, timing: Timing) -> Result<Self, CliError> {
        let target = pipeline_options(target, &[], false)?.target;
        let jit = match device.name() {
            CpuDevice::NAME => None,
            // No kernel cache: the compile ms column measures the compiler, every time.
            _ => Some(
                Jit::new(target.name)
                    .map_err(|e| jit_error(Path::new(target.name), e))?
                    .with_cache(None),
            ),
        };
        Ok(Bench {
            device,
            target,
            jit,
            timing,
        })
    }

    /// Compiles `graph` (named `name` in messages) to the device's binaries.
    pub fn compile(&self, graph: &Graph, name: &str) -> Result<Compiled, CliError> {
        let Some(jit) = &self.jit else {
            let options = pipeline_options(self.target.name, &[], false)?;
            let plan = compile(graph, &options)?.program;
            let binaries = plan.kernels.iter().cloned().map(Binary::Kir).collect();
            return Ok(Compiled { plan, binaries });
        };
        let program = jit
            .compile(graph)
            .map_err(|e| jit_error(Path::new(name), e))?;
        let binaries = program.binaries_for(self.device.name()).ok_or_else(|| {
            CliError::Internal(format!(
                "{name}: {} code does not run on device {}",
                self.target.name,
                self.device.name()
            ))
        })?;
        Ok(Compiled {
            plan: program.plan,
            binaries,
        })
    }

    /// Runs `compiled` on `inputs` `warmup + runs` times, one progress step each; answers
    /// the timed runs' launch times in milliseconds (unsorted) and the last run's outputs.
    pub fn time(
        &mut self,
        name: &str,
        compiled: &Compiled,
        inputs: &BTreeMap<String, Tensor>,
        progress: &mut Progress,
    ) -> Result<(Vec<f64>, Outputs), CliError> {
        let Timing { warmup, runs } = self.timing;
        let options = RunOptions {
            time_launches: true,
            ..RunOptions::default()
        };
        let mut times = Vec::with_capacity(runs);
        let mut outputs = Vec::new();
        for i in 0..warmup + runs {
            progress.doing(&format!("{name}: run {}/{}", i + 1, warmup + runs));
            let run = run_program(
                self.device,
                &compiled.plan,
                &compiled.binaries,
                inputs,
                options,
            )
            .map_err(|e| CliError::Internal(format!("{name}: {e}")))?;
            if i >= warmup {
                times.push(run.launch_ms.iter().sum::<f64>());
            }
            outputs = run.outputs;
            progress.step();
        }
        Ok((times, outputs))
    }

    /// Compiles, runs, times and verifies one workload.
    pub fn measure(&mut self, work: &Workload, progress: &mut Progress) -> Result<Row, CliError> {
        let name = &work.name;
        progress.doing(&format!("{name}: compiling"));
        let started = Instant::now();
        let compiled = self.compile(&work.graph, name)?;
        let compile_ms = started.elapsed().as_secs_f64() * 1e3;
        let inputs = random_inputs(&work.graph, INPUT_SEED);
        let (mut times, outputs) = self.time(name, &compiled, &inputs, progress)?;
        progress.doing(&format!("{name}: verifying"));
        let verdict = verify(&work.graph, &inputs, &outputs, &self.target, work.check);
        let run_ms = median(&mut times);
        let (unit, value) = Metric::of(&work.graph).rate(run_ms);
        Ok(Row {
            name: name.clone(),
            kernels: compiled.plan.kernels.len(),
            compile_ms,
            run_ms,
            unit,
            value,
            verdict,
        })
    }
}

/// The median of `times` (0 when there are none).
pub fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(0.0)
}
