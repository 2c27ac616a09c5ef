//! Emulator speed on our own code: every example compiled for gfx1100 by the AMD backend,
//! run on the `emu` device, reported in wave-instructions per CPU-second of this thread.
//! Release, one core: `taskset -c 0 cargo test --release -p egpu-tests --test emu_speed
//! -- --ignored --nocapture`.

use egpu_codegen_amdgpu::compile_program;
use egpu_ir::{Target, interp};
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_passes::simplify::SimplifyOptions;
use egpu_runtime::program::{RunOptions, run_program};
use egpu_runtime::{Binary, EmuDevice};
use egpu_tests::examples;

#[test]
#[ignore]
fn speed() {
    let target = Target::by_name("gfx1100").expect("gfx1100 is a target");
    let options = PipelineOptions {
        target,
        disabled: Vec::new(),
        simplify: SimplifyOptions::default(),
    };
    let only = std::env::var("EGPU_EMU_SPEED_ONLY").ok();
    let (mut total_n, mut total_s) = (0.0, 0.0);
    for (name, graph) in examples() {
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let Ok(c) = compile(&graph, &options) else {
            continue;
        };
        let program = c.program;
        let Ok((code, _)) = compile_program(&program, &target) else {
            continue;
        };
        let binaries: Vec<Binary> = program
            .kernels
            .iter()
            .map(|_| Binary::CodeObject(code.clone()))
            .collect();
        let inputs = interp::random_inputs(&graph, 0);
        let mut dev = EmuDevice::new();
        let cpu = thread_cpu_seconds();
        let mut runs = 0;
        // Repeat until the measurement is long enough to mean something.
        while runs < 100 && thread_cpu_seconds() - cpu < 0.3 {
            run_program(&mut dev, &program, &binaries, &inputs, RunOptions::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            runs += 1;
        }
        let secs = thread_cpu_seconds() - cpu;
        let n = dev.executed() as f64;
        total_n += n;
        total_s += secs;
        println!(
            "{name:<28} {runs:>3} runs {:>12} wave-instr {secs:>7.3} s {:>6.1} M/s",
            n as u64,
            n / secs / 1e6
        );
    }
    println!(
        "{:<28} {:>12} wave-instr {total_s:>7.3} s {:>6.1} M/s",
        "all",
        total_n as u64,
        total_n / total_s / 1e6
    );
}

/// Seconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`), so a
/// busy machine does not distort the measurement.
fn thread_cpu_seconds() -> f64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns: f64 = text
        .split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0.0);
    ns / 1e9
}
