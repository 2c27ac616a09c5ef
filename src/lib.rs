//! egpu: a kernel compiler and JIT for external GPUs (AMD RDNA3 machine code we encode
//! ourselves, NVIDIA PTX we write ourselves).
//!
//! This facade crate will hold `Jit` and the kernel cache; today it holds the `egpu` command
//! ([`cli`]) and `.npy` input/output ([`npy`]). The graph IR is re-exported as [`ir`] and the
//! passes as [`passes`], the runtime (today its `cpu` device) as [`runtime`].
//!
//! ```
//! use egpu::ir::{DType, GraphBuilder, Target, interp};
//! use egpu::passes::pipeline::{PipelineOptions, compile};
//! use egpu::runtime::cpu::CpuDevice;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut g = GraphBuilder::new("mlp");
//! let x = g.input("x", DType::F32, &[32, 64])?;
//! let w = g.input("w", DType::F32, &[64, 10])?;
//! let h = g.matmul(x, w, None)?;
//! let y = g.log_softmax(h, -1)?;
//! g.output("y", y)?;
//! let graph = g.finish()?;
//!
//! let inputs = interp::random_inputs(&graph, 0);
//! let options = PipelineOptions {
//!     target: Target::by_name("sm_90").ok_or("unknown target")?,
//!     disabled: vec![],
//!     simplify: Default::default(),
//! };
//! let compiled = compile(&graph, &options)?;
//! let results = CpuDevice::new().run(&compiled.program, &inputs)?; // the kernel-IR interpreter
//! // each element within the error bound of its computation on sm_90 (running error bound
//! // plus the precision model of ex2.approx, rcp.approx, ...)
//! let reference = interp::evaluate_with_bounds(&graph, &inputs, &options.target)?;
//! assert!(interp::compare(&reference[0], &results[0].1).is_none());
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
pub use jit::{Code, Jit, JitError, JitOptions, Program};

pub use egpu_codegen_amdgpu as codegen_amdgpu;
pub use egpu_codegen_ptx as codegen_ptx;
pub use egpu_ir as ir;
pub use egpu_passes as passes;
pub use egpu_runtime as runtime;
