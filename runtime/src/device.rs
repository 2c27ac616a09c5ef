//! The `Device` trait: what every backend (cuda, cpu, later hsa and emu) does, so a program
//! runs the same way on any of them ([`crate::program::run_program`]).
//!
//! A device owns its memory: buffers are plain bytes named by [`BufferId`]s, loaded kernels
//! by [`KernelHandle`]s. Arguments are buffers or integer scalars in parameter order, the
//! kernel-IR parameter convention every code generator follows. A device is driven through
//! `&mut self` by one thread; nothing here is shared.

use crate::DeviceError;
use egpu_ir::kernel::{Kernel, Launch};

/// A buffer allocated on a device. Only meaningful to the device that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BufferId(pub u32);

/// A kernel loaded on a device. Only meaningful to the device that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelHandle(pub u32);

/// A compiled kernel in one of the forms some device can load.
#[derive(Clone, Debug)]
pub enum Binary {
    /// Kernel IR, run by the `cpu` device's interpreter.
    Kir(Kernel),
    /// A cubin for the device's architecture, with the PTX it came from when there is one:
    /// the `cuda` device JIT-compiles that PTX when the driver refuses the cubin.
    Cubin { image: Vec<u8>, ptx: Option<String> },
    /// PTX text, JIT-compiled by the CUDA driver.
    Ptx(String),
    /// An HSA code object (RDNA3), for the `hsa` and `emu` devices.
    CodeObject(Vec<u8>),
}

impl Binary {
    /// What the binary is, for messages: `kernel IR`, `cubin`, `PTX`, `code object`.
    pub fn kind(&self) -> &'static str {
        match self {
            Binary::Kir(_) => "kernel IR",
            Binary::Cubin { .. } => "cubin",
            Binary::Ptx(_) => "PTX",
            Binary::CodeObject(_) => "code object",
        }
    }
}

/// One kernel argument, in parameter order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A global buffer parameter.
    Buffer(BufferId),
    /// An i32 scalar parameter.
    I32(i32),
    /// An i64 scalar parameter.
    I64(i64),
}

/// Where the bytes of a [`Device::fill`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filled {
    /// The device wrote them itself (a memset): nothing crossed the link.
    OnDevice,
    /// They were uploaded from the host, across the link.
    OverLink,
}

/// A device that can hold buffers and run kernels.
pub trait Device {
    /// The short name `--device` selects it by (`cpu`, `cuda`).
    fn name(&self) -> &str;

    /// What the device is, for people: name, card, architecture, notes.
    fn describe(&self) -> String;

    /// The `ir::Target` name code for this device is compiled for (`sm_90`), or `None` when
    /// any target's kernel IR runs (the cpu device).
    fn target_name(&self) -> Option<&'static str> {
        None
    }

    /// A new buffer of `bytes` bytes (contents unspecified until written).
    fn alloc(&mut self, bytes: usize) -> Result<BufferId, DeviceError>;

    /// Releases a buffer; its id is invalid afterwards.
    fn free(&mut self, buffer: BufferId) -> Result<(), DeviceError>;

    /// The buffer's size in bytes.
    fn size(&self, buffer: BufferId) -> Result<usize, DeviceError>;

    /// Copies `data` into the buffer; `data` must be exactly the buffer's size.
    fn upload(&mut self, buffer: BufferId, data: &[u8]) -> Result<(), DeviceError>;

    /// Fills the buffer with `pattern` repeated; `pattern` is 1, 2, 4 or 8 bytes and its
    /// length divides the buffer's size. The default uploads the repeated pattern; a device that can
    /// fill its own memory does so, and nothing crosses the link.
    fn fill(&mut self, buffer: BufferId, pattern: &[u8]) -> Result<Filled, DeviceError> {
        let size = self.size(buffer)?;
        check_fill(self.name(), buffer, size, pattern)?;
        self.upload(buffer, &pattern.repeat(size / pattern.len()))?;
        Ok(Filled::OverLink)
    }

    /// Copies the buffer into `out` (after every launch before it has finished); `out`
    /// must be exactly the buffer's size.
    fn download(&mut self, buffer: BufferId, out: &mut [u8]) -> Result<(), DeviceError>;

    /// Loads entry point `kernel` of `binary`. A device may cache modules: loading the same
    /// binary twice does not compile it twice.
    fn load(&mut self, binary: &Binary, kernel: &str) -> Result<KernelHandle, DeviceError>;

    /// Starts a launch of `kernel` over `launch` with `args`. It may run asynchronously:
    /// [`Device::synchronize`] or a download waits for it.
    fn launch(
        &mut self,
        kernel: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<(), DeviceError>;

    /// Waits until every launch and copy issued so far has finished.
    fn synchronize(&mut self) -> Result<(), DeviceError>;

    /// Runs one launch to its end and returns how long the device took, in milliseconds
    /// (device events on a GPU, wall-clock time on the cpu device).
    fn timed_launch(
        &mut self,
        kernel: KernelHandle,
        launch: Launch,
        args: &[Arg],
    ) -> Result<f64, DeviceError>;

    /// One-line notices since the last call, for the caller to print (e.g. "the driver
    /// refused the cubin; the PTX was JIT-compiled instead"). Empty by default.
    fn take_notices(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// A copy's host side must be exactly the buffer's size (every device's upload and download
/// checks it before touching memory).
pub fn check_copy(
    device: &str,
    buffer: BufferId,
    buffer_bytes: usize,
    host_bytes: usize,
    direction: &'static str,
) -> Result<(), DeviceError> {
    if buffer_bytes == host_bytes {
        return Ok(());
    }
    Err(DeviceError::CopySize {
        device: device.to_string(),
        buffer: buffer.0,
        buffer_bytes,
        host_bytes,
        direction,
    })
}

/// A fill pattern is 1, 2, 4 or 8 bytes (an element of some dtype) and divides the buffer's
/// size.
pub fn check_fill(
    device: &str,
    buffer: BufferId,
    size: usize,
    pattern: &[u8],
) -> Result<(), DeviceError> {
    if matches!(pattern.len(), 1 | 2 | 4 | 8) && size.is_multiple_of(pattern.len()) {
        return Ok(());
    }
    Err(DeviceError::FillPattern {
        device: device.to_string(),
        buffer: buffer.0,
        bytes: size,
        pattern: pattern.len(),
    })
}

/// Fills `bytes` with `pattern` repeated (a host-memory device's fill; the length was checked
/// by [`check_fill`]).
pub fn fill_bytes(bytes: &mut [u8], pattern: &[u8]) {
    for chunk in bytes.chunks_exact_mut(pattern.len()) {
        chunk.copy_from_slice(pattern);
    }
}
