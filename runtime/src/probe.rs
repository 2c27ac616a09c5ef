//! Every device egpu knows, and whether each opens on this machine: what `egpu devices`
//! prints, and what a framework asks before it chooses one. The default is marked by the
//! same rule [`crate::open_default_device`] follows, so the list never disagrees with it.

use crate::select::{DEVICE_ENV, GPU_PREFERENCE, env_device, open_device};
use crate::{CpuDevice, CudaDevice, DeviceError, EmuDevice};

/// One device (a kind, or one CUDA GPU) and whether it opens here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceProbe {
    /// The name [`open_device`] takes: `cpu`, `emu`, `cuda:N`, `hsa`; `cuda` alone when
    /// the driver could not count its GPUs.
    pub name: String,
    /// The device's description ([`crate::Device::describe`]) when it opened, else why not.
    pub status: Result<String, DeviceError>,
    /// The target code for it is compiled for ([`crate::Device::target_name`]); `None` for a
    /// device that runs any target's kernel IR (cpu) or one that did not open.
    pub target: Option<&'static str>,
    /// Whether [`crate::open_default_device`] picks this device.
    pub default: bool,
}

impl DeviceProbe {
    /// Whether the device opened.
    pub fn available(&self) -> bool {
        self.status.is_ok()
    }

    /// Opens `name` once and records what it says; the device is closed again.
    fn of(name: String) -> DeviceProbe {
        let (status, target) = match open_device(&name) {
            Ok(device) => (Ok(device.describe()), device.target_name()),
            Err(e) => (Err(e), None),
        };
        DeviceProbe {
            name,
            status,
            target,
            default: false,
        }
    }
}

/// Opens every device egpu knows once and lists them in a fixed order (cpu, emu, each
/// CUDA GPU, hsa), the default marked. The default honours `EGPU_DEVICE`; when the
/// variable names a device that does not exist or open, that is the error (naming the
/// variable), as for [`crate::open_default_device`].
pub fn probe_devices() -> Result<Vec<DeviceProbe>, DeviceError> {
    probe_devices_named(env_device().as_deref())
}

/// [`probe_devices`] with the variable's value given (`None`: unset).
pub fn probe_devices_named(named: Option<&str>) -> Result<Vec<DeviceProbe>, DeviceError> {
    let mut probes: Vec<DeviceProbe> = [CpuDevice::NAME, EmuDevice::NAME]
        .into_iter()
        .map(|name| DeviceProbe::of(name.into()))
        .collect();
    for kind in GPU_PREFERENCE {
        if kind == CudaDevice::NAME {
            probes.extend(cuda_names().into_iter().map(DeviceProbe::of));
        } else {
            probes.push(DeviceProbe::of(kind.into()));
        }
    }
    let chosen = match named {
        Some(name) => named_default(&mut probes, name.trim())?,
        None => preferred_default(&probes),
    };
    if let Some(probe) = probes.get_mut(chosen) {
        probe.default = true;
    }
    Ok(probes)
}

/// `cuda:0` … `cuda:N-1` for the GPUs the driver counts; just `cuda` when it counts none
/// or cannot count (no driver), so the list still says why CUDA is unavailable.
fn cuda_names() -> Vec<String> {
    match CudaDevice::device_count() {
        Ok(count) if count > 0 => (0..count)
            .map(|i| format!("{}:{i}", CudaDevice::NAME))
            .collect(),
        _ => vec![CudaDevice::NAME.into()],
    }
}

/// The name a probe is listed under for `name` as `open_device` takes it: `cuda` is GPU 0.
fn listed_name(name: &str) -> String {
    if name == CudaDevice::NAME {
        format!("{name}:0")
    } else {
        name.to_string()
    }
}

