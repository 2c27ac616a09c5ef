//! The `cuda` device: the CUDA driver API through cudarc, loaded at run time, so building
//! egpu needs no CUDA and a machine without libcuda gets [`DeviceError::NoDriver`] from
//! [`CudaDevice::open`] — never a panic.
//!
//! Buffers are `cuMemAlloc` allocations (256-byte aligned, more than any vector access
//! needs); copies are synchronous on the default stream; launches go to the default stream
//! with static shared memory only (kernels declare their shared arrays); timing uses a
//! pair of CUDA events. Modules are cached by content, so loading a binary twice compiles
//! it once.

mod args;
mod cache;
mod driver;
mod module;
pub mod target;

use crate::DeviceError;
use crate::device::{Arg, Binary, BufferId, Device, Filled, KernelHandle, check_copy, check_fill};
use crate::slots::Slots;
use args::ArgValue;
use cudarc::driver::{CudaContext, result, sys};
use driver::call;
use egpu_ir::kernel::Launch;
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::panic::catch_unwind;
use std::sync::Arc;
pub use target::{TargetChoice, target_for};

/// One device allocation (`None` for a zero-byte buffer, which `cuMemAlloc` refuses).
struct Buffer {
    pointer: Option<sys::CUdeviceptr>,
    bytes: usize,
}

/// An entry point of a loaded module.
struct LoadedKernel {
    name: String,
    function: sys::CUfunction,
    /// Each parameter's size in bytes, when the driver can say.
    param_sizes: Option<Vec<usize>>,
}

/// A CUDA GPU.
pub struct CudaDevice {
    /// `cuda:N`, the prefix of every message.
    label: String,
    card: String,
    capability: (i32, i32),
    target: TargetChoice,
    total_bytes: usize,
    buffers: Slots<Buffer>,
    kernels: Slots<LoadedKernel>,
    /// Loaded modules by content (a kind tag, then the bytes).
    modules: BTreeMap<Vec<u8>, sys::CUmodule>,
    /// Start and end events for `timed_launch`.
    events: (sys::CUevent, sys::CUevent),
    notices: Vec<String>,
    /// The last kernel launched, named when a later synchronization reports its fault.
    last_launch: Option<String>,
    /// Declared last: dropped after `Drop::drop` has freed what lives in the context.
    context: Arc<CudaContext>,
}

impl CudaDevice {
    /// The name `--device` selects it by.
    pub const NAME: &'static str = "cuda";

    /// How many CUDA GPUs the driver sees (`cuDeviceGetCount`): [`DeviceError::NoDriver`]
    /// without libcuda, a driver error when it cannot initialise. Opens no context.
    pub fn device_count() -> Result<usize, DeviceError> {
        // SAFETY: as in `open`.
        let present = catch_unwind(|| unsafe { sys::is_culib_present() }).unwrap_or(false);
        if !present {
            return Err(DeviceError::NoDriver);
        }
        let count = call(
            CudaDevice::NAME,
            "counting the GPUs",
            CudaContext::device_count,
        )?;
        // The driver never reports a negative count; treat one as none.
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Opens GPU `ordinal`: loads the driver library, makes the device's primary context
    /// current on this thread, and picks the target for its compute capability.
    pub fn open(ordinal: usize) -> Result<CudaDevice, DeviceError> {
        // SAFETY: this only tries to dlopen the driver library under its usual names and
        // closes it again; loading NVIDIA's driver library runs its initialisers, which is
        // what every CUDA program does. A panic in it is caught here, never propagated.
        let present = catch_unwind(|| unsafe { sys::is_culib_present() }).unwrap_or(false);
        if !present {
            return Err(DeviceError::NoDriver);
        }
        let label = format!("{}:{ordinal}", CudaDevice::NAME);
        if i32::try_from(ordinal).is_err() {
            return Err(DeviceError::Driver {
                device: label,
                what: "opening the device".into(),
                code: "the ordinal does not fit the driver's int".into(),
            });
        }
        let context = call(&label, "opening the device", || CudaContext::new(ordinal))?;
        let card = call(&label, "reading the device name", || context.name())?;
        let capability = call(&label, "reading the compute capability", || {
            context.compute_capability()
        })?;
        let total_bytes = call(&label, "reading the memory size", || context.total_mem())?;
        let Some(target) = target_for(capability.0, capability.1) else {
            return Err(DeviceError::TooOld {
                device: label,
                card,
                major: capability.0,
                minor: capability.1,
            });
        };
        let flags = sys::CUevent_flags::CU_EVENT_DEFAULT;
        let start = call(&label, "creating an event", || result::event::create(flags))?;
        let end = call(&label, "creating an event", || result::event::create(flags));
        let end = end.inspect_err(|_| {
            // SAFETY: `start` was created just above and is used nowhere else.
            let _ = unsafe { result::event::destroy(start) };
        })?;
        Ok(CudaDevice {
            label,
            card,
            capability,
            target,
            total_bytes,
            buffers: Slots::default(),
            kernels: Slots::default(),
            modules: BTreeMap::new(),
            events: (start, end),
            notices: Vec::new(),
            last_launch: None,
            context,
        })
    }

    /// The egpu target this device runs (`sm_90`; see [`target_for`]).
    pub fn target(&self) -> TargetChoice {
        self.target
    }

    /// Makes this device's context current on the calling thread (another context may
    /// have been made current since).
    fn bind(&self) -> Result<(), DeviceError> {
        call(&self.label, "making the context current", || {
            self.context.bind_to_thread()
        })
    }

    fn buffer(&self, id: BufferId) -> Result<&Buffer, DeviceError> {
        self.buffers
            .get(id.0)
            .ok_or_else(|| DeviceError::no_buffer(&self.label, id))
    }
}

impl Device for CudaDevice {
    fn name(&self) -> &str {
        CudaDevice::NAME
    }

