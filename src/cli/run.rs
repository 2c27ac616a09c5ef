//! `egpu run FILE --device cpu|cuda[:N] [--check]`: compile a graph for the device and run
//! its kernels there: on `cpu` through the kernel-IR interpreter, on `cuda` as PTX (assembled
//! to cubins when an assembler is found, else JIT-compiled by the driver) through
//! `egpu-runtime`'s `run_program`.

use super::compile::{compile, nvidia_error, pipeline_options, toolchain_error};
use super::error::{evaluation, kernel_run, output, shown};
use super::eval::{input_files, read_inputs, write_tensors};
use super::summary::summarize;
use super::{CliError, load};
use crate::amd::{self, AmdRunError};
use crate::nvidia::{self, NvidiaRunError};
use egpu_codegen_ptx::toolchain::Toolchain;
use egpu_ir::Target;
use egpu_ir::interp::{self, Tensor, compare};
use egpu_ir::precision::Family;
use egpu_passes::pipeline::Compiled;
use egpu_runtime::program::RunOptions;
use egpu_runtime::{CpuDevice, Device, DeviceError, open_device};
use std::io::Write;
use std::path::Path;

/// What `egpu run` was asked to do.
pub struct RunArgs<'a> {
    pub file: &'a Path,
    pub device: &'a str,
    /// `None`: the device's own target (gfx1100 for the cpu device).
    pub target: Option<&'a str>,
    pub seed: u64,
    pub inputs: &'a [String],
    pub output_dir: Option<&'a Path>,
    pub check: bool,
}

/// The target the cpu device runs when none is named.
const CPU_DEFAULT_TARGET: &str = "gfx1100";

pub fn run(args: &RunArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let graph = load::graph(args.file)?;
    let mut device = if args.device == CpuDevice::NAME {
        None
    } else {
        Some(open_device(args.device).map_err(|e| device_error(args.device, e))?)
    };
    let target = chosen_target(args, device.as_deref())?;
    let files = input_files(&graph, args.inputs)?;
    let (inputs, mut text) = read_inputs(&graph, &files, args.seed)?;
    let options = pipeline_options(target, &[], false)?;
    let compiled = compile(&graph, &options)?;
    let (results, description) = match device.as_deref_mut() {
        None => {
            let cpu = CpuDevice::new();
            let results = cpu
                .run(&compiled.program, &inputs)
                .map_err(|e| kernel_run(args.file, e))?;
            (results, cpu.description().to_string())
        }
        Some(device) => {
            let (results, notices) = run_on_gpu(device, &compiled, &inputs, args.file)?;
            for notice in notices {
                text += &format!("note: {notice}\n");
            }
            (results, device.describe())
        }
    };
    text += &format!(
        "ran {} kernel(s) on {description}, target {target}\n",
        compiled.kernel_count(),
    );
    for (name, tensor) in &results {
        text += &format!(
            "output {name}: {}{}\n{}",
            tensor.dtype,
            tensor.shape,
            summarize(tensor)
        );
    }
    if let Some(dir) = args.output_dir {
        text += &write_tensors(dir, &results)?;
    }
    out.write_all(text.as_bytes()).map_err(output)?;
    if args.check {
        check(args.file, &graph, &inputs, &results, &options.target, out)?;
    }
    Ok(())
}

/// `--target` if given (it must suit the device), else the device's own target.
fn chosen_target<'a>(args: &RunArgs<'a>, device: Option<&dyn Device>) -> Result<&'a str, CliError> {
    let own = device.and_then(Device::target_name);
    match (args.target, own) {
        (Some(t), Some(own)) => {
            let family = |name: &str| Target::by_name(name).map(|t| Family::of(&t));
            if family(t) != family(own) {
                return Err(CliError::User(format!(
                    "--target {}: device {} runs {own} code",
                    shown(t),
                    args.device
                )));
            }
            Ok(t)
        }
        (Some(t), None) => Ok(t),
        (None, Some(own)) => Ok(own),
        (None, None) => Ok(CPU_DEFAULT_TARGET),
    }
}

/// The graph's outputs in order.
type Outputs = Vec<(String, Tensor)>;

/// Compiles every kernel to PTX (and a cubin where an assembler is found) and runs the
/// program on `device`; returns the outputs and the device's notices (e.g. a cubin the
/// driver refused, so the PTX was JIT-compiled).
fn run_on_gpu(
    device: &mut dyn Device,
    compiled: &Compiled,
    inputs: &std::collections::BTreeMap<String, Tensor>,
    file: &Path,
) -> Result<(Outputs, Vec<String>), CliError> {
    if amd::is_amd(&compiled.target) {
        let run = amd::run_on_device(
            device,
            &compiled.program,
            &compiled.target,
            inputs,
            RunOptions::default(),
        )
        .map_err(|e| match e {
            AmdRunError::Build(e) => super::amd::build_error(file, e),
            AmdRunError::Run(e) => CliError::Internal(format!("{}: {e}", device.name())),
        })?;
        return Ok((run.outputs, device.take_notices()));
    }
    let toolchain = Toolchain::from_process().map_err(toolchain_error)?;
    let run = nvidia::run_on_device(
        device,
        &compiled.program,
        &compiled.target,
        &toolchain,
        inputs,
        RunOptions::default(),
    )
    .map_err(|e| match e {
        NvidiaRunError::Build(e) => nvidia_error(e),
        NvidiaRunError::Run(e) => CliError::Internal(format!("{}: {e}", device.name())),
    })?;
    Ok((run.outputs, device.take_notices()))
}

/// A device that cannot be opened: an unknown name or a machine without its driver or GPU
/// is the user's to fix (exit 1).
fn device_error(name: &str, e: DeviceError) -> CliError {
    CliError::User(format!("--device {}: {e}", shown(name)))
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
