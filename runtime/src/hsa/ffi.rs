//! The part of ROCm's HSA runtime API the `hsa` device calls, written from the HSA
//! runtime specification and ROCr's documentation: the handle and struct types whose
//! layout crosses the boundary, the enumerators used, and a table of entry points
//! resolved from `libhsa-runtime64.so.1` with `libloading` when the device opens — so
//! building egpu needs no ROCm, and a machine without it gets a clear error, not a link
//! failure.

use crate::DeviceError;
use libloading::Library;
use std::ffi::{CStr, c_char, c_void};

/// The runtime library's name (the SONAME ROCm installs).
pub const LIBRARY: &str = "libhsa-runtime64.so.1";

/// `hsa_status_t`.
pub type Status = u32;
pub const STATUS_SUCCESS: Status = 0;
/// Returned by an iteration callback to stop early (not an error).
pub const STATUS_INFO_BREAK: Status = 0x1;

/// An opaque runtime object (`hsa_agent_t`, `hsa_signal_t`, ...): one 64-bit handle.
macro_rules! handle {
    ($($name:ident),*) => {$(
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
        pub struct $name {
            pub handle: u64,
        }
    )*};
}
handle!(
    Agent,
    Pool,
    Signal,
    Executable,
    Symbol,
    Reader,
    LoadedCodeObject
);

/// `hsa_queue_t`: the queue's ring buffer and doorbell, as the runtime fills it in.
#[repr(C)]
#[derive(Debug)]
pub struct Queue {
    pub kind: u32,
    pub features: u32,
    pub base_address: *mut c_void,
    pub doorbell_signal: Signal,
    /// Packets the ring holds (a power of two).
    pub size: u32,
    pub reserved1: u32,
    pub id: u64,
}

/// `hsa_kernel_dispatch_packet_t`: one 64-byte AQL slot.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DispatchPacket {
    pub header: u16,
    pub setup: u16,
    pub workgroup_size: [u16; 3],
    pub reserved0: u16,
    pub grid_size: [u32; 3],
    pub private_segment_size: u32,
    pub group_segment_size: u32,
    pub kernel_object: u64,
    pub kernarg_address: u64,
    pub reserved2: u64,
    pub completion_signal: Signal,
}

const _: () = assert!(size_of::<DispatchPacket>() == 64);
const _: () = assert!(size_of::<Queue>() == 40);

// hsa_agent_info_t and the AMD extension's agent attributes.
pub const AGENT_INFO_NAME: u32 = 0;
pub const AGENT_INFO_QUEUE_MAX_SIZE: u32 = 14;
pub const AGENT_INFO_DEVICE: u32 = 17;
pub const AMD_AGENT_INFO_PRODUCT_NAME: u32 = 0xA009;
// hsa_device_type_t.
pub const DEVICE_TYPE_CPU: u32 = 0;
pub const DEVICE_TYPE_GPU: u32 = 1;
// hsa_system_info_t.
pub const SYSTEM_INFO_TIMESTAMP_FREQUENCY: u32 = 3;

// hsa_amd_memory_pool_info_t, hsa_amd_segment_t and the global flags.
pub const POOL_INFO_SEGMENT: u32 = 0;
pub const POOL_INFO_GLOBAL_FLAGS: u32 = 1;
pub const POOL_INFO_SIZE: u32 = 2;
pub const POOL_INFO_RUNTIME_ALLOC_ALLOWED: u32 = 5;
pub const SEGMENT_GLOBAL: u32 = 0;
pub const POOL_FLAG_KERNARG_INIT: u32 = 1;
pub const POOL_FLAG_FINE_GRAINED: u32 = 2;
pub const POOL_FLAG_COARSE_GRAINED: u32 = 4;

// hsa_profile_t, hsa_default_float_rounding_mode_t.
pub const PROFILE_FULL: u32 = 1;
pub const ROUNDING_MODE_DEFAULT: u32 = 0;

// hsa_executable_symbol_info_t (kernel attributes).
pub const SYMBOL_INFO_KERNARG_SEGMENT_SIZE: u32 = 11;
pub const SYMBOL_INFO_KERNARG_SEGMENT_ALIGNMENT: u32 = 12;
pub const SYMBOL_INFO_GROUP_SEGMENT_SIZE: u32 = 13;
pub const SYMBOL_INFO_PRIVATE_SEGMENT_SIZE: u32 = 14;
pub const SYMBOL_INFO_KERNEL_OBJECT: u32 = 22;

// hsa_queue_type32_t.
pub const QUEUE_TYPE_MULTI: u32 = 0;

// AQL header fields: type in bits 0-7, barrier bit 8, acquire fence scope 9-10, release
// fence scope 11-12; the setup word's dimension count in bits 0-1.
pub const PACKET_TYPE_KERNEL_DISPATCH: u16 = 2;
pub const HEADER_BARRIER: u16 = 8;
pub const HEADER_ACQUIRE_FENCE_SCOPE: u16 = 9;
pub const HEADER_RELEASE_FENCE_SCOPE: u16 = 11;
pub const FENCE_SCOPE_SYSTEM: u16 = 2;

