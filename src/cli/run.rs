//! `egpu run FILE [--device D] [--check] [-v]`: compile a graph through the library API
//! ([`crate::Jit`]) for the device and run it there ([`crate::Program::run_with`]): on `cpu`
//! through the kernel-IR interpreter, on `emu` as one RDNA3 code object on the strict
//! emulator, on `cuda` as cubins or PTX. Without --device: `EGPU_DEVICE`, else the first GPU
//! that opens, else the emulator. Prints the outputs and where the time went (compile,
//! copies each way with their bytes, kernels).

use super::compile::jit_error;
use super::error::{evaluation, kernel_run, output, shown};
use super::progress::Phase;
use super::summary::summarize;
use super::tensors::{input_files, read_inputs, write_tensors};
use super::{CliError, load};
use crate::jit::{Jit, JitOptions, Program, ProgramRunError};
use egpu_ir::Target;
use egpu_ir::interp::{self, Tensor, compare};
use egpu_ir::kernel::ProgramError;
use egpu_ir::precision::Family;
use egpu_runtime::program::{Input, ProgramRun, RunError, RunOptions};
use egpu_runtime::resident::Copies;
use egpu_runtime::{Device, DeviceError, open_default_device, open_device};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// What `egpu run` was asked to do.
pub struct RunArgs<'a> {
    pub file: &'a Path,
    /// `None`: the default device (`EGPU_DEVICE`, else a GPU, else the emulator).
    pub device: Option<&'a str>,
    /// `None`: the device's own target (gfx1100 for the cpu device).
    pub target: Option<&'a str>,
    pub seed: u64,
    pub inputs: &'a [String],
    pub output_dir: Option<&'a Path>,
    pub check: bool,
    /// Print each launch's time.
    pub verbose: bool,
}

/// The target the cpu device runs when none is named.
const CPU_DEFAULT_TARGET: &str = "gfx1100";

pub fn run(args: &RunArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let graph = load::graph(args.file)?;
    let mut device = match args.device {
        Some(name) => open_device(name).map_err(|e| device_error(name, e))?,
        None => open_default_device().map_err(default_device_error)?,
    };
    let target = chosen_target(args, device.as_ref())?;
    let files = input_files(&graph, args.inputs)?;
    let (inputs, mut text) = read_inputs(&graph, &files, args.seed)?;
    let jit =
        Jit::with_options(target, JitOptions::default()).map_err(|e| jit_error(args.file, e))?;
    let hits_before = jit.cache().map(|c| c.stats().hits());
    let phase = Phase::start(&format!("compiling {} for {target}", graph.name()));
    let done = compile_and_run(&jit, &graph, device.as_mut(), &inputs, &phase, args.file);
    phase.finish();
    let Done {
        program,
        compile_ms,
        run,
        run_ms,
    } = done?;
    let cached = jit.cache().map(|c| c.stats().hits()) > hits_before;
    if let Some(warning) = jit.cache().and_then(|c| c.warning()) {
        text += &format!("note: {warning}\n");
    }
    for notice in device.take_notices() {
        text += &format!("note: {notice}\n");
    }
    text += &format!(
        "ran {} kernel(s) on {}, target {target}\n",
        program.kernel_count(),
        device.describe(),
    );
    for (name, tensor) in &run.outputs {
        text += &format!(
            "output {name}: {}{}\n{}",
            tensor.dtype,
            tensor.shape,
            summarize(tensor)
        );
    }
    text += &time_report(&program, compile_ms, cached, run_ms, &run, args.verbose);
    if let Some(dir) = args.output_dir {
        text += &write_tensors(dir, &run.outputs)?;
    }
    out.write_all(text.as_bytes()).map_err(output)?;
    if args.check {
        let target = jit.target();
        check(args.file, &graph, &inputs, &run.outputs, target, out)?;
    }
    Ok(())
}

/// A compiled program and its run, with the time each took.
struct Done {
    program: Program,
    compile_ms: f64,
    run: ProgramRun,
    run_ms: f64,
}

/// Compiles `graph` and runs it on `device` with every launch timed, naming each phase on
/// `phase`.
fn compile_and_run(
    jit: &Jit,
    graph: &egpu_ir::Graph,
    device: &mut dyn Device,
    inputs: &BTreeMap<String, Tensor>,
    phase: &Phase,
    file: &Path,
) -> Result<Done, CliError> {
    let started = Instant::now();
    let program = jit.compile(graph).map_err(|e| jit_error(file, e))?;
    let compile_ms = started.elapsed().as_secs_f64() * 1e3;
    phase.next(&format!("running {} on {}", graph.name(), device.name()));
    let host: BTreeMap<String, Input> = inputs
        .iter()
        .map(|(name, t)| (name.clone(), Input::Host(t)))
        .collect();
    let options = RunOptions {
        time_launches: true,
        ..RunOptions::default()
    };
    let started = Instant::now();
    let run = program
        .run_with(device, &host, options)
        .map_err(|e| run_error(file, device, e))?;
    let run_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(Done {
        program,
        compile_ms,
        run,
        run_ms,
    })
}

