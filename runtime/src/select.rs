//! Opening a device by the name `--device` takes: `cpu`, `emu` (the RDNA3 emulator),
//! `cuda` (GPU 0) or `cuda:N`; and the default device when none is named: `EGPU_DEVICE`
//! if set, else the first GPU that opens (cuda, then hsa), else the emulator.

use crate::{CpuDevice, CudaDevice, Device, DeviceError, EmuDevice};

/// The device names `open_device` knows, for messages.
pub const DEVICE_NAMES: &str = "cpu, emu, cuda, cuda:N";

/// Opens the device `name` names.
pub fn open_device(name: &str) -> Result<Box<dyn Device>, DeviceError> {
    if name == CpuDevice::NAME {
        return Ok(Box::new(CpuDevice::new()));
    }
    if name == EmuDevice::NAME {
        return Ok(Box::new(EmuDevice::new()));
    }
    let ordinal = match name.strip_prefix(CudaDevice::NAME) {
        Some("") => Some(0),
        Some(rest) => rest.strip_prefix(':').and_then(|n| n.parse::<usize>().ok()),
        None => None,
    };
    match ordinal {
        Some(ordinal) => Ok(Box::new(CudaDevice::open(ordinal)?)),
        None => Err(DeviceError::UnknownDevice {
            name: name.into(),
            known: DEVICE_NAMES,
        }),
    }
}

/// The environment variable that names the default device.
pub const DEVICE_ENV: &str = "EGPU_DEVICE";

/// The GPU kinds tried, in order, when no device is named.
pub const GPU_PREFERENCE: [&str; 2] = ["cuda", "hsa"];

/// The device to use when the caller names none: the one `EGPU_DEVICE` names (an unknown
/// name, or one that does not open, is an error saying it came from the variable), else the
/// first GPU that opens ([`GPU_PREFERENCE`]), else the RDNA3 emulator.
pub fn open_default_device() -> Result<Box<dyn Device>, DeviceError> {
    default_device(env_device().as_deref())
}

/// `EGPU_DEVICE`'s value, `None` when unset or blank.
pub(crate) fn env_device() -> Option<String> {
    std::env::var(DEVICE_ENV)
        .ok()
        .filter(|n| !n.trim().is_empty())
}

/// [`open_default_device`] with the variable's value given.
pub fn default_device(named: Option<&str>) -> Result<Box<dyn Device>, DeviceError> {
    if let Some(name) = named {
        return open_device(name.trim()).map_err(|e| DeviceError::FromEnv {
            variable: DEVICE_ENV,
            error: Box::new(e),
        });
    }
    GPU_PREFERENCE
        .iter()
        .find_map(|name| open_device(name).ok())
        .map_or_else(|| open_device(EmuDevice::NAME), Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_select_devices() {
        assert_eq!(
            open_device("cpu").map(|d| d.name().to_string()),
            Ok("cpu".into())
        );
        assert_eq!(
            open_device("emu").map(|d| d.name().to_string()),
            Ok("emu".into())
        );
        for bad in ["gpu", "cuda:", "cuda:x", "cuda0", "cpu:0"] {
            let err = open_device(bad).err().map(|e| e.to_string());
            let want = format!("unknown device '{bad}' (devices: cpu, emu, cuda, cuda:N)");
            assert_eq!(err, Some(want));
        }
        // No GPU on this machine: the emulator is the default; a name from the variable is
        // opened, a bad one is an error that names the variable.
        assert_eq!(
            default_device(None).map(|d| d.name().to_string()),
            Ok("emu".into())
        );
        assert_eq!(
            default_device(Some(" cpu ")).map(|d| d.name().to_string()),
            Ok("cpu".into())
        );
        let err = default_device(Some("tpu")).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("EGPU_DEVICE: unknown device 'tpu' (devices: cpu, emu, cuda, cuda:N)")
        );
        // Without libcuda (this machine) `cuda:1` reaches the driver check and stops there.
        let cuda = open_device("cuda:1").err();
        assert!(
            !matches!(cuda, Some(DeviceError::UnknownDevice { .. })),
            "{cuda:?}"
        );
    }
}
