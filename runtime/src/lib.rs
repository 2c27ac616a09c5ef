//! egpu's runtime: one [`Device`] trait (allocate, copy, load, launch, synchronize, time)
//! with its backends, and [`program::run_program`], which runs a compiled program on any
//! of them. Depends on `egpu-ir` only; it never runs a pass.
//!
//! Devices today: [`cpu::CpuDevice`] (kernel IR through the kernel-IR interpreter),
//! [`emu::EmuDevice`] (RDNA3 code objects on a strict emulator) and
//! [`cuda::CudaDevice`] (the CUDA driver through cudarc, loaded at run time: a machine
//! without libcuda gets [`DeviceError::NoDriver`]). Later: `hsa` (RDNA3 hardware).
//! [`probe_devices`] lists them all with what opens here and the default marked.
//! docs/runtime.md describes them.
//!
//! ```
//! use egpu_ir::{DType, GraphBuilder, Target, interp};
//! use egpu_passes::pipeline::{PipelineOptions, compile};
//! use egpu_runtime::program::{RunOptions, run_program};
//! use egpu_runtime::{Binary, open_device};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut g = GraphBuilder::new("softmax");
//! let x = g.input("x", DType::F32, &[8, 64])?;
//! let y = g.softmax(x, -1)?;
//! g.output("y", y)?;
//! let graph = g.finish()?;
//! let options = PipelineOptions {
//!     target: Target::by_name("sm_90").ok_or("unknown target")?,
//!     disabled: vec![],
//!     simplify: Default::default(),
//! };
//! let program = compile(&graph, &options)?.program;
//!
//! // One binary per kernel, in the form the device loads: kernel IR for `cpu`; for
//! // `cuda`, `Binary::Ptx(text)` or `Binary::Cubin { image, ptx }` of each kernel.
//! let mut device = open_device("cpu")?;
//! let binaries: Vec<Binary> = program.kernels.iter().cloned().map(Binary::Kir).collect();
//! let inputs = interp::random_inputs(&graph, 0);
//! let run = run_program(device.as_mut(), &program, &binaries, &inputs, RunOptions::default())?;
//! assert!(run.outputs[0].1.same(&program.run(&inputs)?[0].1));
//! # Ok(())
//! # }
//! ```

pub mod bytes;
pub mod cpu;
pub mod cuda;
pub mod device;
pub mod emu;
mod error;
pub mod probe;
pub mod program;
pub mod resident;
mod select;
mod slots;

pub use cpu::CpuDevice;
pub use cuda::CudaDevice;
pub use device::{Arg, Binary, BufferId, Device, KernelHandle};
pub use egpu_ir as ir;
pub use emu::EmuDevice;
pub use error::DeviceError;
pub use probe::{DeviceProbe, probe_devices, probe_devices_named};
pub use select::{
    DEVICE_ENV, DEVICE_NAMES, GPU_PREFERENCE, default_device, open_default_device, open_device,
};