    fn target_name(&self) -> Option<&'static str> {
        Some(self.target.name)
    }

    fn describe(&self) -> String {
        let (major, minor) = self.capability;
        let gib = self.total_bytes as f64 / f64::from(1u32 << 30);
        let mut text = format!(
            "{} {} (compute capability {major}.{minor}, {gib:.0} GiB), target {}",
            self.label, self.card, self.target.name
        );
        if !self.target.exact {
            text += &format!(
                " (the nearest egpu target not newer than {major}.{minor}; where the driver refuses its cubins, their PTX is JIT-compiled)"
            );
        }
        text
    }

    fn alloc(&mut self, bytes: usize) -> Result<BufferId, DeviceError> {
        self.bind()?;
        let pointer = if bytes == 0 {
            None
        } else {
            let what = format!("allocating {bytes} bytes");
            // SAFETY: a plain allocation; its contents are never read before a write.
            Some(call(&self.label, &what, || unsafe {
                result::malloc_sync(bytes)
            })?)
        };
        let buffer = Buffer { pointer, bytes };
        match self.buffers.insert(buffer) {
            Some(id) => Ok(BufferId(id)),
            None => {
                if let Some(p) = pointer {
                    // SAFETY: allocated just above and known to no one else.
                    let _ = unsafe { result::free_sync(p) };
                }
                Err(DeviceError::TooManyIds {
                    device: self.label.clone(),
                    what: "buffers",
                })
            }
        }
    }

    fn free(&mut self, buffer: BufferId) -> Result<(), DeviceError> {
        self.bind()?;
        let held = self
            .buffers
            .remove(buffer.0)
            .ok_or_else(|| DeviceError::no_buffer(&self.label, buffer))?;
        let Some(pointer) = held.pointer else {
            return Ok(());
        };
        let what = format!("freeing buffer #{}", buffer.0);
        // SAFETY: the pointer came from malloc_sync and left the table just now, so it is
        // freed once; cuMemFree waits for launches still using it.
        call(&self.label, &what, || unsafe { result::free_sync(pointer) })
    }

    fn size(&self, buffer: BufferId) -> Result<usize, DeviceError> {
        self.buffer(buffer).map(|b| b.bytes)
    }

    fn upload(&mut self, id: BufferId, data: &[u8]) -> Result<(), DeviceError> {
        self.bind()?;
        let buffer = self.buffer(id)?;
        check_copy(&self.label, id, buffer.bytes, data.len(), "upload")?;
        let Some(pointer) = buffer.pointer else {
            return Ok(());
        };
        let what = format!("uploading {} bytes to buffer #{}", data.len(), id.0);
        // SAFETY: the allocation holds exactly `data.len()` bytes.
        call(&self.label, &what, || unsafe {
            result::memcpy_htod_sync(pointer, data)
        })
    }

