//! How a framework uses egpu: build a graph with the builder, compile it once for the
//! device that is there, keep the weights on the device, run it for several batches, read
//! the results. `cargo run --release --example framework` (no GPU needed: without one, the
//! RDNA3 emulator runs the code; `EGPU_DEVICE=cpu` picks the kernel-IR interpreter).

use egpu::Jit;
use egpu::ir::interp::{self, Tensor};
use egpu::ir::{BinaryOp, DType, GraphBuilder};
use egpu::runtime::open_default_device;
use egpu::runtime::program::{Input, RunOptions};
use egpu::runtime::resident::{DeviceTensor, Transfers};
use std::collections::BTreeMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // y = log_softmax(relu(x · w + b)): one layer of a classifier.
    let mut g = GraphBuilder::new("classifier");
    let x = g.input("x", DType::F32, &[16, 64])?;
    let w = g.input("w", DType::F32, &[64, 10])?;
    let b = g.input("b", DType::F32, &[10])?;
    let h = g.matmul(x, w, None)?;
    let h = g.binary(BinaryOp::Add, h, b)?; // b broadcasts over the rows
    let h = g.relu(h)?;
    let y = g.log_softmax(h, -1)?;
    g.output("y", y)?;
    let graph = g.finish()?;

    // The device first: the program is compiled for its target (the cpu device runs any).
    let mut device = open_default_device()?;
    let target = device.target_name().unwrap_or("gfx1100");
    let program = Jit::new(target)?.compile(&graph)?;
    println!(
        "compiled {} into {} kernel(s) for {target}; running on {}",
        program.name(),
        program.kernel_count(),
        device.describe()
    );

    // Weights go to the device once.
    let weights = interp::random_inputs(&graph, 0);
    let mut setup = Transfers::default();
    let w = DeviceTensor::upload(device.as_mut(), &weights["w"], &mut setup)?;
    let b = DeviceTensor::upload(device.as_mut(), &weights["b"], &mut setup)?;

    for batch in 0..3 {
        let x: Tensor = interp::random_inputs(&graph, 100 + batch)["x"].clone();
        let inputs: BTreeMap<String, Input> = [
            ("x".to_string(), Input::Host(&x)),
            ("w".to_string(), Input::Resident(&w)),
            ("b".to_string(), Input::Resident(&b)),
        ]
        .into();
        let run = program.run_with(device.as_mut(), &inputs, RunOptions::default())?;
        let y = run.output("y").ok_or("no output y")?;
        let first_row: Vec<f64> = y.to_f64_vec().into_iter().take(4).collect();
        println!(
            "batch {batch}: y{} starts {first_row:.4?}; sent {} bytes, read {} bytes",
            y.shape, run.transfers.to_device.bytes, run.transfers.to_host.bytes
        );
    }
    println!("weights sent once: {} bytes", setup.to_device.bytes);
    w.free(device.as_mut())?;
    b.free(device.as_mut())?;
    Ok(())
}
