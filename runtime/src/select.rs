//! Opening a device by the name `--device` takes: `cpu`, `emu` (the RDNA3 emulator),
//! `cuda` (GPU 0) or `cuda:N`.

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
        // Without libcuda (this machine) `cuda:1` reaches the driver check and stops there.
        let cuda = open_device("cuda:1").err();
        assert!(
            !matches!(cuda, Some(DeviceError::UnknownDevice { .. })),
            "{cuda:?}"
        );
    }
}
