//! The PTX backend on whole programs, with NVIDIA's assembler as the oracle: every example,
//! every benchmark-suite graph and a few hundred random graphs are compiled by the pipeline
//! for each NVIDIA target, emitted as PTX and assembled by `ptxas` for that target; any
//! error or warning fails. The examples' PTX (with `.kir` comments) is snapshotted for
//! sm_80 and sm_90, and the SASS of a few is checked for the instructions the emitter aims
//! at (vector loads; shuffles and tensor-core MMAs once the warp-cooperative lowerings are
//! merged).

use egpu_codegen_ptx::{PtxError, PtxOptions, emit_kernel};
use egpu_ir::kernel::Kernel;
use egpu_ir::{Graph, Target, text};
use egpu_passes::pipeline::{Compiled, PipelineOptions, compile};
use egpu_passes::simplify::SimplifyOptions;
use egpu_tests::random_graph;
use egpu_tests::{EXAMPLE_NAMES, examples, ptxas, suite_sources};
use std::path::Path;

const NVIDIA: [&str; 4] = ["sm_80", "sm_86", "sm_89", "sm_90"];
const SNAPSHOT_TARGETS: [&str; 2] = ["sm_80", "sm_90"];

fn compiled(graph: &Graph, target: &str) -> Compiled {
    let options = PipelineOptions {
        target: Target::by_name(target).expect("known target"),
        disabled: Vec::new(),
        simplify: SimplifyOptions::default(),
    };
    compile(graph, &options).unwrap_or_else(|e| panic!("{}: {target}: {e}", graph.name()))
}

fn emit(kernel: &Kernel, target: &str, comments: bool) -> Result<String, PtxError> {
    let target = Target::by_name(target).expect("known target");
    emit_kernel(kernel, &target, &PtxOptions { comments })
}

/// Assembles every (label, PTX, arch) job on a few threads; the failures, by label.
fn assemble_all(ptxas: &Path, jobs: &[(String, String, &str)]) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let chunk = jobs.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter_map(|(label, ptx, arch)| {
                            ptxas::assemble(ptxas, ptx, arch, &[])
                                .err()
                                .map(|e| format!("{label}: {e}"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("assembler thread"))
            .collect()
    })
}

/// One snapshot per example and target, holding every kernel's PTX with comments.
#[test]
fn every_example_is_snapshotted_for_sm_80_and_sm_90() {
    for (name, graph) in examples() {
        for target in SNAPSHOT_TARGETS {
            let program = compiled(&graph, target).program;
            let mut text = String::new();
            for kernel in &program.kernels {
                let ptx = emit(kernel, target, true)
                    .unwrap_or_else(|e| panic!("{name} on {target}: {e}"));
                text += &format!("// ===== {}\n{ptx}", kernel.name());
            }
            insta::assert_snapshot!(format!("{name}_{target}"), text);
        }
    }
}

/// The benchmark suite's full-size kernels for sm_90 (the card the suite is measured on):
/// launch shapes, loop bounds and plans differ from the small examples.
#[test]
fn every_suite_graph_is_snapshotted_for_sm_90() {
    for (name, graph) in suite_graphs() {
        let program = compiled(&graph, "sm_90").program;
        let mut text = String::new();
        for kernel in &program.kernels {
            let ptx = emit(kernel, "sm_90", true).unwrap_or_else(|e| panic!("suite {name}: {e}"));
            text += &format!("// ===== {}\n{ptx}", kernel.name());
        }
        insta::assert_snapshot!(format!("suite_{name}_sm_90"), text);
    }
}

fn suite_graphs() -> Vec<(String, Graph)> {
    suite_sources()
        .into_iter()
        .map(|(name, source)| {
            let graph = text::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, graph)
        })
        .collect()
}

/// Emitting twice gives the same bytes.
#[test]
fn the_ptx_is_deterministic() {
    for (name, graph) in examples() {
        let program = compiled(&graph, "sm_90").program;
        for kernel in &program.kernels {
            let first = emit(kernel, "sm_90", true).unwrap();
            assert_eq!(first, emit(kernel, "sm_90", true).unwrap(), "{name}");
        }
    }
}

