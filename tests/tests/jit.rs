//! The library API end to end: `Jit::new(target)` → `jit.compile(&graph)` → `program.run`
//! on the RDNA3 emulator and the cpu device, checked against the reference interpreter
//! within each element's error bound; device-resident inputs and outputs, and the transfer
//! account that shows what crossed the link.

use egpu::{Jit, ProgramRunError};
use egpu_ir::interp::{self, Tensor};
use egpu_ir::{DType, Graph, GraphBuilder, Target};
use egpu_runtime::program::{Input, RunOptions};
use egpu_runtime::resident::{DeviceTensor, Transfers};
use egpu_runtime::{Device, open_device};
use egpu_tests::reference::compare_outputs;
use std::collections::BTreeMap;

fn device(name: &str) -> Box<dyn Device> {
    open_device(name).unwrap_or_else(|e| panic!("open {name}: {e}"))
}

/// Every example through the public API on `device`, against the reference on `target`.
fn examples_match_reference(device_name: &str, target: &str) {
    let jit = Jit::new(target).expect("a known target");
    let mut dev = device(device_name);
    let mut failures = Vec::new();
    for (name, graph) in egpu_tests::examples() {
        let inputs = interp::random_inputs(&graph, 3);
        let expected = interp::evaluate_with_bounds(&graph, &inputs, jit.target())
            .unwrap_or_else(|e| panic!("{name}: reference: {e}"));
        let result = jit
            .compile(&graph)
            .map_err(|e| e.to_string())
            .and_then(|p| p.run(dev.as_mut(), &inputs).map_err(|e| e.to_string()))
            .and_then(|run| compare_outputs(&expected, &run.outputs));
        if let Err(e) = result {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_example_runs_through_the_api_on_the_emulator() {
    examples_match_reference("emu", "gfx1100");
}

#[test]
fn every_example_runs_through_the_api_on_the_cpu_device() {
    // The cpu device runs the program's kernel IR (the same plan the emulator ran as code).
    examples_match_reference("cpu", "gfx1100");
}

/// y = relu(x · w): x is per call, w is a weight.
fn layer() -> Graph {
    let mut g = GraphBuilder::new("layer");
    let x = g.input("x", DType::F32, &[8, 32]).unwrap();
    let w = g.input("w", DType::F32, &[32, 16]).unwrap();
    let h = g.matmul(x, w, None).unwrap();
    let y = g.relu(h).unwrap();
    g.output("y", y).unwrap();
    g.finish().unwrap()
}

#[test]
fn resident_weights_cross_the_link_once_over_two_runs() {
    let graph = layer();
    let program = Jit::new("gfx1100").unwrap().compile(&graph).unwrap();
    let mut emu = device("emu");
    let first = interp::random_inputs(&graph, 1);
    let second = interp::random_inputs(&graph, 2);
    let w = &first["w"];
    let mut setup = Transfers::default();
    let weights = DeviceTensor::upload(emu.as_mut(), w, &mut setup).unwrap();
    let (x_bytes, w_bytes) = (8 * 32 * 4, 32 * 16 * 4);
    assert_eq!((setup.to_device.count, setup.to_device.bytes), (1, w_bytes));

    let mut total = setup;
    for inputs in [&first, &second] {
        let with_weights: BTreeMap<String, Input> = [
            ("x".to_string(), Input::Host(&inputs["x"])),
            ("w".to_string(), Input::Resident(&weights)),
        ]
        .into();
        let run = program
            .run_with(emu.as_mut(), &with_weights, RunOptions::default())
            .unwrap();
        // Only x went to the device; y came back; the emulator poisons y in its own memory.
        assert_eq!(run.transfers.to_device.bytes, x_bytes);
        assert_eq!(run.transfers.poison, Default::default());
        assert_eq!(run.transfers.to_host.bytes, 8 * 16 * 4);
        total.add(&run.transfers);
        // The same numbers as the reference with this run's x and the resident w.
        let mut reference_inputs = inputs.clone();
        reference_inputs.insert("w".into(), w.clone());
        let expected =
            interp::evaluate_with_bounds(&graph, &reference_inputs, program_target()).unwrap();
        compare_outputs(&expected, &run.outputs).unwrap();
    }
    // Over both runs the weights crossed once, the per-call input twice.
    assert_eq!(total.to_device.bytes, w_bytes + 2 * x_bytes);
    // The weights are still there and unchanged.
    let back = weights
        .read(emu.as_mut(), &mut Transfers::default())
        .unwrap();
    assert!(back.same(w));
    weights.free(emu.as_mut()).unwrap();
}

fn program_target() -> &'static Target {
    static GFX: std::sync::OnceLock<Target> = std::sync::OnceLock::new();
    GFX.get_or_init(|| Target::by_name("gfx1100").unwrap())
}

#[test]
fn outputs_stay_on_the_device_until_read() {
    let graph = layer();
    let program = Jit::new("gfx1100").unwrap().compile(&graph).unwrap();
    let mut emu = device("emu");
    let inputs = interp::random_inputs(&graph, 5);
    let host: BTreeMap<String, Input> = inputs
        .iter()
        .map(|(n, t)| (n.clone(), Input::Host(t)))
        .collect();
    let keep = RunOptions {
        keep_outputs: true,
        ..RunOptions::default()
    };
    let run = program.run_with(emu.as_mut(), &host, keep).unwrap();
    assert!(run.outputs.is_empty());
    assert_eq!(run.transfers.to_host, Default::default());
    let [(name, y)] = run.resident.as_slice() else {
        panic!("one output expected, got {:?}", run.resident)
    };
    assert_eq!(name, "y");
    // A kept output feeds the next run as a resident input: y = relu(...) of 8x16 is no
    // input of this graph, so read it and compare with a plain run instead.
    let mut read = Transfers::default();
    let got: Tensor = y.read(emu.as_mut(), &mut read).unwrap();
    assert_eq!(read.to_host.bytes, 8 * 16 * 4);
    let plain = program.run(emu.as_mut(), &inputs).unwrap();
    assert!(got.same(plain.output("y").unwrap()));
    y.clone().free(emu.as_mut()).unwrap();
}

#[test]
fn code_for_one_gpu_family_does_not_run_on_another() {
    let program = Jit::new("sm_90").unwrap().compile(&layer()).unwrap();
    let mut emu = device("emu");
    let inputs = interp::random_inputs(&layer(), 0);
    let err = program.run(emu.as_mut(), &inputs).unwrap_err();
    assert!(matches!(err, ProgramRunError::WrongDevice { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "program layer was compiled for sm_90; device emu runs gfx1100 (compile for gfx1100, or choose another device)"
    );
    // The cpu device runs any target's kernel IR.
    program.run(device("cpu").as_mut(), &inputs).unwrap();
}

#[test]
fn unknown_targets_are_named() {
    let err = Jit::new("gfx9000").err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("unknown target 'gfx9000' (targets: gfx1100, sm_80, sm_86, sm_89, sm_90)")
    );
}

/// y = x + x over `n` elements: one kernel, whose name does not depend on `n`.
fn doubling(n: usize) -> Graph {
    let mut g = GraphBuilder::new("double");
    let x = g.input("x", DType::F32, &[n]).unwrap();
    let y = g.binary(egpu_ir::BinaryOp::Add, x, x).unwrap();
    g.output("y", y).unwrap();
    g.finish().unwrap()
}

/// A program runs many times and loads its kernels each time: the emulator gives the same
/// handle for the same kernel of the same code object (no second decode, no second copy),
/// and a different object — even with a kernel of the same name — gets its own.
#[test]
fn the_emulator_loads_a_kernel_of_an_object_once() {
    let jit = Jit::new("gfx1100").unwrap();
    let (small, large) = (
        jit.compile(&doubling(64)).unwrap(),
        jit.compile(&doubling(4096)).unwrap(),
    );
    let object = |p: &egpu::Program| match &p.code {
        egpu::Code::Amd { object } => object.clone(),
        other => panic!("{other:?}"),
    };
    let binary = |p: &egpu::Program| egpu_runtime::Binary::CodeObject(object(p));
    let name = small.plan.kernels[0].name().to_string();
    assert_eq!(
        name,
        large.plan.kernels[0].name(),
        "same kernel name in both"
    );
    assert_ne!(object(&small), object(&large), "different code objects");
    let mut emu = device("emu");
    let first = emu.load(&binary(&small), &name).unwrap();
    assert_eq!(emu.load(&binary(&small), &name).unwrap(), first);
    assert_ne!(emu.load(&binary(&large), &name).unwrap(), first);
    // And the program still runs right after many runs.
    for seed in 0..3 {
        let inputs = interp::random_inputs(&doubling(64), seed);
        let run = small.run(emu.as_mut(), &inputs).unwrap();
        let expected =
            interp::evaluate_with_bounds(&doubling(64), &inputs, program_target()).unwrap();
        compare_outputs(&expected, &run.outputs).unwrap();
    }
}
