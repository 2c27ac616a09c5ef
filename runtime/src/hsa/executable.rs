//! Loading a code object: a code object reader over the bytes
//! (`hsa_code_object_reader_create_from_memory`), an executable
//! (`hsa_executable_create_alt`) with the code object loaded for the GPU agent and frozen,
//! then each kernel's symbol (`NAME.kd`) and what a dispatch needs from it: the kernel
//! object and the kernarg, group and private segment sizes.

use super::ffi::{self, Agent, Api, Executable, Reader, Symbol};
use crate::DeviceError;
use std::ffi::CString;

/// A frozen executable and the reader it was loaded from (the reader reads `image`,
/// which must outlive it, so the bytes live here too).
pub struct Loaded {
    pub executable: Executable,
    reader: Reader,
    _image: Box<[u8]>,
}

/// What a dispatch of one kernel needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelSymbol {
    pub object: u64,
    pub kernarg_size: u32,
    pub kernarg_align: u32,
    pub group_size: u32,
    pub private_size: u32,
}

/// Loads `image` for `agent`; `kernel` names what is being loaded, for messages.
pub fn load(
    api: &Api,
    agent: Agent,
    image: &[u8],
    device: &str,
    kernel: &str,
) -> Result<Loaded, DeviceError> {
    let fail = |status: ffi::Status, step: &str| DeviceError::Load {
        device: device.into(),
        kernel: kernel.into(),
        message: format!("{step}: {}", api.describe(status)),
    };
    let image: Box<[u8]> = image.into();
    let mut reader = Reader::default();
    // SAFETY: `image` is kept alive with the reader in `Loaded` (the reader may read it
    // until it is destroyed); the reader is written into `reader`.
    let status = unsafe { (api.reader_create)(image.as_ptr().cast(), image.len(), &mut reader) };
    if status != ffi::STATUS_SUCCESS {
        return Err(fail(status, "reading the code object"));
    }
    let mut executable = Executable::default();
    // SAFETY: no options (null); the handle is written into `executable`.
    let status = unsafe {
        (api.executable_create)(
            ffi::PROFILE_FULL,
            ffi::ROUNDING_MODE_DEFAULT,
            std::ptr::null(),
            &mut executable,
        )
    };
    if status != ffi::STATUS_SUCCESS {
        // SAFETY: created above, used nowhere else.
        unsafe { (api.reader_destroy)(reader) };
        return Err(fail(status, "creating an executable"));
    }
    let loaded = Loaded {
        executable,
        reader,
        _image: image,
    };
    let mut code_object = ffi::LoadedCodeObject::default();
    // SAFETY: executable, agent and reader are live handles; no options.
    let status = unsafe {
        (api.executable_load)(
            executable,
            agent,
            reader,
            std::ptr::null(),
            &mut code_object,
        )
    };
    if status != ffi::STATUS_SUCCESS {
        destroy(api, loaded);
        return Err(fail(status, "loading the code object for the GPU"));
    }
    // SAFETY: a live executable; no options.
    let status = unsafe { (api.executable_freeze)(executable, std::ptr::null()) };
    if status != ffi::STATUS_SUCCESS {
        destroy(api, loaded);
        return Err(fail(status, "freezing the executable"));
    }
    Ok(loaded)
}

/// Destroys the executable, then its reader (errors ignored: nothing is left to do).
pub fn destroy(api: &Api, loaded: Loaded) {
    // SAFETY: both handles are live and destroyed once, here; no kernel of the
    // executable runs (the device waits for every launch first).
    unsafe {
        (api.executable_destroy)(loaded.executable);
        (api.reader_destroy)(loaded.reader);
    }
}

/// Kernel `kernel`'s symbol (`kernel.kd`) in `loaded`, with its dispatch attributes.
pub fn kernel_symbol(
    api: &Api,
    loaded: &Loaded,
    agent: Agent,
    kernel: &str,
    device: &str,
) -> Result<KernelSymbol, DeviceError> {
    let load_error = |message: String| DeviceError::Load {
        device: device.into(),
        kernel: kernel.into(),
        message,
    };
    let name = CString::new(format!("{kernel}.kd"))
        .map_err(|_| load_error("the kernel name contains a NUL byte".into()))?;
    let mut symbol = Symbol::default();
    // SAFETY: a frozen executable, a NUL-terminated name and a live agent.
    let status =
        unsafe { (api.symbol_by_name)(loaded.executable, name.as_ptr(), &agent, &mut symbol) };
    if status != ffi::STATUS_SUCCESS {
        return Err(load_error(format!(
            "finding symbol '{kernel}.kd': {}",
            api.describe(status)
        )));
    }
    let mut object = 0u64;
    let mut sizes = [0u32; 4];
    let what = format!("reading kernel '{kernel}'s attributes");
    // SAFETY: KERNEL_OBJECT is a uint64_t, the four segment attributes uint32_t.
    unsafe {
        let s = (api.symbol_get_info)(
            symbol,
            ffi::SYMBOL_INFO_KERNEL_OBJECT,
            (&raw mut object).cast(),
        );
        api.check(s, device, &what)?;
        let attributes = [
            ffi::SYMBOL_INFO_KERNARG_SEGMENT_SIZE,
            ffi::SYMBOL_INFO_KERNARG_SEGMENT_ALIGNMENT,
            ffi::SYMBOL_INFO_GROUP_SEGMENT_SIZE,
            ffi::SYMBOL_INFO_PRIVATE_SEGMENT_SIZE,
        ];
        for (value, attribute) in sizes.iter_mut().zip(attributes) {
            let s = (api.symbol_get_info)(symbol, attribute, (value as *mut u32).cast());
            api.check(s, device, &what)?;
        }
    }
    let [kernarg_size, kernarg_align, group_size, private_size] = sizes;
    Ok(KernelSymbol {
        object,
        kernarg_size,
        kernarg_align,
        group_size,
        private_size,
    })
}