/// Every `ptx__*.snap` file is one the snapshot test writes.
#[test]
fn no_orphan_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with("ptx__"))
        .collect();
    found.sort();
    let mut expected: Vec<String> = EXAMPLE_NAMES
        .iter()
        .flat_map(|n| SNAPSHOT_TARGETS.map(|t| format!("ptx__{n}_{t}.snap")))
        .chain(
            suite_graphs()
                .into_iter()
                .map(|(n, _)| format!("ptx__suite_{n}_sm_90.snap")),
        )
        .collect();
    expected.sort();
    assert_eq!(found, expected);
}

/// The PTX of every kernel of `graphs`, compiled for each of `targets`, as assembly jobs.
fn jobs_for(
    graphs: &[(String, Graph)],
    targets: &[&'static str],
) -> Vec<(String, String, &'static str)> {
    let mut jobs = Vec::new();
    for (name, graph) in graphs {
        for &target in targets {
            let program = compiled(graph, target).program;
            assert_no_aliasing(name, &program);
            for kernel in &program.kernels {
                let ptx = emit(kernel, target, false)
                    .unwrap_or_else(|e| panic!("{name} on {target}: {e}"));
                jobs.push((format!("{name} {} {target}", kernel.name()), ptx, target));
            }
        }
    }
    jobs
}

#[test]
fn every_example_assembles_for_every_nvidia_target() {
    let Some(ptxas) = ptxas::find() else { return };
    let jobs = jobs_for(&examples(), &NVIDIA);
    assert!(jobs.len() >= EXAMPLE_NAMES.len() * NVIDIA.len());
    let failures = assemble_all(&ptxas, &jobs);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_benchmark_suite_assembles_for_every_nvidia_target() {
    let Some(ptxas) = ptxas::find() else { return };
    let graphs = suite_graphs();
    let failures = assemble_all(&ptxas, &jobs_for(&graphs, &NVIDIA));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `ld.global.nc` is only correct when no other parameter of the kernel writes the same
/// memory during the launch: the emitter relies on the memory plan never binding one
/// buffer to two parameters of a launch.
fn assert_no_aliasing(label: &str, program: &egpu_ir::kernel::Program) {
    for launch in &program.launches {
        let mut bound = launch.bindings.clone();
        bound.sort_unstable();
        bound.dedup();
        assert_eq!(
            bound.len(),
            launch.bindings.len(),
            "{label}: {:?}",
            launch.bindings
        );
    }
}

/// Random graphs: 200 assembled for each NVIDIA target (other graphs for each); every kernel
/// has PTX.
#[test]
fn random_graphs_assemble() {
    let Some(ptxas) = ptxas::find() else { return };
    let mut jobs = Vec::new();
    let plan: [(&'static str, usize, u64); 4] = [
        ("sm_80", 200, 1),
        ("sm_86", 200, 2),
        ("sm_89", 200, 3),
        ("sm_90", 200, 4),
    ];
    let mut graphs_total = 0;
    for (target, n, seed) in plan {
        for (i, graph) in random_graph::sample(n, seed).iter().enumerate() {
            graphs_total += 1;
            let program = compiled(graph, target).program;
            assert_no_aliasing(&format!("graph {i}"), &program);
            for kernel in &program.kernels {
                match emit(kernel, target, false) {
                    Ok(text) => jobs.push((
                        format!("graph {i} {} {target}", kernel.name()),
                        text,
                        target,
                    )),
                    Err(e) => panic!("graph {i} on {target}: {e}\n{}", text::print(graph)),
                }
            }
        }
    }
    println!(
        "{graphs_total} random graphs, {} kernels assembled",
        jobs.len()
    );
    let failures = assemble_all(&ptxas, &jobs);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The SASS of the first kernel of `example` for sm_80.
fn example_sass(ptxas: &Path, example: &str) -> String {
    let (_, graph) = examples()
        .into_iter()
        .find(|(n, _)| n == example)
        .expect("example exists");
    let mut sass = String::new();
    for kernel in &compiled(&graph, "sm_80").program.kernels {
        let ptx = emit(kernel, "sm_80", false).unwrap();
        let cubin = ptxas::assemble(ptxas, &ptx, "sm_80", &[])
            .unwrap_or_else(|e| panic!("{example}: {e}"))
            .cubin;
        sass += &ptxas::sass(ptxas, &cubin).unwrap();
    }
    sass
}

/// `add` moves 16 bytes per lane and access: the f32x4 loads become 128-bit global loads.
#[test]
fn add_loads_128_bits_at_a_time() {
    let Some(ptxas) = ptxas::find() else { return };
    let sass = example_sass(&ptxas, "add");
    assert!(sass.contains("LDG.E.128"), "{sass}");
    assert!(sass.contains("STG.E.128"), "{sass}");
}

/// softmax reduces rows with warp shuffles. Needs helper C's `subgroup.rs` (until it is
/// merged the subgroup reduction is a placeholder that writes nothing).
#[test]
fn softmax_reduces_with_shuffles() {
    let Some(ptxas) = ptxas::find() else { return };
    let sass = example_sass(&ptxas, "softmax");
    assert!(sass.contains("SHFL.BFLY"), "{sass}");
}

/// matmul_f16 runs on the tensor cores. Needs helper C's `matrix.rs`.
#[test]
fn matmul_f16_uses_the_tensor_cores() {
    let Some(ptxas) = ptxas::find() else { return };
    let sass = example_sass(&ptxas, "matmul_f16");
    assert!(sass.contains("HMMA.16816.F32"), "{sass}");
}

/// The hand-written kernels of the kernel-IR optimization tests (`tests/kir-opt`, before
/// and after each pass: loops, ifs, accumulators, atomics, fragments) assemble for sm_80
/// and sm_90.
#[test]
fn the_kir_opt_kernels_assemble() {
    let Some(ptxas) = ptxas::find() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("kir-opt");
    let mut files = Vec::new();
    for pass in std::fs::read_dir(&root).unwrap() {
        for file in std::fs::read_dir(pass.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "kir") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut jobs = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap();
        let kernels = egpu_ir::kernel::text::parse_all(&source)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for kernel in &kernels {
            for target in SNAPSHOT_TARGETS {
                let ptx = emit(kernel, target, false)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let label = format!("{} {} {target}", path.display(), kernel.name());
                jobs.push((label, ptx, target));
            }
        }
    }
    assert!(jobs.len() >= 2 * files.len(), "{}", jobs.len());
    let failures = assemble_all(&ptxas, &jobs);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `ptxas -v` on every example's and suite graph's kernels for sm_80 and sm_90: prints
/// each kernel's register count and asserts that nothing spills to local memory.
#[test]
fn no_example_kernel_spills() {
    let Some(ptxas) = ptxas::find() else { return };
    let mut spills = Vec::new();
    let suite = suite_sources().into_iter().map(|(name, source)| {
        let graph = text::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        (format!("suite/{name}"), graph)
    });
    for (name, graph) in examples().into_iter().chain(suite) {
        for target in SNAPSHOT_TARGETS {
            for kernel in &compiled(&graph, target).program.kernels {
                let ptx = emit(kernel, target, false).unwrap();
                let out = ptxas::assemble(&ptxas, &ptx, target, &["-v"])
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let usage = out
                    .stderr
                    .lines()
                    .filter(|l| l.contains("registers") || l.contains("spill"))
                    .map(|l| l.trim_start_matches("ptxas info    : ").to_string())
                    .collect::<Vec<_>>()
                    .join("; ");
                println!("{name} {} {target}: {usage}", kernel.name());
                if !usage.contains("0 bytes spill stores, 0 bytes spill loads") {
                    spills.push(format!("{name} {} {target}: {usage}", kernel.name()));
                }
            }
        }
    }
    assert!(spills.is_empty(), "{}", spills.join("\n"));
}