    /// A memset on the device (`cuMemsetD8/D16/D32`; an 8-byte pattern as two strided
    /// `cuMemsetD2D32` over its low and high words): nothing crosses the link.
    fn fill(&mut self, id: BufferId, pattern: &[u8]) -> Result<Filled, DeviceError> {
        self.bind()?;
        let buffer = self.buffer(id)?;
        check_fill(&self.label, id, buffer.bytes, pattern)?;
        let Some(pointer) = buffer.pointer else {
            return Ok(Filled::OnDevice);
        };
        let n = buffer.bytes / pattern.len();
        let what = format!(
            "filling buffer #{} with a {}-byte pattern",
            id.0,
            pattern.len()
        );
        let word = |at: usize| u32::from_le_bytes([0, 1, 2, 3].map(|i| pattern[at + i]));
        // SAFETY: each memset writes exactly the allocation's `buffer.bytes` bytes: n
        // elements of the pattern's width (checked by `check_fill`).
        call(&self.label, &what, || unsafe {
            match pattern.len() {
                1 => sys::cuMemsetD8_v2(pointer, pattern[0], n).result(),
                2 => sys::cuMemsetD16_v2(pointer, u16::from_le_bytes([pattern[0], pattern[1]]), n)
                    .result(),
                4 => sys::cuMemsetD32_v2(pointer, word(0), n).result(),
                _ => sys::cuMemsetD2D32_v2(pointer, 8, word(0), 1, n)
                    .result()
                    .and_then(|()| sys::cuMemsetD2D32_v2(pointer + 4, 8, word(4), 1, n).result()),
            }
        })?;
        Ok(Filled::OnDevice)
    }

    fn download(&mut self, id: BufferId, out: &mut [u8]) -> Result<(), DeviceError> {
        self.bind()?;
        let buffer = self.buffer(id)?;
        check_copy(&self.label, id, buffer.bytes, out.len(), "download")?;
        let Some(pointer) = buffer.pointer else {
            return Ok(());
        };
        let what = match &self.last_launch {
            Some(kernel) => format!("downloading buffer #{} (after kernel '{kernel}')", id.0),
            None => format!("downloading buffer #{}", id.0),
        };
        // SAFETY: the allocation holds exactly `out.len()` bytes; the copy is synchronous.
        call(&self.label, &what, || unsafe {
            result::memcpy_dtoh_sync(out, pointer)
        })
    }

