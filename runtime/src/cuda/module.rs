//! Loading code into the CUDA driver: a cubin with `cuModuleLoadDataEx` (falling back to
//! the PTX beside it when the driver refuses the cubin), PTX through the driver's JIT, each
//! with the JIT error log collected, and the entry point's parameter sizes read back so a
//! launch can be checked before it reaches the driver.

use super::driver::{call, code_name, panic_text};
use cudarc::driver::sys;
use std::ffi::{CString, c_void};
use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Bytes kept of the driver's JIT error log.
const LOG_BYTES: usize = 16 * 1024;

/// Parameters read from a function before giving up (kernel IR has a handful).
const MAX_PARAMS: usize = 4096;

/// A load the driver refused: its error code and JIT log (empty when it wrote none).
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) code: String,
    pub(crate) log: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code)?;
        if !self.log.is_empty() {
            write!(f, ": {}", self.log)?;
        }
        Ok(())
    }
}

/// The refusal of something that never reached the driver.
fn refused(code: &str) -> Refusal {
    Refusal {
        code: code.into(),
        log: String::new(),
    }
}

/// Loads a cubin after checking it is a 64-bit ELF whose tables lie inside it
/// (`cuModuleLoadDataEx` takes no length: a truncated image would be read past its end).
pub(crate) fn load_cubin(image: &[u8]) -> Result<sys::CUmodule, Refusal> {
    check_elf(image).map_err(|message| refused(&format!("not a cubin: {message}")))?;
    load_data(image)
}

/// JIT-compiles PTX text.
pub(crate) fn load_ptx(ptx: &str) -> Result<sys::CUmodule, Refusal> {
    let text = CString::new(ptx).map_err(|_| refused("the PTX contains a NUL byte"))?;
    load_data(text.as_bytes_with_nul())
}

/// `cuModuleLoadDataEx` with an error-log buffer.
fn load_data(image: &[u8]) -> Result<sys::CUmodule, Refusal> {
    let mut log = vec![0u8; LOG_BYTES];
    let mut options = [
        sys::CUjit_option::CU_JIT_ERROR_LOG_BUFFER,
        sys::CUjit_option::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
    ];
    // The size option's value is the size itself, passed in the pointer's place.
    let mut values: [*mut c_void; 2] = [
        log.as_mut_ptr().cast(),
        std::ptr::without_provenance_mut(LOG_BYTES),
    ];
    let mut module = MaybeUninit::<sys::CUmodule>::uninit();
    let status = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `image` is a checked ELF image or NUL-terminated PTX that outlives the
        // call; `options` and `values` are two valid entries each; the log buffer holds
        // LOG_BYTES bytes, the size we pass; `module` is written by the driver on success.
        unsafe {
            sys::cuModuleLoadDataEx(
                module.as_mut_ptr(),
                image.as_ptr().cast(),
                options.len() as u32,
                options.as_mut_ptr(),
                values.as_mut_ptr(),
            )
        }
    }));
    let status = match status {
        Ok(status) => status,
        Err(panic) => {
            return Err(refused(&format!(
                "the CUDA binding panicked: {}",
                panic_text(&*panic)
            )));
        }
    };
    match status.result() {
        // SAFETY: the driver wrote the module handle, as it does on success.
        Ok(()) => Ok(unsafe { module.assume_init() }),
        Err(e) => Err(Refusal {
            code: code_name(&e),
            log: log_text(&log),
        }),
    }
}

/// The log's text up to its NUL, on one line.
fn log_text(log: &[u8]) -> String {
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    let text = String::from_utf8_lossy(&log[..end]);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("; ")
}

/// Checks the ELF header of a 64-bit little-endian image and that its program and section
/// header tables lie inside it.
pub(crate) fn check_elf(image: &[u8]) -> Result<(), String> {
    if image.len() < 64 || &image[..4] != b"\x7fELF" {
        return Err("no ELF header".into());
    }
    if image[4] != 2 || image[5] != 1 {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let u16_at = |at: usize| u64::from(u16::from_le_bytes([image[at], image[at + 1]]));
    let u64_at = |at: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&image[at..at + 8]);
        u64::from_le_bytes(word)
    };
    let tables = [
        ("program", u64_at(0x20), u16_at(0x36), u16_at(0x38)),
        ("section", u64_at(0x28), u16_at(0x3a), u16_at(0x3c)),
    ];
    for (name, offset, entry, count) in tables {
        let end = entry
            .checked_mul(count)
            .and_then(|bytes| bytes.checked_add(offset));
        if end.is_none_or(|end| end > image.len() as u64) {
            return Err(format!(
                "its {name} header table ends past the image's {} bytes",
                image.len()
            ));
        }
    }
    Ok(())
}

/// The entry point `name` of `module`.
pub(crate) fn function(
    device: &str,
    module: sys::CUmodule,
    name: &str,
) -> Result<sys::CUfunction, crate::DeviceError> {
    let what = format!("finding kernel '{name}' in the module");
    let Ok(c_name) = CString::new(name) else {
        return Err(crate::DeviceError::Load {
            device: device.into(),
            kernel: name.into(),
            message: "the kernel name contains a NUL byte".into(),
        });
    };
    // SAFETY: `module` is a loaded module that stays loaded while the device lives.
    call(device, &what, || unsafe {
        cudarc::driver::result::module::get_function(module, c_name)
    })
}

/// The byte size of each parameter of `function`, or `None` when the driver cannot say
/// (`cuFuncGetParamInfo` is CUDA 12.4+).
pub(crate) fn param_sizes(function: sys::CUfunction) -> Option<Vec<usize>> {
    let mut sizes = Vec::new();
    for index in 0..MAX_PARAMS {
        let (mut offset, mut size) = (0usize, 0usize);
        let status = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `function` is a live function handle; both outputs are valid usizes.
            unsafe { sys::cuFuncGetParamInfo(function, index, &mut offset, &mut size) }
        }))
        .ok()?;
        match status {
            sys::CUresult::CUDA_SUCCESS => sizes.push(size),
            // Past the last parameter.
            sys::CUresult::CUDA_ERROR_INVALID_VALUE => return Some(sizes),
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf(len: usize) -> Vec<u8> {
        let mut image = vec![0u8; len];
        image[..6].copy_from_slice(b"\x7fELF\x02\x01");
        image[0x28..0x30].copy_from_slice(&64u64.to_le_bytes()); // e_shoff
        image[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
        image[0x3c..0x3e].copy_from_slice(&2u16.to_le_bytes()); // e_shnum
        image
    }

    #[test]
    fn a_cubin_must_hold_its_header_tables() {
        assert_eq!(check_elf(&elf(192)), Ok(()));
        let err = check_elf(&elf(191)).unwrap_err();
        assert_eq!(
            err,
            "its section header table ends past the image's 191 bytes"
        );
        assert_eq!(
            check_elf(b"// PTX .version 7.8").unwrap_err(),
            "no ELF header"
        );
        let mut big_endian = elf(192);
        big_endian[5] = 2;
        assert!(check_elf(&big_endian).is_err());
        let mut huge = elf(192);
        huge[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(check_elf(&huge).is_err(), "overflowing offsets are refused");
    }

    #[test]
    fn the_jit_log_becomes_one_line() {
        let mut log = b"ptxas application ptx input, line 12; error   : Unknown symbol 'x'\n\nptxas fatal   : Ptx assembly aborted\n\0garbage".to_vec();
        log.resize(64 + log.len(), 0);
        assert_eq!(
            log_text(&log),
            "ptxas application ptx input, line 12; error   : Unknown symbol 'x'; ptxas fatal   : Ptx assembly aborted"
        );
    }
}
