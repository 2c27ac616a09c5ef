//! Device-resident tensors and the transfer account of a run.
//!
//! The link to an eGPU is narrow (USB4/Thunderbolt moves a few GB/s), so what can stay on
//! the device should: a [`DeviceTensor`] is uploaded once and passed to many runs (weights),
//! and a run can leave its outputs on the device until they are read. [`Transfers`] counts
//! every byte a run moves across the link, each way, with the time it took.

use crate::DeviceError;
use crate::bytes::{BytesError, from_bytes, to_bytes};
use crate::device::{BufferId, Device};
use egpu_ir::interp::Tensor;
use egpu_ir::{DType, Shape};
use std::time::Instant;

/// A tensor held in a buffer of one device. It is only meaningful to that device, and stays
/// allocated until [`DeviceTensor::free`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceTensor {
    pub buffer: BufferId,
    pub dtype: DType,
    pub shape: Shape,
}

/// Copies in one direction: how many, how many bytes, how long (wall-clock milliseconds,
/// each copy waited for).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Copies {
    pub count: usize,
    pub bytes: u64,
    pub ms: f64,
}

impl Copies {
    fn add(&mut self, bytes: usize, ms: f64) {
        self.count += 1;
        self.bytes += bytes as u64;
        self.ms += ms;
    }

    /// Gigabytes per second over all the copies (0 when nothing took measurable time).
    pub fn gigabytes_per_second(&self) -> f64 {
        if self.ms > 0.0 {
            self.bytes as f64 / (self.ms * 1e6)
        } else {
            0.0
        }
    }
}

/// What a run moved across the link.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Transfers {
    /// Host inputs uploaded (resident inputs are not: they are already there).
    pub to_device: Copies,
    /// Outputs read back (none when the outputs stay on the device).
    pub to_host: Copies,
    /// Poison uploaded to start temporaries and outputs, on a device that cannot fill its
    /// own memory ([`crate::device::Device::fill`]; cpu, emu and cuda can, so theirs is 0).
    pub poison: Copies,
}

impl Transfers {
    /// Adds `other`'s copies to these.
    pub fn add(&mut self, other: &Transfers) {
        for (mine, theirs) in [
            (&mut self.to_device, other.to_device),
            (&mut self.to_host, other.to_host),
            (&mut self.poison, other.poison),
        ] {
            mine.count += theirs.count;
            mine.bytes += theirs.bytes;
            mine.ms += theirs.ms;
        }
    }
}

/// Uploads `data` into `buffer`, counting it in `copies`.
pub(crate) fn timed_upload(
    device: &mut dyn Device,
    buffer: BufferId,
    data: &[u8],
    copies: &mut Copies,
) -> Result<(), DeviceError> {
    let start = Instant::now();
    device.upload(buffer, data)?;
    copies.add(data.len(), start.elapsed().as_secs_f64() * 1e3);
    Ok(())
}

/// Downloads `buffer` into `out`, counting it in `copies`.
pub(crate) fn timed_download(
    device: &mut dyn Device,
    buffer: BufferId,
    out: &mut [u8],
    copies: &mut Copies,
) -> Result<(), DeviceError> {
    let start = Instant::now();
    device.download(buffer, out)?;
    copies.add(out.len(), start.elapsed().as_secs_f64() * 1e3);
    Ok(())
}

/// Why a resident tensor could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentError {
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error(transparent)]
    Bytes(#[from] BytesError),
}

impl DeviceTensor {
    /// Allocates a buffer on `device` and uploads `tensor` into it, counting the copy in
    /// `transfers`.
    pub fn upload(
        device: &mut dyn Device,
        tensor: &Tensor,
        transfers: &mut Transfers,
    ) -> Result<DeviceTensor, DeviceError> {
        let bytes = to_bytes(tensor);
        let buffer = device.alloc(bytes.len())?;
        if let Err(e) = timed_upload(device, buffer, &bytes, &mut transfers.to_device) {
            let _ = device.free(buffer);
            return Err(e);
        }
        Ok(DeviceTensor {
            buffer,
            dtype: tensor.dtype,
            shape: tensor.shape.clone(),
        })
    }

    /// Bytes the tensor occupies on the device.
    pub fn bytes(&self) -> usize {
        self.shape.numel() * self.dtype.size_bytes()
    }

    /// Reads the tensor back (after every launch issued before), counting the copy.
    pub fn read(
        &self,
        device: &mut dyn Device,
        transfers: &mut Transfers,
    ) -> Result<Tensor, ResidentError> {
        let mut bytes = vec![0; self.bytes()];
        timed_download(device, self.buffer, &mut bytes, &mut transfers.to_host)?;
        Ok(from_bytes(self.dtype, self.shape.clone(), &bytes)?)
    }

    /// Releases the tensor's buffer.
    pub fn free(self, device: &mut dyn Device) -> Result<(), DeviceError> {
        device.free(self.buffer)
    }
}
