//! Emulator speed on our own code: every example compiled for gfx1100 by the AMD backend,
//! run on the `emu` device, reported in wave-instructions per CPU-second of this thread.
//! Release, one core: `taskset -c 0 cargo test --release -p egpu-tests --test emu_speed
//! -- --ignored --nocapture`. Two rates: launches alone (the emulator) and whole
//! `run_program` calls (also converting, uploading and downloading tensors).

use egpu_codegen_amdgpu::compile_program;
use egpu_ir::kernel::Launch;
use egpu_ir::{Target, interp};
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_passes::simplify::SimplifyOptions;
use egpu_runtime::program::{RunOptions, run_program};
use egpu_runtime::{Arg, Binary, BufferId, Device, DeviceError, EmuDevice, KernelHandle};
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
    let (mut total_n, mut total_s, mut total_l) = (0.0, 0.0, 0.0);
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
        let mut dev = Timed {
            emu: EmuDevice::new(),
            launch_secs: 0.0,
        };
        let cpu = thread_cpu_seconds();
        let mut runs = 0;
        // Repeat until the measurement is long enough to mean something.
        while runs < 100 && thread_cpu_seconds() - cpu < 0.3 {
            run_program(
                &mut dev,
                &program,
                &binaries,
                &inputs,
                RunOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            runs += 1;
        }
        let secs = thread_cpu_seconds() - cpu;
        let n = dev.emu.executed() as f64;
        let launch = dev.launch_secs;
        total_n += n;
        total_s += secs;
        total_l += launch;
        println!(
            "{name:<12} {runs:>3} runs {:>10} wave-instr; launches {launch:>6.3} s {:>6.1} M/s; run_program {secs:>6.3} s {:>6.1} M/s",
            n as u64,
            n / launch / 1e6,
            n / secs / 1e6
        );
    }
    println!(
        "{:<21} {:>10} wave-instr; launches {total_l:>6.3} s {:>6.1} M/s; run_program {total_s:>6.3} s {:>6.1} M/s",
        "all",
        total_n as u64,
        total_n / total_l / 1e6,
        total_n / total_s / 1e6
    );
}

/// Seconds this thread has run on a CPU, so a busy machine does not distort the
/// measurement (`CLOCK_THREAD_CPUTIME_ID`, exact at every call unlike schedstat).
fn thread_cpu_seconds() -> f64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec (two 64-bit fields on x86-64 Linux).
    if unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return 0.0;
    }
    ts.sec as f64 + ts.nsec as f64 / 1e9
}

/// The emulator, counting the CPU time its launches take.
struct Timed {
    emu: EmuDevice,
    launch_secs: f64,
}

impl Device for Timed {
    fn name(&self) -> &str {
        self.emu.name()
    }
    fn describe(&self) -> String {
        self.emu.describe()
    }
    fn target_name(&self) -> Option<&'static str> {
        self.emu.target_name()
    }
    fn alloc(&mut self, bytes: usize) -> Result<BufferId, DeviceError> {
        self.emu.alloc(bytes)
    }
    fn free(&mut self, buffer: BufferId) -> Result<(), DeviceError> {
        self.emu.free(buffer)
    }
    fn size(&self, buffer: BufferId) -> Result<usize, DeviceError> {
        self.emu.size(buffer)
    }
    fn upload(&mut self, buffer: BufferId, data: &[u8]) -> Result<(), DeviceError> {
        self.emu.upload(buffer, data)
    }
    fn download(&mut self, buffer: BufferId, out: &mut [u8]) -> Result<(), DeviceError> {
        self.emu.download(buffer, out)
    }
    fn load(&mut self, binary: &Binary, kernel: &str) -> Result<KernelHandle, DeviceError> {
        self.emu.load(binary, kernel)
    }
    fn launch(&mut self, k: KernelHandle, shape: Launch, args: &[Arg]) -> Result<(), DeviceError> {
        let start = thread_cpu_seconds();
        let r = self.emu.launch(k, shape, args);
        self.launch_secs += thread_cpu_seconds() - start;
        r
    }
    fn synchronize(&mut self) -> Result<(), DeviceError> {
        self.emu.synchronize()
    }
    fn timed_launch(
        &mut self,
        k: KernelHandle,
        shape: Launch,
        args: &[Arg],
    ) -> Result<f64, DeviceError> {
        let start = thread_cpu_seconds();
        let r = self.emu.timed_launch(k, shape, args);
        self.launch_secs += thread_cpu_seconds() - start;
        r
    }
    fn take_notices(&mut self) -> Vec<String> {
        self.emu.take_notices()
    }
}
