//! The boundary to the CUDA driver: every driver call goes through [`call`], which turns
//! its error code into a [`DeviceError`] naming the device and the operation, and turns a
//! panic inside cudarc (its loader panics when a driver symbol is missing) into an error
//! too, so no driver problem ever unwinds into the caller.

use crate::DeviceError;
use cudarc::driver::DriverError;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs one driver call for `device` (`cuda:0`) doing `what`.
pub(crate) fn call<T>(
    device: &str,
    what: &str,
    f: impl FnOnce() -> Result<T, DriverError>,
) -> Result<T, DeviceError> {
    let code = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(e)) => code_name(&e),
        Err(panic) => format!("the CUDA binding panicked: {}", panic_text(&*panic)),
    };
    Err(DeviceError::Driver {
        device: device.into(),
        what: what.into(),
        code,
    })
}

/// The driver's name for the error (`CUDA_ERROR_NO_BINARY_FOR_GPU`), from cudarc's enum,
/// so it needs no further driver call.
pub(crate) fn code_name(e: &DriverError) -> String {
    format!("{:?}", e.0)
}

/// The message of a caught panic, when it is text.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        return (*s).to_string();
    }
    match panic.downcast_ref::<String>() {
        Some(s) => s.clone(),
        None => "(no message)".into(),
    }
}