// hsa_signal_condition_t, hsa_wait_state_t.
pub const SIGNAL_CONDITION_EQ: u32 = 0;
pub const WAIT_STATE_BLOCKED: u32 = 0;

/// `hsa_iterate_agents`' callback.
pub type AgentCallback = unsafe extern "C" fn(Agent, *mut c_void) -> Status;
/// `hsa_amd_agent_iterate_memory_pools`' callback.
pub type PoolCallback = unsafe extern "C" fn(Pool, *mut c_void) -> Status;
/// `hsa_queue_create`'s error callback, called by a runtime thread.
pub type QueueCallback = unsafe extern "C" fn(Status, *mut Queue, *mut c_void);

/// Declares the entry-point table and how it is resolved, from one list.
macro_rules! api {
    ($($field:ident = $symbol:literal : fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        /// The runtime's entry points, resolved once; valid while `_library` is loaded.
        pub struct Api {
            $(pub $field: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
            _library: Library,
        }

        impl Api {
            /// Loads the runtime library and resolves every entry point the device calls.
            pub fn load() -> Result<Api, DeviceError> {
                let no_runtime = |reason: String| DeviceError::NoHsaRuntime {
                    library: LIBRARY,
                    reason,
                };
                // SAFETY: loading ROCm's runtime library runs its initialisers, which is
                // what every HSA program does; no other code of it runs until hsa_init.
                let library = unsafe { Library::new(LIBRARY) }.map_err(|e| {
                    // The loader's own words ("cannot open shared object file ...") are
                    // the error's source; its display is only "dlopen failed".
                    let source = std::error::Error::source(&e).map(|s| s.to_string());
                    no_runtime(source.unwrap_or_else(|| e.to_string()))
                })?;
                $(
                    // SAFETY: the symbol is the HSA API function of this name, whose C
                    // signature is the field's type; the pointer is used only while
                    // `library` stays loaded (it is kept in the same struct).
                    let $field = unsafe {
                        *library
                            .get::<unsafe extern "C" fn($($arg),*) $(-> $ret)?>(
                                concat!($symbol, "\0").as_bytes(),
                            )
                            .map_err(|_| no_runtime(format!(
                                "it has no {}: a ROCm too old, or not ROCm's", $symbol
                            )))?
                    };
                )*
                Ok(Api { $($field,)* _library: library })
            }
        }
    };
}

api! {
    init = "hsa_init": fn() -> Status;
    shut_down = "hsa_shut_down": fn() -> Status;
    status_string = "hsa_status_string": fn(Status, *mut *const c_char) -> Status;
    system_get_info = "hsa_system_get_info": fn(u32, *mut c_void) -> Status;
    iterate_agents = "hsa_iterate_agents": fn(AgentCallback, *mut c_void) -> Status;
    agent_get_info = "hsa_agent_get_info": fn(Agent, u32, *mut c_void) -> Status;
    iterate_pools = "hsa_amd_agent_iterate_memory_pools":
        fn(Agent, PoolCallback, *mut c_void) -> Status;
    pool_get_info = "hsa_amd_memory_pool_get_info": fn(Pool, u32, *mut c_void) -> Status;
    pool_allocate = "hsa_amd_memory_pool_allocate":
        fn(Pool, usize, u32, *mut *mut c_void) -> Status;
    pool_free = "hsa_amd_memory_pool_free": fn(*mut c_void) -> Status;
    allow_access = "hsa_amd_agents_allow_access":
        fn(u32, *const Agent, *const u32, *const c_void) -> Status;
    memory_copy = "hsa_memory_copy": fn(*mut c_void, *const c_void, usize) -> Status;
    reader_create = "hsa_code_object_reader_create_from_memory":
        fn(*const c_void, usize, *mut Reader) -> Status;
    reader_destroy = "hsa_code_object_reader_destroy": fn(Reader) -> Status;
    executable_create = "hsa_executable_create_alt":
        fn(u32, u32, *const c_char, *mut Executable) -> Status;
    executable_load = "hsa_executable_load_agent_code_object":
        fn(Executable, Agent, Reader, *const c_char, *mut LoadedCodeObject) -> Status;
    executable_freeze = "hsa_executable_freeze": fn(Executable, *const c_char) -> Status;
    executable_destroy = "hsa_executable_destroy": fn(Executable) -> Status;
    symbol_by_name = "hsa_executable_get_symbol_by_name":
        fn(Executable, *const c_char, *const Agent, *mut Symbol) -> Status;
    symbol_get_info = "hsa_executable_symbol_get_info": fn(Symbol, u32, *mut c_void) -> Status;
    queue_create = "hsa_queue_create":
        fn(Agent, u32, u32, QueueCallback, *mut c_void, u32, u32, *mut *mut Queue) -> Status;
    queue_destroy = "hsa_queue_destroy": fn(*mut Queue) -> Status;
    queue_add_write_index = "hsa_queue_add_write_index_screlease": fn(*const Queue, u64) -> u64;
    queue_load_read_index = "hsa_queue_load_read_index_scacquire": fn(*const Queue) -> u64;
    signal_create = "hsa_signal_create": fn(i64, u32, *const Agent, *mut Signal) -> Status;
    signal_destroy = "hsa_signal_destroy": fn(Signal) -> Status;
    signal_store = "hsa_signal_store_screlease": fn(Signal, i64);
    signal_add = "hsa_signal_add_screlease": fn(Signal, i64);
    signal_wait = "hsa_signal_wait_scacquire": fn(Signal, u32, i64, u64, u32) -> i64;
}

/// The HSA name of a status code, for the codes the HSA specification defines.
pub fn status_name(status: Status) -> Option<&'static str> {
    Some(match status {
        0x1000 => "HSA_STATUS_ERROR",
        0x1001 => "HSA_STATUS_ERROR_INVALID_ARGUMENT",
        0x1002 => "HSA_STATUS_ERROR_INVALID_QUEUE_CREATION",
        0x1003 => "HSA_STATUS_ERROR_INVALID_ALLOCATION",
        0x1004 => "HSA_STATUS_ERROR_INVALID_AGENT",
        0x1005 => "HSA_STATUS_ERROR_INVALID_REGION",
        0x1006 => "HSA_STATUS_ERROR_INVALID_SIGNAL",
        0x1007 => "HSA_STATUS_ERROR_INVALID_QUEUE",
        0x1008 => "HSA_STATUS_ERROR_OUT_OF_RESOURCES",
        0x1009 => "HSA_STATUS_ERROR_INVALID_PACKET_FORMAT",
        0x100A => "HSA_STATUS_ERROR_RESOURCE_FREE",
        0x100B => "HSA_STATUS_ERROR_NOT_INITIALIZED",
        0x100C => "HSA_STATUS_ERROR_REFCOUNT_OVERFLOW",
        0x100D => "HSA_STATUS_ERROR_INCOMPATIBLE_ARGUMENTS",
        0x100E => "HSA_STATUS_ERROR_INVALID_INDEX",
        0x100F => "HSA_STATUS_ERROR_INVALID_ISA",
        0x1010 => "HSA_STATUS_ERROR_INVALID_CODE_OBJECT",
        0x1011 => "HSA_STATUS_ERROR_INVALID_EXECUTABLE",
        0x1012 => "HSA_STATUS_ERROR_FROZEN_EXECUTABLE",
        0x1013 => "HSA_STATUS_ERROR_INVALID_SYMBOL_NAME",
        0x1014 => "HSA_STATUS_ERROR_VARIABLE_ALREADY_DEFINED",
        0x1015 => "HSA_STATUS_ERROR_VARIABLE_UNDEFINED",
        0x1016 => "HSA_STATUS_ERROR_EXCEPTION",
        0x1017 => "HSA_STATUS_ERROR_INVALID_ISA_NAME",
        0x1018 => "HSA_STATUS_ERROR_INVALID_CODE_SYMBOL",
        0x1019 => "HSA_STATUS_ERROR_INVALID_EXECUTABLE_SYMBOL",
        0x1020 => "HSA_STATUS_ERROR_INVALID_FILE",
        0x1021 => "HSA_STATUS_ERROR_INVALID_CODE_OBJECT_READER",
        0x1022 => "HSA_STATUS_ERROR_INVALID_CACHE",
        0x1023 => "HSA_STATUS_ERROR_INVALID_WAVEFRONT",
        0x1024 => "HSA_STATUS_ERROR_INVALID_SIGNAL_GROUP",
        0x1025 => "HSA_STATUS_ERROR_INVALID_RUNTIME_STATE",
        0x1026 => "HSA_STATUS_ERROR_FATAL",
        _ => return None,
    })
}

impl Api {
    /// A status for messages: its HSA name (or hex code) and the runtime's own text.
    pub fn describe(&self, status: Status) -> String {
        let name = status_name(status).map_or_else(|| format!("status {status:#x}"), String::from);
        let mut text: *const c_char = std::ptr::null();
        // SAFETY: hsa_status_string writes a pointer to a static NUL-terminated string
        // (or fails and leaves `text` null), which is only read here.
        let found = unsafe { (self.status_string)(status, &mut text) } == STATUS_SUCCESS;
        if !found || text.is_null() {
            return name;
        }
        // SAFETY: non-null, NUL-terminated and static, as above.
        let detail = unsafe { CStr::from_ptr(text) }.to_string_lossy();
        let detail = detail.trim();
        if detail.is_empty() {
            name
        } else {
            format!("{name}: {detail}")
        }
    }

    /// `Ok` for success, else a `DeviceError::Driver` naming the device, the operation
    /// and the status.
    pub fn check(&self, status: Status, device: &str, what: &str) -> Result<(), DeviceError> {
        if status == STATUS_SUCCESS {
            return Ok(());
        }
        Err(DeviceError::Driver {
            device: device.into(),
            what: what.into(),
            code: self.describe(status),
        })
    }
}

/// A `char[64]` attribute (agent name, product name) as text.
pub fn text64(bytes: &[u8; 64]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).trim().to_string()
}
