//! `egpu run FILE --device cpu [--check]`: compile a graph and run its kernels on a device
//! of `egpu-runtime` (today the `cpu` device, the kernel-IR interpreter).

use super::compile::{compile, pipeline_options};
use super::error::{evaluation, kernel_run, output, shown};
use super::eval::{input_files, read_inputs, write_tensors};
use super::summary::summarize;
use super::{CliError, load};
use egpu_ir::Target;
use egpu_ir::interp::{self, Tensor, compare};
use egpu_runtime::CpuDevice;
use std::io::Write;
use std::path::Path;

/// What `egpu run` was asked to do.
pub struct RunArgs<'a> {
    pub file: &'a Path,
    pub device: &'a str,
    pub target: &'a str,
    pub seed: u64,
    pub inputs: &'a [String],
    pub output_dir: Option<&'a Path>,
    pub check: bool,
}

pub fn run(args: &RunArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.device != CpuDevice::NAME {
        return Err(CliError::User(format!(
            "--device {}: not available yet (devices: cpu — the kernel-IR interpreter)",
            shown(args.device)
        )));
    }
    let graph = load::graph(args.file)?;
    let files = input_files(&graph, args.inputs)?;
    let (inputs, mut text) = read_inputs(&graph, &files, args.seed)?;
    let options = pipeline_options(args.target, &[], false)?;
    let compiled = compile(&graph, &options)?;
    let device = CpuDevice::new();
    let results = device
        .run(&compiled.program, &inputs)
        .map_err(|e| kernel_run(args.file, e))?;
    text += &format!(
        "ran {} kernel(s) on {}, target {}\n",
        compiled.kernel_count(),
        device.description(),
        args.target
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
