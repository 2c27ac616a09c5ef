//! The `hsa` device: ROCm's HSA runtime (`libhsa-runtime64.so.1`), loaded at run time
//! with `libloading`, running our gfx1100 code objects on an AMD GPU. Building egpu
//! needs no ROCm; a machine without it gets [`DeviceError::NoHsaRuntime`] from
//! [`HsaDevice::open`], never a panic.
//!
//! - `ffi.rs`: the C types, enumerators and entry-point table.
//! - `agent.rs`: agent discovery; `hsa:N` is the Nth GPU agent whose ISA is gfx11, and it
//!   must be gfx1100 (the only ISA egpu compiles for).
//! - `memory.rs`: the device-local pool for buffers, the kernarg pool for arguments and
//!   copy staging, and copies.
//! - `executable.rs`: code object → frozen executable → kernel symbols.
//! - `kernarg.rs`: the kernarg segment, laid out as the code object's metadata says.
//! - `dispatch.rs`: the AQL queue, dispatch packets and completion.
//!
//! NOT RUN ON AMD HARDWARE: this device has only been exercised against the stand-in
//! runtime in `runtime/tests/mock_hsa/` (docs/runtime.md "hsa" says what that proves).

mod agent;
mod dispatch;
mod executable;
pub mod ffi;
mod kernarg;
mod memory;

use crate::DeviceError;
use crate::device::{Arg, Binary, BufferId, Device, KernelHandle, check_copy};
use crate::emu::metadata::{self, Slot};
use crate::slots::Slots;
use dispatch::{Dispatcher, WaitError};
use egpu_ir::kernel::Launch;
use executable::{KernelSymbol, Loaded};
use ffi::{Agent, Api};
use kernarg::Value;
use memory::Pools;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a wait for the GPU may take before it is reported as a hang.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The loaded runtime, initialised; shut down (and unloaded) when dropped.
struct Runtime {
    api: Api,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // SAFETY: pairs the hsa_init of `HsaDevice::open` (the runtime counts them);
        // everything this device made has been released before (fields drop after
        // `HsaDevice::drop`, and `runtime` is the last field).
        let _ = unsafe { (self.api.shut_down)() };
    }
}

/// One buffer (`None` for zero bytes: nothing to allocate).
struct Buffer {
    pointer: Option<*mut u8>,
    bytes: usize,
}

/// A kernel ready to dispatch.
struct LoadedKernel {
    name: String,
    symbol: KernelSymbol,
    /// The kernarg slots the metadata note declares (`None`: no note).
    args: Option<Vec<Slot>>,
}

/// A gfx1100 GPU through the HSA runtime.
pub struct HsaDevice {
    /// `hsa:N`, the prefix of every message.
    label: String,
    product: Option<String>,
    agent: Agent,
    pools: Pools,
    /// `None` only while dropping.
    dispatcher: Option<Dispatcher>,
    buffers: Slots<Buffer>,
    kernels: Slots<LoadedKernel>,
    /// Executables by code object content: loading a binary twice loads it once.
    executables: BTreeMap<Vec<u8>, Loaded>,
    /// Kernarg allocations of dispatches not yet known to have completed.
    in_flight: Vec<*mut u8>,
    /// The last kernel launched, named when a later wait reports its failure.
    last_launch: Option<String>,
    timeout: Duration,
    /// Declared last: dropped after `Drop::drop` has released what lives in it.
    runtime: Runtime,
}

impl HsaDevice {
    /// The name `--device` selects it by.
    pub const NAME: &'static str = "hsa";
    /// The only ISA egpu compiles for.
    pub const TARGET: &'static str = "gfx1100";

