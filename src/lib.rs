//! egpu: a kernel compiler and JIT for external GPUs (AMD RDNA3 machine code we encode
//! ourselves, NVIDIA PTX we write ourselves).
//!
//! Three calls: [`Jit::new`] for a target, [`Jit::compile`] a graph into a [`Program`]
//! (kernels, launch list, buffer plan, machine code), [`Program::run`] it on a device —
//! [`runtime::open_default_device`] opens the one `EGPU_DEVICE` names, else a GPU (cuda, then
//! hsa), else the strict RDNA3 emulator. Weights can stay on the device
//! ([`runtime::resident::DeviceTensor`], [`Program::run_with`]); every run reports what it
//! moved across the link ([`runtime::resident::Transfers`]). `examples/framework.rs` is a
//! whole program; the `egpu` command ([`cli`]) is a thin layer over this API. Compiled
//! programs are kept in the kernel [`cache`] (memory and disk; docs/cache.md).
//!
//! ```
//! use egpu::Jit;
//! use egpu::ir::{DType, GraphBuilder, interp};
//! use egpu::runtime::open_device;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut g = GraphBuilder::new("mlp");
//! let x = g.input("x", DType::F32, &[32, 64])?;
//! let w = g.input("w", DType::F32, &[64, 10])?;
//! let h = g.matmul(x, w, None)?;
//! let y = g.log_softmax(h, -1)?;
//! g.output("y", y)?;
//! let graph = g.finish()?;
//!
//! let program = Jit::new("gfx1100")?.compile(&graph)?; // one RDNA3 code object
//! let mut device = open_device("emu")?; // or open_default_device()
//! let inputs = interp::random_inputs(&graph, 0);
//! let run = program.run(device.as_mut(), &inputs)?;
//! let y = run.output("y").ok_or("no output y")?;
//! assert_eq!(y.shape.dims(), &[32, 10]);
//! // each element within the error bound of its computation on gfx1100
//! let reference = interp::evaluate_with_bounds(&graph, &inputs, &program.target)?;
//! assert!(interp::compare(&reference[0], y).is_none());
//! println!("moved {} bytes to the device", run.transfers.to_device.bytes);
//! # Ok(())
//! # }
//! ```

pub mod amd;
pub mod bounded;
pub mod cache;
pub mod cli;
pub mod jit;
pub mod npy;
pub mod nvidia;

pub use cache::Cache;
pub use jit::{Code, Jit, JitError, JitOptions, Program, ProgramRunError};

pub use egpu_codegen_amdgpu as codegen_amdgpu;
pub use egpu_codegen_ptx as codegen_ptx;
pub use egpu_ir as ir;
pub use egpu_passes as passes;
pub use egpu_runtime as runtime;