    fn load(&mut self, binary: &Binary, kernel: &str) -> Result<KernelHandle, DeviceError> {
        self.bind()?;
        let module = self.module(binary, kernel)?;
        let function = module::function(&self.label, module, kernel)?;
        let loaded = LoadedKernel {
            name: kernel.into(),
            function,
            param_sizes: module::param_sizes(function),
        };
        let handle = self
            .kernels
            .insert(loaded)
            .ok_or_else(|| DeviceError::TooManyIds {
                device: self.label.clone(),
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
        self.bind()?;
        let kernel = self
            .kernels
            .get(handle.0)
            .ok_or_else(|| DeviceError::NoSuchKernel {
                device: self.label.clone(),
                handle: handle.0,
            })?;
        if let Some(sizes) = &kernel.param_sizes
            && sizes.len() != args.len()
        {
            return Err(DeviceError::Arguments {
                device: self.label.clone(),
                kernel: kernel.name.clone(),
                message: format!("{} parameters, {} arguments", sizes.len(), args.len()),
            });
        }
        let mut values = Vec::with_capacity(args.len());
        for (index, &arg) in args.iter().enumerate() {
            values.push(self.arg_value(kernel, index, arg)?);
        }
        let mut params: Vec<*mut c_void> = values.iter_mut().map(ArgValue::as_param).collect();
        let [gx, gy, gz] = launch.grid;
        let [bx, by, bz] = launch.workgroup;
        let what = format!("launching kernel '{}'", kernel.name);
        let function = kernel.function;
        let name = kernel.name.clone();
        // SAFETY: `function` is live; `params` points at one value per parameter (counted
        // and sized against the function when the driver reports its parameters, else as
        // the caller's kernel IR declares them), alive until the call returns, which is
        // when the driver has copied them; no dynamic shared memory; the default stream.
        call(&self.label, &what, || unsafe {
            result::launch_kernel(
                function,
                (gx, gy, gz),
                (bx, by, bz),
                0,
                std::ptr::null_mut(),
                &mut params,
            )
        })?;
        self.last_launch = Some(name);
        Ok(())
    }

    fn synchronize(&mut self) -> Result<(), DeviceError> {
        self.bind()?;
        let what = match &self.last_launch {
            Some(kernel) => format!("synchronizing after kernel '{kernel}'"),
            None => "synchronizing".into(),
        };
        call(&self.label, &what, result::ctx::synchronize)
    }

    fn timed_launch(
        &mut self,
        handle: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<f64, DeviceError> {
        self.bind()?;
        let (start, end) = self.events;
        let stream = std::ptr::null_mut();
        // SAFETY: both events were created by this device's context and live until drop.
        call(&self.label, "recording an event", || unsafe {
            result::event::record(start, stream)
        })?;
        self.launch(handle, launch, args)?;
        call(&self.label, "recording an event", || unsafe {
            result::event::record(end, stream)
        })?;
        call(&self.label, "waiting for the timed launch", || unsafe {
            result::event::synchronize(end)
        })?;
        let ms = call(&self.label, "reading the event timer", || unsafe {
            result::event::elapsed(start, end)
        })?;
        Ok(f64::from(ms))
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}

impl Drop for CudaDevice {
    /// Frees the buffers, modules and events (errors are ignored: nothing can be done with
    /// them here); the context itself is released when `context` drops after this.
    fn drop(&mut self) {
        if self.bind().is_err() {
            return;
        }
        let pointers: Vec<sys::CUdeviceptr> =
            self.buffers.iter().filter_map(|(_, b)| b.pointer).collect();
        for pointer in pointers {
            // SAFETY: each live allocation is freed once, here, at the device's end.
            let _ = call(&self.label, "freeing", || unsafe {
                result::free_sync(pointer)
            });
        }
        for module in std::mem::take(&mut self.modules).into_values() {
            // SAFETY: no function of the module is used after this.
            let _ = call(&self.label, "unloading", || unsafe {
                result::module::unload(module)
            });
        }
        let (start, end) = self.events;
        for event in [start, end] {
            // SAFETY: created by `open`, destroyed once.
            let _ = call(&self.label, "destroying an event", || unsafe {
                result::event::destroy(event)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cache::module_key;

    #[test]
    fn open_never_panics_and_without_a_driver_says_so() {
        let result = std::panic::catch_unwind(|| CudaDevice::open(0).map(|d| d.describe()));
        let Ok(opened) = result else {
            panic!("CudaDevice::open(0) panicked");
        };
        // SAFETY: as in `open`.
        if unsafe { sys::is_culib_present() } {
            // A machine with a driver: open succeeds, or fails with a driver error (no GPU).
            println!("libcuda present: open(0) = {opened:?}");
            assert_ne!(opened, Err(DeviceError::NoDriver));
        } else {
            let err = opened.unwrap_err();
            assert_eq!(err, DeviceError::NoDriver);
            assert!(
                err.to_string()
                    .starts_with("no CUDA driver: libcuda.so not found"),
                "{err}"
            );
        }
    }

    #[test]
    fn device_count_without_a_driver_says_so() {
        // SAFETY: as in `open`.
        if unsafe { sys::is_culib_present() } {
            // A machine with a driver: the count bounds the ordinals that open.
            let count = CudaDevice::device_count();
            println!("libcuda present: device_count() = {count:?}");
            if let Ok(count) = count {
                assert!(CudaDevice::open(count).is_err(), "GPU {count} opened");
            }
        } else {
            assert_eq!(CudaDevice::device_count(), Err(DeviceError::NoDriver));
        }
    }

    #[test]
    fn only_ptx_and_cubins_have_module_keys() {
        let ptx = module_key(&Binary::Ptx("x".into())).unwrap();
        let cubin = module_key(&Binary::Cubin {
            image: b"x".to_vec(),
            ptx: None,
        })
        .unwrap();
        assert_ne!(
            ptx, cubin,
            "the same bytes as PTX and as a cubin are different modules"
        );
        assert_eq!(module_key(&Binary::CodeObject(vec![1])), None);
    }
}