    /// Opens the `ordinal`th gfx11 GPU agent: loads and initialises the runtime, finds
    /// the agent and its memory pools, and creates a queue and a completion signal.
    pub fn open(ordinal: usize) -> Result<HsaDevice, DeviceError> {
        let label = format!("{}:{ordinal}", HsaDevice::NAME);
        let api = Api::load()?;
        // SAFETY: hsa_init has no preconditions; `Runtime::drop` pairs it with
        // hsa_shut_down, also when opening fails below.
        let status = unsafe { (api.init)() };
        api.check(status, &label, "initializing the HSA runtime")?;
        let runtime = Runtime { api };
        let api = &runtime.api;
        let agents = agent::agents(api, &label)?;
        let gpu = agent::pick_gfx11(&agents, ordinal, &label)?;
        let pools = memory::find(api, gpu.agent, &agents, &label)?;
        let max_packets = agent::queue_max_size(api, gpu.agent, &label)?;
        let dispatcher = Dispatcher::new(api, gpu.agent, max_packets, &label)?;
        let product = agent::product_name(api, gpu.agent);
        Ok(HsaDevice {
            label,
            product,
            agent: gpu.agent,
            pools,
            dispatcher: Some(dispatcher),
            buffers: Slots::default(),
            kernels: Slots::default(),
            executables: BTreeMap::new(),
            in_flight: Vec::new(),
            last_launch: None,
            timeout: DEFAULT_TIMEOUT,
            runtime,
        })
    }

    /// Sets how long a wait for the GPU (a launch's completion, a free queue slot) may
    /// take before it is reported as a hang ([`DEFAULT_TIMEOUT`] by default).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    fn api(&self) -> &Api {
        &self.runtime.api
    }

    fn dispatcher(&self) -> Result<&Dispatcher, DeviceError> {
        self.dispatcher.as_ref().ok_or_else(|| DeviceError::Driver {
            device: self.label.clone(),
            what: "using the queue".into(),
            code: "the queue has been destroyed".into(),
        })
    }

    fn buffer(&self, id: BufferId) -> Result<&Buffer, DeviceError> {
        self.buffers
            .get(id.0)
            .ok_or_else(|| DeviceError::no_buffer(&self.label, id))
    }

    /// Checks that a copy's host side is the buffer's size.
    fn copy_size(
        &self,
        id: BufferId,
        host: usize,
        direction: &'static str,
    ) -> Result<Option<*mut u8>, DeviceError> {
        let buffer = self.buffer(id)?;
        check_copy(&self.label, id, buffer.bytes, host, direction)?;
        Ok(buffer.pointer)
    }

    /// A failed wait as an error naming what was being waited for.
    fn wait_error(&self, error: WaitError) -> DeviceError {
        let what = match &self.last_launch {
            Some(kernel) => format!("running kernel '{kernel}'"),
            None => "waiting for the queue".into(),
        };
        let code = match error {
            WaitError::Queue(status) => {
                format!("the queue reported {}", self.api().describe(status))
            }
            WaitError::Timeout(t) => format!(
                "not finished after {:.1} s (a hang? HsaDevice::set_timeout sets the limit)",
                t.as_secs_f64()
            ),
        };
        DeviceError::Driver {
            device: self.label.clone(),
            what,
            code,
        }
    }

    /// Waits for every dispatch issued, then releases their kernarg segments.
    fn wait(&mut self) -> Result<(), DeviceError> {
        if self.in_flight.is_empty() && self.last_launch.is_none() {
            return Ok(());
        }
        let waited = self.dispatcher()?.wait_idle(self.api(), self.timeout);
        waited.map_err(|e| self.wait_error(e))?;
        for pointer in std::mem::take(&mut self.in_flight) {
            memory::free(self.api(), pointer);
        }
        Ok(())
    }

    /// Each argument as the kernarg segment holds it.
    fn values(&self, args: &[Arg]) -> Result<Vec<Value>, DeviceError> {
        args.iter()
            .map(|&arg| {
                Ok(match arg {
                    Arg::Buffer(id) => {
                        Value::Address(self.buffer(id)?.pointer.map_or(0, |p| p as u64))
                    }
                    Arg::I32(v) => Value::I32(v),
                    Arg::I64(v) => Value::I64(v),
                })
            })
            .collect()
    }

    /// The kernarg segment of one launch, in kernarg-pool memory.
    fn kernarg(
        &self,
        kernel: &LoadedKernel,
        launch: Launch,
        args: &[Arg],
    ) -> Result<*mut u8, DeviceError> {
        let refuse = |message: String| DeviceError::Arguments {
            device: self.label.clone(),
            kernel: kernel.name.clone(),
            message,
        };
        let values = self.values(args)?;
        let min = kernel.symbol.kernarg_size as usize;
        let seg =
            kernarg::segment(kernel.args.as_deref(), args, &values, launch, min).map_err(refuse)?;
        // Whole 16-byte units: the segment's minimum alignment and granule.
        let bytes = seg.len().next_multiple_of(16).max(16);
        let api = self.api();
        let pointer = memory::allocate(api, self.pools.host, bytes, Some(self.agent), &self.label)?;
        let align = kernel.symbol.kernarg_align.max(16) as usize;
        if !(pointer as usize).is_multiple_of(align) {
            memory::free(api, pointer);
            return Err(refuse(format!(
                "the kernarg pool gave an address not aligned to {align}"
            )));
        }
        // SAFETY: the allocation is host-visible and holds `bytes >= seg.len()` bytes.
        unsafe {
            std::ptr::write_bytes(pointer, 0, bytes);
            std::ptr::copy_nonoverlapping(seg.as_ptr(), pointer, seg.len());
        }
        Ok(pointer)
    }
}

