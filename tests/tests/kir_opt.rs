//! The kernel-IR optimizations (`egpu_passes::kernel_opt`):
//! - filetests: `tests/kir-opt/<pass>/<case>.kir` is a kernel, `<case>.expected.kir` what
//!   the pass named by the folder must make of it (compared as printed text). Each case is
//!   also run on the interpreter before and after the pass, which must give the same bits.
//!   `KIR_OPT_BLESS=1` writes the expected files (read the diff before committing).
//! - equivalence: every kernel of every example on every target, and 200 random graphs, run
//!   on the interpreter without the passes, with each pass alone and with all of them: the
//!   outputs are bit-identical (or the same error).
//! - steps: the pipeline runs LICM and CSE as one step (one rebuild); its kernels must be
//!   exactly (as printed) those of the passes run one after another.

use egpu_ir::interp::{self, Data, Tensor, random_tensor};
use egpu_ir::kernel::{self, Kernel, Param, Program};
use egpu_ir::{Graph, Shape, Target, text};
use egpu_passes::kernel_opt::KernelPass;
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_passes::simplify::SimplifyOptions;
use egpu_tests::examples;
use egpu_tests::random_graph::arb_graph;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("kir-opt")
}

/// Buffers of seeded values for every buffer parameter (integers small, so that indices
/// read from memory stay meaningful), and scalar parameters set to 7.
fn arguments(kernel: &Kernel, seed: u64) -> (Vec<Tensor>, Vec<i64>) {
    let mut buffers = Vec::new();
    let mut scalars = Vec::new();
    for (i, (_, param)) in kernel.params().enumerate() {
        match param {
            Param::Buffer { dtype, len, .. } => {
                let shape = Shape::new(vec![*len]).expect("a small buffer");
                buffers.push(random_tensor(*dtype, &shape, seed + i as u64));
            }
            Param::Scalar { .. } => scalars.push(7),
        }
    }
    (buffers, scalars)
}

/// Runs a kernel on seeded buffers: the buffers after the run, or the error's text.
fn run_kernel(kernel: &Kernel, seed: u64) -> Result<Vec<Tensor>, String> {
    let (mut buffers, scalars) = arguments(kernel, seed);
    kernel::run(kernel, &mut buffers, &scalars).map_err(|e| e.to_string())?;
    Ok(buffers)
}

fn same_data(a: &Data, b: &Data) -> bool {
    a.len() == b.len() && a.same(b)
}

/// Whether two runs agree bit for bit (errors: both fail, with the same kind of message:
/// the value names in a message may differ after a rewrite, the rest must not).
fn same_outcome(
    a: &Result<Vec<Tensor>, String>,
    b: &Result<Vec<Tensor>, String>,
) -> Result<(), String> {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if !same_data(&x.data, &y.data) {
                    return Err(format!("buffer {i} differs"));
                }
            }
            Ok(())
        }
        (Err(x), Err(y)) if error_kind(x) == error_kind(y) => Ok(()),
        _ => Err(format!(
            "before: {:?}\nafter: {:?}",
            a.as_ref().err(),
            b.as_ref().err()
        )),
    }
}

