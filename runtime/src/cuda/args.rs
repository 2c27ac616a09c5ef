//! Kernel arguments as the driver reads them, checked against the parameter sizes the
//! driver reports.

use super::{CudaDevice, LoadedKernel};
use crate::DeviceError;
use crate::device::Arg;
use cudarc::driver::sys;
use std::ffi::c_void;

/// One kernel argument as the driver reads it: `kernelParams[i]` points at it.
pub(super) enum ArgValue {
    Pointer(sys::CUdeviceptr),
    I32(i32),
    I64(i64),
}

impl ArgValue {
    pub(super) fn size(&self) -> usize {
        match self {
            ArgValue::Pointer(_) | ArgValue::I64(_) => 8,
            ArgValue::I32(_) => 4,
        }
    }

    pub(super) fn as_param(&mut self) -> *mut c_void {
        match self {
            ArgValue::Pointer(p) => (p as *mut sys::CUdeviceptr).cast(),
            ArgValue::I32(v) => (v as *mut i32).cast(),
            ArgValue::I64(v) => (v as *mut i64).cast(),
        }
    }
}

impl CudaDevice {
    /// The driver's view of one argument, checked against the parameter's size.
    pub(super) fn arg_value(
        &self,
        kernel: &LoadedKernel,
        index: usize,
        arg: Arg,
    ) -> Result<ArgValue, DeviceError> {
        let value = match arg {
            Arg::Buffer(id) => ArgValue::Pointer(self.buffer(id)?.pointer.unwrap_or(0)),
            Arg::I32(v) => ArgValue::I32(v),
            Arg::I64(v) => ArgValue::I64(v),
        };
        let want = kernel
            .param_sizes
            .as_ref()
            .and_then(|sizes| sizes.get(index));
        if let Some(&want) = want
            && want != value.size()
        {
            return Err(DeviceError::Arguments {
                device: self.label.clone(),
                kernel: kernel.name.clone(),
                message: format!(
                    "parameter {index} takes {want} bytes, {arg:?} has {}",
                    value.size()
                ),
            });
        }
        Ok(value)
    }
}