impl Device for HsaDevice {
    fn name(&self) -> &str {
        HsaDevice::NAME
    }

    fn target_name(&self) -> Option<&'static str> {
        Some(HsaDevice::TARGET)
    }

    fn describe(&self) -> String {
        let gib = self.pools.device_bytes as f64 / f64::from(1u32 << 30);
        let card = self.product.as_deref().unwrap_or("AMD GPU");
        format!(
            "{} {card} ({}, {gib:.0} GiB), target {} (untested on AMD hardware)",
            self.label,
            HsaDevice::TARGET,
            HsaDevice::TARGET
        )
    }

    fn alloc(&mut self, bytes: usize) -> Result<BufferId, DeviceError> {
        let pointer = if bytes == 0 {
            None
        } else {
            let api = self.api();
            Some(memory::allocate(
                api,
                self.pools.device,
                bytes,
                None,
                &self.label,
            )?)
        };
        match self.buffers.insert(Buffer { pointer, bytes }) {
            Some(id) => Ok(BufferId(id)),
            None => {
                if let Some(p) = pointer {
                    memory::free(self.api(), p);
                }
                Err(DeviceError::TooManyIds {
                    device: self.label.clone(),
                    what: "buffers",
                })
            }
        }
    }

    fn free(&mut self, id: BufferId) -> Result<(), DeviceError> {
        self.buffer(id)?;
        self.wait()?; // a launch may still use it
        if let Some(Some(pointer)) = self.buffers.remove(id.0).map(|b| b.pointer) {
            memory::free(self.api(), pointer);
        }
        Ok(())
    }

    fn size(&self, id: BufferId) -> Result<usize, DeviceError> {
        self.buffer(id).map(|b| b.bytes)
    }

    fn upload(&mut self, id: BufferId, data: &[u8]) -> Result<(), DeviceError> {
        let Some(pointer) = self.copy_size(id, data.len(), "upload")? else {
            return Ok(());
        };
        self.wait()?; // copies are not ordered with the queue
        let what = format!("uploading {} bytes to buffer #{}", data.len(), id.0);
        memory::upload(
            self.api(),
            &self.pools,
            self.agent,
            pointer,
            data,
            &self.label,
            &what,
        )
    }

    fn download(&mut self, id: BufferId, out: &mut [u8]) -> Result<(), DeviceError> {
        let Some(pointer) = self.copy_size(id, out.len(), "download")? else {
            return Ok(());
        };
        self.wait()?;
        let what = format!("downloading buffer #{}", id.0);
        memory::download(
            self.api(),
            &self.pools,
            self.agent,
            pointer,
            out,
            &self.label,
            &what,
        )
    }

    fn load(&mut self, binary: &Binary, kernel: &str) -> Result<KernelHandle, DeviceError> {
        let Binary::CodeObject(image) = binary else {
            return Err(DeviceError::UnsupportedBinary {
                device: self.label.clone(),
                kind: binary.kind(),
                hint: "the hsa device runs RDNA3 code objects only",
            });
        };
        if !self.executables.contains_key(image) {
            let loaded = executable::load(self.api(), self.agent, image, &self.label, kernel)?;
            self.executables.insert(image.clone(), loaded);
        }
        let loaded = &self.executables[image];
        let symbol =
            executable::kernel_symbol(self.api(), loaded, self.agent, kernel, &self.label)?;
        let args = metadata::kernel_args(image, kernel).map_err(|message| DeviceError::Load {
            device: self.label.clone(),
            kernel: kernel.into(),
            message,
        })?;
        let loaded = LoadedKernel {
            name: kernel.into(),
            symbol,
            args,
        };
        self.kernels
            .insert(loaded)
            .map(KernelHandle)
            .ok_or_else(|| DeviceError::TooManyIds {
                device: self.label.clone(),
                what: "kernel handles",
            })
    }

    fn launch(
        &mut self,
        handle: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<(), DeviceError> {
        let kernel = self
            .kernels
            .get(handle.0)
            .ok_or_else(|| DeviceError::NoSuchKernel {
                device: self.label.clone(),
                handle: handle.0,
            })?;
        let (grid, workgroup, dims) =
            dispatch::shape(launch.grid, launch.workgroup).map_err(|message| {
                DeviceError::Arguments {
                    device: self.label.clone(),
                    kernel: kernel.name.clone(),
                    message,
                }
            })?;
        let kernarg = self.kernarg(kernel, launch, args)?;
        let dispatcher = self.dispatcher()?;
        let packet = ffi::DispatchPacket {
            header: dispatch::dispatch_header(),
            setup: dims,
            workgroup_size: workgroup,
            grid_size: grid,
            private_segment_size: kernel.symbol.private_size,
            group_segment_size: kernel.symbol.group_size,
            kernel_object: kernel.symbol.object,
            kernarg_address: kernarg as u64,
            completion_signal: dispatcher.completion,
            ..ffi::DispatchPacket::default()
        };
        let name = kernel.name.clone();
        if let Err(e) = dispatcher.submit(self.api(), packet, self.timeout) {
            memory::free(self.api(), kernarg);
            return Err(self.wait_error(e));
        }
        self.in_flight.push(kernarg);
        self.last_launch = Some(name);
        Ok(())
    }

    fn synchronize(&mut self) -> Result<(), DeviceError> {
        self.wait()
    }

    /// Host-measured: from submitting the dispatch to seeing it complete (the queue is
    /// drained first), so it includes the dispatch latency.
    fn timed_launch(
        &mut self,
        handle: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<f64, DeviceError> {
        self.wait()?;
        let start = Instant::now();
        self.launch(handle, launch, args)?;
        self.wait()?;
        Ok(start.elapsed().as_secs_f64() * 1e3)
    }
}

impl Drop for HsaDevice {
    /// Waits (up to the timeout) for dispatches in flight, destroys the queue, then frees
    /// kernargs, buffers and executables; errors are ignored, nothing can be done here.
    fn drop(&mut self) {
        if let Some(dispatcher) = self.dispatcher.take() {
            let _ = dispatcher.wait_idle(self.api(), self.timeout);
            dispatcher.destroy(self.api());
        }
        for pointer in std::mem::take(&mut self.in_flight) {
            memory::free(self.api(), pointer);
        }
        let pointers: Vec<*mut u8> = self.buffers.iter().filter_map(|(_, b)| b.pointer).collect();
        for pointer in pointers {
            memory::free(self.api(), pointer);
        }
        for loaded in std::mem::take(&mut self.executables).into_values() {
            executable::destroy(self.api(), loaded);
        }
    }
}