/// An error message without its value names (`v12`) and numbers.
fn error_kind(message: &str) -> String {
    message
        .split(|c: char| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .join("")
}

#[test]
fn filetests() {
    let bless = std::env::var_os("KIR_OPT_BLESS").is_some();
    let mut checked = 0;
    let mut failures = Vec::new();
    for pass in KernelPass::ALL {
        let dir = cases_dir().join(pass.name());
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "kir"))
            .filter(|p| !p.to_string_lossy().ends_with(".expected.kir"))
            .collect();
        files.sort();
        assert!(files.len() >= 3, "{}: fewer than 3 cases", dir.display());
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            let input = kernel::text::parse(&source).unwrap_or_else(|e| {
                panic!("{}:{}:{}: {}", file.display(), e.line, e.col, e.message)
            });
            let output = pass
                .run(&input)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            kernel::verify(&output, None).unwrap_or_else(|e| {
                panic!("{}: the result fails the verifier: {e:?}", file.display())
            });
            let got = kernel::print(&output);
            let expected_file = file.with_extension("expected.kir");
            if bless {
                std::fs::write(&expected_file, &got).unwrap();
            }
            let expected = std::fs::read_to_string(&expected_file)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_file.display()));
            if got != expected {
                failures.push(format!(
                    "{}:\n--- expected\n{expected}--- got\n{got}",
                    file.display()
                ));
            }
            for seed in 0..3 {
                if let Err(m) = same_outcome(&run_kernel(&input, seed), &run_kernel(&output, seed))
                {
                    failures.push(format!("{} (seed {seed}): {m}", file.display()));
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn options(target: Target, disabled: &[&str]) -> PipelineOptions {
    PipelineOptions {
        target,
        disabled: disabled.iter().map(|s| s.to_string()).collect(),
        simplify: SimplifyOptions::default(),
    }
}

/// The program without the kernel passes, then with each pass alone and with all of them
/// (as the pipeline runs them): every variant gives the same bits on seeded inputs. Every
/// graph must compile: `lower`'s output is never refused by the verifier.
fn check_equivalence(graph: &Graph, target: Target, seed: u64) -> Result<(), String> {
    let names: Vec<&str> = KernelPass::ALL.iter().map(|p| p.name()).collect();
    let base = compile(graph, &options(target, &names)).map_err(|e| e.to_string())?;
    let all = compile(graph, &options(target, &[])).map_err(|e| e.to_string())?;
    let mut variants = vec![("all".to_string(), all.program.clone())];
    for pass in KernelPass::ALL {
        let mut program: Program = base.program.clone();
        program.kernels = program
            .kernels
            .iter()
            .map(|k| pass.run(k).map_err(|e| format!("{}: {e}", pass.name())))
            .collect::<Result<_, _>>()?;
        for k in &program.kernels {
            kernel::verify(k, Some(&target)).map_err(|e| format!("{}: {e:?}", pass.name()))?;
        }
        variants.push((pass.name().to_string(), program));
    }
    let inputs = interp::random_inputs(graph, seed);
    let want = base.program.run(&inputs).map_err(|e| e.to_string());
    for (name, program) in variants {
        let got = program.run(&inputs).map_err(|e| e.to_string());
        match (&want, &got) {
            (Ok(w), Ok(g)) => {
                if w.len() != g.len() {
                    let m = format!("{name}: {} outputs, want {}", g.len(), w.len());
                    return Err(m);
                }
                for ((wn, wt), (gn, gt)) in w.iter().zip(g) {
                    if wn != gn || !same_data(&wt.data, &gt.data) {
                        return Err(format!("{name}: output {wn} differs"));
                    }
                }
            }
            (Err(w), Err(g)) if error_kind(w) == error_kind(g) => {}
            _ => {
                return Err(format!(
                    "{name}: before {:?}, after {:?}",
                    want.as_ref().err(),
                    got.as_ref().err()
                ));
            }
        }
    }
    Ok(())
}

/// The shrunk graph of the regression seed in `kir_opt.proptest-regressions`: a pad whose
/// padded element is the only one kept. Lowering loads `in1[1]` of the 1-element input under
/// the pad's validity check, an `if` that is false when the kernel runs; the verifier used
/// to refuse that dead access as out of bounds. It must compile (with and without the
/// kernel passes) and give the graph interpreter's result. `KIR_OPT_PRINT=1` prints the kernels.
#[test]
fn a_dead_out_of_bounds_constant_index_under_a_pad_compiles() {
    let graph = text::parse(
        "graph random(in1: f32[1]) {\n\
           a: i64[1] = cast(in1, to=i64)\n\
           p: i64[2] = pad(a, pads=[[0, 1]], value=-1)\n\
           out0: i64[1] = shrink(p, ranges=[[1, 2]])\n\
           return out0\n\
         }\n",
    )
    .unwrap();
    for target in Target::ALL {
        let compiled = compile(&graph, &options(target, &[]))
            .unwrap_or_else(|e| panic!("{}: {e}", target.name));
        if std::env::var_os("KIR_OPT_PRINT").is_some() {
            for k in &compiled.program.kernels {
                eprintln!("{k}");
            }
        }
        for seed in 0..3 {
            let inputs = interp::random_inputs(&graph, seed);
            let want = interp::evaluate(&graph, &inputs).unwrap();
            let got = compiled.program.run(&inputs).unwrap();
            assert_eq!(got.len(), 1);
            assert!(
                same_data(&got[0].1.data, &want[0].1.data),
                "{}",
                target.name
            );
        }
        check_equivalence(&graph, target, 5).unwrap_or_else(|e| panic!("{}: {e}", target.name));
    }
}

/// The kernels of the pipeline with `disabled` switched off, printed, against those of the
/// enabled passes run one at a time on `lower`'s kernels.
fn check_steps(graph: &Graph, target: Target, disabled: &[&str]) -> Result<(), String> {
    let names: Vec<&str> = KernelPass::ALL.iter().map(|p| p.name()).collect();
    let base = compile(graph, &options(target, &names)).map_err(|e| e.to_string())?;
    let piped = compile(graph, &options(target, disabled)).map_err(|e| e.to_string())?;
    let passes: Vec<KernelPass> = KernelPass::ALL
        .into_iter()
        .filter(|p| !disabled.contains(&p.name()))
        .collect();
    for (lowered, got) in base.program.kernels.iter().zip(&piped.program.kernels) {
        let mut want = lowered.clone();
        for pass in &passes {
            want = pass
                .run(&want)
                .map_err(|e| format!("{}: {e}", pass.name()))?;
        }
        if kernel::print(&want) != kernel::print(got) {
            return Err(format!(
                "without {disabled:?}:\n--- one by one\n{want}--- pipeline\n{got}"
            ));
        }
    }
    Ok(())
}

#[test]
fn the_pipeline_steps_make_the_kernels_of_the_passes_one_by_one() {
    let disabled: [&[&str]; 4] = [&[], &["licm"], &["cse"], &["fold", "dce"]];
    for (name, graph) in examples() {
        for target in Target::ALL {
            for off in disabled {
                if let Err(e) = check_steps(&graph, target, off) {
                    panic!("{name} on {}: {e}", target.name);
                }
            }
        }
    }
}

#[test]
fn every_example_on_every_target_is_unchanged_by_the_passes() {
    for (name, graph) in examples() {
        for target in Target::ALL {
            if let Err(e) = check_equivalence(&graph, target, 1) {
                panic!("{name} on {}: {e}", target.name);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_graphs_are_unchanged_by_the_passes(graph in arb_graph(), seed in 0u64..1000) {
        for target in [Target::ALL[0], Target::ALL[Target::ALL.len() - 1]] {
            match check_equivalence(&graph, target, seed).and_then(|()| check_steps(&graph, target, &[])) {
                Ok(()) => {}
                Err(e) => {
                    return Err(TestCaseError::fail(format!("{}: {e}\n{}", target.name, text::print(&graph))));
                }
            }
        }
    }
}
