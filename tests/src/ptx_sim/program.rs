//! Running a whole compiled program in the sim: its buffers in global memory (inputs
//! from tensors, the rest poisoned like the kernel-IR interpreter poisons them), each
//! launch of the list with its bound buffers, and the outputs read back as tensors.
//! The PTX of each kernel is given as text, so the sim never depends on the emitter.

use super::{Approx, GlobalMemory, LaunchStats, SimArg, SimError};
use egpu_ir::interp::{Data, Tensor};
use egpu_ir::kernel::{BufferRole, Param, Program};
use egpu_ir::{DType, Scalar, Shape};
use half::{bf16, f16};
use std::collections::BTreeMap;

/// Why a program could not run in the sim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    #[error("program: {0}")]
    Setup(String),
    #[error("launch {launch} ({kernel}): {error}")]
    Launch {
        launch: usize,
        kernel: String,
        error: SimError,
    },
}

/// Little-endian bytes of one scalar stored as `dtype` (bool as one byte).
fn scalar_bytes(dtype: DType, s: Scalar, out: &mut Vec<u8>) {
    match (dtype, s) {
        (DType::Bool, s) => out.push(u8::from(matches!(s, Scalar::Bool(true)))),
        (DType::F16, Scalar::Float(f)) => out.extend(f16::from_f64(f).to_le_bytes()),
        (DType::BF16, Scalar::Float(f)) => out.extend(bf16::from_f64(f).to_le_bytes()),
        (DType::F32, Scalar::Float(f)) => out.extend((f as f32).to_le_bytes()),
        (DType::F64, Scalar::Float(f)) => out.extend(f.to_le_bytes()),
        (d, Scalar::Int(i)) => out.extend(&i.to_le_bytes()[..d.size_bytes()]),
        // A float scalar in an integer buffer cannot come from a checked tensor; its
        // bytes are all ones so that any use of them stands out.
        (d, _) => out.extend(std::iter::repeat_n(0xff, d.size_bytes())),
    }
}

fn tensor_bytes(t: &Tensor) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.numel() * t.dtype.size_bytes());
    for s in t.scalars() {
        scalar_bytes(t.dtype, s, &mut out);
    }
    out
}

/// What the kernel-IR interpreter leaves in unwritten elements: NaN for floats, the
/// minimum for integers, true for bools.
fn poison_bytes(dtype: DType, elements: usize) -> Vec<u8> {
    let s = if dtype.is_float() {
        Scalar::Float(f64::NAN)
    } else if dtype.is_bool() {
        Scalar::Bool(true)
    } else {
        Scalar::Int(dtype.int_range().map_or(0, |(lo, _)| lo))
    };
    let mut out = Vec::with_capacity(elements * dtype.size_bytes());
    for _ in 0..elements {
        scalar_bytes(dtype, s, &mut out);
    }
    out
}

/// The tensor `bytes` hold as `elements` values of `dtype`, shaped `shape`.
fn bytes_tensor(dtype: DType, bytes: &[u8], shape: Shape) -> Result<Tensor, String> {
    let size = dtype.size_bytes();
    let chunks = bytes.chunks_exact(size);
    let data = if dtype.is_bool() {
        Data::Bool(bytes.iter().map(|&b| b != 0).collect())
    } else if dtype.is_float() {
        Data::Float(
            chunks
                .map(|c| match dtype {
                    DType::F16 => f16::from_le_bytes([c[0], c[1]]).to_f64(),
                    DType::BF16 => bf16::from_le_bytes([c[0], c[1]]).to_f64(),
                    DType::F32 => f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                    _ => f64::from_le_bytes(c.try_into().unwrap_or([0; 8])),
                })
                .collect(),
        )
    } else {
        let signed = dtype.is_signed_int();
        Data::Int(
            chunks
                .map(|c| {
                    let mut b = [0u8; 16];
                    b[..size].copy_from_slice(c);
                    let u = u128::from_le_bytes(b);
                    if signed {
                        let shift = 128 - 8 * size as u32;
                        ((u << shift) as i128) >> shift
                    } else {
                        u as i128
                    }
                })
                .collect(),
        )
    };
    Tensor::new(dtype, shape, data).map_err(|e| e.to_string())
}

/// A program's outputs (graph order, graph shapes) and each launch's statistics.
pub type ProgramRun = (Vec<(String, Tensor)>, Vec<LaunchStats>);

/// Runs every launch of `program` in order, kernel `k`'s PTX being `ptx[k]`; returns the
/// outputs (graph order, graph shapes) and the launches' statistics.
pub fn run_program(
    program: &Program,
    ptx: &[String],
    inputs: &BTreeMap<String, Tensor>,
    approx: Approx,
) -> Result<ProgramRun, ProgramError> {
    let setup = |m: String| ProgramError::Setup(m);
    let mut mem = GlobalMemory::new();
    let mut addrs = Vec::with_capacity(program.buffers.len());
    for (i, b) in program.buffers.iter().enumerate() {
        let bytes = match &b.role {
            BufferRole::Input(name) => {
                let t = inputs
                    .get(name)
                    .ok_or_else(|| setup(format!("input '{name}' not given")))?;
                if t.dtype != b.dtype || t.numel() != b.elements {
                    return Err(setup(format!("input '{name}' does not fit buffer {i}")));
                }
                tensor_bytes(t)
            }
            _ => poison_bytes(b.dtype, b.elements),
        };
        addrs.push(mem.alloc(bytes));
    }
    let modules = ptx
        .iter()
        .map(|text| super::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| setup(e.to_string()))?;
    let mut stats = Vec::new();
    for (l, launch) in program.launches.iter().enumerate() {
        let kernel = program
            .kernels
            .get(launch.kernel)
            .ok_or_else(|| setup(format!("launch {l}: no kernel {}", launch.kernel)))?;
        let module = modules
            .get(launch.kernel)
            .ok_or_else(|| setup(format!("no PTX for kernel {}", launch.kernel)))?;
        let mut bound = launch.bindings.iter();
        let mut args = Vec::new();
        for (_, p) in kernel.params() {
            match p {
                Param::Buffer { .. } => {
                    let b = bound
                        .next()
                        .ok_or_else(|| setup(format!("launch {l}: too few bindings")))?;
                    let a = addrs
                        .get(*b)
                        .ok_or_else(|| setup(format!("launch {l}: no buffer {b}")))?;
                    args.push(SimArg::U64(*a));
                }
                Param::Scalar { name, .. } => {
                    return Err(setup(format!(
                        "launch {l}: scalar parameter '{name}' has no value"
                    )));
                }
            }
        }
        let shape = kernel.launch();
        let s = module
            .launch_with(
                approx,
                kernel.name(),
                shape.grid,
                shape.workgroup,
                &args,
                &mut mem,
            )
            .map_err(|error| ProgramError::Launch {
                launch: l,
                kernel: kernel.name().to_string(),
                error,
            })?;
        stats.push(s);
    }
    let mut outputs = Vec::new();
    for (name, b, shape) in &program.outputs {
        let buffer = program
            .buffers
            .get(*b)
            .ok_or_else(|| setup(format!("output '{name}': no buffer {b}")))?;
        let bytes = addrs
            .get(*b)
            .and_then(|a| mem.buffer(*a))
            .ok_or_else(|| setup(format!("output '{name}': buffer {b} missing")))?;
        let t = bytes_tensor(buffer.dtype, bytes, shape.clone()).map_err(setup)?;
        outputs.push((name.clone(), t));
    }
    Ok((outputs, stats))
}
