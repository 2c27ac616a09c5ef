//! egpu's runtime: one [`Device`] trait (allocate, copy, load, launch, synchronize, time)
//! with its backends, and [`program::run_program`], which runs a compiled program on any
//! of them. Depends on `egpu-ir` only; it never runs a pass.
//!
//! Devices today: [`cpu::CpuDevice`] (kernel IR through the kernel-IR interpreter) and
//! [`cuda::CudaDevice`] (the CUDA driver through cudarc, loaded at run time: a machine
//! without libcuda gets [`DeviceError::NoDriver`]). Later: `hsa` and `emu` (RDNA3).
//! docs/runtime.md describes them.

pub mod bytes;
pub mod cpu;
pub mod cuda;
pub mod device;
mod error;
pub mod program;
mod select;
mod slots;

pub use cpu::CpuDevice;
pub use cuda::CudaDevice;
pub use device::{Arg, Binary, BufferId, Device, KernelHandle};
pub use egpu_ir as ir;
pub use error::DeviceError;
pub use select::{DEVICE_NAMES, open_device};