/// The index of the device `EGPU_DEVICE` names. One not in the list (or listed but not
/// available) is opened once more to learn why, exactly as `open_default_device` would.
fn named_default(probes: &mut Vec<DeviceProbe>, name: &str) -> Result<usize, DeviceError> {
    let listed = listed_name(name);
    if let Some(i) = probes
        .iter()
        .position(|p| p.name == listed && p.available())
    {
        return Ok(i);
    }
    let from_env = |e| DeviceError::FromEnv {
        variable: DEVICE_ENV,
        error: Box::new(e),
    };
    let device = open_device(name).map_err(from_env)?;
    // It opened now although it was not listed as available (a GPU that appeared between
    // the two looks): list it as it is now.
    probes.push(DeviceProbe {
        name: listed,
        status: Ok(device.describe()),
        target: device.target_name(),
        default: false,
    });
    Ok(probes.len() - 1)
}

/// With no variable: the first GPU in [`GPU_PREFERENCE`] that opened, else the emulator.
fn preferred_default(probes: &[DeviceProbe]) -> usize {
    let find = |name: &str| probes.iter().position(|p| p.name == name && p.available());
    GPU_PREFERENCE
        .iter()
        .find_map(|kind| find(&listed_name(kind)))
        .or_else(|| find(EmuDevice::NAME))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Device;
    use crate::select::default_device;

    /// The name of the device marked default.
    fn marked(probes: &[DeviceProbe]) -> Vec<&str> {
        probes
            .iter()
            .filter(|p| p.default)
            .map(|p| p.name.as_str())
            .collect()
    }

    #[test]
    fn every_kind_is_listed_once_in_order_with_one_default() {
        let probes = probe_devices_named(None).unwrap();
        let names: Vec<&str> = probes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names[..2], ["cpu", "emu"]);
        assert_eq!(names.last(), Some(&"hsa"));
        assert!(
            names[2..names.len() - 1]
                .iter()
                .all(|n| n.starts_with("cuda"))
        );
        // cpu and emu open everywhere; their descriptions and targets are the devices' own.
        assert_eq!(probes[0].status, Ok(CpuDevice::new().describe()));
        assert_eq!(probes[0].target, None);
        assert_eq!(probes[1].target, Some("gfx1100"));
        assert!(probes[1].available());
        // The mark agrees with what `default_device` really opens.
        let opened = default_device(None).unwrap();
        let default = marked(&probes);
        assert_eq!(default.len(), 1, "{probes:?}");
        let kind = default[0].split(':').next();
        assert_eq!(kind, Some(opened.name()), "{probes:?}");
    }

    #[test]
    fn the_variable_moves_the_mark_or_is_an_error_naming_it() {
        let probes = probe_devices_named(Some(" cpu ")).unwrap();
        assert_eq!(marked(&probes), ["cpu"]);
        let err = probe_devices_named(Some("tpu")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "EGPU_DEVICE: unknown device 'tpu' (devices: cpu, emu, cuda, cuda:N, hsa, hsa:N)"
        );
        // A GPU ordinal past the last one never opens, so it is an error too.
        let err = probe_devices_named(Some("cuda:4096")).unwrap_err();
        assert!(
            matches!(
                &err,
                DeviceError::FromEnv {
                    variable: "EGPU_DEVICE",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    /// CUDA is listed once per GPU the driver counts; without any (no libcuda, as on this
    /// machine, or no GPU) once as `cuda`, unavailable, with the reason.
    #[test]
    fn cuda_is_listed_per_gpu_or_once_with_the_reason() {
        let probes = probe_devices_named(None).unwrap();
        let cuda: Vec<&DeviceProbe> = probes
            .iter()
            .filter(|p| p.name.starts_with("cuda"))
            .collect();
        match CudaDevice::device_count() {
            Ok(count) if count > 0 => {
                let names: Vec<String> = (0..count).map(|i| format!("cuda:{i}")).collect();
                let listed: Vec<&String> = cuda.iter().map(|p| &p.name).collect();
                assert_eq!(listed, names.iter().collect::<Vec<_>>());
            }
            counted => {
                assert_eq!(cuda.len(), 1, "{probes:?}");
                assert_eq!(cuda[0].name, "cuda");
                assert!(!cuda[0].available(), "{probes:?}");
                if counted == Err(DeviceError::NoDriver) {
                    assert_eq!(cuda[0].status, Err(DeviceError::NoDriver));
                }
            }
        }
    }
}
