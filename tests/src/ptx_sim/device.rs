//! The PTX interpreter as a runtime [`Device`], so the whole NVIDIA route — the facade's
//! `nvidia::run_on_device`, the runtime's `run_program` (buffer plan, uploads, argument
//! order, poisoning, downloads) and the PTX the emitter writes — runs end to end without a
//! GPU. It loads the PTX of a binary (`Binary::Ptx`, or the PTX beside a cubin, which a
//! real driver would fall back to) and runs launches to completion one after another.

use super::{GlobalMemory, Module, SimArg};
use egpu_ir::kernel::Launch;
use egpu_runtime::{Arg, Binary, BufferId, Device, DeviceError, KernelHandle};

const NAME: &str = "ptx-sim";

/// Buffers live in one [`GlobalMemory`] for the device's lifetime (freed ones are only
/// forgotten: addresses are never reused, so a stale pointer still faults).
#[derive(Default)]
pub struct SimDevice {
    memory: GlobalMemory,
    /// Address and size per buffer id; `None` once freed.
    buffers: Vec<Option<(u64, usize)>>,
    /// Loaded modules and the entry each handle names.
    kernels: Vec<(Module, String)>,
    /// The target the device claims to be, for callers that compile for it.
    target: &'static str,
}

impl SimDevice {
    pub fn new(target: &'static str) -> SimDevice {
        SimDevice {
            target,
            ..SimDevice::default()
        }
    }

    fn buffer(&self, id: BufferId) -> Result<(u64, usize), DeviceError> {
        self.buffers
            .get(id.0 as usize)
            .copied()
            .flatten()
            .ok_or(DeviceError::NoSuchBuffer {
                device: NAME.into(),
                buffer: id.0,
            })
    }

    fn failed(kernel: &str, message: String) -> DeviceError {
        DeviceError::Arguments {
            device: NAME.into(),
            kernel: kernel.into(),
            message,
        }
    }
}

impl Device for SimDevice {
    fn name(&self) -> &str {
        NAME
    }

    fn describe(&self) -> String {
        format!("{NAME} (the tests' PTX interpreter, as {})", self.target)
    }

    fn target_name(&self) -> Option<&'static str> {
        Some(self.target)
    }

    fn alloc(&mut self, bytes: usize) -> Result<BufferId, DeviceError> {
        let addr = self.memory.alloc(vec![0xA5; bytes]);
        self.buffers.push(Some((addr, bytes)));
        Ok(BufferId((self.buffers.len() - 1) as u32))
    }

    fn free(&mut self, buffer: BufferId) -> Result<(), DeviceError> {
        self.buffer(buffer)?;
        self.buffers[buffer.0 as usize] = None;
        Ok(())
    }

    fn size(&self, buffer: BufferId) -> Result<usize, DeviceError> {
        Ok(self.buffer(buffer)?.1)
    }

    fn upload(&mut self, buffer: BufferId, data: &[u8]) -> Result<(), DeviceError> {
        let (addr, _) = self.buffer(buffer)?;
        self.memory
            .write(addr, data)
            .map_err(|m| SimDevice::failed("upload", m))
    }

    fn download(&mut self, buffer: BufferId, out: &mut [u8]) -> Result<(), DeviceError> {
        let (addr, _) = self.buffer(buffer)?;
        self.memory
            .read(addr, out)
            .map_err(|m| SimDevice::failed("download", m))
    }

    fn load(&mut self, binary: &Binary, kernel: &str) -> Result<KernelHandle, DeviceError> {
        let ptx = match binary {
            Binary::Ptx(ptx) | Binary::Cubin { ptx: Some(ptx), .. } => ptx,
            other => {
                return Err(DeviceError::UnsupportedBinary {
                    device: NAME.into(),
                    kind: other.kind(),
                    hint: "the PTX interpreter runs PTX only",
                });
            }
        };
        let module = super::parse(ptx).map_err(|e| DeviceError::Load {
            device: NAME.into(),
            kernel: kernel.into(),
            message: e.to_string(),
        })?;
        self.kernels.push((module, kernel.to_string()));
        Ok(KernelHandle((self.kernels.len() - 1) as u32))
    }

    fn launch(
        &mut self,
        kernel: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<(), DeviceError> {
        let (module, entry) =
            self.kernels
                .get(kernel.0 as usize)
                .ok_or(DeviceError::NoSuchKernel {
                    device: NAME.into(),
                    handle: kernel.0,
                })?;
        let mut sim_args = Vec::with_capacity(args.len());
        for arg in args {
            sim_args.push(match *arg {
                Arg::Buffer(b) => SimArg::U64(self.buffer(b)?.0),
                Arg::I32(v) => SimArg::U32(v as u32),
                Arg::I64(v) => SimArg::U64(v as u64),
            });
        }
        module
            .launch(
                entry,
                launch.grid,
                launch.workgroup,
                &sim_args,
                &mut self.memory,
            )
            .map_err(|e| SimDevice::failed(entry, e.to_string()))?;
        Ok(())
    }

    fn synchronize(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }

    fn timed_launch(
        &mut self,
        kernel: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<f64, DeviceError> {
        let started = std::time::Instant::now();
        self.launch(kernel, launch, args)?;
        Ok(started.elapsed().as_secs_f64() * 1e3)
    }
}
