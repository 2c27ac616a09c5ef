//! Why a device operation failed. Every message names the device (`cpu`, `cuda:0`) and
//! what it was doing, on one line.

use egpu_ir::kernel::KernelError;

/// A device operation that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// A device name no backend answers to.
    #[error("unknown device '{name}' (devices: {known})")]
    UnknownDevice { name: String, known: &'static str },
    /// The device named by an environment variable could not be opened.
    #[error("{variable}: {error}")]
    FromEnv {
        variable: &'static str,
        error: Box<DeviceError>,
    },
    /// No CUDA driver library could be loaded.
    #[error(
        "no CUDA driver: libcuda.so not found on the library path (an NVIDIA driver is needed for --device cuda)"
    )]
    NoDriver,
    /// A CUDA driver call failed; `code` is the driver's error name.
    #[error("{device}: {what} failed: {code}")]
    Driver {
        device: String,
        what: String,
        code: String,
    },
    /// The GPU is older than every target egpu supports.
    #[error(
        "{device} ({card}) is compute capability {major}.{minor}; egpu needs 8.0 (sm_80) or newer"
    )]
    TooOld {
        device: String,
        card: String,
        major: i32,
        minor: i32,
    },
    /// The device cannot load this kind of binary at all.
    #[error("{device}: cannot load a {kind} binary ({hint})")]
    UnsupportedBinary {
        device: String,
        kind: &'static str,
        hint: &'static str,
    },
    /// Loading a binary failed; `message` holds the driver's JIT log when there is one.
    #[error("{device}: loading kernel '{kernel}': {message}")]
    Load {
        device: String,
        kernel: String,
        message: String,
    },
    /// Every id has been given out (ids are never reused).
    #[error("{device}: more than 2^32 {what} were given out")]
    TooManyIds { device: String, what: &'static str },
    /// A buffer id that was never allocated or has been freed.
    #[error("{device}: buffer #{buffer} does not exist (never allocated, or freed)")]
    NoSuchBuffer { device: String, buffer: u32 },
    /// A kernel handle this device never gave out.
    #[error("{device}: kernel handle #{handle} does not exist")]
    NoSuchKernel { device: String, handle: u32 },
    /// A fill pattern that is not 1, 2, 4 or 8 bytes, or does not divide the buffer.
    #[error(
        "{device}: buffer #{buffer} holds {bytes} bytes, which a {pattern}-byte fill pattern cannot fill"
    )]
    FillPattern {
        device: String,
        buffer: u32,
        bytes: usize,
        pattern: usize,
    },
    /// A copy whose host side is not the buffer's size.
    #[error(
        "{device}: buffer #{buffer} holds {buffer_bytes} bytes, the {direction} has {host_bytes}"
    )]
    CopySize {
        device: String,
        buffer: u32,
        buffer_bytes: usize,
        host_bytes: usize,
        direction: &'static str,
    },
    /// Arguments or launch shape that do not fit the kernel.
    #[error("{device}: kernel '{kernel}': {message}")]
    Arguments {
        device: String,
        kernel: String,
        message: String,
    },
    /// The kernel-IR interpreter stopped with an error (out of bounds, race, ...).
    /// Boxed: a kernel error carries the failing lane's context and is large.
    #[error("{device}: {error}")]
    Interpreter {
        device: String,
        error: Box<KernelError>,
    },
    /// The emulator stopped a launch: a fault, a strict check, or the instruction budget;
    /// the message names the workgroup, wave, pc, instruction and what went wrong.
    #[error("{device}: kernel '{kernel}': {message}")]
    Emulator {
        device: String,
        kernel: String,
        message: String,
    },
    /// ROCm's HSA runtime library could not be loaded (or lacks an entry point).
    #[error(
        "no HSA runtime: {library} could not be loaded ({reason}); ROCm is needed for --device hsa"
    )]
    NoHsaRuntime {
        library: &'static str,
        reason: String,
    },
    /// `hsa:N` names a gfx11 GPU agent the runtime does not have.
    #[error("{device}: no such gfx11 GPU agent (the HSA runtime lists GPU agents: {found})")]
    NoAgent { device: String, found: String },
    /// A gfx11 GPU whose ISA is not the one egpu compiles for.
    #[error("{device} is {isa}; egpu compiles for gfx1100 only")]
    WrongIsa { device: String, isa: String },
}

impl DeviceError {
    /// A buffer id `device` never gave out, or one already freed.
    pub fn no_buffer(device: &str, buffer: crate::device::BufferId) -> DeviceError {
        DeviceError::NoSuchBuffer {
            device: device.to_string(),
            buffer: buffer.0,
        }
    }
}
