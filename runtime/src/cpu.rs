//! The `cpu` device: kernel IR run by the kernel-IR interpreter, buffers held as bytes.
//!
//! It executes nothing itself. A launch turns each bound buffer's bytes into the tensor the
//! kernel's parameter declares ([`crate::bytes`]), calls [`egpu_ir::kernel::run_limited`],
//! and writes the buffers the kernel may store to back as bytes — so the interpreter stays
//! the single executor, and the bytes a GPU would hold are what the cpu device holds.
//! [`CpuDevice::run`] is [`Program::run`], the whole-program executor `egpu run` uses; the
//! [`Device`] path ([`crate::program::run_program`]) is tested against it bit for bit.

use crate::DeviceError;
use crate::bytes::{from_bytes, to_bytes};
use crate::device::{
    Arg, Binary, BufferId, Device, Filled, KernelHandle, check_copy, check_fill, fill_bytes,
};
use crate::slots::Slots;
use egpu_ir::Shape;
use egpu_ir::interp::Tensor;
use egpu_ir::kernel::{Kernel, Launch, Param, Program, ProgramError, run_limited};
use std::collections::BTreeMap;
use std::time::Instant;

/// The kernel-IR interpreter as a device.
#[derive(Clone, Debug, Default)]
pub struct CpuDevice {
    buffers: Slots<Vec<u8>>,
    kernels: Slots<Kernel>,
    /// Interpreter steps one launch may take (see `run_limited`).
    step_limit: Option<u64>,
}

impl CpuDevice {
    /// The name `egpu run --device` selects it by.
    pub const NAME: &'static str = "cpu";

    pub fn new() -> CpuDevice {
        CpuDevice::default()
    }

    /// A device whose launches stop after `steps` interpreter steps each: for kernels from
    /// untrusted text, whose loops may run for hours.
    pub fn with_step_limit(steps: u64) -> CpuDevice {
        CpuDevice {
            step_limit: Some(steps),
            ..CpuDevice::default()
        }
    }

    /// What the device is, for people: its name and what executes the kernels.
    pub fn description(&self) -> &'static str {
        "cpu (kernel-IR interpreter)"
    }

    /// Runs every launch of `program` in order with `inputs` (by name; each must match its
    /// buffer's dtype and element count) and returns the outputs in order, shaped as the
    /// graph's outputs. This is [`Program::run`]: fresh memory every run.
    pub fn run(
        &self,
        program: &Program,
        inputs: &BTreeMap<String, Tensor>,
    ) -> Result<Vec<(String, Tensor)>, ProgramError> {
        program.run(inputs)
    }

    fn buffer(&self, id: BufferId) -> Result<&Vec<u8>, DeviceError> {
        self.buffers.get(id.0).ok_or_else(|| no_buffer(id))
    }

    fn kernel(&self, handle: KernelHandle) -> Result<&Kernel, DeviceError> {
        self.kernels
            .get(handle.0)
            .ok_or_else(|| DeviceError::NoSuchKernel {
                device: CpuDevice::NAME.into(),
                handle: handle.0,
            })
    }

    /// The tensors and scalars of one launch, checked against the kernel's parameters.
    fn bind(&self, kernel: &Kernel, args: &[Arg]) -> Result<Bound, DeviceError> {
        let bad = |message: String| arguments(kernel, message);
        if args.len() != kernel.params().len() {
            let (want, got) = (kernel.params().len(), args.len());
            return Err(bad(format!("{want} parameters, {got} arguments")));
        }
        let mut bound = Bound::default();
        for ((_, param), arg) in kernel.params().zip(args) {
            match (param, *arg) {
                (
                    Param::Buffer {
                        dtype, len, access, ..
                    },
                    Arg::Buffer(id),
                ) => {
                    if bound.ids.contains(&id) {
                        return Err(bad(format!("buffer #{} is bound twice", id.0)));
                    }
                    let shape = Shape::new(vec![*len]).map_err(&bad)?;
                    let tensor = from_bytes(*dtype, shape, self.buffer(id)?)
                        .map_err(|e| bad(format!("parameter {}: {e}", param.name())))?;
                    bound.tensors.push(tensor);
                    bound.ids.push(id);
                    bound.writes.push(access.can_write());
                }
                (Param::Scalar { dtype, .. }, Arg::I32(v)) if dtype.bits() == 32 => {
                    bound.scalars.push(i64::from(v));
                }
                (Param::Scalar { dtype, .. }, Arg::I64(v)) if dtype.bits() == 64 => {
                    bound.scalars.push(v);
                }
                (param, arg) => {
                    return Err(bad(format!(
                        "parameter {} ({}) given {arg:?}",
                        param.name(),
                        param.dtype()
                    )));
                }
            }
        }
        Ok(bound)
    }
}

