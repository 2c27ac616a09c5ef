//! The module cache: each binary's module loaded once, by content, with the cubin → PTX
//! fallback and its notice.

use super::{CudaDevice, module};
use crate::DeviceError;
use crate::device::Binary;
use cudarc::driver::sys;

impl CudaDevice {
    /// The module of `binary`, loaded once per content.
    pub(super) fn module(
        &mut self,
        binary: &Binary,
        kernel: &str,
    ) -> Result<sys::CUmodule, DeviceError> {
        let key = module_key(binary).ok_or_else(|| DeviceError::UnsupportedBinary {
            device: self.label.clone(),
            kind: binary.kind(),
            hint: "the cuda device loads PTX or a cubin",
        })?;
        if let Some(&module) = self.modules.get(&key) {
            return Ok(module);
        }
        let fail = |message: String| DeviceError::Load {
            device: self.label.clone(),
            kernel: kernel.into(),
            message,
        };
        let module = match binary {
            Binary::Cubin { image, ptx } => match (module::load_cubin(image), ptx) {
                (Ok(module), _) => module,
                (Err(refusal), Some(ptx)) => {
                    let module = module::load_ptx(ptx).map_err(|jit| {
                        fail(format!("the cubin was refused ({refusal}) and its PTX failed to JIT-compile ({jit})"))
                    })?;
                    self.notices.push(format!(
                        "{}: the driver refused the cubin of kernel '{kernel}' ({}); its PTX was JIT-compiled instead",
                        self.label, refusal.code
                    ));
                    module
                }
                (Err(refusal), None) => {
                    return Err(fail(format!("the cubin was refused: {refusal}")));
                }
            },
            Binary::Ptx(ptx) => module::load_ptx(ptx)
                .map_err(|jit| fail(format!("PTX JIT compilation failed: {jit}")))?,
            _ => unreachable_binary(&self.label, binary)?,
        };
        self.modules.insert(key, module);
        Ok(module)
    }
}

/// A `Kir` or `CodeObject` binary reaching the loader (the key check refuses them first).
fn unreachable_binary(device: &str, binary: &Binary) -> Result<sys::CUmodule, DeviceError> {
    Err(DeviceError::UnsupportedBinary {
        device: device.into(),
        kind: binary.kind(),
        hint: "the cuda device loads PTX or a cubin",
    })
}

/// The module cache key of a binary the cuda device can load: a tag and the content (a
/// cubin's PTX too, which is what loads when the driver refuses the cubin).
pub(super) fn module_key(binary: &Binary) -> Option<Vec<u8>> {
    match binary {
        Binary::Cubin { image, ptx } => {
            let length = (image.len() as u64).to_le_bytes();
            let ptx = ptx.as_deref().map(str::as_bytes);
            let (tag, ptx): (&[u8], &[u8]) = match ptx {
                Some(text) => (b"cubin+ptx\0", text),
                None => (b"cubin\0", b""),
            };
            Some([tag, &length, image, ptx].concat())
        }
        Binary::Ptx(text) => Some([b"ptx\0", text.as_bytes()].concat()),
        Binary::Kir(_) | Binary::CodeObject(_) => None,
    }
}