/// Where the time went: compiling (or taking the program from the kernel cache), copies
/// each way (with bytes), the kernels; with `verbose`, each launch.
fn time_report(
    program: &Program,
    compile_ms: f64,
    cached: bool,
    run_ms: f64,
    run: &ProgramRun,
    verbose: bool,
) -> String {
    let from_cache = if cached { " (from the cache)" } else { "" };
    let t = &run.transfers;
    let kernels_ms: f64 = run.launch_ms.iter().sum();
    let copies = |c: &Copies| format!("{} in {} copies, {:.3} ms", bytes(c.bytes), c.count, c.ms);
    let mut text = format!(
        "time: compile {compile_ms:.3} ms{from_cache}, run {run_ms:.3} ms: kernels {kernels_ms:.3} ms ({} launches)\n\
         transfers: host->device {}; device->host {}; poison {}\n",
        run.launch_ms.len(),
        copies(&t.to_device),
        copies(&t.to_host),
        copies(&t.poison),
    );
    if verbose {
        for (i, (ms, launch)) in run.launch_ms.iter().zip(&program.plan.launches).enumerate() {
            let kernel = program
                .plan
                .kernels
                .get(launch.kernel)
                .map_or("?", |k| k.name());
            text += &format!("  launch {i} {kernel}: {ms:.3} ms\n");
        }
    }
    text
}

/// A byte count for people: B, KiB, MiB or GiB.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A run failure: a program for another kind of device is the user's choice (exit 1), so is
/// a kernel-IR interpreter error their data caused (a zero divisor); anything else the device
/// reports is the device's or egpu's (exit 2).
fn run_error(file: &Path, device: &dyn Device, e: ProgramRunError) -> CliError {
    match e {
        ProgramRunError::WrongDevice { .. } => CliError::User(e.to_string()),
        ProgramRunError::Run(RunError::Device(DeviceError::Interpreter { error, .. })) => {
            kernel_run(file, ProgramError::Kernel(error))
        }
        ProgramRunError::Run(e) => CliError::Internal(format!("{}: {e}", device.name())),
    }
}

/// A device that cannot be opened: an unknown name or a machine without its driver or GPU
/// is the user's to fix (exit 1).
fn device_error(name: &str, e: DeviceError) -> CliError {
    CliError::User(format!("--device {}: {e}", shown(name)))
}

/// The default device could not be opened: only a bad `EGPU_DEVICE` gets here (the emulator
/// always opens), the user's to fix.
fn default_device_error(e: DeviceError) -> CliError {
    CliError::User(e.to_string())
}

/// `--target` if given (it must suit the device), else the device's own target.
fn chosen_target<'a>(args: &RunArgs<'a>, device: &dyn Device) -> Result<&'a str, CliError> {
    let own = device.target_name();
    match (args.target, own) {
        (Some(t), Some(own)) => {
            let family = |name: &str| Target::by_name(name).map(|t| Family::of(&t));
            if family(t) != family(own) {
                return Err(CliError::User(format!(
                    "--target {}: device {} runs {own} code",
                    shown(t),
                    device.name()
                )));
            }
            Ok(t)
        }
        (Some(t), None) => Ok(t),
        (None, Some(own)) => Ok(own),
        (None, None) => Ok(CPU_DEFAULT_TARGET),
    }
}

/// Compares every output with the reference interpreter, each element within the error
/// bound of its computation for `target` ([`interp::evaluate_with_bounds`]); a mismatch is
/// exit 1 with the worst element.
fn check(
    file: &Path,
    graph: &egpu_ir::Graph,
    inputs: &std::collections::BTreeMap<String, Tensor>,
    results: &[(String, Tensor)],
    target: &Target,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let expected =
        interp::evaluate_with_bounds(graph, inputs, target).map_err(|e| evaluation(file, e))?;
    let mut failures = Vec::new();
    for (want, (_, got)) in expected.iter().zip(results) {
        let name = &want.name;
        match compare(want, got) {
            None => writeln!(out, "check {name}: ok").map_err(output)?,
            Some(m) => {
                let at = want.value.shape.unravel(m.index);
                failures.push(format!(
                    "output {name}: {} of {} elements differ from the reference; worst at {at:?}: got {}, expected {} (allowed error {:e})",
                    m.count,
                    want.value.numel(),
                    m.got,
                    m.expected,
                    m.allowed
                ));
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::User(failures.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egpu_ir::{DType, GraphBuilder};

    /// A backend result that disagrees with the reference is a user-visible failure (exit 1)
    /// naming the output, how many elements differ and the worst one.
    #[test]
    fn a_mismatch_names_the_worst_element() {
        let mut b = GraphBuilder::new("g");
        let x = b.input("x", DType::F32, &[2, 2]).unwrap();
        b.output("y", x).unwrap();
        let graph = b.finish().unwrap();
        let inputs = interp::random_inputs(&graph, 0);
        let mut wrong = inputs["x"].clone();
        let values: Vec<f64> = wrong
            .to_f64_vec()
            .iter()
            .enumerate()
            .map(|(i, v)| if i == 3 { v + 1.0 } else { *v })
            .collect();
        wrong = Tensor::from_f64(DType::F32, &wrong.shape, &values).unwrap();
        let mut out = Vec::new();
        let err = check(
            Path::new("g.egir"),
            &graph,
            &inputs,
            &[("y".into(), wrong)],
            &Target::SM_90,
            &mut out,
        )
        .unwrap_err();
        assert_eq!(err.exit_code(), 1);
        let text = err.to_string();
        assert!(
            text.contains("output y: 1 of 4 elements differ") && text.contains("worst at [1, 1]"),
            "{text}"
        );
        let mut out = Vec::new();
        let right = inputs["x"].clone();
        check(
            Path::new("g.egir"),
            &graph,
            &inputs,
            &[("y".into(), right)],
            &Target::SM_90,
            &mut out,
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "check y: ok\n");
    }
}