/// The arguments of one launch as the interpreter takes them.
#[derive(Default)]
struct Bound {
    tensors: Vec<Tensor>,
    ids: Vec<BufferId>,
    /// Whether each buffer parameter may be stored to (and so is written back).
    writes: Vec<bool>,
    scalars: Vec<i64>,
}

fn no_buffer(id: BufferId) -> DeviceError {
    DeviceError::no_buffer(CpuDevice::NAME, id)
}

fn arguments(kernel: &Kernel, message: String) -> DeviceError {
    DeviceError::Arguments {
        device: CpuDevice::NAME.into(),
        kernel: kernel.name().into(),
        message,
    }
}

impl Device for CpuDevice {
    fn name(&self) -> &str {
        CpuDevice::NAME
    }

    fn describe(&self) -> String {
        self.description().into()
    }

    fn alloc(&mut self, bytes: usize) -> Result<BufferId, DeviceError> {
        let too_many = || DeviceError::TooManyIds {
            device: CpuDevice::NAME.into(),
            what: "buffers",
        };
        self.buffers
            .insert(vec![0; bytes])
            .map(BufferId)
            .ok_or_else(too_many)
    }

    fn free(&mut self, buffer: BufferId) -> Result<(), DeviceError> {
        self.buffers
            .remove(buffer.0)
            .map(drop)
            .ok_or_else(|| no_buffer(buffer))
    }

    fn size(&self, buffer: BufferId) -> Result<usize, DeviceError> {
        self.buffer(buffer).map(Vec::len)
    }

    fn upload(&mut self, buffer: BufferId, data: &[u8]) -> Result<(), DeviceError> {
        let held = self
            .buffers
            .get_mut(buffer.0)
            .ok_or_else(|| no_buffer(buffer))?;
        check_copy(CpuDevice::NAME, buffer, held.len(), data.len(), "upload")?;
        held.copy_from_slice(data);
        Ok(())
    }

    fn fill(&mut self, buffer: BufferId, pattern: &[u8]) -> Result<Filled, DeviceError> {
        let held = self
            .buffers
            .get_mut(buffer.0)
            .ok_or_else(|| no_buffer(buffer))?;
        check_fill(CpuDevice::NAME, buffer, held.len(), pattern)?;
        fill_bytes(held, pattern);
        Ok(Filled::OnDevice)
    }

    fn download(&mut self, buffer: BufferId, out: &mut [u8]) -> Result<(), DeviceError> {
        let held = self.buffer(buffer)?;
        check_copy(CpuDevice::NAME, buffer, held.len(), out.len(), "download")?;
        out.copy_from_slice(held);
        Ok(())
    }

    fn load(&mut self, binary: &Binary, kernel: &str) -> Result<KernelHandle, DeviceError> {
        let Binary::Kir(k) = binary else {
            return Err(DeviceError::UnsupportedBinary {
                device: CpuDevice::NAME.into(),
                kind: binary.kind(),
                hint: "the cpu device runs kernel IR only",
            });
        };
        if k.name() != kernel {
            return Err(DeviceError::Load {
                device: CpuDevice::NAME.into(),
                kernel: kernel.into(),
                message: format!("the kernel IR holds kernel '{}'", k.name()),
            });
        }
        let handle = self
            .kernels
            .insert(k.clone())
            .ok_or_else(|| DeviceError::TooManyIds {
                device: CpuDevice::NAME.into(),
                what: "kernel handles",
            })?;
        Ok(KernelHandle(handle))
    }

    fn launch(
        &mut self,
        handle: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<(), DeviceError> {
        let kernel = self.kernel(handle)?;
        if launch != kernel.launch() {
            // The launch shape is part of kernel IR; the interpreter runs the kernel's own.
            return Err(arguments(
                kernel,
                format!(
                    "launched over {launch:?}, but the kernel declares {:?}",
                    kernel.launch()
                ),
            ));
        }
        let mut bound = self.bind(kernel, args)?;
        let limit = self.step_limit.unwrap_or(u64::MAX);
        let result = run_limited(kernel, &mut bound.tensors, &bound.scalars, limit);
        // Stores made before an error stay, as on a GPU.
        let written = bound.ids.iter().zip(&bound.tensors).zip(&bound.writes);
        for ((id, tensor), _) in written.filter(|(_, writes)| **writes) {
            if let Some(held) = self.buffers.get_mut(id.0) {
                *held = to_bytes(tensor);
            }
        }
        result.map_err(|error| DeviceError::Interpreter {
            device: CpuDevice::NAME.into(),
            error: Box::new(error),
        })
    }

    fn synchronize(&mut self) -> Result<(), DeviceError> {
        Ok(()) // every launch has finished when `launch` returns
    }

    fn timed_launch(
        &mut self,
        handle: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<f64, DeviceError> {
        let start = Instant::now();
        self.launch(handle, launch, args)?;
        Ok(start.elapsed().as_secs_f64() * 1e3)
    }
}

#[cfg(test)]
#[path = "cpu_tests.rs"]
mod tests;
